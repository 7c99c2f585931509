package testenv

import (
	"context"

	"github.com/vpcguard/vpcguard/shared/inventory/endpointstate"
	"github.com/vpcguard/vpcguard/shared/inventory/networkstate"
	"github.com/vpcguard/vpcguard/shared/inventory/sagemakerstate"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// Readers reads every kind with its production reader on the Env's
// clients, dispatched by kind as package setup does (tests of packages setup
// imports cannot import setup): models with their subnets' zones, as the
// backfill and the CLI read them; sm replaces the SageMaker client when not
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
	smr := &sagemakerstate.Reader{SageMaker: sm}
	subnets := networkstate.NewSubnets(e.EC2)
	return ByKind{
		sageMaker: smr,
		models:    networkstate.ZonedModels{Models: smr, Zones: subnets},
		endpoints: &endpointstate.Reader{EC2: e.EC2},
		vpcs: networkstate.VPCs{EC2: e.EC2, Subnets: subnets, Models: sagemakerstate.ModelSubnets{SageMaker: e.SageMaker, MaxDescribes: networkstate.MaxDescribesPerRead},
			ModelsMatter: rules.ModelsMatter},
		domains: &sagemakerstate.DomainReader{SageMaker: domains},
		jobs:    &sagemakerstate.JobReader{SageMaker: jobs},
	}
}

// ByKind reads each kind with its own reader.
type ByKind struct {
	sageMaker *sagemakerstate.Reader
	models    networkstate.ZonedModels
	endpoints *endpointstate.Reader
	vpcs      networkstate.VPCs
	domains   *sagemakerstate.DomainReader
	jobs      *sagemakerstate.JobReader
}

func (r ByKind) reader(k resource.Kind) networkstate.Reader {
	switch k {
	case resource.VPCEndpoint:
		return r.endpoints
	case resource.VPC:
		return r.vpcs
	case resource.Model:
		return r.models
	case resource.StudioDomain:
		return r.domains
	case resource.Job:
		return r.jobs
	}
	return r.sageMaker
}

func (r ByKind) Read(ctx context.Context, ref resource.Ref) (resource.State, error) {
	return r.reader(ref.Kind).Read(ctx, ref)
}

// Resolve resolves refs as package setup's dispatcher does.
func (r ByKind) Resolve(ctx context.Context, ref resource.Ref) (resource.Ref, bool, error) {
	if ref.Kind == resource.VPC {
		return r.vpcs.Resolve(ctx, ref)
	}
	return ref, true, nil
}

func (r ByKind) Tags(ctx context.Context, s resource.State) (map[string]string, error) {
	return r.reader(s.Kind).Tags(ctx, s)
}
