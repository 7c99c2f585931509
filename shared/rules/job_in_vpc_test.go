package rules

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/resource"
)

const execRole = "arn:aws:iam::111122223333:role/service-role/AmazonSageMaker-ExecutionRole"

func TestJobFromEvent(t *testing.T) {
	vpc := `{"securityGroupIds":["sg-1"],"subnets":["subnet-1","subnet-2"]}`
	tests := []struct {
		name         string
		call         string
		request      string
		response     string
		wantID       string // "" for no state
		wantType     string
		wantNetworks []resource.JobNetwork
		wantStatus   finding.Status
		wantReason   []string
	}{
		{"training in a VPC", "CreateTrainingJob", `{"trainingJobName":"t1","roleArn":"` + execRole + `","vpcConfig":` + vpc + `}`,
			`{"trainingJobArn":"arn:aws:sagemaker:us-east-1:111122223333:training-job/t1"}`, "training-job/t1", resource.TrainingJob,
			[]resource.JobNetwork{{Subnets: []string{"subnet-1", "subnet-2"}}}, finding.Compliant, []string{"training job t1 runs in VPC subnets subnet-1, subnet-2"}},
		{"training without vpcConfig", "CreateTrainingJob", `{"trainingJobName":"t1"}`, "", "training-job/t1", resource.TrainingJob,
			[]resource.JobNetwork{{}}, finding.NonCompliant, []string{"training job t1 has no VPC subnets", "run it again with VpcConfig"}},
		{"training with empty subnets", "CreateTrainingJob", `{"trainingJobName":"t1","vpcConfig":{"securityGroupIds":["sg-1"],"subnets":[]}}`, "", "training-job/t1", resource.TrainingJob,
			[]resource.JobNetwork{{Subnets: []string{}}}, finding.NonCompliant, nil},
		{"processing in a VPC", "CreateProcessingJob", `{"processingJobName":"p1","networkConfig":{"enableNetworkIsolation":false,"vpcConfig":` + vpc + `}}`, "",
			"processing-job/p1", resource.ProcessingJob, []resource.JobNetwork{{Subnets: []string{"subnet-1", "subnet-2"}}}, finding.Compliant, nil},
		{"processing with a vpcConfig at the wrong level", "CreateProcessingJob", `{"processingJobName":"p1","vpcConfig":` + vpc + `}`, "",
			"processing-job/p1", resource.ProcessingJob, []resource.JobNetwork{{}}, finding.NonCompliant, []string{"processing job p1"}},
		{"tuning, one definition in a VPC", "CreateHyperParameterTuningJob",
			`{"hyperParameterTuningJobName":"h1","trainingJobDefinition":{"roleArn":"` + execRole + `","vpcConfig":` + vpc + `}}`, "",
			"hyper-parameter-tuning-job/h1", resource.TuningJob, []resource.JobNetwork{{Subnets: []string{"subnet-1", "subnet-2"}}}, finding.Compliant, nil},
		{"tuning, one of two definitions outside", "CreateHyperParameterTuningJob",
			`{"hyperParameterTuningJobName":"h1","trainingJobDefinitions":[{"definitionName":"a","vpcConfig":` + vpc + `},{"definitionName":"b"}]}`, "",
			"hyper-parameter-tuning-job/h1", resource.TuningJob, []resource.JobNetwork{{Name: "a", Subnets: []string{"subnet-1", "subnet-2"}}, {Name: "b"}},
			finding.NonCompliant, []string{"training job definitions without VPC subnets: b"}},
		{"tuning, unnamed definitions", "CreateHyperParameterTuningJob",
			`{"hyperParameterTuningJobName":"h1","trainingJobDefinitions":[{"vpcConfig":` + vpc + `},{}]}`, "",
			"hyper-parameter-tuning-job/h1", resource.TuningJob, []resource.JobNetwork{{Name: "trainingJobDefinitions[0]", Subnets: []string{"subnet-1", "subnet-2"}}, {Name: "trainingJobDefinitions[1]"}},
			finding.NonCompliant, []string{"trainingJobDefinitions[1]"}},
		{"tuning, no definition in the record", "CreateHyperParameterTuningJob", `{"hyperParameterTuningJobName":"h1"}`, "",
			"hyper-parameter-tuning-job/h1", resource.TuningJob, []resource.JobNetwork{{}}, finding.NonCompliant, []string{"has no VPC subnets"}},
		{"AutoML V1 in a VPC", "CreateAutoMLJob", `{"autoMLJobName":"a1","autoMLJobConfig":{"securityConfig":{"vpcConfig":` + vpc + `}}}`, "",
			"automl-job/a1", resource.AutoMLJob, []resource.JobNetwork{{Subnets: []string{"subnet-1", "subnet-2"}}}, finding.Compliant, []string{"AutoML job a1"}},
		{"AutoML V1 with V2's path is outside", "CreateAutoMLJob", `{"autoMLJobName":"a1","securityConfig":{"vpcConfig":` + vpc + `}}`, "",
			"automl-job/a1", resource.AutoMLJob, []resource.JobNetwork{{}}, finding.NonCompliant, nil},
		{"AutoML V2 in a VPC", "CreateAutoMLJobV2", `{"autoMLJobName":"a2","securityConfig":{"vpcConfig":` + vpc + `}}`, "",
			"automl-job/a2", resource.AutoMLJob, []resource.JobNetwork{{Subnets: []string{"subnet-1", "subnet-2"}}}, finding.Compliant, nil},
		{"AutoML V2 without", "CreateAutoMLJobV2", `{"autoMLJobName":"a2"}`, "", "automl-job/a2", resource.AutoMLJob, []resource.JobNetwork{{}}, finding.NonCompliant, nil},
		{"no name", "CreateTrainingJob", `{"vpcConfig":` + vpc + `}`, "", "", "", nil, "", nil},
	}
	r := JobInVPC{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			states, ds := evaluate(t, r, parse(t, record(sageMaker, tt.call, "us-east-1", tt.request, tt.response)))
			if tt.wantID == "" {
				if len(states) != 0 {
					t.Fatalf("FromEvent: got %+v; want no state", states)
				}
				return
			}
			if len(states) != 1 || states[0].ID != tt.wantID || states[0].Kind != resource.Job || states[0].Job == nil {
				t.Fatalf("FromEvent: got %+v; want job %s", states, tt.wantID)
			}
			s := states[0]
			if want := "arn:aws:sagemaker:us-east-1:111122223333:" + tt.wantID; s.ARN != want {
				t.Errorf("ARN: got %q; want %q", s.ARN, want)
			}
			if s.Job.Type != tt.wantType || !sameNetworks(s.Job.Networks, tt.wantNetworks) {
				t.Errorf("job: got type %s networks %+v; want %s %+v", s.Job.Type, s.Job.Networks, tt.wantType, tt.wantNetworks)
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

// sameNetworks compares networks, an empty list of subnets equal to none.
func sameNetworks(a, b []resource.JobNetwork) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || len(a[i].Subnets) != len(b[i].Subnets) || (len(a[i].Subnets) > 0 && !reflect.DeepEqual(a[i].Subnets, b[i].Subnets)) {
			return false
		}
	}
	return true
}

func TestJobFromEventReadsThePipelineTagAndRole(t *testing.T) {
	ev := parse(t, record(sageMaker, "CreateProcessingJob", "us-east-1",
		`{"processingJobName":"p1","roleArn":"`+execRole+`","tags":[{"key":"team","value":"x"},{"key":"sagemaker:pipeline-execution-arn","value":"arn:aws:sagemaker:us-east-1:111122223333:pipeline/p/execution/e1"}]}`, ""))
	s := JobInVPC{}.FromEvent(ev)[0]
	if s.Job.Parent != "arn:aws:sagemaker:us-east-1:111122223333:pipeline/p/execution/e1" || s.Job.ExecutionRole != execRole {
		t.Errorf("got parent %q role %q; want the pipeline execution and the role", s.Job.Parent, s.Job.ExecutionRole)
	}
	if d := (JobInVPC{}).Decide(s); !strings.Contains(d.Reason, "SageMaker started it for arn:aws:sagemaker:us-east-1:111122223333:pipeline/p/execution/e1") {
		t.Errorf("reason: got %q; want it to name the pipeline execution", d.Reason)
	}
}

// TestJobReasonIgnoresStatus: the reason is the same whatever the job's
// status, so a ticket is not updated when the job finishes or is stopped.
func TestJobReasonIgnoresStatus(t *testing.T) {
	r := JobInVPC{}
	var reasons []string
	for _, status := range []string{"InProgress", "Stopping", "Stopped", "Completed", ""} {
		s := resource.State{Ref: resource.Ref{Kind: resource.Job, ID: "training-job/t1"}, Job: &resource.JobConfig{Type: resource.TrainingJob, Networks: []resource.JobNetwork{{}}, Status: status}}
		d := r.Decide(s)
		if d.Status != finding.NonCompliant {
			t.Errorf("status %q: got %v; want NON_COMPLIANT", status, d)
		}
		reasons = append(reasons, d.Reason)
	}
	for _, reason := range reasons[1:] {
		if reason != reasons[0] {
			t.Errorf("reasons differ by status: %q and %q", reasons[0], reason)
		}
	}
	none := resource.State{Ref: resource.Ref{Kind: resource.Job, ID: "training-job/t1"}, Job: &resource.JobConfig{Type: resource.TrainingJob}}
	if d := r.Decide(none); d.Status != finding.NonCompliant {
		t.Errorf("a job with no network read: got %v; want NON_COMPLIANT", d)
	}
}

// TestJobRefuseGuardrail: the guardrail never goes on a role jobs run as,
// and goes on a person who started a job outside a VPC.
func TestJobRefuseGuardrail(t *testing.T) {
	person := cloudtrail.Identity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/MLEngineer/alice",
		Issuer: &cloudtrail.Issuer{Type: "Role", ARN: "arn:aws:iam::111122223333:role/MLEngineer"}}
	execSession := cloudtrail.Identity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/AmazonSageMaker-ExecutionRole/SageMaker",
		InvokedBy: "sagemaker.amazonaws.com", Issuer: &cloudtrail.Issuer{Type: "Role", ARN: execRole}}
	job := func(parent string) resource.State {
		return resource.State{Ref: resource.Ref{Kind: resource.Job, ID: "training-job/t1"},
			Job: &resource.JobConfig{Type: resource.TrainingJob, ExecutionRole: execRole, Parent: parent}}
	}
	tuning := "arn:aws:sagemaker:us-east-1:111122223333:hyper-parameter-tuning-job/h1"
	tagged := job("")
	tagged.Tags = map[string]string{PipelineExecutionTag: "arn:aws:sagemaker:us-east-1:111122223333:pipeline/p/execution/e1"}
	tests := []struct {
		name      string
		caller    cloudtrail.Identity
		principal string
		state     resource.State
		want      string // "" when the guardrail may go on
	}{
		{"a person's job", person, person.Principal(), job(""), ""},
		{"SageMaker as an AWS service", cloudtrail.Identity{Type: "AWSService", InvokedBy: "sagemaker.amazonaws.com"}, "sagemaker.amazonaws.com", job(""),
			"SageMaker created this job itself"},
		{"SageMaker, the parent known", cloudtrail.Identity{Type: "AWSService", InvokedBy: "sagemaker.amazonaws.com"}, "sagemaker.amazonaws.com", job(tuning),
			"whoever created the tuning job, from its own CreateHyperParameterTuningJob event"},
		{"a session of the execution role, invoked by SageMaker", execSession, execSession.Principal(), job(""), "execution role"},
		{"the execution role itself, path or not", person, "arn:aws:iam::111122223333:role/AmazonSageMaker-ExecutionRole", job(""),
			"the job's own execution role"},
		{"a job with a parent read online", person, person.Principal(), job(tuning), "whoever created the tuning job"},
		{"a pipeline step, from its tag", person, person.Principal(), tagged, "fix the pipeline"},
		{"a creator found in CloudTrail's history: SageMaker's name alone", cloudtrail.Identity{}, "sagemaker.amazonaws.com", job(""),
			"SageMaker created this job itself"},
		{"a monitoring schedule's job", cloudtrail.Identity{Type: "AWSService", InvokedBy: "sagemaker.amazonaws.com"}, "sagemaker.amazonaws.com",
			job("arn:aws:sagemaker:us-east-1:111122223333:monitoring-schedule/m1"), "fix its NetworkConfig"},
	}
	for _, tt := range tests {
		got := JobInVPC{}.RefuseGuardrail(tt.caller, tt.principal, tt.state)
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("%s: got %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestJobGuardrail(t *testing.T) {
	want := []guardrail.Statement{{
		Sid: "DenyJobWithoutVpc",
		Actions: []string{"sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob", "sagemaker:CreateHyperParameterTuningJob",
			"sagemaker:CreateAutoMLJob", "sagemaker:CreateAutoMLJobV2"},
		Conditions: []guardrail.Condition{{Operator: "Null", Key: "sagemaker:VpcSubnets", Values: []string{"true"}}},
	}}
	if got := (JobInVPC{}).Guardrail(); !reflect.DeepEqual(got, want) {
		t.Errorf("Guardrail:\ngot  %+v\nwant %+v", got, want)
	}
	// Every create call the rule evaluates is refused by its guardrail.
	for _, tr := range (JobInVPC{}).Triggers() {
		for _, n := range tr.Names {
			if !strings.Contains(strings.Join(want[0].Actions, ","), "sagemaker:"+n) {
				t.Errorf("trigger %s is not in the guardrail's actions", n)
			}
		}
	}
}

func TestJobID(t *testing.T) {
	for _, typ := range []string{resource.TrainingJob, resource.ProcessingJob, resource.TuningJob, resource.AutoMLJob} {
		id := resource.JobID(typ, "My-Job")
		gotType, gotName, ok := resource.ParseJobID(id)
		if !ok || gotType != typ || gotName != "My-Job" {
			t.Errorf("ParseJobID(JobID(%s, My-Job) = %q): got %q %q %v", typ, id, gotType, gotName, ok)
		}
	}
	for _, bad := range []string{"", "My-Job", "model/m", "training-job/", "/x"} {
		if _, _, ok := resource.ParseJobID(bad); ok {
			t.Errorf("ParseJobID(%q): ok; want not a job id", bad)
		}
	}
}
