package endpointstate

import (
	"strings"

	"github.com/vpcguard/vpcguard/shared/inventory/recorded"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// RecordedEndpoints is how AWS Config records VPC endpoints, for the
// organization backfill's fast path (package recorded). The property names
// are the Config resource schema's, in its case: camelCase for EC2.
var RecordedEndpoints = recorded.Kind{
	Kind: resource.VPCEndpoint,
	Properties: []string{"configuration.serviceName", "configuration.vpcEndpointType", "configuration.privateDnsEnabled",
		"configuration.vpcId", "configuration.state"},
	State: func(it recorded.Item) (resource.State, error) {
		var c struct {
			ServiceName       string                 `json:"serviceName"`
			VpcEndpointType   string                 `json:"vpcEndpointType"`
			PrivateDNSEnabled *bool                  `json:"privateDnsEnabled"`
			VpcID             string                 `json:"vpcId"`
			State             recorded.StringOrValue `json:"state"`
		}
		if err := it.Decode(&c); err != nil {
			return resource.State{}, err
		}
		s := resource.State{Ref: it.Ref(resource.VPCEndpoint, it.ResourceID), ARN: it.ARN, Created: it.Created, Tags: it.Tags}
		if s.ARN == "" {
			s.ARN = resource.EndpointARN(it.Region, it.Account, it.ResourceID)
		}
		if c.ServiceName == "" {
			return s, nil // not recorded: unknown
		}
		s.Endpoint = &resource.EndpointConfig{ServiceName: c.ServiceName, Type: c.VpcEndpointType, PrivateDNS: c.PrivateDNSEnabled,
			VPCID: c.VpcID, State: string(c.State)}
		if strings.EqualFold(s.Endpoint.State, "deleted") {
			s.Missing = true
		}
		return s, nil
	},
}
