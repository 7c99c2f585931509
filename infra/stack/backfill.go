package stack

import (
	"strconv"
	"strings"

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
	if !s.config.Organization.Enabled() { // in an organization: the member role (environment)
		env[config.EnvAssumeRoleName] = jsii.String(s.config.AssumeRoleName)
	}
	env[config.EnvConcurrency] = jsii.String(strconv.Itoa(s.config.BackfillConcurrency))
	if s.config.LookupCreators {
		env[config.EnvCreatorLookup] = jsii.String("true")
		env[config.EnvCreatorLookupMax] = jsii.String(strconv.Itoa(s.config.CreatorLookupMax))
		env[config.EnvCreatorGuardrails] = jsii.String(strconv.FormatBool(s.config.CreatorGuardrails))
		env[config.EnvCreatorMaxAgeDays] = jsii.String(strconv.Itoa(s.config.CreatorMaxAgeDays))
		if s.config.TrailBucket != "" {
			env[config.EnvTrailBucket] = jsii.String(s.config.TrailBucket)
		}
	}
	g := &Guard{Construct: c, Name: BackfillName}
	reserved := s.config.BackfillReservedConcurrency
	if s.config.Organization.Enabled() && reserved > 0 {
		// The organization backfill's map runs this many shards at once:
		// fewer would throttle them (retried, but slower).
		reserved = max(reserved, s.config.BackfillMaxConcurrency)
	}
	g.Fn = newGuardFunction(c, "Handler", functionProps{
		name:                BackfillName,
		roleName:            s.roleName(BackfillName),
		description:         "vpcguard: evaluate existing SageMaker models, notebooks, VPC endpoints and VPCs",
		timeout:             awscdk.Duration_Minutes(jsii.Number(15)),
		reservedConcurrency: reserved,
		environment:         env,
		config:              s.config,
	})
	grantAccountAccess(g.Fn, all, true, s)
	grantTicketing(g.Fn, s)
	g.allowRecheckSend(s)
	// {"regions": ["all"]} asks EC2 for the enabled regions.
	allowGrants(g.Fn.Role, []Grant{{Actions: []string{"ec2:DescribeRegions"}, Resource: "*"}}, s.regions)

	if s.config.AssumeRoleName != "" && !s.config.Organization.Enabled() {
		// Cross-account backfill: the same role name in every account the
		// invocation names.
		g.Fn.allow([]string{"sts:AssumeRole"}, []string{arn("arn:${AWS::Partition}:iam::*:role/" + s.config.AssumeRoleName)}, nil)
		g.Fn.suppressWildcards("Cross-account backfill assumes the one role named by assumeRoleName in any member account; which accounts is only known at run time (the invocation's accounts).",
			"Resource::arn:<AWS::Partition>:iam::*:role/"+s.config.AssumeRoleName)
	}

	if s.config.LookupCreators {
		grantCreatorLookup(g.Fn, s.config)
	}

	// In an organization the schedule starts the state machine (orgbackfill.go).
	if s.config.BackfillSchedule != "" && !s.config.Organization.Enabled() {
		g.RuleDLQ = deadLetterQueue(c, "ScheduleDLQ")
		g.Rules = append(g.Rules, awsevents.NewRule(c, jsii.String("Schedule"), &awsevents.RuleProps{
			Description: jsii.String("vpcguard backfill: periodic re-evaluation"),
			Schedule:    awsevents.Schedule_Expression(jsii.String(s.config.BackfillSchedule)),
			Targets:     &[]awsevents.IRuleTarget{targetWithDLQ(g.Fn, g.RuleDLQ)},
		}))
	}
	return g
}

// grantCreatorLookup lets the backfill look up who created what exists:
// CloudTrail's event history and, when one is named, the trail bucket's
// log files (reading them only: listing the bucket, getting objects under
// the prefix).
func grantCreatorLookup(fn *guardFunction, c Config) {
	fn.allow([]string{"cloudtrail:LookupEvents"}, []string{"*"}, nil)
	fn.suppressWildcards(reasonNoResourceLevel+" (cloudtrail:LookupEvents)", "Resource::*")
	if c.TrailBucket == "" {
		return
	}
	bucket, prefix := c.trailBucket()
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	fn.allow([]string{"s3:ListBucket"}, []string{arn("arn:${AWS::Partition}:s3:::" + bucket)}, nil)
	objects := "arn:${AWS::Partition}:s3:::" + bucket + "/" + prefix + "*"
	fn.allow([]string{"s3:GetObject"}, []string{arn(objects)}, nil)
	fn.suppressWildcards("The trail delivers a log file every few minutes under keys only known then; the grant is narrowed to the trail's prefix in the one bucket named by trailBucket, read only.",
		"Resource::"+nagPattern(objects))
}
