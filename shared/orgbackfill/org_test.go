package orgbackfill_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/configfake"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/internal/testenv/orgestate"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
	"github.com/vpcguard/vpcguard/shared/rules"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	home       = "us-east-1"
	aggregator = "org-aggregator"
	members    = 30
)

var regions = []string{"us-east-1", "eu-west-1", "ap-southeast-2"}

// testRules are the rules the seeded estate is built to test: one finding
// per seeded resource (the catalogue's other rules judge the same models
// and VPCs again, which the counts below would have to follow).
var testRules = []rules.Rule{rules.ModelInVPC{}, rules.NotebookNoDirectInternet{}, rules.EndpointPrivateDNS{}, rules.StudioDomainVPCOnly{}}

// The organization is seeded once for the package: 30 member accounts × 3
// Regions, 6 resources in each account and Region and a Studio domain in
// each account's first Region (570 resources, 285 non-compliant). Tests
// run in report mode and change nothing in it.
var (
	seedOnce sync.Once
	seeded   *orgestate.Org
	seedErr  error
	server   *motoserver.Server
)

func organizationOnMoto(t *testing.T) (*motoserver.Server, *orgestate.Org) {
	t.Helper()
	seedOnce.Do(func() {
		server = motoserver.Require(t)
		seeded, seedErr = orgestate.Seed(context.Background(), server.Config(home), members, regions, 8)
	})
	if seedErr != nil {
		t.Fatalf("seed the organization: %v", seedErr)
	}
	return server, seeded
}

// refuseAssumeRole answers AssumeRole into account with AccessDenied, as
// STS does when the member role is missing or does not trust vpcguard:
// moto's AssumeRole succeeds for any role, so the refusal is injected.
func refuseAssumeRole(account string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("test/refuse-assume-role",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if awsmiddleware.GetOperationName(ctx) == "AssumeRole" {
					arn := aws.ToString(in.Parameters.(*sts.AssumeRoleInput).RoleArn)
					if strings.Split(arn, ":")[4] == account {
						return middleware.InitializeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{Code: "AccessDenied",
							Message: "User: arn:aws:sts::123456789012:assumed-role/vpcguard-backfill/vpcguard is not authorized to perform: sts:AssumeRole on resource: " + arn}
					}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

// orgRun is an organization backfill in process, as the CLI wires it, on
// moto, with one member whose role refuses and, when fake is set, the
// Config fake.
type orgRun struct {
	local    *orgbackfill.Local
	calls    *backfill.Calls
	mu       sync.Mutex
	findings []finding.Finding
}

func newOrgRun(t *testing.T, srv *motoserver.Server, refusing string, fake *configfake.Server) *orgRun {
	t.Helper()
	base := srv.Config(home)
	if refusing != "" {
		base.APIOptions = append(base.APIOptions, refuseAssumeRole(refusing))
	}
	r := &orgRun{}
	o := guards.Organization{Rules: testRules, Regions: regions, Concurrency: 4, Findings: func(f finding.Finding) error {
		r.mu.Lock()
		r.findings = append(r.findings, f)
		r.mu.Unlock()
		return nil
	}}
	if fake != nil {
		o.ConfigURL = fake.URL
	}
	r.local, r.calls = o.Local(base)
	return r
}

// byAccount counts the findings per account and status, over every rule.
func (r *orgRun) byAccount() map[string]map[finding.Status]int {
	out := map[string]map[finding.Status]int{}
	for _, f := range r.findings {
		if out[f.Account] == nil {
			out[f.Account] = map[finding.Status]int{}
		}
		out[f.Account][f.Status]++
	}
	return out
}

// TestOrganizationBackfill: the organization's active accounts (Organizations
// ListAccounts) × the Regions are the shards; every member's resources are
// found in its own account through the member role; a member whose role
// refuses is a failed shard in each Region, with an error naming the account
// and the role, and the others succeed.
func TestOrganizationBackfill(t *testing.T) {
	srv, org := organizationOnMoto(t)
	refusing := org.Members[3]
	r := newOrgRun(t, srv, refusing, nil)
	var done []string
	r.local.AccountDone = func(a orgbackfill.AccountTally, n, total int) {
		done = append(done, a.Account)
		if total != members+1 {
			t.Errorf("AccountDone total %d; want %d (the members and the management account)", total, members+1)
		}
	}
	s, err := r.local.Run(context.Background(), orgbackfill.Request{Accounts: []string{orgbackfill.Organization}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	wantAccounts := append([]string{org.Management}, org.Members...)
	slices.Sort(wantAccounts)
	if s.Accounts != len(wantAccounts) || s.Shards != len(wantAccounts)*len(regions) {
		t.Errorf("got %d accounts, %d shards; want %d accounts × %d Regions", s.Accounts, s.Shards, len(wantAccounts), len(regions))
	}
	if !slices.Equal(s.Regions, regions) {
		t.Errorf("regions %v; want %v", s.Regions, regions)
	}
	if s.ShardsFailed != len(regions) || s.ShardsSucceeded != s.Shards-len(regions) {
		t.Errorf("shards: %d succeeded, %d failed; want %d and %d", s.ShardsSucceeded, s.ShardsFailed, s.Shards-len(regions), len(regions))
	}
	for _, f := range s.FailedShards {
		if f.Account != refusing || !strings.Contains(f.Error, "account "+refusing) || !strings.Contains(f.Error, "role/"+orgestate.Role) {
			t.Errorf("failed shard %s/%s: %q; want only %s's, naming the account and role %s", f.Account, f.Region, f.Error, refusing, orgestate.Role)
		}
	}
	if len(done) != len(wantAccounts) {
		t.Errorf("AccountDone for %d accounts; want %d", len(done), len(wantAccounts))
	}

	got := r.byAccount()
	nonCompliant := org.NonCompliant()
	perAccount := map[string]int{}
	for _, it := range org.Items {
		perAccount[it.Account]++
	}
	for _, a := range org.Members {
		want := map[finding.Status]int{finding.NonCompliant: nonCompliant[a], finding.Compliant: perAccount[a] - nonCompliant[a]}
		if a == refusing {
			want = map[finding.Status]int{}
		}
		if g := got[a]; len(g) != len(want) || g[finding.NonCompliant] != want[finding.NonCompliant] || g[finding.Compliant] != want[finding.Compliant] {
			t.Errorf("account %s: findings %v; want %v", a, g, want)
		}
		var tally orgbackfill.AccountTally
		for _, at := range s.ByAccount {
			if at.Account == a {
				tally = at
			}
		}
		if a != refusing && (tally.Resources != perAccount[a] || tally.Shards != len(regions) || tally.FailedShards != 0) {
			t.Errorf("account %s summary: %+v; want %d resources, %d shards, none failed", a, tally, perAccount[a], len(regions))
		}
		if a == refusing && tally.FailedShards != len(regions) {
			t.Errorf("refusing account %s summary: %+v; want %d failed shards", a, tally, len(regions))
		}
	}
	if len(got[org.Management]) != 0 {
		t.Errorf("management account: findings %v; want none (nothing seeded there)", got[org.Management])
	}
	for _, f := range r.findings {
		if f.Evaluation != "online" {
			t.Errorf("%s %s: evaluation %q; want online (no aggregator named)", f.Account, f.ResourceID, f.Evaluation)
			break
		}
	}
	// The summary counts every call the run made, the members' AssumeRole
	// included (the refused one never goes out: the test's middleware
	// answers it before the counter).
	calls := r.calls.Snapshot()
	var total int64
	for _, n := range calls {
		total += n
	}
	if s.Calls != total || calls["sts:AssumeRole"] == 0 {
		t.Errorf("summary counts %d AWS calls; the run made %d (%d AssumeRole)", s.Calls, total, calls["sts:AssumeRole"])
	}
}

// TestConfigFastPath: with a Config aggregator named, the plan asks Config
// (here a FAKE of SelectAggregateResourceConfig, which moto lacks, fed from
// the seeded estate) once per recorded resource type, paged; what Config
// shows compliant is decided from Config, and only the resources it shows
// non-compliant are read online, by their shard, before anything is
// decided on them. The findings are the scan's.
func TestConfigFastPath(t *testing.T) {
	srv, org := organizationOnMoto(t)
	refusing := org.Members[3]
	fake := configfake.New(aggregator, org.Items)
	defer fake.Close()
	r := newOrgRun(t, srv, refusing, fake)
	agg := aggregator
	s, err := r.local.Run(context.Background(), orgbackfill.Request{ConfigAggregator: &agg})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if s.Config == nil {
		t.Fatal("summary has no Config answer")
	}
	// 180 models, notebooks and endpoints (two pages of 100 each), 30 domains.
	got := fake.Types()
	slices.Sort(got)
	if want := []string{"AWS::SageMaker::Model", "AWS::SageMaker::Model", "AWS::SageMaker::NotebookInstance",
		"AWS::SageMaker::NotebookInstance", "AWS::EC2::VPCEndpoint", "AWS::EC2::VPCEndpoint", "AWS::SageMaker::Domain"}; !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("Config queries %v; want %v", got, want)
	}
	if s.Config.Calls != 7 {
		t.Errorf("Config calls counted %d; want 7", s.Config.Calls)
	}
	nonCompliant := 0
	for _, n := range org.NonCompliant() {
		nonCompliant += n
	}
	if s.Config.Decided != len(org.Items)-nonCompliant || s.Config.Read != nonCompliant {
		t.Errorf("Config decided %d, sent %d to be read; want %d and %d", s.Config.Decided, s.Config.Read, len(org.Items)-nonCompliant, nonCompliant)
	}
	kinds := map[string]orgbackfill.KindAnswer{}
	for _, k := range s.Config.Kinds {
		kinds[string(k.Kind)] = k
	}
	if len(kinds) != 4 {
		t.Errorf("Config answers for %d kinds; want the 4 the rules judge", len(kinds))
	}
	if k := kinds["AWS::SageMaker::Model"]; !k.Recorded || k.Items != 180 || k.Decided != 90 || k.Read != 90 || k.Covered != members*len(regions) {
		t.Errorf("models: %+v; want recorded, 180 items, 90 decided, 90 read, covered in the %d members' shards", k, members*len(regions))
	}

	byAccount := r.byAccount()
	perAccount := map[string]int{}
	for _, it := range org.Items {
		perAccount[it.Account]++
	}
	nc := org.NonCompliant()
	for _, a := range org.Members {
		want := map[finding.Status]int{finding.NonCompliant: nc[a], finding.Compliant: perAccount[a] - nc[a]}
		if a == refusing {
			// Config's compliant answers need no role; the reads do.
			want = map[finding.Status]int{finding.Compliant: perAccount[a] - nc[a]}
		}
		if g := byAccount[a]; len(g) != len(want) || g[finding.NonCompliant] != want[finding.NonCompliant] || g[finding.Compliant] != want[finding.Compliant] {
			t.Errorf("account %s: findings %v; want %v", a, g, want)
		}
	}
	for _, f := range r.findings {
		want := "config"
		if f.Status == finding.NonCompliant {
			want = "online" // read before deciding: online stays the source of truth
		}
		if f.Evaluation != want {
			t.Errorf("%s %s %s: evaluation %q; want %q", f.Account, f.ResourceID, f.Status, f.Evaluation, want)
		}
	}
	if s.ShardsFailed != len(regions) {
		t.Errorf("failed shards %d; want %d (the refusing member's)", s.ShardsFailed, len(regions))
	}
	for _, f := range s.FailedShards {
		if f.Account != refusing || !strings.Contains(f.Error, "role/"+orgestate.Role) {
			t.Errorf("failed shard %+v; want only %s's, naming the role", f, refusing)
		}
	}
}

// TestConfigFallback: an aggregator Config does not know fails the query
// before any finding is decided from it: every kind is then listed in every
// shard, and the summary says why.
func TestConfigFallback(t *testing.T) {
	srv, org := organizationOnMoto(t)
	fake := configfake.New(aggregator, org.Items)
	defer fake.Close()
	r := newOrgRun(t, srv, "", fake)
	other := "no-such-aggregator"
	s, err := r.local.Run(context.Background(), orgbackfill.Request{Accounts: org.Members[:2], Regions: regions[:1], ConfigAggregator: &other})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, k := range s.Config.Kinds {
		if k.Recorded && (!strings.Contains(k.Error, "NoSuchConfigurationAggregatorException") || k.Covered != 0 || k.Listed != 2) {
			t.Errorf("%s: %+v; want the error named and listed in both shards", k.Kind, k)
		}
	}
	want := 0
	for _, it := range org.Items {
		if (it.Account == org.Members[0] || it.Account == org.Members[1]) && it.Region == regions[0] {
			want++
		}
	}
	if s.Resources != want || s.ShardsFailed != 0 {
		t.Errorf("%d resources, %d failed shards; want %d listed, none failed", s.Resources, s.ShardsFailed, want)
	}
	for _, f := range r.findings {
		if f.Evaluation != "online" {
			t.Errorf("%s: evaluation %q; want online (listed)", f.ResourceID, f.Evaluation)
		}
	}
}
