// Package tagindex finds, with the Resource Groups Tagging API, the
// resources of one account and region that carry a tag key: one paginated
// GetResources for every kind, where reading each resource's tags costs a
// call per resource. It is the only package that imports that API, and only
// the backfill uses it, so the guard Lambdas do not link it.
package tagindex

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
)

// API is the part of the tagging client the index calls.
type API interface {
	GetResources(ctx context.Context, in *tagging.GetResourcesInput, opts ...func(*tagging.Options)) (*tagging.GetResourcesOutput, error)
}

var _ API = (*tagging.Client)(nil)

// pageSize is GetResources' largest ResourcesPerPage.
const pageSize = 100

// Index asks one account and region's tagging API.
type Index struct {
	Tagging API
	Log     *slog.Logger // nil: silent
	Account string       // for the log
	Region  string
}

// New is the index of c's account and region, for setup.BackfillOnly.
func New(c *awsclients.Clients, account string, log *slog.Logger) backfill.TagIndex {
	return &Index{Tagging: awsclients.Service(c, tagging.NewFromConfig), Log: log, Account: account, Region: c.Region}
}

// Tagged hands each every resource of types that carries key, with the
// tag's value. The API only lists resources that have the key (a TagFilter
// with no value), so the pages hold the exempt resources, not the estate.
// An error (denied, throttled past the retries, failing) is returned whole,
// pages already read included: the caller then reads each resource's tags.
func (i *Index) Tagged(ctx context.Context, key string, types []string, each func(arn, value string)) error {
	in := &tagging.GetResourcesInput{
		TagFilters:          []taggingtypes.TagFilter{{Key: aws.String(key)}},
		ResourceTypeFilters: types,
		ResourcesPerPage:    aws.Int32(pageSize),
	}
	found := map[string]string{}
	p := tagging.NewGetResourcesPaginator(i.Tagging, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			err = fmt.Errorf("find resources tagged %s (resourcegroupstaggingapi:GetResources): %w", key, err)
			if i.Log != nil {
				i.Log.WarnContext(ctx, "the tag query failed; reading each non-compliant resource's own tags instead",
					"account", i.Account, "region", i.Region, "error", err.Error())
			}
			return err
		}
		for _, m := range page.ResourceTagMappingList {
			for _, t := range m.Tags {
				if aws.ToString(t.Key) == key {
					found[aws.ToString(m.ResourceARN)] = aws.ToString(t.Value)
				}
			}
		}
	}
	for arn, v := range found {
		each(arn, v)
	}
	return nil
}
