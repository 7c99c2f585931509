package setup

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// GuardHandler builds a guard Lambda's handler from the environment: the
// configuration is read and validated, and the AWS clients built, once per
// cold start. An error here is an init error: the function must not run
// half-configured.
func GuardHandler(ctx context.Context, rs []rules.Rule, log *slog.Logger) (*guard.Handler, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	base, err := awsclients.Load(ctx, os.Getenv("AWS_REGION"))
	if err != nil {
		return nil, err
	}
	accounts := awsclients.NewAccounts(base, cfg.AssumeRoleName)
	g := Guard(cfg, accounts, rs, false, log)
	h := &guard.Handler{Guard: g}
	if rem, ok := g.Remediator.(*remediate.Remediator); ok {
		h.Rechecker = rem
	}
	return h, nil
}
