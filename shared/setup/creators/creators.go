// Package creators wires the backfill's lookup of who created what already
// exists to its AWS clients: CloudTrail's event history in each account and
// region (through the role assumed there), and the trail bucket's S3 with
// the base credentials. Only the binaries that look creators up (the CLI,
// the backfill Lambda) import it, so only they link CloudTrail and S3.
package creators

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/history"
	"github.com/vpcguard/vpcguard/shared/traillogs"
)

// Wiring builds one run's finder (setup.Creators).
func Wiring(ctx context.Context, cfg config.Config, accounts *awsclients.Accounts, log *slog.Logger) (backfill.Creators, error) {
	f, err := Finder(ctx, cfg, accounts, log)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Finder builds one run's finder. A trail bucket that cannot be opened is
// an error: the run was asked to read it.
func Finder(ctx context.Context, cfg config.Config, accounts *awsclients.Accounts, log *slog.Logger) (*history.Finder, error) {
	f := &history.Finder{
		History: func(ctx context.Context, account, region string) (history.LookupAPI, error) {
			c, err := accounts.For(ctx, account, region)
			if err != nil {
				return nil, err
			}
			return awsclients.Service(c, cloudtrail.NewFromConfig), nil
		},
		MaxLookups: cfg.CreatorLookupMax,
		Log:        log,
	}
	if cfg.TrailBucket == "" {
		return f, nil
	}
	loc, err := traillogs.ParseLocation(cfg.TrailBucket)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.EnvTrailBucket, err)
	}
	home, err := accounts.For(ctx, "", "")
	if err != nil {
		return nil, err
	}
	if f.Logs, err = traillogs.Open(ctx, loc, traillogs.Clients(home.Config())); err != nil {
		return nil, fmt.Errorf("%s: %w", config.EnvTrailBucket, err)
	}
	return f, nil
}
