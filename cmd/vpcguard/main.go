// Command vpcguard is the command line for people: evaluate CloudTrail
// events, and backfill what already exists.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/domains"
	"github.com/vpcguard/vpcguard/shared/setup/endpoints"
	"github.com/vpcguard/vpcguard/shared/setup/jobs"
	"github.com/vpcguard/vpcguard/shared/setup/models"
	"github.com/vpcguard/vpcguard/shared/setup/notebooks"
	"github.com/vpcguard/vpcguard/shared/setup/presignedurls"
)

// kinds is what the CLI reads and remediates: every kind of resource.
var kinds = []setup.Kind{models.Wiring, notebooks.Wiring, endpoints.Wiring, domains.Wiring, jobs.Wiring, presignedurls.Wiring}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
