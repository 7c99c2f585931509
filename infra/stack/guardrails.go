package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/vpcguard/vpcguard/shared/guardrail"
)

// newModelGuardrail denies creating a SageMaker model without VPC subnets. model-guard
// attaches it to the principal that created a non-compliant model, so the next attempt
// fails at the API instead of being cleaned up afterwards.
func newModelGuardrail(scope constructs.Construct, id string) awsiam.ManagedPolicy {
	return newGuardrail(scope, id, guardrail.Model)
}

// newNotebookGuardrail denies notebook instances with direct internet access or outside
// a VPC (without subnets SageMaker gives the notebook internet access regardless).
func newNotebookGuardrail(scope constructs.Construct, id string) awsiam.ManagedPolicy {
	return newGuardrail(scope, id, guardrail.Notebook)
}

// newGuardrail is the managed policy of p's statements (shared/guardrail is their
// one source; the demo and the tests seed moto with the same documents).
func newGuardrail(scope constructs.Construct, id string, p guardrail.Policy) awsiam.ManagedPolicy {
	statements := make([]awsiam.PolicyStatement, len(p.Statements))
	for i, s := range p.Statements {
		conditions := s.Conditions()
		statements[i] = awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String(s.Sid),
			Effect:     effect(s.Effect),
			Actions:    jsii.Strings(s.Action),
			Resources:  jsii.Strings(s.Resource),
			Conditions: &conditions,
		})
	}
	return awsiam.NewManagedPolicy(scope, jsii.String(id), &awsiam.ManagedPolicyProps{
		Description: jsii.String(p.Description),
		Statements:  &statements,
	})
}

func effect(e string) awsiam.Effect {
	switch e {
	case "Allow":
		return awsiam.Effect_ALLOW
	case "Deny":
		return awsiam.Effect_DENY
	}
	panic("guardrail: unknown effect " + e)
}
