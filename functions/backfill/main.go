// Command backfill is the Lambda function that evaluates every SageMaker
// model, notebook instance and SageMaker VPC endpoint that already exists.
// Input (all optional): {"regions": [...], "accounts": [...], "rules": [...],
// "mode": "report", "dryRun": true}; it returns the summary.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/setup"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := backfill.LambdaHandler(context.Background(), log)
	if err != nil {
		setup.InitFailed(log, err)
	}
	lambda.Start(h.Handle)
}
