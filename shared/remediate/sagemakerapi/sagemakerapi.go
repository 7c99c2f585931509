// Package sagemakerapi gives the remediations (package remediate) the
// SageMaker calls they make, in remediate's terms. It is the only part of
// remediate that imports the SageMaker SDK, so a function that remediates no
// SageMaker resource does not link it.
package sagemakerapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/shared/awserr"
)

// Client is the part of the SageMaker client remediations call.
type Client interface {
	StopNotebookInstance(ctx context.Context, in *sagemaker.StopNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.StopNotebookInstanceOutput, error)
	AddTags(ctx context.Context, in *sagemaker.AddTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.AddTagsOutput, error)
	ListTags(ctx context.Context, in *sagemaker.ListTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
	DeleteModel(ctx context.Context, in *sagemaker.DeleteModelInput, opts ...func(*sagemaker.Options)) (*sagemaker.DeleteModelOutput, error)
	ListEndpointConfigs(ctx context.Context, in *sagemaker.ListEndpointConfigsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListEndpointConfigsOutput, error)
	DescribeEndpointConfig(ctx context.Context, in *sagemaker.DescribeEndpointConfigInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeEndpointConfigOutput, error)
}

var _ Client = (*sagemaker.Client)(nil)

// API is remediate.SageMakerAPI over a SageMaker client.
type API struct{ Client Client }

// New wraps c.
func New(c Client) API { return API{Client: c} }

// tagClient is AddTags and ListTags, which every kind's client calls.
type tagClient interface {
	AddTags(ctx context.Context, in *sagemaker.AddTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.AddTagsOutput, error)
	ListTags(ctx context.Context, in *sagemaker.ListTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
}

func addTag(ctx context.Context, c tagClient, arn, key, value string) error {
	_, err := c.AddTags(ctx, &sagemaker.AddTagsInput{
		ResourceArn: aws.String(arn),
		Tags:        []smtypes.Tag{{Key: aws.String(key), Value: aws.String(value)}},
	})
	return err
}

// tagValue reads the value of the tag key of the SageMaker resource arn,
// "" when it has none. On AWS a key appears once (AddTags overwrites its
// value); moto 5.2.1 appends instead, and the last one is the value AWS
// would hold, as sagemakerstate reads it too.
func tagValue(ctx context.Context, c tagClient, arn, key string) (string, error) {
	value := ""
	p := sagemaker.NewListTagsPaginator(c, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, t := range page.Tags {
			if aws.ToString(t.Key) == key {
				value = aws.ToString(t.Value)
			}
		}
	}
	return value, nil
}

// AddTag tags the model or notebook instance arn with key=value.
func (a API) AddTag(ctx context.Context, arn, key, value string) error {
	return addTag(ctx, a.Client, arn, key, value)
}

// TagValue reads the value of the tag key of the model or notebook
// instance arn, "" when it has none.
func (a API) TagValue(ctx context.Context, arn, key string) (string, error) {
	return tagValue(ctx, a.Client, arn, key)
}

// DeleteModel deletes the model name.
func (a API) DeleteModel(ctx context.Context, name string) error {
	_, err := a.Client.DeleteModel(ctx, &sagemaker.DeleteModelInput{ModelName: aws.String(name)})
	return err
}

// StopNotebookInstance stops the notebook instance name.
func (a API) StopNotebookInstance(ctx context.Context, name string) error {
	_, err := a.Client.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	return err
}

// EndpointConfigUsing returns the name of an endpoint configuration one of
// whose production or shadow variants serves model, or "".
func (a API) EndpointConfigUsing(ctx context.Context, model string) (string, error) {
	p := sagemaker.NewListEndpointConfigsPaginator(a.Client, &sagemaker.ListEndpointConfigsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list endpoint configs: %w", err)
		}
		for _, c := range page.EndpointConfigs {
			out, err := a.Client.DescribeEndpointConfig(ctx, &sagemaker.DescribeEndpointConfigInput{EndpointConfigName: c.EndpointConfigName})
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
