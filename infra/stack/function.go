package stack

import (
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS,
	5: awslogs.RetentionDays_FIVE_DAYS, 7: awslogs.RetentionDays_ONE_WEEK,
	14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS,
	120: awslogs.RetentionDays_FOUR_MONTHS, 150: awslogs.RetentionDays_FIVE_MONTHS,
	180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS,
	731: awslogs.RetentionDays_TWO_YEARS, 1096: awslogs.RetentionDays_THREE_YEARS,
	1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS,
	3288: awslogs.RetentionDays_NINE_YEARS, 3653: awslogs.RetentionDays_TEN_YEARS,
}

type functionProps struct {
	name                string // directory under the asset dir holding bootstrap
	description         string
	timeout             awscdk.Duration
	reservedConcurrency int // 0: unreserved
	environment         map[string]*string
	config              Config
}

// guardFunction is one vpcguard Lambda function with its own role, log group and
// on-failure dead-letter queue. Its role starts empty: every permission is added by the
// construct that owns the function, so the policy reads as the list of calls it makes.
type guardFunction struct {
	constructs.Construct
	Function   awslambda.Function
	Role       awsiam.Role
	LogGroup   awslogs.LogGroup
	FailureDLQ awssqs.Queue
}

func newGuardFunction(scope constructs.Construct, id string, p functionProps) *guardFunction {
	c := constructs.NewConstruct(scope, jsii.String(id))
	g := &guardFunction{Construct: c}

	g.Role = awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("vpcguard " + p.name + ": only the calls this function makes"),
	})
	g.LogGroup = awslogs.NewLogGroup(c, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     retentionDays[p.config.LogRetentionDays],
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	g.LogGroup.GrantWrite(g.Role)
	g.FailureDLQ = deadLetterQueue(c, "FailureDLQ")

	tracing := awslambda.Tracing_DISABLED
	if p.config.Tracing {
		tracing = awslambda.Tracing_ACTIVE
	}
	props := &awslambda.FunctionProps{
		Description:   jsii.String(p.description),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          awslambda.Code_FromAsset(jsii.String(filepath.Join(p.config.AssetDir, p.name)), nil),
		MemorySize:    jsii.Number(256),
		Timeout:       p.timeout,
		Role:          g.Role,
		LogGroup:      g.LogGroup,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		// The functions log through lambdacontext.NewLogger, which reads the level
		// Lambda sets from this (AWS_LAMBDA_LOG_LEVEL).
		ApplicationLogLevelV2: logLevels[p.config.LogLevel],
		Tracing:               tracing,
		Environment:           &p.environment,
		OnFailure:             awslambdadestinations.NewSqsDestination(g.FailureDLQ),
		RetryAttempts:         jsii.Number(2),
		MaxEventAge:           awscdk.Duration_Hours(jsii.Number(6)),
	}
	if p.reservedConcurrency > 0 {
		props.ReservedConcurrentExecutions = jsii.Number(float64(p.reservedConcurrency))
	}
	g.Function = awslambda.NewFunction(c, jsii.String("Function"), props)

	if p.config.Tracing {
		cdknag.NagSuppressions_AddResourceSuppressions(g.Role, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions; CDK adds them only when tracing is on."),
			AppliesTo: &[]interface{}{jsii.String("Resource::*")},
		}}, jsii.Bool(true))
	}
	return g
}

// allow adds one statement to the function's role.
func (g *guardFunction) allow(actions []string, resources []string, conditions map[string]interface{}) {
	props := &awsiam.PolicyStatementProps{
		Effect:    awsiam.Effect_ALLOW,
		Actions:   jsii.Strings(actions...),
		Resources: jsii.Strings(resources...),
	}
	if conditions != nil {
		props.Conditions = &conditions
	}
	g.Role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(props))
}

// suppressWildcards records why the role's wildcard resources cannot be narrower. appliesTo
// lists the exact cdk-nag finding strings, so any new wildcard still fails the check.
func (g *guardFunction) suppressWildcards(reason string, appliesTo ...string) {
	if len(appliesTo) == 0 {
		return
	}
	findings := make([]interface{}, len(appliesTo))
	for i, a := range appliesTo {
		findings[i] = jsii.String(a)
	}
	cdknag.NagSuppressions_AddResourceSuppressions(g.Role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String(reason),
		AppliesTo: &findings,
	}}, jsii.Bool(true))
}
