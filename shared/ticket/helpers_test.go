package ticket

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/finding"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const region = "us-east-1"

// notebookFinding is a NON_COMPLIANT notebook finding for name.
func notebookFinding(name, reason string) finding.Finding {
	return finding.Finding{
		Rule:         "sagemaker-notebook-no-direct-internet-access",
		ResourceType: "AWS::SageMaker::NotebookInstance",
		ResourceID:   "arn:aws:sagemaker:us-east-1:" + testenv.Account + ":notebook-instance/" + name,
		ResourceName: name,
		Status:       finding.NonCompliant,
		Reason:       reason,
		Severity:     "HIGH",
		EventID:      "event-1",
		EventName:    "CreateNotebookInstance",
		EventTime:    "2026-11-22T10:00:00Z",
		Principal:    "arn:aws:iam::" + testenv.Account + ":role/data-scientist",
		Account:      testenv.Account,
		Region:       region,
		Evaluation:   "online",
		Actions: []finding.Action{
			{Type: "stop-notebook", Target: "arn:aws:sagemaker:us-east-1:" + testenv.Account + ":notebook-instance/" + name, Outcome: finding.Done},
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
	m := map[string]shtypes.AwsSecurityFinding{}
	for _, f := range testenv.HubFindings(t, api) {
		m[aws.ToString(f.Id)] = f
	}
	return m
}
