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
// nil (for domains and jobs too, when it has their calls). It is an
// evaluate.StateReader.
func (e *Env) Readers(sm sagemakerstate.API) ByKind {
	if sm == nil {
		sm = e.SageMaker
	}
	var domains sagemakerstate.DomainAPI = e.SageMaker
	if d, ok := sm.(sagemakerstate.DomainAPI); ok {
		domains = d
	}
	var jobs sagemakerstate.JobAPI = e.SageMaker
	if j, ok := sm.(sagemakerstate.JobAPI); ok {
		jobs = j
	}
	return ByKind{sageMaker: &sagemakerstate.Reader{SageMaker: sm}, endpoints: &endpointstate.Reader{EC2: e.EC2},
		domains: &sagemakerstate.DomainReader{SageMaker: domains}, jobs: &sagemakerstate.JobReader{SageMaker: jobs}}
}

// ByKind reads SageMaker resources and VPC endpoints with their own readers.
type ByKind struct {
	sageMaker *sagemakerstate.Reader
	endpoints *endpointstate.Reader
	domains   *sagemakerstate.DomainReader
	jobs      *sagemakerstate.JobReader
}

type stateReader interface {
	Read(ctx context.Context, ref resource.Ref) (resource.State, error)
	Tags(ctx context.Context, s resource.State) (map[string]string, error)
}

func (r ByKind) of(kind resource.Kind) stateReader {
	switch kind {
	case resource.VPCEndpoint:
		return r.endpoints
	case resource.StudioDomain:
		return r.domains
	case resource.Job:
		return r.jobs
	}
	return r.sageMaker
}

func (r ByKind) Read(ctx context.Context, ref resource.Ref) (resource.State, error) {
	return r.of(ref.Kind).Read(ctx, ref)
}

func (r ByKind) Tags(ctx context.Context, s resource.State) (map[string]string, error) {
	return r.of(s.Kind).Tags(ctx, s)
}
