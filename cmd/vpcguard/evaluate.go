package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/report"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

func runEvaluate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vpcguard evaluate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common commonFlags
	common.register(fs, "json | table | html (one self-contained file: summary, charts, filterable findings)")
	offline := fs.Bool("offline", false, "decide from the events alone; call no AWS API (INSUFFICIENT_DATA where the event cannot tell)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: vpcguard evaluate [flags] FILE... | -\n\nEvaluates CloudTrail events against the current state of the resources they name.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitBadInput
	}
	cfg, err := common.config(fs)
	if err != nil {
		fmt.Fprintf(stderr, "vpcguard: %v\n", err)
		return exitBadInput
	}
	format, err := common.outputFormat(stdout, report.JSON, report.Table, report.HTML)
	if err != nil {
		fmt.Fprintf(stderr, "vpcguard: --format: %v\n", err)
		return exitBadInput
	}
	log, err := common.logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "vpcguard: %v\n", err)
		return exitBadInput
	}

	var accounts *awsclients.Accounts
	if !*offline {
		base, err := awsclients.Load(ctx, common.region)
		if err != nil {
			fmt.Fprintf(stderr, "vpcguard: %v\n", err)
			return exitFailed
		}
		accounts = awsclients.NewAccounts(base, cfg.AssumeRoleName)
	}
	g := setup.Guard(cfg, accounts, rules.All(), log, kinds...)

	code := exitOK
	// Each finding is written as soon as it is made: a large log file costs
	// no more memory than a small one.
	out := report.NewWriter(stdout, format, common.writerOptions(stdout, format, "vpcguard evaluate",
		"vpcguard evaluate "+strings.Join(args, " ")+" · mode "+string(cfg.Mode)+dryRunNote(cfg)))
	var writeErr error
	for _, name := range fs.Args() {
		data, err := readInput(name, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "vpcguard: %s: %v\n", name, err)
			code = exitBadInput
			continue
		}
		events, err := cloudtrail.Parse(data)
		if err != nil {
			fmt.Fprintf(stderr, "vpcguard: %s: %v\n", name, err)
			code = exitBadInput
		}
		for i := range events {
			ev := &events[i]
			if why := g.SkipReason(ev); why != "" {
				// A person asked for this file: say what was not evaluated
				// and why, on stderr, so an empty result is never a mystery.
				log.Warn("skipped", "file", name, "eventId", ev.ID, "eventName", ev.Name, "reason", why)
				continue
			}
			found, err := g.Event(ctx, ev)
			for _, f := range found {
				if writeErr == nil {
					writeErr = out.Write(f)
				}
			}
			if err != nil {
				fmt.Fprintf(stderr, "vpcguard: %s: event %s (%s): %v\n", name, ev.ID, ev.Name, err)
				if code == exitOK {
					code = exitFailed
				}
			}
		}
	}
	if writeErr == nil {
		writeErr = out.Close()
	}
	if writeErr != nil {
		fmt.Fprintf(stderr, "vpcguard: write output: %v\n", writeErr)
		return exitFailed
	}
	return code
}

func readInput(name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, cloudtrail.MaxInput+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return data, nil
}
