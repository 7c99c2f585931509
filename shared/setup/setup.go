// Package setup wires vpcguard's parts together from a configuration: the
// one place that knows which concrete AWS clients feed which interfaces.
package setup

import (
	"context"
	"log/slog"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/inventory"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// Readers reads resource state through accounts' clients.
func Readers(accounts *awsclients.Accounts) evaluate.Readers {
	return func(ctx context.Context, account, region string) (evaluate.StateReader, error) {
		c, err := accounts.For(ctx, account, region)
		if err != nil {
			return nil, err
		}
		return &inventory.Reader{SageMaker: c.SageMaker, EC2: c.EC2}, nil
	}
}

// RemediationAPIs hands the remediations their clients.
func RemediationAPIs(accounts *awsclients.Accounts) remediate.APIs {
	return func(ctx context.Context, account, region string) (remediate.API, error) {
		c, err := accounts.For(ctx, account, region)
		if err != nil {
			return remediate.API{}, err
		}
		return remediate.API{IAM: c.IAM, SageMaker: c.SageMaker, EC2: c.EC2, SQS: c.SQS}, nil
	}
}

// Guard builds the pipeline for rules. With offline set it decides from
// events alone and touches no AWS API.
func Guard(cfg config.Config, accounts *awsclients.Accounts, rs []rules.Rule, offline bool, log *slog.Logger) *guard.Guard {
	ev := &evaluate.Evaluator{Rules: rs, ExemptTagKey: cfg.ExemptTagKey}
	g := &guard.Guard{Config: cfg, Evaluator: ev, Log: log}
	if offline || accounts == nil {
		return g
	}
	ev.Readers = Readers(accounts)
	g.Remediator = &remediate.Remediator{Config: cfg, APIs: RemediationAPIs(accounts), Log: log}
	g.Tickets = Tickets(cfg, accounts, log)
	return g
}
