package networkstate

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/shared/resource"
)

// VPCList lists every VPC of a region with its state, for the backfill. It
// reads the region once rather than each VPC as VPCs.Read does: in calls,
// ⌈VPCs/1000⌉ DescribeVpcs, ⌈endpoints/1000⌉ DescribeVpcEndpoints,
// ⌈subnets/1000⌉ DescribeSubnets, and, when some VPC lacks an endpoint
// models need, one scan of every model (Search: ⌈models/100⌉ calls; where
// Search is refused, ⌈models/100⌉ ListModels and one DescribeModel a model).
// Every VPC is then emitted known: no call per VPC.
type VPCList struct {
	EC2 API
	// Models must not be bounded: every model is read.
	Models       ModelScanner
	ModelsMatter func(resource.VPCConfig) bool // nil: always look for models
}

func (l VPCList) List(ctx context.Context, account, region string, _ int32, emit func(resource.State, bool) bool) error {
	var states []resource.State
	byID := map[string]*resource.VPCConfig{}
	vpcs := ec2.NewDescribeVpcsPaginator(l.EC2, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(1000)})
	for vpcs.HasMorePages() {
		page, err := vpcs.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe vpcs: %w", err)
		}
		for _, v := range page.Vpcs {
			id := aws.ToString(v.VpcId)
			states = append(states, resource.State{
				Ref:  resource.Ref{Kind: resource.VPC, ID: id, Account: account, Region: region},
				ARN:  resource.VPCARN(region, account, id),
				Tags: tags(v.Tags),
				VPC:  &resource.VPCConfig{ModelsRead: true},
			})
		}
	}
	for i := range states {
		byID[states[i].ID] = states[i].VPC
	}
	eps := ec2.NewDescribeVpcEndpointsPaginator(l.EC2, &ec2.DescribeVpcEndpointsInput{MaxResults: aws.Int32(1000)})
	for eps.HasMorePages() {
		page, err := eps.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe vpc endpoints: %w", err)
		}
		for _, ep := range page.VpcEndpoints {
			if cfg := byID[aws.ToString(ep.VpcId)]; cfg != nil {
				cfg.Endpoints = append(cfg.Endpoints, summary(ep))
			}
		}
	}
	if slices.ContainsFunc(states, func(s resource.State) bool { return l.ModelsMatter == nil || l.ModelsMatter(*s.VPC) }) {
		if err := l.hostedModels(ctx, byID); err != nil {
			return err
		}
	} else {
		for _, cfg := range byID {
			cfg.ModelsRead = false
			cfg.ModelsNote = "not looked for: the VPC has the endpoints models need"
		}
	}
	for _, s := range states {
		if !emit(s, true) {
			return nil
		}
	}
	return nil
}

// hostedModels records, on each VPC's config, the models whose subnets are in it.
func (l VPCList) hostedModels(ctx context.Context, byID map[string]*resource.VPCConfig) error {
	vpcOf := map[string]string{}
	subnets := ec2.NewDescribeSubnetsPaginator(l.EC2, &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(1000)})
	for subnets.HasMorePages() {
		page, err := subnets.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe subnets: %w", err)
		}
		for _, sn := range page.Subnets {
			vpcOf[aws.ToString(sn.SubnetId)] = aws.ToString(sn.VpcId)
		}
	}
	err := l.Models.Each(ctx, func(name string, in []string) bool {
		for _, sn := range in {
			if cfg := byID[vpcOf[sn]]; cfg != nil {
				if !slices.Contains(cfg.Models, name) {
					cfg.Models = append(cfg.Models, name)
				}
			}
		}
		return ctx.Err() == nil
	})
	if err != nil {
		return fmt.Errorf("models hosted in the region's vpcs: %w", err)
	}
	for _, cfg := range byID {
		slices.Sort(cfg.Models)
	}
	return nil
}
