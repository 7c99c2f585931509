package stack

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// NewBackfill is the function that evaluates what already exists (the guards only see new
// calls). Operators invoke it by hand; backfillSchedule adds a schedule.
func NewBackfill(scope constructs.Construct, id string, s *shared, all []rules.Rule) *Guard {
	c := constructs.NewConstruct(scope, jsii.String(id))
	env := s.environment()
	s.addRecheckEnvironment(env)
	env[config.EnvAssumeRoleName] = jsii.String(s.config.AssumeRoleName)
	env[config.EnvConcurrency] = jsii.String(strconv.Itoa(s.config.BackfillConcurrency))
	g := &Guard{Construct: c, Name: BackfillName}
	g.Fn = newGuardFunction(c, "Handler", functionProps{
		name:                BackfillName,
		description:         "vpcguard: evaluate existing SageMaker models, notebooks, VPC endpoints and VPCs",
		timeout:             awscdk.Duration_Minutes(jsii.Number(15)),
		reservedConcurrency: s.config.BackfillReservedConcurrency,
		environment:         env,
		config:              s.config,
	})
	grantRules(g.Fn, all, true, s)
	grantTicketing(g.Fn, s)
	g.allowRecheckSend(s)
	// {"regions": ["all"]} asks EC2 for the enabled regions.
	g.Fn.allow([]string{"ec2:DescribeRegions"}, []string{"*"}, nil)
	g.Fn.suppressWildcards(reasonNoResourceLevel+" (ec2:DescribeRegions)", "Resource::*")

	if s.config.AssumeRoleName != "" {
		// Cross-account backfill: the same role name in every account the
		// invocation names.
		g.Fn.allow([]string{"sts:AssumeRole"}, []string{arn("arn:${AWS::Partition}:iam::*:role/" + s.config.AssumeRoleName)}, nil)
		g.Fn.suppressWildcards("Cross-account backfill assumes the one role named by assumeRoleName in any member account; which accounts is only known at run time (the invocation's accounts).",
			"Resource::arn:<AWS::Partition>:iam::*:role/"+s.config.AssumeRoleName)
	}

	if s.config.BackfillSchedule != "" {
		g.RuleDLQ = deadLetterQueue(c, "ScheduleDLQ")
		g.Rules = append(g.Rules, awsevents.NewRule(c, jsii.String("Schedule"), &awsevents.RuleProps{
			Description: jsii.String("vpcguard backfill: periodic re-evaluation"),
			Schedule:    awsevents.Schedule_Expression(jsii.String(s.config.BackfillSchedule)),
			Targets:     &[]awsevents.IRuleTarget{targetWithDLQ(g.Fn, g.RuleDLQ)},
		}))
	}
	return g
}
