// Package endpoints wires VPC endpoints to their AWS client: EC2, to read,
// fix and tag them.
package endpoints

import (
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/inventory/endpointstate"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/remediate/ec2api"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/setup/wire"
)

// Wiring reads and remediates VPC endpoints.
var Wiring = wire.Kind{
	Kind: resource.VPCEndpoint,
	Reader: func(c *awsclients.Clients) evaluate.StateReader {
		return &endpointstate.Reader{EC2: awsclients.Service(c, ec2.NewFromConfig)}
	},
	Remediation: func(c *awsclients.Clients, api *remediate.API) {
		api.EC2 = ec2api.New(awsclients.Service(c, ec2.NewFromConfig))
	},
}
