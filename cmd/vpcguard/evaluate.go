package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/report"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/traillogs"
)

const evaluateUsage = `Usage: vpcguard evaluate [flags] FILE... | - | s3://BUCKET[/PREFIX]...

Evaluates CloudTrail events against the current state of the resources they
name. An input is an EventBridge event, a bare record, a JSON array of them,
or a CloudTrail log file ({"Records": [...]}), gzip-compressed or not (the
content decides, not the name); "-" is standard input.

s3://BUCKET/PREFIX reads the log files a trail delivered to that bucket, one
at a time: PREFIX is the trail's S3 key prefix (or none), or a narrower part
of AWSLogs/[ORG-ID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/. Only the day
folders of --since..--until are listed (default: the last 24 hours), with the
files delivered up to %s after --until; digest files are skipped.
Needs s3:ListBucket on the bucket and s3:GetObject on its log files.

--since and --until take RFC 3339 times (2026-11-20T10:00:00Z) or dates
(2026-11-20; --until then means the end of that day) and keep the events
whose eventTime is in range, in every input. --accounts and --regions keep
the events of those accounts and regions, and narrow the S3 folders read.

Exit 0: every input was read and evaluated; 1: the run could not complete
(AWS errors, credentials, access denied); 2: a bad input or flag (named on
stderr; the other inputs are still evaluated and printed).
`

// s3Default is how far back an s3:// input reads without --since.
const s3Default = 24 * time.Hour

// evaluateFlags are evaluate's own flags, beside the common ones.
type evaluateFlags struct {
	offline                         bool
	since, until, accounts, regions string

	window                  window   // --since, --until
	accountList, regionList []string // --accounts, --regions
	now                     time.Time
}

func (e *evaluateFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&e.offline, "offline", false, "decide from the events alone; call no AWS API but S3 for s3:// inputs (INSUFFICIENT_DATA where the event cannot tell)")
	fs.StringVar(&e.since, "since", "", "keep events at or after this time: RFC 3339 or a date (s3:// default: 24 hours before --until)")
	fs.StringVar(&e.until, "until", "", "keep events before this time: RFC 3339, or a date for the end of that day (s3:// default: now)")
	fs.StringVar(&e.accounts, "accounts", "", "keep events of these account ids, comma-separated; for s3://, read only their folders")
	fs.StringVar(&e.regions, "regions", "", "keep events of these regions, comma-separated; for s3://, read only their folders")
}

// window is the eventTime range kept: [since, until); a zero end is open.
type window struct{ since, until time.Time }

// parse checks the flags; now is the default end of an s3:// range.
func (e *evaluateFlags) parse(now time.Time) error {
	var err error
	if e.window.since, err = parseWhen("--since", e.since, false); err != nil {
		return err
	}
	if e.window.until, err = parseWhen("--until", e.until, true); err != nil {
		return err
	}
	if !e.window.since.IsZero() && !e.window.until.IsZero() && !e.window.since.Before(e.window.until) {
		return fmt.Errorf("--since %s is not before --until %s", e.since, e.until)
	}
	e.accountList = config.SplitList(e.accounts)
	for _, a := range e.accountList {
		if !accountID.MatchString(a) {
			return fmt.Errorf("--accounts: %q is not a 12-digit account id", a)
		}
	}
	e.regionList = config.SplitList(e.regions)
	e.now = now
	return nil
}

// parseWhen reads an RFC 3339 time or a date; a date ends its day when end.
func parseWhen(name, s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %q is neither an RFC 3339 time (2026-11-20T10:00:00Z) nor a date (2026-11-20)", name, s)
	}
	if end {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// s3Range is the range an s3:// input reads: the flags', else the last 24
// hours. A bucket holds years of logs; reading all of them is never meant.
func (e *evaluateFlags) s3Range() window {
	w := e.window
	if w.until.IsZero() {
		w.until = e.now
	}
	if w.since.IsZero() {
		w.since = w.until.Add(-s3Default)
	}
	return w
}

func runEvaluate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vpcguard evaluate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common commonFlags
	common.register(fs, "json | table | html (one self-contained file: summary, charts, filterable findings)")
	var ef evaluateFlags
	ef.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, evaluateUsage+"\nFlags:\n", fmt.Sprintf("%.0f minutes", traillogs.DeliveryLag.Minutes()))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitBadInput
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitBadInput
	}
	if err := ef.parse(time.Now()); err != nil {
		fmt.Fprintf(stderr, "vpcguard: %v\n", err)
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

	var base *aws.Config
	loadBase := func() (aws.Config, error) {
		if base == nil {
			b, err := awsclients.Load(ctx, common.region)
			if err != nil {
				return aws.Config{}, err
			}
			base = &b
		}
		return *base, nil
	}
	var accounts *awsclients.Accounts
	if !ef.offline {
		b, err := loadBase()
		if err != nil {
			fmt.Fprintf(stderr, "vpcguard: %v\n", err)
			return exitFailed
		}
		accounts = awsclients.NewAccounts(b, cfg.AssumeRoleName)
	}
	run := &evaluation{
		flags:  &ef,
		guard:  setup.Guard(cfg, accounts, rules.All(), log, kinds...),
		log:    log,
		stderr: stderr,
		// Each finding is written as soon as it is made: a week of log
		// files costs no more memory than one.
		out: report.NewWriter(stdout, format, common.writerOptions(stdout, format, "vpcguard evaluate",
			"vpcguard evaluate "+strings.Join(args, " ")+" · mode "+string(cfg.Mode)+dryRunNote(cfg))),
	}
	code := exitOK
	for _, name := range fs.Args() {
		if traillogs.IsLocation(name) {
			b, err := loadBase()
			if err != nil {
				fmt.Fprintf(stderr, "vpcguard: %v\n", err)
				code = worse(code, exitFailed)
				continue
			}
			code = worse(code, run.bucket(ctx, name, traillogs.Clients(b)))
			continue
		}
		data, err := readInput(name, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "vpcguard: %s: %v\n", name, err)
			code = worse(code, exitBadInput)
			continue
		}
		code = worse(code, run.input(ctx, name, data, source{window: ef.window, skipLevel: slog.LevelWarn}))
	}
	if run.writeErr == nil {
		run.writeErr = run.out.Close()
	}
	if run.writeErr != nil {
		fmt.Fprintf(stderr, "vpcguard: write output: %v\n", run.writeErr)
		return exitFailed
	}
	return code
}

// worse is the exit status that says more: bad input over a failed run over OK.
func worse(a, b int) int {
	rank := map[int]int{exitOK: 0, exitFailed: 1, exitBadInput: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// evaluation is one evaluate run over its inputs.
type evaluation struct {
	flags  *evaluateFlags
	guard  *guard.Guard
	log    *slog.Logger
	stderr io.Writer
	// out writes each finding as it is made; writeErr is its first failure,
	// after which nothing more is written.
	out      report.Writer
	writeErr error
	// evaluated and events count what the inputs held, for a bucket's summary.
	evaluated, events int
}

// source is where an input comes from, as input treats it.
type source struct {
	window window
	// skipLevel is the level the events skipped are logged at: a person
	// who names a file is told about each one, while a bucket's thousands
	// of other calls would drown what matters.
	skipLevel slog.Level
	// seen holds the ids of the events evaluated from a bucket: CloudTrail
	// may deliver an event in more than one log file, and it is judged
	// once. nil for files, which a person chose one by one.
	seen map[string]bool
}

// input evaluates the events of one input (a file, stdin, an S3 object)
// and returns its exit status.
func (e *evaluation) input(ctx context.Context, name string, data []byte, src source) int {
	code := exitOK
	events, err := cloudtrail.Parse(data)
	if err != nil {
		fmt.Fprintf(e.stderr, "vpcguard: %s: %v\n", name, err)
		code = exitBadInput
	}
	for i := range events {
		ev := &events[i]
		e.events++
		why := e.skipReason(ev, src.window)
		if why == "" {
			why = e.guard.SkipReason(ev)
		}
		if why != "" {
			// An empty result is never a mystery: what was not evaluated
			// is said, with why, on stderr.
			e.log.Log(ctx, src.skipLevel, "skipped", "file", name, "eventId", ev.ID, "eventName", ev.Name, "reason", why)
			continue
		}
		if src.seen != nil && ev.ID != "" {
			if src.seen[ev.ID] {
				e.log.Debug("skipped", "file", name, "eventId", ev.ID, "eventName", ev.Name, "reason", "already evaluated (CloudTrail may deliver an event twice)")
				continue
			}
			src.seen[ev.ID] = true
		}
		e.evaluated++
		found, err := e.guard.Event(ctx, ev)
		for _, f := range found {
			if e.writeErr == nil {
				e.writeErr = e.out.Write(f)
			}
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "vpcguard: %s: event %s (%s): %v\n", name, ev.ID, ev.Name, err)
			code = worse(code, exitFailed)
		}
	}
	return code
}

// skipReason says why the flags leave ev out, or "".
func (e *evaluation) skipReason(ev *cloudtrail.Event, w window) string {
	f := e.flags
	if len(f.accountList) > 0 && !slices.Contains(f.accountList, ev.Account) {
		return "account " + ev.Account + " is not in --accounts"
	}
	if len(f.regionList) > 0 && !slices.Contains(f.regionList, ev.Region) {
		return "region " + ev.Region + " is not in --regions"
	}
	if w.since.IsZero() && w.until.IsZero() {
		return ""
	}
	switch {
	case ev.Time.IsZero():
		return "the event has no eventTime to compare with --since/--until"
	case !w.since.IsZero() && ev.Time.Before(w.since):
		return "eventTime " + ev.Time.UTC().Format(time.RFC3339) + " is before " + w.since.UTC().Format(time.RFC3339)
	case !w.until.IsZero() && !ev.Time.Before(w.until):
		return "eventTime " + ev.Time.UTC().Format(time.RFC3339) + " is not before " + w.until.UTC().Format(time.RFC3339)
	}
	return ""
}

// bucket evaluates every log file of an s3:// location in range, reading
// one object at a time, and returns the exit status: a bad object is named
// and the others are still read.
func (e *evaluation) bucket(ctx context.Context, arg string, clients func(string) traillogs.API) int {
	loc, err := traillogs.ParseLocation(arg)
	if err != nil {
		fmt.Fprintf(e.stderr, "vpcguard: %v\n", err)
		return exitBadInput
	}
	b, err := traillogs.Open(ctx, loc, clients)
	if err != nil {
		fmt.Fprintf(e.stderr, "vpcguard: %v\n", err)
		if errors.Is(err, traillogs.ErrNoSuchBucket) {
			return exitBadInput
		}
		return exitFailed
	}
	w := e.flags.s3Range()
	q := traillogs.Query{Since: w.since, Until: w.until, Accounts: e.flags.accountList, Regions: e.flags.regionList}
	src := source{window: w, skipLevel: slog.LevelDebug, seen: map[string]bool{}}
	code, files, before, evaluatedBefore := exitOK, 0, e.events, e.evaluated
	err = b.Files(ctx, q, func(key string) error {
		files++
		url := loc.URL(key)
		data, err := b.Read(ctx, key)
		if err != nil {
			fmt.Fprintf(e.stderr, "vpcguard: %s: %v\n", url, err)
			if errors.Is(err, traillogs.ErrAccessDenied) {
				code = worse(code, exitFailed)
			} else {
				code = worse(code, exitBadInput)
			}
			return nil
		}
		code = worse(code, e.input(ctx, url, data, src))
		return ctx.Err()
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "vpcguard: %s: %v\n", arg, err)
		code = worse(code, exitFailed)
	}
	// Said whatever the level: which files and how many events a bucket
	// gave is what tells an empty result from a wrong prefix or range.
	fmt.Fprintf(e.stderr, "vpcguard: %s: %s from %s to %s: %s, %s evaluated\n", arg, plural(files, "log file"),
		w.since.UTC().Format(time.RFC3339), w.until.UTC().Format(time.RFC3339),
		plural(e.events-before, "event"), plural(e.evaluated-evaluatedBefore, "event"))
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
	return cloudtrail.ReadInput(r)
}
