package remediate

import (
	"context"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// tagger is what tagging needs of every SageMaker kind's client.
type tagger interface {
	TagValue(ctx context.Context, arn, key string) (string, error)
	AddTag(ctx context.Context, arn, key, value string) error
}

// tagSageMaker marks a remediated SageMaker resource with the rule it broke,
// so owners see why and searches find them. One resource can break several
// rules (a model outside a VPC and without network isolation): the tag's
// value lists them, space-separated and sorted, so the tag is the same
// whatever order the rules act in, and a rule already listed writes nothing.
// The value is read again right before the write, because the state was
// read before the other rules of the same event tagged it.
func (r *Remediator) tagSageMaker(ctx context.Context, api tagger, res *evaluate.Result) error {
	f := &res.Finding
	key := r.Config.FindingTagKey
	if res.State.Tags != nil && listsRule(res.State.Tags[key], f.Rule) {
		f.AddAction(finding.Action{Type: "tag", Target: res.State.ARN, Outcome: finding.Skipped, Detail: "already tagged " + key + "=" + res.State.Tags[key]})
		f.Contain(finding.Tagged)
		return nil
	}
	if res.State.ARN == "" {
		f.AddAction(finding.Action{Type: "tag", Target: res.State.ID, Outcome: finding.Skipped, Detail: "ARN unknown"})
		return nil
	}
	if r.Config.DryRun {
		f.AddAction(finding.Action{Type: "tag", Target: res.State.ARN, Outcome: finding.DryRun, Detail: "would tag " + key + "=" + withRule(res.State.Tags[key], f.Rule)})
		return nil
	}
	current, err := api.TagValue(ctx, res.State.ARN, key)
	if err == nil && listsRule(current, f.Rule) {
		f.AddAction(finding.Action{Type: "tag", Target: res.State.ARN, Outcome: finding.Skipped, Detail: "already tagged " + key + "=" + current})
		f.Contain(finding.Tagged)
		return nil
	}
	value := withRule(current, f.Rule)
	if err == nil {
		err = api.AddTag(ctx, res.State.ARN, key, value)
	}
	if awserr.IsNotFound(err) {
		f.AddAction(finding.Action{Type: "tag", Target: res.State.ARN, Outcome: finding.Skipped, Detail: "the resource no longer exists"})
		return nil
	}
	if err != nil {
		return outcome(f, "tag", res.State.ARN, err)
	}
	f.AddAction(finding.Action{Type: "tag", Target: res.State.ARN, Outcome: finding.Done, Detail: key + "=" + value})
	f.Contain(finding.Tagged)
	return nil
}

// listsRule reports whether a finding tag's value lists rule.
func listsRule(value, rule string) bool { return slices.Contains(strings.Fields(value), rule) }

// withRule is a finding tag's value with rule added, sorted.
func withRule(value, rule string) string {
	rs := strings.Fields(value)
	if !slices.Contains(rs, rule) {
		rs = append(rs, rule)
	}
	slices.Sort(rs)
	return strings.Join(rs, " ")
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
