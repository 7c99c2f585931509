// Package setup wires vpcguard's parts together from a configuration, for
// every kind of resource: the CLI, the backfill and the tests use it. It
// links every AWS service vpcguard calls; a guard Lambda, which guards one
// kind, is built with package wire and that kind's wiring instead (see
// functions/*/main.go), and links only the services it calls.
package setup

import (
	"context"
	"log/slog"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup/endpoints"
	"github.com/vpcguard/vpcguard/shared/setup/models"
	"github.com/vpcguard/vpcguard/shared/setup/notebooks"
	"github.com/vpcguard/vpcguard/shared/setup/wire"
)

// All wires every kind of resource vpcguard guards.
var All = []wire.Kind{models.Wiring, notebooks.Wiring, endpoints.Wiring}

// Readers reads resources of every kind through accounts' clients.
func Readers(accounts *awsclients.Accounts) evaluate.Readers {
	return wire.Readers(accounts, All)
}

// RemediationAPIs hands the remediations their clients.
func RemediationAPIs(accounts *awsclients.Accounts) remediate.APIs {
	return wire.RemediationAPIs(accounts, All)
}

// Guard builds the pipeline for rules. With offline set it decides from
// events alone and touches no AWS API.
func Guard(cfg config.Config, accounts *awsclients.Accounts, rs []rules.Rule, offline bool, log *slog.Logger) *guard.Guard {
	return wire.Guard(cfg, accounts, rs, offline, log, All...)
}

// GuardHandler builds a guard Lambda's handler for rules of any kind from
// the environment (wire.GuardHandler). An error is an init error.
func GuardHandler(ctx context.Context, rs []rules.Rule, log *slog.Logger) (*guard.Handler, error) {
	return wire.GuardHandler(ctx, rs, log, All...)
}

// Tickets builds the configured ticket sinks (wire.Tickets).
func Tickets(cfg config.Config, accounts *awsclients.Accounts, log *slog.Logger) guard.Tickets {
	return wire.Tickets(cfg, accounts, log)
}

// InitErrorType is the errorType a vpcguard function reports when its init
// fails.
const InitErrorType = wire.InitErrorType

// InitFailed ends a Lambda function whose init failed (wire.InitFailed).
func InitFailed(log *slog.Logger, err error) { wire.InitFailed(log, err) }

// ReportInitError posts err to the Runtime API's init/error endpoint
// (wire.ReportInitError).
func ReportInitError(api string, err error) error { return wire.ReportInitError(api, err) }
