package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/report"
)

// Exit codes: scripts rely on them.
const (
	exitOK       = 0
	exitFailed   = 1 // the run could not complete: AWS errors, credentials, region
	exitBadInput = 2 // an input or a flag was wrong
)

const usage = `vpcguard keeps Amazon SageMaker private.

Usage:
  vpcguard evaluate [flags] FILE... | -   evaluate CloudTrail events (EventBridge events, records, arrays, log files)
  vpcguard backfill [flags]               evaluate every model, notebook and SageMaker VPC endpoint that exists
  vpcguard demo                           the main job on a local AWS emulator (moto_server): backfill, enforce, backfill
  vpcguard rules                          list the rules
  vpcguard version

Run 'vpcguard COMMAND -h' for a command's flags. Configuration comes from
VPCGUARD_* environment variables (see README); flags override them.
`

var version = "dev"

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitBadInput
	}
	switch args[0] {
	case "evaluate":
		return runEvaluate(ctx, args[1:], stdin, stdout, stderr)
	case "backfill":
		return runBackfill(ctx, args[1:], stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "rules":
		return runRules(stdout)
	case "version", "--version":
		fmt.Fprintln(stdout, "vpcguard", version)
		return exitOK
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "vpcguard: unknown command %q\n\n%s", args[0], usage)
	return exitBadInput
}

// commonFlags are the configuration flags every command shares; each
// overrides its environment variable when given.
type commonFlags struct {
	mode, ruleModes, sinks, exemptTag, region, format, logLevel, protected string
	dryRun                                                                 bool
}

func (c *commonFlags) register(fs *flag.FlagSet, formats string) {
	fs.StringVar(&c.mode, "mode", "", "report | ticket | enforce for every rule (VPCGUARD_MODE; the CLI's default is report)")
	fs.StringVar(&c.ruleModes, "rule-modes", "", "per-rule modes, rule=mode,... (VPCGUARD_RULE_MODES)")
	fs.BoolVar(&c.dryRun, "dry-run", false, "walk the enforce path and stop before every write (VPCGUARD_DRY_RUN)")
	fs.StringVar(&c.sinks, "sinks", "", "ticket sinks: securityhub,opscenter,sns (VPCGUARD_SINKS)")
	fs.StringVar(&c.exemptTag, "exempt-tag-key", "", "tag key that exempts a resource (VPCGUARD_EXEMPT_TAG_KEY)")
	fs.StringVar(&c.protected, "protected-principals", "", "ARN patterns never given a guardrail (VPCGUARD_PROTECTED_PRINCIPALS)")
	fs.StringVar(&c.region, "region", "", "AWS region for API calls without one (AWS_REGION)")
	fs.StringVar(&c.format, "format", "", formats+" (default: table on a terminal, else json)")
	fs.StringVar(&c.logLevel, "log-level", "", "debug | info | warn | error on stderr (VPCGUARD_LOG_LEVEL; default warn: errors and skipped events)")
}

// config reads the environment and applies the flags over it.
func (c *commonFlags) config(fs *flag.FlagSet) (config.Config, error) {
	lookup := func(name string) (string, bool) {
		v, ok := os.LookupEnv(name)
		if name == "VPCGUARD_MODE" && !ok {
			return string(config.Report), true // a person's command changes nothing unless asked
		}
		if name == "VPCGUARD_LOG_LEVEL" && !ok {
			return "warn", true // errors, and the events a command skipped with the reason
		}
		return v, ok
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	overrides := map[string]string{}
	if set["mode"] {
		overrides["VPCGUARD_MODE"] = c.mode
	}
	if set["rule-modes"] {
		overrides["VPCGUARD_RULE_MODES"] = c.ruleModes
	}
	if set["dry-run"] {
		overrides["VPCGUARD_DRY_RUN"] = fmt.Sprint(c.dryRun)
	}
	if set["sinks"] {
		overrides["VPCGUARD_SINKS"] = c.sinks
	}
	if set["exempt-tag-key"] {
		overrides["VPCGUARD_EXEMPT_TAG_KEY"] = c.exemptTag
	}
	if set["protected-principals"] {
		overrides["VPCGUARD_PROTECTED_PRINCIPALS"] = c.protected
	}
	if set["log-level"] {
		overrides["VPCGUARD_LOG_LEVEL"] = c.logLevel
	}
	return config.FromLookup(func(name string) (string, bool) {
		if v, ok := overrides[name]; ok {
			return v, true
		}
		return lookup(name)
	})
}

func (c *commonFlags) outputFormat(stdout io.Writer, allowed ...report.Format) (report.Format, error) {
	if c.format == "" {
		if isTerminal(stdout) {
			return report.Table, nil
		}
		return report.JSON, nil
	}
	return report.ParseFormat(c.format, allowed...)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newLogger(stderr io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(strings.ToUpper(level)))
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: l}))
}
