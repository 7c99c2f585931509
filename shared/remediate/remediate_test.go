package remediate

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

const (
	mlEngineer = "arn:aws:iam::" + acct + ":role/MLEngineer" // the role behind the sample events' assumed-role session
	carol      = "arn:aws:iam::" + acct + ":user/carol"      // the IAM user of model-create-empty-subnets.json
)

// TestGuardrailAttachment runs the model remediation for callers of every
// kind and checks, in IAM, what got attached.
func TestGuardrailAttachment(t *testing.T) {
	tests := []struct {
		name       string
		event      string
		replace    []string // rewrites the sample event's caller
		protected  []string
		seed       func(e *testenv.Env)
		wantOut    finding.Outcome
		wantDetail string
		attached   func(e *testenv.Env) []string // what IAM says is attached afterwards
		wantGR     bool                          // whether the guardrail must be among them
	}{
		{name: "role behind an assumed-role session", event: "model-create-no-vpc.json",
			seed:    func(e *testenv.Env) { role(e, "/", "MLEngineer") },
			wantOut: finding.Done, wantDetail: "attached ",
			attached: func(e *testenv.Env) []string { return e.RolePolicies("MLEngineer") }, wantGR: true},
		{name: "IAM user", event: "model-create-empty-subnets.json",
			seed:    func(e *testenv.Env) { user(e, "carol") },
			wantOut: finding.Done, wantDetail: "attached ",
			attached: func(e *testenv.Env) []string { return e.UserPolicies("carol") }, wantGR: true},
		{name: "protected by pattern", event: "model-create-no-vpc.json", protected: []string{"arn:aws:iam::*:role/ML*"},
			seed:    func(e *testenv.Env) { role(e, "/", "MLEngineer") },
			wantOut: finding.Skipped, wantDetail: "protected (matches arn:aws:iam::*:role/ML*)",
			attached: func(e *testenv.Env) []string { return e.RolePolicies("MLEngineer") }},
		{name: "root user", event: "model-create-empty-subnets.json",
			replace: []string{`"type": "IAMUser"`, `"type": "Root"`, carol, "arn:aws:iam::" + acct + ":root"},
			wantOut: finding.Skipped, wantDetail: "root user",
			attached: func(e *testenv.Env) []string { return nil }},
		{name: "service-linked role", event: "model-create-no-vpc.json",
			replace: []string{mlEngineer, "arn:aws:iam::" + acct + ":role/aws-service-role/sagemaker.amazonaws.com/AWSServiceRoleForAmazonSageMakerNotebooks"},
			seed: func(e *testenv.Env) {
				role(e, "/aws-service-role/sagemaker.amazonaws.com/", "AWSServiceRoleForAmazonSageMakerNotebooks")
			},
			wantOut: finding.Skipped, wantDetail: "service-linked role",
			attached: func(e *testenv.Env) []string { return e.RolePolicies("AWSServiceRoleForAmazonSageMakerNotebooks") }},
		{name: "IAM Identity Center role", event: "model-create-no-vpc.json",
			replace: []string{mlEngineer, "arn:aws:iam::" + acct + ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScience_0123456789abcdef"},
			seed: func(e *testenv.Env) {
				role(e, "/aws-reserved/sso.amazonaws.com/", "AWSReservedSSO_DataScience_0123456789abcdef")
			},
			wantOut: finding.Skipped, wantDetail: "IAM Identity Center role",
			attached: func(e *testenv.Env) []string { return e.RolePolicies("AWSReservedSSO_DataScience_0123456789abcdef") }},
		{name: "caller deleted since", event: "model-create-no-vpc.json",
			wantOut: finding.Skipped, wantDetail: "no longer exists",
			attached: func(e *testenv.Env) []string { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.seed != nil {
				tt.seed(e)
			}
			e.Model(testenv.SampleEvent(t, tt.event).Request.Get("modelName").String(), false, nil)
			cfg := enforceConfig(e)
			cfg.ProtectedPrincipals = tt.protected
			res := evaluateOne(e, evaluator(e, cfg, nil), tt.event, tt.replace...)
			if res.Finding.Status != finding.NonCompliant {
				t.Fatalf("Status = %s; want NON_COMPLIANT", res.Finding.Status)
			}
			if err := remediator(e, cfg, nil, nil).Remediate(context.Background(), &res); err != nil {
				t.Fatalf("Remediate: %v", err)
			}
			a := action(t, res.Finding, "attach-guardrail")
			if a.Outcome != tt.wantOut || !strings.Contains(a.Detail, tt.wantDetail) {
				t.Errorf("attach-guardrail = %s %q; want %s containing %q", a.Outcome, a.Detail, tt.wantOut, tt.wantDetail)
			}
			if a.Target != res.Finding.Principal {
				t.Errorf("attach-guardrail target = %q; want the principal %q", a.Target, res.Finding.Principal)
			}
			got := tt.attached(e)
			if has := slices.Contains(got, e.Guardrail); has != tt.wantGR {
				t.Errorf("attached policies = %v; want guardrail attached = %v", got, tt.wantGR)
			}
			if !tt.wantGR && len(e.Recorder.Inputs("AttachRolePolicy"))+len(e.Recorder.Inputs("AttachUserPolicy")) != 0 {
				t.Errorf("an Attach*Policy call was sent; want none")
			}
		})
	}
}

// TestGuardrailIdempotent: three deliveries of one event leave one
// attachment; the later ones find it and do nothing.
func TestGuardrailIdempotent(t *testing.T) {
	e := newEnv(t)
	role(e, "/", "MLEngineer")
	e.Model("churn-xgb-public", false, nil)
	cfg := enforceConfig(e)
	ev, rem := evaluator(e, cfg, nil), remediator(e, cfg, nil, nil)
	want := []finding.Outcome{finding.Done, finding.Skipped, finding.Skipped}
	for i, w := range want {
		res := evaluateOne(e, ev, "model-create-no-vpc.json")
		if err := rem.Remediate(context.Background(), &res); err != nil {
			t.Fatalf("delivery %d: Remediate: %v", i+1, err)
		}
		if a := action(t, res.Finding, "attach-guardrail"); a.Outcome != w {
			t.Errorf("delivery %d: attach-guardrail = %s %q; want %s", i+1, a.Outcome, a.Detail, w)
		}
		if i > 0 {
			if a := action(t, res.Finding, "tag"); a.Outcome != finding.Skipped {
				t.Errorf("delivery %d: tag = %s; want skipped (already tagged)", i+1, a.Outcome)
			}
		}
		// Done now or found in place, the guardrail and the tag hold it.
		if want := []finding.Measure{finding.GuardrailAttached, finding.Tagged}; !res.Finding.Contained || !slices.Equal(res.Finding.Containment, want) {
			t.Errorf("delivery %d: contained %v %v; want true %v", i+1, res.Finding.Contained, res.Finding.Containment, want)
		}
	}
	if got := e.RolePolicies("MLEngineer"); len(got) != 1 || got[0] != e.Guardrail {
		t.Errorf("attached = %v; want exactly [%s]", got, e.Guardrail)
	}
	if n := len(e.Recorder.Inputs("AttachRolePolicy")); n != 1 {
		t.Errorf("AttachRolePolicy calls = %d; want 1", n)
	}
	if n := len(e.Recorder.Inputs("AddTags")); n != 1 {
		t.Errorf("AddTags calls = %d; want 1", n)
	}
}

// TestGuardrailNotConfigured: without a policy ARN nothing is attached, and
// the action names the variable to set.
func TestGuardrailNotConfigured(t *testing.T) {
	e := newEnv(t)
	role(e, "/", "MLEngineer")
	e.Model("churn-xgb-public", false, nil)
	cfg := enforceConfig(e)
	cfg.GuardrailARN = ""
	res := evaluateOne(e, evaluator(e, cfg, nil), "model-create-no-vpc.json")
	if err := remediator(e, cfg, nil, nil).Remediate(context.Background(), &res); err != nil {
		t.Fatalf("Remediate: %v", err)
	}
	if a := action(t, res.Finding, "attach-guardrail"); a.Outcome != finding.Skipped || !strings.Contains(a.Detail, "VPCGUARD_GUARDRAIL_ARN") {
		t.Errorf("attach-guardrail = %s %q; want skipped naming VPCGUARD_GUARDRAIL_ARN", a.Outcome, a.Detail)
	}
	if got := e.RolePolicies("MLEngineer"); len(got) != 0 {
		t.Errorf("attached = %v; want none", got)
	}
}

// TestModelRemediation: a model outside a VPC is tagged with the rule it
// broke; deleting it is opt-in and refused while an endpoint config uses it.
func TestModelRemediation(t *testing.T) {
	const modelARN = "arn:aws:sagemaker:us-east-1:" + acct + ":model/churn-xgb-public"
	tests := []struct {
		name         string
		deleteOptIn  bool
		endpointConf bool
		wantDelete   finding.Outcome // "" when no delete-model action is expected
		wantExists   bool
	}{
		{name: "tag only by default", wantExists: true},
		{name: "opt-in deletes an unused model", deleteOptIn: true, wantDelete: finding.Done},
		{name: "opt-in refused while an endpoint config uses it", deleteOptIn: true, endpointConf: true, wantDelete: finding.Skipped, wantExists: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			role(e, "/", "MLEngineer")
			e.Model("churn-xgb-public", false, nil)
			if tt.endpointConf {
				if _, err := e.SageMaker.CreateEndpointConfig(context.Background(), &sagemaker.CreateEndpointConfigInput{EndpointConfigName: aws.String("churn-prod"),
					ProductionVariants: []smtypes.ProductionVariant{{VariantName: aws.String("main"), ModelName: aws.String("churn-xgb-public"),
						InstanceType: smtypes.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}}}); err != nil {
					t.Fatalf("create endpoint config: %v", err)
				}
			}
			cfg := enforceConfig(e)
			cfg.DeleteNoncompliantModels = tt.deleteOptIn
			res := evaluateOne(e, evaluator(e, cfg, nil), "model-create-no-vpc.json")
			if err := remediator(e, cfg, nil, nil).Remediate(context.Background(), &res); err != nil {
				t.Fatalf("Remediate: %v", err)
			}
			if a := action(t, res.Finding, "tag"); a.Outcome != finding.Done || a.Target != modelARN {
				t.Errorf("tag = %s on %s; want done on %s", a.Outcome, a.Target, modelARN)
			}
			if tt.wantDelete == "" {
				if hasAction(res.Finding, "delete-model") {
					t.Errorf("a delete-model action was recorded; want none without the opt-in")
				}
			} else if a := action(t, res.Finding, "delete-model"); a.Outcome != tt.wantDelete {
				t.Errorf("delete-model = %s %q; want %s", a.Outcome, a.Detail, tt.wantDelete)
			} else if tt.endpointConf && !strings.Contains(a.Detail, "churn-prod") {
				t.Errorf("delete-model detail = %q; want it to name endpoint config churn-prod", a.Detail)
			}
			_, err := e.SageMaker.DescribeModel(context.Background(), &sagemaker.DescribeModelInput{ModelName: aws.String("churn-xgb-public")})
			if exists := err == nil; exists != tt.wantExists {
				t.Errorf("model exists = %v (%v); want %v", exists, err, tt.wantExists)
			}
			if tt.wantExists {
				if got := e.SageMakerTags(modelARN)["vpcguard:finding"]; got != "sagemaker-model-in-vpc" {
					t.Errorf("tag vpcguard:finding = %q; want sagemaker-model-in-vpc", got)
				}
			}
		})
	}
}

// TestNotebookStop: an InService notebook with direct internet access is
// stopped, its owner's role gets the guardrail, and it is tagged.
func TestNotebookStop(t *testing.T) {
	e := newEnv(t)
	role(e, "/", "DataScientist")
	e.Notebook("research-open", smtypes.DirectInternetAccessEnabled, true)
	cfg := enforceConfig(e)
	res := evaluateOne(e, evaluator(e, cfg, nil), "notebook-create-internet-enabled.json")
	if err := remediator(e, cfg, nil, nil).Remediate(context.Background(), &res); err != nil {
		t.Fatalf("Remediate: %v", err)
	}
	if a := action(t, res.Finding, "stop-notebook"); a.Outcome != finding.Done || a.Target != "research-open" {
		t.Errorf("stop-notebook = %s on %q; want done on research-open", a.Outcome, a.Target)
	}
	if got := e.NotebookStatus("research-open"); got != "Stopped" {
		t.Errorf("notebook status = %s; want Stopped", got)
	}
	if got := e.RolePolicies("DataScientist"); !slices.Contains(got, e.Guardrail) {
		t.Errorf("DataScientist policies = %v; want the guardrail %s", got, e.Guardrail)
	}
	if got := e.SageMakerTags(res.State.ARN)["vpcguard:finding"]; got != res.Finding.Rule {
		t.Errorf("tag vpcguard:finding = %q; want %q", got, res.Finding.Rule)
	}
	if want := []finding.Measure{finding.GuardrailAttached, finding.Stopped, finding.Tagged}; !slices.Equal(res.Finding.Containment, want) {
		t.Errorf("containment %v; want %v", res.Finding.Containment, want)
	}

	t.Run("a second delivery finds it stopped", func(t *testing.T) {
		res := evaluateOne(e, evaluator(e, cfg, nil), "notebook-create-internet-enabled.json")
		if err := remediator(e, cfg, nil, nil).Remediate(context.Background(), &res); err != nil {
			t.Fatalf("Remediate: %v", err)
		}
		if a := action(t, res.Finding, "stop-notebook"); a.Outcome != finding.Skipped || a.Detail != "already Stopped" {
			t.Errorf("stop-notebook = %s %q; want skipped \"already Stopped\"", a.Outcome, a.Detail)
		}
		if !slices.Contains(res.Finding.Containment, finding.Stopped) || res.Finding.Status != finding.NonCompliant {
			t.Errorf("%s, containment %v; want NON_COMPLIANT, contained: stopped (by the earlier delivery)", res.Finding.Status, res.Finding.Containment)
		}
		if n := len(e.Recorder.Inputs("StopNotebookInstance")); n != 1 {
			t.Errorf("StopNotebookInstance calls = %d; want 1", n)
		}
	})

	t.Run("StartNotebookInstance stops it again", func(t *testing.T) {
		if _, err := e.SageMaker.StartNotebookInstance(context.Background(), &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String("research-open")}); err != nil {
			t.Fatalf("start notebook: %v", err)
		}
		if got := e.NotebookStatus("research-open"); got != "InService" {
			t.Fatalf("notebook status after start = %s; want InService", got)
		}
		res := evaluateOne(e, evaluator(e, cfg, nil), "notebook-start.json")
		if res.Finding.Status != finding.NonCompliant || res.Finding.EventName != "StartNotebookInstance" {
			t.Fatalf("finding = %s for %s; want NON_COMPLIANT for StartNotebookInstance", res.Finding.Status, res.Finding.EventName)
		}
		if err := remediator(e, cfg, nil, nil).Remediate(context.Background(), &res); err != nil {
			t.Fatalf("Remediate: %v", err)
		}
		if a := action(t, res.Finding, "stop-notebook"); a.Outcome != finding.Done {
			t.Errorf("stop-notebook = %s %q; want done", a.Outcome, a.Detail)
		}
		if got := e.NotebookStatus("research-open"); got != "Stopped" {
			t.Errorf("notebook status = %s; want Stopped", got)
		}
	})
}

// TestNotebookPendingRecheck: a notebook still Pending cannot be stopped, so
// a re-check goes on the queue with a delay; the re-check stops it once it
// is InService, and gives up after the configured attempts.
//
// moto creates notebook instances InService at once: pendingNotebooks fakes
// the Pending status on DescribeNotebookInstance.
func TestNotebookPendingRecheck(t *testing.T) {
	e := newEnv(t)
	role(e, "/", "DataScientist")
	e.Notebook("research-open", smtypes.DirectInternetAccessEnabled, true)
	cfg := enforceConfig(e)
	pending := &testenv.PendingNotebooks{Client: e.SageMaker}
	pending.Set(true)
	queue := &sentMessages{Client: e.SQS}
	ev, rem := evaluator(e, cfg, pending), remediator(e, cfg, nil, queue)
	ctx := context.Background()

	res := evaluateOne(e, ev, "notebook-create-internet-enabled.json")
	if err := rem.Remediate(ctx, &res); err != nil {
		t.Fatalf("Remediate: %v", err)
	}
	if hasAction(res.Finding, "stop-notebook") {
		t.Errorf("a stop-notebook action was recorded for a Pending instance; want a re-check instead: %+v", res.Finding.Actions)
	}
	if a := action(t, res.Finding, "schedule-recheck"); a.Outcome != finding.Done || !strings.Contains(a.Detail, "re-check 1 of 3 in 60s") {
		t.Errorf("schedule-recheck = %s %q; want done, re-check 1 of 3 in 60s", a.Outcome, a.Detail)
	}
	if got := e.NotebookStatus("research-open"); got != "InService" {
		t.Errorf("notebook status = %s; want it left InService (nothing stopped)", got)
	}
	if len(queue.sent) != 1 {
		t.Fatalf("messages sent = %d; want 1", len(queue.sent))
	}
	in := queue.sent[0]
	if in.DelaySeconds != 60 || aws.ToString(in.QueueUrl) != e.RecheckQueueURL {
		t.Errorf("SendMessage DelaySeconds = %d to %s; want 60 to %s", in.DelaySeconds, aws.ToString(in.QueueUrl), e.RecheckQueueURL)
	}
	var msg Recheck
	if err := json.Unmarshal([]byte(aws.ToString(in.MessageBody)), &msg); err != nil {
		t.Fatalf("message body is not a Recheck: %v", err)
	}
	wantMsg := Recheck{Rule: "sagemaker-notebook-no-direct-internet-access", Account: acct, Region: region, Name: "research-open",
		Principal: "arn:aws:iam::" + acct + ":role/DataScientist", EventID: res.Finding.EventID, EventName: "CreateNotebookInstance", Attempt: 1}
	if msg != wantMsg {
		t.Errorf("Recheck = %+v; want %+v", msg, wantMsg)
	}
	// moto keeps the message delayed, as SQS does.
	attrs, err := e.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(e.RecheckQueueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed}})
	if err != nil {
		t.Fatalf("queue attributes: %v", err)
	}
	if got := attrs.Attributes["ApproximateNumberOfMessagesDelayed"]; got != "1" {
		t.Errorf("ApproximateNumberOfMessagesDelayed = %s; want 1", got)
	}

	t.Run("re-check while still Pending schedules the next one", func(t *testing.T) {
		res := recheckState(e, ev, "research-open")
		res.Recheck = 1
		if err := rem.Remediate(ctx, &res); err != nil {
			t.Fatalf("Remediate (re-check): %v", err)
		}
		if a := action(t, res.Finding, "schedule-recheck"); a.Outcome != finding.Done || !strings.Contains(a.Detail, "re-check 2 of 3") {
			t.Errorf("schedule-recheck = %s %q; want done, re-check 2 of 3", a.Outcome, a.Detail)
		}
	})
	t.Run("max attempts gives up", func(t *testing.T) {
		before := len(queue.sent)
		res := recheckState(e, ev, "research-open")
		res.Recheck = cfg.RecheckMaxAttempts
		if err := rem.Remediate(ctx, &res); err != nil {
			t.Fatalf("Remediate (re-check): %v", err)
		}
		a := action(t, res.Finding, "stop-notebook")
		if a.Outcome != finding.Skipped || !strings.Contains(a.Detail, "gave up: still Pending after 3 re-checks") {
			t.Errorf("stop-notebook = %s %q; want skipped, gave up after 3 re-checks", a.Outcome, a.Detail)
		}
		if len(queue.sent) != before {
			t.Errorf("messages sent = %d; want none more after giving up", len(queue.sent)-before)
		}
		if got := e.NotebookStatus("research-open"); got != "InService" {
			t.Errorf("notebook status = %s; want InService", got)
		}
	})
	t.Run("re-check once InService stops it", func(t *testing.T) {
		pending.Set(false)
		before := len(queue.sent)
		res := recheckState(e, ev, "research-open")
		res.Recheck = 2
		if err := rem.Remediate(ctx, &res); err != nil {
			t.Fatalf("Remediate (re-check): %v", err)
		}
		if a := action(t, res.Finding, "stop-notebook"); a.Outcome != finding.Done {
			t.Errorf("stop-notebook = %s %q; want done", a.Outcome, a.Detail)
		}
		if got := e.NotebookStatus("research-open"); got != "Stopped" {
			t.Errorf("notebook status = %s; want Stopped", got)
		}
		if len(queue.sent) != before {
			t.Errorf("messages sent = %d; want no further re-check", len(queue.sent)-before)
		}
	})
	t.Run("without a queue the Pending notebook is reported, not dropped", func(t *testing.T) {
		pending.Set(true)
		c := cfg
		c.RecheckQueueURL = ""
		res := recheckState(e, ev, "research-open")
		res.State.Notebook.Status = "Pending"
		res.Recheck = 1
		if err := remediator(e, c, nil, queue).Remediate(ctx, &res); err != nil {
			t.Fatalf("Remediate (re-check): %v", err)
		}
		if a := action(t, res.Finding, "stop-notebook"); a.Outcome != finding.Skipped || !strings.Contains(a.Detail, "VPCGUARD_RECHECK_QUEUE_URL") {
			t.Errorf("stop-notebook = %s %q; want skipped naming VPCGUARD_RECHECK_QUEUE_URL", a.Outcome, a.Detail)
		}
	})
}

// recheckState evaluates a notebook by name, as a re-check message does.
func recheckState(e *testenv.Env, ev *evaluate.Evaluator, name string) evaluate.Result {
	e.T.Helper()
	rule := rules.ByName("sagemaker-notebook-no-direct-internet-access")
	res, err := ev.State(context.Background(), rule, resource.State{Ref: resource.Ref{Kind: resource.Notebook, ID: name, Account: acct, Region: region}})
	if err != nil {
		e.T.Fatalf("evaluate notebook %s: %v", name, err)
	}
	if res.Finding.Status != finding.NonCompliant {
		e.T.Fatalf("notebook %s: Status = %s; want NON_COMPLIANT", name, res.Finding.Status)
	}
	res.Finding.Principal = "arn:aws:iam::" + acct + ":role/DataScientist"
	return res
}

// TestPrivateDNS: private DNS is turned on only when the VPC can resolve it.
// moto ignores PrivateDnsEnabled on ModifyVpcEndpoint, so the test asserts
// the request the client sent (recorded by smithy middleware).
func TestPrivateDNS(t *testing.T) {
	tests := []struct {
		name       string
		hostnames  bool
		dryRun     bool
		wantOut    finding.Outcome
		wantDetail string
		wantModify bool
	}{
		{name: "VPC with both DNS attributes", hostnames: true, wantOut: finding.Done, wantDetail: "PrivateDnsEnabled=true", wantModify: true},
		{name: "VPC without enableDnsHostnames", hostnames: false, wantOut: finding.Skipped, wantDetail: "has enableDnsHostnames off"},
		{name: "dry run", hostnames: true, dryRun: true, wantOut: finding.DryRun, wantDetail: "would set PrivateDnsEnabled=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.SetDNSHostnames(tt.hostnames)
			id := e.Endpoint(apiService, aws.Bool(false))
			cfg := enforceConfig(e)
			cfg.DryRun = tt.dryRun
			res := evaluateOne(e, evaluator(e, cfg, nil), "endpoint-create-api-private-dns-off.json", "vpce-0a1b2c3d4e5f60001", id)
			if res.Finding.Status != finding.NonCompliant {
				t.Fatalf("Status = %s; want NON_COMPLIANT", res.Finding.Status)
			}
			if err := remediator(e, cfg, nil, nil).Remediate(context.Background(), &res); err != nil {
				t.Fatalf("Remediate: %v", err)
			}
			a := action(t, res.Finding, "enable-private-dns")
			if a.Outcome != tt.wantOut || !strings.Contains(a.Detail, tt.wantDetail) || a.Target != id {
				t.Errorf("enable-private-dns = %s %q on %s; want %s containing %q on %s", a.Outcome, a.Detail, a.Target, tt.wantOut, tt.wantDetail, id)
			}
			mods := e.Recorder.Inputs("ModifyVpcEndpoint")
			if !tt.wantModify {
				if len(mods) != 0 {
					t.Errorf("ModifyVpcEndpoint calls = %d; want none", len(mods))
				}
			} else {
				if len(mods) != 1 {
					t.Fatalf("ModifyVpcEndpoint calls = %d; want 1", len(mods))
				}
				in := mods[0].(*ec2.ModifyVpcEndpointInput)
				if aws.ToString(in.VpcEndpointId) != id || in.PrivateDnsEnabled == nil || !*in.PrivateDnsEnabled {
					t.Errorf("ModifyVpcEndpoint(%s, PrivateDnsEnabled=%v); want (%s, true)", aws.ToString(in.VpcEndpointId), in.PrivateDnsEnabled, id)
				}
				if in.PolicyDocument != nil {
					t.Errorf("ModifyVpcEndpoint PolicyDocument = %q; want untouched (no endpoint policy configured)", *in.PolicyDocument)
				}
			}
			// The endpoint is tagged (except in dry run): CreateTags is
			// something moto does keep.
			out, err := e.EC2.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
			if err != nil {
				t.Fatalf("describe endpoint: %v", err)
			}
			tagged := false
			for _, tag := range out.VpcEndpoints[0].Tags {
				tagged = tagged || aws.ToString(tag.Key) == "vpcguard:finding" && aws.ToString(tag.Value) == res.Finding.Rule
			}
			if tagged == tt.dryRun {
				t.Errorf("endpoint tagged vpcguard:finding = %v; want %v", tagged, !tt.dryRun)
			}
		})
	}
}
