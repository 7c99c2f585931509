// Command vpcguard is the command line for people: evaluate CloudTrail
// events, and backfill what already exists.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/domains"
	"github.com/vpcguard/vpcguard/shared/setup/endpoints"
	"github.com/vpcguard/vpcguard/shared/setup/jobs"
	"github.com/vpcguard/vpcguard/shared/setup/models"
	"github.com/vpcguard/vpcguard/shared/setup/networks"
	"github.com/vpcguard/vpcguard/shared/setup/notebooks"
	"github.com/vpcguard/vpcguard/shared/setup/presignedurls"
)

// kinds is what the CLI reads and remediates: every kind of resource, models
// with their subnets' zones for every model rule.
var kinds = []setup.Kind{networks.Zoned(models.Wiring), notebooks.Wiring, endpoints.Wiring, networks.VPCs,
	domains.Wiring, jobs.Wiring, presignedurls.Wiring}

// softMemoryLimit is the Go runtime's soft memory limit when GOMEMLIMIT is
// not set. A backfill's live heap is 8–10 MiB whatever the estate (the
// SDK clients' service schemas, one listing page, the requests in flight:
// findings are streamed, not held), but the garbage collector lets the heap
// grow to twice the live heap before it collects; the limit makes it
// collect sooner, which a run waiting on AWS most of the time can afford.
// Measured on moto, 1,000 per kind: peak RSS 44 MB without, 34 MB with
// (go run ./cmd/vpcguard-bench -only memory).
const softMemoryLimit = 20 << 20

func main() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
