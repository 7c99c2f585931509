package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/history"
	"github.com/vpcguard/vpcguard/shared/inventory/tagindex"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
	"github.com/vpcguard/vpcguard/shared/report"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/creators"
	"github.com/vpcguard/vpcguard/shared/setup/regions"
)

var accountID = regexp.MustCompile(`^\d{12}$`)

// backfillFlags are backfill's own flags, beside the common ones.
type backfillFlags struct {
	regions, accounts, assumeRole, rules string
	configAggregator                     string
	concurrency, jobLookbackDays         int

	lookupCreators, creatorGuardrails bool
	trailBucket                       string
	creatorLookupMax, creatorMaxAge   int
}

func (b *backfillFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&b.regions, "regions", "", "regions to scan, comma-separated, or all (default: the configured region, AWS_REGION;\n"+
		"with --accounts, "+config.EnvBackfillRegions+" when set)")
	fs.StringVar(&b.accounts, "accounts", "", "account ids to scan, comma-separated, or org: every active account of the organization (Organizations ListAccounts,\n"+
		"with the credentials of the management account or a delegated administrator); runs one shard per account and Region\n"+
		"and prints each account's progress on stderr (default: the credentials' account alone); others need --assume-role")
	fs.StringVar(&b.configAggregator, "config-aggregator", "", "with --accounts: the AWS Config aggregator asked first, \"\" for none (the Config fast path; "+config.EnvConfigAggregator+")")
	fs.StringVar(&b.assumeRole, "assume-role", "", "role name to assume in each other account ("+config.EnvAssumeRoleName+")")
	fs.StringVar(&b.rules, "rules", "", "rules to run, comma-separated (default: all; see 'vpcguard rules')")
	fs.IntVar(&b.concurrency, "concurrency", 0, fmt.Sprintf("resources evaluated at once (%s; default %d)", config.EnvConcurrency, backfill.DefaultConcurrency))
	fs.IntVar(&b.jobLookbackDays, "job-lookback-days", 0, fmt.Sprintf("report jobs that finished within this many days, 0..%d; running jobs are always listed (%s; default %d)",
		config.MaxJobLookbackDays, config.EnvJobLookbackDays, config.Default().JobLookbackDays))
	fs.BoolVar(&b.lookupCreators, "lookup-creators", false, "look up who created each NON_COMPLIANT resource in CloudTrail's event history, 2 LookupEvents calls/s per account and region ("+config.EnvCreatorLookup+")")
	fs.IntVar(&b.creatorLookupMax, "creator-lookup-max", 0, fmt.Sprintf("LookupEvents calls per run at most (%s; default %d)", config.EnvCreatorLookupMax, config.Default().CreatorLookupMax))
	fs.StringVar(&b.trailBucket, "trail-bucket", "", "s3://bucket/prefix of a trail's log files, for creators older than the event history's 90 days; implies --lookup-creators ("+config.EnvTrailBucket+")")
	fs.BoolVar(&b.creatorGuardrails, "creator-guardrails", false, "enforce: attach the guardrail to the creators found too; implies --lookup-creators ("+config.EnvCreatorGuardrails+")")
	fs.IntVar(&b.creatorMaxAge, "creator-max-age-days", 0, fmt.Sprintf("only to creators whose call is at most this many days old (%s; default %d)", config.EnvCreatorMaxAgeDays, config.Default().CreatorMaxAgeDays))
}

func runBackfill(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vpcguard backfill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common commonFlags
	common.register(fs, "table | json | csv | html (one self-contained file: summary, charts, filterable findings)")
	var bf backfillFlags
	bf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: vpcguard backfill [flags]

Evaluates every SageMaker model, notebook instance, Studio domain and SageMaker
interface VPC endpoint that exists in the chosen regions and accounts, the jobs
still running and those that finished within --job-lookback-days, and acts per mode
(report by default: nothing is changed unless --mode ticket|enforce is given).
Findings go to stdout as each one completes (so their order is the order of
completion), the summary (and a progress bar on a terminal) to stderr.
With --accounts (a list, or org for every active account of the organization)
the run is the organization backfill, in this process: one shard per account
and Region, a few at a time, the same plan and shard code as the deployed
state machine; stderr gets a line as each account completes, and the summary
names the failed shards with their errors (a member whose role refuses).
In the table, ◐ CONTAINED marks a NON_COMPLIANT resource that vpcguard's
measures hold (stopped, guardrail attached, tagged); JSON and CSV say
"contained" and which measures.
Exit 0 when the run completed, whatever it found; 1 when it could not run, or
when any shard failed (its account and Region were not read: the others'
findings are printed, the summary names the failed ones); 2 for bad flags.`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vpcguard: backfill takes no arguments (got %q)\n", fs.Args())
		return exitBadInput
	}
	cfg, err := common.config(fs)
	if err != nil {
		fmt.Fprintf(stderr, "vpcguard: %v\n", err)
		return exitBadInput
	}
	opts, err := bf.apply(fs, &cfg)
	if err != nil {
		fmt.Fprintf(stderr, "vpcguard: %v\n", err)
		return exitBadInput
	}
	format, err := common.outputFormat(stdout, report.Table, report.JSON, report.CSV, report.HTML)
	if err != nil {
		fmt.Fprintf(stderr, "vpcguard: --format: %v\n", err)
		return exitBadInput
	}
	log, err := common.logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "vpcguard: %v\n", err)
		return exitBadInput
	}

	base, err := awsclients.Load(ctx, common.region)
	if err != nil {
		fmt.Fprintf(stderr, "vpcguard: %v\n", err)
		return exitFailed
	}
	calls := backfill.NewCalls()
	calls.Instrument(&base)
	accounts := awsclients.NewAccounts(base, cfg.AssumeRoleName)
	shared := setup.BackfillOptions(cfg, accounts, log, setup.BackfillOnly{EnabledRegions: regions.Enabled, TagIndex: tagindex.New}, kinds...)
	opts.Sources, opts.Home, opts.EnabledRegions, opts.AccountDone = shared.Sources, shared.Home, shared.EnabledRegions, shared.AccountDone
	opts.Calls = calls
	opts.Guard = setup.Guard(cfg, accounts, opts.Rules, log, kinds...)
	var finder *history.Finder
	if cfg.CreatorLookup {
		if finder, err = creators.Finder(ctx, cfg, accounts, log); err != nil {
			fmt.Fprintf(stderr, "vpcguard: %v\n", err)
			return exitFailed
		}
		opts.Creators = finder
	}

	// Each finding is written as it completes; nothing is held but counts.
	out := report.NewWriter(stdout, format, common.writerOptions(stdout, format, "vpcguard backfill",
		"vpcguard backfill "+strings.Join(args, " ")+" · mode "+string(cfg.Mode)+dryRunNote(cfg)))
	bar := newProgressBar(stderr)
	if len(opts.Accounts) == 0 {
		// The organization backfill's shards run side by side: each
		// account's line says how far it is instead.
		opts.Progress = bar.Update
	}
	written := 0
	var writeErr error
	creatorOutcomes := map[finding.Outcome]int{}
	opts.Findings = func(f finding.Finding) error {
		written++
		for _, a := range f.Actions {
			if a.Type == history.ActionFind {
				creatorOutcomes[a.Outcome]++
			}
		}
		bar.Around(func() { writeErr = out.Write(f) })
		return writeErr
	}
	if len(opts.Accounts) > 0 {
		bar.Finish()
		r := orgRun{cfg: cfg, accounts: accounts, engine: opts, stderr: stderr}
		if set(fs, "config-aggregator") {
			agg := strings.TrimSpace(bf.configAggregator)
			r.aggregator = &agg
		}
		code := r.run(ctx)
		if writeErr == nil {
			writeErr = out.Close()
		}
		if writeErr != nil {
			fmt.Fprintf(stderr, "vpcguard: write output: %v\n", writeErr)
			return exitFailed
		}
		if finder != nil && code != exitBadInput {
			writeCreatorSummary(stderr, creatorOutcomes, finder)
		}
		return code
	}
	s, err := backfill.Run(ctx, opts)
	bar.Finish()
	if err != nil && !errors.Is(err, backfill.ErrNothingListed) && writeErr == nil && written == 0 {
		fmt.Fprintf(stderr, "vpcguard: backfill could not run: %v\n", err)
		return exitFailed
	}
	if writeErr == nil {
		writeErr = out.Close()
	}
	if writeErr != nil {
		fmt.Fprintf(stderr, "vpcguard: write output: %v\n", writeErr)
		return exitFailed
	}
	writeBackfillSummary(stderr, cfg, s)
	if finder != nil {
		writeCreatorSummary(stderr, creatorOutcomes, finder)
	}
	if err != nil {
		fmt.Fprintf(stderr, "vpcguard: backfill could not run: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// apply checks backfill's flags and folds them into the options and config.
func (b *backfillFlags) apply(fs *flag.FlagSet, cfg *config.Config) (backfill.Options, error) {
	var opts backfill.Options
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	opts.Regions = config.SplitList(b.regions)
	if set["regions"] && len(opts.Regions) == 0 {
		return opts, errors.New("--regions: empty (give region names, or all)")
	}
	opts.Accounts = config.SplitList(b.accounts)
	if set["accounts"] && len(opts.Accounts) == 0 {
		return opts, errors.New("--accounts: empty (give account ids, or org)")
	}
	for _, a := range opts.Accounts {
		switch {
		case a == orgbackfill.Organization && len(opts.Accounts) > 1:
			return opts, fmt.Errorf("--accounts: %s stands alone (every active account of the organization), not in a list", orgbackfill.Organization)
		case a != orgbackfill.Organization && !accountID.MatchString(a):
			return opts, fmt.Errorf("--accounts: %q is not a 12-digit account id (or %s)", a, orgbackfill.Organization)
		}
	}
	if len(opts.Accounts) > 0 {
		// The organization backfill's own checks (Region names).
		if err := (orgbackfill.Request{Accounts: opts.Accounts, Regions: opts.Regions}).Validate(); err != nil {
			return opts, err
		}
	}
	if set["config-aggregator"] && len(opts.Accounts) == 0 {
		return opts, errors.New("--config-aggregator: needs --accounts (the Config fast path is the organization backfill's)")
	}
	if set["assume-role"] {
		cfg.AssumeRoleName = strings.TrimSpace(b.assumeRole)
	}
	selected, err := rules.Select(config.SplitList(b.rules))
	if err != nil {
		return opts, fmt.Errorf("--rules: %w", err)
	}
	opts.Rules = selected
	if len(opts.Rules) == 0 {
		opts.Rules = rules.All()
	}
	if set["job-lookback-days"] {
		if b.jobLookbackDays < 0 || b.jobLookbackDays > config.MaxJobLookbackDays {
			return opts, fmt.Errorf("--job-lookback-days: %d is outside 0..%d", b.jobLookbackDays, config.MaxJobLookbackDays)
		}
		cfg.JobLookbackDays = b.jobLookbackDays
	}
	opts.Concurrency = cfg.Concurrency
	if set["concurrency"] {
		if b.concurrency < 1 || b.concurrency > 256 {
			return opts, fmt.Errorf("--concurrency: %d is outside 1..256", b.concurrency)
		}
		opts.Concurrency = b.concurrency
	}
	// The creator flags override their variables; the configuration
	// checks them together, naming the variables.
	if set["lookup-creators"] {
		cfg.CreatorLookup = b.lookupCreators
	}
	if set["trail-bucket"] {
		cfg.TrailBucket = strings.TrimSpace(b.trailBucket)
	}
	if set["creator-guardrails"] {
		cfg.CreatorGuardrails = b.creatorGuardrails
	}
	// A person who names a trail bucket or asks for guardrails on creators
	// wants them looked up, unless they said otherwise.
	if !set["lookup-creators"] && (set["trail-bucket"] && cfg.TrailBucket != "" || set["creator-guardrails"] && cfg.CreatorGuardrails) {
		cfg.CreatorLookup = true
	}
	if set["creator-lookup-max"] {
		cfg.CreatorLookupMax = b.creatorLookupMax
	}
	if set["creator-max-age-days"] {
		cfg.CreatorMaxAgeDays = b.creatorMaxAge
	}
	if err := cfg.Validate(); err != nil {
		return opts, err
	}
	return opts, nil
}

// set reports whether the flag name was given.
func set(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// writeBackfillSummary prints the counts by rule and status, the errors, and
// the AWS calls made, for a person reading stderr.
func writeBackfillSummary(w io.Writer, cfg config.Config, s backfill.Summary) {
	dry := ""
	if cfg.DryRun {
		dry = ", dry run"
	}
	fmt.Fprintf(w, "\nbackfill: %d resources in %s, %s (mode %s%s) in %.1fs, %.0f resources/s\n",
		s.Resources, plural(len(s.Accounts), "account"), regionList(s.Regions), cfg.Mode, dry, s.DurationSeconds, s.ResourcesPerSecond)
	_ = report.WriteTally(w, s.Counts)
	for _, r := range s.NotListed {
		fmt.Fprintf(w, "%s judges calls, not resources: a backfill has nothing to list for it; "+
			"evaluate CloudTrail log files for past calls (vpcguard evaluate FILE... or s3://BUCKET/PREFIX)\n", r)
	}
	if s.CallsTotal > 0 {
		keys := make([]string, 0, len(s.Calls))
		for k := range s.Calls {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + " " + strconv.FormatInt(s.Calls[k], 10)
		}
		fmt.Fprintf(w, "AWS calls: %d (%.2f per resource): %s\n", s.CallsTotal, s.CallsPerResource, strings.Join(parts, ", "))
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

func dryRunNote(cfg config.Config) string {
	if cfg.DryRun {
		return " (dry run)"
	}
	return ""
}

// writeCreatorSummary says how the creator lookup went: found, not found,
// and what it cost. outcomes counts the lookup actions, as findings streamed by.
func writeCreatorSummary(w io.Writer, outcomes map[finding.Outcome]int, f *history.Finder) {
	fmt.Fprintf(w, "creators: %d found, %d not found, %d failed; %s (CloudTrail allows %d a second per account and region), %s read\n",
		outcomes[finding.Done], outcomes[finding.Skipped], outcomes[finding.Failed],
		plural(f.Lookups(), "LookupEvents call"), history.CallsPerSecond, plural(f.FilesRead(), "log file"))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func regionList(regions []string) string {
	if len(regions) <= 4 {
		return strings.Join(regions, ", ")
	}
	return plural(len(regions), "region")
}
