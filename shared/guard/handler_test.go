package guard_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// TestHandleEventBridgeEvent: a sample event in, its findings out, and the
// response is JSON a Lambda can return.
func TestHandleEventBridgeEvent(t *testing.T) {
	e := testenv.New(t)
	e.Model("churn-xgb-public", false, nil)
	resp, err := handle(t, guards.Handler(e.GuardConfig(mode.Report), e.Config, firstRules...), testenv.Sample(t, "model-create-no-vpc.json"))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	f := only(t, resp)
	if f.Rule != "sagemaker-model-in-vpc" || f.Status != finding.NonCompliant || f.ResourceID != modelARN || f.Evaluation != "online" {
		t.Errorf("finding = %s %s %s (%s); want sagemaker-model-in-vpc NON_COMPLIANT %s (online)", f.Rule, f.Status, f.ResourceID, f.Evaluation, modelARN)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatalf("marshal response: %v", err)
	}
	if !strings.Contains(string(b), `"status":"NON_COMPLIANT"`) {
		t.Errorf("response JSON = %s; want the finding's status", b)
	}
}

// TestHandleBadInput: input that is not an event is an error wrapping
// ErrBadEvent, so Lambda retries it and the dead-letter queue keeps it; the
// handler never panics on it.
func TestHandleBadInput(t *testing.T) {
	e := testenv.New(t)
	h := guards.Handler(e.GuardConfig(mode.Enforce), e.Config, firstRules...)
	tests := []struct{ name, input string }{
		{"empty", ""},
		{"not JSON", "model-create-no-vpc.json"},
		{"truncated JSON", `{"version": "0", "detail-type": "AWS API Call via CloudTrail", "detail": {`},
		{"JSON string", `"hello"`},
		{"JSON number", `42`},
		{"empty object", `{}`},
		{"another detail-type", `{"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}`},
		{"EventBridge event without detail", `{"detail-type": "AWS API Call via CloudTrail", "source": "aws.sagemaker"}`},
		{"detail is a string", `{"detail-type": "AWS API Call via CloudTrail", "source": "aws.sagemaker", "detail": "CreateModel"}`},
		{"empty Records", `{"Records": []}`},
		{"array of junk", `[1, "two", null]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("Handle panicked: %v", p)
				}
			}()
			_, err := h.Handle(context.Background(), json.RawMessage(tt.input))
			if !errors.Is(err, guard.ErrBadEvent) {
				t.Errorf("Handle(%q) error = %v; want one wrapping guard.ErrBadEvent", tt.input, err)
			}
		})
	}
	if got := e.Recorder.WriteCounts(); len(got) != 0 {
		t.Errorf("write requests = %v; want none for bad input", got)
	}
}

// TestHandleSkips: events a guard does not evaluate are answered, with the
// reason, and no error: retrying them would change nothing.
func TestHandleSkips(t *testing.T) {
	e := testenv.New(t)
	e.Notebook("research-open", smtypes.DirectInternetAccessEnabled, true)
	tests := []struct {
		name       string
		rules      []rules.Rule
		event      string
		wantReason string
	}{
		{name: "event for another guard", rules: []rules.Rule{rules.ModelInVPC{}}, event: "notebook-create-internet-enabled.json",
			wantReason: "CreateNotebookInstance from sagemaker.amazonaws.com is not an event this guard evaluates"},
		{name: "failed call", rules: rules.All(), event: "model-create-denied.json",
			wantReason: "the call failed (AccessDenied), so it changed nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.Recorder.Reset()
			resp, err := handle(t, guards.Handler(e.GuardConfig(mode.Enforce), e.Config, tt.rules...), testenv.Sample(t, tt.event))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if len(resp.Findings) != 0 {
				t.Errorf("findings = %+v; want none", resp.Findings)
			}
			if len(resp.Skipped) != 1 || resp.Skipped[0].Reason != tt.wantReason || resp.Skipped[0].EventID == "" {
				t.Errorf("skipped = %+v; want one with the event id and reason %q", resp.Skipped, tt.wantReason)
			}
			if e.Recorder.Mark() != 0 {
				t.Errorf("AWS requests = %d; want none", e.Recorder.Mark())
			}
		})
	}
	if got := e.NotebookStatus("research-open"); got != "InService" {
		t.Errorf("notebook status = %s; want InService (the notebook guard never ran)", got)
	}
}

// TestHandleAWSUnreachable: when every AWS call fails, the handler returns
// an error (Lambda retries, then the DLQ keeps the event) and still lists
// the resource as INSUFFICIENT_DATA; it is not a bad event.
func TestHandleAWSUnreachable(t *testing.T) {
	e := testenv.New(t)
	cfg := e.Server.Config(region)
	cfg.BaseEndpoint = aws.String("http://127.0.0.1:1") // nothing listens on port 1
	cfg.RetryMaxAttempts = 1
	accounts := awsclients.NewAccounts(cfg, "")
	accounts.SetHomeAccount(acct)
	h := guards.ForAccounts(e.GuardConfig(mode.Enforce), accounts)
	resp, err := handle(t, h, testenv.Sample(t, "notebook-create-internet-enabled.json"))
	if err == nil {
		t.Fatalf("Handle: got nil error; want the AWS failure")
	}
	if errors.Is(err, guard.ErrBadEvent) {
		t.Errorf("error %v wraps ErrBadEvent; want an AWS failure", err)
	}
	if f := only(t, resp); f.Status != finding.InsufficientData || len(f.Actions) != 0 {
		t.Errorf("finding = %s with actions %+v; want INSUFFICIENT_DATA and no actions", f.Status, f.Actions)
	}
}

// TestHandleRecheckQueue: the notebook guard schedules a delayed re-check
// for a Pending notebook on a real SQS queue and, when SQS hands the
// message back, stops the now InService instance.
//
// moto creates notebook instances InService at once: pendingNotebooks fakes
// Pending on DescribeNotebookInstance until the re-check.
func TestHandleRecheckQueue(t *testing.T) {
	e := testenv.New(t)
	e.Notebook("research-open", smtypes.DirectInternetAccessEnabled, true)
	c := e.GuardConfig(mode.Enforce)
	c.RecheckDelaySeconds = 1 // short enough for the test to wait it out on moto
	h := guards.Handler(c, e.Config, firstRules...)
	pending := &testenv.PendingNotebooks{Client: e.SageMaker}
	pending.Set(true)
	withReader(h, pending)
	ctx := context.Background()

	resp, err := handle(t, h, testenv.Sample(t, "notebook-create-internet-enabled.json"))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	f := only(t, resp)
	if a, _ := actionOf(f, "schedule-recheck"); a.Outcome != finding.Done {
		t.Fatalf("schedule-recheck = %+v; want done: %+v", a, f.Actions)
	}
	sent := e.Recorder.Inputs("SendMessage")
	if len(sent) != 1 || sent[0].(*sqs.SendMessageInput).DelaySeconds != 1 {
		t.Fatalf("SendMessage requests = %+v; want one with DelaySeconds 1", sent)
	}

	// The delay is the request's DelaySeconds (asserted above); whether it
	// has passed by the next call depends on the machine's load, so the test
	// only waits for the message to arrive.
	out, err := e.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.RecheckQueueURL), WaitTimeSeconds: 5})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("received %d messages after the delay; want 1", len(out.Messages))
	}
	m := out.Messages[0]
	var msg remediate.Recheck
	if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &msg); err != nil || msg.Name != "research-open" || msg.Attempt != 1 {
		t.Fatalf("re-check body = %s (%v); want research-open, attempt 1", aws.ToString(m.Body), err)
	}

	pending.Set(false)
	e.Recorder.Reset()
	batch := sqsBatch(t, map[string]string{aws.ToString(m.MessageId): aws.ToString(m.Body), "bad-1": "not a re-check"})
	got, err := h.Handle(ctx, batch)
	if err != nil {
		t.Fatalf("Handle SQS batch: %v", err)
	}
	r, ok := got.(events.SQSEventResponse)
	if !ok {
		t.Fatalf("Handle returned %T; want events.SQSEventResponse", got)
	}
	if len(r.BatchItemFailures) != 1 || r.BatchItemFailures[0].ItemIdentifier != "bad-1" {
		t.Errorf("batch item failures = %+v; want only bad-1", r.BatchItemFailures)
	}
	if st := e.NotebookStatus("research-open"); st != "Stopped" {
		t.Errorf("notebook status = %s; want Stopped", st)
	}
	if n := len(e.Recorder.Inputs("StopNotebookInstance")); n != 1 {
		t.Errorf("StopNotebookInstance requests = %d; want 1", n)
	}
	if n := len(e.Recorder.Inputs("SendMessage")); n != 0 {
		t.Errorf("SendMessage requests = %d; want no further re-check", n)
	}

	t.Run("last attempt while still Pending gives up", func(t *testing.T) {
		e.Notebook("research-late", smtypes.DirectInternetAccessEnabled, true)
		pending.Set(true)
		e.Recorder.Reset()
		body, _ := json.Marshal(remediate.Recheck{Rule: "sagemaker-notebook-no-direct-internet-access", Account: acct, Region: region,
			Name: "research-late", Principal: "arn:aws:iam::" + acct + ":role/DataScientist", Attempt: c.RecheckMaxAttempts})
		got, err := h.Handle(ctx, sqsBatch(t, map[string]string{"m-last": string(body)}))
		if err != nil {
			t.Fatalf("Handle SQS batch: %v", err)
		}
		if r := got.(events.SQSEventResponse); len(r.BatchItemFailures) != 0 {
			t.Errorf("batch item failures = %+v; want none: giving up is not a failure to retry", r.BatchItemFailures)
		}
		if n := len(e.Recorder.Inputs("SendMessage")); n != 0 {
			t.Errorf("SendMessage requests = %d; want none after the last attempt", n)
		}
		if st := e.NotebookStatus("research-late"); st != "InService" {
			t.Errorf("notebook status = %s; want InService (left for a person)", st)
		}
	})
}

// sqsBatch is the event SQS hands a Lambda, one record per message id.
func sqsBatch(t *testing.T, bodies map[string]string) json.RawMessage {
	t.Helper()
	var ev events.SQSEvent
	for id, body := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: id, Body: body, EventSource: "aws:sqs",
			EventSourceARN: fmt.Sprintf("arn:aws:sqs:%s:%s:vpcguard-rechecks", region, acct), AWSRegion: region})
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatalf("marshal SQS event: %v", err)
	}
	return b
}
