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
	u.srcOnce.Do(func() { u.src, u.srcErr = r.opts.Sources(ctx, u.account.id, u.region) })
	if u.srcErr != nil {
		r.listFailed(u, j.kind, u.srcErr)
		return
	}
	lister, err := u.src.Lister(j.kind)
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
