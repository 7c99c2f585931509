package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
	"github.com/vpcguard/vpcguard/shared/report"
	"github.com/vpcguard/vpcguard/shared/setup/organization"
)

// summaryAccounts is how many accounts the closing summary's table names
// (the progress lines above it named every one).
const summaryAccounts = 20

// orgRun is `vpcguard backfill --accounts ...`: the organization backfill
// in this process (orgbackfill.Local), with the plan and shard code of the
// deployed state machine.
type orgRun struct {
	cfg      config.Config
	accounts *awsclients.Accounts
	// engine is the one-account backfill's options (guard, sources,
	// findings' sink, creators); each shard narrows them to its account
	// and Region.
	engine     backfill.Options
	aggregator *string // --config-aggregator; nil: VPCGUARD_CONFIG_AGGREGATOR
	stderr     io.Writer
}

func (r orgRun) run(ctx context.Context) int {
	start := time.Now()
	local := &orgbackfill.Local{
		Planner: organization.Planner(r.cfg, r.accounts, kinds...),
		Engine:  r.engine,
		Forget:  r.accounts.Forget,
		AccountDone: func(a orgbackfill.AccountTally, done, total int) {
			writeAccountProgress(r.stderr, a, done, total)
		},
	}
	req := orgbackfill.Request{Accounts: r.engine.Accounts, Regions: r.engine.Regions, ConfigAggregator: r.aggregator}
	s, err := local.Run(ctx, req)
	if err != nil && s.Shards == 0 {
		fmt.Fprintf(r.stderr, "vpcguard: backfill could not run: %v\n", err)
		if errors.Is(err, orgbackfill.ErrBadRequest) {
			return exitBadInput
		}
		return exitFailed
	}
	writeOrgSummary(r.stderr, r.cfg, s, time.Since(start))
	switch {
	case err != nil:
		fmt.Fprintf(r.stderr, "vpcguard: backfill stopped: %v\n", err)
		return exitFailed
	case s.ShardsFailed > 0 || s.ShardsNotRun > 0:
		fmt.Fprintf(r.stderr, "vpcguard: %d of %s failed: their accounts and Regions were not read (exit %d)\n", s.ShardsFailed+s.ShardsNotRun, plural(s.Shards, "shard"), exitFailed)
		return exitFailed
	}
	return exitOK
}

// writeAccountProgress is an account's line as its last shard ends.
func writeAccountProgress(w io.Writer, a orgbackfill.AccountTally, done, total int) {
	fmt.Fprintf(w, "account %s: %s done, %d failed, %s, %d NON_COMPLIANT (%d/%d accounts)\n",
		a.Account, plural(a.Shards-a.FailedShards, "shard"), a.FailedShards, plural(findings(a.Counts), "finding"), nonCompliant(a.Counts), done, total)
}

// writeOrgSummary prints an organization backfill's summary for a person
// reading stderr: the shards, the counts by rule and status, the accounts
// with the most NON_COMPLIANT findings, what Config answered, the AWS
// calls, and the failed shards and errors by name.
func writeOrgSummary(w io.Writer, cfg config.Config, s orgbackfill.Summary, took time.Duration) {
	dry := ""
	if cfg.DryRun {
		dry = ", dry run"
	}
	fmt.Fprintf(w, "\nbackfill: %d resources in %s × %s = %s: %d succeeded, %d failed (mode %s%s) in %.1fs\n",
		s.Resources, plural(s.Accounts, "account"), plural(len(s.Regions), "region")+" ("+regionList(s.Regions)+")",
		plural(s.Shards, "shard"), s.ShardsSucceeded, s.ShardsFailed, cfg.Mode, dry, took.Seconds())
	_ = report.WriteTally(w, s.Counts)
	if len(s.ByAccount) > 0 {
		fmt.Fprintln(w)
		writeAccountTable(w, s.ByAccount, summaryAccounts)
	}
	if c := s.Config; c != nil {
		fmt.Fprintf(w, "AWS Config aggregator %s: %s decided from Config, %s read online; %s\n",
			c.Aggregator, plural(c.Decided, "resource"), plural(c.Read, "resource"), plural(int(c.Calls), "SelectAggregateResourceConfig call"))
		for _, k := range c.Kinds {
			switch {
			case !k.Recorded:
				fmt.Fprintf(w, "  %s: not recorded by Config, listed in every shard\n", k.Kind)
			case k.Error != "":
				fmt.Fprintf(w, "  %s: the query failed, listed in every shard: %s\n", k.Type, k.Error)
			default:
				fmt.Fprintf(w, "  %s: %d items, %d decided, %d read online; covered in %d shards, listed in %d\n",
					k.Type, k.Items, k.Decided, k.Read, k.Covered, k.Listed)
			}
		}
	}
	if s.Calls > 0 {
		fmt.Fprintf(w, "AWS calls: %d (%.2f per resource)\n", s.Calls, s.CallsPerResource)
	}
	if s.ShardsFailed > 0 {
		more := ""
		if s.FailedOmitted > 0 {
			more = fmt.Sprintf(" (%d more not listed)", s.FailedOmitted)
		}
		fmt.Fprintf(w, "%s%s:\n", plural(s.ShardsFailed, "failed shard"), more)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, f := range s.FailedShards {
			fmt.Fprintf(tw, "  %s/%s\t%s\n", f.Account, f.Region, f.Error)
		}
		tw.Flush()
	}
	if s.ShardsNotRun > 0 {
		fmt.Fprintf(w, "%s not run\n", plural(s.ShardsNotRun, "shard"))
	}
	if len(s.Errors) > 0 {
		more := ""
		if s.ErrorsOmitted > 0 {
			more = fmt.Sprintf(" (%d more not listed)", s.ErrorsOmitted)
		}
		fmt.Fprintf(w, "%s%s:\n", plural(len(s.Errors)+s.ErrorsOmitted, "error"), more)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, e := range s.Errors {
			what := e.Kind
			if e.Resource != "" {
				what += " " + e.Resource
			}
			fmt.Fprintf(tw, "  %s/%s\t%s\t%s\n", e.Account, e.Region, what, e.Error)
		}
		tw.Flush()
	}
}

// writeAccountTable writes one row per account (at most limit, 0: all, in
// the order given): its shards, resources, NON_COMPLIANT findings, and those
// by rule.
func writeAccountTable(w io.Writer, accounts []orgbackfill.AccountTally, limit int) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tSHARDS\tFAILED\tRESOURCES\tNON_COMPLIANT\tNON_COMPLIANT BY RULE")
	for i, a := range accounts {
		if limit > 0 && i == limit {
			break
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", a.Account, a.Shards, a.FailedShards, a.Resources, nonCompliant(a.Counts), byRule(a.Counts))
	}
	tw.Flush()
	if limit > 0 && len(accounts) > limit {
		fmt.Fprintf(w, "(and %s more)\n", plural(len(accounts)-limit, "account"))
	}
}

// byRule lists a tally's NON_COMPLIANT findings by rule: "model-in-vpc 2,
// ..." (the rules' common "sagemaker-" dropped).
func byRule(c finding.Counts) string {
	var parts []string
	for r, byStatus := range c.ByRule {
		if n := byStatus[finding.NonCompliant]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", strings.TrimPrefix(r, "sagemaker-"), n))
		}
	}
	sort.Strings(parts)
	return orNone(parts)
}

func nonCompliant(c finding.Counts) int {
	n := 0
	for _, byStatus := range c.ByRule {
		n += byStatus[finding.NonCompliant]
	}
	return n
}

func findings(c finding.Counts) int {
	n := 0
	for _, byStatus := range c.ByRule {
		for _, k := range byStatus {
			n += k
		}
	}
	return n
}
