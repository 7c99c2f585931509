package rules

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// parse reads one event or fails the test.
func parse(t testing.TB, data string) *cloudtrail.Event {
	t.Helper()
	ev, err := cloudtrail.ParseOne([]byte(data))
	if err != nil {
		t.Fatalf("parse event: %v\n%s", err, data)
	}
	return &ev
}

// record builds a successful CloudTrail record.
func record(source, name, region, request, response string) string {
	if request == "" {
		request = "null"
	}
	if response == "" {
		response = "null"
	}
	return `{"eventID":"ev-1","eventSource":"` + source + `","eventName":"` + name + `","awsRegion":"` + region +
		`","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u"},` +
		`"requestParameters":` + request + `,"responseElements":` + response + `,"errorCode":null}`
}

// decided is one (resource, decision) of an event, offline.
type decided struct {
	id     string
	status finding.Status
}

// evaluate runs the whole offline path of a rule on an event.
func evaluate(t testing.TB, r Rule, ev *cloudtrail.Event) ([]resource.State, []Decision) {
	t.Helper()
	var ds []Decision
	states := r.FromEvent(ev)
	for _, s := range states {
		d := r.Decide(s)
		checkDecision(t, r, s, d)
		ds = append(ds, d)
	}
	return states, ds
}

// checkDecision holds for every decision: a valid status and a reason.
func checkDecision(t testing.TB, r Rule, s resource.State, d Decision) {
	t.Helper()
	if !d.Status.Valid() {
		t.Errorf("%s on %s: got status %q; want one of the four", r.Name(), s.ID, d.Status)
	}
	if strings.TrimSpace(d.Reason) == "" {
		t.Errorf("%s on %s: got an empty reason; want one a person can act on", r.Name(), s.ID)
	}
}

// TestSampleEvents runs every rule on every sample event offline, and checks
// the decisions expected of each file.
func TestSampleEvents(t *testing.T) {
	const (
		model    = "sagemaker-model-in-vpc"
		notebook = "sagemaker-notebook-no-direct-internet-access"
		endpoint = "sagemaker-vpc-endpoint-private-dns"
		domain   = "sagemaker-studio-domain-vpc-only"
		job      = "sagemaker-job-in-vpc"
		url      = "sagemaker-presigned-url-via-vpc-endpoint"
		isolated = "sagemaker-model-network-isolation"
		multiAZ  = "sagemaker-model-vpc-multi-az"
		path     = "sagemaker-vpc-private-path-complete"
		// The sample events' VPCs and subnets: the ml-platform VPC, where
		// subnet-0aaa1111bbbb2222c is, and the sandbox VPC.
		platformVPC = "vpc-0123456789abcdef0"
		sandboxVPC  = "vpc-0fedcba9876543210"
	)
	type want struct {
		rule   string
		id     string
		status finding.Status
	}
	expected := map[string][]want{
		"cloudtrail-log-file.json": {
			{isolated, "churn-xgb-public", finding.NonCompliant},
			{model, "churn-xgb-public", finding.NonCompliant},
			{multiAZ, "churn-xgb-public", finding.NotApplicable},
			{notebook, "research-private", finding.Compliant},
			{endpoint, "vpce-0a1b2c3d4e5f60004", finding.NotApplicable},
			{path, platformVPC, finding.InsufficientData},
		},
		// Offline, a VPC's other endpoints and models are unknown: rule 6 only names what it would read.
		"endpoint-create-api-private-dns-off.json":         {{endpoint, "vpce-0a1b2c3d4e5f60001", finding.NonCompliant}, {path, platformVPC, finding.InsufficientData}},
		"endpoint-create-notebook-no-api.json":             {{endpoint, "vpce-0a1b2c3d4e5f60006", finding.Compliant}, {path, sandboxVPC, finding.InsufficientData}},
		"endpoint-create-notebook-private-dns-off.json":    {{endpoint, "vpce-0a1b2c3d4e5f60003", finding.NonCompliant}, {path, platformVPC, finding.InsufficientData}},
		"endpoint-create-runtime-private-dns-default.json": {{endpoint, "vpce-0a1b2c3d4e5f60002", finding.Compliant}, {path, platformVPC, finding.InsufficientData}},
		"endpoint-create-s3-gateway.json":                  {{endpoint, "vpce-0a1b2c3d4e5f60004", finding.NotApplicable}, {path, platformVPC, finding.InsufficientData}},
		"endpoint-create-ssm-private-dns-off.json":         {{endpoint, "vpce-0a1b2c3d4e5f60005", finding.NotApplicable}}, // ssm is no part of SageMaker's path
		// DeleteVpcEndpoints names the endpoint, not its VPC.
		"endpoint-delete.json":                 {{endpoint, "vpce-0a1b2c3d4e5f60001", finding.NotApplicable}, {path, "vpce-0a1b2c3d4e5f60001", finding.InsufficientData}},
		"endpoint-modify-private-dns-off.json": {{endpoint, "vpce-0a1b2c3d4e5f60002", finding.InsufficientData}},
		"model-create-denied.json":             nil, // failed call: no rule handles it
		"model-create-empty-subnets.json": {
			{isolated, "fraud-empty-subnets", finding.NonCompliant},
			{model, "fraud-empty-subnets", finding.NonCompliant},
			{multiAZ, "fraud-empty-subnets", finding.NotApplicable},
		},
		// CreateModel names the model's subnets, not their VPC or zones.
		"model-create-in-vpc.json": {
			{isolated, "churn-xgb-private", finding.NonCompliant},
			{model, "churn-xgb-private", finding.Compliant},
			{multiAZ, "churn-xgb-private", finding.InsufficientData},
			{path, "subnet-0aaa1111bbbb2222c", finding.InsufficientData},
		},
		"model-create-network-isolation.json": {
			{isolated, "fraud-isolated", finding.Compliant},
			{model, "fraud-isolated", finding.Compliant},
			{multiAZ, "fraud-isolated", finding.InsufficientData},
			{path, "subnet-0aaa1111bbbb2222c", finding.InsufficientData},
		},
		"model-create-no-vpc.json": {
			{isolated, "churn-xgb-public", finding.NonCompliant},
			{model, "churn-xgb-public", finding.NonCompliant},
			{multiAZ, "churn-xgb-public", finding.NotApplicable},
		},
		"model-create-one-az.json": {
			{isolated, "forecast-one-az", finding.NonCompliant},
			{model, "forecast-one-az", finding.Compliant},
			{multiAZ, "forecast-one-az", finding.InsufficientData}, // two subnets: their zones are EC2's to tell
			{path, "subnet-0aaa1111bbbb2222c", finding.InsufficientData},
		},
		"model-create-one-subnet.json": {
			{isolated, "sandbox-scoring", finding.NonCompliant},
			{model, "sandbox-scoring", finding.Compliant},
			{multiAZ, "sandbox-scoring", finding.NonCompliant}, // one subnet: one zone, from the event alone
			{path, "subnet-0fff7777aaaa8888e", finding.InsufficientData},
		},
		"model-delete.json": {
			{isolated, "churn-xgb-public", finding.NotApplicable},
			{model, "churn-xgb-public", finding.NotApplicable},
			{multiAZ, "churn-xgb-public", finding.NotApplicable},
		},
		"notebook-create-internet-enabled.json":  {{notebook, "research-open", finding.NonCompliant}},
		"notebook-create-internet-omitted.json":  {{notebook, "quickstart-default", finding.NonCompliant}},
		"notebook-create-private.json":           {{notebook, "research-private", finding.Compliant}},
		"notebook-start.json":                    {{notebook, "research-open", finding.InsufficientData}},
		"domain-create-network-omitted.json":     {{domain, "d-7wq2m5ks0bxa", finding.NonCompliant}},
		"domain-create-public.json":              {{domain, "d-4hzp1c9r6tye", finding.NonCompliant}},
		"domain-create-vpc-only.json":            {{domain, "d-8n3kq7x2v5wm", finding.Compliant}},
		"domain-update-public.json":              {{domain, "d-1x7v3n9q2pkr", finding.NonCompliant}},
		"domain-update-settings.json":            {{domain, "d-8n3kq7x2v5wm", finding.InsufficientData}},
		"job-automl-in-vpc.json":                 {{job, "automl-job/fraud-autopilot", finding.Compliant}},
		"job-automl-v2-no-vpc.json":              {{job, "automl-job/churn-autopilot", finding.NonCompliant}},
		"job-processing-pipeline-step.json":      {{job, "processing-job/pipelines-x7k2m9-preprocess-4d1e8b", finding.NonCompliant}},
		"job-training-in-vpc.json":               {{job, "training-job/churn-train-private", finding.Compliant}},
		"job-training-no-vpc.json":               {{job, "training-job/churn-train-public", finding.NonCompliant}},
		"job-training-tuning-child.json":         {{job, "training-job/churn-hpo-001-6f3c2a1b", finding.NonCompliant}},
		"job-tuning-definition-without-vpc.json": {{job, "hyper-parameter-tuning-job/churn-hpo", finding.NonCompliant}},
		"presigned-domain-url-public-ip.json":    {{url, "user-profile/d-4hzp1c9r6tye/dave", finding.NonCompliant}},
		"presigned-domain-url-sso-role.json":     {{url, "user-profile/d-4hzp1c9r6tye/grace", finding.NonCompliant}},
		"presigned-domain-url-via-endpoint.json": {{url, "user-profile/d-8n3kq7x2v5wm/alice", finding.Compliant}},
		"presigned-notebook-url-private-ip.json": {{url, "notebook-instance/research-private", finding.Compliant}},
		"presigned-notebook-url-public-ip.json":  {{url, "notebook-instance/research-open", finding.NonCompliant}},
	}
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("glob ../../events/*.json: got %d files, %v; want the samples", len(files), err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			wants, ok := expected[name]
			if !ok {
				t.Fatalf("no expectations for %s: add them to this table", name)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			events, err := cloudtrail.Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var got []want
			for i := range events {
				for _, r := range All() {
					if !Handles(r, &events[i]) {
						continue
					}
					states, ds := evaluate(t, r, &events[i])
					for j, s := range states {
						got = append(got, want{r.Name(), s.ID, ds[j].Status})
						if s.Account != "123456789012" || s.Region != "us-east-1" {
							t.Errorf("%s: got account %q region %q; want 123456789012 us-east-1", s.ID, s.Account, s.Region)
						}
						if s.Kind != r.Kind() {
							t.Errorf("%s: got kind %q; want %q", s.ID, s.Kind, r.Kind())
						}
					}
				}
			}
			if len(got) != len(wants) {
				t.Fatalf("decisions: got %v; want %v", got, wants)
			}
			for i := range wants {
				if got[i] != wants[i] {
					t.Errorf("decision %d: got %v; want %v", i, got[i], wants[i])
				}
			}
		})
	}
	for name := range expected {
		if _, err := os.Stat(filepath.Join("../../events", name)); err != nil {
			t.Errorf("expected sample %s: %v", name, err)
		}
	}
}

func TestHandles(t *testing.T) {
	sm := "sagemaker.amazonaws.com"
	ec2 := "ec2.amazonaws.com"
	failed := func(source, name string) string {
		return `{"eventSource":"` + source + `","eventName":"` + name + `","errorCode":"AccessDenied","requestParameters":{"modelName":"m"}}`
	}
	tests := []struct {
		name  string
		event string
		want  map[string]bool // rule name → handles
	}{
		{"CreateModel", record(sm, "CreateModel", "us-east-1", `{"modelName":"m"}`, ""), map[string]bool{"sagemaker-model-in-vpc": true,
			"sagemaker-model-network-isolation": true, "sagemaker-model-vpc-multi-az": true, "sagemaker-vpc-private-path-complete": true}},
		// DeleteModel cannot tell which VPC the model left: not a trigger of the VPC rule.
		{"DeleteModel", record(sm, "DeleteModel", "us-east-1", `{"modelName":"m"}`, ""), map[string]bool{"sagemaker-model-in-vpc": true,
			"sagemaker-model-network-isolation": true, "sagemaker-model-vpc-multi-az": true}},
		{"CreateNotebookInstance", record(sm, "CreateNotebookInstance", "us-east-1", "", ""), map[string]bool{"sagemaker-notebook-no-direct-internet-access": true}},
		{"StartNotebookInstance", record(sm, "StartNotebookInstance", "us-east-1", "", ""), map[string]bool{"sagemaker-notebook-no-direct-internet-access": true}},
		{"UpdateNotebookInstance", record(sm, "UpdateNotebookInstance", "us-east-1", "", ""), map[string]bool{"sagemaker-notebook-no-direct-internet-access": true}},
		{"DeleteNotebookInstance", record(sm, "DeleteNotebookInstance", "us-east-1", "", ""), map[string]bool{"sagemaker-notebook-no-direct-internet-access": true}},
		{"CreateVpcEndpoint", record(ec2, "CreateVpcEndpoint", "us-east-1", "", ""), map[string]bool{"sagemaker-vpc-endpoint-private-dns": true, "sagemaker-vpc-private-path-complete": true}},
		// ModifyVpcEndpoint adds or removes no endpoint: not a trigger of the VPC rule.
		{"ModifyVpcEndpoint", record(ec2, "ModifyVpcEndpoint", "us-east-1", "", ""), map[string]bool{"sagemaker-vpc-endpoint-private-dns": true}},
		{"DeleteVpcEndpoints", record(ec2, "DeleteVpcEndpoints", "us-east-1", "", ""), map[string]bool{"sagemaker-vpc-endpoint-private-dns": true, "sagemaker-vpc-private-path-complete": true}},
		{"CreateDomain", record(sm, "CreateDomain", "us-east-1", "", ""), map[string]bool{"sagemaker-studio-domain-vpc-only": true}},
		{"UpdateDomain", record(sm, "UpdateDomain", "us-east-1", "", ""), map[string]bool{"sagemaker-studio-domain-vpc-only": true}},
		{"DeleteDomain", record(sm, "DeleteDomain", "us-east-1", "", ""), map[string]bool{"sagemaker-studio-domain-vpc-only": true}},
		{"CreateTrainingJob", record(sm, "CreateTrainingJob", "us-east-1", "", ""), map[string]bool{"sagemaker-job-in-vpc": true}},
		{"CreateProcessingJob", record(sm, "CreateProcessingJob", "us-east-1", "", ""), map[string]bool{"sagemaker-job-in-vpc": true}},
		{"CreateHyperParameterTuningJob", record(sm, "CreateHyperParameterTuningJob", "us-east-1", "", ""), map[string]bool{"sagemaker-job-in-vpc": true}},
		{"CreateAutoMLJob", record(sm, "CreateAutoMLJob", "us-east-1", "", ""), map[string]bool{"sagemaker-job-in-vpc": true}},
		{"CreateAutoMLJobV2", record(sm, "CreateAutoMLJobV2", "us-east-1", "", ""), map[string]bool{"sagemaker-job-in-vpc": true}},
		{"CreatePresignedDomainUrl", record(sm, "CreatePresignedDomainUrl", "us-east-1", "", ""), map[string]bool{"sagemaker-presigned-url-via-vpc-endpoint": true}},
		{"CreatePresignedNotebookInstanceUrl", record(sm, "CreatePresignedNotebookInstanceUrl", "us-east-1", "", ""), map[string]bool{"sagemaker-presigned-url-via-vpc-endpoint": true}},
		{"StopTrainingJob (vpcguard's own stop)", record(sm, "StopTrainingJob", "us-east-1", "", ""), nil},
		{"failed CreateTrainingJob", failed(sm, "CreateTrainingJob"), nil},
		{"failed CreatePresignedDomainUrl", failed(sm, "CreatePresignedDomainUrl"), nil},
		{"failed CreateModel", failed(sm, "CreateModel"), nil},
		{"failed CreateNotebookInstance", failed(sm, "CreateNotebookInstance"), nil},
		{"failed CreateVpcEndpoint", failed(ec2, "CreateVpcEndpoint"), nil},
		{"failed ModifyVpcEndpoint", failed(ec2, "ModifyVpcEndpoint"), nil},
		{"untriggered SageMaker call", record(sm, "DescribeModel", "us-east-1", "", ""), nil},
		{"right name, wrong source", record(ec2, "CreateModel", "us-east-1", "", ""), nil},
		{"eventName in another case", record(sm, "createmodel", "us-east-1", "", ""), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := parse(t, tt.event)
			for _, r := range All() {
				if got := Handles(r, ev); got != tt.want[r.Name()] {
					t.Errorf("Handles(%s): got %v; want %v", r.Name(), got, tt.want[r.Name()])
				}
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	all := All()
	names := Names(all)
	seen := map[string]bool{}
	for i, r := range all {
		if names[i] != r.Name() {
			t.Errorf("Names()[%d]: got %q; want %q", i, names[i], r.Name())
		}
		if seen[r.Name()] {
			t.Errorf("rule %s: registered twice", r.Name())
		}
		seen[r.Name()] = true
		if got := ByName(r.Name()); got == nil || got.Name() != r.Name() {
			t.Errorf("ByName(%q): got %v; want the rule", r.Name(), got)
		}
		if sev := r.Severity(); sev != "HIGH" && sev != "MEDIUM" && sev != "LOW" && sev != "CRITICAL" {
			t.Errorf("%s Severity(): got %q; want an ASFF label", r.Name(), sev)
		}
		if !r.DefaultMode().Valid() {
			t.Errorf("%s DefaultMode(): got %q; want report, ticket or enforce", r.Name(), r.DefaultMode())
		}
		if len(r.Triggers()) == 0 {
			t.Errorf("%s Triggers(): none; want at least one", r.Name())
		}
		for _, tr := range r.Triggers() {
			if !strings.HasSuffix(tr.Source, ".amazonaws.com") || len(tr.Names) == 0 {
				t.Errorf("%s Triggers(): got %+v; want an eventSource and names", r.Name(), tr)
			}
		}
		if d := r.Doc(); strings.TrimSpace(d.Breaks) == "" || strings.TrimSpace(d.Enforce) == "" {
			t.Errorf("%s Doc(): got %+v; want what breaks it and what enforce does", r.Name(), d)
		}
		for _, st := range r.Guardrail() {
			if st.Sid == "" || len(st.Actions) == 0 || len(st.Conditions) == 0 {
				t.Errorf("%s guardrail statement %+v: want a Sid, actions and conditions (an unconditional deny blocks the compliant call too)", r.Name(), st)
			}
		}
	}
	if ByName("nope") != nil {
		t.Errorf("ByName of an unknown: got a rule; want nil")
	}
}

// TestGuardsTable: every rule runs in exactly one guard function, and a guard
// function runs rules only.
func TestGuardsTable(t *testing.T) {
	runs := map[string]string{}
	for _, fn := range Guards() {
		if fn.Name == "" || fn.Description == "" || len(fn.Rules) == 0 {
			t.Errorf("guard %+v: want a name, a description and rules", fn)
		}
		if got, ok := Guard(fn.Name); !ok || got.Name != fn.Name {
			t.Errorf("Guard(%q): got %v, %v; want the function", fn.Name, got.Name, ok)
		}
		for _, r := range fn.Rules {
			if other, ok := runs[r.Name()]; ok {
				t.Errorf("rule %s runs in %s and %s; want one guard", r.Name(), other, fn.Name)
			}
			runs[r.Name()] = fn.Name
		}
	}
	for _, r := range All() {
		if runs[r.Name()] == "" {
			t.Errorf("rule %s runs in no guard function: add it to Guards()", r.Name())
		}
	}
	if _, ok := Guard("nope"); ok {
		t.Errorf("Guard of an unknown: got one")
	}
}

// TestDeletingRulesComeLast: rules are remediated in catalogue order, so a
// rule that may delete its resource comes after every other rule of its
// kind that remedies it, in All() and in each guard's row; otherwise those
// would tag a resource already gone. (A rule that only tickets may come
// after: a ticket on a deleted resource says so.)
func TestDeletingRulesComeLast(t *testing.T) {
	rows := [][]Rule{All()}
	for _, fn := range Guards() {
		rows = append(rows, fn.Rules)
	}
	for _, rs := range rows {
		for i, r := range rs {
			if !slices.Contains(r.Remedies(), DeleteModel) {
				continue
			}
			for _, later := range rs[i+1:] {
				if later.Kind() == r.Kind() && len(later.Remedies()) > 0 {
					t.Errorf("%s comes after %s, whose remedies may delete the %s: want it before", later.Name(), r.Name(), r.Kind())
				}
			}
		}
	}
}

// TestTriggersMerge: one function's triggers are merged by source, each name once.
func TestTriggersMerge(t *testing.T) {
	got := Triggers([]Rule{ModelInVPC{}, NotebookNoDirectInternet{}, EndpointPrivateDNS{}, ModelInVPC{}})
	want := []Trigger{
		{Source: "sagemaker.amazonaws.com", Names: []string{"CreateModel", "DeleteModel", "CreateNotebookInstance", "StartNotebookInstance", "UpdateNotebookInstance", "DeleteNotebookInstance"}},
		{Source: "ec2.amazonaws.com", Names: []string{"CreateVpcEndpoint", "ModifyVpcEndpoint", "DeleteVpcEndpoints"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Triggers = %+v; want %+v", got, want)
	}
	// Calls that may be read-only go to a trigger of their own: their
	// EventBridge rule takes another state.
	got = Triggers([]Rule{ModelInVPC{}, PresignedURLViaEndpoint{}})
	want = []Trigger{
		{Source: "sagemaker.amazonaws.com", Names: []string{"CreateModel", "DeleteModel"}},
		{Source: "sagemaker.amazonaws.com", Names: []string{"CreatePresignedDomainUrl", "CreatePresignedNotebookInstanceUrl"}, AllManagementEvents: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Triggers(model, presigned) = %+v; want %+v", got, want)
	}
	if !NeedReadEvents(All()) || NeedReadEvents([]Rule{ModelInVPC{}, JobInVPC{}}) {
		t.Errorf("NeedReadEvents: got %v for the catalogue, %v for model and job; want true, false",
			NeedReadEvents(All()), NeedReadEvents([]Rule{ModelInVPC{}, JobInVPC{}}))
	}
	if got := EventBridgeSource("sagemaker.amazonaws.com"); got != "aws.sagemaker" {
		t.Errorf("EventBridgeSource = %q; want aws.sagemaker", got)
	}
}

// TestGuardrailPolicy: the statements of the given rules, in their order;
// none for rules without a guardrail; every rule's together fit one policy.
func TestGuardrailPolicy(t *testing.T) {
	if _, ok := GuardrailPolicy([]Rule{EndpointPrivateDNS{}}); ok {
		t.Errorf("GuardrailPolicy(endpoint rule): ok; want none (no condition key for private DNS)")
	}
	p, ok := GuardrailPolicy([]Rule{NotebookNoDirectInternet{}, ModelInVPC{}})
	if !ok {
		t.Fatalf("GuardrailPolicy(notebook, model): not ok")
	}
	var sids []string
	for _, st := range p.Statements {
		sids = append(sids, st.Sid)
	}
	if want := []string{"DenyNotebookDirectInternet", "DenyNotebookWithoutVpc", "DenyModelWithoutVpc"}; !reflect.DeepEqual(sids, want) {
		t.Errorf("statements = %v; want %v", sids, want)
	}
	all, _ := GuardrailPolicy(All())
	if n := len(all.Document()); n > guardrail.MaxSize {
		t.Errorf("every rule's guardrail: %d characters; IAM allows %d in one policy", n, guardrail.MaxSize)
	}
	enforced := Enforced(All(), func(r Rule) mode.Mode {
		if r.Name() == "sagemaker-model-in-vpc" {
			return mode.Enforce
		}
		return mode.Ticket
	})
	if got := Names(enforced); !reflect.DeepEqual(got, []string{"sagemaker-model-in-vpc"}) {
		t.Errorf("Enforced = %v; want the model rule only", got)
	}
}

// TestMissingAndUnknownStates: whatever the rule, a resource that no
// longer exists is NOT_APPLICABLE, and a state with nothing known is
// INSUFFICIENT_DATA.
func TestMissingAndUnknownStates(t *testing.T) {
	for _, r := range All() {
		gone := resource.State{Ref: resource.Ref{Kind: r.Kind(), ID: "x-1"}, Missing: true}
		if d := r.Decide(gone); d.Status != finding.NotApplicable || !strings.Contains(d.Reason, "x-1") {
			t.Errorf("%s on a missing resource: got %v; want NOT_APPLICABLE naming x-1", r.Name(), d)
		}
		unknown := resource.State{Ref: resource.Ref{Kind: r.Kind(), ID: "x-2"}}
		if d := r.Decide(unknown); IsEventOnly(r) {
			// Online reads nothing for it: no advice to evaluate online.
			if d.Status != finding.InsufficientData || strings.Contains(d.Reason, "evaluate online") {
				t.Errorf("%s on an unknown state: got %v; want INSUFFICIENT_DATA", r.Name(), d)
			}
		} else if d.Status != finding.InsufficientData || !strings.Contains(d.Reason, "evaluate online") {
			t.Errorf("%s on an unknown state: got %v; want INSUFFICIENT_DATA telling to evaluate online", r.Name(), d)
		}
	}
}

// TestKindsDeclareEveryRemedy: every kind a rule judges declares its reads,
// and the calls of every remedy the rule uses, so the stack can grant them.
func TestKindsDeclareEveryRemedy(t *testing.T) {
	for _, r := range All() {
		ops, ok := OpsOf(r.Kind())
		if !ok {
			t.Errorf("%s: kind %s declares no ops (rules.Kinds)", r.Name(), r.Kind())
			continue
		}
		switch {
		case IsEventOnly(r) && (len(ops.Read) > 0 || len(ops.List) > 0):
			t.Errorf("%s: judges calls, but kind %s declares read or list ops: the stack would grant calls nothing makes", r.Name(), r.Kind())
		case !IsEventOnly(r) && (len(ops.Read) == 0 || len(ops.List) == 0):
			t.Errorf("%s: kind %s declares no read or no list ops", r.Name(), r.Kind())
		}
		for _, remedy := range r.Remedies() {
			if len(ops.Remedies[remedy]) == 0 {
				t.Errorf("%s: remedy %s declares no ops on %s", r.Name(), remedy, r.Kind())
			}
		}
		for _, d := range DetailsOf(r) {
			if len(DetailOps(d)) == 0 {
				t.Errorf("%s: detail %s declares no ops", r.Name(), d)
			}
		}
	}
	for _, k := range Kinds() {
		for _, op := range append(append(append([]Op{}, k.Read...), k.List...), flatten(k.Remedies)...) {
			if !strings.Contains(op.Action, ":") || (op.Resource != "*" && !strings.HasPrefix(op.Resource, "arn:${AWS::Partition}:")) {
				t.Errorf("%s: op %+v: want service:Action on \"*\" or an ARN pattern in the function's partition", k.Kind, op)
			}
		}
	}
}

func flatten(m map[Remedy][]Op) []Op {
	var out []Op
	for _, ops := range m {
		out = append(out, ops...)
	}
	return out
}
