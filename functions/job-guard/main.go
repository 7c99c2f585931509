// Command job-guard is the Lambda function of the job-guard row of the rule catalogue
// (rules.Guards): the rules about SageMaker training, processing, tuning and AutoML jobs.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/jobs"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := setup.GuardHandler(context.Background(), log, "job-guard", jobs.Wiring)
	if err != nil {
		setup.InitFailed(log, err)
	}
	lambda.Start(h.Handle)
}
