// Package guards assembles vpcguard's guard Lambdas for tests on clients a
// test chose (moto's, recorded, behind a fault proxy), the way
// functions/*/main.go assemble them. It is apart from testenv because it
// imports the guard and everything the guard is made of, whose own tests use
// testenv.
package guards

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/inventory/tagindex"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/domains"
	"github.com/vpcguard/vpcguard/shared/setup/endpoints"
	"github.com/vpcguard/vpcguard/shared/setup/jobs"
	"github.com/vpcguard/vpcguard/shared/setup/models"
	"github.com/vpcguard/vpcguard/shared/setup/networks"
	"github.com/vpcguard/vpcguard/shared/setup/notebooks"
	"github.com/vpcguard/vpcguard/shared/setup/presignedurls"
	"github.com/vpcguard/vpcguard/shared/setup/regions"
)

// Handler is a guard Lambda's handler evaluating rs (every rule when none)
// with c, on clients built from cfg in moto's account.
func Handler(c config.Config, cfg aws.Config, rs ...rules.Rule) *guard.Handler {
	accounts := awsclients.NewAccounts(cfg, "")
	accounts.SetHomeAccount(motoserver.Account)
	return ForAccounts(c, accounts, rs...)
}

// ForAccounts is Handler on accounts' clients.
func ForAccounts(c config.Config, accounts *awsclients.Accounts, rs ...rules.Rule) *guard.Handler {
	if len(rs) == 0 {
		rs = rules.All()
	}
	return &guard.Handler{Guard: setup.Guard(c, accounts, rs, nil, Kinds...)}
}

// FunctionKinds is what each guard function's main (functions/<name>/main.go)
// wires, by function name.
var FunctionKinds = map[string][]setup.Kind{
	"model-guard":         {models.Wiring},
	"endpoint-guard":      {endpoints.Wiring},
	"notebook-guard":      {notebooks.Wiring},
	"network-guard":       {networks.Models, networks.VPCs},
	"domain-guard":        {domains.Wiring},
	"job-guard":           {jobs.Wiring},
	"presigned-url-guard": {presignedurls.Wiring},
}

// Function is the handler of the guard function name as its main builds it
// (its row of rules.Guards, FunctionKinds), on clients built from cfg in
// moto's account.
func Function(c config.Config, cfg aws.Config, name string) (*guard.Handler, error) {
	accounts := awsclients.NewAccounts(cfg, "")
	accounts.SetHomeAccount(motoserver.Account)
	return FunctionOn(c, accounts, name)
}

// FunctionOn is Function on accounts' clients.
func FunctionOn(c config.Config, accounts *awsclients.Accounts, name string) (*guard.Handler, error) {
	fn, ok := rules.Guard(name)
	if !ok {
		return nil, fmt.Errorf("no guard function %q in rules.Guards", name)
	}
	kinds, ok := FunctionKinds[name]
	if !ok {
		return nil, fmt.Errorf("guard function %q: its kinds are not in guards.FunctionKinds", name)
	}
	return &guard.Handler{Guard: setup.Guard(c, accounts, fn.Rules, nil, kinds...)}, nil
}

// Kinds is every kind of resource, wired as the CLI and the backfill wire them.
var Kinds = []setup.Kind{networks.Zoned(models.Wiring), notebooks.Wiring, endpoints.Wiring, networks.VPCs,
	domains.Wiring, jobs.Wiring, presignedurls.Wiring}

// BackfillOnly is what the CLI and the backfill Lambda wire beyond the
// kinds: the enabled regions and the tag index.
var BackfillOnly = setup.BackfillOnly{EnabledRegions: regions.Enabled, TagIndex: tagindex.New}

// Backfill fills opts with what a backfill through accounts reads, as the
// CLI and the backfill Lambda wire it: every kind's sources (listing as the
// default configuration says: jobs of the last 7 days), the home account
// and region, and the enabled regions.
func Backfill(accounts *awsclients.Accounts, opts backfill.Options) backfill.Options {
	wired := setup.BackfillOptions(config.Default(), accounts, nil, BackfillOnly, Kinds...)
	opts.Sources, opts.Home, opts.EnabledRegions = wired.Sources, wired.Home, wired.EnabledRegions
	return opts
}
