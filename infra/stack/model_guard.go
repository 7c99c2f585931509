package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// NewModelGuard checks every SageMaker model created (and forgets deleted ones): a model
// without a VPC config can reach the internet from its containers.
func NewModelGuard(scope constructs.Construct, id string, s *shared) *Guard {
	g := newGuard(scope, id, functionProps{
		name:                ModelGuardName,
		description:         "vpcguard: SageMaker models must run in a VPC",
		timeout:             awscdk.Duration_Seconds(jsii.Number(60)),
		reservedConcurrency: s.config.ReservedConcurrency,
		environment:         s.environment(),
		config:              s.config,
	}, cloudTrailPattern("aws.sagemaker", "sagemaker.amazonaws.com", "CreateModel", "DeleteModel"))
	grantModelChecks(g.Fn, s.config)
	grantTicketing(g.Fn, s)
	grantGuardrailAttach(g.Fn, s.modelGuardrail)
	return g
}
