package runtimeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// echoBinary is the test function, built once for the host by TestMain.
var echoBinary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "runtimeapi-echo-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "make temp dir: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	echoBinary = filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", echoBinary, "./testdata/echo")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build the echo function: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// testTimeout bounds each test so a hung runtime fails it rather than the
// whole run; it is a safety net, not an assertion on speed.
const testTimeout = 30 * time.Second

func startEcho(t *testing.T, env ...string) (*Server, *Process, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	srv, err := Start()
	if err != nil {
		t.Fatalf("start runtime api: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	p, err := srv.Exec(ctx, echoBinary, env)
	if err != nil {
		t.Fatalf("exec echo: %v", err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("echo stderr:\n%s", p.Stderr())
		}
	})
	return srv, p, ctx
}

func TestInvokeEchoesGoodEventsAndReportsBadOnes(t *testing.T) {
	srv, p, ctx := startEcho(t)
	if err := srv.WaitForNext(ctx); err != nil {
		t.Fatalf("WaitForNext: got %v; want nil", err)
	}
	// Three in a row, with the failure in the middle: the process must keep
	// serving after a function error.
	tests := []struct {
		name     string
		event    string
		wantBody string
		wantType string
		wantMsg  string
	}{
		{name: "good event", event: `{"detail":{"eventName":"CreateModel"}}`, wantBody: `{"detail":{"eventName":"CreateModel"}}`},
		{name: "bad event", event: `{"fail":true}`, wantType: "echoError", wantMsg: "asked to fail"},
		{name: "good event after an error", event: `{"n":3}`, wantBody: `{"n":3}`},
		{name: "not json, refused by aws-lambda-go before the handler", event: `{"trunc`, wantType: "errorString", wantMsg: "unexpected EOF"},
		{name: "still serving", event: `[1,2]`, wantType: "echoError", wantMsg: "decode event: json: cannot unmarshal array into Go value of type main.request"},
	}
	for _, tt := range tests {
		res, err := srv.Invoke(ctx, []byte(tt.event))
		if err != nil {
			t.Fatalf("%s: Invoke: got %v; want nil", tt.name, err)
		}
		if tt.wantType == "" {
			if res.Err != nil {
				t.Errorf("%s: Err: got %v; want nil", tt.name, res.Err)
			}
			if string(res.Payload) != tt.wantBody {
				t.Errorf("%s: Payload: got %s; want %s", tt.name, res.Payload, tt.wantBody)
			}
			continue
		}
		if res.Err == nil {
			t.Errorf("%s: Err: got nil, payload %s; want %s", tt.name, res.Payload, tt.wantType)
			continue
		}
		if res.Err.ErrorType != tt.wantType || res.Err.ErrorMessage != tt.wantMsg {
			t.Errorf("%s: Err: got %q %q; want %q %q", tt.name, res.Err.ErrorType, res.Err.ErrorMessage, tt.wantType, tt.wantMsg)
		}
	}
	select {
	case <-p.Done():
		t.Errorf("process exited: got %v; want still running", p.Err())
	default:
	}
	if e := srv.InitError(); e != nil {
		t.Errorf("InitError: got %v; want nil", e)
	}
}

func TestErrorBodyHasLambdaShape(t *testing.T) {
	srv, _, ctx := startEcho(t)
	res, err := srv.Invoke(ctx, []byte(`{"fail":true}`))
	if err != nil {
		t.Fatalf("Invoke: got %v; want nil", err)
	}
	if res.Err == nil {
		t.Fatalf("Err: got nil; want an error")
	}
	raw, err := json.Marshal(res.Err)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var shape map[string]any
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	for _, key := range []string{"errorMessage", "errorType"} {
		if _, ok := shape[key].(string); !ok {
			t.Errorf("%s: got %v; want a string", key, shape[key])
		}
	}
}

func TestInvocationContextReachesTheHandler(t *testing.T) {
	srv, _, ctx := startEcho(t, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512")
	res, err := srv.Invoke(ctx, []byte(`{"whoami":true}`))
	if err != nil || res.Err != nil {
		t.Fatalf("Invoke: got %v, %v; want nil, nil", err, res.Err)
	}
	var got struct {
		RequestID    string `json:"requestId"`
		FunctionARN  string `json:"functionArn"`
		FunctionName string `json:"functionName"`
		MemoryMB     int    `json:"memoryMB"`
		HasDeadline  bool   `json:"hasDeadline"`
		Region       string `json:"region"`
		Handler      string `json:"handler"`
	}
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("decode %s: %v", res.Payload, err)
	}
	checks := []struct{ field, got, want string }{
		{"requestId", got.RequestID, res.RequestID},
		{"functionArn", got.FunctionARN, srv.FunctionARN()},
		{"functionName", got.FunctionName, DefaultFunctionName},
		{"memoryMB", fmt.Sprint(got.MemoryMB), "512"},
		{"hasDeadline", fmt.Sprint(got.HasDeadline), "true"},
		{"region", got.Region, DefaultRegion},
		{"handler", got.Handler, "bootstrap"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q; want %q", c.field, c.got, c.want)
		}
	}
}

func TestPanicInHandlerFailsTheInvocationAndEndsTheProcess(t *testing.T) {
	srv, p, ctx := startEcho(t)
	res, err := srv.Invoke(ctx, []byte(`{"panic":true}`))
	if err != nil {
		t.Fatalf("Invoke: got %v; want nil", err)
	}
	if res.Err == nil || res.Err.ErrorMessage != "asked to panic" {
		t.Fatalf("Err: got %v; want the panic message", res.Err)
	}
	if len(res.Err.StackTrace) == 0 {
		t.Errorf("StackTrace: got empty; want the panic's frames")
	}
	select {
	case <-p.Done():
	case <-ctx.Done():
		t.Fatalf("process: got still running; want exited after a panic")
	}
	_, err = srv.Invoke(ctx, []byte(`{}`))
	if !errors.Is(err, ErrRuntimeExited) {
		t.Errorf("Invoke after exit: got %v; want %v", err, ErrRuntimeExited)
	}
}

func TestInitFailure(t *testing.T) {
	tests := []struct {
		name     string
		init     string
		wantType string
		wantMsg  string
	}{
		{name: "runtime reports init error", init: "report", wantType: "ConfigError", wantMsg: "config: VPCGUARD_MODE is not set"},
		{name: "panic at init", init: "panic", wantType: "Runtime.ExitError", wantMsg: "Runtime exited with error: exit status 2"},
		{name: "exit before polling", init: "exit", wantType: "Runtime.ExitError", wantMsg: "Runtime exited with error: exit status 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _, ctx := startEcho(t, "ECHO_INIT="+tt.init)
			if err := srv.WaitForNext(ctx); !errors.Is(err, ErrInitFailed) {
				t.Fatalf("WaitForNext: got %v; want %v", err, ErrInitFailed)
			}
			e := srv.InitError()
			if e == nil {
				t.Fatalf("InitError: got nil; want %s", tt.wantType)
			}
			if e.ErrorType != tt.wantType || e.ErrorMessage != tt.wantMsg {
				t.Errorf("InitError: got %q %q; want %q %q", e.ErrorType, e.ErrorMessage, tt.wantType, tt.wantMsg)
			}
			if _, err := srv.Invoke(ctx, []byte(`{}`)); !errors.Is(err, ErrInitFailed) {
				t.Errorf("Invoke: got %v; want %v", err, ErrInitFailed)
			}
		})
	}
}

func TestProcessCapturesOutput(t *testing.T) {
	srv, p, ctx := startEcho(t, "ECHO_INIT=panic")
	if err := srv.WaitForNext(ctx); !errors.Is(err, ErrInitFailed) {
		t.Fatalf("WaitForNext: got %v; want %v", err, ErrInitFailed)
	}
	<-p.Done()
	if got := p.Stderr(); !strings.Contains(got, "panic: init failed on purpose") {
		t.Errorf("Stderr: got %q; want the panic", got)
	}
}

func TestExecNeedsTheRuntimeAPIAddress(t *testing.T) {
	_, err := Exec(context.Background(), echoBinary, nil)
	if err == nil || !strings.Contains(err.Error(), "AWS_LAMBDA_RUNTIME_API") {
		t.Errorf("Exec without address: got %v; want an error naming AWS_LAMBDA_RUNTIME_API", err)
	}
}

func TestStopEndsAServingProcess(t *testing.T) {
	srv, p, ctx := startEcho(t)
	if err := srv.WaitForNext(ctx); err != nil {
		t.Fatalf("WaitForNext: got %v; want nil", err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: got %v; want nil", err)
	}
	select {
	case <-p.Done():
	default:
		t.Errorf("Done after Stop: got open; want closed")
	}
}

func TestCloseReleasesWaiters(t *testing.T) {
	srv, err := Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	errs := make(chan error, 2)
	go func() { _, err := srv.Invoke(context.Background(), []byte(`{}`)); errs <- err }()
	go func() { errs <- srv.WaitForNext(context.Background()) }()
	srv.Close()
	for range 2 {
		if err := <-errs; !errors.Is(err, ErrClosed) {
			t.Errorf("after Close: got %v; want %v", err, ErrClosed)
		}
	}
}

func TestMergeEnvLaterWins(t *testing.T) {
	got := mergeEnv([]string{"A=1", "B=2"}, []string{"B=3", "C=4"})
	want := []string{"A=1", "B=3", "C=4"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("mergeEnv: got %v; want %v", got, want)
	}
}

// BenchmarkColdStart measures exec of the echo bootstrap to its first
// response, and reports the time to the first poll of invocation/next.
func BenchmarkColdStart(b *testing.B) {
	ctx := context.Background()
	var toPoll time.Duration
	for b.Loop() {
		srv, err := Start()
		if err != nil {
			b.Fatalf("Start: %v", err)
		}
		start := time.Now()
		p, err := srv.Exec(ctx, echoBinary, nil)
		if err != nil {
			b.Fatalf("Exec: %v", err)
		}
		if err := srv.WaitForNext(ctx); err != nil {
			b.Fatalf("WaitForNext: %v", err)
		}
		toPoll += time.Since(start)
		res, err := srv.Invoke(ctx, []byte(`{"cold":true}`))
		if err != nil || res.Err != nil {
			b.Fatalf("Invoke: %v %v", err, res.Err)
		}
		b.StopTimer()
		p.Stop()
		srv.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(toPoll.Microseconds())/float64(b.N)/1000, "ms-to-first-poll")
}
