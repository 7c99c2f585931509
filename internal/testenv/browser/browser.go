// Package browser drives a real headless Chromium, Debian's chromium
// package (make deps installs it), through chromedp: the HTML report's
// browser test and make report-demo load a report in it, read what a person
// would see, click, and take screenshots. The machine has no network, and
// the browser is started with its background traffic (updates, sync,
// component downloads) off.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// EnvChromium names the Chromium binary to use instead of searching PATH.
const EnvChromium = "VPCGUARD_CHROMIUM"

// ErrNoChromium says no Chromium is installed.
var ErrNoChromium = errors.New("no Chromium found (" + EnvChromium + ", /usr/bin/chromium, or chromium, chromium-browser, google-chrome on PATH): " +
	"make deps installs Debian's chromium package (apt-get install -y chromium); CI gets it the same way, .ci/run calling make test, which runs make deps")

// Find returns the Chromium binary's path.
func Find() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvChromium, p, err)
		}
		return p, nil
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Page is one tab of a headless Chromium of its own, with what the page
// reported: console errors, uncaught exceptions, and any request that left
// the machine.
type Page struct {
	Ctx    context.Context
	cancel func()

	mu       sync.Mutex
	errors   []string
	requests []string
}

// Open starts Chromium headless with a window of width×height and loads url.
func Open(ctx context.Context, chromium, url string, width, height int) (*Page, error) {
	dir, err := os.MkdirTemp("", "vpcguard-chromium-")
	if err != nil {
		return nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(dir),
		chromedp.Headless,
		chromedp.NoSandbox, // root in a container: Chromium's sandbox needs user namespaces
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	p := &Page{}
	tctx, cancelTab := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			if u := e.Request.URL; !strings.HasPrefix(u, "file:") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "about:") {
				p.mu.Lock()
				p.requests = append(p.requests, u)
				p.mu.Unlock()
			}
		}
	}))
	p.Ctx = tctx
	p.cancel = func() { cancelTab(); cancelAlloc(); os.RemoveAll(dir) }
	// Subscribe before loading, so that no message of the page is lost:
	// calls of console.error, uncaught exceptions, and the browser's own
	// error log (a resource that failed to load).
	messages := chromedp.Console(tctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				p.mu.Lock()
				p.errors = append(p.errors, m.String())
				p.mu.Unlock()
			}
		}
	}()
	err = chromedp.Do(tctx,
		chromedp.EmulateViewport(int64(width), int64(height)),
		chromedp.Navigate(url),
		chromedp.WaitReady(chromedp.CSS("body")),
		// Let the page's script run, and its messages arrive, before anyone
		// reads them.
		chromedp.Sleep(200*time.Millisecond),
	)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("load %s in Chromium: %w", url, err)
	}
	return p, nil
}

// Errors returns the console errors and uncaught exceptions so far.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string{}, p.errors...)
}

// Requests returns the URLs the page asked for beyond file: and data:.
func (p *Page) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string{}, p.requests...)
}

// Do runs chromedp actions in the page, in order.
func (p *Page) Do(steps ...chromedp.Action[chromedp.Void]) error { return chromedp.Do(p.Ctx, steps...) }

// Count is how many elements match a CSS selector.
func (p *Page) Count(selector string) (int, error) {
	return chromedp.Run(p.Ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", selector)))
}

// Text is the text of the first element matching a CSS selector.
func (p *Page) Text(selector string) (string, error) {
	return chromedp.Run(p.Ctx, chromedp.Text(chromedp.CSS(selector)))
}

// Screenshot captures the viewport as PNG.
func (p *Page) Screenshot() ([]byte, error) { return chromedp.Run(p.Ctx, chromedp.CaptureScreenshot()) }

// Close stops the browser and removes its profile.
func (p *Page) Close() { p.cancel() }
