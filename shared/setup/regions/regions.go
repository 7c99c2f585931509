// Package regions lists the regions enabled in an account, with EC2, for a
// backfill asked for every region. It is a package of its own so that only
// the binaries that backfill link EC2 for it.
package regions

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
)

// API is the part of the EC2 client the listing calls.
type API interface {
	DescribeRegions(ctx context.Context, in *ec2.DescribeRegionsInput, opts ...func(*ec2.Options)) (*ec2.DescribeRegionsOutput, error)
}

var _ API = (*ec2.Client)(nil)

// Enabled lists an account's enabled regions through accounts' clients in
// the home region.
func Enabled(accounts *awsclients.Accounts) backfill.RegionLister {
	return func(ctx context.Context, account string) ([]string, error) {
		c, err := accounts.For(ctx, account, accounts.HomeRegion())
		if err != nil {
			return nil, fmt.Errorf("list regions: %w", err)
		}
		return List(ctx, awsclients.Service(c, ec2.NewFromConfig))
	}
}

// List returns the regions an account has enabled, sorted.
func List(ctx context.Context, api API) ([]string, error) {
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
