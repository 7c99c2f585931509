package remediate

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// SageMakerAPI is what the model and notebook remediations need of
// SageMaker (sagemakerapi over a SageMaker client). Errors are the SDK's,
// for awserr to classify.
type SageMakerAPI interface {
	StopNotebookInstance(ctx context.Context, name string) error
	AddTag(ctx context.Context, arn, key, value string) error
	// TagValue reads the value of the resource's tag key ("" when unset).
	TagValue(ctx context.Context, arn, key string) (string, error)
	DeleteModel(ctx context.Context, name string) error
	// EndpointConfigUsing names an endpoint configuration that serves
	// model, or returns "".
	EndpointConfigUsing(ctx context.Context, model string) (string, error)
}

// QueueAPI sends the delayed re-checks of notebooks that cannot be stopped
// yet (sqsapi over an SQS client).
type QueueAPI interface {
	Send(ctx context.Context, queueURL, body string, delaySeconds int32) error
}

// The notebook instance statuses SageMaker reports.
const (
	statusPending   = "Pending"
	statusInService = "InService"
	statusStopping  = "Stopping"
	statusStopped   = "Stopped"
	statusFailed    = "Failed"
	statusUpdating  = "Updating"
)

const actionStop = "stop-notebook"

// Recheck is the message that brings a notebook back for another look once
// it has left Pending: AWS refuses to stop an instance that is still starting.
type Recheck struct {
	Rule      string `json:"rule"`
	Account   string `json:"account"`
	Region    string `json:"region"`
	Name      string `json:"notebookInstanceName"`
	Principal string `json:"principal,omitempty"`
	EventID   string `json:"eventId,omitempty"`
	EventName string `json:"eventName,omitempty"`
	Attempt   int    `json:"attempt"`
}

// stopNotebook stops a non-compliant notebook: direct internet access cannot
// be turned off on an existing instance, so a stopped instance is the safe
// state until its owner recreates it. attempt counts earlier re-checks.
func (r *Remediator) stopNotebook(ctx context.Context, api API, res *evaluate.Result, attempt int) error {
	f := &res.Finding
	name := res.State.ID
	status := ""
	if res.State.Notebook != nil {
		status = res.State.Notebook.Status
	}
	switch status {
	case statusInService:
	case statusPending, statusUpdating:
		return r.scheduleRecheck(ctx, api, res, attempt)
	case statusStopping, statusStopped:
		f.AddAction(finding.Action{Type: actionStop, Target: name, Outcome: finding.Skipped, Detail: "already " + status})
		f.Contain(finding.Stopped)
		return nil
	case statusFailed:
		f.AddAction(finding.Action{Type: actionStop, Target: name, Outcome: finding.Skipped, Detail: "already " + status})
		return nil
	default:
		f.AddAction(finding.Action{Type: actionStop, Target: name, Outcome: finding.Skipped, Detail: fmt.Sprintf("status %q is unknown here", status)})
		return nil
	}
	if r.Config.DryRun {
		f.AddAction(finding.Action{Type: actionStop, Target: name, Outcome: finding.DryRun, Detail: "would stop the InService instance"})
		return nil
	}
	err := api.SageMaker.StopNotebookInstance(ctx, name)
	switch {
	case awserr.IsNotFound(err):
		f.AddAction(finding.Action{Type: actionStop, Target: name, Outcome: finding.Skipped, Detail: "the instance no longer exists"})
		return nil
	case awserr.IsConflict(err):
		// It changed state since it was read: look again later.
		return r.scheduleRecheck(ctx, api, res, attempt)
	case err != nil:
		return outcome(f, actionStop, name, err)
	}
	f.AddAction(finding.Action{Type: actionStop, Target: name, Outcome: finding.Done, Detail: "stopped"})
	f.Contain(finding.Stopped)
	return nil
}

func (r *Remediator) scheduleRecheck(ctx context.Context, api API, res *evaluate.Result, attempt int) error {
	f := &res.Finding
	name := res.State.ID
	status := "Pending"
	if res.State.Notebook != nil && res.State.Notebook.Status != "" {
		status = res.State.Notebook.Status
	}
	if r.Config.RecheckQueueURL == "" || api.SQS == nil {
		f.AddAction(finding.Action{Type: actionStop, Target: name, Outcome: finding.Skipped,
			Detail: "the instance is " + status + " and cannot be stopped yet, and no re-check queue is configured (VPCGUARD_RECHECK_QUEUE_URL): stop it by hand"})
		return nil
	}
	if attempt+1 > r.Config.RecheckMaxAttempts {
		f.AddAction(finding.Action{Type: actionStop, Target: name, Outcome: finding.Skipped,
			Detail: fmt.Sprintf("gave up: still %s after %d re-checks; stop it by hand", status, attempt)})
		return nil
	}
	msg := Recheck{Rule: f.Rule, Account: res.State.Account, Region: res.State.Region, Name: name,
		Principal: f.Principal, EventID: f.EventID, EventName: f.EventName, Attempt: attempt + 1}
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encode re-check of %s: %w", name, err)
	}
	detail := fmt.Sprintf("instance is %s; re-check %d of %d in %ds", status, attempt+1, r.Config.RecheckMaxAttempts, r.Config.RecheckDelaySeconds)
	if r.Config.DryRun {
		f.AddAction(finding.Action{Type: "schedule-recheck", Target: name, Outcome: finding.DryRun, Detail: "would schedule: " + detail})
		return nil
	}
	err = api.SQS.Send(ctx, r.Config.RecheckQueueURL, string(body), int32(r.Config.RecheckDelaySeconds))
	if err != nil {
		f.AddAction(finding.Action{Type: "schedule-recheck", Target: name, Outcome: finding.Failed, Detail: err.Error()})
		return fmt.Errorf("schedule re-check of %s: %w", name, err) // the notebook must not be forgotten: retry
	}
	f.AddAction(finding.Action{Type: "schedule-recheck", Target: name, Outcome: finding.Done, Detail: detail})
	return nil
}
