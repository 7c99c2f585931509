// Package stack is the vpcguard CDK stack: one construct per guard, the backfill function,
// guardrail policies, the notebook re-check queue, dead-letter queues, alarms and an
// optional CloudTrail trail. infra/main.go only reads configuration and synthesizes it.
package stack

import (
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// VpcGuardStack exposes its parts so tests can name them in the template.
type VpcGuardStack struct {
	awscdk.Stack
	Config            Config
	ModelGuard        *Guard
	EndpointGuard     *Guard
	NotebookGuard     *Guard
	Backfill          *Guard
	AlarmTopic        awssns.Topic
	NotificationTopic awssns.Topic
	ModelGuardrail    awsiam.ManagedPolicy
	NotebookGuardrail awsiam.ManagedPolicy
	RecheckQueue      awssqs.Queue
	RecheckDLQ        awssqs.Queue
}

// Guards lists the four functions in a fixed order.
func (s *VpcGuardStack) Guards() []*Guard {
	return []*Guard{s.ModelGuard, s.EndpointGuard, s.NotebookGuard, s.Backfill}
}

// shared is what every guard construct reads from the stack.
type shared struct {
	config            Config
	topicKey          awskms.Key
	notificationTopic awssns.Topic
	modelGuardrail    awsiam.ManagedPolicy
	notebookGuardrail awsiam.ManagedPolicy
	recheckQueue      awssqs.Queue
}

// environment is the configuration every function reads; VPCGUARD_PROTECTED_PRINCIPALS is
// added once all function roles exist.
func (s *shared) environment() map[string]*string {
	c := s.config
	return map[string]*string{
		"VPCGUARD_MODE":                       jsii.String(c.Mode),
		"VPCGUARD_RULE_MODES":                 jsii.String(c.RuleModes),
		"VPCGUARD_DRY_RUN":                    jsii.String(strconv.FormatBool(c.DryRun)),
		"VPCGUARD_SINKS":                      jsii.String(strings.Join(c.Sinks, ",")),
		"VPCGUARD_SNS_TOPIC_ARN":              s.notificationTopic.TopicArn(),
		"VPCGUARD_EXEMPT_TAG_KEY":             jsii.String(c.ExemptTagKey),
		"VPCGUARD_MODEL_GUARDRAIL_ARN":        s.modelGuardrail.ManagedPolicyArn(),
		"VPCGUARD_NOTEBOOK_GUARDRAIL_ARN":     s.notebookGuardrail.ManagedPolicyArn(),
		"VPCGUARD_DELETE_NONCOMPLIANT_MODELS": jsii.String(strconv.FormatBool(c.DeleteNoncompliantModels)),
	}
}

func (s *shared) addRecheckEnvironment(env map[string]*string) {
	env["VPCGUARD_RECHECK_QUEUE_URL"] = s.recheckQueue.QueueUrl()
	env["VPCGUARD_RECHECK_DELAY_SECONDS"] = jsii.String(strconv.Itoa(s.config.RecheckDelaySeconds))
	env["VPCGUARD_RECHECK_MAX_ATTEMPTS"] = jsii.String(strconv.Itoa(s.config.RecheckMaxAttempts))
}

// NewVpcGuardStack builds the stack from a validated Config.
func NewVpcGuardStack(scope constructs.Construct, id string, props *awscdk.StackProps, config Config) *VpcGuardStack {
	st := awscdk.NewStack(scope, jsii.String(id), props)
	// Server access logs delivered under a bucket policy rather than the legacy
	// LogDeliveryWrite ACL, so the log bucket can disable ACLs like every other bucket.
	st.Node().SetContext(jsii.String("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"), true)
	s := &VpcGuardStack{Stack: st, Config: config}

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
	if config.SeparateNotificationTopic {
		s.NotificationTopic = awssns.NewTopic(st, jsii.String("NotificationTopic"), &awssns.TopicProps{
			DisplayName: jsii.String("vpcguard findings"),
			MasterKey:   key,
			EnforceSSL:  jsii.Bool(true),
		})
	}
	if config.NotificationEmail != "" {
		s.AlarmTopic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(config.NotificationEmail), nil))
		if config.SeparateNotificationTopic {
			s.NotificationTopic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(config.NotificationEmail), nil))
		}
	}

	s.ModelGuardrail = newModelGuardrail(st, "ModelGuardrail")
	s.NotebookGuardrail = newNotebookGuardrail(st, "NotebookGuardrail")

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
		config:            config,
		topicKey:          key,
		notificationTopic: s.NotificationTopic,
		modelGuardrail:    s.ModelGuardrail,
		notebookGuardrail: s.NotebookGuardrail,
		recheckQueue:      s.RecheckQueue,
	}
	s.ModelGuard = NewModelGuard(st, "ModelGuard", sh)
	s.EndpointGuard = NewEndpointGuard(st, "EndpointGuard", sh)
	s.NotebookGuard = NewNotebookGuard(st, "NotebookGuard", sh)
	s.Backfill = NewBackfill(st, "Backfill", sh)

	// A guard must never act on vpcguard's own calls (tagging, stopping, attaching).
	principals := make([]*string, 0, len(config.ProtectedPrincipals)+4)
	principals = append(principals, *jsii.Strings(config.ProtectedPrincipals...)...)
	for _, g := range s.Guards() {
		principals = append(principals, g.Fn.Role.RoleArn())
	}
	protected := awscdk.Fn_Join(jsii.String(","), &principals)
	for _, g := range s.Guards() {
		g.Fn.Function.AddEnvironment(jsii.String("VPCGUARD_PROTECTED_PRINCIPALS"), protected, nil)
	}

	for _, g := range s.Guards() {
		addFunctionAlarms(g.Fn, g.Name, s.AlarmTopic)
		addQueueAlarm(g.Fn.Construct, "FailureDLQAlarm", "vpcguard "+g.Name+": asynchronous invocations failed", g.Fn.FailureDLQ, s.AlarmTopic)
		if g.RuleDLQ != nil {
			addQueueAlarm(g.Construct, "RuleDLQAlarm", "vpcguard "+g.Name+": EventBridge could not deliver events", g.RuleDLQ, s.AlarmTopic)
		}
	}
	addQueueAlarm(st, "RecheckDLQAlarm", "vpcguard notebook re-checks failed 5 times", s.RecheckDLQ, s.AlarmTopic)

	if config.CreateTrail {
		newTrail(st, "ManagementEventsTrail")
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
	names := map[string]string{
		ModelGuardName: "ModelGuard", EndpointGuardName: "EndpointGuard",
		NotebookGuardName: "NotebookGuard", BackfillName: "Backfill",
	}
	for _, g := range s.Guards() {
		id := names[g.Name]
		s.output(id+"FunctionName", "Lambda function "+g.Name, g.Fn.Function.FunctionName())
		s.output(id+"FailureDLQUrl", g.Name+" asynchronous invocation failures", g.Fn.FailureDLQ.QueueUrl())
		if g.RuleDLQ != nil {
			s.output(id+"RuleDLQUrl", g.Name+" events EventBridge could not deliver", g.RuleDLQ.QueueUrl())
		}
	}
	s.output("AlarmTopicArn", "SNS topic for vpcguard alarms: subscribe operators here", s.AlarmTopic.TopicArn())
	s.output("NotificationTopicArn", "SNS topic vpcguard publishes findings to", s.NotificationTopic.TopicArn())
	s.output("ModelGuardrailArn", "IAM policy denying SageMaker models outside a VPC", s.ModelGuardrail.ManagedPolicyArn())
	s.output("NotebookGuardrailArn", "IAM policy denying notebooks with direct internet access", s.NotebookGuardrail.ManagedPolicyArn())
	s.output("RecheckQueueUrl", "SQS queue of delayed notebook re-checks", s.RecheckQueue.QueueUrl())
	s.output("RecheckDLQUrl", "notebook re-checks that failed 5 times", s.RecheckDLQ.QueueUrl())
}
