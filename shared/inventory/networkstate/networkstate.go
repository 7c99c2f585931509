// Package networkstate reads the network side of what SageMaker runs in,
// from EC2: the Availability Zones of a model's subnets, and a VPC with its
// endpoints and the models hosted in it. It imports EC2 and no other
// service (models are found through a ModelScanner), so a function links
// it only when one of its rules needs the network.
package networkstate

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcguard/vpcguard/shared/resource"
)

// API is the part of the EC2 client the readers call.
type API interface {
	DescribeSubnets(ctx context.Context, in *ec2.DescribeSubnetsInput, opts ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	DescribeVpcs(ctx context.Context, in *ec2.DescribeVpcsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
}

var _ API = (*ec2.Client)(nil)

// filterValues is how many values one filter is sent with: EC2 documents
// no limit for DescribeSubnets' subnet-id filter, and other EC2 filters
// take 200, so a larger set is asked for in parts.
const filterValues = 200

// Zones reads subnets' Availability Zones and keeps them: a subnet's zone
// never changes, so a backfill reads the zone of the subnets its models
// share once. Safe for concurrent use.
type Zones struct {
	EC2 API

	mu    sync.Mutex
	known map[string]string // subnet -> zone; "" for a subnet that does not exist
}

// NewZones returns an empty cache reading with ec2.
func NewZones(ec2 API) *Zones { return &Zones{EC2: ec2, known: map[string]string{}} }

// Of returns the zone of each of subnets that exists; a subnet missing from
// the answer does not exist. Unknown subnets are described, by a filter so
// that one missing subnet does not fail the others.
func (z *Zones) Of(ctx context.Context, subnets []string) (map[string]string, error) {
	z.mu.Lock()
	var ask []string
	for _, sn := range subnets {
		if _, ok := z.known[sn]; !ok && sn != "" && !slices.Contains(ask, sn) {
			ask = append(ask, sn)
		}
	}
	z.mu.Unlock()
	found := map[string]string{}
	for part := range slices.Chunk(ask, filterValues) {
		p := ec2.NewDescribeSubnetsPaginator(z.EC2, &ec2.DescribeSubnetsInput{
			Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: part}},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describe subnets %v: %w", part, err)
			}
			for _, sn := range page.Subnets {
				found[aws.ToString(sn.SubnetId)] = aws.ToString(sn.AvailabilityZone)
			}
		}
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	for _, sn := range ask {
		z.known[sn] = found[sn] // "": does not exist
	}
	out := map[string]string{}
	for _, sn := range subnets {
		if zone := z.known[sn]; zone != "" {
			out[sn] = zone
		}
	}
	return out, nil
}

// needsZones reports whether a model's decision may depend on its subnets'
// zones: one subnet (or none) is decided without them.
func needsZones(m *resource.ModelConfig) bool {
	if m == nil {
		return false
	}
	var distinct []string
	for _, sn := range m.Subnets {
		if sn != "" && !slices.Contains(distinct, sn) {
			distinct = append(distinct, sn)
		}
	}
	return len(distinct) >= 2
}

// fillZones sets s's subnets' zones when a decision may need them.
func fillZones(ctx context.Context, z *Zones, s *resource.State) error {
	if !needsZones(s.Model) {
		return nil
	}
	zones, err := z.Of(ctx, s.Model.Subnets)
	if err != nil {
		return fmt.Errorf("availability zones of model %s's subnets: %w", s.ID, err)
	}
	s.Model.Zones = zones
	return nil
}
