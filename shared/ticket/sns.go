package ticket

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/vpcguard/vpcguard/shared/finding"
)

// snsAPI is the one SNS call the sink makes.
type snsAPI interface {
	Publish(ctx context.Context, params *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ snsAPI = (*sns.Client)(nil)

// SNS publishes a message per ticket change to a topic.
//
// The message is one plain body for every protocol: the readable part first
// (what, where, why, what was done, how to exempt), then a line
// "--- finding (JSON) ---" and the finding as JSON (FindingFromMessage reads
// it back). One body rather than a per-protocol MessageStructure, so an email
// and a queue see the same facts. The message attributes rule, severity,
// account, region, status and change (all String) are for subscription
// filter policies.
//
// SNS keeps no state, so it cannot tell a new problem from a repeated event.
// Alone (Sync), it publishes every NON_COMPLIANT finding and never a
// resolution; beside Security Hub or OpsCenter, Tickets calls Announce only
// when one of them is about to open, update or resolve its ticket, and
// they write only once the message is published (see Tickets).
type SNS struct {
	api      snsAPI
	topicARN string
	// ExemptTagKey is named in the message.
	ExemptTagKey string
}

// NewSNS returns an SNS sink publishing to topicARN; api is an *sns.Client.
func NewSNS(api snsAPI, topicARN string) *SNS {
	return &SNS{api: api, topicARN: topicARN, ExemptTagKey: DefaultExemptTagKey}
}

// Name implements Sink.
func (s *SNS) Name() string { return "sns" }

// Sync implements Sink for SNS on its own: every NON_COMPLIANT finding is
// published; nothing else is, since SNS cannot know a ticket was ever open.
func (s *SNS) Sync(ctx context.Context, f finding.Finding, dryRun bool) (Change, error) {
	if f.Status != finding.NonCompliant {
		return Change{Kind: Unchanged, Ticket: s.topicARN, Note: fmt.Sprintf("status %s: sns alone only announces NON_COMPLIANT", f.Status)}, nil
	}
	return s.Announce(ctx, f, Opened, dryRun)
}

// Announce publishes a message saying that a finding's ticket was opened,
// updated or resolved.
func (s *SNS) Announce(ctx context.Context, f finding.Finding, kind ChangeKind, dryRun bool) (Change, error) {
	if kind != Opened && kind != Updated && kind != Resolved {
		return Change{Kind: Unchanged, Ticket: s.topicARN, Note: "nothing to announce"}, nil
	}
	body, err := messageBody(f, kind, s.ExemptTagKey)
	if err != nil {
		return Change{Ticket: s.topicARN}, err
	}
	in := &sns.PublishInput{
		TopicArn:          aws.String(s.topicARN),
		Subject:           aws.String(subject(f, kind)),
		Message:           aws.String(body),
		MessageAttributes: map[string]types.MessageAttributeValue{},
	}
	for name, v := range map[string]string{
		"rule": f.Rule, "severity": severityLabel(f), "account": f.Account,
		"region": f.Region, "status": string(f.Status), "change": string(kind),
	} {
		if v != "" { // SNS refuses an empty attribute value
			in.MessageAttributes[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
	}
	if dryRun {
		return Change{Kind: kind, Ticket: s.topicARN, Note: fmt.Sprintf("subject %q", aws.ToString(in.Subject))}, nil
	}
	out, err := s.api.Publish(ctx, in)
	if err != nil {
		return Change{Ticket: s.topicARN}, fmt.Errorf("publish %s message to %s: %w", kind, s.topicARN, err)
	}
	return Change{Kind: kind, Ticket: s.topicARN, Note: "message " + aws.ToString(out.MessageId)}, nil
}
