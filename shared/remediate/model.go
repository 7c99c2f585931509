package remediate

import (
	"context"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// tagger is AddTag, which every SageMaker kind's client has.
type tagger interface {
	AddTag(ctx context.Context, arn, key, value string) error
}

// tagSageMaker marks a remediated SageMaker resource with the rule it broke,
// so owners see why and searches find them.
func (r *Remediator) tagSageMaker(ctx context.Context, api tagger, res *evaluate.Result) error {
	f := &res.Finding
	key := r.Config.FindingTagKey
	if res.State.Tags != nil && res.State.Tags[key] == f.Rule {
		f.AddAction(finding.Action{Type: "tag", Target: res.State.ARN, Outcome: finding.Skipped, Detail: "already tagged " + key + "=" + f.Rule})
		f.Contain(finding.Tagged)
		return nil
	}
	if res.State.ARN == "" {
		f.AddAction(finding.Action{Type: "tag", Target: res.State.ID, Outcome: finding.Skipped, Detail: "ARN unknown"})
		return nil
	}
	if r.Config.DryRun {
		f.AddAction(finding.Action{Type: "tag", Target: res.State.ARN, Outcome: finding.DryRun, Detail: "would tag " + key + "=" + f.Rule})
		return nil
	}
	err := api.AddTag(ctx, res.State.ARN, key, f.Rule)
	if awserr.IsNotFound(err) {
		f.AddAction(finding.Action{Type: "tag", Target: res.State.ARN, Outcome: finding.Skipped, Detail: "the resource no longer exists"})
		return nil
	}
	if err != nil {
		return outcome(f, "tag", res.State.ARN, err)
	}
	f.AddAction(finding.Action{Type: "tag", Target: res.State.ARN, Outcome: finding.Done, Detail: key + "=" + f.Rule})
	f.Contain(finding.Tagged)
	return nil
}

// deleteModel removes a model outside any VPC, when the operator opted in,
// and never while an endpoint configuration uses it: deleting would break
// the next endpoint update that relies on it.
func (r *Remediator) deleteModel(ctx context.Context, api API, res *evaluate.Result) error {
	if !r.Config.DeleteNoncompliantModels {
		return nil
	}
	f := &res.Finding
	name := res.State.ID
	user, err := api.SageMaker.EndpointConfigUsing(ctx, name)
	if err != nil {
		return outcome(f, "delete-model", name, err)
	}
	if user != "" {
		f.AddAction(finding.Action{Type: "delete-model", Target: name, Outcome: finding.Skipped, Detail: "endpoint config " + user + " uses it"})
		return nil
	}
	if r.Config.DryRun {
		f.AddAction(finding.Action{Type: "delete-model", Target: name, Outcome: finding.DryRun, Detail: "would delete the model"})
		return nil
	}
	err = api.SageMaker.DeleteModel(ctx, name)
	if awserr.IsNotFound(err) {
		f.AddAction(finding.Action{Type: "delete-model", Target: name, Outcome: finding.Skipped, Detail: "already deleted"})
		return nil
	}
	if err != nil {
		return outcome(f, "delete-model", name, err)
	}
	f.AddAction(finding.Action{Type: "delete-model", Target: name, Outcome: finding.Done, Detail: "deleted (VPCGUARD_DELETE_NONCOMPLIANT_MODELS=true)"})
	f.Contain(finding.Deleted)
	return nil
}
