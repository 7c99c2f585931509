package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// newModelGuardrail denies creating a SageMaker model without VPC subnets. model-guard
// attaches it to the principal that created a non-compliant model, so the next attempt
// fails at the API instead of being cleaned up afterwards.
func newModelGuardrail(scope constructs.Construct, id string) awsiam.ManagedPolicy {
	return awsiam.NewManagedPolicy(scope, jsii.String(id), &awsiam.ManagedPolicyProps{
		Description: jsii.String("vpcguard: deny SageMaker models outside a VPC"),
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("DenyModelWithoutVpc"),
				Effect:    awsiam.Effect_DENY,
				Actions:   jsii.Strings("sagemaker:CreateModel"),
				Resources: jsii.Strings("*"),
				Conditions: &map[string]interface{}{
					"Null": map[string]interface{}{"sagemaker:VpcSubnets": "true"},
				},
			}),
		},
	})
}

// newNotebookGuardrail denies notebook instances with direct internet access or outside
// a VPC (without subnets SageMaker gives the notebook internet access regardless).
func newNotebookGuardrail(scope constructs.Construct, id string) awsiam.ManagedPolicy {
	return awsiam.NewManagedPolicy(scope, jsii.String(id), &awsiam.ManagedPolicyProps{
		Description: jsii.String("vpcguard: deny SageMaker notebook instances with direct internet access"),
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("DenyNotebookDirectInternet"),
				Effect:    awsiam.Effect_DENY,
				Actions:   jsii.Strings("sagemaker:CreateNotebookInstance"),
				Resources: jsii.Strings("*"),
				Conditions: &map[string]interface{}{
					"StringNotEquals": map[string]interface{}{"sagemaker:DirectInternetAccess": "Disabled"},
				},
			}),
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("DenyNotebookWithoutVpc"),
				Effect:    awsiam.Effect_DENY,
				Actions:   jsii.Strings("sagemaker:CreateNotebookInstance"),
				Resources: jsii.Strings("*"),
				Conditions: &map[string]interface{}{
					"Null": map[string]interface{}{"sagemaker:VpcSubnets": "true"},
				},
			}),
		},
	})
}
