// Package runtimeapi is a loopback implementation of the public AWS Lambda
// Runtime API (2018-06-01), so that a real `bootstrap` binary built for the
// host can be run, invoked and timed in tests and benchmarks.
//
// Only the endpoints a custom runtime uses are served: invocation/next,
// invocation/{id}/response, invocation/{id}/error and init/error. Extensions,
// telemetry and response streaming are not.
package runtimeapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults for what real Lambda would take from the function's configuration.
const (
	DefaultFunctionName = "vpcguard-test"
	DefaultRegion       = "us-east-1"
	DefaultAccount      = "123456789012"
	// DefaultTimeout is the invocation deadline handed to the runtime when the
	// context passed to Invoke has none.
	DefaultTimeout = time.Minute
	// MaxResponseBytes is Lambda's limit on a synchronous response payload.
	MaxResponseBytes = 6 * 1024 * 1024
)

const (
	headerRequestID    = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline     = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN  = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID      = "Lambda-Runtime-Trace-Id"
	headerErrorType    = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody   = "Lambda-Runtime-Function-Error-Body"
	pathPrefix         = "/2018-06-01/runtime/"
	errTypeExit        = "Runtime.ExitError"
	errTypeTooLarge    = "Function.ResponseSizeTooLarge"
	errTypeUnknownBody = "Runtime.Unknown"
)

// ErrClosed is returned by Invoke and WaitForNext once Close has been called.
var ErrClosed = errors.New("runtime api server closed")

// ErrInitFailed is wrapped by the errors Invoke and WaitForNext return when
// the runtime reported an init error, or exited before it polled for work.
var ErrInitFailed = errors.New("runtime init failed")

// ErrRuntimeExited is wrapped by the error Invoke returns when the runtime
// process (started with Server.Exec) is gone before it took the invocation.
var ErrRuntimeExited = errors.New("runtime exited")

// ErrorResponse is an error in the shape Lambda reports it: the body a
// runtime posts to invocation/{id}/error or init/error.
type ErrorResponse struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
	// StackTrace is kept raw: aws-lambda-go sends frame objects, other
	// runtimes send strings.
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
}

func (e *ErrorResponse) Error() string {
	return e.ErrorType + ": " + e.ErrorMessage
}

// Result is the outcome of one invocation.
type Result struct {
	RequestID   string
	Payload     []byte
	ContentType string
	// Err is nil when the function succeeded.
	Err *ErrorResponse
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	traceID  string
	done     chan Result // buffered 1: exactly one send
}

// runState is what belongs to one runtime process: a new Server.Exec starts
// a fresh one, so one server can measure several cold starts.
type runState struct {
	polled     chan struct{}
	pollOnce   sync.Once
	initFailed chan struct{}
	initOnce   sync.Once
	initErr    *ErrorResponse
	// gone is closed once the exit of the process started by Server.Exec
	// has been accounted for; nil (never ready) for a process not ours.
	gone chan struct{}
}

func newRunState(watched bool) *runState {
	run := &runState{polled: make(chan struct{}), initFailed: make(chan struct{})}
	if watched {
		run.gone = make(chan struct{})
	}
	return run
}

// Server is a running loopback Runtime API.
type Server struct {
	ln       net.Listener
	srv      *http.Server
	queue    chan *invocation
	closed   chan struct{}
	closeErr error
	once     sync.Once

	mu       sync.Mutex
	run      *runState
	inflight map[string]*invocation
}

// Start listens on 127.0.0.1 on a free port and serves the Runtime API.
func Start() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for runtime api: %w", err)
	}
	s := &Server{
		ln:       ln,
		queue:    make(chan *invocation),
		closed:   make(chan struct{}),
		run:      newRunState(false),
		inflight: map[string]*invocation{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathPrefix+"invocation/next", s.handleNext)
	mux.HandleFunc("POST "+pathPrefix+"invocation/{id}/response", s.handleResponse)
	mux.HandleFunc("POST "+pathPrefix+"invocation/{id}/error", s.handleError)
	mux.HandleFunc("POST "+pathPrefix+"init/error", s.handleInitError)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Addr is host:port, the value of AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// FunctionARN is the ARN the server hands the runtime with each invocation.
func (s *Server) FunctionARN() string {
	return "arn:aws:lambda:" + DefaultRegion + ":" + DefaultAccount + ":function:" + DefaultFunctionName
}

// Close stops serving; blocked Invoke and WaitForNext calls return ErrClosed.
func (s *Server) Close() error {
	s.once.Do(func() {
		close(s.closed)
		s.closeErr = s.srv.Close()
	})
	return s.closeErr
}

func (s *Server) current() *runState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.run
}

// InitError returns the error the runtime posted to init/error, or a
// Runtime.ExitError if a process started with Exec exited before it polled
// for work; nil if neither happened.
func (s *Server) InitError() *ErrorResponse {
	run := s.current()
	select {
	case <-run.initFailed:
		return run.initErr
	default:
		return nil
	}
}

// WaitForNext returns when the runtime first polls invocation/next: the end
// of its init phase. It returns an error wrapping ErrInitFailed if the
// runtime fails init instead.
func (s *Server) WaitForNext(ctx context.Context) error {
	run := s.current()
	select {
	case <-run.polled:
		return nil
	case <-run.initFailed:
		return fmt.Errorf("%w: %v", ErrInitFailed, run.initErr)
	case <-s.closed:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("wait for the runtime to poll: %w", ctx.Err())
	}
}

// Invoke hands payload to the runtime on its next poll and waits for the
// outcome. A function error is not an error here: it is in Result.Err.
// The error is for what stops the invocation from happening at all: ctx,
// Close, a failed init, or the runtime process gone.
func (s *Server) Invoke(ctx context.Context, payload []byte) (Result, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultTimeout)
	}
	inv := &invocation{
		id:       newRequestID(),
		payload:  payload,
		deadline: deadline,
		traceID:  newTraceID(),
		done:     make(chan Result, 1),
	}
	// Registered before it is offered, so that a process exit at any point
	// after the runtime takes it still finds it and fails it.
	s.mu.Lock()
	s.inflight[inv.id] = inv
	run := s.run
	s.mu.Unlock()
	select {
	case s.queue <- inv:
	case <-run.initFailed:
		s.take(inv.id)
		return Result{}, fmt.Errorf("invoke %s: %w: %v", inv.id, ErrInitFailed, run.initErr)
	case <-run.gone:
		s.take(inv.id)
		// A process that died before polling failed its init: say that.
		select {
		case <-run.initFailed:
			return Result{}, fmt.Errorf("invoke %s: %w: %v", inv.id, ErrInitFailed, run.initErr)
		default:
			return Result{}, fmt.Errorf("invoke %s: %w", inv.id, ErrRuntimeExited)
		}
	case <-s.closed:
		s.take(inv.id)
		return Result{}, fmt.Errorf("invoke %s: %w", inv.id, ErrClosed)
	case <-ctx.Done():
		s.take(inv.id)
		return Result{}, fmt.Errorf("invoke %s: wait for the runtime to poll: %w", inv.id, ctx.Err())
	}
	// Once taken, the outcome always arrives: the runtime answers, or the
	// process watcher fails the invocation when the process exits. If the
	// caller gives up first, a late answer is still accepted (and dropped),
	// so the runtime keeps serving.
	select {
	case res := <-inv.done:
		return res, nil
	case <-s.closed:
		return Result{}, fmt.Errorf("invoke %s: %w", inv.id, ErrClosed)
	case <-ctx.Done():
		return Result{}, fmt.Errorf("invoke %s: wait for the result: %w", inv.id, ctx.Err())
	}
}

// take removes the in-flight invocation id, so that it is answered once.
func (s *Server) take(id string) *invocation {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv := s.inflight[id]
	delete(s.inflight, id)
	return inv
}

func (s *Server) handleNext(w http.ResponseWriter, r *http.Request) {
	run := s.current()
	run.pollOnce.Do(func() { close(run.polled) })
	var inv *invocation
	select {
	case inv = <-s.queue:
	case <-s.closed:
		http.Error(w, "shutting down", http.StatusGone)
		return
	case <-r.Context().Done():
		return
	case <-run.gone:
		return
	}
	// A poll left over from a process that has exited (its connection
	// closed, or its exit accounted for) must not swallow the invocation
	// meant for the next process: select picks at random among ready
	// cases, so it can take one just as it learns it is stale. Hand it back.
	if r.Context().Err() != nil || closed(run.gone) {
		go func() {
			select {
			case s.queue <- inv:
			case <-s.closed:
			}
		}()
		return
	}
	h := w.Header()
	h.Set(headerRequestID, inv.id)
	h.Set(headerDeadline, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(headerFunctionARN, s.FunctionARN())
	h.Set(headerTraceID, inv.traceID)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(inv.payload); err != nil {
		// The runtime never saw the event; Lambda would time the call out.
		if inv := s.take(inv.id); inv != nil {
			inv.done <- Result{RequestID: inv.id, Err: &ErrorResponse{ErrorType: errTypeExit, ErrorMessage: "deliver event: " + err.Error()}}
		}
	}
}

func (s *Server) handleResponse(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	inv := s.take(id)
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "unknown or already answered request id "+id)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes+1))
	if err != nil {
		inv.done <- Result{RequestID: id, Err: &ErrorResponse{ErrorType: errTypeExit, ErrorMessage: "read response: " + err.Error()}}
		writeAPIError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	if len(body) > MaxResponseBytes {
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxResponseBytes)
		inv.done <- Result{RequestID: id, Err: &ErrorResponse{ErrorType: errTypeTooLarge, ErrorMessage: msg}}
		writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", msg)
		return
	}
	// aws-lambda-go reports a response body that failed mid-read in trailers.
	if typ := r.Trailer.Get(headerErrorType); typ != "" {
		inv.done <- Result{RequestID: id, Err: trailerError(typ, r.Trailer.Get(trailerErrorBody))}
		writeAccepted(w)
		return
	}
	inv.done <- Result{RequestID: id, Payload: body, ContentType: r.Header.Get("Content-Type")}
	writeAccepted(w)
}

func (s *Server) handleError(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	inv := s.take(id)
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "unknown or already answered request id "+id)
		return
	}
	inv.done <- Result{RequestID: id, Err: readErrorBody(r)}
	writeAccepted(w)
}

func (s *Server) handleInitError(w http.ResponseWriter, r *http.Request) {
	s.failInit(readErrorBody(r))
	writeAccepted(w)
}

func (s *Server) failInit(e *ErrorResponse) {
	run := s.current()
	run.initOnce.Do(func() {
		run.initErr = e
		close(run.initFailed)
	})
}

// readErrorBody decodes the Lambda error shape; a body that is not that JSON
// is kept whole as the message, as Lambda does.
func readErrorBody(r *http.Request) *ErrorResponse {
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes))
	var e ErrorResponse
	if err := json.Unmarshal(body, &e); err != nil {
		e = ErrorResponse{ErrorMessage: string(body)}
	}
	if e.ErrorType == "" {
		e.ErrorType = r.Header.Get(headerErrorType)
	}
	if e.ErrorType == "" {
		e.ErrorType = errTypeUnknownBody
	}
	return &e
}

func trailerError(typ, b64 string) *ErrorResponse {
	e := ErrorResponse{ErrorType: typ}
	if raw, err := base64.StdEncoding.DecodeString(b64); err == nil {
		_ = json.Unmarshal(raw, &e)
	}
	if e.ErrorType == "" {
		e.ErrorType = typ
	}
	return &e
}

// processExited fails what the process left behind the way Lambda reports
// it: an invocation in flight gets a Runtime.ExitError result, and a process
// that never polled counts as a failed init.
func (s *Server) processExited(run *runState, waitErr error) {
	msg := "Runtime exited without providing a reason"
	if waitErr != nil {
		msg = "Runtime exited with error: " + waitErr.Error()
	}
	s.mu.Lock()
	stillCurrent := s.run == run
	var orphans []*invocation
	if stillCurrent {
		for id, inv := range s.inflight {
			orphans = append(orphans, inv)
			delete(s.inflight, id)
		}
	}
	s.mu.Unlock()
	for _, inv := range orphans {
		inv.done <- Result{RequestID: inv.id, Err: &ErrorResponse{ErrorType: errTypeExit, ErrorMessage: "RequestId: " + inv.id + " Error: " + msg}}
	}
	select {
	case <-run.polled:
	default:
		run.initOnce.Do(func() {
			run.initErr = &ErrorResponse{ErrorType: errTypeExit, ErrorMessage: msg}
			close(run.initFailed)
		})
	}
	close(run.gone)
}

// closed reports whether ch is closed; a nil channel never is.
func closed(ch chan struct{}) bool {
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func writeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(ErrorResponse{ErrorType: typ, ErrorMessage: msg})
}

func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return strings.Join([]string{h[0:8], h[8:12], h[12:16], h[16:20], h[20:32]}, "-")
}

func newTraceID() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), h[:24], h[24:40])
}
