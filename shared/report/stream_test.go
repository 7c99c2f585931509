package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/finding"
)

// longFindings are findings whose ids are as long as real ones: a Security
// Hub ticket id makes an action's target 200 characters.
func longFindings() []finding.Finding {
	ticket := "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default/vpcguard/sagemaker-notebook-no-direct-internet-access/111122223333/us-east-1/arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/research-open"
	return []finding.Finding{{
		Rule: "sagemaker-notebook-no-direct-internet-access", ResourceType: "AWS::SageMaker::NotebookInstance",
		ResourceID: "arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/research-open-with-a-very-long-name-indeed", ResourceName: "research-open-with-a-very-long-name-indeed",
		Status: finding.NonCompliant, Reason: "notebook instance research-open has DirectInternetAccess Enabled: it reaches the internet outside the VPC; recreate it with DirectInternetAccess Disabled in a subnet",
		Principal: "arn:aws:iam::111122223333:role/service-role/AmazonSageMaker-ExecutionRole-20261129T101010", Account: "111122223333", Region: "us-east-1",
		Contained: true, Containment: []finding.Measure{finding.Stopped, finding.Tagged},
		Actions: []finding.Action{
			{Type: "stop-notebook", Target: "research-open", Outcome: finding.Done, Detail: "stopped"},
			{Type: "ticket:securityhub", Target: ticket, Outcome: finding.Done, Detail: "opened"},
		},
	}}
}

// TestJSONStreamIsOneArray: the streamed JSON is one array, whatever the
// number of findings, each element written as it comes.
func TestJSONStreamIsOneArray(t *testing.T) {
	for _, n := range []int{0, 1, 4} {
		var buf bytes.Buffer
		w := NewWriter(&buf, JSON, Options{})
		for _, f := range sampleFindings()[:n] {
			before := buf.Len()
			if err := w.Write(f); err != nil {
				t.Fatal(err)
			}
			if buf.Len() == before {
				t.Errorf("n=%d: Write wrote nothing; want the finding written at once", n)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		var got []finding.Finding
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil || len(got) != n {
			t.Errorf("n=%d: got %d findings, %v; want a JSON array of %d\n%s", n, len(got), err, n, buf.String())
		}
	}
}

// TestTableFitsTheWidth: with a width, every line fits it, long ids are
// shortened in the middle, the reason is wrapped whole, and JSON and CSV
// keep every value in full.
func TestTableFitsTheWidth(t *testing.T) {
	f := longFindings()[0]
	for _, width := range []int{100, 120, 160, 250} {
		var buf bytes.Buffer
		w := NewWriter(&buf, Table, Options{Width: width})
		if err := w.Write(f); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
			if n := runes(line); n > width {
				t.Errorf("width %d: a line of %d columns:\n%s", width, n, line)
			}
		}
		if !strings.Contains(out, "…") || strings.Contains(out, f.Actions[1].Target) {
			t.Errorf("width %d: want the ticket id shortened in the middle (…)\n%s", width, out)
		}
		if !strings.Contains(out, "/research-open") && !strings.Contains(out, "research-open") {
			t.Errorf("width %d: the shortened id lost its end\n%s", width, out)
		}
		words := strings.Join(strings.Fields(out), " ")
		if !strings.Contains(words, "recreate it with DirectInternetAccess Disabled in a subnet") {
			t.Errorf("width %d: the reason is not all there (wrapped, not cut)\n%s", width, out)
		}
		if !strings.HasPrefix(out, "STATUS") || !strings.Contains(out, "◐ CONTAINED") {
			t.Errorf("width %d: want the header and ◐ CONTAINED in the status column\n%s", width, out)
		}
	}
	// No width: every value in full.
	var buf bytes.Buffer
	w := NewWriter(&buf, Table, Options{})
	if err := w.Write(f); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), f.Actions[1].Target) || strings.Contains(buf.String(), "…") {
		t.Errorf("no width: want every value in full\n%s", buf.String())
	}
	for _, format := range []Format{JSON, CSV, HTML} {
		buf.Reset()
		if err := Write(&buf, format, longFindings(), false); err != nil {
			t.Fatal(err)
		}
		full := []string{f.ResourceID, f.Principal}
		if format != CSV { // CSV sums actions up without their targets
			full = append(full, f.Actions[1].Target)
		}
		for _, v := range full {
			if !strings.Contains(buf.String(), v) {
				t.Errorf("%s: %s is not there in full", format, v)
			}
		}
	}
}

func TestShortenMiddle(t *testing.T) {
	tests := []struct {
		s    string
		w    int
		want string
	}{
		{"short", 10, "short"},
		{"arn:aws:sagemaker:us-east-1:1:model/churn", 16, "arn:aw…del/churn"},
		{"abcdef", 1, "a"},
	}
	for _, tt := range tests {
		if got := ShortenMiddle(tt.s, tt.w); got != tt.want || runes(got) > tt.w {
			t.Errorf("ShortenMiddle(%q, %d) = %q; want %q", tt.s, tt.w, got, tt.want)
		}
	}
}

// TestHTMLIsSelfContained: the report loads nothing (no src or href to
// anywhere, no CDN), holds every finding's row with its reason and actions,
// and escapes what the findings carry.
func TestHTMLIsSelfContained(t *testing.T) {
	fs := append(sampleFindings(), longFindings()...)
	fs[0].Reason = `<script>alert("x")</script> & more`
	var buf bytes.Buffer
	if err := Write(&buf, HTML, fs, false); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"http://", "https://", " src=", "<link", "@import", `<script>alert("x")`} {
		if strings.Contains(out, bad) {
			t.Errorf("report contains %q; want a self-contained, escaped file", bad)
		}
	}
	if n := strings.Count(out, "<tr data-status="); n != len(fs) {
		t.Errorf("rows %d; want %d", n, len(fs))
	}
	for _, want := range []string{"&lt;script&gt;", "attach-guardrail", "NON_COMPLIANT, held: stopped, tagged", `<svg role="img"`, `id="f-status"`, `id="f-rule"`, `id="f-account"`, "</html>"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The rows come before the summary: written as they arrive.
	if strings.Index(out, "<tr data-status=") > strings.Index(out, `id="summary"`) {
		t.Errorf("the summary is written before the rows; want the rows streamed first")
	}
}
