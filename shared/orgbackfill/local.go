package orgbackfill

import (
	"context"
	"sync"

	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// DefaultParallel is how many shards Local runs at once.
const DefaultParallel = 4

// Local runs an organization backfill in this process, as the CLI does:
// the same plan and the same shard runs (RunShard) as the state machine,
// a few shards at a time instead of a Distributed Map, with no time budget.
type Local struct {
	Planner *Planner
	// Engine is what every shard shares: the guard, the sources, the
	// calls, the concurrency within a shard, the findings' sink (called
	// one at a time).
	Engine backfill.Options
	// Parallel shards run at once; default DefaultParallel.
	Parallel int
	// Forget lets go of an account's clients once all its shards are done
	// (the shards come in account order, so an account's are in flight
	// together and share its cached credentials).
	Forget func(account string)
	// AccountDone is told each account's tally as its last shard ends,
	// with how many accounts are done.
	AccountDone func(a AccountTally, done, total int)
}

// Run plans req and runs its shards. An error means the run could not be
// planned; a shard that fails is named in the summary.
func (l *Local) Run(ctx context.Context, req Request) (Summary, error) {
	var sink sync.Mutex
	findings := l.Engine.Findings
	if findings != nil {
		l.Engine.Findings = func(f finding.Finding) error {
			sink.Lock()
			defer sink.Unlock()
			return findings(f)
		}
	}
	ev := l.Engine.Guard.Evaluator
	if len(l.Engine.Rules) > 0 {
		copied := *ev
		copied.Rules = l.Engine.Rules
		ev = &copied
	}
	scope := backfill.NewCalls()
	plan, err := l.Planner.Plan(backfill.WithScope(ctx, scope), req, ev, l.Engine.Findings)
	if err != nil {
		return Summary{}, err
	}
	plan.CountCalls(scope.Snapshot())
	totals := NewTotals("", plan, len(plan.Shards))
	left := map[string]int{}
	for _, s := range plan.Shards {
		left[s.Account]++
	}
	accountsDone := 0

	opts := l.Engine
	// Local lets an account go once every one of its shards is done.
	opts.AccountDone = nil
	shards := make(chan Shard)
	var mu sync.Mutex
	var wg sync.WaitGroup
	parallel := l.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	for range parallel {
		wg.Go(func() {
			for s := range shards {
				res, err := RunShard(ctx, opts, ShardInput{Shard: s}, nil)
				mu.Lock()
				if err != nil {
					totals.AddFailure(FailedShard{Account: s.Account, Region: s.Region, Error: err.Error()})
				} else {
					totals.AddShard(res)
				}
				if left[s.Account]--; left[s.Account] == 0 {
					accountsDone++
					if l.Forget != nil {
						l.Forget(s.Account)
					}
					if l.AccountDone != nil {
						l.AccountDone(totals.Account(s.Account), accountsDone, len(left))
					}
				}
				mu.Unlock()
			}
		})
	}
	for _, s := range plan.Shards {
		select {
		case shards <- s:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(shards)
	wg.Wait()
	return totals.Summary(0), ctx.Err()
}
