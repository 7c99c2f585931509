// Package presignedurls wires presigned URL calls, which are judged from
// their CloudTrail events alone: nothing is read or listed, and enforce mode
// only attaches the guardrail to the caller, so IAM is the one service this
// kind links.
package presignedurls

import (
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/remediate/iamapi"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/setup"
)

// Wiring remediates presigned URL calls: the guardrail on the caller.
var Wiring = setup.Kind{
	Kind: resource.PresignedURL,
	Remediation: func(c *awsclients.Clients, api *remediate.API) {
		api.IAM = iamapi.New(awsclients.Service(c, iam.NewFromConfig))
	},
}
