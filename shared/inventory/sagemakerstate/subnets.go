package sagemakerstate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/shared/awserr"
)

// ScanAPI is the part of the SageMaker client a scan of models' subnets calls.
type ScanAPI interface {
	Search(ctx context.Context, in *sagemaker.SearchInput, opts ...func(*sagemaker.Options)) (*sagemaker.SearchOutput, error)
	ListModels(ctx context.Context, in *sagemaker.ListModelsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListModelsOutput, error)
	DescribeModel(ctx context.Context, in *sagemaker.DescribeModelInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeModelOutput, error)
}

var _ ScanAPI = (*sagemaker.Client)(nil)

// BoundedError ends a scan that would have described more models than its
// bound allows: not a failure of AWS, a limit of the scan.
type BoundedError struct{ Described int }

func (e *BoundedError) Error() string {
	return fmt.Sprintf("described %d models, the most one scan may", e.Described)
}

// Bounded marks the error as a scan's bound for callers that do not import
// this package (networkstate).
func (e *BoundedError) Bounded() bool { return true }

// ModelSubnets scans a region's models for the subnets of their VpcConfig:
// no AWS API answers "which models are in this VPC", so finding them means
// reading every model's VpcConfig.
type ModelSubnets struct {
	SageMaker ScanAPI
	// MaxDescribes bounds the describes of one scan where Search is refused
	// (one call per model); 0 is no bound. Search pages are not bounded:
	// 100 models a call.
	MaxDescribes int
}

// Each calls fn with each model's name and subnets (none for a model
// outside any VPC), until fn returns false or the models run out. It uses
// Search, 100 models a call, newest first; where Search is refused on its
// first page it lists the models (newest first) and describes them one by
// one, and returns a *BoundedError when that would pass MaxDescribes. A model deleted between the listing and its describe is
// skipped.
func (m ModelSubnets) Each(ctx context.Context, fn func(name string, subnets []string) bool) error {
	in := &sagemaker.SearchInput{Resource: smtypes.ResourceTypeModel, MaxResults: aws.Int32(100),
		SortBy: aws.String("CreationTime"), SortOrder: smtypes.SearchSortOrderDescending}
	first := true
	for {
		out, err := m.SageMaker.Search(ctx, in)
		if err != nil {
			if first && ctx.Err() == nil {
				return m.listAndDescribe(ctx, fn)
			}
			return fmt.Errorf("search models: %w", err)
		}
		first = false
		for _, rec := range out.Results {
			if rec.Model == nil || rec.Model.Model == nil {
				continue
			}
			if !fn(aws.ToString(rec.Model.Model.ModelName), vpcSubnets(rec.Model.Model.VpcConfig)) {
				return nil
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return nil
		}
		in.NextToken = out.NextToken
	}
}

func (m ModelSubnets) listAndDescribe(ctx context.Context, fn func(name string, subnets []string) bool) error {
	described := 0
	p := sagemaker.NewListModelsPaginator(m.SageMaker, &sagemaker.ListModelsInput{MaxResults: aws.Int32(100),
		SortBy: smtypes.ModelSortKeyCreationTime, SortOrder: smtypes.OrderKeyDescending})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list models: %w", err)
		}
		for _, sum := range page.Models {
			if m.MaxDescribes > 0 && described >= m.MaxDescribes {
				return &BoundedError{Described: described}
			}
			described++
			out, err := m.SageMaker.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: sum.ModelName})
			if awserr.IsNotFound(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("describe model %s: %w", aws.ToString(sum.ModelName), err)
			}
			if !fn(aws.ToString(out.ModelName), vpcSubnets(out.VpcConfig)) {
				return nil
			}
		}
	}
	return nil
}

// vpcSubnets reads a VpcConfig's subnets: none for nil, and for moto's
// "VpcConfig": {} of a model without a VPC.
func vpcSubnets(v *smtypes.VpcConfig) []string {
	if v == nil {
		return nil
	}
	return v.Subnets
}
