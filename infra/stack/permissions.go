package stack

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/vpcguard/vpcguard/shared/rules"
)

// arn builds an ARN in the stack's partition, region and account from a pattern using
// ${AWS::Partition}, ${AWS::Region} and ${AWS::AccountId}.
func arn(pattern string) string {
	return *awscdk.Fn_Sub(jsii.String(pattern), nil)
}

var (
	iamRoleARN            = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"
	iamUserARN            = "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*"
	securityHubProductARN = "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default"
	securityHubHubARN     = "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:hub/default"
	opsItemARN            = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:opsitem/*"
)

// Reasons for each kind of wildcard resource, shown next to the cdk-nag suppression.
const (
	reasonResourceTypeWildcard = "The function acts on resources created at any time by anyone in this account and region; the resource is narrowed to the one resource type (and for iam:Attach* to the guardrail policy by the iam:PolicyARN condition), which is as narrow as an event-driven guard can know in advance."
	reasonNoResourceLevel      = "This action does not support resource-level permissions (Service Authorization Reference: no resource type), so IAM requires Resource \"*\"."
)

// grantTicketing lets a function open and update tickets in the configured sinks only.
func grantTicketing(g *guardFunction, s *shared) {
	if s.config.HasSink("securityhub") {
		g.allow([]string{"securityhub:BatchImportFindings"}, []string{arn(securityHubProductARN)}, nil)
		g.allow([]string{"securityhub:GetFindings"}, []string{arn(securityHubHubARN)}, nil)
	}
	if s.config.HasSink("opscenter") {
		// CreateOpsItem has no ARN before it exists and DescribeOpsItems is a search.
		g.allow([]string{"ssm:CreateOpsItem", "ssm:DescribeOpsItems"}, []string{"*"}, nil)
		g.allow([]string{"ssm:UpdateOpsItem"}, []string{arn(opsItemARN)}, nil)
		g.suppressWildcards(reasonNoResourceLevel+" (ssm:CreateOpsItem, ssm:DescribeOpsItems)", "Resource::*")
		g.suppressWildcards(reasonResourceTypeWildcard, "Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:opsitem/*")
	}
	if s.config.HasSink("sns") {
		grantPublish(g, s)
	}
}

// grantPublish allows sns:Publish to the notification topic and the KMS calls SNS makes
// on the publisher's behalf for an encrypted topic.
func grantPublish(g *guardFunction, s *shared) {
	g.allow([]string{"sns:Publish"}, []string{*s.notificationTopic.TopicArn()}, nil)
	g.allow([]string{"kms:Decrypt", "kms:GenerateDataKey"}, []string{*s.topicKey.KeyArn()}, nil)
}

// grantGuardrailAttach lets a function see and attach exactly the guardrail policy:
// the iam:PolicyARN condition is what keeps a compromised function from attaching
// AdministratorAccess to itself.
func grantGuardrailAttach(g *guardFunction, guardrail awsiam.ManagedPolicy) {
	g.allow([]string{"iam:ListAttachedRolePolicies"}, []string{arn(iamRoleARN)}, nil)
	g.allow([]string{"iam:ListAttachedUserPolicies"}, []string{arn(iamUserARN)}, nil)
	condition := map[string]interface{}{"ArnEquals": map[string]interface{}{"iam:PolicyARN": guardrail.ManagedPolicyArn()}}
	g.allow([]string{"iam:AttachRolePolicy"}, []string{arn(iamRoleARN)}, condition)
	g.allow([]string{"iam:AttachUserPolicy"}, []string{arn(iamUserARN)}, condition)
	g.suppressWildcards(reasonResourceTypeWildcard,
		"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*",
		"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*")
}

// grantKindOps grants the ops the catalogue declares (rules.Kinds) for the
// kinds rs judge: reading them, listing them for the backfill, and each of
// rs's remedies, plus the ops of the details rs decide on (rules.DetailOps:
// the zones of a model's subnets). An op behind a setting is granted only
// with the setting on. Ops on the same resource share a statement.
func grantKindOps(g *guardFunction, rs []rules.Rule, list bool, c Config) {
	enabled := map[string]bool{
		"":                       true,
		rules.WhenDeleteModels:   c.DeleteNoncompliantModels,
		rules.WhenEndpointPolicy: false, // the stack sets no VPCGUARD_ENDPOINT_POLICY
	}
	var resources []string
	actions := map[string][]string{}
	add := func(ops []rules.Op) {
		for _, op := range ops {
			if !enabled[op.When] {
				continue
			}
			if !slices.Contains(resources, op.Resource) {
				resources = append(resources, op.Resource)
			}
			if !slices.Contains(actions[op.Resource], op.Action) {
				actions[op.Resource] = append(actions[op.Resource], op.Action)
			}
		}
	}
	for _, r := range rs {
		ops, ok := rules.OpsOf(r.Kind())
		if !ok {
			panic("stack: the catalogue declares no ops for " + string(r.Kind()))
		}
		add(ops.Read)
		if list {
			add(ops.List)
		}
		for _, remedy := range r.Remedies() {
			add(ops.Remedies[remedy])
		}
		for _, d := range rules.DetailsOf(r) {
			add(rules.DetailOps(d))
		}
	}
	for _, res := range resources {
		if res == "*" {
			g.allow(actions[res], []string{"*"}, nil)
			g.suppressWildcards(reasonNoResourceLevel+" ("+strings.Join(actions[res], ", ")+")", "Resource::*")
			continue
		}
		g.allow(actions[res], []string{arn(res)}, nil)
		g.suppressWildcards(reasonResourceTypeWildcard, "Resource::"+nagPattern(res))
	}
}

// nagPattern is an ARN pattern as cdk-nag prints it: ${AWS::Region} becomes <AWS::Region>.
func nagPattern(pattern string) string {
	return strings.NewReplacer("${", "<", "}", ">").Replace(pattern)
}
