package backfill

import (
	"context"

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
		// in the run's order of kinds: listers may share a read (a region's
		// models serve the model and the VPC listings), and one that would
		// wait for another's read must know, when it is built, that the
		// other was built before it, so it is listed (its job handed out)
		// first and the wait always ends.
		u.listers = make(map[resource.Kind]builtLister, len(r.kinds))
		for _, kind := range r.kinds {
			l, err := u.src.Lister(kind)
			u.listers[kind] = builtLister{l, err}
		}
	})
	if u.srcErr != nil {
		r.listFailed(u, j.kind, u.srcErr)
		return
	}
	built := u.listers[j.kind]
	lister, err := built.lister, built.err
	if err == nil {
		err = lister.List(ctx, u.account.id, u.region, r.opts.PageSize, func(s resource.State, known bool) bool {
			return r.enqueue(ctx, task{rules: j.rules, state: s, known: known, unit: u})
		})
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		r.listFailed(u, j.kind, err)
		return
	}
	r.listOK.Add(1)
}

// builtLister is a unit's lister of one kind, or why it has none.
type builtLister struct {
	lister Lister
	err    error
}
