package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/trail"
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

// TestBackfillFormats: the table fits --width (and, written to a pipe, keeps
// every value whole), the HTML report is one document with a row per
// finding, and the help says what the table does off a terminal.
func TestBackfillFormats(t *testing.T) {
	e := testenv.New(t, testenv.Seed(0))
	e.Setenv("")
	c := e.Estate("us-east-1")
	ctx := context.Background()
	long := "notebook-with-a-rather-long-name-that-would-widen-every-table"
	if err := c.Notebook(ctx, long, "Enabled", "", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Model(ctx, "no-vpc", nil, nil); err != nil {
		t.Fatal(err)
	}
	backfill := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(ctx, append([]string{"backfill"}, args...), nil, &stdout, &stderr); code != exitOK {
			t.Fatalf("backfill %v: exit %d; want 0\n%s", args, code, stderr.String())
		}
		return stdout.String()
	}

	out := backfill("--format", "table", "--width", "100")
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if n := len([]rune(line)); n > 100 {
			t.Errorf("--width 100: a line of %d columns: %q", n, line)
		}
	}
	if strings.Contains(out, long) || !strings.Contains(out, "…") {
		t.Errorf("--width 100: want the long name shortened in the middle\n%s", out)
	}
	if out := backfill("--format", "table"); !strings.Contains(out, long) {
		t.Errorf("table to a pipe: want every value whole (no width limit)\n%s", out)
	}

	html := backfill("--format", "html")
	if !strings.HasPrefix(html, "<!DOCTYPE html>") || !strings.HasSuffix(html, "</html>\n") || strings.Count(html, "<tr data-status=") != 5 {
		t.Errorf("--format html: want one document with 5 finding rows (the notebook; the model under three rules; the default VPC)\n%.300s", html)
	}

	var stdout, stderr bytes.Buffer
	run(ctx, []string{"backfill", "-h"}, nil, &stdout, &stderr)
	for _, want := range []string{"when stdout is not a terminal, none", "html", "◐ CONTAINED", "or org: every active account of the organization",
		"when any shard failed", "-config-aggregator string"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("backfill -h lacks %q:\n%s", want, stderr.String())
		}
	}
}

// TestBackfillCommandLooksUpCreators: --lookup-creators names the creator
// of a NON_COMPLIANT model, found in the event history (a FAKE of
// LookupEvents, which moto lacks, reached the way a person would point the
// CLI at an endpoint: AWS_ENDPOINT_URL_CLOUDTRAIL), and stderr sums the
// lookup up.
func TestBackfillCommandLooksUpCreators(t *testing.T) {
	e := testenv.New(t, testenv.Seed(0))
	e.Setenv("")
	ctx := context.Background()
	e.Model("churn-xgb-public", false, nil)
	e.Model("nobody-knows", false, nil)
	models, err := e.SageMaker.ListModels(ctx, &sagemaker.ListModelsInput{})
	if err != nil || len(models.Models) != 2 {
		t.Fatalf("list models: %v", err)
	}
	var created time.Time
	for _, m := range models.Models {
		if aws.ToString(m.ModelName) == "churn-xgb-public" {
			created = aws.ToTime(m.CreationTime)
		}
	}
	h, err := trail.NewHistory(trail.MustSample("model-create-no-vpc.json").At(created))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", h.URL)

	var stdout, stderr bytes.Buffer
	if code := run(ctx, []string{"backfill", "--format", "json", "--lookup-creators"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d; want 0\n%s", code, stderr.String())
	}
	var fs []finding.Finding
	if err := json.Unmarshal(stdout.Bytes(), &fs); err != nil {
		t.Fatalf("stdout: %v\n%s", err, stdout.String())
	}
	// model-in-vpc's findings (network isolation's are NON_COMPLIANT too,
	// and looked up the same way).
	byName := map[string]finding.Finding{}
	for _, f := range fs {
		if f.Rule == "sagemaker-model-in-vpc" {
			byName[f.ResourceName] = f
		}
	}
	if f := byName["churn-xgb-public"]; f.Principal != "arn:aws:iam::123456789012:role/MLEngineer" || f.EventID != "00000000-0000-0000-0000-00000001991a" {
		t.Errorf("churn-xgb-public: principal %q event %q; want MLEngineer and the sample's event", f.Principal, f.EventID)
	}
	if f := byName["nobody-knows"]; f.Principal != "" || len(f.Actions) != 1 || f.Actions[0].Outcome != finding.Skipped {
		t.Errorf("nobody-knows: principal %q actions %+v; want none and one skipped lookup", f.Principal, f.Actions)
	}
	// Two NON_COMPLIANT findings each (outside a VPC, not isolated). One call
	// finds churn-xgb-public's slot; nobody-knows's window may reach into the
	// next slot, which then costs a second one.
	summary := regexp.MustCompile(`creators: 2 found, 2 not found, 0 failed; [12] LookupEvents calls? \(CloudTrail allows 2 a second per account and region\), 0 log files read`)
	if !summary.MatchString(stderr.String()) {
		t.Errorf("stderr lacks a line matching %s:\n%s", summary, stderr.String())
	}
}
