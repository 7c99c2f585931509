// Package notebooks wires SageMaker notebook instances to their AWS
// clients: SageMaker to read, stop and tag them, IAM to attach the
// guardrail to their creator, SQS to bring back for another look the ones
// that cannot be stopped yet.
package notebooks

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/inventory/sagemakerstate"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/remediate/iamapi"
	"github.com/vpcguard/vpcguard/shared/remediate/sagemakerapi"
	"github.com/vpcguard/vpcguard/shared/remediate/sqsapi"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/setup"
)

// Wiring reads and remediates notebook instances.
var Wiring = setup.Kind{
	Kind: resource.Notebook,
	Reader: func(c *awsclients.Clients) evaluate.StateReader {
		return &sagemakerstate.Reader{SageMaker: awsclients.Service(c, sagemaker.NewFromConfig)}
	},
	Lister: func(c *awsclients.Clients, _ config.Config, _ *slog.Logger, _ *setup.Listing) backfill.Lister {
		return sagemakerstate.Notebooks{SageMaker: awsclients.Service(c, sagemaker.NewFromConfig)}
	},
	Remediation: func(c *awsclients.Clients, api *remediate.API) {
		api.IAM = iamapi.New(awsclients.Service(c, iam.NewFromConfig))
		api.SageMaker = sagemakerapi.New(awsclients.Service(c, sagemaker.NewFromConfig))
		api.SQS = sqsapi.New(awsclients.Service(c, sqs.NewFromConfig))
	},
	Recorded: &sagemakerstate.RecordedNotebooks,
}
