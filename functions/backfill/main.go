// Command backfill is the Lambda function that evaluates, under every rule
// of the catalogue that judges resources, the SageMaker resources, VPC
// endpoints and VPCs that already exist (presigned URL calls are not
// resources: their history is in CloudTrail's logs). It reads models once,
// with their subnets' zones, for every model rule. Input (all optional):
// {"regions": [...], "accounts": [...], "rules": [...], "mode": "report",
// "dryRun": true}; it returns the summary.
// In an organization it also runs one shard of the organization backfill
// for the state machine ({"shard": {...}, ...}: package orgbackfill) and
// returns the shard's record, or a continuation near its time budget.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcguard/vpcguard/shared/inventory/tagindex"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/creators"
	"github.com/vpcguard/vpcguard/shared/setup/domains"
	"github.com/vpcguard/vpcguard/shared/setup/endpoints"
	"github.com/vpcguard/vpcguard/shared/setup/jobs"
	"github.com/vpcguard/vpcguard/shared/setup/models"
	"github.com/vpcguard/vpcguard/shared/setup/networks"
	"github.com/vpcguard/vpcguard/shared/setup/notebooks"
	"github.com/vpcguard/vpcguard/shared/setup/regions"
)

func main() {
	log := lambdacontext.NewLogger()
	only := setup.BackfillOnly{EnabledRegions: regions.Enabled, TagIndex: tagindex.New, Creators: creators.Wiring}
	h, err := setup.BackfillHandler(context.Background(), log, only,
		networks.Zoned(models.Wiring), notebooks.Wiring, endpoints.Wiring, networks.VPCs, domains.Wiring, jobs.Wiring)
	if err != nil {
		setup.InitFailed(log, err)
	}
	lambda.Start((&orgbackfill.FunctionHandler{Backfill: h, Log: log}).Handle)
}
