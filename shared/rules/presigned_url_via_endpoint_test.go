package rules

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// presignedCall is a CreatePresignedDomainUrl record from src, through vpce
// when it is not "".
func presignedCall(src, vpce string) string {
	extra := ""
	if src != "" {
		extra += `,"sourceIPAddress":"` + src + `"`
	}
	if vpce != "" {
		extra += `,"vpcEndpointId":"` + vpce + `"`
	}
	r := record(sageMaker, "CreatePresignedDomainUrl", "us-east-1", `{"domainId":"d-abc123def456","userProfileName":"alice"}`, "")
	return strings.TrimSuffix(r, "}") + extra + "}"
}

func TestPresignedURLFromEvent(t *testing.T) {
	r := PresignedURLViaEndpoint{}
	tests := []struct {
		name, event, wantID, wantOpens string
	}{
		{"Studio", record(sageMaker, "CreatePresignedDomainUrl", "us-east-1", `{"domainId":"d-1","userProfileName":"alice"}`, ""),
			"user-profile/d-1/alice", "Studio user profile alice in domain d-1"},
		{"Studio space", record(sageMaker, "CreatePresignedDomainUrl", "us-east-1", `{"domainId":"d-1","userProfileName":"alice","spaceName":"team"}`, ""),
			"user-profile/d-1/alice", "Studio user profile alice in domain d-1 (space team)"},
		{"notebook", record(sageMaker, "CreatePresignedNotebookInstanceUrl", "us-east-1", `{"notebookInstanceName":"nb"}`, ""),
			"notebook-instance/nb", "notebook instance nb"},
		{"Studio without a profile", record(sageMaker, "CreatePresignedDomainUrl", "us-east-1", `{"domainId":"d-1"}`, ""), "", ""},
		{"notebook without a name", record(sageMaker, "CreatePresignedNotebookInstanceUrl", "us-east-1", `{}`, ""), "", ""},
		{"another call", record(sageMaker, "DescribeDomain", "us-east-1", `{"domainId":"d-1"}`, ""), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			states := r.FromEvent(parse(t, tt.event))
			if tt.wantID == "" {
				if len(states) != 0 {
					t.Fatalf("got %+v; want no state", states)
				}
				return
			}
			if len(states) != 1 || states[0].ID != tt.wantID || states[0].PresignedURL == nil || states[0].PresignedURL.Opens != tt.wantOpens {
				t.Fatalf("got %+v; want %s opening %q", states, tt.wantID, tt.wantOpens)
			}
			if want := "arn:aws:sagemaker:us-east-1:111122223333:" + tt.wantID; states[0].ARN != want {
				t.Errorf("ARN: got %q; want %q", states[0].ARN, want)
			}
		})
	}
}

func TestPresignedURLDecide(t *testing.T) {
	allow := func(items ...string) SourceAllowList {
		a, err := ParseSourceAllowList(items)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	tests := []struct {
		name       string
		allowed    SourceAllowList
		src, vpce  string
		want       finding.Status
		wantReason string
	}{
		{"through an endpoint", SourceAllowList{}, "10.0.1.5", "vpce-0a1b2c3d4e5f60001", finding.Compliant, "through interface endpoint vpce-0a1b2c3d4e5f60001"},
		{"through an allowed endpoint", allow("vpce-0a1b2c3d4e5f60001"), "10.0.1.5", "vpce-0a1b2c3d4e5f60001", finding.Compliant, "allowed interface endpoint"},
		{"through another endpoint", allow("vpce-0a1b2c3d4e5f60001"), "10.0.1.5", "vpce-0ffffffffffffffff", finding.NonCompliant, "not one of the allowed endpoints (vpce-0a1b2c3d4e5f60001)"},
		{"through another endpoint, VPCs allowed", allow("vpc-0a1b2c3d"), "10.0.1.5", "vpce-0ffffffffffffffff", finding.InsufficientData, "does not say whether it is in an allowed VPC (vpc-0a1b2c3d)"},
		{"public address", SourceAllowList{}, "203.0.113.25", "", finding.NonCompliant, "from public address 203.0.113.25, not through an interface VPC endpoint"},
		{"private address, no endpoint recorded", SourceAllowList{}, "10.20.1.37", "", finding.Compliant, "private address 10.20.1.37"},
		{"shared address space (RFC 6598)", SourceAllowList{}, "100.64.3.4", "", finding.Compliant, "private address"},
		{"IPv6 unique local", SourceAllowList{}, "fd12:3456::1", "", finding.Compliant, "private address"},
		{"IPv6 global", SourceAllowList{}, "2600:1f18::1", "", finding.NonCompliant, "public address"},
		{"private address outside the allowed ranges", allow("10.20.0.0/16"), "10.30.0.4", "", finding.NonCompliant, "outside the allowed ranges (10.20.0.0/16)"},
		{"private address inside an allowed range", allow("10.20.0.0/16"), "10.20.9.9", "", finding.Compliant, "in an allowed range"},
		{"public address inside an allowed range", allow("198.51.100.0/24"), "198.51.100.7", "", finding.Compliant, "in an allowed range"},
		{"a service on someone's behalf", SourceAllowList{}, "sagemaker.amazonaws.com", "", finding.NotApplicable, "created by sagemaker.amazonaws.com"},
		{"nothing recorded", SourceAllowList{}, "", "", finding.InsufficientData, "neither a VPC endpoint nor a source address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := PresignedURLViaEndpoint{Allowed: tt.allowed}
			states, ds := evaluate(t, r, parse(t, presignedCall(tt.src, tt.vpce)))
			if len(states) != 1 {
				t.Fatalf("got %d states; want 1", len(states))
			}
			if ds[0].Status != tt.want || !strings.Contains(ds[0].Reason, tt.wantReason) {
				t.Errorf("got %s %q; want %s containing %q", ds[0].Status, ds[0].Reason, tt.want, tt.wantReason)
			}
		})
	}
}

// TestPresignedURLGuardrail is the seed pages' condition as a deny: no
// list, any endpoint; endpoints, those; VPCs, those; both, either.
func TestPresignedURLGuardrail(t *testing.T) {
	actions := []string{"sagemaker:CreatePresignedDomainUrl", "sagemaker:CreatePresignedNotebookInstanceUrl"}
	tests := []struct {
		name    string
		allowed []string
		want    []guardrail.Condition
	}{
		{"no list", nil, []guardrail.Condition{{Operator: "Null", Key: "aws:SourceVpce", Values: []string{"true"}}}},
		{"ranges only: the guardrail cannot use them", []string{"10.0.0.0/8"}, []guardrail.Condition{{Operator: "Null", Key: "aws:SourceVpce", Values: []string{"true"}}}},
		{"endpoints", []string{"vpce-0a1b2c3d4e5f60001", "vpce-0a1b2c3d4e5f60002"},
			[]guardrail.Condition{{Operator: "StringNotEquals", Key: "aws:SourceVpce", Values: []string{"vpce-0a1b2c3d4e5f60001", "vpce-0a1b2c3d4e5f60002"}}}},
		{"VPCs", []string{"vpc-0a1b2c3d"}, []guardrail.Condition{{Operator: "StringNotEquals", Key: "aws:SourceVpc", Values: []string{"vpc-0a1b2c3d"}}}},
		{"both", []string{"vpc-0a1b2c3d", "vpce-0a1b2c3d4e5f60001"}, []guardrail.Condition{
			{Operator: "StringNotEquals", Key: "aws:SourceVpce", Values: []string{"vpce-0a1b2c3d4e5f60001"}},
			{Operator: "StringNotEquals", Key: "aws:SourceVpc", Values: []string{"vpc-0a1b2c3d"}}}},
	}
	for _, tt := range tests {
		a, err := ParseSourceAllowList(tt.allowed)
		if err != nil {
			t.Fatal(err)
		}
		rs := Configured([]Rule{ModelInVPC{}, PresignedURLViaEndpoint{}}, Settings{PresignedURLSources: a})
		got := rs[1].Guardrail()
		want := []guardrail.Statement{{Sid: "DenyPresignedUrlOutsideVpc", Actions: actions, Conditions: tt.want}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Guardrail:\ngot  %+v\nwant %+v", tt.name, got, want)
		}
		if _, ok := rs[0].(ModelInVPC); !ok {
			t.Errorf("%s: Configured changed a rule without settings: %T", tt.name, rs[0])
		}
	}
}

func TestParseSourceAllowList(t *testing.T) {
	a, err := ParseSourceAllowList([]string{"vpce-0a1b2c3d4e5f60001", "vpc-0a1b2c3d", "10.20.1.7/16", "vpce-0a1b2c3d4e5f60001", "2001:db8::/32"})
	if err != nil {
		t.Fatalf("ParseSourceAllowList: %v", err)
	}
	if !reflect.DeepEqual(a.Endpoints, []string{"vpce-0a1b2c3d4e5f60001"}) || !reflect.DeepEqual(a.VPCs, []string{"vpc-0a1b2c3d"}) ||
		len(a.CIDRs) != 2 || a.CIDRs[0].String() != "10.20.0.0/16" || a.Empty() {
		t.Errorf("got %+v; want one endpoint, one VPC, 10.20.0.0/16 and 2001:db8::/32", a)
	}
	for _, bad := range []string{"sg-0123", "vpce-XYZ", "10.0.0.0/33", "10.0.0.1", "vpc-"} {
		if _, err := ParseSourceAllowList([]string{bad}); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseSourceAllowList(%q): got %v; want an error naming it", bad, err)
		}
	}
	if !(SourceAllowList{}).Empty() {
		t.Errorf("the zero list: not Empty")
	}
}

func TestPresignedURLIsEventOnly(t *testing.T) {
	var r Rule = PresignedURLViaEndpoint{}
	if !IsEventOnly(r) || IsEventOnly(ModelInVPC{}) {
		t.Errorf("IsEventOnly: got %v for the presigned rule, %v for the model rule; want true, false", IsEventOnly(r), IsEventOnly(ModelInVPC{}))
	}
	if r.DefaultMode() != "report" {
		t.Errorf("DefaultMode: got %s; want report until a real record confirms the shape", r.DefaultMode())
	}
	for _, tr := range r.Triggers() {
		if !tr.AllManagementEvents {
			t.Errorf("trigger %+v: want AllManagementEvents (the calls may be read-only events)", tr)
		}
	}
	if len(r.Remedies()) != 0 {
		t.Errorf("Remedies: got %v; want none (the URL is already handed out)", r.Remedies())
	}
	_ = resource.PresignedURL
}
