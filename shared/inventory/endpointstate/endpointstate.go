// Package endpointstate reads the current state of VPC endpoints. It is the
// only part of the inventory that imports the EC2 SDK, so a function that
// guards no endpoint does not link it.
package endpointstate

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// API is the part of the EC2 client the reader calls.
type API interface {
	DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
}

var _ API = (*ec2.Client)(nil)

// Reader reads VPC endpoints in one account and region.
type Reader struct {
	EC2 API
}

// Read returns the current state of an endpoint, its tags included. One
// that does not exist (or is deleted) is returned with Missing set and no
// error.
func (r *Reader) Read(ctx context.Context, ref resource.Ref) (resource.State, error) {
	s := resource.State{Ref: ref}
	if ref.Kind != resource.VPCEndpoint {
		return s, fmt.Errorf("unknown resource kind %q", ref.Kind)
	}
	out, err := r.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{ref.ID}})
	if awserr.IsNotFound(err) {
		s.Missing = true
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("describe vpc endpoint %s: %w", ref.ID, err)
	}
	if len(out.VpcEndpoints) == 0 {
		s.Missing = true
		return s, nil
	}
	return State(ref.Account, ref.Region, out.VpcEndpoints[0]), nil
}

// Tags returns an endpoint's tags: they come with the describe answer, so
// they are read again only when s was not read here.
func (r *Reader) Tags(ctx context.Context, s resource.State) (map[string]string, error) {
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

// State converts a described VPC endpoint.
func State(account, region string, ep ec2types.VpcEndpoint) resource.State {
	id := aws.ToString(ep.VpcEndpointId)
	if owner := aws.ToString(ep.OwnerId); owner != "" && account == "" {
		account = owner
	}
	s := resource.State{
		Ref: resource.Ref{Kind: resource.VPCEndpoint, ID: id, Account: account, Region: region},
		ARN: resource.EndpointARN(region, account, id),
		Endpoint: &resource.EndpointConfig{
			ServiceName: aws.ToString(ep.ServiceName),
			Type:        string(ep.VpcEndpointType),
			PrivateDNS:  ep.PrivateDnsEnabled,
			VPCID:       aws.ToString(ep.VpcId),
			State:       string(ep.State),
			Policy:      aws.ToString(ep.PolicyDocument),
		},
		Tags: map[string]string{},
	}
	s.Created = aws.ToTime(ep.CreationTimestamp)
	if strings.EqualFold(s.Endpoint.State, "deleted") {
		s.Missing = true
	}
	for _, t := range ep.Tags {
		s.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return s
}
