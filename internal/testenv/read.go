package testenv

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// The readers below go to moto directly, unrecorded: what a test reads back
// is not something vpcguard sent.

func (e *Env) direct() aws.Config { return e.Server.Config(e.Config.Region) }

// RolePolicies are the ARNs of the policies attached to role name.
func (e *Env) RolePolicies(name string) []string {
	e.T.Helper()
	out, err := iam.NewFromConfig(e.direct()).ListAttachedRolePolicies(context.Background(), &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil {
		e.T.Fatalf("list policies of role %s: %v", name, err)
	}
	var arns []string
	for _, p := range out.AttachedPolicies {
		arns = append(arns, aws.ToString(p.PolicyArn))
	}
	return arns
}

// UserPolicies are the ARNs of the policies attached to user name.
func (e *Env) UserPolicies(name string) []string {
	e.T.Helper()
	out, err := iam.NewFromConfig(e.direct()).ListAttachedUserPolicies(context.Background(), &iam.ListAttachedUserPoliciesInput{UserName: aws.String(name)})
	if err != nil {
		e.T.Fatalf("list policies of user %s: %v", name, err)
	}
	var arns []string
	for _, p := range out.AttachedPolicies {
		arns = append(arns, aws.ToString(p.PolicyArn))
	}
	return arns
}

// SageMakerTags are the tags of a SageMaker resource.
func (e *Env) SageMakerTags(arn string) map[string]string {
	e.T.Helper()
	out, err := sagemaker.NewFromConfig(e.direct()).ListTags(context.Background(), &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	if err != nil {
		e.T.Fatalf("list tags of %s: %v", arn, err)
	}
	tags := map[string]string{}
	for _, t := range out.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags
}

// NotebookStatus is a notebook instance's status.
func (e *Env) NotebookStatus(name string) string {
	e.T.Helper()
	out, err := sagemaker.NewFromConfig(e.direct()).DescribeNotebookInstance(context.Background(), &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	if err != nil {
		e.T.Fatalf("describe notebook %s: %v", name, err)
	}
	return string(out.NotebookInstanceStatus)
}

// HubFindings is every Security Hub finding moto holds (moto ignores
// GetFindings filters, so none are sent).
func (e *Env) HubFindings() []shtypes.AwsSecurityFinding {
	e.T.Helper()
	return HubFindings(e.T, securityhub.NewFromConfig(e.direct()))
}

// FindingsReader is the part of the Security Hub client HubFindings uses.
type FindingsReader interface {
	GetFindings(context.Context, *securityhub.GetFindingsInput, ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error)
}

// HubFindings reads every finding through hub, page by page.
func HubFindings(t testingTB, hub FindingsReader) []shtypes.AwsSecurityFinding {
	t.Helper()
	var all []shtypes.AwsSecurityFinding
	in := &securityhub.GetFindingsInput{}
	for {
		page, err := hub.GetFindings(context.Background(), in)
		if err != nil {
			t.Fatalf("get Security Hub findings: %v", err)
		}
		all = append(all, page.Findings...)
		if aws.ToString(page.NextToken) == "" {
			return all
		}
		in.NextToken = page.NextToken
	}
}

// Notification is the SNS envelope an SQS subscriber receives (raw message
// delivery off), which carries the subject and attributes too.
type Notification struct {
	Subject           string
	Message           string
	MessageAttributes map[string]struct{ Type, Value string }
}

// Inbox drains the queue subscribed to the topic and returns what SNS
// delivered. moto delivers to SQS during Publish, so nothing arrives later.
func (e *Env) Inbox() []Notification {
	e.T.Helper()
	var got []Notification
	for _, body := range e.Drain(e.InboxURL) {
		var n Notification
		if err := json.Unmarshal([]byte(body), &n); err != nil {
			e.T.Fatalf("decode SNS envelope: %v\n%s", err, body)
		}
		got = append(got, n)
	}
	return got
}

// Drain receives and deletes every message waiting in the queue at url and
// returns their bodies.
func (e *Env) Drain(url string) []string {
	e.T.Helper()
	ctx := context.Background()
	q := sqs.NewFromConfig(e.direct())
	var got []string
	for {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			e.T.Fatalf("receive from %s: %v", url, err)
		}
		if len(out.Messages) == 0 {
			return got
		}
		for _, m := range out.Messages {
			got = append(got, aws.ToString(m.Body))
			if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				e.T.Fatalf("delete message: %v", err)
			}
		}
	}
}

// testingTB is the part of testing.TB the package-level readers use.
type testingTB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Subjects are the subjects of ns, in order.
func Subjects(ns []Notification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Subject
	}
	return out
}
