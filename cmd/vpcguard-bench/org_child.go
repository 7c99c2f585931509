package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/vpcguard/vpcguard/internal/testenv/configfake"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/internal/testenv/orgestate"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// orgRules are the rules the seeded organization is built for, one per
// seeded kind, as shared/orgbackfill's tests run them: one finding per
// resource. The catalogue's other rules judge the same models and VPCs
// again (and the multi-AZ rule needs subnets Config's item cannot tell).
var orgRules = []rules.Rule{rules.ModelInVPC{}, rules.NotebookNoDirectInternet{}, rules.EndpointPrivateDNS{}, rules.StudioDomainVPCOnly{}}

// orgHome is the central account's Region on moto.
const orgHome = "us-east-1"

// orgChildSpec is one organization backfill the parent asks a child process
// to run: each run is its own process, so its peak RSS is the run's alone.
type orgChildSpec struct {
	Endpoint string   `json:"endpoint"`
	Accounts []string `json:"accounts"`
	Regions  []string `json:"regions"`
	// Aggregator, when set, names the Config aggregator; the child then
	// starts the Config FAKE (configfake) on the items in ItemsFile.
	Aggregator string `json:"aggregator,omitempty"`
	ItemsFile  string `json:"itemsFile,omitempty"`
}

// orgChildRun is what the child reports.
type orgChildRun struct {
	Summary         orgbackfill.Summary `json:"summary"`
	DurationSeconds float64             `json:"durationSeconds"`
	Calls           map[string]int64    `json:"calls"`
	HeapPeakBytes   uint64              `json:"heapPeakBytes"`
	Findings        int                 `json:"findings"`
	NonCompliant    int                 `json:"nonCompliant"`
	ByEvaluation    map[string]int      `json:"byEvaluation"`
	// ConfigQueries are the fake's answered SELECT calls (pages), by
	// resource type; empty without an aggregator.
	ConfigQueries []string `json:"configQueries,omitempty"`
}

// runOrgChild runs the organization backfill of spec in process, as
// orgbackfill.Local runs it for the CLI and shared/orgbackfill's tests:
// the state machine's plan and shard code, a few shards at a time.
func runOrgChild(specFile string) error {
	ctx := context.Background()
	raw, err := os.ReadFile(specFile)
	if err != nil {
		return err
	}
	var spec orgChildSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("read %s: %w", specFile, err)
	}
	base := aws.Config{
		Region:           orgHome,
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(spec.Endpoint),
		RetryMaxAttempts: 3,
		Retryer:          awsclients.NewRetryer,
	}
	var out orgChildRun
	out.ByEvaluation = map[string]int{}
	o := guards.Organization{Rules: orgRules, Regions: spec.Regions, Concurrency: backfill.DefaultConcurrency,
		// Local calls the sink one finding at a time; the child counts, it
		// keeps none.
		Findings: func(f finding.Finding) error {
			out.Findings++
			if f.Status == finding.NonCompliant {
				out.NonCompliant++
			}
			out.ByEvaluation[f.Evaluation]++
			return nil
		}}
	req := orgbackfill.Request{Accounts: spec.Accounts, Regions: spec.Regions}
	var fake *configfake.Server
	if spec.Aggregator != "" {
		items, err := readItems(spec.ItemsFile)
		if err != nil {
			return err
		}
		fake = configfake.New(spec.Aggregator, items)
		defer fake.Close()
		o.ConfigURL = fake.URL
		req.ConfigAggregator = &spec.Aggregator
	} else {
		none := ""
		req.ConfigAggregator = &none
	}
	local, calls := o.Local(base)
	var mu sync.Mutex
	local.AccountDone = func(a orgbackfill.AccountTally, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if done%10 == 0 || done == total {
			fmt.Fprintf(os.Stderr, "           ... %d of %d accounts done\n", done, total)
		}
	}

	peak := &heapPeak{}
	stop := peak.watch()
	start := time.Now()
	s, err := local.Run(ctx, req)
	out.DurationSeconds = time.Since(start).Seconds()
	stop()
	if err != nil {
		return err
	}
	out.Summary, out.Calls, out.HeapPeakBytes = s, calls.Snapshot(), peak.max.Load()
	if fake != nil {
		out.ConfigQueries = fake.Types()
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

func readItems(path string) ([]orgestate.Item, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var items []orgestate.Item
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("read the seeded items %s: %w", path, err)
	}
	return items, nil
}
