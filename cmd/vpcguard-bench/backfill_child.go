package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/inventory/tagindex"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/domains"
	"github.com/vpcguard/vpcguard/shared/setup/endpoints"
	"github.com/vpcguard/vpcguard/shared/setup/jobs"
	"github.com/vpcguard/vpcguard/shared/setup/models"
	"github.com/vpcguard/vpcguard/shared/setup/networks"
	"github.com/vpcguard/vpcguard/shared/setup/notebooks"
)

// childRun is what one backfill run reports to the parent. Each run is its
// own process (this binary, with -child-endpoint), so its peak RSS is the
// backfill's alone, and no run inherits another's heap or connections.
type childRun struct {
	Resources          int              `json:"resources"`
	DurationSeconds    float64          `json:"durationSeconds"`
	ResourcesPerSecond float64          `json:"resourcesPerSecond"`
	CallsTotal         int64            `json:"callsTotal"`
	CallsPerResource   float64          `json:"callsPerResource"`
	Calls              map[string]int64 `json:"calls"`
	Errors             int              `json:"errors"`
	FirstError         string           `json:"firstError,omitempty"`
	HeapPeakBytes      uint64           `json:"heapPeakBytes"`
	// Findings are "rule resource status", sorted: what must not change
	// with the concurrency or the latency. The child keeps them to compare
	// runs; the memory figures are the real vpcguard command's (memory.go).
	Findings []string `json:"findings"`
}

// runChild runs one report-mode backfill of us-east-1 against endpoint
// (moto, or the latency proxy in front of it) and prints a childRun.
func runChild(endpoint string, concurrency int) error {
	ctx := context.Background()
	base := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 3,
		Retryer:          awsclients.NewRetryer,
	}
	calls := backfill.NewCalls()
	calls.Instrument(&base)
	accounts := awsclients.NewAccounts(base, "")
	accounts.SetHomeAccount(motoserver.Account)
	cfg := config.Default()
	cfg.Mode = mode.Report
	// Every kind a backfill lists, as the CLI wires them: the estate has
	// no domains or jobs, whose listings cost a few calls per run.
	kinds := []setup.Kind{networks.Zoned(models.Wiring), notebooks.Wiring, endpoints.Wiring, networks.VPCs, domains.Wiring, jobs.Wiring}
	opts := setup.BackfillOptions(cfg, accounts, nil, setup.BackfillOnly{TagIndex: tagindex.New}, kinds...)
	opts.Guard = setup.Guard(cfg, accounts, rules.All(), nil, kinds...)
	opts.Calls, opts.Regions, opts.Concurrency = calls, []string{"us-east-1"}, concurrency

	var last atomic.Int64
	peak := &heapPeak{}
	stop := peak.watch()
	opts.Progress = func(p backfill.Progress) {
		// A line every 10 s, so a long run is not silent.
		if s := int64(p.Elapsed / (10 * time.Second)); s > last.Load() {
			last.Store(s)
			fmt.Fprintf(os.Stderr, "           ... %d of %d resources after %s\n", p.Done, p.Total, p.Elapsed.Round(time.Second))
		}
	}
	var out childRun
	opts.Findings = func(f finding.Finding) error {
		out.Findings = append(out.Findings, f.Rule+" "+f.ResourceID+" "+string(f.Status))
		return nil
	}
	s, err := backfill.Run(ctx, opts)
	stop()
	if err != nil {
		return err
	}
	out.Resources, out.DurationSeconds, out.ResourcesPerSecond = s.Resources, s.DurationSeconds, s.ResourcesPerSecond
	out.CallsTotal, out.CallsPerResource, out.Calls = s.CallsTotal, s.CallsPerResource, s.Calls
	out.Errors, out.HeapPeakBytes = len(s.Errors)+s.ErrorsOmitted, peak.max.Load()
	if len(s.Errors) > 0 {
		out.FirstError = s.Errors[0].Error
	}
	slices.Sort(out.Findings)
	return json.NewEncoder(os.Stdout).Encode(out)
}

// heapPeak samples the Go heap in use (runtime.MemStats.HeapInuse) every
// 5 ms while a run is going, as BenchmarkBackfill does.
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
