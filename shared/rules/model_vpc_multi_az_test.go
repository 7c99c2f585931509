package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// TestModelVPCMultiAZFromEvent: offline, one subnet is decided from the
// event; two or more need their zones (INSUFFICIENT_DATA); no subnets is
// model-in-vpc's finding, not this rule's.
func TestModelVPCMultiAZFromEvent(t *testing.T) {
	create := func(req string) string {
		return record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", req, `{"modelArn":"arn:aws:sagemaker:us-east-1:111122223333:model/m"}`)
	}
	tests := []struct {
		name        string
		event       string
		wantStates  int
		wantSubnets []string
		wantStatus  finding.Status
		wantReason  string
	}{
		{"one subnet", create(`{"modelName":"m","vpcConfig":{"subnets":["subnet-1"],"securityGroupIds":["sg-1"]}}`),
			1, []string{"subnet-1"}, finding.NonCompliant, "one VPC subnet (subnet-1)"},
		{"one subnet twice", create(`{"modelName":"m","vpcConfig":{"subnets":["subnet-1","subnet-1"]}}`),
			1, []string{"subnet-1", "subnet-1"}, finding.NonCompliant, "one VPC subnet (subnet-1)"},
		{"two subnets: zones unknown offline", create(`{"modelName":"m","vpcConfig":{"subnets":["subnet-1","subnet-2"]}}`),
			1, []string{"subnet-1", "subnet-2"}, finding.InsufficientData, "Availability Zones of subnets subnet-1, subnet-2"},
		{"no VpcConfig", create(`{"modelName":"m"}`), 1, nil, finding.NotApplicable, "not in a VPC"},
		{"empty VpcConfig (moto's shape)", create(`{"modelName":"m","vpcConfig":{}}`), 1, nil, finding.NotApplicable, "sagemaker-model-in-vpc reports it"},
		{"subnets of blanks", create(`{"modelName":"m","vpcConfig":{"subnets":["",null]}}`), 1, nil, finding.NotApplicable, "not in a VPC"},
		{"DeleteModel", record("sagemaker.amazonaws.com", "DeleteModel", "us-east-1", `{"modelName":"m"}`, ""), 1, nil, finding.NotApplicable, "no longer exists"},
		{"no model name", create(`{"vpcConfig":{"subnets":["subnet-1"]}}`), 0, nil, "", ""},
	}
	r := ModelVPCMultiAZ{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := parse(t, tt.event)
			states, ds := evaluate(t, r, ev)
			if len(states) != tt.wantStates {
				t.Fatalf("FromEvent: got %d states; want %d", len(states), tt.wantStates)
			}
			if tt.wantStates == 0 {
				return
			}
			if ev.Name == "CreateModel" {
				if states[0].Model == nil || !slices.Equal(states[0].Model.Subnets, tt.wantSubnets) || states[0].Model.Zones != nil {
					t.Errorf("Model: got %+v; want subnets %q and no zones (the event has none)", states[0].Model, tt.wantSubnets)
				}
			}
			if ds[0].Status != tt.wantStatus || !strings.Contains(ds[0].Reason, tt.wantReason) {
				t.Errorf("decision: got %s %q; want %s containing %q", ds[0].Status, ds[0].Reason, tt.wantStatus, tt.wantReason)
			}
		})
	}
}

// TestModelVPCMultiAZDecide: online, with the zones EC2 gave.
func TestModelVPCMultiAZDecide(t *testing.T) {
	ref := resource.Ref{Kind: resource.Model, ID: "m", Account: "1", Region: "us-east-1"}
	model := func(subnets []string, zones map[string]string) resource.State {
		return resource.State{Ref: ref, Model: &resource.ModelConfig{Subnets: subnets, Zones: zones}}
	}
	tests := []struct {
		name       string
		state      resource.State
		want       finding.Status
		wantReason string
	}{
		{"two zones", model([]string{"subnet-a", "subnet-b"}, map[string]string{"subnet-a": "us-east-1a", "subnet-b": "us-east-1b"}),
			finding.Compliant, "2 Availability Zones (us-east-1a, us-east-1b)"},
		{"three subnets, two zones", model([]string{"subnet-a", "subnet-a2", "subnet-b"},
			map[string]string{"subnet-a": "us-east-1a", "subnet-a2": "us-east-1a", "subnet-b": "us-east-1b"}), finding.Compliant, "2 Availability Zones"},
		{"two subnets, one zone", model([]string{"subnet-a", "subnet-a2"}, map[string]string{"subnet-a": "us-east-1a", "subnet-a2": "us-east-1a"}),
			finding.NonCompliant, "all its subnets (subnet-a, subnet-a2) are in us-east-1a"},
		{"one subnet, zone read", model([]string{"subnet-a"}, map[string]string{"subnet-a": "us-east-1a"}), finding.NonCompliant, "one VPC subnet"},
		{"one zone left, the other subnet deleted", model([]string{"subnet-a", "subnet-gone"}, map[string]string{"subnet-a": "us-east-1a"}),
			finding.NonCompliant, "subnet-gone no longer exist"},
		{"no subnet exists", model([]string{"subnet-x", "subnet-y"}, map[string]string{}), finding.NonCompliant, "none of its subnets"},
		{"two subnets, zones not read", model([]string{"subnet-a", "subnet-b"}, nil), finding.InsufficientData, "Availability Zones"},
		{"no VPC", model(nil, nil), finding.NotApplicable, "not in a VPC"},
		{"missing", resource.State{Ref: ref, Missing: true}, finding.NotApplicable, "no longer exists"},
		{"unknown", resource.State{Ref: ref}, finding.InsufficientData, "evaluate online"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ModelVPCMultiAZ{}.Decide(tt.state)
			checkDecision(t, ModelVPCMultiAZ{}, tt.state, d)
			if d.Status != tt.want || !strings.Contains(d.Reason, tt.wantReason) {
				t.Errorf("decision: got %s %q; want %s containing %q", d.Status, d.Reason, tt.want, tt.wantReason)
			}
		})
	}
}

// TestModelVPCMultiAZReadsZones: the rule declares the detail it decides
// on, with the EC2 op that reads it, so its function is wired and granted
// for it; no guardrail or remedy (ticket only).
func TestModelVPCMultiAZReadsZones(t *testing.T) {
	r := ModelVPCMultiAZ{}
	if got := DetailsOf(r); !slices.Equal(got, []Detail{SubnetZones}) {
		t.Errorf("DetailsOf: got %v; want [%s]", got, SubnetZones)
	}
	if got := DetailOps(SubnetZones); len(got) != 1 || got[0].Action != "ec2:DescribeSubnets" {
		t.Errorf("DetailOps(SubnetZones): got %+v; want ec2:DescribeSubnets", got)
	}
	if DetailsOf(ModelInVPC{}) != nil {
		t.Errorf("DetailsOf(ModelInVPC): got some; want none")
	}
	if r.Guardrail() != nil || r.Remedies() != nil || r.DefaultMode() != "ticket" {
		t.Errorf("got guardrail %v, remedies %v, default %s; want none, none, ticket", r.Guardrail(), r.Remedies(), r.DefaultMode())
	}
}
