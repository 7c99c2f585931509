package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
)

// arn builds an ARN in the stack's partition, region and account from a pattern using
// ${AWS::Partition}, ${AWS::Region} and ${AWS::AccountId}.
func arn(pattern string) string {
	return *awscdk.Fn_Sub(jsii.String(pattern), nil)
}

var (
	sagemakerModelARN          = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model/*"
	sagemakerEndpointConfigARN = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint-config/*"
	sagemakerNotebookARN       = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:notebook-instance/*"
	ec2VpcEndpointARN          = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc-endpoint/*"
	iamRoleARN                 = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"
	iamUserARN                 = "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*"
	securityHubProductARN      = "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default"
	securityHubHubARN          = "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:hub/default"
	opsItemARN                 = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:opsitem/*"
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

func grantModelChecks(g *guardFunction, c Config) {
	g.allow([]string{"sagemaker:DescribeModel", "sagemaker:ListTags", "sagemaker:AddTags"}, []string{arn(sagemakerModelARN)}, nil)
	if c.DeleteNoncompliantModels {
		g.allow([]string{"sagemaker:DeleteModel"}, []string{arn(sagemakerModelARN)}, nil)
	}
	// A model in use by an endpoint config is reported, not deleted.
	g.allow([]string{"sagemaker:ListEndpointConfigs"}, []string{"*"}, nil)
	g.allow([]string{"sagemaker:DescribeEndpointConfig"}, []string{arn(sagemakerEndpointConfigARN)}, nil)
	g.suppressWildcards(reasonResourceTypeWildcard,
		"Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:model/*",
		"Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:endpoint-config/*")
	g.suppressWildcards(reasonNoResourceLevel+" (sagemaker:ListEndpointConfigs)", "Resource::*")
}

func grantNotebookChecks(g *guardFunction) {
	g.allow([]string{
		"sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance",
		"sagemaker:ListTags", "sagemaker:AddTags",
	}, []string{arn(sagemakerNotebookARN)}, nil)
	g.suppressWildcards(reasonResourceTypeWildcard,
		"Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:notebook-instance/*")
}

func grantEndpointChecks(g *guardFunction) {
	g.allow([]string{"ec2:DescribeVpcEndpoints", "ec2:DescribeVpcAttribute"}, []string{"*"}, nil)
	g.allow([]string{"ec2:ModifyVpcEndpoint", "ec2:CreateTags"}, []string{arn(ec2VpcEndpointARN)}, nil)
	g.suppressWildcards(reasonNoResourceLevel+" (ec2:Describe*: EC2 describe calls never support resource-level permissions)", "Resource::*")
	g.suppressWildcards(reasonResourceTypeWildcard,
		"Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:vpc-endpoint/*")
}
