// Command domain-guard is the Lambda function of the domain-guard row of the rule catalogue
// (rules.Guards): the rules about SageMaker Studio domains.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/domains"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := setup.GuardHandler(context.Background(), log, "domain-guard", domains.Wiring)
	if err != nil {
		setup.InitFailed(log, err)
	}
	lambda.Start(h.Handle)
}
