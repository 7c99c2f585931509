package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/vpcguard/vpcguard/shared/backfill"
)

// progressBar draws "done/total, rate, ETA" on one terminal line, at most
// ten times a second. It draws nothing when stderr is not a terminal, so
// logs and pipes stay clean.
type progressBar struct {
	w       io.Writer
	enabled bool

	mu    sync.Mutex
	last  time.Time
	drawn bool
	p     backfill.Progress
}

func newProgressBar(stderr io.Writer) *progressBar {
	return &progressBar{w: stderr, enabled: isTerminal(stderr)}
}

// Update records progress and redraws when it is time to.
func (b *progressBar) Update(p backfill.Progress) {
	if !b.enabled {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.p = p
	if time.Since(b.last) < 100*time.Millisecond && p.Done != p.Total {
		return
	}
	b.last = time.Now()
	b.draw()
}

// Around runs write (a finding going to stdout, the same terminal) with the
// bar cleared, and draws it again after, so rows and bar do not garble.
func (b *progressBar) Around(write func()) {
	if !b.enabled {
		write()
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\x1b[2K")
	}
	write()
	if b.drawn {
		b.draw()
	}
}

// Finish clears the bar so the summary starts on a clean line.
func (b *progressBar) Finish() {
	if !b.enabled {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\x1b[2K")
	}
}

func (b *progressBar) draw() {
	fmt.Fprint(b.w, "\r\x1b[2K"+progressLine(b.p, 30))
	b.drawn = true
}

// progressLine renders p: "[#####.....] 120/300  85/s  ETA 2s".
func progressLine(p backfill.Progress, width int) string {
	frac := 0.0
	if p.Total > 0 {
		frac = float64(p.Done) / float64(p.Total)
	}
	filled := int(frac * float64(width))
	bar := strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
	rate := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		rate = float64(p.Done) / s
	}
	total := fmt.Sprint(p.Total)
	eta := "ETA --"
	if p.Listing {
		total += "+" // still listing: more may come
	} else if rate > 0 {
		eta = "ETA " + (time.Duration(float64(p.Total-p.Done) / rate * float64(time.Second))).Round(time.Second).String()
	}
	accounts := ""
	if p.Accounts > 1 {
		accounts = fmt.Sprintf("  %d/%d accounts", p.AccountsDone, p.Accounts)
	}
	return fmt.Sprintf("[%s] %d/%s resources%s  %.0f/s  %s", bar, p.Done, total, accounts, rate, eta)
}
