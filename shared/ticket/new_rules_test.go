package ticket

import (
	"context"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// TestTicketsOfStudioJobAndPresignedURLFindings: a non-compliant Studio
// domain, job and presigned URL call each open one ticket in every sink
// (Security Hub and SNS on moto, OpsCenter on its fake: moto lacks it), as
// the Other ASFF type with the resource's ARN; the same finding again
// changes nothing.
func TestTicketsOfStudioJobAndPresignedURLFindings(t *testing.T) {
	r := newRig(t)
	tickets := NewTickets(false, r.sh, r.oc, r.sns)
	offline := &evaluate.Evaluator{Rules: rules.All()}
	for _, sample := range []struct{ event, arn string }{
		{"domain-create-public.json", "arn:aws:sagemaker:us-east-1:123456789012:domain/d-4hzp1c9r6tye"},
		{"job-training-no-vpc.json", "arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-train-public"},
		{"presigned-notebook-url-public-ip.json", "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/research-open"},
	} {
		ev := testenv.SampleEvent(t, sample.event)
		res, err := offline.Event(context.Background(), &ev)
		if err != nil || len(res) != 1 || res[0].Finding.Status != finding.NonCompliant {
			t.Fatalf("%s: %+v, %v; want one NON_COMPLIANT finding", sample.event, res, err)
		}
		f := res[0].Finding
		if f.ResourceID != sample.arn {
			t.Errorf("%s: ResourceID %q; want %q", sample.event, f.ResourceID, sample.arn)
		}
		first, again := f, f
		if err := tickets.Sync(context.Background(), &first); err != nil {
			t.Fatalf("%s: Sync: %v", sample.event, err)
		}
		if got := strings.Join(outcomes(first), "; "); !strings.Contains(got, "securityhub=done opened") ||
			!strings.Contains(got, "opscenter=done opened") || !strings.Contains(got, "sns=done opened") {
			t.Errorf("%s: ticket actions %q; want opened in every sink", sample.event, got)
		}
		if err := tickets.Sync(context.Background(), &again); err != nil {
			t.Fatalf("%s: Sync again: %v", sample.event, err)
		}
		if got := strings.Join(outcomes(again), "; "); strings.Contains(got, "done") {
			t.Errorf("%s: the same finding again: %q; want nothing changed", sample.event, got)
		}
	}
	findings := r.env.HubFindings()
	if len(findings) != 3 {
		t.Fatalf("Security Hub findings: %d; want 3", len(findings))
	}
	for _, f := range findings {
		if typ := *f.Resources[0].Type; typ != "Other" {
			t.Errorf("finding %s resource type %q; want Other (ASFF has no type for these)", *f.Title, typ)
		}
	}
	if n := len(r.ops.Items()); n != 3 {
		t.Errorf("OpsItems: %d; want 3", n)
	}
	if n := len(r.env.Inbox()); n != 3 {
		t.Errorf("SNS messages: %d; want 3", n)
	}
}
