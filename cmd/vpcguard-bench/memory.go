package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/internal/testenv/estate"
	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
)

// memoryGoalMB is the most the vpcguard backfill process may hold at its
// peak (RSS), whatever the size of the estate (issue 12).
const memoryGoalMB = 30

// memorySizes are the estates, per kind, the memory of the real vpcguard
// backfill is measured on: the peak must not grow from the first to the
// last. -quick measures 200 and 1,000.
var (
	memorySizes      = []int{200, 10000}
	memorySizesQuick = []int{200, 1000}
)

// notebookRule is the rule whose listing moto paginates: moto 5.2.1 answers
// ListModels and DescribeVpcEndpoints with the whole estate in one page,
// whatever MaxResults asks (AWS gives at most 100 and 1,000), so a run of
// every rule holds a page as large as the estate on moto, and only there;
// ListNotebookInstances honours MaxResults. Measured alone, the notebook
// rule shows what the engine and the output hold.
const notebookRule = "sagemaker-notebook-no-direct-internet-access"

// cliRun is one run of the real vpcguard backfill process.
type cliRun struct {
	rules         string // "" every rule
	perKind       int
	rssBytes      int64
	seconds       float64
	findings      int
	nonCompliant  int
	outputBytes   int64
	calls         int64
	smCalls       int64 // SageMaker and tagging calls: those made for models and notebooks
	callsByOp     map[string]int64
	summaryStderr string
}

// runMemory builds the vpcguard command and, for each size, seeds moto and
// runs `vpcguard backfill --regions us-east-1 --format json` as a person
// would, its findings going to a pipe this process reads and counts. The
// peak RSS is the process's own high-water mark (VmHWM, hwmWatcher).
func runMemory(ctx context.Context, root string, moto *motoserver.Server, sizes []int) ([]*Figure, []string, error) {
	dir, err := os.MkdirTemp("", "vpcguard-bench-mem-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "vpcguard")
	progress("memory: build the vpcguard command")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./cmd/vpcguard")
	build.Dir, build.Stderr = root, os.Stderr
	if err := build.Run(); err != nil {
		return nil, nil, fmt.Errorf("build vpcguard: %w", err)
	}
	var runs, notebookRuns []cliRun
	var notes []string
	for _, n := range sizes {
		if err := moto.Reset(); err != nil {
			return nil, nil, err
		}
		c := estate.New(moto.Config("us-east-1"))
		progress("memory: seed moto with %d models, %d notebooks, %d SageMaker endpoints (+%d ssm)", n, n, n, (n+9)/10)
		start := time.Now()
		net, err := c.NewNetwork(ctx, "us-east-1")
		if err != nil {
			return nil, nil, err
		}
		if _, err := c.Bulk(ctx, net, n, 8); err != nil {
			return nil, nil, fmt.Errorf("seed %d per kind: %w", n, err)
		}
		notes = append(notes, fmt.Sprintf("memory: seeding %d per kind took %s", n, time.Since(start).Round(100*time.Millisecond)))
		progress("memory: seeded in %s; run vpcguard backfill", time.Since(start).Round(100*time.Millisecond))
		r, err := runCLIBackfill(ctx, bin, moto.URL, n, "")
		if err != nil {
			return nil, nil, fmt.Errorf("%d/kind: %w", n, err)
		}
		if want := estateFindings(n); r.findings != want {
			return nil, nil, fmt.Errorf("%d/kind: vpcguard backfill printed %d findings; want %d", n, r.findings, want)
		}
		progress("memory: %d/kind: peak RSS %.1f MB, %d findings (%.1f MB of JSON) in %.1f s, %.3f calls per model or notebook",
			n, mb(r.rssBytes), r.findings, mb(r.outputBytes), r.seconds, float64(r.smCalls)/float64(2*n))
		runs = append(runs, r)
		nb, err := runCLIBackfill(ctx, bin, moto.URL, n, notebookRule)
		if err != nil {
			return nil, nil, fmt.Errorf("%d/kind, notebooks: %w", n, err)
		}
		if nb.findings != n {
			return nil, nil, fmt.Errorf("%d/kind, notebooks: vpcguard backfill printed %d findings; want %d", n, nb.findings, n)
		}
		progress("memory: %d/kind, the notebook rule alone: peak RSS %.1f MB, %d findings in %.1f s", n, mb(nb.rssBytes), nb.findings, nb.seconds)
		notebookRuns = append(notebookRuns, nb)
	}

	var figs []*Figure
	for i, r := range runs {
		f := &Figure{Group: "memory", Name: fmt.Sprintf("vpcguard backfill %d/kind (%d resources), every rule: peak RSS of the process", r.perKind, 3*r.perKind+estateVPCs),
			Value: mb(r.rssBytes), Unit: "MB",
			Extra: map[string]float64{"wall s": r.seconds, "findings": float64(r.findings), "NON_COMPLIANT": float64(r.nonCompliant),
				"JSON output MB": mb(r.outputBytes), "calls": float64(r.calls)}}
		f.shown = fmt.Sprintf("%.1f MB (%d findings, %.1f MB of JSON streamed, %.1f s)", mb(r.rssBytes), r.findings, mb(r.outputBytes), r.seconds)
		f.under(memoryGoalMB+0.5, fmt.Sprintf("≤ %d MB", memoryGoalMB))
		figs = append(figs, f)

		per := float64(r.smCalls) / float64(2*r.perKind)
		c := &Figure{Group: "memory", Name: fmt.Sprintf("vpcguard backfill %d/kind, report mode: calls per SageMaker model or notebook", r.perKind),
			Value: per, Unit: "calls", Extra: map[string]float64{"calls": float64(r.calls), "SageMaker and tagging calls": float64(r.smCalls)}}
		for op, n := range r.callsByOp {
			c.Extra["calls "+op] = float64(n)
		}
		c.shown = fmt.Sprintf("%.3f (%d SageMaker and tagging calls for %d models and notebooks; %s)", per, r.smCalls, 2*r.perKind, opList(r.callsByOp))
		c.under(1.0+1e-9, "≤ 1.0")
		figs = append(figs, c)

		nb := notebookRuns[i]
		g := &Figure{Group: "memory", Name: fmt.Sprintf("vpcguard backfill %d/kind, the notebook rule alone (%d notebooks): peak RSS", nb.perKind, nb.perKind),
			Value: mb(nb.rssBytes), Unit: "MB", Extra: map[string]float64{"wall s": nb.seconds, "findings": float64(nb.findings)}}
		g.shown = fmt.Sprintf("%.1f MB (%d findings, %.1f s)", mb(nb.rssBytes), nb.findings, nb.seconds)
		g.under(memoryGoalMB+0.5, fmt.Sprintf("≤ %d MB", memoryGoalMB))
		figs = append(figs, g)
	}
	for _, set := range []struct {
		what string
		runs []cliRun
		note string
	}{
		{"every rule", runs, "on moto only, ListModels and DescribeVpcEndpoints answer the whole estate in one page (moto 5.2.1 ignores MaxResults): the growth is those two pages; AWS pages them by 100"},
		{"the notebook rule alone", notebookRuns, "ListNotebookInstances is paginated on moto as on AWS: this is what the engine and the streamed output hold"},
	} {
		if len(set.runs) < 2 {
			continue
		}
		first, last := set.runs[0], set.runs[len(set.runs)-1]
		growth := mb(last.rssBytes) - mb(first.rssBytes)
		f := &Figure{Group: "memory", Name: fmt.Sprintf("vpcguard backfill peak RSS growth, %s, %d/kind to %d/kind", set.what, first.perKind, last.perKind),
			Value: growth, Unit: "MB", Note: set.note}
		f.shown = fmt.Sprintf("%+.1f MB (%.1f → %.1f MB for %d× the resources)", growth, mb(first.rssBytes), mb(last.rssBytes), last.perKind/first.perKind)
		figs = append(figs, f)
	}
	notes = append(notes,
		"memory: the real vpcguard command (go build ./cmd/vpcguard), run as `vpcguard backfill --regions us-east-1 --format json` (and with --rules "+notebookRule+") against moto, its stdout read and counted by the bench; peak RSS is the process's VmHWM (/proc/PID/status, sampled every 10 ms: wait4's ru_maxrss would include the bench's own memory, see rss.go), in MiB; the command runs with its default soft memory limit (20 MiB, GOMEMLIMIT unset)",
		"memory: calls per SageMaker model or notebook count every sagemaker: and resourcegroupstaggingapi: call (listings, describes, tag reads) over the models and notebooks; endpoints come 1,000 to a DescribeVpcEndpoints page and are not in the ratio",
	)
	return figs, notes, nil
}

var callsLine = regexp.MustCompile(`AWS calls: (\d+) \([0-9.]+ per resource\): (.*)`)

// runCLIBackfill runs the vpcguard command against endpoint and reads its
// findings and the calls it reports on stderr.
func runCLIBackfill(ctx context.Context, bin, endpoint string, n int, rules string) (cliRun, error) {
	args := []string{"backfill", "--regions", "us-east-1", "--format", "json"}
	if rules != "" {
		args = append(args, "--rules", rules)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOMEMLIMIT=") && !strings.HasPrefix(kv, "GOGC=") { // the command's own defaults are measured
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "AWS_ENDPOINT_URL="+endpoint, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return cliRun{}, err
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return cliRun{}, err
	}
	hwm := watchHWM(cmd.Process.Pid)
	r := cliRun{perKind: n, rules: rules}
	counted := &countingReader{r: bufio.NewReaderSize(stdout, 1<<16)}
	countErr := countFindings(counted, &r)
	waitErr := cmd.Wait()
	r.rssBytes = hwm.stop()
	r.seconds = time.Since(start).Seconds()
	r.outputBytes = counted.n
	if waitErr != nil {
		return r, fmt.Errorf("vpcguard backfill: %w\n%s", waitErr, stderr.String())
	}
	if countErr != nil {
		return r, fmt.Errorf("read vpcguard's findings: %w", countErr)
	}
	r.summaryStderr = stderr.String()
	r.callsByOp = map[string]int64{}
	if m := callsLine.FindStringSubmatch(r.summaryStderr); m != nil {
		r.calls, _ = strconv.ParseInt(m[1], 10, 64)
		for part := range strings.SplitSeq(m[2], ", ") {
			op, count, ok := strings.Cut(part, " ")
			if !ok {
				continue
			}
			v, _ := strconv.ParseInt(count, 10, 64)
			r.callsByOp[op] = v
			if strings.HasPrefix(op, "sagemaker:") || strings.HasPrefix(op, "resourcegroupstaggingapi:") {
				r.smCalls += v
			}
		}
	} else {
		return r, fmt.Errorf("vpcguard backfill printed no AWS calls line on stderr:\n%s", r.summaryStderr)
	}
	return r, nil
}

// countFindings reads a JSON array of findings one element at a time, so
// the bench holds no more of it than the command does.
func countFindings(rd io.Reader, r *cliRun) error {
	dec := json.NewDecoder(rd)
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		var f struct {
			Status string `json:"status"`
		}
		if err := dec.Decode(&f); err != nil {
			return err
		}
		r.findings++
		if f.Status == "NON_COMPLIANT" {
			r.nonCompliant++
		}
	}
	_, err := dec.Token()
	return err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func opList(calls map[string]int64) string {
	var parts []string
	for _, op := range []string{"sagemaker:DescribeModel", "sagemaker:DescribeNotebookInstance", "sagemaker:ListTags", "resourcegroupstaggingapi:GetResources"} {
		parts = append(parts, fmt.Sprintf("%s %d", strings.SplitN(op, ":", 2)[1], calls[op]))
	}
	return strings.Join(parts, ", ")
}
