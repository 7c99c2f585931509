// Package inventory reads the current state of the resources vpcguard
// guards. Online evaluation decides on this, never on the event alone, so
// stale, reordered and replayed events decide correctly.
//
// Reader reads every kind and so links both the SageMaker and the EC2 SDK;
// a Lambda that guards one kind uses its reader alone (sagemakerstate,
// endpointstate) and links only that service.
package inventory

import (
	"context"
	"fmt"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcguard/vpcguard/shared/inventory/endpointstate"
	"github.com/vpcguard/vpcguard/shared/inventory/sagemakerstate"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// SageMakerAPI is the part of the SageMaker client the reader calls.
type SageMakerAPI = sagemakerstate.API

// EC2API is the part of the EC2 client the reader calls.
type EC2API = endpointstate.API

// Reader reads resources of every kind in one account and region.
type Reader struct {
	SageMaker SageMakerAPI
	EC2       EC2API
}

// Read returns the current state of ref. A resource that does not exist is
// returned with Missing set and no error; an error means the state could not
// be read and nothing should be decided.
func (r *Reader) Read(ctx context.Context, ref resource.Ref) (resource.State, error) {
	switch ref.Kind {
	case resource.Model, resource.Notebook:
		return (&sagemakerstate.Reader{SageMaker: r.SageMaker}).Read(ctx, ref)
	case resource.VPCEndpoint:
		return (&endpointstate.Reader{EC2: r.EC2}).Read(ctx, ref)
	}
	return resource.State{Ref: ref}, fmt.Errorf("unknown resource kind %q", ref.Kind)
}

// Tags reads a resource's tags. Endpoints carry theirs in the describe
// answer; SageMaker resources need a ListTags call, made only when a
// decision depends on them.
func (r *Reader) Tags(ctx context.Context, s resource.State) (map[string]string, error) {
	if s.Tags != nil {
		return s.Tags, nil
	}
	switch s.Kind {
	case resource.Model, resource.Notebook:
		return (&sagemakerstate.Reader{SageMaker: r.SageMaker}).Tags(ctx, s)
	case resource.VPCEndpoint:
		return (&endpointstate.Reader{EC2: r.EC2}).Tags(ctx, s)
	}
	return map[string]string{}, nil
}

// EndpointState converts a described VPC endpoint.
func EndpointState(account, region string, ep ec2types.VpcEndpoint) resource.State {
	return endpointstate.State(account, region, ep)
}
