package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// evalGoal is the goal for one event, parse included: well under a
// millisecond, invisible next to one AWS read (milliseconds) and a cold
// start (tens of milliseconds). The check is the millisecond itself.
const (
	evalGoalUs    = 1000
	evalGoalWords = "well under 1 ms"
)

// evalCount is go test's -count: the median of three steadies the figure
// on a shared machine.
const evalCount = 3

// evalPackage holds BenchmarkEvaluate.
const evalPackage = "./shared/rules/"

// benchLine is one result line of go test -bench -benchmem:
// BenchmarkEvaluate/<rule>/<event>-2   12345   6789 ns/op   1234 B/op   56 allocs/op
var benchLine = regexp.MustCompile(`^BenchmarkEvaluate/(\S+?)(?:-\d+)?\s+(\d+)\s+([\d.]+) ns/op\s+([\d.]+) B/op\s+([\d.]+) allocs/op`)

// runEval runs BenchmarkEvaluate with go test, as a person would, and
// turns each line it prints into a figure: the numbers are go test's own.
func runEval(ctx context.Context, root string, quick bool) ([]*Figure, error) {
	args := []string{"test", "-run", "^$", "-bench", "^BenchmarkEvaluate$", "-benchmem", "-count", strconv.Itoa(evalCount)}
	if quick {
		args = []string{"test", "-run", "^$", "-bench", "^BenchmarkEvaluate$", "-benchmem", "-count", "1", "-benchtime", "300ms"}
	}
	args = append(args, evalPackage)
	progress("eval: go %s", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run go test: %w", err)
	}
	figs, all := parseBench(out)
	if err := cmd.Wait(); err != nil {
		return figs, fmt.Errorf("go test -bench failed: %w\n%s", err, all)
	}
	if len(figs) == 0 {
		return nil, fmt.Errorf("go test -bench printed no BenchmarkEvaluate results:\n%s", all)
	}
	return append(figs, evalSummary(figs)...), nil
}

func parseBench(r io.Reader) (figs []*Figure, all string) {
	var b strings.Builder
	type sample struct{ ns, bytes, allocs, iters float64 }
	var order []string
	samples := map[string][]sample{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		b.WriteString(line + "\n")
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var s sample
		s.iters, _ = strconv.ParseFloat(m[2], 64)
		s.ns, _ = strconv.ParseFloat(m[3], 64)
		s.bytes, _ = strconv.ParseFloat(m[4], 64)
		s.allocs, _ = strconv.ParseFloat(m[5], 64)
		if _, ok := samples[m[1]]; !ok {
			order = append(order, m[1])
		}
		samples[m[1]] = append(samples[m[1]], s)
		progress("eval: %s %.1f µs  %.0f B  %.0f allocs", m[1], s.ns/1000, s.bytes, s.allocs)
	}
	// With -count above 1, each figure is the median of go test's results
	// (as benchstat reports), and the fastest is kept beside it.
	for _, name := range order {
		ss := samples[name]
		var ns []float64
		for _, s := range ss {
			ns = append(ns, s.ns)
		}
		slices.Sort(ns)
		last := ss[len(ss)-1]
		med := median(ns)
		f := &Figure{Group: "eval", Name: "eval " + name, Value: med / 1000, Unit: "µs/event",
			Extra: map[string]float64{"ns/op": med, "fastest ns/op": ns[0], "B/op": last.bytes, "allocs/op": last.allocs, "runs": float64(len(ss))}}
		f.shown = fmt.Sprintf("%.1f µs  %.0f B  %.0f allocs", med/1000, last.bytes, last.allocs)
		figs = append(figs, f)
	}
	return figs, b.String()
}

// evalSummary is the median and the slowest event over every rule, each
// against the goal.
func evalSummary(figs []*Figure) []*Figure {
	var us []float64
	for _, f := range figs {
		us = append(us, f.Value)
	}
	slices.Sort(us)
	med := &Figure{Group: "eval", Name: "eval, median over every rule and event", Value: median(us), Unit: "µs/event"}
	worst := &Figure{Group: "eval", Name: "eval, slowest event", Value: us[len(us)-1], Unit: "µs/event",
		Note: fmt.Sprintf("over %d rule/event pairs", len(us))}
	for _, f := range []*Figure{med, worst} {
		f.under(evalGoalUs, evalGoalWords)
		f.shown = fmt.Sprintf("%.1f µs", f.Value)
	}
	return []*Figure{med, worst}
}

// median of sorted xs.
func median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// percentile of sorted xs, nearest rank.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	i := int(float64(len(xs))*p+0.999999) - 1
	return xs[max(0, min(i, len(xs)-1))]
}
