package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/vpcguard/vpcguard/shared/rules"
)

// newGuardrail is the one guardrail managed policy: the deny statements of
// every rule the configuration enforces (rules.GuardrailPolicy). The guards
// attach it, in enforce mode, to the principal that broke a rule, so its next
// attempt fails at the API; one policy for every rule keeps a principal far
// from IAM's 10 managed policies per role. Only enforced rules are in it:
// attaching it for one rule must not enforce another the operator left in
// report or ticket mode. nil when no enforced rule has a guardrail. An empty
// name lets CloudFormation generate one.
func newGuardrail(scope constructs.Construct, id, name string, c Config, all []rules.Rule) awsiam.ManagedPolicy {
	p, ok := rules.GuardrailPolicy(rules.Enforced(all, c.Functions().ModeFor))
	if !ok {
		return nil
	}
	statements := make([]awsiam.PolicyStatement, len(p.Statements))
	for i, s := range p.Statements {
		conditions := s.ConditionBlock()
		statements[i] = awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String(s.Sid),
			Effect:     awsiam.Effect_DENY,
			Actions:    jsii.Strings(s.Actions...),
			Resources:  jsii.Strings("*"),
			Conditions: &conditions,
		})
	}
	props := &awsiam.ManagedPolicyProps{
		Description: jsii.String(p.Description),
		Statements:  &statements,
	}
	if name != "" {
		props.ManagedPolicyName = jsii.String(name)
	}
	return awsiam.NewManagedPolicy(scope, jsii.String(id), props)
}
