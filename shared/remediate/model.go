package remediate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// tagSageMaker marks a remediated model or notebook with the rule it broke,
// so owners see why and searches find them.
func (r *Remediator) tagSageMaker(ctx context.Context, api API, res *evaluate.Result) error {
	f := &res.Finding
	key := r.Config.FindingTagKey
	if res.State.Tags != nil && res.State.Tags[key] == f.Rule {
		f.AddAction(finding.Action{Type: "tag", Target: res.State.ARN, Outcome: finding.Skipped, Detail: "already tagged " + key + "=" + f.Rule})
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
	_, err := api.SageMaker.AddTags(ctx, &sagemaker.AddTagsInput{
		ResourceArn: aws.String(res.State.ARN),
		Tags:        []smtypes.Tag{{Key: aws.String(key), Value: aws.String(f.Rule)}},
	})
	if awserr.IsNotFound(err) {
		f.AddAction(finding.Action{Type: "tag", Target: res.State.ARN, Outcome: finding.Skipped, Detail: "the resource no longer exists"})
		return nil
	}
	if err != nil {
		return outcome(f, "tag", res.State.ARN, err)
	}
	f.AddAction(finding.Action{Type: "tag", Target: res.State.ARN, Outcome: finding.Done, Detail: key + "=" + f.Rule})
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
	user, err := endpointConfigUsing(ctx, api.SageMaker, name)
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
	_, err = api.SageMaker.DeleteModel(ctx, &sagemaker.DeleteModelInput{ModelName: aws.String(name)})
	if awserr.IsNotFound(err) {
		f.AddAction(finding.Action{Type: "delete-model", Target: name, Outcome: finding.Skipped, Detail: "already deleted"})
		return nil
	}
	if err != nil {
		return outcome(f, "delete-model", name, err)
	}
	f.AddAction(finding.Action{Type: "delete-model", Target: name, Outcome: finding.Done, Detail: "deleted (VPCGUARD_DELETE_NONCOMPLIANT_MODELS=true)"})
	return nil
}

func endpointConfigUsing(ctx context.Context, api SageMakerAPI, model string) (string, error) {
	p := sagemaker.NewListEndpointConfigsPaginator(api, &sagemaker.ListEndpointConfigsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list endpoint configs: %w", err)
		}
		for _, c := range page.EndpointConfigs {
			out, err := api.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: c.EndpointConfigName})
			if awserr.IsNotFound(err) {
				continue
			}
			if err != nil {
				return "", fmt.Errorf("describe endpoint config %s: %w", aws.ToString(c.EndpointConfigName), err)
			}
			for _, v := range append(out.ProductionVariants, out.ShadowProductionVariants...) {
				if aws.ToString(v.ModelName) == model {
					return aws.ToString(c.EndpointConfigName), nil
				}
			}
		}
	}
	return "", nil
}
