package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
)

func TestModelInVPCFromEvent(t *testing.T) {
	const arn = "arn:aws:sagemaker:us-east-1:111122223333:model/m"
	resp := `{"modelArn":"` + arn + `"}`
	tests := []struct {
		name        string
		event       string
		wantStates  int
		wantSubnets []string
		wantStatus  finding.Status
		wantReason  string
	}{
		{"with VpcConfig subnets", record("sagemaker.amazonaws.com", "CreateModel", "us-east-1",
			`{"modelName":"m","vpcConfig":{"subnets":["subnet-1","subnet-2"],"securityGroupIds":["sg-1"]}}`, resp),
			1, []string{"subnet-1", "subnet-2"}, finding.Compliant, "subnet-1, subnet-2"},
		{"PascalCase VpcConfig", record("sagemaker.amazonaws.com", "CreateModel", "us-east-1",
			`{"ModelName":"m","VpcConfig":{"Subnets":["subnet-1"],"SecurityGroupIds":["sg-1"]}}`, resp),
			1, []string{"subnet-1"}, finding.Compliant, "subnet-1"},
		{"without VpcConfig", record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m"}`, resp),
			1, nil, finding.NonCompliant, "recreate it with VpcConfig"},
		{"VpcConfig null", record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m","vpcConfig":null}`, resp),
			1, nil, finding.NonCompliant, "no VpcConfig subnets"},
		{"empty subnets", record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m","vpcConfig":{"subnets":[],"securityGroupIds":["sg-1"]}}`, resp),
			1, nil, finding.NonCompliant, "no VpcConfig subnets"},
		{"empty VpcConfig (moto's shape)", record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m","vpcConfig":{}}`, resp),
			1, nil, finding.NonCompliant, "no VpcConfig subnets"},
		{"subnets as an empty string", record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m","vpcConfig":{"subnets":""}}`, resp),
			1, nil, finding.NonCompliant, "no VpcConfig subnets"},
		{"subnets of blanks", record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m","vpcConfig":{"subnets":["",null]}}`, resp),
			1, nil, finding.NonCompliant, "no VpcConfig subnets"},
		{"DeleteModel", record("sagemaker.amazonaws.com", "DeleteModel", "us-east-1", `{"modelName":"m"}`, ""),
			1, nil, finding.NotApplicable, "no longer exists"},
		{"no model name", record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"primaryContainer":{}}`, resp),
			0, nil, "", ""},
		{"no request at all", record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", "", ""),
			0, nil, "", ""},
	}
	r := ModelInVPC{}
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
			s := states[0]
			if s.ID != "m" || s.Kind != resource.Model || s.Account != "111122223333" || s.Region != "us-east-1" {
				t.Errorf("Ref: got %+v; want model m in 111122223333/us-east-1", s.Ref)
			}
			if ev.Name == "CreateModel" {
				if s.ARN != arn {
					t.Errorf("ARN: got %q; want %q", s.ARN, arn)
				}
				if s.Model == nil {
					t.Fatalf("Model: got nil; want the event's VpcConfig")
				}
				if !slices.Equal(s.Model.Subnets, tt.wantSubnets) {
					t.Errorf("Subnets: got %q; want %q", s.Model.Subnets, tt.wantSubnets)
				}
			}
			if ds[0].Status != tt.wantStatus {
				t.Errorf("status: got %s; want %s (reason %q)", ds[0].Status, tt.wantStatus, ds[0].Reason)
			}
			if !strings.Contains(ds[0].Reason, tt.wantReason) || !strings.Contains(ds[0].Reason, "m") {
				t.Errorf("reason: got %q; want it to name the model and contain %q", ds[0].Reason, tt.wantReason)
			}
		})
	}
}

func TestModelInVPCDecide(t *testing.T) {
	ref := resource.Ref{Kind: resource.Model, ID: "m", Account: "1", Region: "us-east-1"}
	tests := []struct {
		name  string
		state resource.State
		want  finding.Status
	}{
		{"online, in a VPC", resource.State{Ref: ref, Model: &resource.ModelConfig{Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"}}}, finding.Compliant},
		{"online, VpcConfig {} read as no subnets", resource.State{Ref: ref, Model: &resource.ModelConfig{}}, finding.NonCompliant},
		{"online, subnets but no security groups", resource.State{Ref: ref, Model: &resource.ModelConfig{Subnets: []string{"subnet-1"}}}, finding.Compliant},
		{"missing", resource.State{Ref: ref, Missing: true, Model: &resource.ModelConfig{}}, finding.NotApplicable},
		{"unknown", resource.State{Ref: ref}, finding.InsufficientData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ModelInVPC{}.Decide(tt.state)
			checkDecision(t, ModelInVPC{}, tt.state, d)
			if d.Status != tt.want {
				t.Errorf("status: got %s; want %s (reason %q)", d.Status, tt.want, d.Reason)
			}
		})
	}
}
