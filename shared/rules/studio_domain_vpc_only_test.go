package rules

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/resource"
)

func TestStudioDomainFromEvent(t *testing.T) {
	const arn = "arn:aws:sagemaker:us-east-1:111122223333:domain/d-abc123def456"
	resp := `{"domainArn":"` + arn + `","domainId":"d-abc123def456","url":"https://d-abc123def456.studio.us-east-1.sagemaker.aws"}`
	create := func(params string) string {
		return record(sageMaker, "CreateDomain", "us-east-1",
			`{"domainName":"studio","authMode":"IAM","vpcId":"vpc-1","subnetIds":["subnet-1","subnet-2"]`+params+`}`, resp)
	}
	tests := []struct {
		name       string
		event      string
		wantID     string // "" for no state
		wantStatus finding.Status
		wantReason []string
	}{
		{"VpcOnly", create(`,"appNetworkAccessType":"VpcOnly"`), "d-abc123def456", finding.Compliant, []string{"VpcOnly", "vpc-1"}},
		{"vpconly in another case", create(`,"appNetworkAccessType":"vpconly"`), "d-abc123def456", finding.Compliant, nil},
		{"PublicInternetOnly", create(`,"appNetworkAccessType":"PublicInternetOnly"`), "d-abc123def456", finding.NonCompliant,
			[]string{"is PublicInternetOnly", "switch it to VpcOnly", "once no app runs"}},
		{"omitted: AWS's default is PublicInternetOnly", create(``), "d-abc123def456", finding.NonCompliant,
			[]string{"without AppNetworkAccessType", "PublicInternetOnly"}},
		{"null", create(`,"appNetworkAccessType":null`), "d-abc123def456", finding.NonCompliant, []string{"without AppNetworkAccessType"}},
		{"older response: the id from the ARN", record(sageMaker, "CreateDomain", "us-east-1", `{"domainName":"studio","appNetworkAccessType":"VpcOnly"}`,
			`{"domainArn":"`+arn+`","url":"https://x"}`), "d-abc123def456", finding.Compliant, nil},
		{"UpdateDomain to PublicInternetOnly", record(sageMaker, "UpdateDomain", "us-east-1",
			`{"domainId":"d-abc123def456","appNetworkAccessType":"PublicInternetOnly"}`, ""), "d-abc123def456", finding.NonCompliant, []string{"PublicInternetOnly"}},
		{"UpdateDomain to VpcOnly", record(sageMaker, "UpdateDomain", "us-east-1",
			`{"domainId":"d-abc123def456","appNetworkAccessType":"VpcOnly","vpcId":"vpc-2","subnetIds":["subnet-3"]}`, ""), "d-abc123def456", finding.Compliant, []string{"vpc-2"}},
		{"UpdateDomain leaving the network alone: offline cannot tell", record(sageMaker, "UpdateDomain", "us-east-1",
			`{"domainId":"d-abc123def456","defaultUserSettings":{"executionRole":"r"}}`, ""), "d-abc123def456", finding.InsufficientData, []string{"evaluate online"}},
		{"DeleteDomain", record(sageMaker, "DeleteDomain", "us-east-1", `{"domainId":"d-abc123def456"}`, ""), "d-abc123def456", finding.NotApplicable, []string{"no longer exists"}},
		{"no id anywhere", record(sageMaker, "CreateDomain", "us-east-1", `{"domainName":"studio"}`, `{"url":"https://x"}`), "", "", nil},
		{"an ARN that is not a domain's", record(sageMaker, "CreateDomain", "us-east-1", `{"domainName":"studio"}`, `{"domainArn":"arn:aws:sagemaker:us-east-1:1:model/m"}`), "", "", nil},
	}
	r := StudioDomainVPCOnly{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			states, ds := evaluate(t, r, parse(t, tt.event))
			if tt.wantID == "" {
				if len(states) != 0 {
					t.Fatalf("FromEvent: got %+v; want no state", states)
				}
				return
			}
			if len(states) != 1 || states[0].ID != tt.wantID || states[0].Kind != resource.StudioDomain {
				t.Fatalf("FromEvent: got %+v; want domain %s", states, tt.wantID)
			}
			if states[0].ARN != arn {
				t.Errorf("ARN: got %q; want %q (from the response, or built)", states[0].ARN, arn)
			}
			if ds[0].Status != tt.wantStatus {
				t.Errorf("status: got %s; want %s (reason %q)", ds[0].Status, tt.wantStatus, ds[0].Reason)
			}
			for _, sub := range tt.wantReason {
				if !strings.Contains(ds[0].Reason, sub) {
					t.Errorf("reason: got %q; want it to contain %q", ds[0].Reason, sub)
				}
			}
		})
	}
}

func TestStudioDomainDecideOnline(t *testing.T) {
	r := StudioDomainVPCOnly{}
	s := resource.State{Ref: resource.Ref{Kind: resource.StudioDomain, ID: "d-1"}, Domain: &resource.DomainConfig{AppNetworkAccessType: "PublicInternetOnly", Status: "Deleting"}}
	if d := r.Decide(s); d.Status != finding.NotApplicable || !strings.Contains(d.Reason, "being deleted") {
		t.Errorf("a domain being deleted: got %v; want NOT_APPLICABLE", d)
	}
	s.Domain.Status = "InService"
	if d := r.Decide(s); d.Status != finding.NonCompliant {
		t.Errorf("an InService PublicInternetOnly domain: got %v; want NON_COMPLIANT", d)
	}
}

// TestStudioDomainGuardrail: creating anything but VpcOnly is refused (the
// key absent too), and an update only when it asks for PublicInternetOnly:
// updates that leave the network alone carry no key and must pass.
func TestStudioDomainGuardrail(t *testing.T) {
	want := []guardrail.Statement{{
		Sid: "DenyStudioDomainNotVpcOnly", Actions: []string{"sagemaker:CreateDomain"},
		Conditions: []guardrail.Condition{{Operator: "StringNotEquals", Key: "sagemaker:AppNetworkAccessType", Values: []string{"VpcOnly"}}},
	}, {
		Sid: "DenyStudioDomainToPublicInternet", Actions: []string{"sagemaker:UpdateDomain"},
		Conditions: []guardrail.Condition{{Operator: "StringEquals", Key: "sagemaker:AppNetworkAccessType", Values: []string{"PublicInternetOnly"}}},
	}}
	got := StudioDomainVPCOnly{}.Guardrail()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Guardrail:\ngot  %+v\nwant %+v", got, want)
	}
	for _, st := range got {
		if slices.Contains(st.Actions, "sagemaker:UpdateDomain") && slices.ContainsFunc(st.Conditions, func(c guardrail.Condition) bool { return c.Operator == "Null" }) {
			t.Errorf("UpdateDomain denied on a Null key: every update that leaves the network alone would be refused")
		}
	}
}
