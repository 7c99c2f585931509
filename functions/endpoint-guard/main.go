// Command endpoint-guard is the Lambda function that evaluates CreateVpcEndpoint, ModifyVpcEndpoint and DeleteVpcEndpoints calls: SageMaker interface endpoints must have private DNS on.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup/endpoints"
	"github.com/vpcguard/vpcguard/shared/setup/wire"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := wire.GuardHandler(context.Background(), []rules.Rule{rules.EndpointPrivateDNS{}}, log, endpoints.Wiring)
	if err != nil {
		wire.InitFailed(log, err)
	}
	lambda.Start(h.Handle)
}
