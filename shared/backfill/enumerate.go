package backfill

import (
	"context"
	"fmt"

	"github.com/vpcguard/vpcguard/shared/resource"
)

// list enumerates one kind in one account and region and queues each
// resource. A listing that fails is reported in the summary; the run goes on.
func (r *run) list(ctx context.Context, j listJob) {
	u := j.unit
	defer r.listDone(u)
	u.srcOnce.Do(func() {
		u.src, u.srcErr = r.opts.Sources(ctx, u.account.id, u.region)
		if u.srcErr != nil {
			return
		}
		// Every lister of the account and region is built before any lists,
		// in the run's order of kinds and only for the kinds this part
		// lists: listers may share a read (a region's models serve the
		// model and the VPC listings), and one that would wait for
		// another's read must know, when it is built, that the other was
		// built before it and will be listed (its job handed out) first,
		// so the wait always ends.
		u.listers = make(map[resource.Kind]builtLister, len(r.listed))
		for _, kind := range r.listed {
			l, err := u.src.Lister(kind)
			u.listers[kind] = builtLister{l, err}
		}
	})
	if j.reads != nil {
		r.read(ctx, j)
		return
	}
	if u.srcErr != nil {
		r.listFailed(u, j.kind, u.srcErr)
		return
	}
	built := u.listers[j.kind]
	if r.spent() {
		// The next part lists it. A listing another waits for lets it go
		// (it reads for itself, or is left to the next part too).
		if a, ok := built.lister.(abandoner); ok {
			a.Abandon()
		}
		return
	}
	p := j.progress
	if p != nil {
		p.started = true
	}
	seen, cut := 0, false
	lister, err := built.lister, built.err
	if err == nil {
		err = lister.List(ctx, u.account.id, u.region, r.opts.PageSize, func(s resource.State, known bool) bool {
			seen++
			if p != nil && seen <= p.skip {
				// An earlier part judged it. The listing's order is the
				// same unless a resource was created or deleted meanwhile:
				// then a few may be judged twice or wait for the next run.
				if seen == p.skip && s.ID != p.last {
					r.shifted(u, j.kind, p)
				}
				return true
			}
			if r.spent() {
				cut = true
				return false
			}
			if !r.enqueue(ctx, task{rules: j.rules, state: s, known: known, unit: u}) {
				return false
			}
			if p != nil {
				p.handed++
				p.last = s.ID
			}
			return true
		})
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil && r.spent() && ctx.Err() == nil {
		// The budget ran out while it listed (a shared read it waited for
		// stopped with it): the next part lists it again.
		return
	}
	if err != nil {
		r.listFailed(u, j.kind, err)
		return
	}
	if p != nil && seen < p.skip {
		r.shifted(u, j.kind, p)
	}
	if p != nil && !cut {
		p.done = true
	}
	r.listOK.Add(1)
}

// read queues the resources another inventory named (Options.Read) to be
// read online and judged.
func (r *run) read(ctx context.Context, j listJob) {
	u := j.unit
	for _, s := range j.reads {
		if r.spent() {
			return
		}
		if u.srcErr != nil {
			r.listFailed(u, s.Kind, u.srcErr)
			return
		}
		if !r.enqueue(ctx, task{rules: j.byKind[s.Kind], state: s, unit: u}) {
			return
		}
		r.mu.Lock()
		r.readDone++
		r.mu.Unlock()
	}
	r.listOK.Add(1)
}

// shifted notes that a listing resumed from an earlier part no longer
// starts with what that part judged.
func (r *run) shifted(u *unit, kind resource.Kind, p *progress) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addError(u.account, RunError{Account: u.account.id, Region: u.region, Kind: string(kind),
		Error: fmt.Sprintf("the listing changed since the earlier part of this run stopped after %d resources (last %s): a resource created or deleted meanwhile may be judged twice, or only by the next run", p.skip, p.last)})
}

// builtLister is a unit's lister of one kind, or why it has none.
type builtLister struct {
	lister Lister
	err    error
}

// abandoner is a lister another listing may wait for (a region's model
// listing, whose read the VPC listing shares): Abandon tells the waiters
// it will not list.
type abandoner interface {
	Abandon()
}
