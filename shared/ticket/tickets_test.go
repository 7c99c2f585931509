package ticket

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// rig is every sink wired as in production: Security Hub and SNS (with an
// SQS subscriber) on moto, OpsCenter on testenv.OpsCenter since moto lacks it.
type rig struct {
	hub  *countingHub
	ops  *testenv.OpsCenter
	pub  *flakySNS
	env  *testenv.Env // the inbox: what SNS delivered
	sh   *SecurityHub
	oc   *OpsCenter
	sns  *SNS
	topc string
}

func newRig(t *testing.T) *rig {
	e := testenv.New(t, testenv.Seed(testenv.Topic))
	cfg := e.Config
	r := &rig{hub: &countingHub{securityHubAPI: securityhub.NewFromConfig(cfg)}, ops: testenv.NewOpsCenter(t)}
	r.topc, r.env = e.TopicARN, e
	r.sh = NewSecurityHub(r.hub)
	r.sh.Now = tickingClock()
	r.oc = NewOpsCenter(r.ops.Client())
	r.pub = &flakySNS{snsAPI: sns.NewFromConfig(cfg)}
	r.sns = NewSNS(r.pub, r.topc)
	return r
}

// outcomes reads the ticket actions Sync recorded, as "sink=outcome detail".
func outcomes(f finding.Finding) []string {
	var out []string
	for _, a := range f.Actions {
		if sink, ok := strings.CutPrefix(a.Type, "ticket:"); ok {
			out = append(out, sink+"="+string(a.Outcome)+" "+a.Detail)
		}
	}
	return out
}

func TestTicketsLifecycle(t *testing.T) {
	r := newRig(t)
	tickets := NewTickets(false, r.sh, r.oc, r.sns)
	nb := notebookFinding("nb1", "DirectInternetAccess is Enabled.")

	steps := []struct {
		name        string
		f           finding.Finding
		want        []string
		wantChanges []string // the change attribute of each SNS message received
	}{
		{"open", nb, []string{"securityhub=done opened", "opscenter=done opened", "sns=done opened"}, []string{"opened"}},
		{"duplicate event", with(nb, func(f *finding.Finding) { f.EventID = "event-2" }),
			[]string{"securityhub=skipped unchanged", "opscenter=skipped unchanged", "sns=skipped no ticket changed"}, nil},
		{"changed reason", with(nb, func(f *finding.Finding) { f.Reason = "DirectInternetAccess omitted." }),
			[]string{"securityhub=done updated", "opscenter=done updated", "sns=done updated"}, []string{"updated"}},
		{"insufficient data", with(nb, status(finding.InsufficientData, "?")),
			[]string{"securityhub=skipped status INSUFFICIENT_DATA: nothing to do", "opscenter=skipped status INSUFFICIENT_DATA: nothing to do", "sns=skipped no ticket changed"}, nil},
		{"compliant", with(nb, status(finding.Compliant, "notebook deleted")),
			[]string{"securityhub=done resolved", "opscenter=done resolved", "sns=done resolved"}, []string{"resolved"}},
		{"compliant again", with(nb, status(finding.Compliant, "notebook deleted")),
			[]string{"securityhub=skipped already resolved", "opscenter=skipped no open opsitem to resolve", "sns=skipped no ticket changed"}, nil},
	}
	for _, st := range steps {
		f := st.f
		if err := tickets.Sync(context.Background(), &f); err != nil {
			t.Fatalf("%s: Sync: %v", st.name, err)
		}
		got := outcomes(f)
		for i := range got { // SNS's detail carries the message id; compare its start
			if strings.HasPrefix(got[i], "sns=done") {
				got[i], _, _ = strings.Cut(got[i], " (message ")
			}
		}
		if !slices.Equal(got, st.want) {
			t.Errorf("%s: actions = %q; want %q", st.name, got, st.want)
		}
		var changes []string
		for _, n := range r.env.Inbox() {
			changes = append(changes, n.MessageAttributes["change"].Value)
		}
		if !slices.Equal(changes, st.wantChanges) {
			t.Errorf("%s: sns messages = %q; want %q", st.name, changes, st.wantChanges)
		}
	}
}

func TestTicketsTargets(t *testing.T) {
	r := newRig(t)
	f := notebookFinding("nb1", "bad")
	f.Actions = nil
	if err := NewTickets(false, r.sh, r.oc, r.sns).Sync(context.Background(), &f); err != nil {
		t.Fatal(err)
	}
	items := r.ops.Items()
	want := []finding.Action{
		{Type: "ticket:securityhub", Target: TicketID(f), Outcome: finding.Done, Detail: "opened"},
		{Type: "ticket:opscenter", Target: items[0].ID, Outcome: finding.Done, Detail: "opened"},
	}
	if !slices.Equal(f.Actions[:2], want) {
		t.Errorf("actions = %+v; want %+v", f.Actions[:2], want)
	}
	if a := f.Actions[2]; a.Type != "ticket:sns" || a.Target != r.topc || a.Outcome != finding.Done {
		t.Errorf("sns action = %+v; want done on %s", a, r.topc)
	}
}

func TestTicketsDryRunWritesNothing(t *testing.T) {
	tests := []struct {
		name string
		f    finding.Finding
		want []string
	}{
		{"non-compliant", notebookFinding("nb1", "bad"),
			[]string{"securityhub=dry-run would open", "opscenter=dry-run would open", `sns=dry-run would open`}},
		{"compliant with nothing open", with(notebookFinding("nb1", "bad"), status(finding.Compliant, "ok")),
			[]string{"securityhub=skipped no finding to resolve", "opscenter=skipped no open opsitem to resolve", "sns=skipped no ticket changed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			f := tt.f
			if err := NewTickets(true, r.sh, r.oc, r.sns).Sync(context.Background(), &f); err != nil {
				t.Fatal(err)
			}
			got := outcomes(f)
			for i := range got { // SNS's dry-run detail carries the subject it would use
				got[i], _, _ = strings.Cut(got[i], " (subject ")
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("actions = %q; want %q", got, tt.want)
			}
			if r.hub.imports != 0 || len(hubFindings(t, r.hub)) != 0 {
				t.Errorf("security hub imports = %d; want none", r.hub.imports)
			}
			if ops, _ := r.ops.Ops(); slices.ContainsFunc(ops, func(op string) bool { return op != "DescribeOpsItems" }) {
				t.Errorf("opscenter ops = %v; want reads only", ops)
			}
			if n := r.env.Inbox(); len(n) != 0 {
				t.Errorf("sns messages = %d; want none", len(n))
			}
		})
	}
}

func TestTicketsFailingSinkDoesNotStopOthers(t *testing.T) {
	tests := []struct {
		name     string
		failOp   string
		want     []string
		wantMsgs int
	}{
		// Security Hub opened, so SNS announces even though OpsCenter failed.
		{"opscenter create fails", "CreateOpsItem",
			[]string{"securityhub=done opened", "opscenter=failed", "sns=done opened"}, 1},
		{"opscenter read fails", "DescribeOpsItems",
			[]string{"securityhub=done opened", "opscenter=failed", "sns=done opened"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			r.ops.Fail(tt.failOp, "InternalServerError")
			f := notebookFinding("nb1", "bad")
			err := NewTickets(false, r.sh, r.oc, r.sns).Sync(context.Background(), &f)
			if err == nil || !strings.Contains(err.Error(), "ticket opscenter: ") || !strings.Contains(err.Error(), "InternalServerError") {
				t.Errorf("error = %v; want the opscenter failure returned", err)
			}
			got := outcomes(f)
			for i := range got {
				got[i], _, _ = strings.Cut(got[i], " (message ")
				if strings.HasPrefix(got[i], "opscenter=failed") {
					if !strings.Contains(got[i], "InternalServerError") {
						t.Errorf("failed action detail = %q; want the error", got[i])
					}
					got[i] = "opscenter=failed"
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("actions = %q; want %q", got, tt.want)
			}
			if n := len(hubFindings(t, r.hub)); n != 1 {
				t.Errorf("security hub findings = %d; want 1", n)
			}
			if n := len(r.env.Inbox()); n != tt.wantMsgs {
				t.Errorf("sns messages = %d; want %d", n, tt.wantMsgs)
			}
		})
	}
}

func TestTicketsSNSWithoutMemory(t *testing.T) {
	// OpsCenter is the only stateful sink and every read fails: SNS cannot
	// know whether the ticket is new, so it publishes rather than stay silent.
	t.Run("every stateful sink failed", func(t *testing.T) {
		r := newRig(t)
		r.ops.Fail("DescribeOpsItems", "InternalServerError")
		f := notebookFinding("nb1", "bad")
		err := NewTickets(false, r.oc, r.sns).Sync(context.Background(), &f)
		if err == nil {
			t.Error("Sync = nil; want the opscenter error")
		}
		if n := len(r.env.Inbox()); n != 1 {
			t.Errorf("sns messages = %d; want 1", n)
		}
	})
	// SNS alone publishes every NON_COMPLIANT finding, duplicates included,
	// and never a resolution.
	t.Run("sns alone", func(t *testing.T) {
		r := newRig(t)
		tickets := NewTickets(false, r.sns)
		nb := notebookFinding("nb1", "bad")
		for _, f := range []finding.Finding{nb, nb, with(nb, status(finding.Compliant, "ok"))} {
			if err := tickets.Sync(context.Background(), &f); err != nil {
				t.Fatal(err)
			}
		}
		var statuses []string
		for _, n := range r.env.Inbox() {
			statuses = append(statuses, n.MessageAttributes["status"].Value)
		}
		if want := []string{"NON_COMPLIANT", "NON_COMPLIANT"}; !slices.Equal(statuses, want) {
			t.Errorf("sns messages = %q; want %q", statuses, want)
		}
	})
}

func TestTicketsNilFinding(t *testing.T) {
	if err := NewTickets(false).Sync(context.Background(), nil); err == nil {
		t.Error("Sync(nil) = nil; want an error")
	}
}
