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
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/report"
	"github.com/vpcguard/vpcguard/shared/rules"
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
  vpcguard backfill [flags]               evaluate every model, notebook, Studio domain, job and SageMaker VPC endpoint that exists
  vpcguard backfill --accounts org        the same over every active account of the organization, one shard per account and Region
  vpcguard demo                           the main job on a local AWS emulator (moto_server): backfill, enforce, backfill, an organization
  vpcguard rules [--format table|json|markdown]   list the rules
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
		return runRules(args[1:], stdout, stderr)
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
	width                                                                  int
}

func (c *commonFlags) register(fs *flag.FlagSet, formats string) {
	fs.StringVar(&c.mode, "mode", "", "report | ticket | enforce for every rule ("+config.EnvMode+"; the CLI's default is report)")
	fs.StringVar(&c.ruleModes, "rule-modes", "", "per-rule modes, rule=mode,... ("+config.EnvRuleModes+")")
	fs.BoolVar(&c.dryRun, "dry-run", false, "walk the enforce path and stop before every write ("+config.EnvDryRun+")")
	fs.StringVar(&c.sinks, "sinks", "", "ticket sinks: "+strings.Join(config.Sinks, ",")+" ("+config.EnvSinks+")")
	fs.StringVar(&c.exemptTag, "exempt-tag-key", "", "tag key that exempts a resource ("+config.EnvExemptTagKey+")")
	fs.StringVar(&c.protected, "protected-principals", "", "ARN patterns never given a guardrail ("+config.EnvProtectedPrincipals+")")
	fs.StringVar(&c.region, "region", "", "AWS region for API calls without one (AWS_REGION)")
	fs.StringVar(&c.format, "format", "", formats+" (default: table on a terminal, else json)")
	fs.IntVar(&c.width, "width", -1, "table width in columns: long ids are shortened in the middle (JSON, CSV and HTML keep them whole) and reasons wrapped\n"+
		"(default: the terminal's width; when stdout is not a terminal, none: every value in full, the columns padded to fixed widths)")
	fs.StringVar(&c.logLevel, "log-level", "", "debug | info | warn | error on stderr ("+envLogLevel+"; default warn: errors and skipped events)")
}

// envLogLevel is the CLI's log level on stderr. The Lambda functions log
// at the level Lambda's logging configuration sets (the stack's logLevel).
const envLogLevel = "VPCGUARD_LOG_LEVEL"

// config reads the environment and applies the flags over it. A person's
// command changes nothing unless asked: without VPCGUARD_MODE or --mode,
// every rule reports.
func (c *commonFlags) config(fs *flag.FlagSet) (config.Config, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	overrides := map[string]string{}
	if _, ok := os.LookupEnv(config.EnvMode); !ok {
		overrides[config.EnvMode] = string(mode.Report)
	}
	for flagName, env := range map[string]string{
		"mode": config.EnvMode, "rule-modes": config.EnvRuleModes, "sinks": config.EnvSinks,
		"exempt-tag-key": config.EnvExemptTagKey, "protected-principals": config.EnvProtectedPrincipals,
	} {
		if set[flagName] {
			overrides[env] = fs.Lookup(flagName).Value.String()
		}
	}
	if set["dry-run"] {
		overrides[config.EnvDryRun] = fmt.Sprint(c.dryRun)
	}
	return config.FromLookup(func(name string) (string, bool) {
		if v, ok := overrides[name]; ok {
			return v, true
		}
		return os.LookupEnv(name)
	})
}

// logger is the text logger on stderr at --log-level, else
// VPCGUARD_LOG_LEVEL, else warn: errors, and the events a command skipped
// with the reason.
func (c *commonFlags) logger(stderr io.Writer) (*slog.Logger, error) {
	level, name := c.logLevel, "--log-level"
	if level == "" {
		level, name = os.Getenv(envLogLevel), envLogLevel
	}
	if level == "" {
		level = "warn"
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%s: %q is not debug, info, warn or error", name, level)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: l})), nil
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

// writerOptions shape format's output on stdout: a table fits the
// terminal (or --width) and is colored there; the HTML report is titled.
func (c *commonFlags) writerOptions(stdout io.Writer, format report.Format, title, context string) report.Options {
	o := report.Options{Title: title, Context: context, RuleWidth: ruleWidth()}
	if format == report.Table {
		o.Color = isTerminal(stdout)
		o.Width = c.width
		if c.width < 0 {
			o.Width = terminalWidth(stdout)
		}
	}
	return o
}

// ruleWidth is the longest rule name in the catalogue: the table's RULE
// column.
func ruleWidth() int {
	n := 0
	for _, r := range rules.All() {
		n = max(n, len(r.Name()))
	}
	return n
}

// terminalWidth is the width of the terminal w writes to, or 0 (no limit)
// when w is not a terminal.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		return 0
	}
	return width
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
