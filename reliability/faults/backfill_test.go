package faults

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/faultproxy"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

// The rules' names, as findings carry them.
const (
	modelRule    = "sagemaker-model-in-vpc"
	notebookRule = "sagemaker-notebook-no-direct-internet-access"
	endpointRule = "sagemaker-vpc-endpoint-private-dns"
	isolatedRule = "sagemaker-model-network-isolation"
	multiAZRule  = "sagemaker-model-vpc-multi-az"
	pathRule     = "sagemaker-vpc-private-path-complete"
)

// estateSize is how many of each kind are seeded in each region.
func estateSize() (perKind int, regions []string) {
	if long {
		return 100, []string{"us-east-1", "eu-west-1"}
	}
	return 20, []string{"us-east-1"}
}

// backfillRun is one backfill of a freshly seeded estate.
type backfillRun struct {
	res     backfill.Result
	err     error
	stats   faultproxy.Stats
	elapsed time.Duration
}

// runBackfill seeds perKind of each kind in each region on a fresh moto
// (directly), then backfills in enforce mode with Security Hub tickets, its
// calls going through a fault proxy with opts. The backfill is built as
// the backfill Lambda builds it (setup.BackfillHandler, Handler.Handle):
// configuration from the environment, clients from awsclients.Load with
// AWS_ENDPOINT_URL at the proxy; only the retry backoff cap differs.
func runBackfill(t *testing.T, opts faultproxy.Options) backfillRun {
	t.Helper()
	perKind, regions := estateSize()
	e := testenv.New(t, testenv.Seed(0)) // resets moto
	ctx := context.Background()
	for _, region := range regions {
		c := e.Estate(region)
		net, err := c.NewNetwork(ctx, region)
		if err != nil {
			t.Fatalf("seed %s: %v", region, err)
		}
		if _, err := c.Bulk(ctx, net, perKind, 4); err != nil {
			t.Fatalf("seed %s: %v", region, err)
		}
	}
	p, err := faultproxy.Start(e.Server.URL, opts)
	if err != nil {
		t.Fatalf("fault proxy: %v", err)
	}
	defer p.Close()
	e.Setenv(p.URL())
	t.Setenv("VPCGUARD_MODE", "enforce")
	t.Setenv("VPCGUARD_SINKS", "securityhub")
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	base, err := awsclients.Load(ctx, os.Getenv("AWS_REGION"), awsclients.WithMaxBackoff(maxBackoff()))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	calls := backfill.NewCalls()
	calls.Instrument(&base)
	accounts := awsclients.NewAccounts(base, cfg.AssumeRoleName)
	start := time.Now()
	res, err := backfill.Collect(ctx, guards.Backfill(accounts, backfill.Options{
		Guard:       setup.Guard(cfg, accounts, rules.All(), nil, guards.Kinds...),
		Regions:     regions,
		Concurrency: cfg.Concurrency,
		Calls:       calls,
	}))
	return backfillRun{res: res, err: err, stats: p.Stats(), elapsed: time.Since(start)}
}

// EC2 ids (endpoints, subnets, security groups), and the Security Hub ids
// hashed from them, are moto's inventions: different in every run.
var (
	ec2ID = regexp.MustCompile(`\b(vpce|subnet|sg|vpc)-[0-9a-f]{8,}\b`)
	hubID = regexp.MustCompile(`(vpcguard/[a-z-]+/)[0-9a-f]{64}`)
)

// findingLines are the findings and actions of a backfill, with the
// invented ids blanked, sorted: equal for equal estates.
func findingLines(fs []finding.Finding, keep func(finding.Finding) bool) []string {
	var out []string
	for _, f := range fs {
		if keep != nil && !keep(f) {
			continue
		}
		line := fmt.Sprintf("%s %s %s %s %s: %s", f.Rule, f.Account, f.Region, f.ResourceID, f.Status, f.Reason)
		for _, a := range f.Actions {
			line += fmt.Sprintf(" | %s %s %s", a.Type, a.Target, a.Outcome)
		}
		out = append(out, hubID.ReplaceAllString(ec2ID.ReplaceAllString(line, "$1-*"), "$1<key hash>"))
	}
	slices.Sort(out)
	return out
}

// countByRule counts findings by rule and region.
func countByRule(fs []finding.Finding) map[string]int {
	out := map[string]int{}
	for _, f := range fs {
		out[f.Rule+" "+f.Region]++
	}
	return out
}

// backfillBaseline is the backfill without faults, run once for every test
// that compares with it, and checked.
func backfillBaseline(t *testing.T) backfillRun {
	t.Helper()
	if backfillBase == nil {
		base := runBackfill(t, faultproxy.Options{})
		checkBackfillBaseline(t, base)
		backfillBase = &base
	}
	return *backfillBase
}

// checkBackfillBaseline: without faults every seeded resource has a
// finding for each rule of its kind, and nothing failed. NON_COMPLIANT:
// half of the models (outside a VPC), notebooks and SageMaker endpoints;
// every model under network isolation (moto stores none); no model under
// multi-AZ (the ones in a VPC span two zones); the estate's VPC, whose
// models have no S3 endpoint (moto's default VPC has no SageMaker).
func checkBackfillBaseline(t *testing.T, base backfillRun) {
	t.Helper()
	perKind, regions := estateSize()
	if base.err != nil || len(base.res.Summary.Errors) != 0 {
		t.Fatalf("no faults: %v, errors %+v", base.err, base.res.Summary.Errors)
	}
	want := map[string]int{}
	for _, region := range regions {
		for _, rule := range []string{modelRule, isolatedRule, multiAZRule, notebookRule, endpointRule} {
			want[rule+" "+region] = perKind
		}
		want[pathRule+" "+region] = 2
	}
	if got := countByRule(base.res.Findings); !equalMaps(got, want) {
		t.Fatalf("no faults: findings by rule and region %v; want %v", got, want)
	}
	nonCompliant := 0
	for _, f := range base.res.Findings {
		if f.Status == finding.NonCompliant {
			nonCompliant++
		}
	}
	if want := len(regions) * (3*((perKind+1)/2) + perKind + 1); nonCompliant != want {
		t.Errorf("no faults: %d NON_COMPLIANT; want %d", nonCompliant, want)
	}
}

func equalMaps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestBackfillUnderThrottling: a backfill of a seeded estate in enforce mode
// with 30% of its calls throttled reports every resource, with the same
// findings and actions as without faults, and no errors.
func TestBackfillUnderThrottling(t *testing.T) {
	base := backfillBaseline(t)
	got := runBackfill(t, throttle30(7))
	t.Logf("backfill, %d resources: no faults %d calls in %v; 30%% throttled %d calls (%d throttled) in %v",
		got.res.Summary.Resources, base.stats.Total, base.elapsed.Round(time.Millisecond), got.stats.Total, got.stats.Throttled, got.elapsed.Round(time.Millisecond))
	if got.err != nil {
		t.Fatalf("30%% throttled: %v", got.err)
	}
	if got.stats.Throttled == 0 {
		t.Errorf("no call was throttled; the scenario tested nothing")
	}
	if len(got.res.Summary.Errors) != 0 {
		t.Errorf("30%% throttled: errors %+v; want none", got.res.Summary.Errors)
	}
	if got.res.Summary.Resources != base.res.Summary.Resources {
		t.Errorf("30%% throttled: %d resources; want %d", got.res.Summary.Resources, base.res.Summary.Resources)
	}
	if diff := compare(findingLines(base.res.Findings, nil), findingLines(got.res.Findings, nil)); diff != "" {
		t.Errorf("30%% throttled: findings differ from the run without faults:\n%s", diff)
	}
}

// TestBackfillWithFailingService: when a service fails every call, the
// listings that need it fail, and the backfill says so: one run error per
// region naming the kind and carrying the service and error code, the run
// error when nothing at all could be listed, and the other kinds reported
// exactly as without faults. No kind is dropped without a word.
func TestBackfillWithFailingService(t *testing.T) {
	base := backfillBaseline(t)
	_, regions := estateSize()
	for i, f := range failures {
		// The quick form fails each service once, each way once.
		if !long && i != 0 && i != 3 {
			continue
		}
		t.Run(f.String(), func(t *testing.T) {
			got := runBackfill(t, faultproxy.Options{FailService: f.service, FailMode: f.mode})
			if got.err != nil {
				t.Fatalf("Run: %v; want the other kinds reported", got.err)
			}
			failedKinds := map[string]string{"sagemaker": "SageMaker", "ec2": "EC2"}
			// The listings that need the service: VPCs need both (EC2 for
			// the VPCs, SageMaker for the models they host).
			var wantKinds []string
			if f.service == "sagemaker" {
				wantKinds = []string{"AWS::SageMaker::Model", "AWS::SageMaker::NotebookInstance", "AWS::EC2::VPC", "AWS::SageMaker::Domain", "vpcguard::SageMaker::Job"}
			} else {
				wantKinds = []string{"AWS::EC2::VPCEndpoint", "AWS::EC2::VPC"}
			}
			var gotErrs []string
			for _, e := range got.res.Summary.Errors {
				gotErrs = append(gotErrs, e.Region+" "+e.Kind)
				if e.Resource != "" {
					t.Errorf("error on resource %s; want listing errors only: %+v", e.Resource, e)
				}
				for _, want := range []string{failedKinds[f.service], f.code} {
					if !strings.Contains(e.Error, want) {
						t.Errorf("%s %s: error %q does not name %q", e.Region, e.Kind, e.Error, want)
					}
				}
			}
			var wantErrs []string
			for _, region := range regions {
				for _, k := range wantKinds {
					wantErrs = append(wantErrs, region+" "+k)
				}
			}
			slices.Sort(gotErrs)
			slices.Sort(wantErrs)
			if !slices.Equal(gotErrs, wantErrs) {
				t.Errorf("run errors for %v; want one per region and kind that needs %s: %v", gotErrs, f.service, wantErrs)
			}
			// The backfill reads a model once for every model rule, with its
			// subnets' zones (EC2): without EC2, a model in a VPC cannot be
			// read whole, and is INSUFFICIENT_DATA under each rule, saying why.
			zoned := func(fd finding.Finding) bool {
				return f.service == "ec2" && fd.ResourceType == "AWS::SageMaker::Model" && strings.Contains(fd.Reason, "availability zones")
			}
			unaffected := func(fd finding.Finding) bool { return !slices.Contains(wantKinds, fd.ResourceType) && !zoned(fd) }
			inVPC := func(fd finding.Finding) bool {
				return fd.Rule == modelRule && fd.Status == finding.Compliant // a model with subnets, in the run without faults
			}
			if f.service == "ec2" {
				unaffected = func(fd finding.Finding) bool {
					return !slices.Contains(wantKinds, fd.ResourceType) && fd.ResourceType != "AWS::SageMaker::Model"
				}
				var vpcModels []string
				for _, fd := range base.res.Findings {
					if inVPC(fd) {
						vpcModels = append(vpcModels, fd.ResourceID)
					}
				}
				for _, fd := range got.res.Findings {
					if fd.ResourceType != "AWS::SageMaker::Model" {
						continue
					}
					if slices.Contains(vpcModels, fd.ResourceID) != zoned(fd) || (zoned(fd) && (fd.Status != finding.InsufficientData || len(fd.Actions) != 0)) {
						t.Errorf("%s %s: %s %q, actions %+v; want INSUFFICIENT_DATA naming the zones, untouched, exactly for the models in a VPC", fd.Rule, fd.ResourceID, fd.Status, fd.Reason, fd.Actions)
					}
				}
				outside := func(fd finding.Finding) bool {
					return fd.ResourceType == "AWS::SageMaker::Model" && !slices.Contains(vpcModels, fd.ResourceID)
				}
				if diff := compare(findingLines(base.res.Findings, outside), findingLines(got.res.Findings, outside)); diff != "" {
					t.Errorf("models outside a VPC (no zones to read) differ from the run without faults:\n%s", diff)
				}
			}
			if diff := compare(findingLines(base.res.Findings, unaffected), findingLines(got.res.Findings, unaffected)); diff != "" {
				t.Errorf("the kinds that do not need %s differ from the run without faults:\n%s", f.service, diff)
			}
		})
	}
}

// TestBackfillNothingReachable: when every call fails the run fails and
// says why, instead of reporting an empty, clean estate.
func TestBackfillNothingReachable(t *testing.T) {
	got := runBackfill(t, faultproxy.Options{ThrottleRate: 1, Faults: []faultproxy.Fault{faultproxy.FaultUnavailable}})
	if got.err == nil {
		t.Fatalf("Run with every call unavailable: nil error, %d findings; want an error", len(got.res.Findings))
	}
	if !strings.Contains(got.err.Error(), "Unavailable") {
		t.Errorf("error %q does not carry the cause", got.err)
	}
	if len(got.res.Findings) != 0 {
		t.Errorf("%d findings; want none", len(got.res.Findings))
	}
	t.Logf("every call unavailable: %v", got.err)
}

// TestBackfillWithFailingDescribes: when the listings work but reading each
// resource fails (a policy that allows List* and not Describe*, or a
// service failing after the listing), every listed model and notebook is
// reported INSUFFICIENT_DATA with the error, none is acted on, and the
// endpoints (read from their listing) are reported as without faults.
func TestBackfillWithFailingDescribes(t *testing.T) {
	base := backfillBaseline(t)
	perKind, regions := estateSize()
	for _, f := range failures {
		// The quick form has the internal error only: retried, and the
		// retry quota running out.
		if f.service != "sagemaker" || (!long && f.mode != faultproxy.FailInternal) {
			continue
		}
		t.Run(f.String(), func(t *testing.T) {
			got := runBackfill(t, faultproxy.Options{FailService: f.service, FailMode: f.mode,
				FailOperations: []string{"DescribeModel", "DescribeNotebookInstance"}})
			if got.err != nil {
				t.Fatalf("Run: %v", got.err)
			}
			if got.stats.Failed == 0 {
				t.Fatalf("no call failed; the scenario tested nothing")
			}
			// The VPC listing looks for the models each VPC hosts, with a
			// describe each where Search is refused: it fails, and says so.
			want := map[string]int{}
			var wantErrs []string
			for _, region := range regions {
				for _, rule := range []string{modelRule, isolatedRule, multiAZRule, notebookRule, endpointRule} {
					want[rule+" "+region] = perKind
				}
				wantErrs = append(wantErrs, region+" AWS::EC2::VPC")
			}
			if got := countByRule(got.res.Findings); !equalMaps(got, want) {
				t.Errorf("findings by rule and region %v; want %v: every listed resource reported", got, want)
			}
			var gotErrs []string
			for _, e := range got.res.Summary.Errors {
				gotErrs = append(gotErrs, e.Region+" "+e.Kind)
				if !strings.Contains(e.Error, "DescribeModel") {
					t.Errorf("%s %s: error %q does not name DescribeModel", e.Region, e.Kind, e.Error)
				}
			}
			if !slices.Equal(gotErrs, wantErrs) {
				t.Errorf("run errors for %v; want %v", gotErrs, wantErrs)
			}
			for _, fd := range got.res.Findings {
				if fd.Rule == endpointRule {
					continue
				}
				if fd.Status != finding.InsufficientData {
					t.Errorf("%s %s: %s; want INSUFFICIENT_DATA", fd.Rule, fd.ResourceID, fd.Status)
				}
				for _, want := range []string{"could not read the current state", "SageMaker", f.code} {
					if !strings.Contains(fd.Reason, want) {
						t.Errorf("%s %s: reason %q does not say %q", fd.Rule, fd.ResourceID, fd.Reason, want)
					}
				}
				if len(fd.Actions) != 0 {
					t.Errorf("%s %s: actions %+v; want none on a resource that could not be read", fd.Rule, fd.ResourceID, fd.Actions)
				}
			}
			endpoints := func(fd finding.Finding) bool { return fd.Rule == endpointRule }
			if diff := compare(findingLines(base.res.Findings, endpoints), findingLines(got.res.Findings, endpoints)); diff != "" {
				t.Errorf("endpoints differ from the run without faults:\n%s", diff)
			}
		})
	}
}
