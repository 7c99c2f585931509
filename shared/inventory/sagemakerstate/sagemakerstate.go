// Package sagemakerstate reads the current state of SageMaker models,
// notebook instances, Studio domains and jobs. It is the only part of the inventory that imports the
// SageMaker SDK, so a function that guards no SageMaker resource does not
// link it.
package sagemakerstate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// API is the part of the SageMaker client the reader calls.
type API interface {
	DescribeModel(ctx context.Context, in *sagemaker.DescribeModelInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeModelOutput, error)
	DescribeNotebookInstance(ctx context.Context, in *sagemaker.DescribeNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error)
	ListTags(ctx context.Context, in *sagemaker.ListTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
}

var _ API = (*sagemaker.Client)(nil)

// Reader reads models and notebook instances in one account and region.
// Studio domains and jobs have readers of their own (DomainReader,
// JobReader), so that a function which reads only models does not link the
// SageMaker operations it never calls.
type Reader struct {
	SageMaker API
}

// Read returns the current state of a model or notebook instance. One that
// does not exist is returned with Missing set and no error; an error means
// the state could not be read and nothing should be decided.
func (r *Reader) Read(ctx context.Context, ref resource.Ref) (resource.State, error) {
	s := resource.State{Ref: ref}
	switch ref.Kind {
	case resource.Model:
		out, err := r.SageMaker.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String(ref.ID)})
		if awserr.IsNotFound(err) {
			s.Missing = true
			s.ARN = sageMakerARN(ref, "model")
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("describe model %s: %w", ref.ID, err)
		}
		s = describedModel(ref, out)
	case resource.Notebook:
		out, err := r.SageMaker.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(ref.ID)})
		if awserr.IsNotFound(err) {
			s.Missing = true
			s.ARN = sageMakerARN(ref, "notebook-instance")
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("describe notebook instance %s: %w", ref.ID, err)
		}
		s.ARN = aws.ToString(out.NotebookInstanceArn)
		s.Created = aws.ToTime(out.CreationTime)
		s.Notebook = &resource.NotebookConfig{
			DirectInternetAccess: string(out.DirectInternetAccess),
			SubnetID:             aws.ToString(out.SubnetId),
			Status:               string(out.NotebookInstanceStatus),
		}
	default:
		return s, fmt.Errorf("unknown resource kind %q", ref.Kind)
	}
	return s, nil
}

// describedModel is a model's state as DescribeModel tells it: the reader's
// and the backfill's listing (ModelScan) read models the same way.
func describedModel(ref resource.Ref, out *sagemaker.DescribeModelOutput) resource.State {
	s := resource.State{Ref: ref, ARN: aws.ToString(out.ModelArn), Created: aws.ToTime(out.CreationTime)}
	s.Model = &resource.ModelConfig{NetworkIsolation: aws.ToBool(out.EnableNetworkIsolation)}
	// moto answers "VpcConfig": {} for a model without a VPC; AWS omits it.
	if out.VpcConfig != nil {
		s.Model.Subnets = out.VpcConfig.Subnets
		s.Model.SecurityGroups = out.VpcConfig.SecurityGroupIds
	}
	return s
}

// sageMakerARN builds the ARN of a SageMaker resource that no longer exists,
// so its finding keeps the resource id (and ticket id) it had while it
// existed: DeleteModel and StartNotebookInstance events carry no ARN, and
// without one the ticket opened under the ARN would never be resolved.
// SageMaker lowercases names in ARNs. "" when the account or region is unknown.
func sageMakerARN(ref resource.Ref, typ string) string {
	return resource.SageMakerARN(ref.Region, ref.Account, typ+"/"+ref.ID)
}

// Tags reads a SageMaker resource's tags with ListTags: SageMaker's
// describe answers carry none, so this call is made only when a decision
// depends on them.
func (r *Reader) Tags(ctx context.Context, s resource.State) (map[string]string, error) {
	return listTags(ctx, r.SageMaker, s)
}

// tagLister is ListTags, which every SageMaker reader calls.
type tagLister interface {
	ListTags(ctx context.Context, in *sagemaker.ListTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
}

func listTags(ctx context.Context, api tagLister, s resource.State) (map[string]string, error) {
	if s.Tags != nil {
		return s.Tags, nil
	}
	if s.ARN == "" {
		return nil, fmt.Errorf("list tags of %s: ARN unknown", s.ID)
	}
	tags := map[string]string{}
	p := sagemaker.NewListTagsPaginator(api, &sagemaker.ListTagsInput{ResourceArn: aws.String(s.ARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tags of %s: %w", s.ARN, err)
		}
		for _, t := range page.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return tags, nil
}
