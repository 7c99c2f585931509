package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vpcguard/vpcguard/internal/testenv/browser"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// browserFindings are three accounts' findings under three rules, in every
// status, some NON_COMPLIANT ones contained.
func browserFindings() []finding.Finding {
	rules := []string{"sagemaker-model-in-vpc", "sagemaker-notebook-no-direct-internet-access", "sagemaker-vpc-endpoint-private-dns"}
	accounts := []string{"111111111111", "222222222222", "333333333333"}
	statuses := []finding.Status{finding.NonCompliant, finding.NonCompliant, finding.Compliant, finding.NotApplicable, finding.InsufficientData}
	var fs []finding.Finding
	for a, acct := range accounts {
		for r, rule := range rules {
			for i, st := range statuses[:len(statuses)-a] { // accounts differ in what they hold
				f := finding.Finding{Rule: rule, ResourceType: "AWS::SageMaker::Model", Status: st, Account: acct, Region: "us-east-1",
					ResourceID: fmt.Sprintf("arn:aws:sagemaker:us-east-1:%s:model/m-%d-%d", acct, r, i), ResourceName: fmt.Sprintf("m-%d-%d", r, i),
					Reason: "a reason with <angle brackets> & an ampersand", Evaluation: "online"}
				if st == finding.NonCompliant && i == 0 {
					f.Contained, f.Containment = true, []finding.Measure{finding.Tagged}
					f.Actions = []finding.Action{{Type: "tag", Target: f.ResourceID, Outcome: finding.Done, Detail: "vpcguard:finding=" + rule}}
				}
				fs = append(fs, f)
			}
		}
	}
	return fs
}

// TestReportInBrowser loads an HTML report in a real headless Chromium:
// it loads with no console error and no request off the machine, shows
// every finding, and its filters (clicked and selected as a person would)
// show exactly the matching rows.
func TestReportInBrowser(t *testing.T) {
	chromium, err := browser.Find()
	if err != nil {
		t.Skipf("SKIP, not a pass: the HTML report's browser test needs Chromium: %v", err)
	}
	fs := browserFindings()
	path := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(f, HTML, Options{Title: "vpcguard backfill", Context: "test"})
	for _, fd := range fs {
		if err := w.Write(fd); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	page, err := browser.Open(ctx, chromium, "file://"+path, 1280, 800)
	if err != nil {
		t.Fatal(err)
	}
	defer page.Close()

	want := func(pred func(finding.Finding) bool) int {
		n := 0
		for _, fd := range fs {
			if pred(fd) {
				n++
			}
		}
		return n
	}
	visible := func(step string, wantN int) {
		t.Helper()
		n, err := page.Count("#findings-table tbody tr[data-status]:not([hidden])")
		if err != nil {
			t.Fatalf("%s: count rows: %v", step, err)
		}
		if n != wantN {
			t.Errorf("%s: %d rows visible; want %d", step, n, wantN)
		}
		shown, err := page.Text("#shown")
		if err != nil || !strings.HasPrefix(shown, fmt.Sprintf("%d of %d", wantN, len(fs))) {
			t.Errorf("%s: the count reads %q (%v); want %d of %d", step, shown, err, wantN, len(fs))
		}
	}
	selectOption := func(id, value string) chromedp.Action[chromedp.Void] {
		// What a person's choice in a <select> does: set it, fire change.
		return chromedp.Steps(chromedp.SetValue(chromedp.ID(id), value),
			chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).dispatchEvent(new Event("change", {bubbles: true}))`, id), chromedp.EvalAsValue))
	}

	visible("loaded", len(fs))
	// A click on the summary's "contained" count.
	if err := page.Do(chromedp.Click(chromedp.CSS(`#summary button[data-value="CONTAINED"]`))); err != nil {
		t.Fatal(err)
	}
	visible("contained clicked", want(func(f finding.Finding) bool { return f.Contained }))
	// Status, rule and account chosen in the filters.
	if err := page.Do(selectOption("f-status", "NON_COMPLIANT"), selectOption("f-rule", "sagemaker-vpc-endpoint-private-dns")); err != nil {
		t.Fatal(err)
	}
	visible("NON_COMPLIANT, endpoint rule", want(func(f finding.Finding) bool {
		return f.Status == finding.NonCompliant && f.Rule == "sagemaker-vpc-endpoint-private-dns"
	}))
	if err := page.Do(selectOption("f-account", "333333333333")); err != nil {
		t.Fatal(err)
	}
	visible("and account 333333333333", want(func(f finding.Finding) bool {
		return f.Status == finding.NonCompliant && f.Rule == "sagemaker-vpc-endpoint-private-dns" && f.Account == "333333333333"
	}))
	// A click on an account's bar in the chart sets the account filter.
	if err := page.Do(chromedp.Click(chromedp.ID("f-reset")), chromedp.Click(chromedp.CSS(`#charts g.bar[data-value="222222222222"] rect.nc`))); err != nil {
		t.Fatal(err)
	}
	visible("account 222222222222's bar clicked", want(func(f finding.Finding) bool { return f.Account == "222222222222" }))
	if err := page.Do(selectOption("f-status", "INSUFFICIENT_DATA")); err != nil {
		t.Fatal(err)
	}
	visible("INSUFFICIENT_DATA in 222222222222", 0)
	if err := page.Do(chromedp.Click(chromedp.ID("f-reset"))); err != nil {
		t.Fatal(err)
	}
	visible("show all", len(fs))

	// The summary and the charts, written last, are shown above the table.
	top, err := chromedp.Run(page.Ctx, chromedp.Evaluate[bool](`document.getElementById("summary").getBoundingClientRect().top < document.getElementById("findings").getBoundingClientRect().top`))
	if err != nil || !top {
		t.Errorf("summary above the findings: %v (%v); want true", top, err)
	}
	if errs := page.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %q; want none", errs)
	}
	if reqs := page.Requests(); len(reqs) > 0 {
		t.Errorf("the report asked for %q; want nothing beyond the file", reqs)
	}
}
