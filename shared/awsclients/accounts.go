package awsclients

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vpcguard/vpcguard/shared/resource"
)

// STS is the part of the STS client Accounts calls: who the base
// credentials are, and assuming the role in other accounts.
type STS interface {
	stscreds.AssumeRoleAPIClient
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, opts ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var _ STS = (*sts.Client)(nil)

// Accounts hands out clients for any account and region: the home account
// with the base credentials, others through a role assumed in them, for a
// central security account that watches an organization.
type Accounts struct {
	home     *Regional
	roleName string
	sts      STS

	mu      sync.Mutex
	account string // the home account, learned on first need
	others  map[string]*Regional
}

// NewAccounts wraps a base configuration. roleName may be empty: then only
// the home account can be reached.
func NewAccounts(base aws.Config, roleName string) *Accounts {
	return &Accounts{home: NewRegional(base), roleName: roleName, sts: sts.NewFromConfig(base), others: map[string]*Regional{}}
}

// SetHomeAccount records the home account id when it is already known (the
// Lambda's own account), saving a GetCallerIdentity call.
func (a *Accounts) SetHomeAccount(id string) {
	a.mu.Lock()
	a.account = id
	a.mu.Unlock()
}

// HomeAccount returns the id of the account the base credentials belong to,
// asking STS the first time. The lock is not held across the call, which may
// retry for a long time: callers that race on the first call each ask, and
// get the same answer.
func (a *Accounts) HomeAccount(ctx context.Context) (string, error) {
	a.mu.Lock()
	known := a.account
	a.mu.Unlock()
	if known != "" {
		return known, nil
	}
	out, err := a.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("identify the caller's account: %w", err)
	}
	a.SetHomeAccount(aws.ToString(out.Account))
	return aws.ToString(out.Account), nil
}

// For returns the clients of account in region. An empty account, or the
// home account, uses the base credentials.
func (a *Accounts) For(ctx context.Context, account, region string) (*Clients, error) {
	if account == "" {
		return a.home.For(region), nil
	}
	home, err := a.HomeAccount(ctx)
	if err != nil {
		return nil, err
	}
	if account == home {
		return a.home.For(region), nil
	}
	if a.roleName == "" {
		return nil, fmt.Errorf("account %s is not this account (%s) and no role to assume is configured (VPCGUARD_ASSUME_ROLE_NAME)", account, home)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.others[account]
	if !ok {
		cfg := a.home.Base().Copy()
		roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", resource.Partition(cfg.Region), account, a.roleName)
		// One cache per account: the role is assumed on first use and again
		// only when its credentials near expiry, never per event.
		cfg.Credentials = aws.NewCredentialsCache(assumedRole{
			provider: stscreds.NewAssumeRoleProvider(a.sts, roleARN, func(o *stscreds.AssumeRoleOptions) {
				o.RoleSessionName = "vpcguard"
			}),
			account: account, role: roleARN,
		})
		r = NewRegional(cfg)
		a.others[account] = r
	}
	return r.For(region), nil
}

// Check gets account's credentials now (assuming its role, or finding them
// cached for the clients to use), so that a caller can tell an account it
// cannot act in before it starts work there: a member whose role is missing
// or refuses fails once, with an error naming the account and the role.
func (a *Accounts) Check(ctx context.Context, account string) error {
	c, err := a.For(ctx, account, "")
	if err != nil {
		return err
	}
	if creds := c.Config().Credentials; creds != nil {
		if _, err := creds.Retrieve(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Forget lets go of the clients of another account: a run over many
// accounts calls it once an account is done, so it holds the clients (and
// credentials) of the accounts in flight only. The home account's stay.
// A later For builds them again.
func (a *Accounts) Forget(account string) {
	a.mu.Lock()
	delete(a.others, account)
	a.mu.Unlock()
}

// assumedRole names the account and role when assuming it fails (a member
// account without the role, or whose role refuses vpcguard), so the error
// that sends the event to retry and the dead-letter queue says where.
type assumedRole struct {
	provider      aws.CredentialsProvider
	account, role string
}

func (p assumedRole) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.provider.Retrieve(ctx)
	if err != nil {
		return c, fmt.Errorf("account %s: assume role %s: %w", p.account, p.role, err)
	}
	return c, nil
}

// HomeClients are the home account's clients in the home region.
func (a *Accounts) HomeClients() *Clients { return a.home.For("") }

// HomeRegion is the region of the base configuration (AWS_REGION).
func (a *Accounts) HomeRegion() string { return a.home.Base().Region }
