package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// NewEndpointGuard checks SageMaker interface VPC endpoints: without private DNS, the
// SageMaker SDK in the VPC resolves the public endpoint and traffic leaves the VPC.
// It attaches no guardrail: there is no IAM condition key for private DNS.
func NewEndpointGuard(scope constructs.Construct, id string, s *shared) *Guard {
	g := newGuard(scope, id, functionProps{
		name:                EndpointGuardName,
		description:         "vpcguard: SageMaker VPC endpoints must have private DNS",
		timeout:             awscdk.Duration_Seconds(jsii.Number(60)),
		reservedConcurrency: s.config.ReservedConcurrency,
		environment:         s.environment(),
		config:              s.config,
	}, cloudTrailPattern("aws.ec2", "ec2.amazonaws.com", "CreateVpcEndpoint", "ModifyVpcEndpoint", "DeleteVpcEndpoints"))
	grantEndpointChecks(g.Fn)
	grantTicketing(g.Fn, s)
	return g
}
