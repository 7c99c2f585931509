package main

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// TestBackfillJobsAndDomains: the backfill command lists Studio domains and
// jobs; --job-lookback-days 0 keeps only the running jobs; the presigned
// URL rule is named as having nothing to list.
func TestBackfillJobsAndDomains(t *testing.T) {
	e := testenv.New(t)
	e.Setenv("")
	e.Domain("studio-research", "")
	e.TrainingJob("train-done", false)
	e.AutoMLJob("autopilot-running", false)
	ctx := context.Background()

	backfill := func(args ...string) (int, []string, string) {
		var stdout, stderr bytes.Buffer
		code := run(ctx, append([]string{"backfill", "--format", "json"}, args...), nil, &stdout, &stderr)
		var fs []finding.Finding
		if code == exitOK {
			if err := json.Unmarshal(stdout.Bytes(), &fs); err != nil {
				t.Fatalf("stdout: %v\n%s", err, stdout.String())
			}
		}
		var names []string
		for _, f := range fs {
			if f.Rule == "sagemaker-job-in-vpc" || f.Rule == "sagemaker-studio-domain-vpc-only" {
				names = append(names, f.ResourceName+" "+string(f.Status))
			}
		}
		slices.Sort(names)
		return code, names, stderr.String()
	}
	code, got, stderr := backfill()
	want := []string{"automl-job/autopilot-running NON_COMPLIANT", "d-studio-research NON_COMPLIANT", "training-job/train-done NON_COMPLIANT"}
	if code != exitOK || !slices.Equal(got, want) {
		t.Errorf("backfill: exit %d, %v; want 0, %v\n%s", code, got, want, stderr)
	}
	if !strings.Contains(stderr, "sagemaker-presigned-url-via-vpc-endpoint judges calls, not resources") {
		t.Errorf("stderr does not say the presigned URL rule has nothing to list:\n%s", stderr)
	}
	code, got, stderr = backfill("--job-lookback-days", "0", "--rules", "sagemaker-job-in-vpc")
	if want := []string{"automl-job/autopilot-running NON_COMPLIANT"}; code != exitOK || !slices.Equal(got, want) {
		t.Errorf("--job-lookback-days 0: exit %d, %v; want 0, %v (running jobs only)\n%s", code, got, want, stderr)
	}
	if code, _, stderr := backfill("--job-lookback-days", "91"); code != exitBadInput || !strings.Contains(stderr, "--job-lookback-days: 91 is outside 0..90") {
		t.Errorf("--job-lookback-days 91: exit %d, %q; want %d naming the flag", code, stderr, exitBadInput)
	}
}
