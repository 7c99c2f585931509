// Command vpcguard is the command line for people: evaluate CloudTrail
// events, and backfill what already exists.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/endpoints"
	"github.com/vpcguard/vpcguard/shared/setup/models"
	"github.com/vpcguard/vpcguard/shared/setup/networks"
	"github.com/vpcguard/vpcguard/shared/setup/notebooks"
)

// kinds is what the CLI reads and remediates: every kind of resource, models
// with their subnets' zones for every model rule.
var kinds = []setup.Kind{networks.Zoned(models.Wiring), notebooks.Wiring, endpoints.Wiring, networks.VPCs}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
