// Package domains wires SageMaker Studio domains to their AWS clients:
// SageMaker to read, tag and (opt-in) switch them to VpcOnly, IAM to attach
// the guardrail to their creator.
package domains

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/inventory/sagemakerstate"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/remediate/iamapi"
	"github.com/vpcguard/vpcguard/shared/remediate/sagemakerapi"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/setup"
)

// Wiring reads and remediates Studio domains.
var Wiring = setup.Kind{
	Kind:     resource.StudioDomain,
	Recorded: &sagemakerstate.RecordedDomains,
	Reader: func(c *awsclients.Clients) evaluate.StateReader {
		return &sagemakerstate.DomainReader{SageMaker: awsclients.Service(c, sagemaker.NewFromConfig)}
	},
	Lister: func(c *awsclients.Clients, _ config.Config, _ *slog.Logger, _ *setup.Listing) backfill.Lister {
		return sagemakerstate.Domains{SageMaker: awsclients.Service(c, sagemaker.NewFromConfig)}
	},
	Remediation: func(c *awsclients.Clients, api *remediate.API) {
		api.IAM = iamapi.New(awsclients.Service(c, iam.NewFromConfig))
		api.Domains = sagemakerapi.NewDomains(awsclients.Service(c, sagemaker.NewFromConfig))
	},
}
