package sagemakerstate

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/shared/resource"
)

// ListAPI is the part of the SageMaker client the listings call.
type ListAPI interface {
	Search(ctx context.Context, in *sagemaker.SearchInput, opts ...func(*sagemaker.Options)) (*sagemaker.SearchOutput, error)
	ListModels(ctx context.Context, in *sagemaker.ListModelsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListModelsOutput, error)
	ListNotebookInstances(ctx context.Context, in *sagemaker.ListNotebookInstancesInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListNotebookInstancesOutput, error)
}

var _ ListAPI = (*sagemaker.Client)(nil)

// Models lists SageMaker models for the backfill, through the region's
// shared read (ModelScan.Models): each is handed on with its configuration,
// so the backfill describes none again.
type Models struct {
	scan *ModelScan
}

// List reads the region's models once for the model and VPC listings.
func (l Models) List(ctx context.Context, account, region string, pageSize int32, emit func(resource.State, bool) bool) error {
	if l.scan == nil {
		return errors.New("list models: no model scan (sagemakerstate.ModelScan.Models builds the lister)")
	}
	return l.scan.list(ctx, account, region, pageSize, emit)
}

// Abandon tells a VPC listing waiting for this listing's read that it will
// not list (the backfill's time budget ran out first).
func (l Models) Abandon() {
	if l.scan != nil {
		l.scan.abandon()
	}
}

func searchedModel(account, region string, m *smtypes.Model) resource.State {
	s := resource.State{
		Ref:   resource.Ref{Kind: resource.Model, ID: aws.ToString(m.ModelName), Account: account, Region: region},
		ARN:   aws.ToString(m.ModelArn),
		Model: &resource.ModelConfig{NetworkIsolation: aws.ToBool(m.EnableNetworkIsolation)},
		Tags:  map[string]string{}, // Search returns the tags: no ListTags needed
	}
	s.Created = aws.ToTime(m.CreationTime)
	if m.VpcConfig != nil {
		s.Model.Subnets = m.VpcConfig.Subnets
		s.Model.SecurityGroups = m.VpcConfig.SecurityGroupIds
	}
	for _, t := range m.Tags {
		s.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return s
}

// Notebooks lists notebook instances for the backfill. The listing lacks
// DirectInternetAccess and SubnetId, so each is described by the reader.
type Notebooks struct {
	SageMaker ListAPI
}

// List emits every notebook instance, its configuration unknown.
func (l Notebooks) List(ctx context.Context, account, region string, pageSize int32, emit func(resource.State, bool) bool) error {
	p := sagemaker.NewListNotebookInstancesPaginator(l.SageMaker, &sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(pageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list notebook instances: %w", err)
		}
		for _, nb := range page.NotebookInstances {
			s := resource.State{Ref: resource.Ref{Kind: resource.Notebook, ID: aws.ToString(nb.NotebookInstanceName), Account: account, Region: region},
				ARN: aws.ToString(nb.NotebookInstanceArn), Created: aws.ToTime(nb.CreationTime)}
			if !emit(s, false) {
				return nil
			}
		}
	}
	return nil
}

// DomainListAPI is the part of the SageMaker client the domain listing calls.
type DomainListAPI interface {
	ListDomains(ctx context.Context, in *sagemaker.ListDomainsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListDomainsOutput, error)
}

var _ DomainListAPI = (*sagemaker.Client)(nil)

// Domains lists Studio domains for the backfill. The listing lacks
// AppNetworkAccessType, so each is described by the reader.
type Domains struct {
	SageMaker DomainListAPI
}

// List emits every Studio domain, its configuration unknown.
func (l Domains) List(ctx context.Context, account, region string, pageSize int32, emit func(resource.State, bool) bool) error {
	p := sagemaker.NewListDomainsPaginator(l.SageMaker, &sagemaker.ListDomainsInput{MaxResults: aws.Int32(pageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list domains: %w", err)
		}
		for _, d := range page.Domains {
			s := resource.State{Ref: resource.Ref{Kind: resource.StudioDomain, ID: aws.ToString(d.DomainId), Account: account, Region: region},
				ARN: aws.ToString(d.DomainArn)}
			if !emit(s, false) {
				return nil
			}
		}
	}
	return nil
}
