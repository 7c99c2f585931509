package guard_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/mode"
)

const (
	notebookARN = "arn:aws:sagemaker:us-east-1:" + acct + ":notebook-instance/research-open"
	modelARN    = "arn:aws:sagemaker:us-east-1:" + acct + ":model/churn-xgb-public"
)

// TestModes runs one non-compliant notebook event through each mode and
// checks AWS afterwards: what changed, which tickets exist, what was sent.
func TestModes(t *testing.T) {
	tests := []struct {
		mode    mode.Mode
		dryRun  bool
		tickets bool // a Security Hub finding and an SNS message exist
		fixed   bool // the notebook is stopped, tagged, its caller guarded
		writes  bool // any write request was sent
	}{
		{mode: mode.Report},
		{mode: mode.Ticket, tickets: true, writes: true},
		{mode: mode.Enforce, tickets: true, fixed: true, writes: true},
		{mode: mode.Enforce, dryRun: true},
	}
	for _, tt := range tests {
		name := string(tt.mode)
		if tt.dryRun {
			name += " dry-run"
		}
		t.Run(name, func(t *testing.T) {
			e := testenv.New(t)
			e.Notebook("research-open", smtypes.DirectInternetAccessEnabled, true)
			c := e.GuardConfig(tt.mode)
			c.DryRun = tt.dryRun
			resp, err := handle(t, guards.Handler(c, e.Config, firstRules...), testenv.Sample(t, "notebook-create-internet-enabled.json"))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			f := only(t, resp)
			if f.Status != finding.NonCompliant {
				t.Errorf("Status = %s; want NON_COMPLIANT", f.Status)
			}

			if got := len(e.HubFindings()); (got == 1) != tt.tickets || got > 1 {
				t.Errorf("Security Hub findings = %d; want %d", got, b2i(tt.tickets))
			}
			if got := testenv.Subjects(e.Inbox()); len(got) != b2i(tt.tickets) {
				t.Errorf("SNS messages = %d %q; want %d", len(got), got, b2i(tt.tickets))
			}
			wantStatus := "InService"
			if tt.fixed {
				wantStatus = "Stopped"
			}
			if got := e.NotebookStatus("research-open"); got != wantStatus {
				t.Errorf("notebook status = %s; want %s", got, wantStatus)
			}
			if got := e.RolePolicies("DataScientist"); slices.Contains(got, e.Guardrail) != tt.fixed {
				t.Errorf("DataScientist policies = %v; want guardrail attached = %v", got, tt.fixed)
			}
			if _, tagged := e.SageMakerTags(notebookARN)["vpcguard:finding"]; tagged != tt.fixed {
				t.Errorf("notebook tagged vpcguard:finding = %v; want %v", tagged, tt.fixed)
			}
			if got := e.Recorder.WriteCounts(); (len(got) > 0) != tt.writes {
				t.Errorf("write requests = %v; want any = %v", got, tt.writes)
			}

			switch {
			case tt.mode == mode.Report:
				if len(f.Actions) != 0 {
					t.Errorf("actions = %+v; want none in report mode", f.Actions)
				}
			case tt.mode == mode.Ticket:
				for _, a := range f.Actions {
					if !strings.HasPrefix(a.Type, "ticket:") {
						t.Errorf("action %s in ticket mode; want only ticket actions", a.Type)
					}
				}
			case tt.dryRun:
				for _, typ := range []string{"attach-guardrail", "stop-notebook", "tag", "ticket:securityhub", "ticket:sns"} {
					a, ok := actionOf(f, typ)
					if !ok || a.Outcome != finding.DryRun || !strings.HasPrefix(a.Detail, "would ") {
						t.Errorf("%s = %+v (recorded %v); want a dry-run action saying what it would do", typ, a, ok)
					}
				}
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestDryRunWalksTheEnforcePath runs the same events in dry-run and then in
// enforce on the same moto state (dry-run changed nothing, so the state is
// the same): the actions must be the same, in the same order, on the same
// targets, with dry-run where enforce says done.
func TestDryRunWalksTheEnforcePath(t *testing.T) {
	e := testenv.New(t)
	e.Model("churn-xgb-public", false, nil)
	e.Notebook("research-open", smtypes.DirectInternetAccessEnabled, true)
	id := e.Endpoint(apiService, aws.Bool(false))
	events := [][]byte{
		testenv.Sample(t, "model-create-no-vpc.json"),
		testenv.Sample(t, "notebook-create-internet-enabled.json"),
		testenv.Sample(t, "endpoint-create-api-private-dns-off.json", "vpce-0a1b2c3d4e5f60001", id),
	}
	run := func(dryRun bool) []finding.Finding {
		c := e.GuardConfig(mode.Enforce)
		c.DryRun = dryRun
		h := guards.Handler(c, e.Config, firstRules...)
		var out []finding.Finding
		for _, ev := range events {
			resp, err := handle(t, h, ev)
			if err != nil {
				t.Fatalf("Handle (dry run %v): %v", dryRun, err)
			}
			out = append(out, only(t, resp))
		}
		return out
	}

	dry := run(true)
	if got := e.Recorder.WriteCounts(); len(got) != 0 {
		t.Fatalf("dry run sent write requests %v; want none", got)
	}
	if n := len(e.HubFindings()); n != 0 {
		t.Errorf("dry run: Security Hub findings = %d; want 0", n)
	}
	if got := testenv.Subjects(e.Inbox()); len(got) != 0 {
		t.Errorf("dry run: SNS messages = %q; want none", got)
	}
	if got := e.NotebookStatus("research-open"); got != "InService" {
		t.Errorf("dry run: notebook status = %s; want InService", got)
	}
	enforced := run(false)

	for i := range dry {
		d, en := dry[i].Actions, enforced[i].Actions
		if len(d) == 0 || len(d) != len(en) {
			t.Errorf("%s: dry run %d actions, enforce %d; want the same, at least one\ndry:     %+v\nenforce: %+v", dry[i].ResourceName, len(d), len(en), d, en)
			continue
		}
		for j := range d {
			if d[j].Type != en[j].Type || d[j].Target != en[j].Target {
				t.Errorf("%s action %d: dry run %s on %s, enforce %s on %s; want the same", dry[i].ResourceName, j, d[j].Type, d[j].Target, en[j].Type, en[j].Target)
			}
			if d[j].Outcome != finding.DryRun || en[j].Outcome != finding.Done {
				t.Errorf("%s action %s: outcomes dry run %s, enforce %s (%s); want dry-run and done", dry[i].ResourceName, d[j].Type, d[j].Outcome, en[j].Outcome, en[j].Detail)
			}
		}
	}
	if mods := e.Recorder.Inputs("ModifyVpcEndpoint"); len(mods) != 1 || !aws.ToBool(mods[0].(*ec2.ModifyVpcEndpointInput).PrivateDnsEnabled) {
		t.Errorf("ModifyVpcEndpoint requests = %d; want 1 with PrivateDnsEnabled=true", len(mods))
	}
}

// TestDuplicateDelivery: EventBridge delivers at least once. Three
// deliveries of one event give one ticket, one message, one attachment and
// one stop; the later deliveries say why they did nothing.
func TestDuplicateDelivery(t *testing.T) {
	e := testenv.New(t)
	e.Notebook("research-open", smtypes.DirectInternetAccessEnabled, true)
	h := guards.Handler(e.GuardConfig(mode.Enforce), e.Config, firstRules...)
	ev := testenv.Sample(t, "notebook-create-internet-enabled.json")
	for i := 1; i <= 3; i++ {
		resp, err := handle(t, h, ev)
		if err != nil {
			t.Fatalf("delivery %d: Handle: %v", i, err)
		}
		f := only(t, resp)
		want := finding.Done
		if i > 1 {
			want = finding.Skipped
		}
		for _, typ := range []string{"attach-guardrail", "stop-notebook", "tag", "ticket:securityhub", "ticket:sns"} {
			if a, ok := actionOf(f, typ); !ok || a.Outcome != want {
				t.Errorf("delivery %d: %s = %s %q; want %s", i, typ, a.Outcome, a.Detail, want)
			}
		}
	}
	if n := len(e.HubFindings()); n != 1 {
		t.Errorf("Security Hub findings = %d; want 1", n)
	}
	if got := testenv.Subjects(e.Inbox()); len(got) != 1 {
		t.Errorf("SNS messages = %d %q; want 1", len(got), got)
	}
	if got := e.RolePolicies("DataScientist"); len(got) != 1 || got[0] != e.Guardrail {
		t.Errorf("DataScientist policies = %v; want exactly [%s]", got, e.Guardrail)
	}
	wantCalls := map[string]int{"AttachRolePolicy": 1, "StopNotebookInstance": 1, "AddTags": 1, "BatchImportFindings": 1, "Publish": 1}
	if got := e.Recorder.WriteCounts(); fmt.Sprint(got) != fmt.Sprint(wantCalls) {
		t.Errorf("write requests = %v; want %v", got, wantCalls)
	}
}

// TestOwnRemediationEventsDoNothing: the events vpcguard's own writes cause
// come back through EventBridge. They must not start a loop.
func TestOwnRemediationEventsDoNothing(t *testing.T) {
	e := testenv.New(t)
	h := guards.Handler(e.GuardConfig(mode.Enforce), e.Config, firstRules...)

	t.Run("ModifyVpcEndpoint turning private DNS on is compliant", func(t *testing.T) {
		// The endpoint's state is what vpcguard's remediation leaves behind:
		// private DNS on (moto would ignore the ModifyVpcEndpoint itself).
		id := e.Endpoint(apiService, aws.Bool(true))
		e.Recorder.Reset()
		ev := testenv.Sample(t, "endpoint-modify-private-dns-off.json",
			"vpce-0a1b2c3d4e5f60002", id,
			`"PrivateDnsEnabled": false`, `"PrivateDnsEnabled": true`,
			"assumed-role/NetworkAdmin/erin", "assumed-role/vpcguard-endpoint-guard/vpcguard",
			"role/NetworkAdmin", "role/vpcguard-endpoint-guard")
		resp, err := handle(t, h, ev)
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
		f := only(t, resp)
		if f.Status != finding.Compliant {
			t.Errorf("Status = %s (%s); want COMPLIANT", f.Status, f.Reason)
		}
		for _, a := range f.Actions {
			if a.Outcome != finding.Skipped {
				t.Errorf("action %s = %s %q; want nothing done", a.Type, a.Outcome, a.Detail)
			}
		}
		if got := e.Recorder.WriteCounts(); len(got) != 0 {
			t.Errorf("write requests = %v; want none", got)
		}
	})

	own := []struct{ source, name, params string }{
		{"sagemaker", "AddTags", `{"resourceArn": "` + notebookARN + `", "tags": [{"key": "vpcguard:finding", "value": "sagemaker-notebook-no-direct-internet-access"}]}`},
		{"sagemaker", "StopNotebookInstance", `{"notebookInstanceName": "research-open"}`},
		{"ec2", "CreateTags", `{"resourcesSet": {"items": [{"resourceId": "vpce-0a1b2c3d4e5f60001"}]}, "tagSet": {"items": [{"key": "vpcguard:finding", "value": "sagemaker-vpc-endpoint-private-dns"}]}}`},
		{"iam", "AttachRolePolicy", `{"roleName": "DataScientist", "policyArn": "arn:aws:iam::123456789012:policy/vpcguard-guardrail"}`},
	}
	for _, o := range own {
		t.Run(o.name+" is not evaluated", func(t *testing.T) {
			e.Recorder.Reset()
			resp, err := handle(t, h, ownEvent(o.source, o.name, o.params))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if len(resp.Findings) != 0 {
				t.Errorf("findings = %+v; want none", resp.Findings)
			}
			if len(resp.Skipped) != 1 || resp.Skipped[0].EventName != o.name || !strings.Contains(resp.Skipped[0].Reason, "not an event this guard evaluates") {
				t.Errorf("skipped = %+v; want %s skipped as not evaluated", resp.Skipped, o.name)
			}
			if e.Recorder.Mark() != 0 {
				t.Errorf("AWS requests = %d; want none for an event that is not evaluated", e.Recorder.Mark())
			}
		})
	}
}

// ownEvent is an EventBridge CloudTrail event for a call vpcguard's own
// Lambda role makes while remediating.
func ownEvent(service, name, params string) []byte {
	return []byte(fmt.Sprintf(`{
  "version": "0", "id": "own-%[2]s", "detail-type": "AWS API Call via CloudTrail", "source": "aws.%[1]s",
  "account": "123456789012", "time": "2026-11-22T10:00:00Z", "region": "us-east-1", "resources": [],
  "detail": {
    "eventVersion": "1.09",
    "userIdentity": {"type": "AssumedRole", "principalId": "AROAVPCGUARD:vpcguard",
      "arn": "arn:aws:sts::123456789012:assumed-role/vpcguard-guard/vpcguard", "accountId": "123456789012",
      "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAVPCGUARD",
        "arn": "arn:aws:iam::123456789012:role/vpcguard-guard", "accountId": "123456789012", "userName": "vpcguard-guard"}}},
    "eventTime": "2026-11-22T10:00:00Z", "eventSource": "%[1]s.amazonaws.com", "eventName": "%[2]s",
    "awsRegion": "us-east-1", "requestParameters": %[3]s, "responseElements": null,
    "eventID": "own-%[2]s-event", "recipientAccountId": "123456789012", "errorCode": null
  }
}`, service, name, params))
}

// TestTicketsResolveWhenFixed: once the resource is gone, the next event
// resolves the ticket vpcguard opened, and SNS says so.
func TestTicketsResolveWhenFixed(t *testing.T) {
	e := testenv.New(t)
	e.Model("churn-xgb-public", false, nil)
	h := guards.Handler(e.GuardConfig(mode.Ticket), e.Config, firstRules...)
	if _, err := handle(t, h, testenv.Sample(t, "model-create-no-vpc.json")); err != nil {
		t.Fatalf("Handle create: %v", err)
	}
	if _, err := e.SageMaker.DeleteModel(context.Background(), &sagemaker.DeleteModelInput{ModelName: aws.String("churn-xgb-public")}); err != nil {
		t.Fatalf("delete model: %v", err)
	}
	resp, err := handle(t, h, testenv.Sample(t, "model-delete.json"))
	if err != nil {
		t.Fatalf("Handle delete: %v", err)
	}
	f := only(t, resp)
	if f.Status != finding.NotApplicable {
		t.Errorf("Status = %s; want NOT_APPLICABLE", f.Status)
	}
	if a, _ := actionOf(f, "ticket:securityhub"); a.Outcome != finding.Done || a.Detail != "resolved" {
		t.Errorf("ticket:securityhub = %s %q; want done \"resolved\"", a.Outcome, a.Detail)
	}
	if got := testenv.Subjects(e.Inbox()); len(got) != 2 {
		t.Errorf("SNS messages = %q; want 2 (opened, resolved)", got)
	}
	if n := len(e.HubFindings()); n != 1 {
		t.Errorf("Security Hub findings = %d; want 1 (the same finding, resolved)", n)
	}
}
