package main

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// hwmWatcher samples a child process's peak resident set (VmHWM in
// /proc/PID/status) while it runs.
//
// Not ru_maxrss from wait4: Go starts a child with clone(CLONE_VM|CLONE_VFORK),
// so until exec the child runs in the parent's address space, and Linux folds
// that address space's high-water mark into the child's maxrss at exec. A
// child of a bench process holding 60 MB then "peaks" at 60 MB whatever it
// does. VmHWM belongs to the child's own address space, made at exec.
type hwmWatcher struct {
	pid  int
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	max  int64
}

// watchHWM starts sampling pid every 10 ms until stop.
func watchHWM(pid int) *hwmWatcher {
	w := &hwmWatcher{pid: pid, done: make(chan struct{})}
	w.wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			w.sample()
			select {
			case <-w.done:
				return
			case <-t.C:
			}
		}
	})
	return w
}

func (w *hwmWatcher) sample() {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(w.pid) + "/status")
	if err != nil {
		return // exited, or not Linux
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v) // "12345 kB"
			if len(f) == 2 && f[1] == "kB" {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					w.mu.Lock()
					w.max = max(w.max, kb*1024)
					w.mu.Unlock()
				}
			}
			return
		}
	}
}

// stop ends the sampling and returns the peak in bytes (0 when never
// read): the last sample is at most 10 ms before the child's exit.
func (w *hwmWatcher) stop() int64 {
	close(w.done)
	w.wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.max
}
