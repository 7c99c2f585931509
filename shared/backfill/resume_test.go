package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

// budgetOf is a budget spent after n resources: what a Lambda's remaining
// time does, counted instead of timed so the test is exact.
func budgetOf(n int64) func() bool {
	var started atomic.Int64
	return func() bool { return started.Add(1) > n }
}

// TestContinuationsJudgeEveryResourceOnce: a run that spends its budget
// stops cleanly and says where; going on from each continuation in turn
// judges every resource exactly once, as one whole run does.
func TestContinuationsJudgeEveryResourceOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.seed(region)
	net, err := c.NewNetwork(ctx, region)
	must(t, err)
	for i := range 12 {
		var in = net
		if i%3 == 0 {
			in = nil
		}
		must(t, c.Model(ctx, fmt.Sprintf("model-%02d", i), in, nil))
	}
	for i := range 9 {
		must(t, c.Notebook(ctx, fmt.Sprintf("notebook-%02d", i), "Enabled", "", nil))
	}
	for i := range 3 {
		_, err := c.Endpoint(ctx, net, "com.amazonaws."+region+".sagemaker.api", nil, fmt.Sprintf("api-%d", i))
		must(t, err)
	}

	whole := e.run(t, mode.Report, backfill.Options{Regions: []string{region}})
	if whole.Summary.Continuation != nil {
		t.Fatalf("a run without a budget returned a continuation: %+v", whole.Summary.Continuation)
	}

	var parts int
	var got []finding.Finding
	var resume *backfill.Continuation
	for parts = 1; parts < 20; parts++ {
		res := e.run(t, mode.Report, backfill.Options{Regions: []string{region}, Accounts: []string{testAccount}, Concurrency: 3,
			Budget: budgetOf(7), Resume: resume})
		got = append(got, res.Findings...)
		if len(res.Summary.Errors) > 0 {
			t.Errorf("part %d: errors %+v; want none", parts, res.Summary.Errors)
		}
		if res.Summary.Continuation == nil {
			break
		}
		if res.Summary.Resources > 7 {
			t.Errorf("part %d judged %d resources; the budget allows 7", parts, res.Summary.Resources)
		}
		resume = res.Summary.Continuation
	}
	if parts < 4 {
		t.Errorf("%d parts for %d resources at 7 a part; want at least 4", parts, whole.Summary.Resources)
	}
	if a, b := findingKeys(whole.Findings), findingKeys(got); !slices.Equal(a, b) {
		t.Errorf("findings over %d parts:\n%v\nwant those of one whole run:\n%v", parts, b, a)
	}
}

// TestCoveredKindsAreReadNotListed: kinds another inventory covered are not
// listed; the resources it named are read online and judged.
func TestCoveredKindsAreReadNotListed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.seed(region)
	must(t, c.Model(ctx, "named", nil, nil))
	must(t, c.Model(ctx, "not-named", nil, nil))
	must(t, c.Notebook(ctx, "open", "Enabled", "", nil))
	before := e.calls.Snapshot()
	// The rules of the two kinds seeded: the catalogue's other model rules
	// and the VPC rule (whose lister reads models) would list or judge
	// models again.
	res := e.run(t, mode.Report, backfill.Options{Regions: []string{region}, Accounts: []string{testAccount},
		Rules:   []rules.Rule{rules.ModelInVPC{}, rules.NotebookNoDirectInternet{}},
		Covered: []resource.Kind{resource.Model},
		Read: []resource.State{
			{Ref: resource.Ref{Kind: resource.Model, ID: "named", Account: testAccount, Region: region}},
			{Ref: resource.Ref{Kind: resource.Model, ID: "deleted-since", Account: testAccount, Region: region}},
		}})
	want := []string{
		region + " " + modelRule + " deleted-since NOT_APPLICABLE",
		region + " " + modelRule + " named NON_COMPLIANT",
		region + " " + notebookRule + " open NON_COMPLIANT",
	}
	if got := findingKeys(res.Findings); !slices.Equal(got, want) {
		t.Errorf("findings %v; want %v", got, want)
	}
	after := e.calls.Snapshot()
	for _, op := range []string{"sagemaker:ListModels", "sagemaker:Search"} {
		if n := after[op] - before[op]; n != 0 {
			t.Errorf("%s called %d times; a covered kind is not listed", op, n)
		}
	}
}

// TestReadOutsideTheRunIsRefused: a resource of another account cannot be
// slipped into a shard's reads.
func TestReadOutsideTheRunIsRefused(t *testing.T) {
	e := newEnv(t)
	opts := backfill.Options{Regions: []string{region}, Accounts: []string{testAccount},
		Read: []resource.State{{Ref: resource.Ref{Kind: resource.Model, ID: "m", Account: "999999999999", Region: region}}}}
	_, err := backfill.Run(context.Background(), e.options(opts))
	if err == nil {
		t.Fatal("Run: nil error; want the read outside the run refused")
	}
	_, err = backfill.Run(context.Background(), e.options(backfill.Options{Regions: []string{region, "eu-west-1"}, Budget: budgetOf(1)}))
	if !errors.Is(err, backfill.ErrBudgetNeedsOneShard) {
		t.Errorf("budget over two regions: %v; want ErrBudgetNeedsOneShard", err)
	}
}

// findingKeys names each finding by region, rule, resource and status, sorted.
func findingKeys(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, key(f)+" "+string(f.Status))
	}
	slices.Sort(out)
	return out
}

const (
	region      = testenv.Region
	testAccount = testenv.Account
)

// options wires opts to moto as run does, in report mode.
func (e *env) options(opts backfill.Options) backfill.Options {
	cfg := config.Default()
	cfg.Sinks = nil
	if len(opts.Rules) == 0 {
		opts.Rules = rules.All()
	}
	opts = guards.Backfill(e.accounts, opts)
	opts.Calls = e.calls
	opts.Guard = setup.Guard(cfg, e.accounts, opts.Rules, nil, guards.Kinds...)
	return opts
}

// TestCoveredModelsStillServeTheVPCListing: with models covered by another
// inventory (Config) the model listing does not run, so the VPC listing,
// which shares a listing's read of the models, reads them itself instead
// of waiting for a read that never comes; the VPC is judged.
func TestCoveredModelsStillServeTheVPCListing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.seed(region)
	net, err := c.NewNetwork(ctx, region)
	must(t, err)
	must(t, c.Model(ctx, "hosted", net, nil))
	res := e.run(t, mode.Report, backfill.Options{Regions: []string{region}, Accounts: []string{testAccount},
		Rules:   []rules.Rule{rules.ModelInVPC{}, rules.VPCPrivatePathComplete{}},
		Covered: []resource.Kind{resource.Model}})
	judged := false
	for _, f := range res.Findings {
		if f.Rule == pathRule && f.ResourceName == net.VPC {
			judged = f.Status == finding.NonCompliant && strings.Contains(f.Reason, "runtime")
		}
		if f.Rule == modelRule {
			t.Errorf("model finding %s %s: a covered kind is not listed", f.ResourceName, f.Status)
		}
	}
	if !judged {
		t.Errorf("findings %v; want %s NON_COMPLIANT, hosting a model without a sagemaker.runtime endpoint", findingKeys(res.Findings), net.VPC)
	}
	if n := res.Summary.Calls["sagemaker:DescribeModel"]; n != 1 {
		t.Errorf("DescribeModel calls %d; want 1: the VPC listing's own read of the one model", n)
	}
}
