package backfill

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/inventory"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// SageMakerAPI is the part of the SageMaker client the backfill calls: the
// listings, and the describes and tag reads of inventory.Reader.
type SageMakerAPI interface {
	inventory.SageMakerAPI
	Search(ctx context.Context, in *sagemaker.SearchInput, opts ...func(*sagemaker.Options)) (*sagemaker.SearchOutput, error)
	ListModels(ctx context.Context, in *sagemaker.ListModelsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListModelsOutput, error)
	ListNotebookInstances(ctx context.Context, in *sagemaker.ListNotebookInstancesInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListNotebookInstancesOutput, error)
}

// EC2API is the part of the EC2 client the backfill calls.
type EC2API interface {
	inventory.EC2API
	DescribeRegions(ctx context.Context, in *ec2.DescribeRegionsInput, opts ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
}

var (
	_ SageMakerAPI = (*sagemaker.Client)(nil)
	_ EC2API       = (*ec2.Client)(nil)
)

// API is the clients of one account and region.
type API struct {
	SageMaker SageMakerAPI
	EC2       EC2API
}

// APIFor returns the clients of an account and region.
type APIFor func(ctx context.Context, account, region string) (API, error)

// ClientsAPI reads through accounts' clients (assuming the configured role
// in accounts other than the current one).
func ClientsAPI(accounts *awsclients.Accounts) APIFor {
	return func(ctx context.Context, account, region string) (API, error) {
		c, err := accounts.For(ctx, account, region)
		if err != nil {
			return API{}, err
		}
		return API{SageMaker: awsclients.Service(c, sagemaker.NewFromConfig), EC2: awsclients.Service(c, ec2.NewFromConfig)}, nil
	}
}

func enabledRegions(ctx context.Context, api EC2API) ([]string, error) {
	out, err := api.DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	var regions []string
	for _, r := range out.Regions {
		// Regions an account has not opted into answer nothing useful.
		if st := aws.ToString(r.OptInStatus); st == "" || st == "opt-in-not-required" || st == "opted-in" {
			regions = append(regions, aws.ToString(r.RegionName))
		}
	}
	slices.Sort(regions)
	if len(regions) == 0 {
		return nil, fmt.Errorf("list regions: EC2 returned none")
	}
	return regions, nil
}

// list enumerates one kind in one account and region and queues each
// resource. A listing that fails is reported in the summary; the run goes on.
func (r *run) list(ctx context.Context, account, region string, kind resource.Kind, rs []rules.Rule) {
	api, err := r.opts.API(ctx, account, region)
	if err != nil {
		r.listFailed(account, region, kind, err)
		return
	}
	switch kind {
	case resource.Model:
		err = r.listModels(ctx, api, account, region, rs)
	case resource.Notebook:
		err = r.listNotebooks(ctx, api, account, region, rs)
	case resource.VPCEndpoint:
		err = r.listEndpoints(ctx, api, account, region, rs)
	default:
		err = fmt.Errorf("no listing for %s", kind)
	}
	if err != nil {
		r.listFailed(account, region, kind, err)
		return
	}
	r.listOK.Add(1)
}

// listModels uses Search, which returns each model's VpcConfig and tags,
// 100 a page: ~10 calls for 1,000 models instead of 2,000 describes and
// tag reads. Where Search is refused on its first page (moto does not
// implement it for models; a policy may not allow it) the models are listed
// and described one by one.
func (r *run) listModels(ctx context.Context, api API, account, region string, rs []rules.Rule) error {
	in := &sagemaker.SearchInput{Resource: smtypes.ResourceTypeModel, MaxResults: aws.Int32(min(r.opts.PageSize, 100))}
	first := true
	for {
		out, err := api.SageMaker.Search(ctx, in)
		if err != nil {
			if first && ctx.Err() == nil {
				if log := r.opts.Guard.Log; log != nil {
					log.DebugContext(ctx, "search refused; listing and describing models instead", "account", account, "region", region, "error", err.Error())
				}
				return r.listAndDescribeModels(ctx, api, account, region, rs)
			}
			return fmt.Errorf("search models: %w", err)
		}
		first = false
		for _, rec := range out.Results {
			if rec.Model == nil || rec.Model.Model == nil {
				continue
			}
			if !r.enqueue(ctx, task{rules: rs, state: modelState(account, region, rec.Model.Model), known: true, api: api}) {
				return ctx.Err()
			}
		}
		if aws.ToString(out.NextToken) == "" {
			return nil
		}
		in.NextToken = out.NextToken
	}
}

func modelState(account, region string, m *smtypes.Model) resource.State {
	s := resource.State{
		Ref:   resource.Ref{Kind: resource.Model, ID: aws.ToString(m.ModelName), Account: account, Region: region},
		ARN:   aws.ToString(m.ModelArn),
		Model: &resource.ModelConfig{},
		Tags:  map[string]string{}, // Search returns the tags: no ListTags needed
	}
	if m.VpcConfig != nil {
		s.Model.Subnets = m.VpcConfig.Subnets
		s.Model.SecurityGroups = m.VpcConfig.SecurityGroupIds
	}
	for _, t := range m.Tags {
		s.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return s
}

func (r *run) listAndDescribeModels(ctx context.Context, api API, account, region string, rs []rules.Rule) error {
	p := sagemaker.NewListModelsPaginator(api.SageMaker, &sagemaker.ListModelsInput{MaxResults: aws.Int32(r.opts.PageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list models: %w", err)
		}
		for _, m := range page.Models {
			s := resource.State{Ref: resource.Ref{Kind: resource.Model, ID: aws.ToString(m.ModelName), Account: account, Region: region}, ARN: aws.ToString(m.ModelArn)}
			if !r.enqueue(ctx, task{rules: rs, state: s, api: api}) {
				return ctx.Err()
			}
		}
	}
	return nil
}

// listNotebooks lists notebook instances; the listing lacks DirectInternetAccess
// and SubnetId, so each is described by a worker.
func (r *run) listNotebooks(ctx context.Context, api API, account, region string, rs []rules.Rule) error {
	p := sagemaker.NewListNotebookInstancesPaginator(api.SageMaker, &sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(r.opts.PageSize)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list notebook instances: %w", err)
		}
		for _, nb := range page.NotebookInstances {
			s := resource.State{Ref: resource.Ref{Kind: resource.Notebook, ID: aws.ToString(nb.NotebookInstanceName), Account: account, Region: region},
				ARN: aws.ToString(nb.NotebookInstanceArn)}
			if !r.enqueue(ctx, task{rules: rs, state: s, api: api}) {
				return ctx.Err()
			}
		}
	}
	return nil
}

// listEndpoints lists every interface endpoint and keeps the SageMaker ones.
// EC2 filters match service names exactly (wildcards are not documented for
// service-name), and SageMaker's names vary by service, partition and
// prefix (com.amazonaws.R.sagemaker.api, aws.sagemaker.R.notebook,
// cn.com.amazonaws.R.sagemaker.runtime, ...) and grow with new services, so a
// list of names would miss some. The type filter is server-side; the
// SageMaker test is rules.IsSageMakerService, the rule's own. Endpoints to
// other services are dropped here and never become findings. Describes
// return whole endpoints with tags, 1,000 a page: no per-endpoint call.
func (r *run) listEndpoints(ctx context.Context, api API, account, region string, rs []rules.Rule) error {
	p := ec2.NewDescribeVpcEndpointsPaginator(api.EC2, &ec2.DescribeVpcEndpointsInput{
		Filters:    []ec2types.Filter{{Name: aws.String("vpc-endpoint-type"), Values: []string{string(ec2types.VpcEndpointTypeInterface)}}},
		MaxResults: aws.Int32(1000),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe vpc endpoints: %w", err)
		}
		for _, ep := range page.VpcEndpoints {
			if !rules.IsSageMakerService(aws.ToString(ep.ServiceName)) {
				continue
			}
			if !r.enqueue(ctx, task{rules: rs, state: inventory.EndpointState(account, region, ep), known: true, api: api}) {
				return ctx.Err()
			}
		}
	}
	return nil
}
