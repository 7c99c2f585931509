// Package stack is the vpcguard CDK stack: one construct per guard, the backfill function,
// guardrail policies, the notebook re-check queue, dead-letter queues, alarms and an
// optional CloudTrail trail. infra/main.go only reads configuration and synthesizes it.
package stack

import (
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// BackfillName is the backfill function's name: its directory under functions/ and build/.
const BackfillName = "backfill"

// FunctionNames lists every function the stack deploys: the catalogue's guards
// (rules.Guards), then the backfill.
func FunctionNames() []string {
	var names []string
	for _, g := range rules.Guards() {
		names = append(names, g.Name)
	}
	return append(names, BackfillName)
}

// VpcGuardStack exposes its parts so tests can name them in the template.
type VpcGuardStack struct {
	awscdk.Stack
	Config            Config
	Guards            []*Guard // the catalogue's guards, in its order, then the backfill
	Backfill          *Guard
	AlarmTopic        awssns.Topic
	NotificationTopic awssns.Topic
	Guardrail         awsiam.ManagedPolicy // nil when no enforced rule has a guardrail
	RecheckQueue      awssqs.Queue
	RecheckDLQ        awssqs.Queue
	// Bus is the organization's central bus, which the guards' rules are on;
	// nil in the one-account stack, whose rules are on the default bus.
	Bus awsevents.EventBus
	// OrgBackfill is the organization backfill's state machine, its
	// orchestrator function and runs bucket; nil in the one-account stack.
	OrgBackfill *OrgBackfill
}

// Guard returns the function named name, or nil.
func (s *VpcGuardStack) Guard(name string) *Guard {
	for _, g := range s.Guards {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// shared is what every guard construct reads from the stack.
type shared struct {
	config            Config
	topicKey          awskms.Key
	notificationTopic awssns.Topic
	guardrail         awsiam.ManagedPolicy // the one-account stack's; nil in an organization or when no enforced rule has one
	// guardrailARN is the policy the functions attach: the stack's, or in an
	// organization the member-global stack's of the same name in each account
	// (the functions find it in the account of the event by that name); nil
	// when no enforced rule has a guardrail.
	guardrailARN *string
	// regions are the governed Regions of an organization: the functions'
	// own grants hold in each (nil: the stack's own Region).
	regions      []string
	recheckQueue awssqs.Queue
	bus          awsevents.IEventBus // nil: the default bus
}

// roleName is the name of a function's role: generated in one account, named
// in an organization, where member roles trust it by ARN.
func (s *shared) roleName(function string) string {
	if !s.config.Organization.Enabled() {
		return ""
	}
	return CentralRoleName(s.config.StackName, function)
}

// environment is the configuration every function reads; VPCGUARD_PROTECTED_PRINCIPALS is
// added once all function roles exist.
func (s *shared) environment() map[string]*string {
	c := s.config
	env := map[string]*string{
		config.EnvMode:                       jsii.String(c.Mode),
		config.EnvRuleModes:                  jsii.String(c.RuleModes),
		config.EnvDryRun:                     jsii.String(strconv.FormatBool(c.DryRun)),
		config.EnvSinks:                      jsii.String(strings.Join(c.Sinks, ",")),
		config.EnvSNSTopicARN:                s.notificationTopic.TopicArn(),
		config.EnvExemptTagKey:               jsii.String(c.ExemptTagKey),
		config.EnvDeleteNoncompliantModels:   jsii.String(strconv.FormatBool(c.DeleteNoncompliantModels)),
		config.EnvSwitchDomainsToVPCOnly:     jsii.String(strconv.FormatBool(c.SwitchDomainsToVPCOnly)),
		config.EnvJobLookbackDays:            jsii.String(strconv.Itoa(c.JobLookbackDays)),
		config.EnvPresignedURLAllowedSources: jsii.String(strings.Join(c.PresignedURLAllowedSources, ",")),
	}
	if s.guardrailARN != nil {
		env[config.EnvGuardrailARN] = s.guardrailARN
	}
	if c.Organization.Enabled() {
		centralEnv(env, c.Organization)
	}
	return env
}

func (s *shared) addRecheckEnvironment(env map[string]*string) {
	env[config.EnvRecheckQueueURL] = s.recheckQueue.QueueUrl()
	env[config.EnvRecheckDelaySeconds] = jsii.String(strconv.Itoa(s.config.RecheckDelaySeconds))
	env[config.EnvRecheckMaxAttempts] = jsii.String(strconv.Itoa(s.config.RecheckMaxAttempts))
}

// NewVpcGuardStack builds the stack from a validated Config and the catalogue's guard
// table (rules.Guards): every guard function, its event patterns, its grants and the
// guardrail come from the rules the table names.
func NewVpcGuardStack(scope constructs.Construct, id string, props *awscdk.StackProps, cfg Config, guards []rules.Function) *VpcGuardStack {
	st := awscdk.NewStack(scope, jsii.String(id), props)
	// Server access logs delivered under a bucket policy rather than the legacy
	// LogDeliveryWrite ACL, so the log bucket can disable ACLs like every other bucket.
	st.Node().SetContext(jsii.String("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"), true)
	s := &VpcGuardStack{Stack: st, Config: cfg}

	key := awskms.NewKey(st, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("vpcguard: encrypts the alarm and notification topics"),
		EnableKeyRotation: jsii.Bool(true),
	})
	// CloudWatch alarms publish to the encrypted topic as the cloudwatch service, which
	// needs the key; the AWS managed SNS key cannot grant that.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey"),
		Resources:  jsii.Strings("*"),
	}), jsii.Bool(false))

	s.AlarmTopic = awssns.NewTopic(st, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("vpcguard alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	// enforceSSL gives the topic a policy, which replaces SNS's default one: without this
	// statement the alarms in this account could no longer publish.
	s.AlarmTopic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowThisAccountsAlarmsToPublish"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{s.AlarmTopic.TopicArn()},
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
			"ArnLike":      map[string]interface{}{"aws:SourceArn": arn("arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*")},
		},
	}))
	s.NotificationTopic = s.AlarmTopic
	if cfg.SeparateNotificationTopic {
		s.NotificationTopic = awssns.NewTopic(st, jsii.String("NotificationTopic"), &awssns.TopicProps{
			DisplayName: jsii.String("vpcguard findings"),
			MasterKey:   key,
			EnforceSSL:  jsii.Bool(true),
		})
	}
	if cfg.NotificationEmail != "" {
		s.AlarmTopic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(cfg.NotificationEmail), nil))
		if cfg.SeparateNotificationTopic {
			s.NotificationTopic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(cfg.NotificationEmail), nil))
		}
	}

	// The rules as the functions run them: with the operator's settings
	// (the presigned URL allow-list is in the guardrail).
	guards = slices.Clone(guards)
	for i := range guards {
		guards[i].Rules = rules.Configured(guards[i].Rules, cfg.Functions().RuleSettings())
	}
	var all []rules.Rule
	for _, fn := range guards {
		all = append(all, fn.Rules...)
	}
	var guardrailARN *string
	if cfg.Organization.Enabled() {
		s.Bus = newCentralBus(st, cfg.Organization)
		// IAM attaches only policies of the principal's own account: the
		// guardrail is the member-global stack's, in every account including
		// this one (the functions swap the account of this ARN for the
		// event's).
		if _, ok := rules.GuardrailPolicy(rules.Enforced(all, cfg.Functions().ModeFor)); ok {
			guardrailARN = jsii.String(arn("arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/" + MemberGuardrailName(cfg.Organization)))
		}
	} else {
		s.Guardrail = newGuardrail(st, "Guardrail", "", cfg, all)
		if s.Guardrail != nil {
			guardrailARN = s.Guardrail.ManagedPolicyArn()
		}
	}

	s.RecheckDLQ = awssqs.NewQueue(st, jsii.String("RecheckDLQ"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	s.RecheckQueue = awssqs.NewQueue(st, jsii.String("RecheckQueue"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL: jsii.Bool(true),
		// Six times the consumer's timeout, as Lambda recommends for SQS event sources.
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(360)),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: s.RecheckDLQ, MaxReceiveCount: jsii.Number(5)},
	})

	sh := &shared{
		config:            cfg,
		topicKey:          key,
		notificationTopic: s.NotificationTopic,
		guardrail:         s.Guardrail,
		guardrailARN:      guardrailARN,
		recheckQueue:      s.RecheckQueue,
	}
	if s.Bus != nil {
		sh.bus = s.Bus
		sh.regions = cfg.Organization.Regions()
	}
	for _, fn := range guards {
		s.Guards = append(s.Guards, newGuard(st, fn, sh))
	}
	s.Backfill = NewBackfill(st, "Backfill", sh, all)
	s.Guards = append(s.Guards, s.Backfill)
	if cfg.Organization.Enabled() {
		s.OrgBackfill = newOrgBackfill(st, sh, s.Backfill, s.AlarmTopic)
	}

	// A guard must never act on vpcguard's own calls (tagging, stopping, attaching).
	principals := make([]*string, 0, len(cfg.ProtectedPrincipals)+len(s.Guards))
	principals = append(principals, *jsii.Strings(cfg.ProtectedPrincipals...)...)
	for _, g := range s.Guards {
		principals = append(principals, g.Fn.Role.RoleArn())
	}
	if cfg.Organization.Enabled() {
		principals = append(principals, jsii.String(memberRolePattern(cfg.Organization)))
	}
	protected := awscdk.Fn_Join(jsii.String(","), &principals)
	for _, g := range s.Guards {
		g.Fn.Function.AddEnvironment(jsii.String(config.EnvProtectedPrincipals), protected, nil)
	}

	for _, g := range s.Guards {
		addFunctionAlarms(g.Fn, g.Name, s.AlarmTopic)
		addQueueAlarm(g.Fn.Construct, "FailureDLQAlarm", "vpcguard "+g.Name+": asynchronous invocations failed", g.Fn.FailureDLQ, s.AlarmTopic)
		if g.RuleDLQ != nil {
			addQueueAlarm(g.Construct, "RuleDLQAlarm", "vpcguard "+g.Name+": EventBridge could not deliver events", g.RuleDLQ, s.AlarmTopic)
		}
	}
	addQueueAlarm(st, "RecheckDLQAlarm", "vpcguard notebook re-checks failed 5 times", s.RecheckDLQ, s.AlarmTopic)
	if o := s.OrgBackfill; o != nil {
		addFunctionAlarms(o.Orchestrator.Fn, OrchestratorName, s.AlarmTopic)
		addQueueAlarm(o.Orchestrator.Fn.Construct, "FailureDLQAlarm", "vpcguard "+OrchestratorName+": asynchronous invocations failed", o.Orchestrator.Fn.FailureDLQ, s.AlarmTopic)
	}

	if cfg.CreateTrail {
		newTrail(st, "ManagementEventsTrail", rules.NeedReadEvents(all))
	}

	s.addOutputs()
	return s
}

func (s *VpcGuardStack) output(id, description string, value *string) {
	awscdk.NewCfnOutput(s.Stack, jsii.String(id), &awscdk.CfnOutputProps{
		Description: jsii.String(description),
		Value:       value,
	})
}

func (s *VpcGuardStack) addOutputs() {
	for _, g := range s.Guards {
		id := constructID(g.Name)
		s.output(id+"FunctionName", "Lambda function "+g.Name, g.Fn.Function.FunctionName())
		s.output(id+"FailureDLQUrl", g.Name+" asynchronous invocation failures", g.Fn.FailureDLQ.QueueUrl())
		if g.RuleDLQ != nil {
			s.output(id+"RuleDLQUrl", g.Name+" events EventBridge could not deliver", g.RuleDLQ.QueueUrl())
		}
	}
	s.output("AlarmTopicArn", "SNS topic for vpcguard alarms: subscribe operators here", s.AlarmTopic.TopicArn())
	s.output("NotificationTopicArn", "SNS topic vpcguard publishes findings to", s.NotificationTopic.TopicArn())
	if s.Guardrail != nil {
		s.output("GuardrailArn", "IAM policy attached to principals that broke an enforced rule", s.Guardrail.ManagedPolicyArn())
	}
	s.output("RecheckQueueUrl", "SQS queue of delayed notebook re-checks", s.RecheckQueue.QueueUrl())
	s.output("RecheckDLQUrl", "notebook re-checks that failed 5 times", s.RecheckDLQ.QueueUrl())
	if o := s.OrgBackfill; o != nil {
		s.output("OrgBackfillStateMachineArn", "the organization backfill: start an execution (input: accounts, regions, rules, mode, dryRun, configAggregator)", o.StateMachine.StateMachineArn())
		s.output("OrgBackfillRunsBucket", "the organization backfill's plans, shard records and summaries (runs/<execution name>/)", o.Bucket.BucketName())
		s.output("BackfillOrchestratorFunctionName", "Lambda function "+OrchestratorName, o.Orchestrator.Fn.Function.FunctionName())
	}
	if s.Bus != nil {
		s.output("CentralBusArn", "the bus member accounts forward CloudTrail events to", s.Bus.EventBusArn())
		s.output("MemberRoleName", "the role the functions assume in each account", jsii.String(s.Config.Organization.MemberRoleName))
	}
}
