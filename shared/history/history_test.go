package history_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/internal/testenv/trail"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/history"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/traillogs"
)

func TestMain(m *testing.M) { motoserver.Main(m.Run) }

const (
	acct     = "123456789012"
	region   = "us-east-1"
	mlRole   = "arn:aws:iam::123456789012:role/MLEngineer"
	netRole  = "arn:aws:iam::123456789012:role/NetworkAdmin"
	bob      = "arn:aws:iam::123456789012:user/bob"
	modelID  = "00000000-0000-0000-0000-00000001991a" // model-create-no-vpc.json
	notebook = "00000000-0000-0000-0000-0000000b2fb0" // notebook-create-internet-omitted.json
)

// created is when the resources of these tests were created: 10:14:30,
// near the end of a 15-minute slot, so a window straddles two.
var created = time.Date(2026, 9, 20, 10, 14, 30, 0, time.UTC)

// fakeHistory starts the FAKE event history (moto has no LookupEvents),
// serving records built from the sample events.
func fakeHistory(t *testing.T, records ...trail.Record) *trail.History {
	t.Helper()
	h, err := trail.NewHistory(records...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// finder looks up in the fake history. It resets moto (seed after it).
func finder(t testing.TB, h *trail.History, now time.Time) *history.Finder {
	t.Helper()
	cfg := motoserver.Require(t).Config(region)
	return &history.Finder{
		History: func(ctx context.Context, account, region string) (history.LookupAPI, error) {
			c := cfg.Copy()
			c.Region = region
			return h.Client(c), nil
		},
		MaxLookups: 100,
		Interval:   time.Millisecond,
		Now:        func() time.Time { return now },
	}
}

// nonCompliant is a backfill's finding for a resource, before the lookup.
func nonCompliant(rule rules.Rule, id string, at time.Time) *evaluate.Result {
	s := resource.State{Ref: resource.Ref{Kind: rule.Kind(), ID: id, Account: acct, Region: region}, Created: at}
	return &evaluate.Result{Rule: rule, State: s, Finding: finding.Finding{Rule: rule.Name(), ResourceID: id, ResourceName: id,
		Status: finding.NonCompliant, Account: acct, Region: region, Evaluation: "online"}}
}

func action(t *testing.T, f finding.Finding) finding.Action {
	t.Helper()
	for _, a := range f.Actions {
		if a.Type == history.ActionFind {
			return a
		}
	}
	t.Fatalf("no %s action on %+v", history.ActionFind, f)
	return finding.Action{}
}

// TestFindInEventHistory: the creating call of each kind is found by its
// event name in the window around the resource's creation time, matched on
// the name the record's requestParameters (or, for an endpoint, its
// responseElements) give; calls of the same name by another service and
// failed calls are not creators.
func TestFindInEventHistory(t *testing.T) {
	call := created.Add(-2 * time.Second)
	h := fakeHistory(t,
		trail.MustSample("model-create-no-vpc.json").At(call),
		trail.MustSample("model-create-denied.json").With(map[string]any{"requestParameters.modelName": "churn-xgb-public"}).At(call.Add(-time.Minute)),
		trail.MustSample("model-create-no-vpc.json").With(map[string]any{"eventSource": "apigateway.amazonaws.com", "eventID": "apigw"}).At(call.Add(time.Second)),
		trail.MustSample("notebook-create-internet-omitted.json").At(call),
		trail.MustSample("endpoint-create-api-private-dns-off.json").At(call),
		trail.MustSample("notebook-create-internet-enabled.json").At(time.Date(2026, 9, 20, 10, 14, 59, 0, time.UTC)),
	)
	f := finder(t, h, created.Add(24*time.Hour))
	tests := []struct {
		rule                   rules.Rule
		id                     string
		principal, event, name string
	}{
		{rules.ModelInVPC{}, "churn-xgb-public", mlRole, modelID, "CreateModel"},
		{rules.ModelInVPC{}, "CHURN-XGB-PUBLIC", mlRole, modelID, "CreateModel"}, // SageMaker names ignore case
		{rules.NotebookNoDirectInternet{}, "quickstart-default", bob, notebook, "CreateNotebookInstance"},
		{rules.EndpointPrivateDNS{}, "vpce-0a1b2c3d4e5f60001", netRole, "00000000-0000-0000-0000-0000000ffafb", "CreateVpcEndpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			res := nonCompliant(tt.rule, tt.id, created)
			f.Find(context.Background(), res)
			got := res.Finding
			if got.Principal != tt.principal || got.EventID != tt.event || got.EventName != tt.name || got.EventTime != call.Format(time.RFC3339) {
				t.Errorf("finding principal %q event %q %q at %q; want %q %q %q at %s", got.Principal, got.EventID, got.EventName, got.EventTime,
					tt.principal, tt.event, tt.name, call.Format(time.RFC3339))
			}
			if a := action(t, got); a.Outcome != finding.Done || !strings.Contains(a.Detail, "CloudTrail event history") {
				t.Errorf("action %+v; want done, naming the event history", a)
			}
			if res.Creator == nil || res.Creator.Age != 24*time.Hour+2*time.Second || res.Creator.Source != history.EventHistory {
				t.Errorf("creator %+v; want 24h2s old, from the event history", res.Creator)
			}
		})
	}
	// A call at 10:14:59 for a resource stamped 10:15:01 is in the slot
	// before the resource's own: asked for once the own slot has nothing.
	res := nonCompliant(rules.NotebookNoDirectInternet{}, "research-open", time.Date(2026, 9, 20, 10, 15, 1, 0, time.UTC))
	f.Find(context.Background(), res)
	if res.Finding.EventID != "00000000-0000-0000-0000-000000099697" {
		t.Errorf("across a slot boundary: event %q; want the sample's", res.Finding.EventID)
	}
	// Every request asks by one attribute, the event name, for one slot.
	for _, l := range h.Lookups() {
		if l.AttributeKey != "EventName" || l.End.Sub(l.Start) != 15*time.Minute || l.Start.Minute()%15 != 0 {
			t.Errorf("lookup %+v; want EventName over one 15-minute slot", l)
		}
	}
}

// TestFindNotFound: each reason a creator is not found is said in the
// finding, and no principal is made up.
func TestFindNotFound(t *testing.T) {
	h := fakeHistory(t, trail.MustSample("model-create-no-vpc.json").At(created))
	f := finder(t, h, created.Add(time.Hour))
	old := finder(t, h, created.Add(91*24*time.Hour))
	tests := []struct {
		name string
		f    *history.Finder
		res  *evaluate.Result
		want string
	}{
		{"no match", f, nonCompliant(rules.ModelInVPC{}, "nobody-made-me", created),
			"not found: no CreateModel of nobody-made-me between 2026-09-20T10:09:30Z and 2026-09-20T10:19:30Z in CloudTrail event history"},
		{"a call outside the window", f, nonCompliant(rules.ModelInVPC{}, "churn-xgb-public", created.Add(-time.Hour)),
			"not found: no CreateModel of churn-xgb-public between 2026-09-20T09:09:30Z"},
		{"older than the event history", old, nonCompliant(rules.ModelInVPC{}, "churn-xgb-public", created),
			"created 2026-09-20T10:14:30Z, 91 days ago: CloudTrail's event history keeps 90 days; VPCGUARD_TRAIL_BUCKET names a trail bucket"},
		{"creation time unknown", f, nonCompliant(rules.ModelInVPC{}, "churn-xgb-public", time.Time{}), "creation time is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(h.Lookups())
			tt.f.Find(context.Background(), tt.res)
			a := action(t, tt.res.Finding)
			if a.Outcome != finding.Skipped || !strings.Contains(a.Detail, tt.want) {
				t.Errorf("action %+v; want skipped, containing %q", a, tt.want)
			}
			if tt.res.Finding.Principal != "" || tt.res.Creator != nil {
				t.Errorf("principal %q, creator %+v; want none", tt.res.Finding.Principal, tt.res.Creator)
			}
			if tt.name == "older than the event history" || tt.name == "creation time unknown" {
				if n := len(h.Lookups()) - before; n != 0 {
					t.Errorf("%d LookupEvents calls; want none", n)
				}
			}
		})
	}
	// A finding that already names its caller (an event's) is left alone.
	res := nonCompliant(rules.ModelInVPC{}, "churn-xgb-public", created)
	res.Finding.Principal = bob
	f.Find(context.Background(), res)
	if res.Finding.Principal != bob || len(res.Finding.Actions) != 0 {
		t.Errorf("finding with a principal: got %q and actions %+v; want it unchanged", res.Finding.Principal, res.Finding.Actions)
	}
}

// TestFindSharesLookups: resources created together share their lookups:
// 120 models created in one slot cost ceil(120/50) = 3 calls, not 120; and
// once the run's cap is spent, the finding says so.
func TestFindSharesLookups(t *testing.T) {
	const n = 120
	var records []trail.Record
	for i := range n {
		records = append(records, trail.MustSample("model-create-no-vpc.json").With(map[string]any{
			"eventID": fmt.Sprintf("burst-%03d", i), "requestParameters.modelName": fmt.Sprintf("burst-%03d", i),
		}).At(created.Add(-10*time.Minute+time.Duration(i)*time.Second)))
	}
	h := fakeHistory(t, records...)
	f := finder(t, h, created.Add(time.Hour))
	for i := range n {
		res := nonCompliant(rules.ModelInVPC{}, fmt.Sprintf("burst-%03d", i), created.Add(-10*time.Minute+time.Duration(i)*time.Second+time.Second))
		f.Find(context.Background(), res)
		if res.Finding.EventID != fmt.Sprintf("burst-%03d", i) {
			t.Fatalf("burst-%03d: event %q; want burst-%03d", i, res.Finding.EventID, i)
		}
	}
	if got := f.Lookups(); got != 3 {
		t.Errorf("LookupEvents calls for %d resources in one slot = %d; want 3", n, got)
	}

	capped := finder(t, h, created.Add(time.Hour))
	capped.MaxLookups = 1
	first := nonCompliant(rules.ModelInVPC{}, "burst-119", created.Add(-10*time.Minute+119*time.Second)) // on the first page (newest first)
	capped.Find(context.Background(), first)
	second := nonCompliant(rules.ModelInVPC{}, "burst-000", created.Add(-10*time.Minute))
	capped.Find(context.Background(), second)
	if first.Finding.EventID != "burst-119" {
		t.Errorf("first: event %q; want burst-119", first.Finding.EventID)
	}
	if a := action(t, second.Finding); a.Outcome != finding.Skipped || !strings.Contains(a.Detail, "this run's 1 LookupEvents calls are spent (VPCGUARD_CREATOR_LOOKUP_MAX)") {
		t.Errorf("second: action %+v; want skipped, the cap named", a)
	}
}

// TestFindInTrailLogs: a creator older than the event history's 90 days is
// read from the trail's log files on moto's S3 (an organization trail), and
// its age says so.
func TestFindInTrailLogs(t *testing.T) {
	h := fakeHistory(t) // would have nothing: the call is too old for it
	f := finder(t, h, created.Add(120*24*time.Hour))
	srv := motoserver.Require(t)
	ctx := context.Background()
	s3c := trail.S3(srv.Config(region))
	if err := trail.NewBucket(ctx, s3c, "org-trail-logs"); err != nil {
		t.Fatal(err)
	}
	call := created.Add(-2 * time.Second)
	key := trail.Key("", "o-abcdefghij", acct, region, call.Add(4*time.Minute), "aaaaaaaaaaaaaaaa")
	other := trail.Key("", "o-abcdefghij", acct, region, call.Add(-time.Hour), "bbbbbbbbbbbbbbbb")
	for k, rec := range map[string]trail.Record{
		key:   trail.MustSample("model-create-no-vpc.json").At(call),
		other: trail.MustSample("model-create-no-vpc.json").With(map[string]any{"eventID": "an-hour-before"}).At(call.Add(-time.Hour)),
	} {
		if err := trail.Put(ctx, s3c, "org-trail-logs", k, trail.Gzip(trail.LogFile(rec))); err != nil {
			t.Fatal(err)
		}
	}
	logs, err := traillogs.Open(ctx, traillogs.Location{Bucket: "org-trail-logs"}, traillogs.Clients(srv.Config(region)))
	if err != nil {
		t.Fatal(err)
	}
	f.Logs = logs
	res := nonCompliant(rules.ModelInVPC{}, "churn-xgb-public", created)
	f.Find(ctx, res)
	if res.Finding.Principal != mlRole || res.Finding.EventID != modelID {
		t.Errorf("principal %q event %q; want %s %s", res.Finding.Principal, res.Finding.EventID, mlRole, modelID)
	}
	source := "s3://org-trail-logs/" + key
	if res.Creator == nil || res.Creator.Source != source || res.Creator.Age.Round(24*time.Hour) != 120*24*time.Hour {
		t.Errorf("creator %+v; want 120 days old, from %s", res.Creator, source)
	}
	if a := action(t, res.Finding); a.Outcome != finding.Done || !strings.Contains(a.Detail, "120 days ago ("+source) {
		t.Errorf("action %+v; want done, 120 days ago, from %s", a, source)
	}
	if n := len(h.Lookups()); n != 0 {
		t.Errorf("%d LookupEvents calls; want none for a call older than 90 days", n)
	}
	if got := f.FilesRead(); got != 1 {
		t.Errorf("log files read = %d; want 1 (the file delivered an hour before is outside the window)", got)
	}

	miss := nonCompliant(rules.ModelInVPC{}, "not-in-the-logs", created)
	f.Find(ctx, miss)
	if a := action(t, miss.Finding); a.Outcome != finding.Skipped || !strings.Contains(a.Detail, "in the log files of s3://org-trail-logs/") {
		t.Errorf("miss: action %+v; want skipped, naming the bucket", a)
	}
	if got := f.FilesRead(); got != 1 {
		t.Errorf("log files read after a second lookup in the same window = %d; want 1 (read once a run)", got)
	}
}
