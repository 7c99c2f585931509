// Package motoserver starts a real AWS API emulator (moto_server) on a free
// loopback port for integration tests and the demo, and stops it by PID.
package motoserver

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Account is the account id moto answers as.
const Account = "123456789012"

// Server is a running moto_server.
type Server struct {
	URL string
	cmd *exec.Cmd
}

// ErrNotInstalled is returned by Start when moto_server is not on PATH.
var ErrNotInstalled = errors.New("moto_server not found on PATH (pip install 'moto[server]==5.2.1')")

// Start runs moto_server on 127.0.0.1 and waits until it answers.
//
// moto_server binds the port itself (-p 0: the kernel picks a free one) and
// Start reads which from its log. Picking a free port here and handing it
// over would leave a window in which another process (another test package
// running alongside) takes the same port: the second moto_server then fails
// to bind, and its caller's readiness check is answered by the first, so two
// packages share one emulator and reset and seed each other's state.
func Start() (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	// A port chosen here, not by moto (-p 0): moto's Step Functions
	// interpreter calls the services back on localhost:$MOTO_PORT, which
	// moto sets from -p (0 would send its tasks to port 0). Another process
	// may take the port meanwhile; a second try takes another.
	var last error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := start(bin, port)
		if err == nil {
			return s, nil
		}
		last = err
	}
	return nil, last
}

// freePort is a TCP port on 127.0.0.1 nothing listens on now.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port for moto_server: %w", err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

func start(bin, port string) (*Server, error) {
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", port)
	cmd.Env = append(os.Environ(), "MOTO_PORT="+port)
	cmd.Stdout = nil
	logs, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	s := &Server{cmd: cmd}
	listening := make(chan string, 1)
	go func() {
		// Werkzeug announces " * Running on http://127.0.0.1:PORT"; after
		// that the log (one line per request) is drained so that moto never
		// blocks on a full pipe.
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			if m := runningOn.FindStringSubmatch(sc.Text()); m != nil {
				listening <- m[1]
				break
			}
		}
		close(listening)
		_, _ = io.Copy(io.Discard, logs)
	}()
	select {
	case url, ok := <-listening:
		if !ok {
			s.Stop()
			return nil, errors.New("moto_server exited before it was listening")
		}
		s.URL = url
	case <-time.After(startTimeout):
		s.Stop()
		return nil, fmt.Errorf("moto_server did not start listening within %v", startTimeout)
	}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("moto_server did not answer on %s within %v", s.URL, startTimeout)
}

// startTimeout bounds moto_server's start (a second or two; more on a
// loaded machine).
const startTimeout = 60 * time.Second

var runningOn = regexp.MustCompile(`Running on (http://127\.0\.0\.1:\d+)`)

// Stop ends moto_server (and any child it forked) by its process group.
func (s *Server) Stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// Reset clears every resource moto holds, so tests can share one server.
func (s *Server) Reset() error {
	resp, err := http.Post(s.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Config is an aws.Config for region that talks to this server with static
// test credentials.
func (s *Server) Config(region string) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(s.URL),
		RetryMaxAttempts: 3,
	}
}

// Env returns the environment variables that point an SDK or a child process
// at this server.
func (s *Server) Env(region string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.URL,
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Shared is a helper for TestMain: it starts a server, or reports why none
// could be started. Tests that need moto call Require.
var shared *Server
var sharedErr error

// Main starts one server for a package's tests, runs them, stops it, and
// exits with their code. A missing moto_server fails the run loudly: the
// integration tests are the point, so they are never silently skipped.
func Main(run func() int) {
	shared, sharedErr = Start()
	code := run()
	shared.Stop()
	os.Exit(code)
}

// TB is the part of testing.TB the harness uses.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// Require returns the package's shared server, reset to empty.
func Require(t TB) *Server {
	t.Helper()
	if sharedErr != nil {
		t.Fatalf("moto_server: %v", sharedErr)
	}
	if shared == nil {
		t.Fatalf("moto_server: call motoserver.Main from TestMain")
	}
	if err := shared.Reset(); err != nil {
		t.Fatalf("%v", err)
	}
	return shared
}
