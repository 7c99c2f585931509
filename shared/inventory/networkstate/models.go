package networkstate

import (
	"context"

	"github.com/vpcguard/vpcguard/shared/resource"
)

// Reader reads a resource's current state and its tags: the model reader
// (sagemakerstate) ZonedModels wraps. It is evaluate.StateReader.
type Reader interface {
	Read(ctx context.Context, ref resource.Ref) (resource.State, error)
	Tags(ctx context.Context, s resource.State) (map[string]string, error)
}

// Lister lists resources for the backfill: backfill.Lister.
type Lister interface {
	List(ctx context.Context, account, region string, pageSize int32, emit func(s resource.State, known bool) bool) error
}

// ZonedModels reads models with Models, then the Availability Zones of their
// subnets when a decision may depend on them (two subnets or more). A zone
// that cannot be read fails the read: the state is incomplete, and an error
// is what makes a guard retry.
type ZonedModels struct {
	Models Reader
	Zones  *Subnets
}

func (r ZonedModels) Read(ctx context.Context, ref resource.Ref) (resource.State, error) {
	s, err := r.Models.Read(ctx, ref)
	if err != nil || s.Missing {
		return s, err
	}
	if err := fillZones(ctx, r.Zones, &s); err != nil {
		return resource.State{Ref: ref}, err
	}
	return s, nil
}

func (r ZonedModels) Tags(ctx context.Context, s resource.State) (map[string]string, error) {
	return r.Models.Tags(ctx, s)
}

// ZonedModelList lists models with Models and adds their subnets' zones to
// the ones listed with their configuration (SageMaker Search). Where a zone
// cannot be read, the model is handed on unknown, so that the reader reads
// it again and its finding carries the error.
type ZonedModelList struct {
	Models Lister
	Zones  *Subnets
}

// Abandon passes the backfill's word that the listing will not run to the
// model listing, when it waits on one (sagemakerstate.Models).
func (l ZonedModelList) Abandon() {
	if a, ok := l.Models.(interface{ Abandon() }); ok {
		a.Abandon()
	}
}

func (l ZonedModelList) List(ctx context.Context, account, region string, pageSize int32, emit func(resource.State, bool) bool) error {
	return l.Models.List(ctx, account, region, pageSize, func(s resource.State, known bool) bool {
		if known && fillZones(ctx, l.Zones, &s) != nil {
			s.Model = nil
			known = false
		}
		return emit(s, known)
	})
}
