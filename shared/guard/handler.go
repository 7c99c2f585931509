package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// Handler is a guard's Lambda entry point.
type Handler struct {
	Guard *Guard
}

// Response is what a guard invocation returns: the findings, and the events
// it left alone with the reason.
type Response struct {
	Findings []finding.Finding `json:"findings"`
	Skipped  []Skip            `json:"skipped,omitempty"`
}

// Skip is an event a guard did not evaluate, and why.
type Skip struct {
	EventID   string `json:"eventId,omitempty"`
	EventName string `json:"eventName,omitempty"`
	Reason    string `json:"reason"`
}

// ErrBadEvent marks input that is not an event the guard can read. It is
// returned, not swallowed, so the event is retried and then kept by the
// dead-letter queue for a person to look at.
var ErrBadEvent = errors.New("bad event")

// Handle takes an EventBridge CloudTrail event (or a JSON array of events,
// for manual replays), or an SQS batch of notebook re-checks.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	if isSQSBatch(raw) {
		return h.handleRechecks(ctx, raw)
	}
	evs, err := cloudtrail.Parse(raw)
	if err != nil {
		h.Guard.logError(ctx, "event rejected", err)
		if len(evs) == 0 {
			return nil, fmt.Errorf("%w: %v", ErrBadEvent, err)
		}
	}
	resp := Response{Findings: []finding.Finding{}}
	var errs []error
	if err != nil {
		errs = append(errs, fmt.Errorf("%w: %v", ErrBadEvent, err))
	}
	for i := range evs {
		ev := &evs[i]
		if reason := h.Guard.SkipReason(ev); reason != "" {
			resp.Skipped = append(resp.Skipped, Skip{EventID: ev.ID, EventName: ev.Name, Reason: reason})
			h.Guard.logSkip(ctx, ev, reason)
			continue
		}
		fs, err := h.Guard.Event(ctx, ev)
		resp.Findings = append(resp.Findings, fs...)
		if err != nil {
			errs = append(errs, fmt.Errorf("event %s (%s): %w", ev.ID, ev.Name, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		h.Guard.logError(ctx, "invocation failed; returning the error so Lambda retries", err)
		return resp, err
	}
	return resp, nil
}

// isSQSBatch tells an SQS batch from a CloudTrail event: every record must
// come from aws:sqs. A CloudTrail event that merely mentions "aws:sqs" (in a
// tag or an environment variable) must not be taken for an empty batch and
// dropped.
func isSQSBatch(raw json.RawMessage) bool {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 || b[0] != '{' || !bytes.Contains(b, []byte(`"aws:sqs"`)) {
		return false
	}
	var batch struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	if json.Unmarshal(b, &batch) != nil || len(batch.Records) == 0 {
		return false
	}
	for _, r := range batch.Records {
		if r.EventSource != "aws:sqs" {
			return false
		}
	}
	return true
}

// handleRechecks processes re-check messages one by one and reports the
// ones that failed, so SQS redelivers only those.
func (h *Handler) handleRechecks(ctx context.Context, raw json.RawMessage) (events.SQSEventResponse, error) {
	var batch events.SQSEvent
	var resp events.SQSEventResponse
	if err := json.Unmarshal(raw, &batch); err != nil {
		return resp, fmt.Errorf("%w: SQS batch: %v", ErrBadEvent, err)
	}
	for _, m := range batch.Records {
		if err := h.recheck(ctx, m.Body); err != nil {
			h.Guard.logError(ctx, "re-check failed; SQS will redeliver it", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

func (h *Handler) recheck(ctx context.Context, body string) error {
	var msg remediate.Recheck
	if err := json.Unmarshal([]byte(body), &msg); err != nil {
		return fmt.Errorf("%w: re-check message: %v", ErrBadEvent, err)
	}
	rule := rules.ByName(msg.Rule)
	if rule == nil || rule.Kind() != resource.Notebook || msg.Name == "" {
		return fmt.Errorf("%w: re-check message names rule %q and notebook %q", ErrBadEvent, msg.Rule, msg.Name)
	}
	ref := resource.State{Ref: resource.Ref{Kind: resource.Notebook, ID: msg.Name, Account: msg.Account, Region: msg.Region}}
	res, evalErr := h.Guard.Evaluator.State(ctx, rule, ref)
	res.Finding.Principal, res.Finding.EventID, res.Finding.EventName = msg.Principal, msg.EventID, msg.EventName
	res.Recheck = msg.Attempt
	return errors.Join(evalErr, h.Guard.Respond(ctx, &res))
}
