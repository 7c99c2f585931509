// Package orgestate seeds an AWS Organization on an AWS API emulator (moto)
// for the organization backfill's tests, benchmark and demo: the
// organization, its member accounts (Organizations CreateAccount), and in
// each member account and Region a small SageMaker estate, half of it
// non-compliant. It returns what it created, as AWS Config would record it,
// to feed a fake of Config's advanced query (package configfake).
package orgestate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/vpcguard/vpcguard/internal/testenv/estate"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// Role is the member role the seeder assumes in each account. moto's
// AssumeRole succeeds for a role that does not exist, and its credentials
// act in the role's account.
const Role = "VpcGuardMember"

// Org is a seeded organization.
type Org struct {
	ID         string
	Management string   // the management account: moto's default account
	Members    []string // member accounts, sorted
	Regions    []string
	// Items are the seeded resources, as Config records them.
	Items []Item
}

// Item is one seeded resource and what a rule should call it.
type Item struct {
	Kind          resource.Kind
	Account       string
	Region        string
	ResourceID    string // Config's resourceId
	ResourceName  string // Config's resourceName
	ARN           string
	NonCompliant  bool
	Configuration map[string]any // as Config's resource schema spells it
}

// NonCompliant counts the seeded non-compliant resources per account.
func (o *Org) NonCompliant() map[string]int {
	out := map[string]int{}
	for _, it := range o.Items {
		if it.NonCompliant {
			out[it.Account]++
		}
	}
	return out
}

// Seed creates an organization with members accounts in moto (cfg: moto's
// default, management account) and seeds each in regions, workers calls at
// a time.
func Seed(ctx context.Context, cfg aws.Config, members int, regions []string, workers int) (*Org, error) {
	org := organizations.NewFromConfig(cfg)
	out, err := org.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	if err != nil {
		return nil, fmt.Errorf("create organization: %w", err)
	}
	o := &Org{ID: aws.ToString(out.Organization.Id), Management: aws.ToString(out.Organization.MasterAccountId), Regions: regions}
	for i := range members {
		acct, err := org.CreateAccount(ctx, &organizations.CreateAccountInput{
			AccountName: aws.String(fmt.Sprintf("ml-team-%02d", i)), Email: aws.String(fmt.Sprintf("ml-team-%02d@example.com", i))})
		if err != nil {
			return nil, fmt.Errorf("create account %d: %w", i, err)
		}
		// moto creates the account at once (AWS: poll DescribeCreateAccountStatus).
		o.Members = append(o.Members, aws.ToString(acct.CreateAccountStatus.AccountId))
	}
	slices.Sort(o.Members)

	var mu sync.Mutex
	var jobs []func() error
	for i, account := range o.Members {
		for r, region := range regions {
			jobs = append(jobs, func() error {
				items, err := seedUnit(ctx, cfg, account, region, i, r == 0)
				mu.Lock()
				o.Items = append(o.Items, items...)
				mu.Unlock()
				return err
			})
		}
	}
	if err := parallel(workers, jobs); err != nil {
		return nil, err
	}
	return o, nil
}

// Config is cfg acting in account through Role.
func Config(ctx context.Context, cfg aws.Config, account string) (aws.Config, error) {
	out, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + account + ":role/" + Role), RoleSessionName: aws.String("orgestate")})
	if err != nil {
		return aws.Config{}, fmt.Errorf("assume %s in %s: %w", Role, account, err)
	}
	c := cfg.Copy()
	k := out.Credentials
	c.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), aws.ToString(k.SessionToken))
	return c, nil
}

// seedUnit seeds one account and Region: a network, a model outside and one
// inside the VPC, a notebook with internet access and one without, a
// SageMaker API endpoint with private DNS off and a runtime one with it on;
// in the first Region also a Studio domain, public in every other account.
func seedUnit(ctx context.Context, base aws.Config, account, region string, index int, first bool) ([]Item, error) {
	cfg, err := Config(ctx, base, account)
	if err != nil {
		return nil, err
	}
	cfg.Region = region
	c := estate.New(cfg)
	net, err := c.NewNetwork(ctx, region)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", account, region, err)
	}
	arn := func(typ, name string) string { return resource.SageMakerARN(region, account, typ+"/"+name) }
	var items []Item
	add := func(it Item) {
		it.Account, it.Region = account, region
		items = append(items, it)
	}
	for _, m := range []struct {
		name string
		in   bool
	}{{"churn-public", false}, {"churn-private", true}} {
		var n *estate.Network
		conf := map[string]any{"ModelName": m.name}
		if m.in {
			n = net
			conf["VpcConfig"] = map[string]any{"Subnets": net.Subnets, "SecurityGroupIds": []string{net.SecurityGroup}}
		}
		if err := c.Model(ctx, m.name, n, nil); err != nil {
			return items, fmt.Errorf("%s/%s: %w", account, region, err)
		}
		add(Item{Kind: resource.Model, ResourceID: m.name, ResourceName: m.name, ARN: arn("model", m.name), NonCompliant: !m.in, Configuration: conf})
	}
	for _, nb := range []struct{ name, internet string }{{"research-open", "Enabled"}, {"research-private", "Disabled"}} {
		if err := c.Notebook(ctx, nb.name, nb.internet, net.Subnets[0], net); err != nil {
			return items, fmt.Errorf("%s/%s: %w", account, region, err)
		}
		add(Item{Kind: resource.Notebook, ResourceID: nb.name, ResourceName: nb.name, ARN: arn("notebook-instance", nb.name),
			NonCompliant:  nb.internet == "Enabled",
			Configuration: map[string]any{"NotebookInstanceName": nb.name, "DirectInternetAccess": nb.internet, "SubnetId": net.Subnets[0]}})
	}
	for _, ep := range []struct {
		service string
		dns     bool
	}{{"sagemaker.api", false}, {"sagemaker.runtime", true}} {
		service := "com.amazonaws." + region + "." + ep.service
		id, err := c.Endpoint(ctx, net, service, aws.Bool(ep.dns), "")
		if err != nil {
			return items, fmt.Errorf("%s/%s: %w", account, region, err)
		}
		add(Item{Kind: resource.VPCEndpoint, ResourceID: id, ARN: resource.EndpointARN(region, account, id), NonCompliant: !ep.dns,
			Configuration: map[string]any{"vpcEndpointId": id, "serviceName": service, "vpcEndpointType": "Interface",
				"privateDnsEnabled": ep.dns, "vpcId": net.VPC, "state": "available"}})
	}
	if first {
		access := "VpcOnly"
		if index%2 == 0 {
			access = "PublicInternetOnly"
		}
		id, err := c.Domain(ctx, "studio", access, net, nil)
		if err != nil {
			return items, fmt.Errorf("%s/%s: %w", account, region, err)
		}
		add(Item{Kind: resource.StudioDomain, ResourceID: id, ResourceName: "studio", ARN: arn("domain", id), NonCompliant: access != "VpcOnly",
			Configuration: map[string]any{"DomainId": id, "DomainName": "studio", "AppNetworkAccessType": access, "VpcId": net.VPC,
				"SubnetIds": net.Subnets}})
	}
	return items, nil
}

// Created is when Config says the seeded resources were created.
var Created = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func parallel(workers int, jobs []func() error) error {
	ch := make(chan func() error)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range max(workers, 1) {
		wg.Go(func() {
			for job := range ch {
				if err := job(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	return errors.Join(errs...)
}
