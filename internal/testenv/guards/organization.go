package guards

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"

	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/internal/testenv/orgestate"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/inventory/configindex"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/organization"
)

// Organization is what an in-process organization backfill on moto is
// made of, as the CLI wires it (orgbackfill.Local over every kind): the
// tests of shared/orgbackfill and the bench's org group run it.
type Organization struct {
	Rules       []rules.Rule
	Regions     []string // the planner's default Regions
	Concurrency int      // calls at once within a shard
	// ConfigURL, when set, is a Config endpoint (the configfake FAKE) the
	// planner asks.
	ConfigURL string
	Findings  func(finding.Finding) error
}

// Local builds the run on clients built from base (moto's), counting every
// call they make in the returned counter: the member role is
// orgestate.Role, findings go to o.Findings only (no ticket sink).
func (o Organization) Local(base aws.Config) (*orgbackfill.Local, *backfill.Calls) {
	calls := backfill.NewCalls()
	calls.Instrument(&base)
	accounts := awsclients.NewAccounts(base, orgestate.Role)
	accounts.SetHomeAccount(motoserver.Account)
	cfg := config.Default()
	cfg.Sinks = nil
	cfg.AssumeRoleName = orgestate.Role
	cfg.BackfillRegions = o.Regions
	engine := Backfill(accounts, backfill.Options{Calls: calls, Concurrency: o.Concurrency, Rules: o.Rules})
	engine.Guard = setup.Guard(cfg, accounts, o.Rules, nil, Kinds...)
	engine.Findings = o.Findings
	planner := organization.Planner(cfg, accounts, Kinds...)
	if o.ConfigURL != "" {
		cc := base.Copy()
		cc.BaseEndpoint = aws.String(o.ConfigURL)
		planner.Config = configindex.Index{Config: configservice.NewFromConfig(cc)}
	}
	return &orgbackfill.Local{Planner: planner, Engine: engine, Forget: accounts.Forget}, calls
}
