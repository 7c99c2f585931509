// Package models wires SageMaker models to their AWS clients: SageMaker to
// read, tag and delete them, IAM to attach the guardrail to their creator.
package models

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

// Wiring reads and remediates models.
var Wiring = setup.Kind{
	Kind: resource.Model,
	Reader: func(c *awsclients.Clients) evaluate.StateReader {
		return &sagemakerstate.Reader{SageMaker: awsclients.Service(c, sagemaker.NewFromConfig)}
	},
	Lister: func(c *awsclients.Clients, _ config.Config, log *slog.Logger, l *setup.Listing) backfill.Lister {
		return ModelScan(c, log, l).Models()
	},
	Remediation: func(c *awsclients.Clients, api *remediate.API) {
		api.IAM = iamapi.New(awsclients.Service(c, iam.NewFromConfig))
		api.SageMaker = sagemakerapi.New(awsclients.Service(c, sagemaker.NewFromConfig))
	},
	Recorded: &sagemakerstate.RecordedModels,
}

// ModelScan is the run's one read of the account and region's models, which
// the model listing streams and the VPC listing (setup/networks, which
// builds it the same way) reuses.
func ModelScan(c *awsclients.Clients, log *slog.Logger, l *setup.Listing) *sagemakerstate.ModelScan {
	return setup.Once(l, func() *sagemakerstate.ModelScan {
		return sagemakerstate.NewModelScan(awsclients.Service(c, sagemaker.NewFromConfig), sagemakerstate.ListDescribes, log)
	})
}
