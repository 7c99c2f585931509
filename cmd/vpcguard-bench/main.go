// Command vpcguard-bench runs vpcguard's benchmarks (make bench): the cost
// of evaluating one event, the cold start and size of each Lambda bootstrap,
// the backfill's throughput against moto with and without injected
// latency, and the organization backfill's (shards per second, calls per
// resource with and without the Config fast path, memory at two sizes). It prints each figure beside its goal and writes
// bench/results.json. A missed goal is reported, never a failure: the exit
// status is non-zero only when the benchmarks could not run.
//
//	go run ./cmd/vpcguard-bench [-quick] [-only eval,coldstart,backfill,memory,org] [-out bench/results.json]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
)

var allGroups = []string{"eval", "coldstart", "backfill", "memory", "org"}

func main() {
	quick := flag.Bool("quick", false, "200 per kind only (memory: 200 and 1,000), 5 cold starts per function, shorter eval benchtime, an organization of 10 members")
	only := flag.String("only", "", "run only these groups, comma-separated: eval, coldstart, backfill, memory, org")
	out := flag.String("out", filepath.Join("bench", "results.json"), "where to write the results")
	runs := flag.Int("runs", 0, "cold starts per function (default 20, 5 with -quick)")
	childEndpoint := flag.String("child-endpoint", "", "internal: run one backfill against this endpoint and print its report")
	childConcurrency := flag.Int("child-concurrency", 0, "internal: the child backfill's concurrency")
	childOrg := flag.String("child-org", "", "internal: run one organization backfill as this file says and print its report")
	flag.Parse()

	if *childOrg != "" {
		if err := runOrgChild(*childOrg); err != nil {
			fmt.Fprintln(os.Stderr, "vpcguard-bench: organization backfill run:", err)
			os.Exit(1)
		}
		return
	}
	if *childEndpoint != "" {
		if err := runChild(*childEndpoint, *childConcurrency); err != nil {
			fmt.Fprintln(os.Stderr, "vpcguard-bench: backfill run:", err)
			os.Exit(1)
		}
		return
	}
	if flag.NArg() > 0 {
		usage(fmt.Errorf("unexpected arguments %q", flag.Args()))
	}
	groups := allGroups
	if *only != "" {
		groups = nil
		for g := range strings.SplitSeq(*only, ",") {
			g = strings.TrimSpace(g)
			if !slices.Contains(allGroups, g) {
				usage(fmt.Errorf("-only: unknown group %q (known: %s)", g, strings.Join(allGroups, ", ")))
			}
			if !slices.Contains(groups, g) {
				groups = append(groups, g)
			}
		}
	}
	if *runs <= 0 {
		*runs = 20
		if *quick {
			*runs = 5
		}
	}
	if err := run(groups, *quick, *runs, *out); err != nil {
		fmt.Fprintln(os.Stderr, "vpcguard-bench:", err)
		os.Exit(1)
	}
}

func usage(err error) {
	fmt.Fprintln(os.Stderr, "vpcguard-bench:", err)
	flag.Usage()
	os.Exit(2)
}

func run(groups []string, quick bool, runs int, out string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	began := time.Now()
	res := &Results{Date: began.UTC().Format(time.RFC3339), Command: strings.TrimSpace("vpcguard-bench " + strings.Join(os.Args[1:], " ")), Quick: quick, Groups: groups, Machine: machine()}

	// Check what the groups need before spending any time.
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	needsMoto := slices.Contains(groups, "coldstart") || slices.Contains(groups, "backfill") || slices.Contains(groups, "memory") || slices.Contains(groups, "org")
	var moto *motoserver.Server
	if needsMoto {
		if moto, err = motoserver.Start(); err != nil {
			return fmt.Errorf("cannot run the cold start and backfill benchmarks: %w", err)
		}
		defer moto.Stop()
		res.Machine.MotoVersion = motoVersion(ctx)
		progress("moto_server %s on %s", res.Machine.MotoVersion, moto.URL)
	}

	for _, g := range groups {
		t := time.Now()
		var figs []*Figure
		var notes []string
		var err error
		switch g {
		case "eval":
			figs, err = runEval(ctx, root, quick)
			notes = []string{fmt.Sprintf("eval: go test -run '^$' -bench '^BenchmarkEvaluate$' -benchmem -count %d %s, median of the %d results per event (parse and offline evaluation of each sample event the rule evaluates); ns/op is wall time, so a busy machine inflates it", evalCount, evalPackage, evalCount)}
		case "coldstart":
			figs, notes, err = runColdStart(ctx, root, moto, runs)
		case "backfill":
			sizes := []int{200, 1000}
			if quick {
				sizes = sizes[:1]
			}
			var comp []Comparison
			figs, comp, notes, err = runBackfill(ctx, moto, sizes, quick)
			res.Comparison = append(res.Comparison, comp...)
		case "memory":
			sizes := memorySizes
			if quick {
				sizes = memorySizesQuick
			}
			figs, notes, err = runMemory(ctx, root, moto, sizes)
		case "org":
			size := orgFull
			if quick {
				size = orgQuick
			}
			figs, notes, err = runOrg(ctx, moto, size)
		}
		res.Figures = append(res.Figures, figs...)
		res.Notes = append(res.Notes, notes...)
		res.Notes = append(res.Notes, fmt.Sprintf("%s: took %s", g, time.Since(t).Round(time.Second)))
		if err != nil {
			res.Errors = append(res.Errors, g+": "+err.Error())
			progress("%s could not run: %v", g, err)
			if ctx.Err() != nil {
				break
			}
		}
	}
	res.DurationSeconds = time.Since(began).Seconds()
	res.Machine.LoadEnd = loadAverage()

	fmt.Printf("vpcguard benchmarks, %s, %s %s/%s, %d CPUs, load %s at start and %s at end\n\n",
		res.Date, res.Machine.GoVersion, res.Machine.GOOS, res.Machine.GOARCH, res.Machine.CPUs, res.Machine.LoadStart, res.Machine.LoadEnd)
	printTable(os.Stdout, res.Figures)
	printComparison(os.Stdout, res.Comparison)
	missed := 0
	for _, f := range res.Figures {
		if f.Met != nil && !*f.Met {
			missed++
		}
	}
	fmt.Printf("\n%d figures, %d goals missed; took %s; results in %s\n", len(res.Figures), missed, time.Since(began).Round(time.Second), out)
	if err := writeResults(out, res); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if len(res.Errors) > 0 {
		return errors.New("some benchmarks could not run:\n  " + strings.Join(res.Errors, "\n  "))
	}
	return nil
}

// moduleRoot is where go test and go build run.
func moduleRoot(ctx context.Context) (string, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return "", errors.New("the go command is not on PATH; the benchmarks build and run Go code")
	}
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		return "", errors.New("run from inside the vpcguard module (go env GOMOD is empty)")
	}
	return filepath.Dir(gomod), nil
}

func motoVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "python3", "-c", "import moto; print(moto.__version__)").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
