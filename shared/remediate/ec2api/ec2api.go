// Package ec2api gives the endpoint remediations (package remediate) the EC2
// calls they make, in remediate's terms. It is the only part of remediate
// that imports the EC2 SDK, so a function that remediates no endpoint does
// not link it.
package ec2api

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Client is the part of the EC2 client endpoint remediations call.
type Client interface {
	DescribeVpcAttribute(ctx context.Context, in *ec2.DescribeVpcAttributeInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error)
	ModifyVpcEndpoint(ctx context.Context, in *ec2.ModifyVpcEndpointInput, opts ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error)
	CreateTags(ctx context.Context, in *ec2.CreateTagsInput, opts ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
}

var _ Client = (*ec2.Client)(nil)

// API is remediate.EC2API over an EC2 client.
type API struct{ Client Client }

// New wraps c.
func New(c Client) API { return API{Client: c} }

// VpcAttribute reads a boolean attribute of vpc: "enableDnsSupport" or
// "enableDnsHostnames".
func (a API) VpcAttribute(ctx context.Context, vpc, attr string) (bool, error) {
	name := ec2types.VpcAttributeName(attr)
	out, err := a.Client.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: aws.String(vpc), Attribute: name})
	if err != nil {
		return false, err
	}
	switch name {
	case ec2types.VpcAttributeNameEnableDnsSupport:
		return out.EnableDnsSupport != nil && aws.ToBool(out.EnableDnsSupport.Value), nil
	case ec2types.VpcAttributeNameEnableDnsHostnames:
		return out.EnableDnsHostnames != nil && aws.ToBool(out.EnableDnsHostnames.Value), nil
	}
	return false, nil
}

// EnablePrivateDNS turns private DNS on for the endpoint id.
func (a API) EnablePrivateDNS(ctx context.Context, id string) error {
	_, err := a.Client.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), PrivateDnsEnabled: aws.Bool(true)})
	return err
}

// SetEndpointPolicy replaces the endpoint id's policy with policy.
func (a API) SetEndpointPolicy(ctx context.Context, id, policy string) error {
	_, err := a.Client.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), PolicyDocument: aws.String(policy)})
	return err
}

// Tag tags the EC2 resource id with key=value.
func (a API) Tag(ctx context.Context, id, key, value string) error {
	_, err := a.Client.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []ec2types.Tag{{Key: aws.String(key), Value: aws.String(value)}}})
	return err
}
