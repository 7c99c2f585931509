// Command presigned-url-guard is the Lambda function of the presigned-url-guard row of the rule
// catalogue (rules.Guards): the calls that hand out presigned Studio and notebook URLs. It reads
// nothing and links IAM only, for the guardrail.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/presignedurls"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := setup.GuardHandler(context.Background(), log, "presigned-url-guard", presignedurls.Wiring)
	if err != nil {
		setup.InitFailed(log, err)
	}
	lambda.Start(h.Handle)
}
