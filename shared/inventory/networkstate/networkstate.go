// Package networkstate reads the network side of what SageMaker runs in,
// from EC2: the Availability Zones of a model's subnets, and a VPC with its
// endpoints and the models hosted in it. It imports EC2 and no other
// service (models are found through a ModelScanner), so a function links
// it only when one of its rules needs the network.
package networkstate

import (
	"cmp"
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

// MaxSubnets bounds how many subnets a Subnets cache keeps: a warm guard
// lives for hours and sees subnets of many accounts' models; at about
// 100 bytes a subnet, 10,000 is a megabyte.
const MaxSubnets = 10_000

// subnet is what never changes about a subnet: its zone and its VPC.
type subnet struct{ zone, vpc string }

// Subnets reads subnets' Availability Zones and VPCs and keeps them: a
// subnet never changes zone or VPC, so one cache per account and region
// (awsclients.Shared) serves every read of the process: a model's zones and
// the VPC a model's subnet names are one DescribeSubnets, not one each, and
// a backfill reads the zone of the subnets its models share once. Safe for
// concurrent use.
type Subnets struct {
	EC2 API
	Max int // entries kept; 0: MaxSubnets

	mu    sync.Mutex
	known map[string]subnet
}

// NewSubnets returns an empty cache reading with ec2.
func NewSubnets(ec2 API) *Subnets { return &Subnets{EC2: ec2, known: map[string]subnet{}} }

// Zones returns the zone of each of subnets that exists; a subnet missing
// from the answer does not exist.
func (c *Subnets) Zones(ctx context.Context, subnets []string) (map[string]string, error) {
	found, err := c.of(ctx, subnets)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for id, sn := range found {
		out[id] = sn.zone
	}
	return out, nil
}

// VPC returns the VPC of a subnet, "" when it does not exist.
func (c *Subnets) VPC(ctx context.Context, id string) (string, error) {
	found, err := c.of(ctx, []string{id})
	if err != nil {
		return "", err
	}
	return found[id].vpc, nil
}

// of returns the subnets of ids that exist. Unknown ones are described, by
// a filter so that one missing subnet does not fail the others. A subnet
// found missing is not kept: one just created may not be visible yet, and
// a warm function would otherwise call it missing for hours.
func (c *Subnets) of(ctx context.Context, ids []string) (map[string]subnet, error) {
	out := map[string]subnet{}
	var ask []string
	c.mu.Lock()
	for _, id := range ids {
		if sn, ok := c.known[id]; ok {
			out[id] = sn
		} else if id != "" && !slices.Contains(ask, id) {
			ask = append(ask, id)
		}
	}
	c.mu.Unlock()
	for part := range slices.Chunk(ask, filterValues) {
		p := ec2.NewDescribeSubnetsPaginator(c.EC2, &ec2.DescribeSubnetsInput{
			Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: part}},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("describe subnets %v: %w", part, err)
			}
			for _, sn := range page.Subnets {
				out[aws.ToString(sn.SubnetId)] = subnet{zone: aws.ToString(sn.AvailabilityZone), vpc: aws.ToString(sn.VpcId)}
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	limit := cmp.Or(c.Max, MaxSubnets)
	for _, id := range ask {
		sn, ok := out[id]
		if !ok {
			continue
		}
		if len(c.known) >= limit {
			// Any entry will do: each costs one DescribeSubnets to read again.
			for old := range c.known {
				delete(c.known, old)
				break
			}
		}
		c.known[id] = sn
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
func fillZones(ctx context.Context, z *Subnets, s *resource.State) error {
	if !needsZones(s.Model) {
		return nil
	}
	zones, err := z.Zones(ctx, s.Model.Subnets)
	if err != nil {
		return fmt.Errorf("availability zones of model %s's subnets: %w", s.ID, err)
	}
	s.Model.Zones = zones
	return nil
}
