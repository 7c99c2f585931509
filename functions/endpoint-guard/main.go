// Command endpoint-guard is the Lambda function that evaluates CreateVpcEndpoint, ModifyVpcEndpoint and DeleteVpcEndpoints calls: SageMaker interface endpoints must have private DNS on.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := setup.GuardHandler(context.Background(), []rules.Rule{rules.EndpointPrivateDNS{}}, log)
	if err != nil {
		setup.InitFailed(log, err)
	}
	lambda.Start(h.Handle)
}
