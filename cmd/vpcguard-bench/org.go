package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/internal/testenv/orgestate"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// orgSize is the organization the org group seeds on moto, and the two
// sizes (members, all of its Regions) its memory is measured at.
type orgSize struct {
	members      int
	regions      []string
	memoryAt     [2]int // members, each in every Region
	seedParallel int
}

var (
	orgFull  = orgSize{members: 30, regions: []string{"us-east-1", "eu-west-1", "ap-southeast-2"}, memoryAt: [2]int{10, 30}, seedParallel: 8}
	orgQuick = orgSize{members: 10, regions: []string{"us-east-1", "eu-west-1", "ap-southeast-2"}, memoryAt: [2]int{3, 10}, seedParallel: 8}
)

// orgAggregator is the aggregator the Config fake answers for.
const orgAggregator = "org-aggregator"

// configGoal: with the Config fast path, the calls beyond one per resource
// read online, per resource (issue 13: "well under 0.1 plus one per
// non-compliant resource").
const configGoal = 0.1

// orgFlatGoal is how much the peak RSS may grow, as a share of the smaller
// organization's, from the smaller organization to the larger (3×): the bench's reading of
// the "memory stays flat with the organization's size", which gives
// no number.
const orgFlatGoal = 0.10

// orgMeasured is one run: what the child reported and its peak RSS.
type orgMeasured struct {
	orgChildRun
	rssBytes int64
}

// runOrg seeds an organization on moto (orgestate) and runs the
// organization backfill on it in child processes: every account of the
// organization by listing, the same with the Config fast path against the
// Config FAKE, and the listing again at two organization sizes for memory.
func runOrg(ctx context.Context, moto *motoserver.Server, size orgSize) ([]*Figure, []string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	if err := moto.Reset(); err != nil {
		return nil, nil, err
	}
	var notes []string
	progress("org: seed an organization of %d members × %d Regions (%d at a time)", size.members, len(size.regions), size.seedParallel)
	start := time.Now()
	org, err := orgestate.Seed(ctx, moto.Config(orgHome), size.members, size.regions, size.seedParallel)
	if err != nil {
		return nil, nil, fmt.Errorf("seed the organization: %w", err)
	}
	seeded := time.Since(start)
	nc := 0
	for _, n := range org.NonCompliant() {
		nc += n
	}
	notes = append(notes, fmt.Sprintf("org: seeding %d members × %d Regions (%d resources, %d NON_COMPLIANT; orgestate, %d units at a time) took %s",
		size.members, len(size.regions), len(org.Items), nc, size.seedParallel, seeded.Round(100*time.Millisecond)))
	progress("org: seeded %d resources (%d NON_COMPLIANT) in %s", len(org.Items), nc, seeded.Round(100*time.Millisecond))

	dir, err := os.MkdirTemp("", "vpcguard-bench-org-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	itemsFile := filepath.Join(dir, "items.json")
	raw, err := json.Marshal(org.Items)
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(itemsFile, raw, 0o644); err != nil {
		return nil, nil, err
	}
	run := func(name string, spec orgChildSpec) (orgMeasured, error) {
		spec.Endpoint = moto.URL
		progress("org: %s", name)
		m, err := runOrgOne(ctx, self, dir, spec)
		if err != nil {
			return m, fmt.Errorf("%s: %w", name, err)
		}
		progress("org: %s: %d shards in %.1f s, %d findings, %d calls, peak RSS %.1f MB", name, m.Summary.Shards, m.DurationSeconds, m.Findings, totalCalls(m.Calls), mb(m.rssBytes))
		return m, nil
	}
	var figs []*Figure
	shape := fmt.Sprintf("%d members × %d Regions", size.members, len(size.regions))

	// Every active account of the organization (the management account
	// too: nothing is seeded there), listed shard by shard.
	scan, err := run("listing every account", orgChildSpec{Accounts: []string{orgbackfill.Organization}, Regions: size.regions})
	if err != nil {
		return nil, notes, err
	}
	if err := checkOrgRun(scan, org, size.members+1, len(org.Items), nc); err != nil {
		return nil, notes, fmt.Errorf("listing every account: %w", err)
	}
	figs = append(figs, orgScanFigures(scan, org, shape)...)

	cfgRun, err := run("Config fast path (FAKE of SelectAggregateResourceConfig)", orgChildSpec{Accounts: []string{orgbackfill.Organization}, Regions: size.regions,
		Aggregator: orgAggregator, ItemsFile: itemsFile})
	if err != nil {
		return figs, notes, err
	}
	if err := checkOrgRun(cfgRun, org, size.members+1, len(org.Items), nc); err != nil {
		return figs, notes, fmt.Errorf("Config fast path: %w", err)
	}
	if c := cfgRun.Summary.Config; c == nil || c.Decided == 0 || len(cfgRun.ConfigQueries) == 0 {
		// A run that fell back to listing is not the fast path's figure.
		return figs, notes, fmt.Errorf("Config fast path: Config decided nothing (%d queries; summary %+v)", len(cfgRun.ConfigQueries), c)
	}
	figs = append(figs, orgConfigFigures(cfgRun, shape))

	var mem [2]orgMeasured
	for i, n := range size.memoryAt {
		accounts := org.Members[:n]
		want := 0
		for _, it := range org.Items {
			if slices.Contains(accounts, it.Account) {
				want++
			}
		}
		m, err := run(fmt.Sprintf("memory, %d members × %d Regions", n, len(size.regions)), orgChildSpec{Accounts: accounts, Regions: size.regions})
		if err != nil {
			return figs, notes, err
		}
		if m.Summary.Shards != n*len(size.regions) || m.Findings != want || m.Summary.ShardsFailed > 0 {
			return figs, notes, fmt.Errorf("memory, %d members: %d shards (%d failed), %d findings; want %d shards, %d findings", n, m.Summary.Shards, m.Summary.ShardsFailed, m.Findings, n*len(size.regions), want)
		}
		mem[i] = m
		f := &Figure{Group: "org", Name: fmt.Sprintf("org backfill %d members × %d Regions (%d shards, %d resources): peak RSS of the process", n, len(size.regions), m.Summary.Shards, want),
			Value: mb(m.rssBytes), Unit: "MB", Extra: map[string]float64{"wall s": m.DurationSeconds, "peak heap MB": mb(int64(m.HeapPeakBytes)), "shards": float64(m.Summary.Shards), "resources": float64(want)}}
		f.shown = fmt.Sprintf("%.1f MB (Go heap %.1f MB; %d shards in %.1f s)", mb(m.rssBytes), mb(int64(m.HeapPeakBytes)), m.Summary.Shards, m.DurationSeconds)
		figs = append(figs, f)
	}
	small, large := mem[0], mem[1]
	growth := mb(large.rssBytes) - mb(small.rssBytes)
	g := &Figure{Group: "org", Name: fmt.Sprintf("org backfill peak RSS growth, %d to %d members (%d to %d shards)", size.memoryAt[0], size.memoryAt[1], small.Summary.Shards, large.Summary.Shards),
		Value: growth / mb(small.rssBytes), Unit: "share", Extra: map[string]float64{"growth MB": growth, "heap growth MB": mb(int64(large.HeapPeakBytes)) - mb(int64(small.HeapPeakBytes))},
		Note: "the goal's 10% is the bench's reading of the issue's \"memory stays flat with the organization's size\", which gives no number"}
	g.shown = fmt.Sprintf("%+.1f MB, %+.0f%% (%.1f → %.1f MB for %.1f× the shards)", growth, 100*g.Value, mb(small.rssBytes), mb(large.rssBytes), float64(large.Summary.Shards)/float64(max(small.Summary.Shards, 1)))
	g.under(orgFlatGoal, fmt.Sprintf("flat: < +%.0f%%", 100*orgFlatGoal))
	figs = append(figs, g)

	notes = append(notes,
		fmt.Sprintf("org: each run is a separate process (this binary, -child-org) running orgbackfill.Local, the state machine's plan and shard code in process: %d shards at a time (orgbackfill.DefaultParallel), %d calls at a time within a shard (backfill.DefaultConcurrency), report mode, on moto's default endpoint; the member role is assumed in each account (moto's AssumeRole succeeds for any role)", orgbackfill.DefaultParallel, backfill.DefaultConcurrency),
		"org: the rules are the four the seeded organization is built for, as in shared/orgbackfill's tests (sagemaker-model-in-vpc, sagemaker-notebook-no-direct-internet-access, sagemaker-vpc-endpoint-private-dns, sagemaker-studio-domain-vpc-only): one finding per resource",
		"org: calls are counted by backfill.Calls on the aws.Config every client is built from (every attempt, STS and Organizations included): the summary's awsCalls (in extra) leaves out the member role's AssumeRole, one per account, which the credentials cache makes outside the shards; the Config path's SelectAggregateResourceConfig calls go to a FAKE (internal/testenv/configfake: moto 5.2.1 answers it with HTTP 500), fed from the seeded resources; everything else is moto",
		"org: peak RSS is the run process's VmHWM (/proc/PID/status, sampled every 10 ms; see rss.go), in MiB; the memory runs list (no Config fake in the process)",
	)
	return figs, notes, nil
}

// checkOrgRun refuses a run whose shards or findings are not the seeded
// organization's: a wrong figure must not look measured.
func checkOrgRun(m orgMeasured, org *orgestate.Org, accounts, resources, nonCompliant int) error {
	s := m.Summary
	if s.Accounts != accounts || s.Shards != accounts*len(org.Regions) || s.ShardsFailed > 0 || s.ShardsNotRun > 0 {
		return fmt.Errorf("%d accounts, %d shards (%d failed, %d not run); want %d accounts × %d Regions, none failed",
			s.Accounts, s.Shards, s.ShardsFailed, s.ShardsNotRun, accounts, len(org.Regions))
	}
	if s.Resources != resources || m.Findings != resources || m.NonCompliant != nonCompliant {
		return fmt.Errorf("%d resources, %d findings (%d NON_COMPLIANT); want %d and %d (%d)", s.Resources, m.Findings, m.NonCompliant, resources, resources, nonCompliant)
	}
	return nil
}

// totalCalls is every call the run's process made, by backfill.Calls on
// the aws.Config every client is built from. The summary's awsCalls is
// smaller: it sums the calls made within the plan and the shards, and the
// member role's AssumeRole is made by the credentials cache outside them.
func totalCalls(calls map[string]int64) int64 {
	var n int64
	for _, c := range calls {
		n += c
	}
	return n
}

// sageMakerKinds are the seeded SageMaker resources: the unit SageMaker
// calls are counted per.
var sageMakerKinds = []resource.Kind{resource.Model, resource.Notebook, resource.StudioDomain}

func orgScanFigures(m orgMeasured, org *orgestate.Org, shape string) []*Figure {
	s := m.Summary
	errs := len(s.Errors) + s.ErrorsOmitted + s.ShardsFailed
	rate := &Figure{Group: "org", Name: fmt.Sprintf("org backfill %s, listing: shards per second", shape), Value: float64(s.Shards) / m.DurationSeconds, Unit: "shards/s",
		Extra: map[string]float64{"wall s": m.DurationSeconds, "shards": float64(s.Shards), "accounts": float64(s.Accounts), "resources": float64(s.Resources),
			"findings": float64(m.Findings), "NON_COMPLIANT": float64(m.NonCompliant), "errors": float64(errs), "peak RSS MB": mb(m.rssBytes)}}
	rate.shown = fmt.Sprintf("%.1f shards/s (%d shards: %d accounts × %d Regions, in %.1f s; %d findings, %d NON_COMPLIANT; %d errors)",
		rate.Value, s.Shards, s.Accounts, len(s.Regions), m.DurationSeconds, m.Findings, m.NonCompliant, errs)

	kinds := map[resource.Kind]int{}
	for _, it := range org.Items {
		kinds[it.Kind]++
	}
	smItems := 0
	for _, k := range sageMakerKinds {
		smItems += kinds[k]
	}
	var smCalls int64
	for op, c := range m.Calls {
		if strings.HasPrefix(op, "sagemaker:") || strings.HasPrefix(op, "resourcegroupstaggingapi:") {
			smCalls += c
		}
	}
	sm := &Figure{Group: "org", Name: fmt.Sprintf("org backfill %s, listing: calls per SageMaker model, notebook or Studio domain", shape),
		Value: float64(smCalls) / float64(smItems), Unit: "calls", Extra: map[string]float64{"SageMaker and tagging calls": float64(smCalls),
			"models": float64(kinds[resource.Model]), "notebooks": float64(kinds[resource.Notebook]), "Studio domains": float64(kinds[resource.StudioDomain])},
		Note: "every sagemaker: and resourcegroupstaggingapi: call (listings, describes, tag reads) over the seeded models, notebooks and Studio domains"}
	sm.shown = fmt.Sprintf("%.2f (%d SageMaker and tagging calls for %d models, %d notebooks, %d domains; %s)", sm.Value, smCalls,
		kinds[resource.Model], kinds[resource.Notebook], kinds[resource.StudioDomain], opsList(m.Calls, "sagemaker:", "resourcegroupstaggingapi:"))

	total := totalCalls(m.Calls)
	all := &Figure{Group: "org", Name: fmt.Sprintf("org backfill %s, listing: calls per resource, every kind and every call", shape),
		Value: float64(total) / float64(s.Resources), Unit: "calls", Extra: map[string]float64{"calls": float64(total), "resources": float64(s.Resources), "summary awsCalls": float64(s.Calls)},
		Note: "every AWS call of the run (STS, Organizations, EC2, SageMaker, tagging) over every resource (models, notebooks, VPC endpoints, Studio domains); a shard holds ~6 resources, so per-shard listings weigh"}
	all.shown = fmt.Sprintf("%.2f (%d calls for %d resources; %s)", all.Value, total, s.Resources, opsList(m.Calls, ""))
	for _, f := range []*Figure{sm, all} {
		for op, c := range m.Calls {
			f.Extra["calls "+op] = float64(c)
		}
	}
	return []*Figure{rate, sm, all}
}

func orgConfigFigures(m orgMeasured, shape string) *Figure {
	s := m.Summary
	read := 0
	if s.Config != nil {
		read = s.Config.Read
	}
	pages := len(m.ConfigQueries)
	types := map[string]int{}
	for _, t := range m.ConfigQueries {
		types[t]++
	}
	total := totalCalls(m.Calls)
	beyond := total - int64(read)
	f := &Figure{Group: "org", Name: fmt.Sprintf("org backfill %s, Config fast path against a FAKE of SelectAggregateResourceConfig: calls beyond one per resource read online, per resource", shape),
		Value: float64(beyond) / float64(s.Resources), Unit: "calls",
		Extra: map[string]float64{"calls": float64(total), "summary awsCalls": float64(s.Calls), "resources": float64(s.Resources), "read online": float64(read), "NON_COMPLIANT": float64(m.NonCompliant),
			"decided from Config": float64(m.ByEvaluation["config"]), "SELECT queries (resource types)": float64(len(types)), "SELECT pages": float64(pages),
			"wall s": m.DurationSeconds, "shards/s": float64(s.Shards) / m.DurationSeconds, "peak RSS MB": mb(m.rssBytes)},
		Note: "Config is a FAKE (internal/testenv/configfake), fed from the seeded resources; the online reads and listings are moto's"}
	for op, c := range m.Calls {
		f.Extra["calls "+op] = float64(c)
	}
	typeList := slices.Sorted(maps.Keys(types))
	for i, t := range typeList {
		typeList[i] = fmt.Sprintf("%s %d", strings.TrimPrefix(t, "AWS::"), types[t])
	}
	f.shown = fmt.Sprintf("%.3f + %d read online, %d NON_COMPLIANT (%d calls for %d resources; %d decided from Config; %d SELECT queries in %d pages: %s; %s; %.1f shards/s)",
		f.Value, read, m.NonCompliant, total, s.Resources, m.ByEvaluation["config"], len(types), pages, strings.Join(typeList, ", "), opsList(m.Calls, ""), f.Extra["shards/s"])
	f.under(configGoal, fmt.Sprintf("well under %.1f + 1 per NON_COMPLIANT", configGoal))
	return f
}

// opsList names the calls of the given services ("" every one), largest
// first, the eight largest (results.json has every one).
func opsList(calls map[string]int64, prefixes ...string) string {
	var ops []string
	for op := range calls {
		for _, p := range prefixes {
			if strings.HasPrefix(op, p) {
				ops = append(ops, op)
				break
			}
		}
	}
	slices.SortFunc(ops, func(a, b string) int {
		if calls[a] != calls[b] {
			return int(calls[b] - calls[a])
		}
		return strings.Compare(a, b)
	})
	var parts []string
	var rest int64
	for i, op := range ops {
		if i < 8 {
			parts = append(parts, fmt.Sprintf("%s %d", op, calls[op]))
		} else {
			rest += calls[op]
		}
	}
	if rest > 0 {
		parts = append(parts, fmt.Sprintf("%d more in %d operations", rest, len(ops)-8))
	}
	return strings.Join(parts, ", ")
}

// runOrgOne runs one organization backfill in a child process and reads
// its report, sampling the child's peak RSS.
func runOrgOne(ctx context.Context, self, dir string, spec orgChildSpec) (orgMeasured, error) {
	raw, err := json.Marshal(spec)
	if err != nil {
		return orgMeasured{}, err
	}
	specFile := filepath.Join(dir, "spec.json")
	if err := os.WriteFile(specFile, raw, 0o644); err != nil {
		return orgMeasured{}, err
	}
	cmd := exec.CommandContext(ctx, self, "-child-org", specFile)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Start(); err != nil {
		return orgMeasured{}, fmt.Errorf("org backfill run: %w", err)
	}
	hwm := watchHWM(cmd.Process.Pid)
	err = cmd.Wait()
	rss := hwm.stop()
	if err != nil {
		return orgMeasured{}, fmt.Errorf("org backfill run: %w", err)
	}
	var m orgMeasured
	if err := json.Unmarshal(out.Bytes(), &m.orgChildRun); err != nil {
		return orgMeasured{}, fmt.Errorf("read the run's report: %w", err)
	}
	m.rssBytes = rss
	return m, nil
}
