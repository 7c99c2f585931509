// Command network-guard is the Lambda function of the network-guard row of the rule catalogue
// (rules.Guards): the rules about SageMaker's network paths, which read EC2 (subnets' zones, VPCs
// and their endpoints) and SageMaker (models), and only ticket.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/networks"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := setup.GuardHandler(context.Background(), log, "network-guard", networks.Models, networks.VPCs)
	if err != nil {
		setup.InitFailed(log, err)
	}
	lambda.Start(h.Handle)
}
