// Package remediate fixes what vpcguard finds, within what each resource
// allows: guardrail policies on the caller, private DNS on endpoints,
// stopping notebooks and jobs, switching Studio domains (opt-in), tagging. Every action is recorded on the
// finding, done or not, and dry-run walks the same path up to each write.
package remediate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// APIs returns the clients for an account and region.
type APIs func(ctx context.Context, account, region string) (API, error)

// API is every client the remediations call. The interfaces are in
// remediate's terms, not the SDK's: this package imports no AWS service, so
// a function links only the services it remediates with, through the
// adapters iamapi, sagemakerapi, ec2api and sqsapi. A function that guards
// one kind of resource sets only that kind's clients (shared/setup/wire).
type API struct {
	IAM       IAMAPI       // SageMaker resources and presigned URL calls: guardrails
	SageMaker SageMakerAPI // models and notebooks
	EC2       EC2API       // VPC endpoints
	SQS       QueueAPI     // notebooks: re-checks; nil schedules none
	Jobs      JobAPI       // training, processing, tuning and AutoML jobs
	Domains   DomainAPI    // Studio domains
}

// JobAPI is what the job remediations need of SageMaker (sagemakerapi.Jobs).
type JobAPI interface {
	// StopJob stops a job of jobType (resource.TrainingJob, ...).
	StopJob(ctx context.Context, jobType, name string) error
	AddTag(ctx context.Context, arn, key, value string) error
	// TagValue reads the value of the resource's tag key ("" when unset).
	TagValue(ctx context.Context, arn, key string) (string, error)
}

// DomainAPI is what the Studio domain remediations need of SageMaker
// (sagemakerapi.Domains).
type DomainAPI interface {
	// SwitchDomainToVPCOnly sets a Studio domain's AppNetworkAccessType to
	// VpcOnly, in vpcID and subnets.
	SwitchDomainToVPCOnly(ctx context.Context, domainID, vpcID string, subnets []string) error
	AddTag(ctx context.Context, arn, key, value string) error
	// TagValue reads the value of the resource's tag key ("" when unset).
	TagValue(ctx context.Context, arn, key string) (string, error)
}

// missing names a client the rule's remediation of a kind needs that api
// lacks, or "": IAM for a guardrail, the kind's own service for remedies.
func (api API) missing(rule rules.Rule, kind resource.Kind) string {
	if len(rule.Guardrail()) > 0 && api.IAM == nil {
		return "IAM"
	}
	if len(rule.Remedies()) == 0 {
		return ""
	}
	switch kind {
	case resource.Model, resource.Notebook:
		if api.SageMaker == nil {
			return "SageMaker"
		}
	case resource.StudioDomain:
		if api.IAM == nil {
			return "IAM"
		}
		if api.Domains == nil {
			return "SageMaker (Studio domains)"
		}
	case resource.Job:
		if api.IAM == nil {
			return "IAM"
		}
		if api.Jobs == nil {
			return "SageMaker (jobs)"
		}
	case resource.PresignedURL:
		if api.IAM == nil {
			return "IAM"
		}
	case resource.VPCEndpoint:
		if api.EC2 == nil {
			return "EC2"
		}
	}
	return ""
}

// Remediator acts on NON_COMPLIANT findings in enforce mode.
type Remediator struct {
	Config config.Config
	APIs   APIs
	Log    *slog.Logger
	// PrivateDNSTimeout bounds turning an endpoint's private DNS on; 0 is
	// privateDNSTimeout.
	PrivateDNSTimeout time.Duration
	// Confirm reads the resource's exemption tag again before the first
	// write (evaluate.Evaluator.Reconfirm): every write vpcguard makes goes
	// through Remediate, so this is the one place that keeps "never touches
	// an exempt resource" true whatever index the decision's tags came from.
	// It may turn the finding NOT_APPLICABLE or INSUFFICIENT_DATA. nil takes
	// the state's tags as they are (only tests build a Remediator so).
	Confirm func(ctx context.Context, res *evaluate.Result) error
}

// Remediate runs the remediations of res's rule and records them on the
// finding. The error is non-nil only for failures worth a retry (throttling,
// AWS errors); refusals AWS will repeat are recorded and left to the ticket.
func (r *Remediator) Remediate(ctx context.Context, res *evaluate.Result) error {
	if res.Finding.Status != finding.NonCompliant || res.Rule == nil {
		return nil
	}
	if len(res.Rule.Guardrail()) == 0 && len(res.Rule.Remedies()) == 0 {
		return nil // a rule that only tickets: nothing to do to the resource or the caller
	}
	api, err := r.APIs(ctx, res.State.Account, res.State.Region)
	if err != nil {
		res.Finding.AddAction(finding.Action{Type: "remediate", Target: res.Finding.ResourceID, Outcome: finding.Failed, Detail: err.Error()})
		return err
	}
	if m := api.missing(res.Rule, res.State.Kind); m != "" {
		err := fmt.Errorf("no %s client to remediate a %s with: this function is not wired for it", m, res.State.Kind)
		res.Finding.AddAction(finding.Action{Type: "remediate", Target: res.Finding.ResourceID, Outcome: finding.Failed, Detail: err.Error()})
		return err
	}
	// Before the first write, and in a dry run too: is the resource exempt now?
	if r.Confirm != nil {
		err := r.Confirm(ctx, res)
		if res.Finding.Status != finding.NonCompliant {
			a := finding.Action{Type: "remediate", Target: res.Finding.ResourceID, Outcome: finding.Skipped, Detail: res.Finding.Reason}
			if err != nil {
				a.Outcome, a.Detail = finding.Failed, err.Error()
			}
			res.Finding.AddAction(a)
			r.logAction(res.Finding, a)
			return err
		}
	}
	var errs []error
	do := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	// On a re-check (a notebook brought back once it could be stopped) the
	// guardrail went on when the event came, and a remedy that fails ends the
	// pass: the re-check comes back for the rest.
	if res.Recheck == 0 {
		do(r.attachGuardrail(ctx, api, res))
	}
	for _, remedy := range res.Rule.Remedies() {
		err := r.apply(ctx, api, res, remedy)
		do(err)
		if err != nil && res.Recheck > 0 {
			break
		}
	}
	for _, a := range res.Finding.Actions {
		r.logAction(res.Finding, a)
	}
	return errors.Join(errs...)
}

// apply runs one remedy of the rule on the resource.
func (r *Remediator) apply(ctx context.Context, api API, res *evaluate.Result, remedy rules.Remedy) error {
	switch remedy {
	case rules.Tag:
		switch res.State.Kind {
		case resource.VPCEndpoint:
			return r.tagEndpoint(ctx, api, res)
		case resource.Job:
			return r.tagSageMaker(ctx, api.Jobs, res)
		case resource.StudioDomain:
			return r.tagSageMaker(ctx, api.Domains, res)
		}
		return r.tagSageMaker(ctx, api.SageMaker, res)
	case rules.StopNotebook:
		return r.stopNotebook(ctx, api, res, res.Recheck)
	case rules.DeleteModel:
		return r.deleteModel(ctx, api, res)
	case rules.EnablePrivateDNS:
		return r.enablePrivateDNS(ctx, api, res)
	case rules.ReplaceEndpointPolicy:
		return r.replaceEndpointPolicy(ctx, api, res)
	case rules.SwitchDomainToVPCOnly:
		return r.switchDomainToVPCOnly(ctx, api, res)
	case rules.StopJob:
		return r.stopJob(ctx, api, res)
	}
	err := fmt.Errorf("remedy %q of %s is not implemented", remedy, res.Rule.Name())
	res.Finding.AddAction(finding.Action{Type: string(remedy), Target: res.Finding.ResourceID, Outcome: finding.Failed, Detail: err.Error()})
	return err
}

func (r *Remediator) logAction(f finding.Finding, a finding.Action) {
	if r.Log == nil {
		return
	}
	r.Log.Info("action", "rule", f.Rule, "resource", f.ResourceID, "type", a.Type, "target", a.Target, "outcome", a.Outcome, "detail", a.Detail)
}

// outcome turns an AWS error into a recorded action. Transient failures are
// returned for retry; permanent refusals are recorded only, since retrying
// cannot change AWS's answer and the ticket carries the reason.
func outcome(f *finding.Finding, typ, target string, err error) error {
	a := finding.Action{Type: typ, Target: target, Outcome: finding.Failed, Detail: err.Error()}
	f.AddAction(a)
	if retryable(err) {
		return fmt.Errorf("%s %s: %w", typ, target, err)
	}
	return nil
}

// retryable reports whether trying again may succeed.
func retryable(err error) bool {
	if awserr.IsThrottled(err) {
		return true
	}
	// The service failing, not the request: any 5xx, whatever its code
	// (EC2 answers an overload with 503 Unavailable). Returning nil here
	// would let the Lambda acknowledge an event it did not act on.
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	code := awserr.Code(err)
	if code == "" {
		return true // a network error or a 5xx without a code
	}
	switch code {
	case "InternalError", "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException", "Unavailable", "InternalServerError", "RequestTimeout":
		return true
	}
	return false
}
