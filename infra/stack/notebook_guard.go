package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// NewNotebookGuard checks notebook instances for direct internet access. A notebook can
// only be stopped once it is InService, so the guard re-checks later through the delayed
// re-check queue it both sends to and consumes.
func NewNotebookGuard(scope constructs.Construct, id string, s *shared) *Guard {
	env := s.environment()
	s.addRecheckEnvironment(env)
	g := newGuard(scope, id, functionProps{
		name:                NotebookGuardName,
		description:         "vpcguard: SageMaker notebook instances must not have direct internet access",
		timeout:             awscdk.Duration_Seconds(jsii.Number(60)),
		reservedConcurrency: s.config.ReservedConcurrency,
		environment:         env,
		config:              s.config,
	}, cloudTrailPattern("aws.sagemaker", "sagemaker.amazonaws.com",
		"CreateNotebookInstance", "StartNotebookInstance", "UpdateNotebookInstance", "DeleteNotebookInstance"))
	grantNotebookChecks(g.Fn)
	grantTicketing(g.Fn, s)
	grantGuardrailAttach(g.Fn, s.notebookGuardrail)
	g.allowRecheckSend(s)
	g.Fn.Function.AddEventSource(awslambdaeventsources.NewSqsEventSource(s.recheckQueue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(1),
		ReportBatchItemFailures: jsii.Bool(true),
	}))
	return g
}

func (g *Guard) allowRecheckSend(s *shared) {
	g.Fn.allow([]string{"sqs:SendMessage"}, []string{*s.recheckQueue.QueueArn()}, nil)
}
