package rules

import (
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
)

func TestNotebookFromEvent(t *testing.T) {
	const arn = "arn:aws:sagemaker:us-east-1:111122223333:notebook-instance/nb"
	resp := `{"notebookInstanceArn":"` + arn + `"}`
	create := func(params string) string {
		return record("sagemaker.amazonaws.com", "CreateNotebookInstance", "us-east-1", `{"notebookInstanceName":"nb","instanceType":"ml.t3.medium"`+params+`}`, resp)
	}
	tests := []struct {
		name       string
		event      string
		wantStates int
		wantStatus finding.Status
		wantReason []string
	}{
		{"Disabled in a subnet", create(`,"subnetId":"subnet-1","directInternetAccess":"Disabled"`), 1, finding.Compliant, []string{"nb", "subnet-1"}},
		{"disabled in lower case", create(`,"subnetId":"subnet-1","directInternetAccess":"disabled"`), 1, finding.Compliant, []string{"nb"}},
		{"Enabled", create(`,"subnetId":"subnet-1","directInternetAccess":"Enabled"`), 1, finding.NonCompliant, []string{"DirectInternetAccess is Enabled", "recreate it"}},
		{"omitted", create(`,"subnetId":"subnet-1"`), 1, finding.NonCompliant, []string{"omitted, so AWS enabled it", "DirectInternetAccess=Disabled"}},
		{"null", create(`,"subnetId":"subnet-1","directInternetAccess":null`), 1, finding.NonCompliant, []string{"omitted"}},
		{"Disabled without a subnet", create(`,"directInternetAccess":"Disabled"`), 1, finding.NonCompliant, []string{"no VPC subnet", "SubnetId"}},
		{"Disabled with an empty subnet", create(`,"subnetId":"","directInternetAccess":"Disabled"`), 1, finding.NonCompliant, []string{"no VPC subnet"}},
		{"omitted and no subnet", create(``), 1, finding.NonCompliant, []string{"omitted", " and ", "no VPC subnet"}},
		{"PascalCase fields", record("sagemaker.amazonaws.com", "CreateNotebookInstance", "us-east-1",
			`{"NotebookInstanceName":"nb","SubnetId":"subnet-1","DirectInternetAccess":"Disabled"}`, resp), 1, finding.Compliant, []string{"nb"}},
		{"StartNotebookInstance offline", record("sagemaker.amazonaws.com", "StartNotebookInstance", "us-east-1", `{"notebookInstanceName":"nb"}`, ""),
			1, finding.InsufficientData, []string{"evaluate online"}},
		{"UpdateNotebookInstance offline", record("sagemaker.amazonaws.com", "UpdateNotebookInstance", "us-east-1", `{"notebookInstanceName":"nb","instanceType":"ml.t3.large"}`, ""),
			1, finding.InsufficientData, []string{"network settings"}},
		{"DeleteNotebookInstance", record("sagemaker.amazonaws.com", "DeleteNotebookInstance", "us-east-1", `{"notebookInstanceName":"nb"}`, ""),
			1, finding.NotApplicable, []string{"nb no longer exists"}},
		{"no name", record("sagemaker.amazonaws.com", "CreateNotebookInstance", "us-east-1", `{"directInternetAccess":"Enabled"}`, resp), 0, "", nil},
	}
	r := NotebookNoDirectInternet{}
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
			if s := states[0]; s.ID != "nb" || s.Kind != resource.Notebook {
				t.Errorf("Ref: got %+v; want notebook nb", s.Ref)
			}
			if ev.Name == "CreateNotebookInstance" && states[0].ARN != arn {
				t.Errorf("ARN: got %q; want %q", states[0].ARN, arn)
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

func TestNotebookDecideOnlineStates(t *testing.T) {
	ref := resource.Ref{Kind: resource.Notebook, ID: "nb"}
	nb := func(dia, subnet, status string) resource.State {
		return resource.State{Ref: ref, Notebook: &resource.NotebookConfig{DirectInternetAccess: dia, SubnetID: subnet, Status: status}}
	}
	tests := []struct {
		name  string
		state resource.State
		want  finding.Status
	}{
		{"InService private", nb("Disabled", "subnet-1", "InService"), finding.Compliant},
		{"Stopped private", nb("Disabled", "subnet-1", "Stopped"), finding.Compliant},
		{"InService open", nb("Enabled", "subnet-1", "InService"), finding.NonCompliant},
		{"Pending open without a subnet", nb("Enabled", "", "Pending"), finding.NonCompliant},
		{"Deleting open", nb("Enabled", "", "Deleting"), finding.NotApplicable},
		{"Deleting private", nb("Disabled", "subnet-1", "Deleting"), finding.NotApplicable},
		{"Failed open", nb("Enabled", "subnet-1", "Failed"), finding.NonCompliant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NotebookNoDirectInternet{}.Decide(tt.state)
			checkDecision(t, NotebookNoDirectInternet{}, tt.state, d)
			if d.Status != tt.want {
				t.Errorf("status: got %s; want %s (reason %q)", d.Status, tt.want, d.Reason)
			}
		})
	}
}
