package ticket

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// TestSNS publishes on moto and reads what an SQS subscriber of the topic
// received, envelope and all.
func TestSNS(t *testing.T) {
	nb := notebookFinding("nb1", "DirectInternetAccess is Enabled.")
	tests := []struct {
		name        string
		f           finding.Finding
		announce    ChangeKind // "" calls Sync, as when SNS is the only sink
		dryRun      bool
		want        ChangeKind
		wantSubject string // "" when no message may arrive
		wantChange  string
	}{
		{name: "non-compliant alone publishes", f: nb, want: Opened,
			wantSubject: "[vpcguard] NON_COMPLIANT sagemaker-notebook-no-direct-internet-access: nb1 (123456789012 us-east-1)", wantChange: "opened"},
		{name: "compliant alone publishes nothing", f: with(nb, status(finding.Compliant, "ok")), want: Unchanged},
		{name: "not applicable alone publishes nothing", f: with(nb, status(finding.NotApplicable, "exempt")), want: Unchanged},
		{name: "insufficient data publishes nothing", f: with(nb, status(finding.InsufficientData, "?")), want: Unchanged},
		{name: "dry run publishes nothing", f: nb, dryRun: true, want: Opened},
		{name: "announce unchanged publishes nothing", f: nb, announce: Unchanged, want: Unchanged},
		{name: "announce resolved", f: with(nb, status(finding.Compliant, "notebook deleted")), announce: Resolved, want: Resolved,
			wantSubject: "[vpcguard] RESOLVED sagemaker-notebook-no-direct-internet-access: nb1 (123456789012 us-east-1)", wantChange: "resolved"},
		{name: "announce updated", f: nb, announce: Updated, want: Updated,
			wantSubject: "[vpcguard] UPDATED sagemaker-notebook-no-direct-internet-access: nb1 (123456789012 us-east-1)", wantChange: "updated"},
		// moto refuses a subject over 100 characters, as SNS does.
		{name: "long name keeps the subject within 100", f: with(nb, func(f *finding.Finding) { f.ResourceName = strings.Repeat("n", 63) + "é" }), want: Opened,
			wantSubject: "[vpcguard] NON_COMPLIANT sagemaker-notebook-no-direct-internet-access: nnnnnnnnnnnnnnnnnnnnnnnnnn...", wantChange: "opened"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := testenv.New(t, testenv.Seed(testenv.Topic))
			cfg, topic := e.Config, e.TopicARN
			sink := NewSNS(sns.NewFromConfig(cfg), topic)
			var c Change
			var err error
			if tt.announce == "" {
				c, err = sink.Sync(context.Background(), tt.f, tt.dryRun)
			} else {
				c, err = sink.Announce(context.Background(), tt.f, tt.announce, tt.dryRun)
			}
			if err != nil {
				t.Fatalf("publish: %v", err)
			}
			if c.Kind != tt.want || c.Ticket != topic {
				t.Errorf("change = %s %s; want %s %s", c.Kind, c.Ticket, tt.want, topic)
			}
			got := e.Inbox()
			if tt.wantSubject == "" {
				if len(got) != 0 {
					t.Fatalf("messages = %d (%q); want none", len(got), got[0].Subject)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("messages = %d; want 1", len(got))
			}
			n := got[0]
			wantEq(t, "Subject", n.Subject, tt.wantSubject)
			for name, want := range map[string]string{
				"rule": tt.f.Rule, "severity": "HIGH", "account": testenv.Account, "region": region,
				"status": string(tt.f.Status), "change": tt.wantChange,
			} {
				a := n.MessageAttributes[name]
				if a.Type != "String" || a.Value != want {
					t.Errorf("attribute %s = %s %q; want String %q", name, a.Type, a.Value, want)
				}
			}
			readablePart, _, _ := strings.Cut(n.Message, jsonMarker)
			for _, want := range []string{"What:", "Where:", tt.f.ResourceID, "Why:", tt.f.Reason, "Done:", "stop-notebook"} {
				if !strings.Contains(readablePart, want) {
					t.Errorf("readable part lacks %q:\n%s", want, readablePart)
				}
			}
			if hasHint := strings.Contains(readablePart, `tag it with "vpcguard:exempt"`); hasHint != (tt.wantChange != "resolved") {
				t.Errorf("exempt hint shown = %v; want %v", hasHint, tt.wantChange != "resolved")
			}
			back, err := FindingFromMessage(n.Message)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.f) {
				t.Errorf("finding from message = %+v; want %+v", back, tt.f)
			}
		})
	}
}

func TestSubjectFitsSNS(t *testing.T) {
	tests := []finding.Finding{
		notebookFinding("nb1", "x"),
		notebookFinding(strings.Repeat("long-name-", 30), "x"),
		notebookFinding("name\nwith\tcontrol and ünïcode", "x"),
	}
	for _, f := range tests {
		for _, k := range []ChangeKind{Opened, Updated, Resolved} {
			s := subject(f, k)
			if len(s) > 100 {
				t.Errorf("len(subject) = %d; want <= 100: %q", len(s), s)
			}
			for _, r := range s {
				if r < 0x20 || r > 0x7e {
					t.Errorf("subject has %q; want printable ASCII only: %q", r, s)
				}
			}
		}
	}
}
