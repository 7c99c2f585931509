package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

const cloudTrailDetailType = "AWS API Call via CloudTrail"

// Guard is one guard: its function, the EventBridge rule that feeds it, and the rule
// target's dead-letter queue. Rule and RuleDLQ are nil for a function with no rule.
type Guard struct {
	constructs.Construct
	Name    string
	Fn      *guardFunction
	Rule    awsevents.Rule
	RuleDLQ awssqs.Queue
}

// cloudTrailPattern matches successful API calls recorded by CloudTrail: failed calls
// (errorCode present) changed nothing, so they never reach a function.
func cloudTrailPattern(source, eventSource string, eventNames ...string) *awsevents.EventPattern {
	return &awsevents.EventPattern{
		Source:     jsii.Strings(source),
		DetailType: jsii.Strings(cloudTrailDetailType),
		Detail: &map[string]interface{}{
			"eventSource": []interface{}{eventSource},
			"eventName":   stringsToAny(eventNames),
			"errorCode":   []interface{}{map[string]interface{}{"exists": false}},
		},
	}
}

// targetWithDLQ sends the rule's events to fn, retrying for two hours before the event
// lands in dlq; a guard that misses an event leaves a resource unchecked.
func targetWithDLQ(g *guardFunction, dlq awssqs.Queue) awsevents.IRuleTarget {
	return awseventstargets.NewLambdaFunction(g.Function, &awseventstargets.LambdaFunctionProps{
		DeadLetterQueue: dlq,
		MaxEventAge:     awscdk.Duration_Hours(jsii.Number(2)),
		RetryAttempts:   jsii.Number(8),
	})
}

func newGuard(scope constructs.Construct, id string, fp functionProps, pattern *awsevents.EventPattern) *Guard {
	c := constructs.NewConstruct(scope, jsii.String(id))
	g := &Guard{Construct: c, Name: fp.name}
	g.Fn = newGuardFunction(c, "Handler", fp)
	g.RuleDLQ = deadLetterQueue(c, "RuleDLQ")
	g.Rule = awsevents.NewRule(c, jsii.String("Rule"), &awsevents.RuleProps{
		Description:  jsii.String("vpcguard " + fp.name + ": CloudTrail management events it evaluates"),
		EventPattern: pattern,
		Targets:      &[]awsevents.IRuleTarget{targetWithDLQ(g.Fn, g.RuleDLQ)},
	})
	return g
}

func stringsToAny(ss []string) []interface{} {
	out := make([]interface{}, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
