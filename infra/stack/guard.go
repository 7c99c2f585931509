package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// Guard is one function: a guard from the catalogue (rules.Guards) with its
// EventBridge rules, one per event source its rules listen to, or the
// backfill. Rules is empty and RuleDLQ nil for a function nothing triggers.
type Guard struct {
	constructs.Construct
	Name    string
	Fn      *guardFunction
	Rules   []awsevents.Rule
	RuleDLQ awssqs.Queue
}

// CloudTrailPattern matches the successful API calls of one trigger: failed
// calls (errorCode present) changed nothing, so they never reach a function.
func CloudTrailPattern(t rules.Trigger) *awsevents.EventPattern {
	return &awsevents.EventPattern{
		Source:     jsii.Strings(rules.EventBridgeSource(t.Source)),
		DetailType: jsii.Strings(cloudtrail.DetailType),
		Detail: &map[string]interface{}{
			"eventSource": []interface{}{t.Source},
			"eventName":   stringsToAny(t.Names),
			"errorCode":   []interface{}{map[string]interface{}{"exists": false}},
		},
	}
}

// AllManagementEventsState is the EventBridge rule state that also delivers
// read-only management events from CloudTrail; ENABLED leaves them out.
const AllManagementEventsState = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"

// NewCloudTrailRule is the EventBridge rule that sends one trigger's
// successful calls on bus (nil: the account's default bus) to target. Every
// rule that matches CloudTrail events is built here: the guards' rules (on
// the default bus of one account, or on the central bus of an organization)
// and the member accounts' forwarding rules. A trigger whose calls may be
// read-only management events (rules.Trigger.AllManagementEvents) gets a
// rule in AllManagementEventsState, without which EventBridge never
// delivers them.
func NewCloudTrailRule(scope constructs.Construct, id, description string, t rules.Trigger, bus awsevents.IEventBus, target awsevents.IRuleTarget) awsevents.Rule {
	rule := awsevents.NewRule(scope, jsii.String(id), &awsevents.RuleProps{
		Description:  jsii.String(description),
		EventBus:     bus,
		EventPattern: CloudTrailPattern(t),
		Targets:      &[]awsevents.IRuleTarget{target},
	})
	if t.AllManagementEvents {
		deliverReadOnlyEvents(rule)
	}
	return rule
}

// deliverReadOnlyEvents puts rule in AllManagementEventsState. The L2 Rule
// knows only enabled and disabled, so the CloudFormation resource is set
// directly. The pattern stays as narrow as the trigger (exact source and
// names): read-only events come in far greater numbers than writes.
func deliverReadOnlyEvents(rule awsevents.Rule) {
	rule.Node().DefaultChild().(awsevents.CfnRule).SetState(jsii.String(AllManagementEventsState))
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

// newGuard deploys one guard function of the catalogue: its function, an
// EventBridge rule per event source of its rules' triggers, and the grants
// of the kinds its rules judge.
func newGuard(scope constructs.Construct, fn rules.Function, s *shared) *Guard {
	c := constructs.NewConstruct(scope, jsii.String(constructID(fn.Name)))
	env := s.environment()
	if fn.Rechecks {
		s.addRecheckEnvironment(env)
	}
	g := &Guard{Construct: c, Name: fn.Name}
	g.Fn = newGuardFunction(c, "Handler", functionProps{
		name:                fn.Name,
		roleName:            s.roleName(fn.Name),
		description:         fn.Description,
		timeout:             awscdk.Duration_Seconds(jsii.Number(60)),
		reservedConcurrency: s.config.ReservedConcurrency,
		environment:         env,
		config:              s.config,
	})
	g.RuleDLQ = deadLetterQueue(c, "RuleDLQ")
	triggers := rules.Triggers(fn.Rules)
	for _, t := range triggers {
		id := "Rule"
		if svc, _, _ := strings.Cut(t.Source, "."); len(triggers) > 1 {
			id += constructID(svc)
		}
		if t.AllManagementEvents && len(triggers) > 1 {
			id += "AllManagementEvents"
		}
		g.Rules = append(g.Rules, NewCloudTrailRule(c, id, "vpcguard "+fn.Name+": the CloudTrail management events its rules evaluate",
			t, s.bus, targetWithDLQ(g.Fn, g.RuleDLQ)))
	}
	grantAccountAccess(g.Fn, fn.Rules, false, s)
	grantTicketing(g.Fn, s)
	if fn.Rechecks {
		g.allowRecheckSend(s)
		g.Fn.Function.AddEventSource(awslambdaeventsources.NewSqsEventSource(s.recheckQueue, &awslambdaeventsources.SqsEventSourceProps{
			BatchSize:               jsii.Number(1),
			ReportBatchItemFailures: jsii.Bool(true),
		}))
	}
	return g
}

// grantAccountAccess grants a function what it calls in the accounts it
// guards: in its own account, the calls themselves (grantRules, in every
// governed Region of an organization); in the other accounts of an
// organization, assuming their member role, which holds the same calls.
func grantAccountAccess(g *guardFunction, rs []rules.Rule, list bool, s *shared) {
	if s.config.Organization.Enabled() {
		grantAssumeMemberRole(g, s.config.Organization)
	}
	grantRules(g, rs, list, s)
}

// grantRules grants what evaluating and remediating rs's resource kinds
// calls, and attaching the guardrail to the caller when one of rs has
// statements in it. The backfill also lists the kinds; it knows no caller
// (a finding of what already exists has no CloudTrail event), so it is not
// granted the guardrail, unless it looks creators up and may guard them
// (creatorGuardrails).
func grantRules(g *guardFunction, rs []rules.Rule, backfill bool, s *shared) {
	grantKindOps(g, rs, backfill, s)
	if backfill && !s.config.CreatorGuardrails {
		return
	}
	for _, r := range rs {
		// A guard attaches the guardrail only for a rule it enforces (the
		// backfill, with creatorGuardrails, for any: its mode is chosen
		// per invocation).
		enforced := backfill || s.config.Functions().ModeFor(r).Remediates()
		if enforced && len(r.Guardrail()) > 0 && s.guardrailARN != nil {
			grantGuardrailAttach(g.Role, s.guardrailARN)
			return
		}
	}
}

func (g *Guard) allowRecheckSend(s *shared) {
	g.Fn.allow([]string{"sqs:SendMessage"}, []string{*s.recheckQueue.QueueArn()}, nil)
}

// constructID turns a function name into a construct id: model-guard is ModelGuard.
func constructID(name string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(name, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

func stringsToAny(ss []string) []interface{} {
	out := make([]interface{}, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
