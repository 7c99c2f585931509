package badinput

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

// cli is the vpcguard binary, built once by TestMain.
var cli string

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "vpcguard-badinput-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "make temp dir: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	cli = filepath.Join(dir, "vpcguard")
	// Built as `go test` builds its packages (no -trimpath, cgo as the
	// host has it), so the build cache already holds every dependency.
	build := exec.Command("go", "build", "-o", cli, "github.com/vpcguard/vpcguard/cmd/vpcguard")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build cmd/vpcguard: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

func long() bool { return os.Getenv("VPCGUARD_RELIABILITY") == "long" }

// goodFile is the sample every bad case is evaluated next to; its finding
// must come out whatever the bad file did.
const goodFile = "../../events/" + Sample

const goodARN = "arn:aws:sagemaker:us-east-1:123456789012:model/churn-xgb-public"

// goodFindings are the good file's findings offline: a model outside any
// VPC, without network isolation, with no subnets to spread over zones.
var goodFindings = []jsonFinding{
	{"sagemaker-model-network-isolation", goodARN, "NON_COMPLIANT"},
	{"sagemaker-model-in-vpc", goodARN, "NON_COMPLIANT"},
	{"sagemaker-model-vpc-multi-az", goodARN, "NOT_APPLICABLE"},
}

// sharedCorpus is shared/cloudtrail's hand-written bad corpus, reused here
// so that the CLI and the handler are held to it too: file name -> what the
// error must say. A file added there without an entry here fails the test.
var sharedCorpus = map[string]string{
	"truncated.json":                    "invalid JSON",
	"truncated-log-file.json":           "invalid JSON",
	"missing-detail.json":               "EventBridge event has no detail",
	"unknown-detail-type.json":          "unsupported EventBridge detail-type",
	"other-source.json":                 "does not match detail.eventSource",
	"invalid-utf8.json":                 "invalid UTF-8 at byte",
	"deep-nesting.json":                 "exceeded max depth",
	"event-name-number-source-obj.json": "field eventSource: got JSON object, want string",
	"user-identity-array.json":          "field userIdentity: got JSON array, want object",
	"session-issuer-string.json":        "sessionIssuer",
	"request-parameters-array.json":     "requestParameters: want a JSON object, got array",
	"response-elements-string.json":     "responseElements: want a JSON object, got string",
	"records-object.json":               "Records",
	"detail-array.json":                 "detail: not a CloudTrail event: want a JSON object",
	"not-cloudtrail.json":               "eventName and eventSource are required",
	"empty.json":                        "empty input",
	"scalar.json":                       "not a CloudTrail event",
	"binary.json":                       "invalid UTF-8",
}

// allCases is the generated corpus plus the shared one, with the long
// cases only when VPCGUARD_RELIABILITY=long.
func allCases(t *testing.T) []Case {
	t.Helper()
	cases, err := Corpus(long())
	if err != nil {
		t.Fatalf("Corpus: %v", err)
	}
	files, err := filepath.Glob("../../shared/cloudtrail/testdata/bad/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("shared corpus: got %d files, %v; want shared/cloudtrail/testdata/bad", len(files), err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		want, ok := sharedCorpus[name]
		if !ok {
			t.Errorf("shared corpus: %s has no expected error here; add it to sharedCorpus", name)
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, Case{Name: "shared " + name, Data: data, Want: want})
	}
	return cases
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// writeCase writes a case to its own file, named after it.
func writeCase(t *testing.T, dir string, i int, c Case) string {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("%02d-%s.json", i, strings.Trim(unsafeName.ReplaceAllString(c.Name, "-"), "-")))
	if err := os.WriteFile(path, c.Data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// evaluate runs the real CLI offline, with an environment of its own so a
// developer's VPCGUARD_* or AWS_* settings cannot change the outcome.
func evaluate(t *testing.T, flags []string, files ...string) (code int, stdout, stderr string) {
	t.Helper()
	args := append(append([]string{"evaluate", "--offline", "--format", "json"}, flags...), files...)
	cmd := exec.Command(cli, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("run %s: %v", cli, err)
	}
	return code, out.String(), errb.String()
}

type jsonFinding struct {
	Rule       string `json:"rule"`
	ResourceID string `json:"resourceId"`
	Status     string `json:"status"`
}

// checkGoodFinding: stdout is a JSON array holding exactly the good file's
// findings.
func checkGoodFinding(t *testing.T, stdout string) {
	t.Helper()
	var got []jsonFinding
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not a JSON array of findings: %v\n%.500s", err, stdout)
	}
	if !slices.Equal(got, goodFindings) {
		t.Errorf("findings: got %+v; want the good file's: %+v", got, goodFindings)
	}
}

// goodResponse reports whether fs are the good event's findings.
func goodResponse(fs []finding.Finding) bool {
	got := make([]jsonFinding, len(fs))
	for i, f := range fs {
		got[i] = jsonFinding{f.Rule, f.ResourceID, string(f.Status)}
	}
	return slices.Equal(got, goodFindings)
}

// lineWith returns the first stderr line holding every fragment.
func lineWith(text string, fragments ...string) (string, bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 8<<20)
next:
	for sc.Scan() {
		for _, f := range fragments {
			if !strings.Contains(sc.Text(), f) {
				continue next
			}
		}
		return sc.Text(), true
	}
	return "", false
}

func checkNoPanic(t *testing.T, stderr string) {
	t.Helper()
	if strings.Contains(stderr, "panic:") || strings.Contains(stderr, "goroutine ") {
		t.Errorf("stderr holds a panic:\n%.2000s", stderr)
	}
}

// checkCLIOutput: for a bad file, a stderr line naming the file and what is
// wrong; for a skipped one, an info line naming the file, the event and the
// reason.
func checkCLIOutput(t *testing.T, stderr, path string, c Case) {
	t.Helper()
	if c.Skipped {
		if _, ok := lineWith(stderr, "msg=skipped", "file="+path, "eventName="+c.EventName, "reason="); !ok {
			t.Errorf("%s: stderr: got %.1000q; want a skipped line naming %s, eventName=%s and the reason", c.Name, stderr, path, c.EventName)
		}
		return
	}
	want := c.Want
	if w, ok := cliReads[c.Name]; ok {
		want = w
	}
	if _, ok := lineWith(stderr, "vpcguard: "+path+": ", want); !ok {
		t.Errorf("%s: stderr: got %.1000q; want a line naming %s and saying %q", c.Name, stderr, path, want)
	}
}

// cliReads is what the CLI says of a case it reads differently from the
// Lambda: it decompresses gzip, as CloudTrail delivers its log files, and
// the shared corpus's binary.json is a gzip stream of "hello", not JSON.
// A Lambda's event is never compressed: there it is invalid UTF-8.
var cliReads = map[string]string{"shared binary.json": "invalid JSON at byte 1: invalid character 'h'"}

// TestCLINamesTheFileAndTheProblem: each case goes to the real binary
// before a good sample. A bad file exits 2 with a stderr line naming the
// file and what is wrong, and the good file's finding is still on stdout as
// JSON. A well-formed event no rule evaluates is logged as skipped, with
// its name and reason (at --log-level info), and the run exits 0.
//
// The quick form runs every skipped case and every fifth bad one alone, and
// all of them together in one run (exit 2, a line for each file, the good
// finding); the long form runs each case alone.
func TestCLINamesTheFileAndTheProblem(t *testing.T) {
	dir := t.TempDir()
	cases := allCases(t)
	paths := make([]string, len(cases))
	for i, c := range cases {
		paths[i] = writeCase(t, dir, i, c)
	}
	t.Run("all in one run", func(t *testing.T) {
		code, stdout, stderr := evaluate(t, []string{"--log-level", "info"}, append(slices.Clone(paths), goodFile)...)
		checkNoPanic(t, stderr)
		if code != 2 {
			t.Errorf("exit: got %d; want 2", code)
		}
		for i, c := range cases {
			checkCLIOutput(t, stderr, paths[i], c)
		}
		checkGoodFinding(t, stdout)
	})
	for i, c := range cases {
		if !long() && !c.Skipped && i%5 != 0 {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			var flags []string
			if c.Skipped {
				// The CLI logs skips at info; its default level is error.
				flags = []string{"--log-level", "info"}
			}
			code, stdout, stderr := evaluate(t, flags, paths[i], goodFile)
			checkNoPanic(t, stderr)
			wantCode := 2
			if c.Skipped {
				wantCode = 0 // skipping is not an error
			}
			if code != wantCode {
				t.Errorf("exit: got %d; want %d\nstderr: %.1000s", code, wantCode, stderr)
			}
			checkCLIOutput(t, stderr, paths[i], c)
			checkGoodFinding(t, stdout)
		})
	}
}

// TestCLIBadFileAfterTheGoodOne: order does not matter; a bad file last
// still sets the exit code and keeps the good finding.
func TestCLIBadFileAfterTheGoodOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "truncated.json")
	if err := os.WriteFile(path, []byte(`{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := evaluate(t, nil, goodFile, path)
	if code != 2 {
		t.Errorf("exit: got %d; want 2", code)
	}
	if _, ok := lineWith(stderr, "vpcguard: "+path+": ", "invalid JSON"); !ok {
		t.Errorf("stderr: got %q; want the file and invalid JSON", stderr)
	}
	checkGoodFinding(t, stdout)
}

// logRecord is one JSON log line of the handler.
type logRecord map[string]any

func (r logRecord) str(k string) string { s, _ := r[k].(string); return s }

// newHandler is the guard Lambda handler as setup wires it, offline: bad
// input must be refused before any AWS API could be called, so none is
// configured. Every rule is on, as if one function ran all three guards.
func newHandler(logs *bytes.Buffer) *guard.Handler {
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return &guard.Handler{Guard: setup.Guard(config.Default(), nil, rules.All(), log)}
}

// handle calls the handler and turns a panic into a test failure.
func handle(t *testing.T, h *guard.Handler, payload []byte) (out any, err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("Handle panicked: %v", p)
		}
	}()
	return h.Handle(context.Background(), json.RawMessage(payload))
}

func records(t *testing.T, logs *bytes.Buffer) []logRecord {
	t.Helper()
	var out []logRecord
	dec := json.NewDecoder(logs)
	for dec.More() {
		var r logRecord
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("log line is not JSON: %v", err)
		}
		out = append(out, r)
	}
	return out
}

// TestHandlerRefusesAndLogs: each bad case is an error wrapping
// guard.ErrBadEvent (so Lambda retries it and the failure destination keeps
// it) that says what is wrong, and an ERROR log record carries the same
// reason. A skipped case returns no error, and its reason is both in the
// response and in the log. Nothing panics.
func TestHandlerRefusesAndLogs(t *testing.T) {
	for _, c := range allCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			var logs bytes.Buffer
			out, err := handle(t, newHandler(&logs), c.Data)
			recs := records(t, &logs)
			if c.Skipped {
				if err != nil {
					t.Fatalf("Handle: got %v; want no error for an event that is skipped", err)
				}
				resp, ok := out.(guard.Response)
				if !ok {
					t.Fatalf("Handle returned %T; want guard.Response", out)
				}
				if len(resp.Findings) != 0 || len(resp.Skipped) != 1 || !strings.Contains(resp.Skipped[0].Reason, c.Want) {
					t.Errorf("response: got %+v; want no finding and one skip whose reason says %q", resp, c.Want)
				}
				if !hasRecord(recs, "INFO", "skipped", "reason", c.Want) {
					t.Errorf("logs: got %v; want an INFO skipped record whose reason says %q", recs, c.Want)
				}
				return
			}
			if !errors.Is(err, guard.ErrBadEvent) {
				t.Fatalf("Handle: got %v; want an error wrapping guard.ErrBadEvent", err)
			}
			if !strings.Contains(err.Error(), c.Want) {
				t.Errorf("error: got %.1000q; want it to say %q", err, c.Want)
			}
			if !hasRecord(recs, "ERROR", "event rejected", "error", c.Want) {
				t.Errorf("logs: got %.1000v; want an ERROR record 'event rejected' whose error says %q", recs, c.Want)
			}
		})
	}
}

func hasRecord(recs []logRecord, level, msg, key, fragment string) bool {
	for _, r := range recs {
		if r.str("level") == level && r.str("msg") == msg && strings.Contains(r.str(key), fragment) {
			return true
		}
	}
	return false
}

// TestHandlerOneBadRecordDoesNotHideTheGoodOne: in an array (a manual
// replay), a good event next to a broken one is still evaluated and its
// finding returned, and the invocation still fails, naming the broken item.
func TestHandlerOneBadRecordDoesNotHideTheGoodOne(t *testing.T) {
	good, err := os.ReadFile(goodFile)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	out, err := handle(t, newHandler(&logs), []byte("["+string(good)+`, {"detail-type":"AWS API Call via CloudTrail","source":"aws.sagemaker"}]`))
	if !errors.Is(err, guard.ErrBadEvent) || !strings.Contains(err.Error(), "item 1: EventBridge event has no detail") {
		t.Errorf("Handle: got %v; want ErrBadEvent naming item 1 and its missing detail", err)
	}
	resp, _ := out.(guard.Response)
	if !goodResponse(resp.Findings) {
		t.Errorf("findings: got %+v; want the good event's %+v", resp.Findings, goodFindings)
	}
	if !hasRecord(records(t, &logs), "ERROR", "event rejected", "error", "item 1") {
		t.Errorf("logs: want an ERROR record naming item 1")
	}
}

// TestHandlerEventMentioningSQSIsStillEvaluated: a CloudTrail event whose
// request happens to contain the string "aws:sqs" (here, a model's
// environment variable) is a CloudTrail event, not an SQS re-check batch. It
// must be evaluated: mistaking it for an empty batch would drop a
// non-compliant model without a word.
func TestHandlerEventMentioningSQSIsStillEvaluated(t *testing.T) {
	good, err := os.ReadFile(goodFile)
	if err != nil {
		t.Fatal(err)
	}
	ev := bytes.Replace(good, []byte(`"mode": "SingleModel"`), []byte(`"mode": "SingleModel", "environment": {"QUEUE_KIND": "aws:sqs"}`), 1)
	if bytes.Equal(ev, good) {
		t.Fatalf("the sample changed: could not add the environment variable")
	}
	var logs bytes.Buffer
	out, err := handle(t, newHandler(&logs), ev)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	resp, ok := out.(guard.Response)
	if !ok {
		t.Fatalf("Handle returned %T; want guard.Response (the event was taken for an SQS batch)", out)
	}
	if !goodResponse(resp.Findings) {
		t.Errorf("findings: got %+v; want the model's %+v", resp.Findings, goodFindings)
	}
}

// TestOddValuesAreEvaluated: a well-formed event whose fields a rule reads
// hold the wrong JSON type is evaluated by the real CLI (exit 0) and by the
// guard handler (no error): the rule decides on what it can read, and says
// so in its finding. Nothing panics.
func TestOddValuesAreEvaluated(t *testing.T) {
	cases, err := OddValues()
	if err != nil {
		t.Fatalf("OddValues: %v", err)
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			check := func(where string, fs []jsonFinding, reasons []string) {
				t.Helper()
				for j, f := range fs {
					if f.Rule == c.Rule && strings.Contains(reasons[j], c.Want) {
						return
					}
				}
				t.Errorf("%s: findings %+v, reasons %q; want one of %s saying %q", where, fs, reasons, c.Rule, c.Want)
			}
			path := writeCase(t, dir, i, Case{Name: c.Name, Data: c.Data})
			code, stdout, stderr := evaluate(t, nil, path)
			checkNoPanic(t, stderr)
			if code != 0 {
				t.Errorf("CLI exit: got %d; want 0\nstderr: %.1000s", code, stderr)
			}
			var fs []jsonFinding
			var reasons []struct{ Reason string }
			if json.Unmarshal([]byte(stdout), &fs) != nil || json.Unmarshal([]byte(stdout), &reasons) != nil {
				t.Fatalf("CLI stdout is not a JSON array of findings: %.500s", stdout)
			}
			rs := make([]string, len(reasons))
			for j, r := range reasons {
				rs[j] = r.Reason
			}
			check("CLI", fs, rs)

			var logs bytes.Buffer
			out, err := handle(t, newHandler(&logs), c.Data)
			if err != nil {
				t.Fatalf("Handle: got %v; want no error", err)
			}
			resp, _ := out.(guard.Response)
			fs, rs = nil, nil
			for _, f := range resp.Findings {
				if !f.Status.Valid() || f.Reason == "" {
					t.Errorf("handler finding %+v: want a valid status and a reason", f)
				}
				fs = append(fs, jsonFinding{f.Rule, f.ResourceID, string(f.Status)})
				rs = append(rs, f.Reason)
			}
			check("handler", fs, rs)
		})
	}
}

// TestHandlerBadSQSBatches: broken re-check batches are refused or reported
// message by message, never dropped: a batch that is not SQS's shape is an
// ErrBadEvent, and a message whose body is not a re-check is a batch item
// failure (SQS redelivers it, then its dead-letter queue keeps it) with the
// reason logged.
func TestHandlerBadSQSBatches(t *testing.T) {
	t.Run("batch of the wrong shape", func(t *testing.T) {
		var logs bytes.Buffer
		_, err := handle(t, newHandler(&logs), []byte(`{"Records":[{"eventSource":"aws:sqs","messageId":5,"body":"x"}]}`))
		if !errors.Is(err, guard.ErrBadEvent) || !strings.Contains(err.Error(), "SQS batch") {
			t.Errorf("Handle: got %v; want ErrBadEvent naming the SQS batch", err)
		}
	})
	bodies := map[string]string{
		"not-json":      "stop research-open please",
		"unknown-rule":  `{"rule":"no-such-rule","name":"research-open"}`,
		"model-rule":    `{"rule":"sagemaker-model-in-vpc","name":"research-open"}`,
		"no-name":       `{"rule":"sagemaker-notebook-no-direct-internet-access"}`,
		"wrong-types":   `{"rule":7,"name":["research-open"]}`,
		"truncated-msg": `{"rule":"sagemaker-notebook-no-direct-internet-access","na`,
	}
	var recs []events.SQSMessage
	for id, body := range bodies {
		recs = append(recs, events.SQSMessage{MessageId: id, Body: body, EventSource: "aws:sqs"})
	}
	batch, err := json.Marshal(events.SQSEvent{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	out, err := handle(t, newHandler(&logs), batch)
	if err != nil {
		t.Fatalf("Handle: got %v; want nil (failures are reported per message)", err)
	}
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		t.Fatalf("Handle returned %T; want events.SQSEventResponse", out)
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	logged := records(t, &logs)
	for id := range bodies {
		if !failed[id] {
			t.Errorf("message %s: not in BatchItemFailures %v; want it redelivered", id, resp.BatchItemFailures)
		}
	}
	n := 0
	for _, r := range logged {
		if r.str("level") == "ERROR" && strings.Contains(r.str("error"), "bad event: re-check message") {
			n++
		}
	}
	if n != len(bodies) {
		t.Errorf("logs: got %d ERROR records naming the bad re-check message; want %d\n%v", n, len(bodies), logged)
	}
}
