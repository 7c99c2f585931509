// Command model-guard is the Lambda function that evaluates CreateModel and DeleteModel calls: models must stay in the VPC.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup/models"
	"github.com/vpcguard/vpcguard/shared/setup/wire"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := wire.GuardHandler(context.Background(), []rules.Rule{rules.ModelInVPC{}}, log, models.Wiring)
	if err != nil {
		wire.InitFailed(log, err)
	}
	lambda.Start(h.Handle)
}
