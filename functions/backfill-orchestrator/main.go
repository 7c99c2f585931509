// Command backfill-orchestrator is the Lambda function of the organization
// backfill's state machine that plans a run and sums it up: {"plan": {...},
// "run": "<execution name>"} lists the shards (Organizations' accounts ×
// Regions, what an AWS Config aggregator already decided) into the runs
// bucket; {"summarize": {"run": "..."}} adds up the shards' records.
// The shards themselves run in the backfill function.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/domains"
	"github.com/vpcguard/vpcguard/shared/setup/endpoints"
	"github.com/vpcguard/vpcguard/shared/setup/jobs"
	"github.com/vpcguard/vpcguard/shared/setup/models"
	"github.com/vpcguard/vpcguard/shared/setup/networks"
	"github.com/vpcguard/vpcguard/shared/setup/notebooks"
	"github.com/vpcguard/vpcguard/shared/setup/organization"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := organization.OrchestratorHandler(context.Background(), log, networks.Zoned(models.Wiring), notebooks.Wiring, endpoints.Wiring, networks.VPCs, domains.Wiring, jobs.Wiring)
	if err != nil {
		setup.InitFailed(log, err)
	}
	lambda.Start(h.Handle)
}
