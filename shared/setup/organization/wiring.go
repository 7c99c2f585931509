package organization

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/configservice"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/inventory/configindex"
	"github.com/vpcguard/vpcguard/shared/inventory/recorded"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/regions"
)

// ConfigIndex asks Config aggregators in the home Region, where the
// central account's aggregator is.
func ConfigIndex(accounts *awsclients.Accounts) orgbackfill.ConfigIndex {
	c := accounts.HomeClients()
	return configindex.Index{Config: awsclients.Service(c, configservice.NewFromConfig)}
}

// Recorded are the kinds' declarations of how Config records them
// (setup.Kind.Recorded); a kind without one is listed.
func Recorded(kinds ...setup.Kind) []recorded.Kind {
	var out []recorded.Kind
	for _, k := range kinds {
		if k.Recorded != nil {
			out = append(out, *k.Recorded)
		}
	}
	return out
}

// Planner plans an organization's backfill from the central account: its
// accounts from Organizations, its Regions as cfg says, Config as cfg names
// it.
func Planner(cfg config.Config, accounts *awsclients.Accounts, kinds ...setup.Kind) *orgbackfill.Planner {
	return &orgbackfill.Planner{
		Accounts:       Accounts(accounts),
		Home:           accounts,
		EnabledRegions: regions.Enabled(accounts),
		Regions:        cfg.BackfillRegions,
		Aggregator:     cfg.ConfigAggregator,
		Config:         ConfigIndex(accounts),
		Recorded:       Recorded(kinds...),
	}
}

// OrchestratorHandler builds the orchestrator function (the state machine's
// plan and summary steps) from the environment; kinds must read every rule
// (their Config declarations are what the plan asks Config for).
func OrchestratorHandler(ctx context.Context, log *slog.Logger, kinds ...setup.Kind) (*orgbackfill.Orchestrator, error) {
	calls := backfill.NewCalls()
	cfg, accounts, err := setup.Environment(ctx, calls.Instrument)
	if err != nil {
		return nil, err
	}
	if cfg.RunsBucket == "" {
		return nil, fmt.Errorf("%s: required (the bucket the state machine keeps its runs in)", config.EnvRunsBucket)
	}
	c := accounts.HomeClients()
	return &orgbackfill.Orchestrator{
		Planner: Planner(cfg, accounts, kinds...),
		Evaluator: func(o orgbackfill.Options) (*evaluate.Evaluator, error) {
			rs, err := rulesOf(o.Rules)
			if err != nil {
				return nil, err
			}
			// Offline: Config's items are decided as they are.
			return setup.Guard(cfg, nil, rs, log, kinds...).Evaluator, nil
		},
		Store:  Store{S3: awsclients.Service(c, NewS3), Bucket: cfg.RunsBucket},
		Bucket: cfg.RunsBucket,
		Calls:  calls,
		Log:    log,
	}, nil
}

func rulesOf(names []string) ([]rules.Rule, error) {
	if len(names) == 0 {
		return rules.All(), nil
	}
	var out []rules.Rule
	for _, n := range names {
		r := rules.ByName(n)
		if r == nil {
			return nil, fmt.Errorf("rules: unknown rule %q", n)
		}
		out = append(out, r)
	}
	return out, nil
}
