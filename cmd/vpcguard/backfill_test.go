package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/finding"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestBackfillCommand(t *testing.T) {
	e := testenv.New(t, testenv.Seed(0))
	e.Setenv("")
	c := e.Estate("us-east-1")
	ctx := context.Background()
	if err := c.Notebook(ctx, "open", "Enabled", "", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Model(ctx, "no-vpc", nil, nil); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"backfill", "--format", "json"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d; want 0\n%s", code, stderr.String())
	}
	var fs []finding.Finding
	if err := json.Unmarshal(stdout.Bytes(), &fs); err != nil {
		t.Fatalf("stdout is not a JSON array of findings: %v\n%s", err, stdout.String())
	}
	// The model (outside a VPC, not isolated; no subnets to span zones), the
	// notebook, and moto's default VPC (no SageMaker in it).
	statuses := map[string]finding.Status{}
	for _, f := range fs {
		statuses[f.Rule+" "+f.ResourceName] = f.Status
	}
	want := map[string]finding.Status{
		"sagemaker-model-in-vpc no-vpc": finding.NonCompliant, "sagemaker-model-network-isolation no-vpc": finding.NonCompliant,
		"sagemaker-model-vpc-multi-az no-vpc": finding.NotApplicable, "sagemaker-notebook-no-direct-internet-access open": finding.NonCompliant,
	}
	for k, w := range want {
		if statuses[k] != w {
			t.Errorf("%s: got %q; want %s", k, statuses[k], w)
		}
	}
	if len(fs) != 5 {
		t.Errorf("findings %+v; want 5 (4 above and the default VPC's)", fs)
	}
	for _, want := range []string{"backfill: 3 resources in 1 account, us-east-1 (mode report)", "sagemaker-model-in-vpc", "AWS calls:"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if strings.Contains(stderr.String(), "resources  ") {
		t.Errorf("progress bar drawn on a non-terminal stderr:\n%s", stderr.String())
	}

	// Without credentials the run cannot start: exit 1, with the reason.
	stdout.Reset()
	stderr.Reset()
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	if code := run(ctx, []string{"backfill", "--format", "json"}, nil, &stdout, &stderr); code != exitFailed || !strings.Contains(stderr.String(), "could not run") {
		t.Errorf("without credentials: exit %d, stderr %q; want %d and a clear message", code, stderr.String(), exitFailed)
	}
}
