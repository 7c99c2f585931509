// Package endpoints wires VPC endpoints to their AWS client: EC2, to read,
// fix and tag them.
package endpoints

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/inventory/endpointstate"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/remediate/ec2api"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

// Wiring reads and remediates VPC endpoints.
var Wiring = setup.Kind{
	Kind: resource.VPCEndpoint,
	Reader: func(c *awsclients.Clients) evaluate.StateReader {
		return &endpointstate.Reader{EC2: awsclients.Service(c, ec2.NewFromConfig)}
	},
	Lister: func(c *awsclients.Clients, _ config.Config, _ *slog.Logger, _ *setup.Listing) backfill.Lister {
		return endpointstate.Endpoints{EC2: awsclients.Service(c, ec2.NewFromConfig), Keep: rules.IsSageMakerService}
	},
	Remediation: func(c *awsclients.Clients, api *remediate.API) {
		api.EC2 = ec2api.New(awsclients.Service(c, ec2.NewFromConfig))
	},
	Recorded: &endpointstate.RecordedEndpoints,
}
