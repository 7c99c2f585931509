package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/vpcguard/vpcguard/shared/rules"
)

// The member stacks go to every account of the target OUs as StackSets, and
// to the management account (which service-managed StackSets skip) as plain
// stacks. Neither may need anything a member account lacks: no Lambda code,
// no file assets, no custom resources, and no CDK bootstrap (the
// bootstrapless synthesizer writes no BootstrapVersion parameter or rule, and
// fails the synthesis if anything adds an asset).
func memberStackProps(description string) *awscdk.StackProps {
	return &awscdk.StackProps{
		Description:        jsii.String(description),
		Synthesizer:        awscdk.NewBootstraplessSynthesizer(&awscdk.BootstraplessSynthesizerProps{}),
		AnalyticsReporting: jsii.Bool(false), // no AWS::CDK::Metadata resource
	}
}

// MemberGlobalName and MemberRegionalName are the member stacks' names in the
// app (for the management account) and the suffixes of their StackSets' names.
func MemberGlobalName(c Config) string   { return c.StackName + "MemberGlobal" }
func MemberRegionalName(c Config) string { return c.StackName + "MemberRegional" }

// MemberGlobalStack is what a member account holds once, in one Region,
// because IAM is global: the role the central functions act through, and
// the guardrail policy they attach (IAM attaches only policies of the same
// account).
type MemberGlobalStack struct {
	awscdk.Stack
	Role      awsiam.Role
	Guardrail awsiam.ManagedPolicy // nil when no enforced rule has a guardrail
}

// NewMemberGlobalStack builds the member-global stack from the catalogue: the
// role's calls are those of every kind the rules judge (read, list, remedies,
// as rules.Kinds declares them), attaching the guardrail, and the ticket sinks
// filed in the member account.
func NewMemberGlobalStack(scope constructs.Construct, cfg Config, guards []rules.Function) *MemberGlobalStack {
	o := cfg.Organization
	st := awscdk.NewStack(scope, jsii.String(MemberGlobalName(cfg)), memberStackProps(
		"vpcguard member (global): the role vpcguard's central functions act through in this account, and the guardrail policy"))
	s := &MemberGlobalStack{Stack: st}
	all := allRules(guards)

	principals := make([]awsiam.IPrincipal, 0, len(FunctionNames()))
	for _, a := range CentralRoleARNs(cfg) {
		principals = append(principals, awsiam.NewArnPrincipal(jsii.String(a)))
	}
	s.Role = awsiam.NewRole(st, jsii.String("MemberRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(o.MemberRoleName),
		Description: jsii.String("vpcguard: assumed by the central guards and backfill (" + o.CentralAccount + ") to read, remediate and ticket SageMaker resources in this account"),
		// Only the central functions' roles, named by ARN, and only while
		// they belong to the organization.
		AssumedBy: awsiam.NewPrincipalWithConditions(awsiam.NewCompositePrincipal(principals...), &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": o.ID},
		}),
		MaxSessionDuration: awscdk.Duration_Hours(jsii.Number(1)),
	})

	regions := o.Regions()
	allowGrants(s.Role, KindGrants(all, true, cfg), regions)
	// The backfill asks which Regions the account has enabled.
	allowGrants(s.Role, []Grant{{Actions: []string{"ec2:DescribeRegions"}, Resource: "*"}}, regions)
	allowGrants(s.Role, TicketGrants(cfg), regions)
	if cfg.LookupCreators {
		// The backfill looks up, in each account's event history, who
		// created what it finds (LookupEvents has no resource type).
		allowGrants(s.Role, []Grant{{Actions: []string{"cloudtrail:LookupEvents"}, Resource: "*"}}, regions)
	}

	s.Guardrail = newGuardrail(st, "Guardrail", MemberGuardrailName(o), cfg, all)
	if s.Guardrail != nil {
		grantGuardrailAttach(s.Role, s.Guardrail.ManagedPolicyArn())
	}

	awscdk.NewCfnOutput(st, jsii.String("MemberRoleArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("the role vpcguard's central functions assume in this account"),
		Value:       s.Role.RoleArn(),
	})
	return s
}

// MemberRegionalStack is what a member account holds in every governed
// Region: rules on the default bus forwarding the catalogue's CloudTrail
// events to the central bus, the role EventBridge sends them with, and a
// dead-letter queue for what cannot be delivered.
type MemberRegionalStack struct {
	awscdk.Stack
	Rules         []awsevents.Rule
	ForwarderRole awsiam.Role
	DLQ           awssqs.Queue
}

// NewMemberRegionalStack builds the forwarding rules from the catalogue, one
// per event source over every guard's rules (rules.Triggers), each with the
// pattern the central guards' rules have, so an event is forwarded once
// however many guards evaluate it.
func NewMemberRegionalStack(scope constructs.Construct, cfg Config, guards []rules.Function) *MemberRegionalStack {
	o := cfg.Organization
	st := awscdk.NewStack(scope, jsii.String(MemberRegionalName(cfg)), memberStackProps(
		"vpcguard member (regional): forwards the CloudTrail events vpcguard's rules evaluate to the central bus"))
	s := &MemberRegionalStack{Stack: st}

	// IAM is global: the Region in the name keeps the stacks of one account's
	// Regions from colliding.
	s.ForwarderRole = awsiam.NewRole(st, jsii.String("ForwarderRole"), &awsiam.RoleProps{
		RoleName:    awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(ForwarderRoleName(o, "")), awscdk.Aws_REGION()}),
		Description: jsii.String("vpcguard: EventBridge puts this Region's CloudTrail events on the central bus " + o.BusName + " (" + o.CentralAccount + ", " + o.HomeRegion + ")"),
		AssumedBy: awsiam.NewPrincipalWithConditions(awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil), &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
		}),
	})
	s.DLQ = deadLetterQueue(st, "ForwardDLQ")
	bus := awsevents.EventBus_FromEventBusArn(st, jsii.String("CentralBus"), jsii.String(CentralBusARN(o)))
	target := awseventstargets.NewEventBus(bus, &awseventstargets.EventBusProps{DeadLetterQueue: s.DLQ, Role: s.ForwarderRole})

	for _, t := range rules.Triggers(allRules(guards)) {
		svc, _, _ := strings.Cut(t.Source, ".")
		id := "Forward" + constructID(svc)
		if t.AllManagementEvents {
			// Calls that may be read-only events have a rule of their own,
			// in the state that delivers them (NewCloudTrailRule).
			id += "AllManagementEvents"
		}
		s.Rules = append(s.Rules, NewCloudTrailRule(st, id,
			"vpcguard: forward the "+t.Source+" calls vpcguard's rules evaluate to the central bus", t, nil, target))
	}

	awscdk.NewCfnOutput(st, jsii.String("ForwardDLQUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("events EventBridge could not deliver to the central bus"),
		Value:       s.DLQ.QueueUrl(),
	})
	return s
}

func allRules(guards []rules.Function) []rules.Rule {
	var all []rules.Rule
	for _, fn := range guards {
		all = append(all, fn.Rules...)
	}
	return all
}
