package ticket

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// These tests hold Tickets to its promise: every ticket change is announced
// at least once, a duplicate event is announced never, and nothing fails
// without an error for Lambda to retry. Security Hub and SNS are moto; the
// failures are injected by wrappers over the sinks' API interfaces
// (flakySNS, countingHub), which fail exactly the calls a test names, "once"
// then "recovered", in-process and deterministically. reliability/faults
// does the same end to end through internal/testenv/faultproxy, on the wire.

// short reads the ticket actions as outcomes() does, shortened to what a
// table can compare: no message id, a held-back write as "held back: would
// <verb>", a failed announcement as "sns=failed" (after checking it names
// the injected error).
func short(t *testing.T, f finding.Finding, code string) []string {
	t.Helper()
	got := outcomes(f)
	for i, g := range got {
		g, _, _ = strings.Cut(g, " (message ")
		switch {
		case strings.HasPrefix(g, "sns=failed"):
			if code != "" && !strings.Contains(g, code) {
				t.Errorf("sns action %q does not name the failure %s", g, code)
			}
			g = "sns=failed"
		case strings.Contains(g, "=failed held back: "):
			if !strings.Contains(g, "once sns announced it, which failed; the retry announces and writes it") {
				t.Errorf("held-back action %q does not say why", g)
			}
			g, _, _ = strings.Cut(g, " once ")
		}
		got[i] = g
	}
	return got
}

func changes(e *testenv.Env) []string {
	e.T.Helper()
	var out []string
	for _, n := range e.Inbox() {
		out = append(out, n.MessageAttributes["change"].Value)
	}
	return out
}

// TestTicketsSNSFailingOnce walks a finding through its life with SNS
// refusing the first Publish of every change: the invocation returns the
// error and holds back Security Hub and OpsCenter, and Lambda's retry
// announces the change and writes it. Each change is announced exactly
// once; the duplicates announce nothing.
func TestTicketsSNSFailingOnce(t *testing.T) {
	r := newRig(t)
	tickets := NewTickets(false, r.sh, r.oc, r.sns)
	nb := notebookFinding("nb1", "DirectInternetAccess is Enabled.")
	changed := with(nb, func(f *finding.Finding) { f.Reason = "DirectInternetAccess omitted." })
	fixed := with(nb, status(finding.Compliant, "notebook deleted"))
	held := func(verb string) []string {
		return []string{"securityhub=failed held back: would " + verb, "opscenter=failed held back: would " + verb, "sns=failed"}
	}
	done := func(kind string) []string {
		return []string{"securityhub=done " + kind, "opscenter=done " + kind, "sns=done " + kind}
	}
	steps := []struct {
		name        string
		f           finding.Finding
		snsFails    int // Publish calls that fail, from this step on
		wantErr     bool
		want        []string
		wantChanges []string
		wantImports int // Security Hub imports in this step
	}{
		{"open, sns refuses", nb, 1, true, held("open"), nil, 0},
		{"open, retried", nb, 0, false, done("opened"), []string{"opened"}, 1},
		{"duplicate event", with(nb, func(f *finding.Finding) { f.EventID = "event-2" }), 0, false,
			[]string{"securityhub=skipped unchanged", "opscenter=skipped unchanged", "sns=skipped no ticket changed"}, nil, 0},
		{"update, sns refuses", changed, 1, true, held("update"), nil, 0},
		{"update, retried", changed, 0, false, done("updated"), []string{"updated"}, 1},
		{"resolve, sns refuses", fixed, 1, true, held("resolve"), nil, 0},
		{"resolve, retried", fixed, 0, false, done("resolved"), []string{"resolved"}, 1},
		{"resolve, duplicate", fixed, 0, false,
			[]string{"securityhub=skipped already resolved", "opscenter=skipped no open opsitem to resolve", "sns=skipped no ticket changed"}, nil, 0},
	}
	var all []string
	for _, st := range steps {
		r.pub.fail = failing(st.snsFails, "AuthorizationError")
		imports := r.hub.imports
		f := st.f
		err := tickets.Sync(context.Background(), &f)
		if (err != nil) != st.wantErr || st.wantErr && !strings.Contains(err.Error(), "ticket sns: ") {
			t.Errorf("%s: Sync = %v; want error %v (from sns)", st.name, err, st.wantErr)
		}
		if got := short(t, f, "AuthorizationError"); !slices.Equal(got, st.want) {
			t.Errorf("%s: actions = %q; want %q", st.name, got, st.want)
		}
		got := changes(r.env)
		if !slices.Equal(got, st.wantChanges) {
			t.Errorf("%s: sns messages = %q; want %q", st.name, got, st.wantChanges)
		}
		all = append(all, got...)
		if n := r.hub.imports - imports; n != st.wantImports {
			t.Errorf("%s: security hub imports = %d; want %d", st.name, n, st.wantImports)
		}
		if ops, _ := r.ops.Ops(); st.wantErr && slices.ContainsFunc(ops, func(op string) bool { return op != "DescribeOpsItems" }) {
			t.Errorf("%s: opscenter ops = %v; want only the read while the announcement fails", st.name, ops)
		}
	}
	if want := []string{"opened", "updated", "resolved"}; !slices.Equal(all, want) {
		t.Errorf("every sns message = %q; want each change once: %q", all, want)
	}
	if n := len(hubFindings(t, r.hub)); n != 1 {
		t.Errorf("security hub findings = %d; want 1", n)
	}
	if items := r.ops.Items(); len(items) != 1 || items[0].Status != "Resolved" {
		t.Errorf("opsitems = %d (first %+v); want 1, resolved", len(items), items)
	}
}

// TestTicketsSNSFailingAlways: while SNS refuses every call, every
// invocation returns the error (Lambda retries twice, then the event goes
// to the dead-letter queue): never an acknowledged "unchanged". Security Hub
// and OpsCenter are held back, loudly, not written. Redriven once SNS is
// back, the event is announced once and written; its duplicate is not
// announced. Each invocation reads each stateful sink once: planning before
// the announcement costs no extra call.
func TestTicketsSNSFailingAlways(t *testing.T) {
	r := newRig(t)
	tickets := NewTickets(false, r.sh, r.oc, r.sns)
	nb := notebookFinding("nb1", "DirectInternetAccess is Enabled.")
	r.pub.fail = failing(-1, "AuthorizationError")
	for attempt := range 3 { // Lambda's invocation and its two retries
		f, gets, publishes := nb, r.hub.gets, r.pub.attempts
		err := tickets.Sync(context.Background(), &f)
		if err == nil || !strings.Contains(err.Error(), "AuthorizationError") {
			t.Errorf("invocation %d: Sync = %v; want the sns error", attempt+1, err)
		}
		if got, want := short(t, f, "AuthorizationError"), []string{"securityhub=failed held back: would open", "opscenter=failed held back: would open", "sns=failed"}; !slices.Equal(got, want) {
			t.Errorf("invocation %d: actions = %q; want %q", attempt+1, got, want)
		}
		if r.hub.gets-gets != 1 || r.pub.attempts-publishes != 1 {
			t.Errorf("invocation %d: %d security hub reads, %d publishes; want 1, 1", attempt+1, r.hub.gets-gets, r.pub.attempts-publishes)
		}
		if ops, _ := r.ops.Ops(); !slices.Equal(ops, []string{"DescribeOpsItems"}) {
			t.Errorf("invocation %d: opscenter ops = %v; want the read alone", attempt+1, ops)
		}
	}
	if r.hub.imports != 0 || len(hubFindings(t, r.hub)) != 0 {
		t.Errorf("security hub imports = %d; want none while the announcement fails", r.hub.imports)
	}
	if got := changes(r.env); len(got) != 0 {
		t.Errorf("sns messages = %q; want none", got)
	}

	r.pub.fail = flaky{}
	for i, want := range [][]string{
		{"securityhub=done opened", "opscenter=done opened", "sns=done opened"},                           // the redrive
		{"securityhub=skipped unchanged", "opscenter=skipped unchanged", "sns=skipped no ticket changed"}, // a duplicate
	} {
		f, gets := nb, r.hub.gets
		if err := tickets.Sync(context.Background(), &f); err != nil {
			t.Fatalf("after sns recovered, sync %d: %v", i+1, err)
		}
		if got := short(t, f, ""); !slices.Equal(got, want) {
			t.Errorf("after sns recovered, sync %d: actions = %q; want %q", i+1, got, want)
		}
		if r.hub.gets-gets != 1 {
			t.Errorf("after sns recovered, sync %d: %d security hub reads; want 1", i+1, r.hub.gets-gets)
		}
	}
	if got := changes(r.env); !slices.Equal(got, []string{"opened"}) {
		t.Errorf("sns messages = %q; want one opened", got)
	}
	if r.hub.imports != 1 || len(hubFindings(t, r.hub)) != 1 {
		t.Errorf("security hub imports = %d, findings %d; want 1, 1", r.hub.imports, len(hubFindings(t, r.hub)))
	}
	if ops, _ := r.ops.Ops(); !slices.Equal(ops, []string{"DescribeOpsItems", "CreateOpsItem", "DescribeOpsItems"}) {
		t.Errorf("opscenter ops = %v; want one OpsItem created", ops)
	}
}

// TestTicketsDuplicateEventsHealthy: the same event delivered three times
// with every sink healthy opens one finding and pages once.
func TestTicketsDuplicateEventsHealthy(t *testing.T) {
	r := newRig(t)
	tickets := NewTickets(false, r.sh, r.oc, r.sns)
	for range 3 {
		f := notebookFinding("nb1", "bad")
		if err := tickets.Sync(context.Background(), &f); err != nil {
			t.Fatal(err)
		}
	}
	if got := changes(r.env); !slices.Equal(got, []string{"opened"}) {
		t.Errorf("sns messages = %q; want one opened", got)
	}
	if r.hub.imports != 1 || r.pub.attempts != 1 {
		t.Errorf("security hub imports = %d, publishes %d; want 1, 1", r.hub.imports, r.pub.attempts)
	}
}

// TestTicketsSecurityHubFailing: Security Hub failing never costs a
// notification, and may repeat one. Its import failing after SNS announced
// the change returns the error, and every retry announces the change again
// until Security Hub takes it (OpsCenter, which took it at once, is not
// written twice). Its read failing leaves OpsCenter's plan to decide; with
// Security Hub the only stateful sink, SNS publishes as it would alone.
func TestTicketsSecurityHubFailing(t *testing.T) {
	nb := notebookFinding("nb1", "bad")
	tests := []struct {
		name     string
		opscntr  bool
		fail     func(*countingHub)
		want     [][]string // actions of the 3 failing invocations, then of the one after Security Hub recovered
		wantMsgs []string
	}{
		{"import fails", true, func(h *countingHub) { h.failImport = failing(-1, "InternalServerError") },
			[][]string{
				{"securityhub=failed", "opscenter=done opened", "sns=done opened"},
				{"securityhub=failed", "opscenter=skipped unchanged", "sns=done opened"},
				{"securityhub=failed", "opscenter=skipped unchanged", "sns=done opened"},
				{"securityhub=done opened", "opscenter=skipped unchanged", "sns=done opened"},
			}, []string{"opened", "opened", "opened", "opened"}},
		{"read fails, opscenter decides", true, func(h *countingHub) { h.failGets = failing(-1, "InternalServerError") },
			[][]string{
				{"securityhub=failed", "opscenter=done opened", "sns=done opened"},
				{"securityhub=failed", "opscenter=skipped unchanged", "sns=skipped no ticket changed"},
				{"securityhub=failed", "opscenter=skipped unchanged", "sns=skipped no ticket changed"},
				{"securityhub=done opened", "opscenter=skipped unchanged", "sns=done opened"},
			}, []string{"opened", "opened"}},
		{"read fails, security hub alone", false, func(h *countingHub) { h.failGets = failing(-1, "InternalServerError") },
			[][]string{
				{"securityhub=failed", "sns=done opened"},
				{"securityhub=failed", "sns=done opened"},
				{"securityhub=failed", "sns=done opened"},
				{"securityhub=done opened", "sns=done opened"},
			}, []string{"opened", "opened", "opened", "opened"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			sinks := []Sink{r.sh, r.oc, r.sns}
			if !tt.opscntr {
				sinks = []Sink{r.sh, r.sns}
			}
			tickets := NewTickets(false, sinks...)
			tt.fail(r.hub)
			for i, want := range tt.want {
				if i == 3 {
					r.hub.failGets, r.hub.failImport = flaky{}, flaky{}
				}
				f := nb
				err := tickets.Sync(context.Background(), &f)
				if failed := i < 3; (err != nil) != failed || failed && !strings.Contains(err.Error(), "ticket securityhub: ") {
					t.Errorf("invocation %d: Sync = %v; want the security hub error: %v", i+1, err, failed)
				}
				got := short(t, f, "")
				for j := range got {
					if strings.HasPrefix(got[j], "securityhub=failed") {
						got[j] = "securityhub=failed"
					}
				}
				if !slices.Equal(got, want) {
					t.Errorf("invocation %d: actions = %q; want %q", i+1, got, want)
				}
			}
			if got := changes(r.env); !slices.Equal(got, tt.wantMsgs) {
				t.Errorf("sns messages = %q; want %q", got, tt.wantMsgs)
			}
			if n := len(hubFindings(t, r.hub)); n != 1 {
				t.Errorf("security hub findings = %d; want 1 once it recovered", n)
			}
		})
	}
}

// TestTicketsDryRunWalksThePlan: a dry run reads each stateful sink once,
// as a real sync does, and neither publishes nor writes; with SNS refusing
// (which a dry run never asks), it is the same.
func TestTicketsDryRunWalksThePlan(t *testing.T) {
	r := newRig(t)
	r.pub.fail = failing(-1, "AuthorizationError")
	f := notebookFinding("nb1", "bad")
	if err := NewTickets(true, r.sh, r.oc, r.sns).Sync(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
	got := short(t, f, "")
	for i := range got {
		got[i], _, _ = strings.Cut(got[i], " (subject ")
	}
	if want := []string{"securityhub=dry-run would open", "opscenter=dry-run would open", "sns=dry-run would open"}; !slices.Equal(got, want) {
		t.Errorf("actions = %q; want %q", got, want)
	}
	if r.hub.gets != 1 || r.hub.imports != 0 || r.pub.attempts != 0 {
		t.Errorf("security hub reads %d, imports %d, publishes %d; want 1, 0, 0", r.hub.gets, r.hub.imports, r.pub.attempts)
	}
	if ops, _ := r.ops.Ops(); !slices.Equal(ops, []string{"DescribeOpsItems"}) {
		t.Errorf("opscenter ops = %v; want the read alone", ops)
	}
}
