package stack

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
)

// OrchestratorName is the organization backfill's plan-and-summary
// function: its directory under functions/ and build/. It acts in no member
// account, so the member role does not trust it (FunctionNames).
const OrchestratorName = "backfill-orchestrator"

// AllFunctionNames is every function under functions/: the ones that act in
// accounts (FunctionNames) and the orchestrator, which the organization
// deployment adds.
func AllFunctionNames() []string { return append(FunctionNames(), OrchestratorName) }

// OrgBackfill is the organization backfill in the central stack: a Step
// Functions state machine that plans the shards (the orchestrator
// function), runs the backfill function once per (account, Region) through
// a Distributed Map, and sums the shards up; the bucket its runs are kept
// in; and, with backfillSchedule, the schedule that starts it.
type OrgBackfill struct {
	constructs.Construct
	Orchestrator *Guard
	StateMachine awsstepfunctions.StateMachine
	Bucket       awss3.Bucket
	LogGroup     awslogs.LogGroup
	Schedule     awsevents.Rule // nil without backfillSchedule
	ScheduleDLQ  awssqs.Queue
	// Definition is the state machine's definition as the stack renders
	// it (with the functions' ARNs as tokens).
	Definition orgbackfill.Definition
}

// StateMachineName is the state machine's name: the roles name it in ARNs,
// which a generated name would make circular.
func StateMachineName(c Config) string { return c.StackName + "-org-backfill" }

// newOrgBackfill builds the orchestration of the organization backfill,
// whose shards run in backfill.
func newOrgBackfill(scope constructs.Construct, s *shared, backfill *Guard, alarmTopic awssns.ITopic) *OrgBackfill {
	c := s.config
	o := &OrgBackfill{Construct: constructs.NewConstruct(scope, jsii.String("OrgBackfill"))}
	o.Bucket = awss3.NewBucket(o.Construct, jsii.String("Runs"), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:         jsii.String("ExpireRuns"),
			Prefix:     jsii.String("runs/"),
			Expiration: awscdk.Duration_Days(jsii.Number(90)),
		}},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(o.Bucket, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-S1"),
		Reason: jsii.String("The bucket holds only the organization backfill's own plans and shard records, written and read by vpcguard's roles and expired after 90 days; a server access log bucket would need the same exemption."),
	}}, jsii.Bool(false))

	o.Orchestrator = newOrchestrator(o.Construct, s, o.Bucket)

	o.Definition = orgbackfill.Definition{
		Orchestrator:            *o.Orchestrator.Fn.Function.FunctionArn(),
		Backfill:                *backfill.Fn.Function.FunctionArn(),
		Bucket:                  *o.Bucket.BucketName(),
		MaxConcurrency:          c.BackfillMaxConcurrency,
		ToleratedFailurePercent: c.BackfillToleratedFailurePercent,
	}
	definition, err := o.Definition.JSON()
	if err != nil {
		panic("stack: " + err.Error()) // Validate checked every setting it reads
	}
	o.LogGroup = awslogs.NewLogGroup(o.Construct, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     retentionDays[c.LogRetentionDays],
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	o.StateMachine = awsstepfunctions.NewStateMachine(o.Construct, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		StateMachineName: jsii.String(StateMachineName(c)),
		Comment:          jsii.String("vpcguard: backfill every account and Region of the organization, one shard each"),
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromString(jsii.String(definition)),
		StateMachineType: awsstepfunctions.StateMachineType_STANDARD,
		Logs: &awsstepfunctions.LogOptions{
			Destination: o.LogGroup,
			Level:       awsstepfunctions.LogLevel_ALL,
			// The shards' findings are in the functions' logs; the
			// execution data would repeat every input and output.
			IncludeExecutionData: jsii.Bool(false),
		},
		TracingEnabled: jsii.Bool(c.Tracing),
	})
	grantStateMachine(o, c, backfill)
	if !c.Tracing {
		cdknag.NagSuppressions_AddResourceSuppressions(o.StateMachine, &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("AwsSolutions-SF2"),
			Reason: jsii.String("X-Ray follows the tracing context key, as for the functions (off by default); the state machine logs every state's events to CloudWatch Logs."),
		}}, jsii.Bool(false))
	}
	alarmAboveZero(o.Construct, "ExecutionsFailedAlarm", "vpcguard organization backfill: a run failed (more shards failed than tolerated, or it could not be planned)",
		o.StateMachine.MetricFailed(fiveMinuteSum()), alarmTopic)
	alarmAboveZero(o.Construct, "ExecutionsTimedOutAlarm", "vpcguard organization backfill: a run timed out",
		o.StateMachine.MetricTimedOut(fiveMinuteSum()), alarmTopic)

	if c.BackfillSchedule != "" {
		o.ScheduleDLQ = deadLetterQueue(o.Construct, "ScheduleDLQ")
		o.Schedule = awsevents.NewRule(o.Construct, jsii.String("Schedule"), &awsevents.RuleProps{
			Description: jsii.String("vpcguard organization backfill: periodic re-evaluation of every account and Region"),
			Schedule:    awsevents.Schedule_Expression(jsii.String(c.BackfillSchedule)),
			Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSfnStateMachine(o.StateMachine, &awseventstargets.SfnStateMachineProps{
				// Every default: the organization's accounts, the governed
				// Regions, the configured aggregator.
				Input:           awsevents.RuleTargetInput_FromObject(map[string]any{}),
				DeadLetterQueue: o.ScheduleDLQ,
				MaxEventAge:     awscdk.Duration_Hours(jsii.Number(2)),
				RetryAttempts:   jsii.Number(8),
			})},
		})
		addQueueAlarm(o.Construct, "ScheduleDLQAlarm", "vpcguard organization backfill: EventBridge could not start a scheduled run", o.ScheduleDLQ, alarmTopic)
	}
	return o
}

// newOrchestrator is the function of the plan and summary steps. It lists
// the organization's accounts and asks Config: the management account or a
// delegated administrator of Organizations may list them (see the README),
// and nothing else here is granted either call.
func newOrchestrator(scope constructs.Construct, s *shared, bucket awss3.Bucket) *Guard {
	c := s.config
	env := s.environment()
	env[config.EnvRunsBucket] = bucket.BucketName()
	env[config.EnvBackfillRegions] = jsii.String(strings.Join(c.Organization.Regions(), ","))
	env[config.EnvConfigAggregator] = jsii.String(c.ConfigAggregator)
	g := &Guard{Construct: constructs.NewConstruct(scope, jsii.String("Orchestrator")), Name: OrchestratorName}
	g.Fn = newGuardFunction(g.Construct, "Handler", functionProps{
		name:        OrchestratorName,
		description: "vpcguard: plan the organization backfill's shards and sum them up (the state machine's first and last steps)",
		// Planning asks Config for every resource of the organization,
		// and summing reads a record per shard.
		timeout:     awscdk.Duration_Minutes(jsii.Number(15)),
		environment: env,
		config:      c,
	})
	// ListAccounts has no resource type: Resource "*".
	g.Fn.allow([]string{"organizations:ListAccounts"}, []string{"*"}, nil)
	g.Fn.suppressWildcards(reasonNoResourceLevel+" (organizations:ListAccounts)", "Resource::*")
	// {"regions": ["all"]}: the central account's enabled Regions.
	allowGrants(g.Fn.Role, []Grant{{Actions: []string{"ec2:DescribeRegions"}, Resource: "*"}}, s.regions)
	if c.ConfigAggregator != "" {
		// The one aggregator named (Validate checked that the ARN is the
		// central account's in the home Region, and that its name is given
		// too: the API takes the name, IAM authorizes the ARN). A run that
		// names another aggregator is refused by IAM and lists instead.
		g.Fn.allow([]string{"config:SelectAggregateResourceConfig"}, []string{c.ConfigAggregatorARN}, nil)
	}
	runs := *bucket.BucketArn() + "/runs/*"
	g.Fn.allow([]string{"s3:PutObject", "s3:GetObject"}, []string{runs}, nil)
	g.Fn.allow([]string{"s3:ListBucket"}, []string{*bucket.BucketArn()}, map[string]interface{}{
		"StringLike": map[string]interface{}{"s3:prefix": "runs/*"}})
	g.Fn.suppressWildcards("Each run keeps its plan, shard list, records and summary under runs/<execution name>/, a name only known when the run starts.",
		"Resource::<"+logicalID(bucket)+".Arn>/runs/*")
	return g
}

// grantStateMachine grants the state machine exactly its tasks' calls: the
// two functions, the runs bucket (the map's ItemReader, the records), and
// the Distributed Map's child executions of itself.
func grantStateMachine(o *OrgBackfill, c Config, backfill *Guard) {
	role := o.StateMachine.Role()
	// The tasks name the functions by their unqualified ARNs
	// (Definition.Orchestrator, .Backfill): no version or alias is invoked,
	// so no ARN:* is granted.
	fns := []*string{o.Orchestrator.Fn.Function.FunctionArn(), backfill.Fn.Function.FunctionArn()}
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("lambda:InvokeFunction"), Resources: &fns}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("s3:GetObject", "s3:PutObject"), Resources: jsii.Strings(*o.Bucket.BucketArn() + "/runs/*")}))
	name := StateMachineName(c)
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("states:StartExecution"),
		Resources: jsii.Strings(arn("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:" + name))}))
	executions := "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:" + name + "/*"
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings("states:DescribeExecution", "states:StopExecution"), Resources: jsii.Strings(arn(executions))}))
	reasons := []*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("The runs bucket's objects are under runs/<execution name>/, known when a run starts; the Distributed Map's child executions are named by Step Functions (execution:<state machine>/<map run>:<id>); CloudWatch Logs delivery and X-Ray take no resource (added by the CDK for logging and tracing)."),
		AppliesTo: &[]interface{}{
			jsii.String("Resource::<" + logicalID(o.Bucket) + ".Arn>/runs/*"),
			jsii.String("Resource::" + nagPattern(executions)),
			jsii.String("Resource::*"),
		},
	}}
	cdknag.NagSuppressions_AddResourceSuppressions(role, &reasons, jsii.Bool(true))
}

// logicalID is a construct's logical id, as cdk-nag names its ARN in a
// finding (<LogicalId.Arn>).
func logicalID(c constructs.IConstruct) string {
	return *awscdk.Stack_Of(c).GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}
