package backfill_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/inventory/sagemakerstate"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// TestDomainsAndJobsInEnforceMode: a backfill finds the Studio domains and
// the jobs, stops the job that still runs (moto's AutoML V2 job, which moto
// can stop), reports the finished ones with the reason nothing was stopped,
// and says it has nothing to list for presigned URL calls.
func TestDomainsAndJobsInEnforceMode(t *testing.T) {
	e := newEnv(t)
	c := e.seed("us-east-1")
	ctx := context.Background()
	net, err := c.NewNetwork(ctx, "us-east-1")
	must(t, err)
	public, err := c.Domain(ctx, "studio-research", "", net, nil)
	must(t, err)
	_, err = c.Domain(ctx, "studio-prod", "VpcOnly", net, nil)
	must(t, err)
	must(t, c.TrainingJob(ctx, "train-public", nil))
	must(t, c.TrainingJob(ctx, "train-private", net))
	must(t, c.TuningJob(ctx, "hpo-mixed", net, true, false))
	must(t, c.AutoMLJob(ctx, "autopilot-public", nil))

	res := e.run(t, mode.Enforce, backfill.Options{Regions: []string{"us-east-1"},
		Rules: []rules.Rule{rules.StudioDomainVPCOnly{}, rules.JobInVPC{}, rules.PresignedURLViaEndpoint{}}})
	got := map[string]finding.Finding{}
	for _, f := range res.Findings {
		got[f.ResourceName] = f
	}
	want := map[string]finding.Status{
		public: finding.NonCompliant, "d-studio-prod": finding.Compliant,
		"training-job/train-public": finding.NonCompliant, "training-job/train-private": finding.Compliant,
		"hyper-parameter-tuning-job/hpo-mixed": finding.NonCompliant, "automl-job/autopilot-public": finding.NonCompliant,
	}
	if len(got) != len(want) {
		t.Errorf("findings %v; want %d (one per domain and job)", keys(got), len(want))
	}
	for name, st := range want {
		if f, ok := got[name]; !ok || f.Status != st {
			t.Errorf("%s: got %s (%s); want %s", name, f.Status, f.Reason, st)
		}
	}
	outcome := func(name, typ string) string {
		for _, a := range got[name].Actions {
			if a.Type == typ {
				return string(a.Outcome) + " " + a.Detail
			}
		}
		return "none"
	}
	if o := outcome("automl-job/autopilot-public", "stop-job"); o != "done stopped" {
		t.Errorf("AutoML job stop: %s; want done", o)
	}
	out, err := c.SageMaker.DescribeAutoMLJobV2(ctx, &sagemaker.DescribeAutoMLJobV2Input{AutoMLJobName: aws.String("autopilot-public")})
	must(t, err)
	if out.AutoMLJobStatus != "Stopped" {
		t.Errorf("AutoML job status %s; want Stopped", out.AutoMLJobStatus)
	}
	if o := outcome("training-job/train-public", "stop-job"); o != "skipped already Completed" {
		t.Errorf("finished training job stop: %s; want skipped already Completed", o)
	}
	// The test's configuration has no guardrail policy; the skip says so.
	if o := outcome(public, "attach-guardrail"); !strings.HasPrefix(o, "skipped no guardrail policy") {
		t.Errorf("domain guardrail: %s; want skipped", o)
	}
	if o := outcome(public, "tag"); !strings.HasPrefix(o, "done") {
		t.Errorf("domain tag: %s; want done", o)
	}
	if !slices.Equal(res.Summary.NotListed, []string{"sagemaker-presigned-url-via-vpc-endpoint"}) ||
		slices.Contains(res.Summary.Rules, "sagemaker-presigned-url-via-vpc-endpoint") {
		t.Errorf("summary rules %v, not listed %v; want the presigned URL rule not listed", res.Summary.Rules, res.Summary.NotListed)
	}
	if len(res.Summary.Errors) != 0 {
		t.Errorf("errors %+v; want none", res.Summary.Errors)
	}
}

func keys(m map[string]finding.Finding) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestJobsListingLookback: running jobs are listed however old; finished
// ones only within the lookback; a job in both listings once.
func TestJobsListingLookback(t *testing.T) {
	e := testenv.New(t, testenv.Seed(testenv.Network))
	e.TrainingJob("train-done", false)
	e.ProcessingJob("process-done", true, nil)
	e.TuningJob("hpo-done", true)
	e.AutoMLJob("autopilot-running", false)
	e.TrainingJob("train-running", false)
	gaps, sm := e.WithSageMakerGaps() // fake: moto creates training jobs Completed
	gaps.Running("TrainingJob", "train-running")

	list := func(l sagemakerstate.Jobs) []string {
		t.Helper()
		var ids []string
		err := l.List(context.Background(), testenv.Account, "us-east-1", 100, func(s resource.State, known bool) bool {
			if known || s.Kind != resource.Job || s.ARN == "" {
				t.Errorf("emitted %+v known=%v; want a job with its ARN, configuration unknown", s.Ref, known)
			}
			ids = append(ids, s.ID)
			return true
		})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		slices.Sort(ids)
		return ids
	}
	running := []string{"automl-job/autopilot-running", "training-job/train-running"}
	all := []string{"automl-job/autopilot-running", "hyper-parameter-tuning-job/hpo-done", "processing-job/process-done",
		"training-job/train-done", "training-job/train-running"}
	later := func() time.Time { return time.Now().Add(30 * 24 * time.Hour) }
	tests := []struct {
		name string
		l    sagemakerstate.Jobs
		want []string
	}{
		{"7 days, all changed today", sagemakerstate.Jobs{SageMaker: sm, Lookback: 7 * 24 * time.Hour}, all},
		{"7 days, a month later: the running ones only", sagemakerstate.Jobs{SageMaker: sm, Lookback: 7 * 24 * time.Hour, Now: later}, running},
		{"no lookback: the running ones only", sagemakerstate.Jobs{SageMaker: sm}, running},
	}
	for _, tt := range tests {
		if got := list(tt.l); !slices.Equal(got, tt.want) {
			t.Errorf("%s: listed %v; want %v", tt.name, got, tt.want)
		}
	}
	stopped := 0
	err := sagemakerstate.Jobs{SageMaker: sm}.List(context.Background(), testenv.Account, "us-east-1", 100, func(resource.State, bool) bool {
		stopped++
		return false
	})
	if err != nil || stopped != 1 {
		t.Errorf("a listing told to stop: %d emitted, %v; want 1 and no error", stopped, err)
	}
}
