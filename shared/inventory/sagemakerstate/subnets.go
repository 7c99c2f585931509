package sagemakerstate

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
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
	// Parallel is how many describes run at once where Search is refused
	// (1 when 0): a backfill reads every model, and one at a time would make
	// its VPC listing the run's longest task.
	Parallel int
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
		names := make([]string, 0, len(page.Models))
		for _, sum := range page.Models {
			names = append(names, aws.ToString(sum.ModelName))
		}
		bounded := false
		if m.MaxDescribes > 0 && described+len(names) > m.MaxDescribes {
			names, bounded = names[:m.MaxDescribes-described], true
		}
		described += len(names)
		// One at a time, fn may stop the scan after any describe (a guard
		// needs the first model in a VPC); in parallel, after the page.
		batch := [][]string{names}
		if m.Parallel <= 1 {
			batch = batch[:0]
			for _, n := range names {
				batch = append(batch, []string{n})
			}
		}
		for _, part := range batch {
			found, err := m.describe(ctx, part)
			if err != nil {
				return err
			}
			for _, f := range found {
				if !f.gone && !fn(f.name, f.subnets) {
					return nil
				}
			}
		}
		if bounded {
			return &BoundedError{Described: described}
		}
	}
	return nil
}

// described is one model's VpcConfig subnets, or gone when it was deleted
// between the listing and its describe.
type described struct {
	name    string
	subnets []string
	gone    bool
}

// describe reads the models' subnets, in their order, Parallel at a time.
func (m ModelSubnets) describe(ctx context.Context, names []string) ([]described, error) {
	outs, errs := describeModels(ctx, m.SageMaker, names, m.Parallel)
	found := make([]described, len(names))
	for i, d := range outs {
		if d == nil {
			found[i] = described{name: names[i], gone: true}
		} else {
			found[i] = described{name: aws.ToString(d.ModelName), subnets: vpcSubnets(d.VpcConfig)}
		}
	}
	return found, errors.Join(errs...)
}

// vpcSubnets reads a VpcConfig's subnets: none for nil, and for moto's
// "VpcConfig": {} of a model without a VPC.
func vpcSubnets(v *smtypes.VpcConfig) []string {
	if v == nil {
		return nil
	}
	return v.Subnets
}
