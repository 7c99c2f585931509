package backfill_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/internal/testenv/trail"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/history"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/traillogs"
)

const (
	carol         = "arn:aws:iam::123456789012:user/carol"
	dataScientist = "arn:aws:iam::123456789012:role/DataScientist"
)

// pastEstate is an account on moto with what predates vpcguard: a model
// carol created without a VPC, a notebook the DataScientist role created
// with direct internet access, and a model whose creation CloudTrail never
// recorded. The creating calls are the sample events', made again on these
// resources at moto's CreationTime.
type pastEstate struct {
	*testenv.Env
	calls []trail.Record
}

func newPastEstate(t *testing.T) *pastEstate {
	t.Helper()
	e := &pastEstate{Env: testenv.New(t)}
	e.Model("legacy-scoring", false, nil)
	e.Model("orphan-model", false, nil)
	e.Notebook("team-sandbox", smtypes.DirectInternetAccessEnabled, true)
	ctx := context.Background()
	models, err := e.SageMaker.ListModels(ctx, &sagemaker.ListModelsInput{})
	if err != nil {
		t.Fatal(err)
	}
	notebooks, err := e.SageMaker.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{})
	if err != nil {
		t.Fatal(err)
	}
	createdAt := map[string]time.Time{}
	for _, m := range models.Models {
		createdAt[aws.ToString(m.ModelName)] = aws.ToTime(m.CreationTime)
	}
	for _, nb := range notebooks.NotebookInstances {
		createdAt[aws.ToString(nb.NotebookInstanceName)] = aws.ToTime(nb.CreationTime)
	}
	if createdAt["legacy-scoring"].IsZero() || createdAt["team-sandbox"].IsZero() {
		t.Fatalf("moto gave no CreationTime: %v", createdAt)
	}
	e.calls = []trail.Record{
		// model-create-empty-subnets.json is carol's CreateModel.
		trail.MustSample("model-create-empty-subnets.json").With(map[string]any{
			"eventID": "legacy-scoring-create", "requestParameters.modelName": "legacy-scoring", "requestParameters.vpcConfig": nil,
			"responseElements": map[string]any{"modelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/legacy-scoring"},
		}).At(createdAt["legacy-scoring"].Add(-time.Second)),
		// notebook-create-internet-enabled.json is the DataScientist role's.
		trail.MustSample("notebook-create-internet-enabled.json").With(map[string]any{
			"eventID": "team-sandbox-create", "requestParameters.notebookInstanceName": "team-sandbox",
		}).At(createdAt["team-sandbox"].Add(-time.Second)),
	}
	return e
}

// run backfills the account in enforce mode, the creators looked up by f.
func (e *pastEstate) run(t *testing.T, f *history.Finder, creatorGuardrails bool) map[string]finding.Finding {
	t.Helper()
	cfg := e.GuardConfig(mode.Enforce)
	cfg.Sinks = nil
	cfg.CreatorLookup, cfg.CreatorGuardrails = true, creatorGuardrails
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	accounts := awsclients.NewAccounts(e.Config, "")
	accounts.SetHomeAccount(testenv.Account)
	opts := guards.Backfill(accounts, backfill.Options{})
	opts.Guard = setup.Guard(cfg, accounts, nil, nil, guards.Kinds...)
	opts.Creators = f
	res, err := backfill.Collect(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	out := map[string]finding.Finding{}
	for _, fd := range res.Findings {
		if fd.Status == finding.NonCompliant {
			out[fd.ResourceName] = fd
		}
	}
	return out
}

// finder looks creators up in the FAKE event history (moto has no
// LookupEvents), serving the estate's creating calls.
func (e *pastEstate) finder(t *testing.T, records ...trail.Record) *history.Finder {
	t.Helper()
	h, err := trail.NewHistory(records...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return &history.Finder{
		History: func(ctx context.Context, account, region string) (history.LookupAPI, error) {
			return h.Client(e.Config), nil
		},
		MaxLookups: 10,
	}
}

func actionOf(f finding.Finding, typ string) finding.Action {
	for _, a := range f.Actions {
		if a.Type == typ {
			return a
		}
	}
	return finding.Action{}
}

// TestEnforceBackfillGuardsPastCreators: an enforce-mode backfill that
// looks creators up attaches the guardrail to the creator the event history
// names, and says why it attaches none where no creator was found.
func TestEnforceBackfillGuardsPastCreators(t *testing.T) {
	e := newPastEstate(t)
	got := e.run(t, e.finder(t, e.calls...), true)

	for name, who := range map[string]string{"legacy-scoring": carol, "team-sandbox": dataScientist} {
		fd := got[name]
		if fd.Principal != who || fd.EventID != name+"-create" {
			t.Errorf("%s: principal %q event %q; want %s, %s-create", name, fd.Principal, fd.EventID, who, name)
		}
		if a := actionOf(fd, "attach-guardrail"); a.Outcome != finding.Done || a.Target != who {
			t.Errorf("%s: attach-guardrail %+v; want done on %s", name, a, who)
		}
	}
	if !slices.Contains(e.UserPolicies("carol"), e.Guardrail) {
		t.Errorf("carol's policies %v; want the guardrail %s", e.UserPolicies("carol"), e.Guardrail)
	}
	if !slices.Contains(e.RolePolicies("DataScientist"), e.Guardrail) {
		t.Errorf("DataScientist's policies %v; want the guardrail", e.RolePolicies("DataScientist"))
	}
	if got := e.NotebookStatus("team-sandbox"); got != "Stopped" {
		t.Errorf("team-sandbox is %s; want Stopped", got)
	}

	orphan := got["orphan-model"]
	if a := actionOf(orphan, history.ActionFind); a.Outcome != finding.Skipped || !strings.Contains(a.Detail, "not found: no CreateModel of orphan-model between") {
		t.Errorf("orphan-model: find-creator %+v; want skipped, not found", a)
	}
	if a := actionOf(orphan, "attach-guardrail"); a.Outcome != finding.Skipped || !strings.Contains(a.Detail, "caller is unknown") {
		t.Errorf("orphan-model: attach-guardrail %+v; want skipped, the caller unknown", a)
	}
	if orphan.Principal != "" {
		t.Errorf("orphan-model: principal %q; want none", orphan.Principal)
	}
}

// TestEnforceBackfillPastCreatorsOptIn: without the opt-in, the creator is
// named in the finding but gets no guardrail.
func TestEnforceBackfillPastCreatorsOptIn(t *testing.T) {
	e := newPastEstate(t)
	got := e.run(t, e.finder(t, e.calls...), false)
	fd := got["legacy-scoring"]
	if fd.Principal != carol {
		t.Errorf("principal %q; want %s", fd.Principal, carol)
	}
	if a := actionOf(fd, "attach-guardrail"); a.Outcome != finding.Skipped || !strings.Contains(a.Detail, config.EnvCreatorGuardrails) {
		t.Errorf("attach-guardrail %+v; want skipped, naming %s", a, config.EnvCreatorGuardrails)
	}
	if p := e.UserPolicies("carol"); len(p) != 0 {
		t.Errorf("carol's policies %v; want none", p)
	}
}

// TestEnforceBackfillPastCreatorTooOld: a creator found in the trail's log
// files (moto S3) whose call is older than the maximum age gets no
// guardrail, and the finding says why. The backfill runs as if 100 days
// later: the event history no longer has the call.
func TestEnforceBackfillPastCreatorTooOld(t *testing.T) {
	e := newPastEstate(t)
	ctx := context.Background()
	s3c := trail.S3(e.Config)
	if err := trail.NewBucket(ctx, s3c, "trail-logs"); err != nil {
		t.Fatal(err)
	}
	for i, rec := range e.calls {
		key := trail.Key("", "", testenv.Account, testenv.Region, rec.Time().Add(3*time.Minute), strings.Repeat(string(rune('a'+i)), 16))
		if err := trail.Put(ctx, s3c, "trail-logs", key, trail.Gzip(trail.LogFile(rec))); err != nil {
			t.Fatal(err)
		}
	}
	logs, err := traillogs.Open(ctx, traillogs.Location{Bucket: "trail-logs"}, traillogs.Clients(e.Config))
	if err != nil {
		t.Fatal(err)
	}
	f := e.finder(t) // the event history keeps nothing that old
	f.Logs = logs
	f.Now = func() time.Time { return time.Now().Add(100 * 24 * time.Hour) }
	got := e.run(t, f, true)

	fd := got["legacy-scoring"]
	if fd.Principal != carol || !strings.Contains(actionOf(fd, history.ActionFind).Detail, "s3://trail-logs/AWSLogs/123456789012/CloudTrail/us-east-1/") {
		t.Errorf("principal %q, find-creator %+v; want %s from the trail's log files", fd.Principal, actionOf(fd, history.ActionFind), carol)
	}
	if a := actionOf(fd, "attach-guardrail"); a.Outcome != finding.Skipped || !strings.Contains(a.Detail, "the creating call is 100 days old, older than VPCGUARD_CREATOR_MAX_AGE_DAYS=90") {
		t.Errorf("attach-guardrail %+v; want skipped, too old", a)
	}
	if p := e.UserPolicies("carol"); len(p) != 0 {
		t.Errorf("carol's policies %v; want none", p)
	}
}
