// Command notebook-guard is the Lambda function that evaluates notebook instance calls, and the delayed re-checks of notebooks it could not stop yet: notebooks must have no direct internet access.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup/notebooks"
	"github.com/vpcguard/vpcguard/shared/setup/wire"
)

func main() {
	log := lambdacontext.NewLogger()
	h, err := wire.GuardHandler(context.Background(), []rules.Rule{rules.NotebookNoDirectInternet{}}, log, notebooks.Wiring)
	if err != nil {
		wire.InitFailed(log, err)
	}
	lambda.Start(h.Handle)
}
