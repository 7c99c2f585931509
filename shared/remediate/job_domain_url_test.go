package remediate

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// TestStopJob: a training job outside a VPC that still runs is stopped; a
// second delivery finds it stopping; one that finished is left alone.
//
// moto creates training jobs Completed and has no StopTrainingJob: the
// SageMakerGaps fake in front of it reads the job InProgress and answers
// the stop (marked as a fake in testenv).
func TestStopJob(t *testing.T) {
	e := newEnv(t)
	role(e, "/", "MLEngineer")
	e.TrainingJob("churn-train-public", false)
	gaps, sm := e.WithSageMakerGaps() // fake: see the test's comment
	gaps.Running("TrainingJob", "churn-train-public")
	cfg := enforceConfig(e)
	res := evaluateOne(e, evaluator(e, cfg, sm), "job-training-no-vpc.json")
	if res.Finding.Status != finding.NonCompliant || res.State.Job == nil || res.State.Job.Status != "InProgress" {
		t.Fatalf("finding %s, job %+v; want NON_COMPLIANT and InProgress", res.Finding.Status, res.State.Job)
	}
	if err := remediator(e, cfg, sm, nil).Remediate(context.Background(), &res); err != nil {
		t.Fatalf("Remediate: %v", err)
	}
	if a := action(t, res.Finding, "stop-job"); a.Outcome != finding.Done || a.Target != "training-job/churn-train-public" {
		t.Errorf("stop-job = %s on %q (%s); want done on training-job/churn-train-public", a.Outcome, a.Target, a.Detail)
	}
	if calls := gaps.Answered(); len(calls) != 1 || calls[0].Op != "StopTrainingJob" || calls[0].Body["TrainingJobName"] != "churn-train-public" {
		t.Errorf("fake answered %+v; want one StopTrainingJob of churn-train-public", calls)
	}
	if got := e.RolePolicies("MLEngineer"); !slices.Contains(got, e.Guardrail) {
		t.Errorf("MLEngineer policies = %v; want the guardrail", got)
	}
	if got := e.SageMakerTags(res.State.ARN)["vpcguard:finding"]; got != "sagemaker-job-in-vpc" {
		t.Errorf("tag vpcguard:finding = %q; want sagemaker-job-in-vpc", got)
	}
	wantHeld := []finding.Measure{finding.GuardrailAttached, finding.Stopped, finding.Tagged}
	if !res.Finding.Contained || !slices.Equal(res.Finding.Containment, wantHeld) {
		t.Errorf("containment %v (contained %v); want %v", res.Finding.Containment, res.Finding.Contained, wantHeld)
	}

	t.Run("a second delivery finds it stopping", func(t *testing.T) {
		res := evaluateOne(e, evaluator(e, cfg, sm), "job-training-no-vpc.json")
		if err := remediator(e, cfg, sm, nil).Remediate(context.Background(), &res); err != nil {
			t.Fatalf("Remediate: %v", err)
		}
		if a := action(t, res.Finding, "stop-job"); a.Outcome != finding.Skipped || a.Detail != "already Stopping" {
			t.Errorf("stop-job = %s %q; want skipped \"already Stopping\"", a.Outcome, a.Detail)
		}
		if n := len(gaps.Answered()); n != 1 {
			t.Errorf("stop calls = %d; want still 1", n)
		}
	})

	t.Run("a finished job is left alone, with the reason", func(t *testing.T) {
		e.TrainingJob("churn-train-done", false)
		res := evaluateOne(e, evaluator(e, cfg, nil), "job-training-no-vpc.json", "churn-train-public", "churn-train-done")
		if err := remediator(e, cfg, nil, nil).Remediate(context.Background(), &res); err != nil {
			t.Fatalf("Remediate: %v", err)
		}
		if a := action(t, res.Finding, "stop-job"); a.Outcome != finding.Skipped || a.Detail != "already Completed" {
			t.Errorf("stop-job = %s %q; want skipped \"already Completed\" (moto's status)", a.Outcome, a.Detail)
		}
		if !slices.Contains(res.Finding.Containment, finding.Stopped) {
			t.Errorf("containment %v; want stopped: a finished job no longer runs", res.Finding.Containment)
		}
	})

	t.Run("a job that finished between the read and the stop", func(t *testing.T) {
		// The state says InProgress; the fake refuses the stop as AWS does
		// for a Completed job.
		e.TrainingJob("churn-train-raced", false)
		res := evaluateOne(e, evaluator(e, cfg, nil), "job-training-no-vpc.json", "churn-train-public", "churn-train-raced")
		res.State.Job.Status = "InProgress"
		if err := remediator(e, cfg, sm, nil).Remediate(context.Background(), &res); err != nil {
			t.Fatalf("Remediate: %v; want nothing to retry", err)
		}
		if a := action(t, res.Finding, "stop-job"); a.Outcome != finding.Skipped || !strings.Contains(a.Detail, "no longer running") {
			t.Errorf("stop-job = %s %q; want skipped, no longer running", a.Outcome, a.Detail)
		}
	})
}

// TestStopAutoMLJobOnMoto: moto keeps AutoML V2 jobs InProgress and has
// StopAutoMLJob, so this stop is moto's own; dry-run stops nothing.
func TestStopAutoMLJobOnMoto(t *testing.T) {
	e := newEnv(t)
	user(e, "bob")
	e.AutoMLJob("churn-autopilot", false)
	describe := func() string {
		out, err := e.SageMaker.DescribeAutoMLJobV2(context.Background(), &sagemaker.DescribeAutoMLJobV2Input{AutoMLJobName: aws.String("churn-autopilot")})
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		return string(out.AutoMLJobStatus)
	}

	dry := enforceConfig(e)
	dry.DryRun = true
	res := evaluateOne(e, evaluator(e, dry, nil), "job-automl-v2-no-vpc.json")
	if err := remediator(e, dry, nil, nil).Remediate(context.Background(), &res); err != nil {
		t.Fatalf("Remediate (dry run): %v", err)
	}
	for _, typ := range []string{"attach-guardrail", "stop-job", "tag"} {
		if a := action(t, res.Finding, typ); a.Outcome != finding.DryRun {
			t.Errorf("dry run %s = %s %q; want dry-run", typ, a.Outcome, a.Detail)
		}
	}
	if got := describe(); got != "InProgress" {
		t.Errorf("after a dry run the job is %s; want InProgress", got)
	}
	if n := len(e.Recorder.Inputs("StopAutoMLJob")) + len(e.Recorder.Inputs("AttachUserPolicy")) + len(e.Recorder.Inputs("AddTags")); n != 0 {
		t.Errorf("dry run sent %d writes; want none", n)
	}

	cfg := enforceConfig(e)
	res = evaluateOne(e, evaluator(e, cfg, nil), "job-automl-v2-no-vpc.json")
	if err := remediator(e, cfg, nil, nil).Remediate(context.Background(), &res); err != nil {
		t.Fatalf("Remediate: %v", err)
	}
	if a := action(t, res.Finding, "stop-job"); a.Outcome != finding.Done {
		t.Errorf("stop-job = %s %q; want done", a.Outcome, a.Detail)
	}
	if got := describe(); got != "Stopped" {
		t.Errorf("job status = %s; want Stopped (moto)", got)
	}
}

// TestJobGuardrailNeverOnAnExecutionRole: a job SageMaker started for a
// tuning job or a pipeline gets no guardrail on anyone, and the finding
// says why.
func TestJobGuardrailNeverOnAnExecutionRole(t *testing.T) {
	tests := []struct {
		name, event, job string
		create           func(e *testenv.Env, job string)
		parent           string // faked TuningJobArn
		wantDetail       string
	}{
		{name: "tuning job's trial (AWSService)", event: "job-training-tuning-child.json", job: "churn-hpo-001-6f3c2a1b",
			create: func(e *testenv.Env, job string) { e.TrainingJob(job, false) },
			parent: "arn:aws:sagemaker:us-east-1:" + acct + ":hyper-parameter-tuning-job/churn-hpo", wantDetail: "whoever created the tuning job"},
		{name: "pipeline step (execution role session invoked by SageMaker)", event: "job-processing-pipeline-step.json", job: "pipelines-x7k2m9-preprocess-4d1e8b",
			create: func(e *testenv.Env, job string) {
				e.ProcessingJob(job, false, map[string]string{"sagemaker:pipeline-execution-arn": "arn:aws:sagemaker:us-east-1:" + acct + ":pipeline/churn-pipeline/execution/x7k2m9"})
			},
			wantDetail: "fix the pipeline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			role(e, "/", "SageMakerExecution")
			tt.create(e, tt.job)
			gaps, sm := e.WithSageMakerGaps() // fake: moto's DescribeTrainingJob has no TuningJobArn
			if tt.parent != "" {
				gaps.Parent(tt.job, tt.parent)
			}
			cfg := enforceConfig(e)
			res := evaluateOne(e, evaluator(e, cfg, sm), tt.event)
			if res.Finding.Status != finding.NonCompliant {
				t.Fatalf("status %s; want NON_COMPLIANT", res.Finding.Status)
			}
			if err := remediator(e, cfg, sm, nil).Remediate(context.Background(), &res); err != nil {
				t.Fatalf("Remediate: %v", err)
			}
			if a := action(t, res.Finding, "attach-guardrail"); a.Outcome != finding.Skipped || !strings.Contains(a.Detail, tt.wantDetail) {
				t.Errorf("attach-guardrail = %s %q; want skipped, %q", a.Outcome, a.Detail, tt.wantDetail)
			}
			if got := e.RolePolicies("SageMakerExecution"); len(got) != 0 {
				t.Errorf("SageMakerExecution policies = %v; want none: the execution role must never get the guardrail", got)
			}
			if n := len(e.Recorder.Inputs("AttachRolePolicy")) + len(e.Recorder.Inputs("ListAttachedRolePolicies")); n != 0 {
				t.Errorf("IAM calls = %d; want none", n)
			}
		})
	}
}

// TestSwitchDomainToVPCOnly: opt-in; done in the domain's own VPC and
// subnets; AWS's refusal while apps run is recorded, not retried; dry-run
// sends nothing.
//
// moto has no UpdateDomain: the SageMakerGaps fake answers it (and refuses
// it when told) and DescribeDomain then reads the new setting.
func TestSwitchDomainToVPCOnly(t *testing.T) {
	setup := func(t *testing.T, optIn, dryRun bool) (*testenv.Env, *testenv.SageMakerGaps, *Remediator, func() evaluate.Result) {
		e := newEnv(t)
		role(e, "/", "PlatformAdmin")
		id := e.Domain("studio-research", "PublicInternetOnly")
		gaps, sm := e.WithSageMakerGaps() // fake: see the test's comment
		cfg := enforceConfig(e)
		cfg.SwitchDomainsToVPCOnly, cfg.DryRun = optIn, dryRun
		eval := func() evaluate.Result {
			return (evaluateOne(e, evaluator(e, cfg, sm), "domain-create-public.json", "d-4hzp1c9r6tye", id))
		}
		return e, gaps, remediator(e, cfg, sm, nil), eval
	}

	t.Run("off by default: guardrail and tag only", func(t *testing.T) {
		e, gaps, rem, eval := setup(t, false, false)
		res := eval()
		if err := rem.Remediate(context.Background(), &res); err != nil {
			t.Fatalf("Remediate: %v", err)
		}
		if hasAction(res.Finding, "switch-domain-to-vpc-only") || len(gaps.Answered()) != 0 {
			t.Errorf("actions %+v, fake calls %+v; want no switch without the opt-in", res.Finding.Actions, gaps.Answered())
		}
		if got := e.RolePolicies("PlatformAdmin"); !slices.Contains(got, e.Guardrail) {
			t.Errorf("PlatformAdmin policies = %v; want the guardrail", got)
		}
		if got := e.SageMakerTags(res.State.ARN)["vpcguard:finding"]; got != "sagemaker-studio-domain-vpc-only" {
			t.Errorf("domain tag = %q; want the rule", got)
		}
	})

	t.Run("opted in: switched in the domain's VPC and subnets", func(t *testing.T) {
		e, gaps, rem, eval := setup(t, true, false)
		res := eval()
		if err := rem.Remediate(context.Background(), &res); err != nil {
			t.Fatalf("Remediate: %v", err)
		}
		if a := action(t, res.Finding, "switch-domain-to-vpc-only"); a.Outcome != finding.Done || !strings.Contains(a.Detail, e.VPC) {
			t.Errorf("switch = %s %q; want done in %s", a.Outcome, a.Detail, e.VPC)
		}
		calls := gaps.Answered()
		if len(calls) != 1 || calls[0].Op != "UpdateDomain" || calls[0].Body["AppNetworkAccessType"] != "VpcOnly" || calls[0].Body["VpcId"] != e.VPC ||
			len(calls[0].Body["SubnetIds"].([]any)) != 2 {
			t.Errorf("fake answered %+v; want one UpdateDomain to VpcOnly with the VPC and both subnets", calls)
		}
		if !slices.Contains(res.Finding.Containment, finding.Fixed) {
			t.Errorf("containment %v; want fixed", res.Finding.Containment)
		}
		if again := eval(); again.Finding.Status != finding.Compliant {
			t.Errorf("after the switch: %s %q; want COMPLIANT", again.Finding.Status, again.Finding.Reason)
		}
	})

	t.Run("apps running: refused, recorded, not retried", func(t *testing.T) {
		_, gaps, rem, eval := setup(t, true, false)
		gaps.Refuse("UpdateDomain", "ResourceInUse", "The domain has apps in InService status.")
		res := eval()
		if err := rem.Remediate(context.Background(), &res); err != nil {
			t.Fatalf("Remediate: %v; want nil: retrying cannot stop the apps", err)
		}
		a := action(t, res.Finding, "switch-domain-to-vpc-only")
		if a.Outcome != finding.Failed || !strings.Contains(a.Detail, "apps InService, Pending or Deleting") || !strings.Contains(a.Detail, "ResourceInUse") {
			t.Errorf("switch = %s %q; want failed, naming running apps and AWS's error", a.Outcome, a.Detail)
		}
	})

	t.Run("dry run", func(t *testing.T) {
		_, gaps, rem, eval := setup(t, true, true)
		res := eval()
		if err := rem.Remediate(context.Background(), &res); err != nil {
			t.Fatalf("Remediate: %v", err)
		}
		if a := action(t, res.Finding, "switch-domain-to-vpc-only"); a.Outcome != finding.DryRun || !strings.Contains(a.Detail, "would switch to VpcOnly") {
			t.Errorf("switch = %s %q; want dry-run", a.Outcome, a.Detail)
		}
		if len(gaps.Answered()) != 0 {
			t.Errorf("fake answered %+v; want nothing sent in a dry run", gaps.Answered())
		}
	})

	t.Run("no VPC to switch into", func(t *testing.T) {
		_, gaps, rem, eval := setup(t, true, false)
		res := eval()
		res.State.Domain.VPCID, res.State.Domain.SubnetIDs = "", nil
		if err := rem.Remediate(context.Background(), &res); err != nil {
			t.Fatalf("Remediate: %v", err)
		}
		if a := action(t, res.Finding, "switch-domain-to-vpc-only"); a.Outcome != finding.Skipped || !strings.Contains(a.Detail, "needs a VPC and subnets") {
			t.Errorf("switch = %s %q; want skipped for want of a VPC", a.Outcome, a.Detail)
		}
		if len(gaps.Answered()) != 0 {
			t.Errorf("fake answered %+v; want nothing", gaps.Answered())
		}
	})
}

// TestPresignedURLGuardrail: the caller of a presigned URL call from the
// internet gets the guardrail, an IAM Identity Center role never does, and
// nothing else is touched (there is no resource to change).
func TestPresignedURLGuardrail(t *testing.T) {
	e := newEnv(t)
	user(e, "carol")
	cfg := enforceConfig(e)
	res := evaluateOne(e, evaluator(e, cfg, nil), "presigned-notebook-url-public-ip.json")
	if res.Finding.Status != finding.NonCompliant || res.State.Kind != resource.PresignedURL {
		t.Fatalf("finding %s on %s; want NON_COMPLIANT on a presigned URL call", res.Finding.Status, res.State.Kind)
	}
	if err := remediator(e, cfg, nil, nil).Remediate(context.Background(), &res); err != nil {
		t.Fatalf("Remediate: %v", err)
	}
	if got := e.UserPolicies("carol"); !slices.Contains(got, e.Guardrail) {
		t.Errorf("carol's policies = %v; want the guardrail", got)
	}
	if len(res.Finding.Actions) != 1 {
		t.Errorf("actions = %+v; want the guardrail only", res.Finding.Actions)
	}
	if n := len(e.Recorder.Inputs("AddTags")) + len(e.Recorder.Inputs("DescribeNotebookInstance")); n != 0 {
		t.Errorf("SageMaker calls = %d; want none: the rule reads and changes nothing", n)
	}

	sso := evaluateOne(e, evaluator(e, cfg, nil), "presigned-domain-url-sso-role.json")
	if err := remediator(e, cfg, nil, nil).Remediate(context.Background(), &sso); err != nil {
		t.Fatalf("Remediate: %v", err)
	}
	if a := action(t, sso.Finding, "attach-guardrail"); a.Outcome != finding.Skipped || !strings.Contains(a.Detail, "IAM Identity Center role") {
		t.Errorf("attach-guardrail = %s %q; want skipped for the IAM Identity Center role", a.Outcome, a.Detail)
	}
}
