package backfill_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

// BenchmarkBackfill measures a report-mode backfill of n models, n notebooks
// and n SageMaker endpoints (plus n/10 ssm endpoints it must skip) on moto,
// with one worker and with the default pool. Run with:
//
//	go test -run '^$' -bench BenchmarkBackfill -benchtime 3x ./shared/backfill/
//
// resources/s is what a person waits for; calls/resource is what AWS
// throttling sees; peak-heap-MB is the most heap in use during a run.
func BenchmarkBackfill(b *testing.B) {
	for _, n := range []int{200, 1000} {
		e := testenv.New(b, testenv.Seed(0))
		srv, c := e.Server, e.Estate(testenv.Region)
		ctx := context.Background()
		net, err := c.NewNetwork(ctx, "us-east-1")
		if err != nil {
			b.Fatal(err)
		}
		seedStart := time.Now()
		if _, err := c.Bulk(ctx, net, n, 8); err != nil {
			b.Fatal(err)
		}
		b.Logf("seeded %d per kind in %s", n, time.Since(seedStart).Round(time.Millisecond))
		for _, conc := range []int{1, backfill.DefaultConcurrency} {
			b.Run(fmt.Sprintf("perKind=%d/concurrency=%d", n, conc), func(b *testing.B) {
				base := srv.Config("us-east-1")
				base.Retryer = awsclients.NewRetryer
				calls := backfill.NewCalls()
				calls.Instrument(&base)
				accounts := awsclients.NewAccounts(base, "")
				accounts.SetHomeAccount(testenv.Account)
				cfg := config.Default()
				cfg.Mode = mode.Report
				opts := guards.Backfill(accounts, backfill.Options{Calls: calls, Regions: []string{"us-east-1"}, Concurrency: conc})
				opts.Guard = setup.Guard(cfg, accounts, rules.All(), nil, guards.Kinds...)
				var resources, callsTotal int64
				var elapsed time.Duration
				peak := &heapPeak{}
				b.ResetTimer()
				for b.Loop() {
					stop := peak.watch()
					start := time.Now()
					s, err := backfill.Run(ctx, opts)
					elapsed += time.Since(start)
					stop()
					if err != nil {
						b.Fatal(err)
					}
					if want := 3 * n; s.Resources != want {
						b.Fatalf("resources %d; want %d", s.Resources, want)
					}
					resources += int64(s.Resources)
					callsTotal += s.CallsTotal
				}
				b.ReportMetric(float64(resources)/elapsed.Seconds(), "resources/s")
				b.ReportMetric(float64(callsTotal)/float64(resources), "calls/resource")
				b.ReportMetric(float64(peak.max.Load())/(1<<20), "peak-heap-MB")
			})
		}
	}
}

// heapPeak samples HeapInuse every 5ms while a run is going.
type heapPeak struct{ max atomic.Uint64 }

func (h *heapPeak) watch() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > h.max.Load() {
				h.max.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
