package testenv

import (
	"context"

	"github.com/vpcguard/vpcguard/shared/inventory/endpointstate"
	"github.com/vpcguard/vpcguard/shared/inventory/sagemakerstate"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// Readers reads every kind with its production reader on the Env's
// clients, dispatched by kind as package setup does (tests of packages setup
// imports cannot import setup); sm replaces the SageMaker client when not
// nil. It is an evaluate.StateReader.
func (e *Env) Readers(sm sagemakerstate.API) ByKind {
	if sm == nil {
		sm = e.SageMaker
	}
	return ByKind{sageMaker: &sagemakerstate.Reader{SageMaker: sm}, endpoints: &endpointstate.Reader{EC2: e.EC2}}
}

// ByKind reads SageMaker resources and VPC endpoints with their own readers.
type ByKind struct {
	sageMaker *sagemakerstate.Reader
	endpoints *endpointstate.Reader
}

func (r ByKind) Read(ctx context.Context, ref resource.Ref) (resource.State, error) {
	if ref.Kind == resource.VPCEndpoint {
		return r.endpoints.Read(ctx, ref)
	}
	return r.sageMaker.Read(ctx, ref)
}

func (r ByKind) Tags(ctx context.Context, s resource.State) (map[string]string, error) {
	if s.Kind == resource.VPCEndpoint {
		return r.endpoints.Tags(ctx, s)
	}
	return r.sageMaker.Tags(ctx, s)
}
