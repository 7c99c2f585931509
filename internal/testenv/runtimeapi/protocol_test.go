package runtimeapi

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeRuntime plays the runtime's side of the API over plain HTTP, to pin
// what any runtime (not only aws-lambda-go) can rely on.
type fakeRuntime struct {
	t    *testing.T
	base string
}

func (f fakeRuntime) next() (id string, h http.Header, body string) {
	f.t.Helper()
	resp, err := http.Get(f.base + "invocation/next")
	if err != nil {
		f.t.Fatalf("GET next: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("GET next: got %d; want 200", resp.StatusCode)
	}
	return resp.Header.Get("Lambda-Runtime-Aws-Request-Id"), resp.Header, string(b)
}

func (f fakeRuntime) post(path, body string, header map[string]string) int {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.base+path, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("POST %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type invokeOutcome struct {
	res Result
	err error
}

func invokeAsync(srv *Server, ctx context.Context, payload string) <-chan invokeOutcome {
	out := make(chan invokeOutcome, 1)
	go func() {
		res, err := srv.Invoke(ctx, []byte(payload))
		out <- invokeOutcome{res, err}
	}()
	return out
}

func TestRuntimeSideOfTheAPI(t *testing.T) {
	tests := []struct {
		name       string
		path       string // after invocation/{id}/
		body       string
		header     map[string]string
		wantStatus int
		wantResult Result
	}{
		{
			name:       "response",
			path:       "response",
			body:       `{"ok":true}`,
			header:     map[string]string{"Content-Type": "application/json"},
			wantStatus: http.StatusAccepted,
			wantResult: Result{Payload: []byte(`{"ok":true}`), ContentType: "application/json"},
		},
		{
			name:       "error in Lambda's shape",
			path:       "error",
			body:       `{"errorMessage":"boom","errorType":"BoomError","stackTrace":["a.go:1"]}`,
			wantStatus: http.StatusAccepted,
			wantResult: Result{Err: &ErrorResponse{ErrorMessage: "boom", ErrorType: "BoomError", StackTrace: []byte(`["a.go:1"]`)}},
		},
		{
			name:       "error typed only by header, body not JSON",
			path:       "error",
			body:       "plain words",
			header:     map[string]string{"Lambda-Runtime-Function-Error-Type": "Runtime.Custom"},
			wantStatus: http.StatusAccepted,
			wantResult: Result{Err: &ErrorResponse{ErrorMessage: "plain words", ErrorType: "Runtime.Custom"}},
		},
		{
			name:       "response over 6 MB",
			path:       "response",
			body:       strings.Repeat("x", MaxResponseBytes+1),
			wantStatus: http.StatusRequestEntityTooLarge,
			wantResult: Result{Err: &ErrorResponse{ErrorType: "Function.ResponseSizeTooLarge", ErrorMessage: "Response payload size exceeded maximum allowed payload size (6291456 bytes)."}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := Start()
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			rt := fakeRuntime{t: t, base: "http://" + srv.Addr() + "/2018-06-01/runtime/"}
			out := invokeAsync(srv, ctx, `{"in":1}`)
			id, h, body := rt.next()
			if body != `{"in":1}` {
				t.Errorf("event: got %s; want %s", body, `{"in":1}`)
			}
			deadline, err := strconv.ParseInt(h.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
			if err != nil || deadline < time.Now().UnixMilli() {
				t.Errorf("Lambda-Runtime-Deadline-Ms: got %q; want epoch ms in the future", h.Get("Lambda-Runtime-Deadline-Ms"))
			}
			for _, k := range []string{"Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id"} {
				if h.Get(k) == "" {
					t.Errorf("%s: got empty; want set", k)
				}
			}
			if got := rt.post("invocation/"+id+"/"+tt.path, tt.body, tt.header); got != tt.wantStatus {
				t.Errorf("POST %s: got %d; want %d", tt.path, got, tt.wantStatus)
			}
			o := <-out
			if o.err != nil {
				t.Fatalf("Invoke: got %v; want nil", o.err)
			}
			tt.wantResult.RequestID = id
			if got, want := describe(o.res), describe(tt.wantResult); got != want {
				t.Errorf("result: got %s; want %s", got, want)
			}
			if got := rt.post("invocation/"+id+"/response", "again", nil); got != http.StatusBadRequest {
				t.Errorf("second answer for %s: got %d; want 400", id, got)
			}
		})
	}
}

func describe(r Result) string {
	s := "id=" + r.RequestID + " payload=" + string(r.Payload) + " type=" + r.ContentType
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if r.Err != nil {
		s += " err=" + r.Err.ErrorType + "|" + r.Err.ErrorMessage + "|" + string(r.Err.StackTrace)
	}
	return s
}

func TestInvokeGivesUpWithItsContext(t *testing.T) {
	srv, err := Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := srv.Invoke(ctx, []byte(`{}`)); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("Invoke with no runtime polling: got %v; want context canceled", err)
	}
}

func TestLateAnswerAfterTheCallerGaveUpIsAccepted(t *testing.T) {
	srv, err := Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	rt := fakeRuntime{t: t, base: "http://" + srv.Addr() + "/2018-06-01/runtime/"}
	out := invokeAsync(srv, ctx, `{}`)
	id, _, _ := rt.next()
	cancel()
	if o := <-out; o.err == nil {
		t.Fatalf("Invoke after cancel: got %+v; want an error", o.res)
	}
	// aws-lambda-go exits on anything but 202, so the runtime must not be
	// punished for the caller's impatience.
	if got := rt.post("invocation/"+id+"/response", "late", nil); got != http.StatusAccepted {
		t.Errorf("late response: got %d; want 202", got)
	}
}
