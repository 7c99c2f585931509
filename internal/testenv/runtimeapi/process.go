package runtimeapi

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long Stop waits after SIGTERM before it kills.
const stopGrace = 2 * time.Second

// Process is a running runtime binary.
type Process struct {
	cmd     *exec.Cmd
	stdout  syncBuffer
	stderr  syncBuffer
	done    chan struct{}
	waitErr error
	stopped bool
	mu      sync.Mutex
}

// Exec starts binaryPath with the environment real Lambda gives a
// provided.al2023 function, overridden by env (KEY=value entries; later wins).
// env must carry AWS_LAMBDA_RUNTIME_API; Server.Exec sets it. The host
// environment is not inherited, so a developer's AWS_PROFILE or credentials
// cannot leak into what the function sees: pass what it needs in env.
// The process is killed when ctx ends.
func Exec(ctx context.Context, binaryPath string, env []string) (*Process, error) {
	merged := mergeEnv(lambdaEnv(binaryPath), env)
	if !hasKey(merged, "AWS_LAMBDA_RUNTIME_API") {
		return nil, fmt.Errorf("exec %s: AWS_LAMBDA_RUNTIME_API is not set in env", binaryPath)
	}
	cmd := exec.CommandContext(ctx, binaryPath)
	cmd.Env = merged
	cmd.Dir = filepath.Dir(binaryPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = &p.stdout
	cmd.Stderr = &p.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("exec %s: %w", binaryPath, err)
	}
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// Exec starts binaryPath (see the package-level Exec) pointed at this server,
// and watches it: if it exits before polling, InitError reports a
// Runtime.ExitError, and an invocation it held fails with one, as on Lambda.
// WaitForNext and InitError then describe this process.
func (s *Server) Exec(ctx context.Context, binaryPath string, env []string) (*Process, error) {
	// The new run state is in place before the process can poll or report.
	run := newRunState(true)
	s.mu.Lock()
	s.run = run
	s.mu.Unlock()
	full := append([]string{"AWS_LAMBDA_RUNTIME_API=" + s.Addr()}, env...)
	p, err := Exec(ctx, binaryPath, full)
	if err != nil {
		s.processExited(run, err)
		return nil, err
	}
	go func() {
		<-p.done
		s.processExited(run, p.Err())
	}()
	return p, nil
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is how the process exited (nil for status 0); nil while it runs.
func (p *Process) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waitErr
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stdout is what the process has written to stdout so far.
func (p *Process) Stdout() string { return p.stdout.String() }

// Stderr is what the process has written to stderr so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Stop sends SIGTERM (Lambda's shutdown signal), kills after a grace period,
// and waits. It returns nil when the process ended because it was told to,
// and the exit error when it had already failed on its own.
func (p *Process) Stop() error {
	p.mu.Lock()
	already := p.stopped
	p.stopped = true
	p.mu.Unlock()
	select {
	case <-p.done:
		if already {
			return nil
		}
		return p.Err()
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	return nil
}

func lambdaEnv(binaryPath string) []string {
	name := DefaultFunctionName
	return []string{
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME=" + time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + strings.ReplaceAll(newRequestID(), "-", ""),
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_REGION=" + DefaultRegion,
		"AWS_DEFAULT_REGION=" + DefaultRegion,
		"_HANDLER=bootstrap",
		"LAMBDA_TASK_ROOT=" + filepath.Dir(binaryPath),
		"LAMBDA_RUNTIME_DIR=" + filepath.Dir(binaryPath),
		"LANG=en_US.UTF-8",
		"TZ=:UTC",
		"PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin",
	}
}

// mergeEnv lets later entries replace earlier ones with the same key, so the
// result has each key once.
func mergeEnv(lists ...[]string) []string {
	index := map[string]int{}
	var out []string
	for _, list := range lists {
		for _, kv := range list {
			key, _, _ := strings.Cut(kv, "=")
			if i, ok := index[key]; ok {
				out[i] = kv
				continue
			}
			index[key] = len(out)
			out = append(out, kv)
		}
	}
	return out
}

func hasKey(env []string, key string) bool {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == key && v != "" {
			return true
		}
	}
	return false
}

// syncBuffer is a bytes.Buffer safe for the process's writes and the test's
// reads at the same time.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
