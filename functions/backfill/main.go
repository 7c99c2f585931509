// Command backfill is the Lambda function that evaluates every SageMaker
// model, notebook instance and SageMaker VPC endpoint that already exists.
// Input (all optional): {"regions": [...], "accounts": [...], "rules": [...],
// "mode": "report", "dryRun": true}; it returns the summary.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcguard/vpcguard/shared/backfill"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := backfill.LambdaHandler(context.Background(), log)
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
