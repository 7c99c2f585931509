package backfill

import (
	"context"

	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// list enumerates one kind in one account and region and queues each
// resource. A listing that fails is reported in the summary; the run goes on.
func (r *run) list(ctx context.Context, account, region string, kind resource.Kind, rs []rules.Rule) {
	src, err := r.opts.Sources(ctx, account, region)
	if err != nil {
		r.listFailed(account, region, kind, err)
		return
	}
	lister, err := src.Lister(kind)
	if err == nil {
		err = lister.List(ctx, account, region, r.opts.PageSize, func(s resource.State, known bool) bool {
			return r.enqueue(ctx, task{rules: rs, state: s, known: known, reader: src.Reader})
		})
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		r.listFailed(account, region, kind, err)
		return
	}
	r.listOK.Add(1)
}
