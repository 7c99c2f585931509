// Package jobs wires SageMaker training, processing, tuning and AutoML jobs
// to their AWS clients: SageMaker to read, list, stop and tag them, IAM to
// attach the guardrail to whoever started them.
package jobs

import (
	"log/slog"
	"time"

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

// Wiring reads and remediates jobs; the backfill lists the running ones and
// those that finished within the configured lookback. AWS Config records no
// job (no resource type): Recorded stays nil, and the organization backfill
// lists jobs in every account and Region.
var Wiring = setup.Kind{
	Kind: resource.Job,
	Reader: func(c *awsclients.Clients) evaluate.StateReader {
		return &sagemakerstate.JobReader{SageMaker: awsclients.Service(c, sagemaker.NewFromConfig)}
	},
	Lister: func(c *awsclients.Clients, cfg config.Config, _ *slog.Logger, _ *setup.Listing) backfill.Lister {
		return sagemakerstate.Jobs{SageMaker: awsclients.Service(c, sagemaker.NewFromConfig),
			Lookback: time.Duration(cfg.JobLookbackDays) * 24 * time.Hour}
	},
	Remediation: func(c *awsclients.Clients, api *remediate.API) {
		api.IAM = iamapi.New(awsclients.Service(c, iam.NewFromConfig))
		api.Jobs = sagemakerapi.NewJobs(awsclients.Service(c, sagemaker.NewFromConfig))
	},
}
