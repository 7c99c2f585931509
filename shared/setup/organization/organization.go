// Package organization wires the organization backfill (package
// orgbackfill) to AWS: Organizations to list the accounts, an AWS Config
// aggregator to ask first, the runs bucket in S3. Only the binaries that
// plan an organization's backfill link these services (the orchestrator
// function, the CLI); the backfill function, which runs the shards, does
// not.
package organization

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
)

// OrganizationsAPI is the part of the Organizations client the listing calls.
type OrganizationsAPI interface {
	ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, opts ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
}

var _ OrganizationsAPI = (*organizations.Client)(nil)

// Accounts lists the organization's active accounts with the home
// account's credentials, which must be the management account's or a
// delegated administrator's.
func Accounts(accounts *awsclients.Accounts) orgbackfill.AccountLister {
	return func(ctx context.Context) ([]string, error) {
		c, err := accounts.For(ctx, "", accounts.HomeRegion())
		if err != nil {
			return nil, err
		}
		return ListActive(ctx, awsclients.Service(c, organizations.NewFromConfig))
	}
}

// ListActive pages through ListAccounts and keeps the active accounts: a
// suspended or closing one has nothing vpcguard can read or fix.
func ListActive(ctx context.Context, api OrganizationsAPI) ([]string, error) {
	var out []string
	p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		for _, a := range page.Accounts {
			// State replaces Status (retired in September 2026); an answer
			// may carry either.
			if a.State == orgtypes.AccountStateActive || a.State == "" && a.Status == orgtypes.AccountStatusActive {
				out = append(out, aws.ToString(a.Id))
			}
		}
	}
	return out, nil
}
