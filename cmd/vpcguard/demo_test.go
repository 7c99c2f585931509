package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestDemo runs `vpcguard demo` end to end: it starts its own moto_server.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto_server and runs the whole demo (~10s)")
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"demo"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d; want 0\nstderr:\n%s\nstdout:\n%s", code, stderr.String(), stdout.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"1. Backfill in report mode",
		"✗ NON_COMPLIANT       sagemaker-model-in-vpc                        legacy-scoring",
		"▶ events/model-create-no-vpc.json: CreateModel by role MLEngineer",
		"attached arn:aws:iam::123456789012:policy/vpcguard-guardrail",
		"skipped: the call failed (AccessDenied)",
		"connects to com.amazonaws.us-east-1.ssm, not a SageMaker service",
		"3. Backfill again",
		"quickstart-default Stopped, research-open Stopped",
		"user carol: vpcguard-guardrail",
		"moto accepts ModifyVpcEndpoint but ignores PrivateDnsEnabled",
		"▶ events/domain-create-public.json: CreateDomain by role PlatformAdmin (d-4hzp1c9r6tye rewritten to d-studio-research)",
		"✗ NON_COMPLIANT       sagemaker-studio-domain-vpc-only              d-studio-sandbox",
		"churn-autopilot Stopped, fraud-autopilot InProgress",
		"already Completed",
		"SageMaker created this job itself",
		"the caller is an IAM Identity Center role",
		"sagemaker-presigned-url-via-vpc-endpoint judges calls, not resources",
		"role PlatformAdmin: vpcguard-guardrail; role SageMakerExecution: none",
		// The network rules: a one-zone model, the sandbox VPC missing its endpoints.
		"✗ NON_COMPLIANT       sagemaker-model-vpc-multi-az                  forecast-one-az",
		"▶ events/endpoint-create-notebook-no-api.json: CreateVpcEndpoint by user bob",
		"lacks a sagemaker.api interface endpoint",
		"✓ COMPLIANT           sagemaker-model-network-isolation             fraud-isolated",
		"forecast-one-az [vpcguard:finding=sagemaker-model-network-isolation]",
		"4. Backfill in enforce mode, guarding the creators",
		"CloudTrail's event history is a FAKE here (moto has no LookupEvents)",
		"CreateNotebookInstance by arn:aws:iam::123456789012:user/dana",
		// Not found: nightly-retrain and two domains have no call in the history,
		// forecast-prod predates it, a VPC has no creation time.
		"creators: 22 found, 5 not found, 0 failed",
		"the caller is the job's own execution role arn:aws:iam::123456789012:role/SageMakerExecution",
		"user dana: vpcguard-guardrail; team-sandbox Stopped",
		// The organization step.
		"5. An organization: a member's event handled centrally",
		"moto's AssumeRole succeeds for\nany role",
		"$ vpcguard backfill --accounts org --regions us-east-1 --assume-role VpcGuardMember",
		"ACCOUNT       SHARDS  FAILED  RESOURCES  NON_COMPLIANT  NON_COMPLIANT BY RULE",
		"moto_server stopped.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// The member's event: guardrail and Security Hub finding in the member's
	// account, none in the central account's; then one row per account.
	member := regexp.MustCompile(`▶ events/model-create-no-vpc.json as member (\d{12}) sent it`).FindStringSubmatch(out)
	if member == nil {
		t.Fatalf("demo output lacks the member's event")
	}
	m := member[1]
	for _, want := range []string{
		"attached arn:aws:iam::" + m + ":policy/vpcguard-guardrail",
		"member " + m + ", role MLEngineer: arn:aws:iam::" + m + ":policy/vpcguard-guardrail",
		"member " + m + ", Security Hub (read with the member's credentials): 2 findings: sagemaker-model-network-isolation for account " + m + ", sagemaker-model-in-vpc for account " + m,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if c := regexp.MustCompile(`central account 123456789012, Security Hub: (\d+) findings before the event, (\d+) after`).FindStringSubmatch(out); c == nil || c[1] != c[2] {
		t.Errorf("demo output: central Security Hub %v; want as many findings after the member's event as before", c)
	}
	if n := len(regexp.MustCompile(`(?m)^account \d{12}: 1 shard done, 0 failed, \d+ findings, \d+ NON_COMPLIANT \(\d/4 accounts\)$`).FindAllString(out, -1)); n != 4 {
		t.Errorf("demo output has %d account progress lines; want 4 (3 members, the management account)", n)
	}
	if n := len(regexp.MustCompile(`(?m)^\d{12}  1       0       \d+ +[1-9]\d* +.*model-in-vpc [1-9]`).FindAllString(out, -1)); n != 4 {
		t.Errorf("demo output has %d account rows with NON_COMPLIANT models; want 4", n)
	}
	if n := strings.Count(out, "PrivateDnsEnabled=true"); n < 2 {
		t.Errorf("demo output shows %d private DNS changes; want at least 2", n)
	}
	// The ssm endpoint must never be acted on.
	for line := range strings.SplitSeq(out, "\n") {
		if strings.Contains(line, "ssm") && strings.Contains(line, "enable-private-dns") {
			t.Errorf("the ssm endpoint was acted on: %s", line)
		}
	}
}

func TestBackfillFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--accounts", "12"}, `--accounts: "12" is not a 12-digit account id (or org)`},
		{[]string{"--accounts", "org,111111111111"}, "--accounts: org stands alone"},
		{[]string{"--accounts", ","}, "--accounts: empty (give account ids, or org)"},
		{[]string{"--config-aggregator", "org-aggregator"}, "--config-aggregator: needs --accounts"},
		{[]string{"--accounts", "org", "--regions", "mars-1"}, `regions: "mars-1" is not a Region name`},
		{[]string{"--rules", "nope"}, `--rules: unknown rule "nope"`},
		{[]string{"--concurrency", "0"}, "--concurrency: 0 is outside 1..256"},
		{[]string{"--regions", ","}, "--regions: empty"},
		{[]string{"--format", "xml"}, `unknown format "xml"`},
		{[]string{"extra"}, "backfill takes no arguments"},
		{[]string{"--trail-bucket", "trail-logs"}, `VPCGUARD_TRAIL_BUCKET: "trail-logs" is not s3://bucket`},
		{[]string{"--lookup-creators", "--creator-lookup-max", "0"}, "VPCGUARD_CREATOR_LOOKUP_MAX: 0 must be at least 1"},
		{[]string{"--lookup-creators=false", "--creator-guardrails"}, "VPCGUARD_CREATOR_GUARDRAILS: on, but VPCGUARD_CREATOR_LOOKUP is off"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"backfill"}, tt.args...), nil, &stdout, &stderr)
		if code != exitBadInput || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("backfill %v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr.String(), exitBadInput, tt.want)
		}
	}
}
