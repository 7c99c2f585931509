package ticket

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/shared/finding"
)

func TestMain(m *testing.M) { motoserver.Main(m.Run) }

const region = "us-east-1"

// notebookFinding is a NON_COMPLIANT notebook finding for name.
func notebookFinding(name, reason string) finding.Finding {
	return finding.Finding{
		Rule:         "sagemaker-notebook-no-direct-internet-access",
		ResourceType: "AWS::SageMaker::NotebookInstance",
		ResourceID:   "arn:aws:sagemaker:us-east-1:" + motoserver.Account + ":notebook-instance/" + name,
		ResourceName: name,
		Status:       finding.NonCompliant,
		Reason:       reason,
		Severity:     "HIGH",
		EventID:      "event-1",
		EventName:    "CreateNotebookInstance",
		EventTime:    "2026-11-22T10:00:00Z",
		Principal:    "arn:aws:iam::" + motoserver.Account + ":role/data-scientist",
		Account:      motoserver.Account,
		Region:       region,
		Evaluation:   "online",
		Actions: []finding.Action{
			{Type: "stop-notebook", Target: "arn:aws:sagemaker:us-east-1:" + motoserver.Account + ":notebook-instance/" + name, Outcome: finding.Done},
		},
	}
}

// with returns f changed by edit, leaving f as it was.
func with(f finding.Finding, edit func(*finding.Finding)) finding.Finding {
	f.Actions = append([]finding.Action(nil), f.Actions...)
	edit(&f)
	return f
}

func status(s finding.Status, reason string) func(*finding.Finding) {
	return func(f *finding.Finding) { f.Status, f.Reason = s, reason }
}

// tickingClock returns a clock that moves one second per reading, so every
// Security Hub import is newer than the one before.
func tickingClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

// countingHub counts the reads and the imports that reach Security Hub, so a
// test can prove a duplicate event writes nothing and a sync reads once; and
// fails them on demand.
type countingHub struct {
	securityHubAPI
	gets, imports        int // calls that reached moto
	failGets, failImport flaky
}

func (c *countingHub) GetFindings(ctx context.Context, in *securityhub.GetFindingsInput, opts ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error) {
	if err := c.failGets.next(); err != nil {
		return nil, err
	}
	c.gets++
	return c.securityHubAPI.GetFindings(ctx, in, opts...)
}

func (c *countingHub) BatchImportFindings(ctx context.Context, in *securityhub.BatchImportFindingsInput, opts ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	if err := c.failImport.next(); err != nil {
		return nil, err
	}
	c.imports++
	return c.securityHubAPI.BatchImportFindings(ctx, in, opts...)
}

// flaky fails the next n calls (every call while n < 0) with an injected
// error naming code, as an AWS API error would.
type flaky struct {
	n    int
	code string
}

func (f *flaky) next() error {
	if f.n == 0 {
		return nil
	}
	if f.n > 0 {
		f.n--
	}
	return fmt.Errorf("api error %s: injected failure", f.code)
}

// failing makes the next n calls fail with code; n < 0 fails every call.
func failing(n int, code string) flaky { return flaky{n: n, code: code} }

// flakySNS is the real SNS client (on moto) behind a wrapper that fails
// Publish on demand and counts the attempts.
type flakySNS struct {
	snsAPI
	fail     flaky
	attempts int
}

func (s *flakySNS) Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error) {
	s.attempts++
	if err := s.fail.next(); err != nil {
		return nil, err
	}
	return s.snsAPI.Publish(ctx, in, opts...)
}

// hubFindings returns every finding moto holds, by Id.
func hubFindings(t *testing.T, api securityHubAPI) map[string]shtypes.AwsSecurityFinding {
	t.Helper()
	out, err := api.GetFindings(context.Background(), &securityhub.GetFindingsInput{})
	if err != nil {
		t.Fatalf("get findings: %v", err)
	}
	m := map[string]shtypes.AwsSecurityFinding{}
	for _, f := range out.Findings {
		m[aws.ToString(f.Id)] = f
	}
	return m
}

// inbox is an SQS queue subscribed to an SNS topic on moto, so tests read
// what SNS actually delivered.
type inbox struct {
	sqs *sqs.Client
	url string
}

// notification is the SNS envelope an SQS subscriber receives (raw message
// delivery off), which carries the subject and attributes too.
type notification struct {
	Subject           string
	Message           string
	MessageAttributes map[string]struct{ Type, Value string }
}

func newTopicWithInbox(t *testing.T, cfg aws.Config) (string, *inbox) {
	t.Helper()
	ctx := context.Background()
	snsc, sqsc := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("vpcguard-findings")})
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("vpcguard-inbox")})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("get queue arn: %v", err)
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"]),
	}); err != nil {
		t.Fatalf("subscribe queue: %v", err)
	}
	return aws.ToString(topic.TopicArn), &inbox{sqs: sqsc, url: aws.ToString(q.QueueUrl)}
}

// drain returns every notification waiting in the queue and deletes them.
// moto delivers to SQS during Publish, so nothing arrives later.
func (b *inbox) drain(t *testing.T) []notification {
	t.Helper()
	ctx := context.Background()
	var got []notification
	for {
		out, err := b.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(b.url), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(out.Messages) == 0 {
			return got
		}
		for _, m := range out.Messages {
			var n notification
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &n); err != nil {
				t.Fatalf("decode sns envelope: %v\n%s", err, aws.ToString(m.Body))
			}
			got = append(got, n)
			if _, err := b.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(b.url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("delete message: %v", err)
			}
		}
	}
}

// fakeOpsCenter stands in for SSM OpsCenter, which moto does not implement:
// an httptest server speaking the AWS JSON 1.1 protocol (X-Amz-Target
// AmazonSSM.<Op>) for the three calls the sink makes. It keeps OpsItems,
// applies the filters the sink sends (and refuses any other), and records
// every request so tests assert what was sent.
type fakeOpsCenter struct {
	srv *httptest.Server

	mu    sync.Mutex
	items []*fakeOpsItem
	calls []fakeCall
	// failWith makes an operation answer with this error code (HTTP 400,
	// which the SDK does not retry).
	failWith map[string]string
}

type fakeOpsItem struct {
	ID, Title, Description, Source, Severity, Status string
	Data                                             map[string]ssmtypes.OpsItemDataValue
}

type fakeCall struct {
	Op   string
	Body []byte
}

func newFakeOpsCenter(t *testing.T) *fakeOpsCenter {
	fk := &fakeOpsCenter{failWith: map[string]string{}}
	fk.srv = httptest.NewServer(http.HandlerFunc(fk.serve))
	t.Cleanup(fk.srv.Close)
	return fk
}

// client is an SSM client pointed at the fake.
func (fk *fakeOpsCenter) client() *ssm.Client {
	return ssm.NewFromConfig(aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(fk.srv.URL),
		RetryMaxAttempts: 1,
	})
}

// ops returns the operations called since the last call to ops, in order.
func (fk *fakeOpsCenter) ops() ([]string, []fakeCall) {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	calls := fk.calls
	fk.calls = nil
	names := make([]string, len(calls))
	for i, c := range calls {
		names[i] = c.Op
	}
	return names, calls
}

func (fk *fakeOpsCenter) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	body, _ := io.ReadAll(r.Body)
	op, ok := strings.CutPrefix(target, "AmazonSSM.")
	if !ok || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		fakeError(w, "UnknownOperationException", "not an AWS JSON 1.1 SSM request: "+target)
		return
	}
	fk.mu.Lock()
	defer fk.mu.Unlock()
	fk.calls = append(fk.calls, fakeCall{Op: op, Body: body})
	if code := fk.failWith[op]; code != "" {
		fakeError(w, code, "injected failure")
		return
	}
	var out any
	var err error
	switch op {
	case "CreateOpsItem":
		out, err = fk.create(body)
	case "DescribeOpsItems":
		out, err = fk.describe(body)
	case "UpdateOpsItem":
		out, err = fk.update(body)
	default:
		err = fmt.Errorf("UnknownOperationException: the fake does not speak %s", op)
	}
	if err != nil {
		code, msg, _ := strings.Cut(err.Error(), ": ")
		fakeError(w, code, msg)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func fakeError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.ssm#" + code, "message": msg})
}

func (fk *fakeOpsCenter) create(body []byte) (any, error) {
	var in ssm.CreateOpsItemInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("ValidationException: %v", err)
	}
	switch {
	case aws.ToString(in.Source) == "" || len(aws.ToString(in.Source)) > 128:
		return nil, fmt.Errorf("ValidationException: Source must be 1-128 characters")
	case aws.ToString(in.Title) == "" || len(aws.ToString(in.Title)) > 1024:
		return nil, fmt.Errorf("ValidationException: Title must be 1-1024 characters")
	case aws.ToString(in.Description) == "" || len(aws.ToString(in.Description)) > 2048:
		return nil, fmt.Errorf("ValidationException: Description must be 1-2048 characters")
	}
	it := &fakeOpsItem{
		ID: fmt.Sprintf("oi-%012d", len(fk.items)+1), Title: aws.ToString(in.Title), Description: aws.ToString(in.Description),
		Source: aws.ToString(in.Source), Severity: aws.ToString(in.Severity), Status: "Open", Data: in.OperationalData,
	}
	fk.items = append(fk.items, it)
	return map[string]string{"OpsItemId": it.ID}, nil
}

func (fk *fakeOpsCenter) describe(body []byte) (any, error) {
	var in ssm.DescribeOpsItemsInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("ValidationException: %v", err)
	}
	var out []map[string]any
	for _, it := range fk.items {
		match, err := fakeMatches(it, in.OpsItemFilters)
		if err != nil {
			return nil, err
		}
		if match {
			out = append(out, map[string]any{
				"OpsItemId": it.ID, "Title": it.Title, "Source": it.Source, "Severity": it.Severity,
				"Status": it.Status, "OperationalData": it.Data,
			})
		}
	}
	return map[string]any{"OpsItemSummaries": out}, nil
}

func fakeMatches(it *fakeOpsItem, filters []ssmtypes.OpsItemFilter) (bool, error) {
	for _, f := range filters {
		if f.Operator != ssmtypes.OpsItemFilterOperatorEqual {
			return false, fmt.Errorf("ValidationException: the fake supports only Equal, got %s", f.Operator)
		}
		matched := false
		for _, v := range f.Values {
			switch f.Key {
			case ssmtypes.OpsItemFilterKeyStatus:
				matched = matched || it.Status == v
			case ssmtypes.OpsItemFilterKeySource:
				matched = matched || it.Source == v
			case ssmtypes.OpsItemFilterKeyOperationalData:
				var kv struct{ Key, Value string }
				if err := json.Unmarshal([]byte(v), &kv); err != nil || kv.Key == "" {
					return false, fmt.Errorf("ValidationException: OperationalData filter is not {\"key\":...,\"value\":...}: %s", v)
				}
				d, ok := it.Data[kv.Key]
				// Only SearchableString data can be searched on.
				matched = matched || ok && d.Type == ssmtypes.OpsItemDataTypeSearchableString && aws.ToString(d.Value) == kv.Value
			default:
				return false, fmt.Errorf("ValidationException: the fake does not filter on %s", f.Key)
			}
		}
		if !matched {
			return false, nil
		}
	}
	return true, nil
}

func (fk *fakeOpsCenter) update(body []byte) (any, error) {
	var in ssm.UpdateOpsItemInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("ValidationException: %v", err)
	}
	for _, it := range fk.items {
		if it.ID != aws.ToString(in.OpsItemId) {
			continue
		}
		if in.Title != nil {
			it.Title = *in.Title
		}
		if in.Description != nil {
			it.Description = *in.Description
		}
		if in.Severity != nil {
			it.Severity = *in.Severity
		}
		if in.Status != "" {
			it.Status = string(in.Status)
		}
		for k, v := range in.OperationalData {
			it.Data[k] = v
		}
		return map[string]string{}, nil
	}
	return nil, fmt.Errorf("OpsItemNotFoundException: no OpsItem %s", aws.ToString(in.OpsItemId))
}
