// Package configindex asks an AWS Config aggregator for every resource of a
// kind it records (advanced query, SelectAggregateResourceConfig), for the
// organization backfill's fast path. It is the only package that imports
// the Config SDK, so only the binaries that ask Config link it.
package configindex

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"

	"github.com/vpcguard/vpcguard/shared/inventory/recorded"
)

// API is the part of the Config client the index calls.
type API interface {
	SelectAggregateResourceConfig(ctx context.Context, in *configservice.SelectAggregateResourceConfigInput, opts ...func(*configservice.Options)) (*configservice.SelectAggregateResourceConfigOutput, error)
}

var _ API = (*configservice.Client)(nil)

// PageSize is the most rows Config returns a call (Limit's maximum).
const PageSize = 100

// Index asks one Config client, in the aggregator's Region.
type Index struct {
	Config API
}

// Items runs one query for kind and hands each row, decoded, to each, page
// by page: one call per 100 resources of the type across the organization.
func (x Index) Items(ctx context.Context, aggregator string, kind recorded.Kind, each func(recorded.Item) error) error {
	expr, err := recorded.Expression(kind)
	if err != nil {
		return err
	}
	in := &configservice.SelectAggregateResourceConfigInput{
		ConfigurationAggregatorName: aws.String(aggregator),
		Expression:                  aws.String(expr),
		Limit:                       PageSize,
	}
	for {
		out, err := x.Config.SelectAggregateResourceConfig(ctx, in)
		if err != nil {
			return fmt.Errorf("select %s from config aggregator %s: %w", kind.ResourceType(), aggregator, err)
		}
		for _, row := range out.Results {
			it, err := recorded.ParseResult(row)
			if err != nil {
				return fmt.Errorf("config aggregator %s: %w", aggregator, err)
			}
			if err := each(it); err != nil {
				return err
			}
		}
		// Like other List calls, a page may come back empty while more
		// follow: only the token says when it is over.
		if aws.ToString(out.NextToken) == "" {
			return nil
		}
		in.NextToken = out.NextToken
	}
}
