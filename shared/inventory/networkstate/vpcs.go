package networkstate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// ModelScanner calls fn with each model of the region and the subnets of
// its VpcConfig, until fn returns false (sagemakerstate.ModelSubnets). An
// error with a Bounded() method returning true says the scan stopped at its
// bound rather than failed.
type ModelScanner interface {
	Each(ctx context.Context, fn func(name string, subnets []string) bool) error
}

// bounded reports whether err is a scan stopping at its bound.
func bounded(err error) bool {
	var b interface{ Bounded() bool }
	return errors.As(err, &b) && b.Bounded()
}

// MaxDescribesPerRead is the bound a guard's VPCs reader puts on its scan
// of models where Search is refused: 200 describes take seconds, well
// within a guard's 60 s, and a region with more models than that gets its
// VPCs' model hosting from the backfill, which reads every model once.
const MaxDescribesPerRead = 200

// VPCs reads a VPC's state: the VPC (its tags), its endpoints and, when
// they can change the verdict, the models hosted in it.
//
// Cost of one Read, in calls: 1 DescribeVpcs and 1 DescribeVpcEndpoints
// (1,000 endpoints a page), plus 1 DescribeSubnets or DescribeVpcEndpoints
// when the Ref names the VPC through a subnet or an endpoint. Only when the
// VPC lacks a sagemaker.runtime or an S3 endpoint (ModelsMatter) are its
// models looked for: 1 DescribeSubnets for the VPC's subnets, then the
// region's models until the first one in them: Search pages of 100 (where
// allowed), else ListModels pages and one DescribeModel a model, at most
// the scanner's bound (past it, whether the VPC hosts models is unknown and
// the finding says so). No AWS API answers "which models are in this VPC".
type VPCs struct {
	EC2 API
	// Subnets resolves a subnet to its VPC (NewSubnets(EC2), or the
	// process's cache of its account and region).
	Subnets *Subnets
	Models  ModelScanner
	// ModelsMatter says whether the models a VPC hosts can change its
	// verdict (rules.ModelsMatter); nil: always look for them.
	ModelsMatter func(resource.VPCConfig) bool
}

// Read returns the current state of the VPC ref names: ref.ID is a vpc id,
// or a subnet or vpce id in it, which is resolved first. A VPC (or the
// subnet or endpoint naming it) that does not exist is returned with
// Missing set and no error.
func (r VPCs) Read(ctx context.Context, ref resource.Ref) (resource.State, error) {
	if ref.Kind != resource.VPC {
		return resource.State{Ref: ref}, fmt.Errorf("unknown resource kind %q", ref.Kind)
	}
	vpcID, err := r.resolve(ctx, ref.ID)
	if err != nil || vpcID == "" {
		return resource.State{Ref: ref, Missing: err == nil}, err
	}
	ref.ID = vpcID
	s := resource.State{Ref: ref, ARN: resource.VPCARN(ref.Region, ref.Account, vpcID)}
	out, err := r.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{vpcID}})
	if awserr.IsNotFound(err) || (err == nil && len(out.Vpcs) == 0) {
		s.Missing = true
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("describe vpc %s: %w", vpcID, err)
	}
	s.Tags = tags(out.Vpcs[0].Tags)
	cfg := &resource.VPCConfig{}
	p := ec2.NewDescribeVpcEndpointsPaginator(r.EC2, &ec2.DescribeVpcEndpointsInput{
		Filters:    []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
		MaxResults: aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return s, fmt.Errorf("describe vpc endpoints of %s: %w", vpcID, err)
		}
		for _, ep := range page.VpcEndpoints {
			cfg.Endpoints = append(cfg.Endpoints, summary(ep))
		}
	}
	s.VPC = cfg
	if r.ModelsMatter != nil && !r.ModelsMatter(*cfg) {
		cfg.ModelsNote = "not looked for: the VPC has the endpoints models need"
		return s, nil
	}
	subnets, err := r.subnetsOf(ctx, vpcID)
	if err != nil {
		return s, err
	}
	err = r.Models.Each(ctx, func(name string, in []string) bool {
		if slices.ContainsFunc(in, func(sn string) bool { _, ok := subnets[sn]; return ok }) {
			cfg.Models = append(cfg.Models, name)
			return false // one is enough to decide
		}
		return true
	})
	switch {
	case bounded(err):
		cfg.ModelsNote = "no model found in it before the scan's bound (" + err.Error() + "); a backfill reads every model"
	case err != nil:
		return s, fmt.Errorf("models hosted in vpc %s: %w", vpcID, err)
	default:
		cfg.ModelsRead = true
	}
	return s, nil
}

// Resolve returns the Ref of the VPC ref names (evaluate.Resolver): an
// event naming one VPC through several endpoints reads it once. found is
// false when the subnet or endpoint naming it does not exist.
func (r VPCs) Resolve(ctx context.Context, ref resource.Ref) (resource.Ref, bool, error) {
	if ref.Kind != resource.VPC {
		return ref, true, nil
	}
	id, err := r.resolve(ctx, ref.ID)
	if err != nil || id == "" {
		return ref, false, err
	}
	ref.ID = id
	return ref, true, nil
}

// resolve returns the VPC id an id names, "" when the subnet or endpoint
// naming it does not exist.
func (r VPCs) resolve(ctx context.Context, id string) (string, error) {
	switch {
	case strings.HasPrefix(id, "vpc-"):
		return id, nil
	case strings.HasPrefix(id, "subnet-"):
		// Through the cache a model's zones were read with: the same
		// subnet is not described twice for one CreateModel.
		return r.Subnets.VPC(ctx, id)
	case strings.HasPrefix(id, "vpce-"):
		// EC2 still describes a deleted endpoint (state deleted) for a while
		// after DeleteVpcEndpoints, with its VPC.
		out, err := r.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
		if awserr.IsNotFound(err) || (err == nil && len(out.VpcEndpoints) == 0) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("describe vpc endpoint %s: %w", id, err)
		}
		return aws.ToString(out.VpcEndpoints[0].VpcId), nil
	}
	return "", fmt.Errorf("%q names no VPC, subnet or VPC endpoint", id)
}

// subnetsOf returns the ids of a VPC's subnets.
func (r VPCs) subnetsOf(ctx context.Context, vpcID string) (map[string]bool, error) {
	out := map[string]bool{}
	p := ec2.NewDescribeSubnetsPaginator(r.EC2, &ec2.DescribeSubnetsInput{
		Filters:    []ec2types.Filter{{Name: aws.String("vpc-id"), Values: []string{vpcID}}},
		MaxResults: aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe subnets of %s: %w", vpcID, err)
		}
		for _, sn := range page.Subnets {
			out[aws.ToString(sn.SubnetId)] = true
		}
	}
	return out, nil
}

// Tags returns a VPC's tags: DescribeVpcs returns them with the VPC, so
// they are read again only when s was not read here.
func (r VPCs) Tags(ctx context.Context, s resource.State) (map[string]string, error) {
	if s.Tags != nil {
		return s.Tags, nil
	}
	st, err := r.Read(ctx, s.Ref)
	if err != nil {
		return nil, err
	}
	if st.Tags == nil {
		return map[string]string{}, nil
	}
	return st.Tags, nil
}

func summary(ep ec2types.VpcEndpoint) resource.EndpointSummary {
	return resource.EndpointSummary{
		ID:          aws.ToString(ep.VpcEndpointId),
		ServiceName: aws.ToString(ep.ServiceName),
		Type:        string(ep.VpcEndpointType),
		State:       string(ep.State),
	}
}

func tags(ts []ec2types.Tag) map[string]string {
	out := map[string]string{}
	for _, t := range ts {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}
