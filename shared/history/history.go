// Package history finds, in CloudTrail, the call that created a resource
// that already exists: in the event history (LookupEvents) while it keeps
// the call (90 days), in a trail's log files in S3 (package traillogs)
// after that. A backfill has no event to take a finding's principal from;
// this gives it the creator's, so an enforce-mode backfill can put the
// guardrail on whoever created a violation that predates vpcguard.
//
// LookupEvents takes one lookup attribute, allows two calls per second per
// account and Region, and returns 50 events a call. So the creating call is
// asked for by event name within a window around the resource's creation
// time, and matched on the resource the record names (the rule's own
// FromEvent reads its requestParameters). Each account and Region has its
// own rate limiter, a run has a cap on its calls, and the windows are
// whole 15-minute slots kept for the run: resources created together (a
// pipeline, a migration) share their calls.
//
// It imports the CloudTrail SDK: the CLI and the backfill Lambda link it,
// through setup/creators; the guard Lambdas do not.
package history

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctsdk "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/traillogs"
)

// LookupAPI is the part of the CloudTrail client the finder calls.
type LookupAPI interface {
	LookupEvents(ctx context.Context, in *ctsdk.LookupEventsInput, opts ...func(*ctsdk.Options)) (*ctsdk.LookupEventsOutput, error)
}

var _ LookupAPI = (*ctsdk.Client)(nil)

const (
	// Keeps is how far back CloudTrail's event history goes.
	Keeps = 90 * 24 * time.Hour
	// CallsPerSecond is LookupEvents' limit per account and Region.
	CallsPerSecond = 2
	// Slack is how far from the resource's CreationTime the creating call's
	// eventTime is looked for: the call is recorded when it is made, the
	// resource stamped while it is created, moments later.
	Slack = 5 * time.Minute
	// slot is the span one lookup asks for.
	slot = 15 * time.Minute
	// pageSize is the most LookupEvents returns a call.
	pageSize = 50

	// ActionFind is the finding's action that says what the lookup found.
	ActionFind = "find-creator"
	// EventHistory names the event history as a creator's source.
	EventHistory = "CloudTrail event history"
)

// errCapReached is returned once the run's LookupEvents calls are spent.
var errCapReached = errors.New("cap reached")

// Finder looks creators up for one backfill run. It is safe for concurrent
// use by the run's workers.
type Finder struct {
	// History returns the event history client of an account and region.
	History func(ctx context.Context, account, region string) (LookupAPI, error)
	// Logs is the trail bucket searched for creators the event history no
	// longer keeps (or when LookupEvents is denied); nil: none.
	Logs *traillogs.Bucket
	// MaxLookups caps the run's LookupEvents calls (config.EnvCreatorLookupMax).
	MaxLookups int
	// Interval is the least time between two calls in one account and
	// region; 0 is CloudTrail's limit (1/CallsPerSecond).
	Interval time.Duration
	// Now is the clock the creators' ages are read on; nil is time.Now.
	Now func() time.Time
	Log *slog.Logger

	mu       sync.Mutex
	used     int
	limiters map[string]*limiter
	slots    map[slotKey]*slotCalls
	files    map[string][]call // rule + "|" + log file key -> its creating calls
	read     int               // log files read
}

// call is a creating call, kept small: a run may hold many.
type call struct {
	resource  string // the resource it created
	id, name  string
	time      time.Time
	principal string
	source    string
}

// Lookups returns how many LookupEvents calls the run made.
func (f *Finder) Lookups() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.used
}

// FilesRead returns how many log files the run read from the trail bucket.
func (f *Finder) FilesRead() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.read
}

// Find looks up the creator of a NON_COMPLIANT resource whose finding names
// no principal, and records on the finding what it found: the principal,
// the creating call's event, and an action saying where it was found, or
// why it was not.
func (f *Finder) Find(ctx context.Context, res *evaluate.Result) {
	fd := &res.Finding
	if fd.Status != finding.NonCompliant || fd.Principal != "" || res.Rule == nil {
		return
	}
	c, why, err := f.find(ctx, res.Rule, res.State)
	switch {
	case err != nil:
		fd.AddAction(finding.Action{Type: ActionFind, Target: fd.ResourceID, Outcome: finding.Failed, Detail: err.Error()})
	case c == nil:
		fd.AddAction(finding.Action{Type: ActionFind, Target: fd.ResourceID, Outcome: finding.Skipped, Detail: "not found: " + why})
	default:
		now := f.now()
		fd.Principal, fd.EventID, fd.EventName = c.principal, c.id, c.name
		fd.EventTime = c.time.UTC().Format(time.RFC3339)
		res.Creator = &evaluate.Creator{EventTime: c.time, Age: now.Sub(c.time), Source: c.source}
		fd.AddAction(finding.Action{Type: ActionFind, Target: fd.ResourceID, Outcome: finding.Done,
			Detail: fmt.Sprintf("%s by %s at %s, %s ago (%s, event %s)", c.name, c.principal, fd.EventTime, days(now.Sub(c.time)), c.source, c.id)})
	}
}

// find returns the creating call, or why there is none; an error when the
// lookup failed.
func (f *Finder) find(ctx context.Context, rule rules.Rule, s resource.State) (*call, string, error) {
	names := creates(rule)
	if len(names) == 0 {
		return nil, "rule " + rule.Name() + " has no Create call among its triggers", nil
	}
	if s.Created.IsZero() {
		return nil, "the resource's creation time is unknown, so there is no window to look in", nil
	}
	from, to := s.Created.Add(-Slack), s.Created.Add(Slack)
	what := fmt.Sprintf("no %s of %s between %s and %s", strings.Join(names, " or "), s.ID, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
	age := f.now().Sub(s.Created)
	if age < Keeps {
		c, err := f.lookup(ctx, rule, names, s, from, to)
		switch {
		case c != nil:
			return c, "", nil
		case err == nil:
			return nil, what + " in " + EventHistory, nil
		case errors.Is(err, errCapReached) && f.Logs == nil:
			return nil, fmt.Sprintf("this run's %d LookupEvents calls are spent (%s)", f.MaxLookups, config.EnvCreatorLookupMax), nil
		case awserr.IsAccessDenied(err) && f.Logs != nil, errors.Is(err, errCapReached):
			// The trail's log files hold the same calls.
		default:
			return nil, "", fmt.Errorf("look up %s in %s: %w", strings.Join(names, ", "), EventHistory, err)
		}
	} else if f.Logs == nil {
		return nil, fmt.Sprintf("created %s, %s ago: CloudTrail's event history keeps 90 days; %s names a trail bucket whose log files go further back",
			s.Created.UTC().Format(time.RFC3339), days(age), config.EnvTrailBucket), nil
	}
	c, err := f.search(ctx, rule, names, s, from, to)
	switch {
	case err != nil:
		return nil, "", fmt.Errorf("search the log files of %s: %w", f.Logs.Location, err)
	case c == nil:
		return nil, what + " in the log files of " + f.Logs.Location.String(), nil
	}
	return c, "", nil
}

// creates are the rule's triggers that create the resources it judges: the
// calls whose caller made the resource what it is.
func creates(r rules.Rule) []string {
	var out []string
	for _, t := range r.Triggers() {
		for _, n := range t.Names {
			if strings.HasPrefix(n, "Create") && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// lookup asks the event history for the creating call, slot by slot.
func (f *Finder) lookup(ctx context.Context, rule rules.Rule, names []string, s resource.State, from, to time.Time) (*call, error) {
	api, err := f.History(ctx, s.Account, s.Region)
	if err != nil {
		return nil, err
	}
	// The slot of the creation time first: the call is almost always in
	// it, and a neighbouring slot is asked only when it is not.
	own := s.Created.Truncate(slot)
	starts := []time.Time{own}
	for start := from.Truncate(slot); start.Before(to); start = start.Add(slot) {
		if !start.Equal(own) {
			starts = append(starts, start)
		}
	}
	for _, name := range names {
		for _, start := range starts {
			sc := f.slot(slotKey{account: s.Account, region: s.Region, kind: rule.Kind(), name: name, start: start})
			c, err := sc.find(ctx, f, api, rule, s, from, to)
			if c != nil || err != nil {
				return c, err
			}
		}
	}
	return nil, nil
}

// slotKey names one slot of one create call's events. The rules of one
// kind share it (a model outside a VPC and without network isolation is
// looked up once): their create calls name the resource they made alike.
type slotKey struct {
	account, region string
	kind            resource.Kind
	name            string
	start           time.Time
}

// slotCalls is what the event history said of one slot so far: pages are
// read as a resource needs them and kept for the others.
type slotCalls struct {
	key     slotKey
	mu      sync.Mutex
	calls   []call
	next    *string
	started bool
}

func (f *Finder) slot(k slotKey) *slotCalls {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.slots == nil {
		f.slots = map[slotKey]*slotCalls{}
	}
	sc, ok := f.slots[k]
	if !ok {
		sc = &slotCalls{key: k}
		f.slots[k] = sc
	}
	return sc
}

// find returns s's creating call in the slot, reading further pages until
// it is found or the slot is read to its end.
func (sc *slotCalls) find(ctx context.Context, f *Finder, api LookupAPI, rule rules.Rule, s resource.State, from, to time.Time) (*call, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for {
		if c := match(sc.calls, s, from, to); c != nil {
			return c, nil
		}
		if sc.started && sc.next == nil {
			return nil, nil
		}
		if err := f.take(); err != nil {
			return nil, err
		}
		if err := f.limiter(sc.key.account+"/"+sc.key.region).wait(ctx, f.interval()); err != nil {
			return nil, err
		}
		out, err := api.LookupEvents(ctx, &ctsdk.LookupEventsInput{
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String(sc.key.name)}},
			StartTime:        aws.Time(sc.key.start),
			EndTime:          aws.Time(sc.key.start.Add(slot)),
			MaxResults:       aws.Int32(pageSize),
			NextToken:        sc.next,
		})
		if err != nil {
			return nil, err
		}
		sc.started, sc.next = true, out.NextToken
		if aws.ToString(sc.next) == "" {
			sc.next = nil
		}
		for _, e := range out.Events {
			sc.calls = append(sc.calls, f.calls(rule, []byte(aws.ToString(e.CloudTrailEvent)), EventHistory, aws.ToTime(e.EventTime))...)
		}
	}
}

// calls reads the creating calls of rule in data (a record, or a log file),
// each with the resources it created.
func (f *Finder) calls(rule rules.Rule, data []byte, source string, fallback time.Time) []call {
	events, err := cloudtrail.Parse(data)
	if err != nil && f.Log != nil {
		f.Log.Debug("unreadable CloudTrail records skipped", "source", source, "error", err.Error())
	}
	var out []call
	for i := range events {
		ev := &events[i]
		if !strings.HasPrefix(ev.Name, "Create") || !rules.Handles(rule, ev) {
			continue // another service's call of the same name, or a failed call
		}
		t := ev.Time
		if t.IsZero() {
			t = fallback
		}
		for _, st := range rule.FromEvent(ev) {
			if st.Kind == rule.Kind() && st.ID != "" {
				out = append(out, call{resource: st.ID, id: ev.ID, name: ev.Name, time: t, principal: ev.Identity.Principal(), source: source})
			}
		}
	}
	return out
}

// match returns the call that created s within [from, to], the closest to
// its creation time when the name was used more than once.
func match(calls []call, s resource.State, from, to time.Time) *call {
	var best *call
	for i := range calls {
		c := &calls[i]
		if strings.EqualFold(c.resource, s.ID) && !c.time.Before(from) && !c.time.After(to) {
			best = closer(best, c, s.Created)
		}
	}
	return best
}

func closer(a, b *call, t time.Time) *call {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case b.time.Sub(t).Abs() < a.time.Sub(t).Abs():
		return b
	}
	return a
}

// search reads the trail's log files of the window for the creating call.
func (f *Finder) search(ctx context.Context, rule rules.Rule, names []string, s resource.State, from, to time.Time) (*call, error) {
	q := traillogs.Query{Since: from, Until: to, Accounts: []string{s.Account}, Regions: []string{s.Region}}
	var best *call
	err := f.Logs.Files(ctx, q, func(key string) error {
		calls, err := f.file(ctx, rule, key)
		if err != nil {
			if errors.Is(err, traillogs.ErrAccessDenied) {
				return err
			}
			if f.Log != nil {
				f.Log.Warn("log file skipped", "file", f.Logs.URL(key), "error", err.Error())
			}
			return nil
		}
		for i := range calls {
			if slices.Contains(names, calls[i].name) {
				best = closer(best, match(calls[i:i+1], s, from, to), s.Created)
			}
		}
		return nil
	})
	return best, err
}

// file returns the creating calls of rule in one log file, read once a run.
func (f *Finder) file(ctx context.Context, rule rules.Rule, key string) ([]call, error) {
	k := rule.Name() + "|" + key
	f.mu.Lock()
	calls, ok := f.files[k]
	f.mu.Unlock()
	if ok {
		return calls, nil
	}
	data, err := f.Logs.Read(ctx, key)
	if err != nil {
		return nil, err
	}
	calls = f.calls(rule, data, f.Logs.URL(key), time.Time{})
	f.mu.Lock()
	if f.files == nil {
		f.files = map[string][]call{}
	}
	f.files[k] = calls
	f.read++
	f.mu.Unlock()
	return calls, nil
}

// take spends one of the run's LookupEvents calls.
func (f *Finder) take() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.used >= f.MaxLookups {
		return errCapReached
	}
	f.used++
	return nil
}

func (f *Finder) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

func (f *Finder) interval() time.Duration {
	if f.Interval > 0 {
		return f.Interval
	}
	return time.Second / CallsPerSecond
}

func (f *Finder) limiter(key string) *limiter {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.limiters == nil {
		f.limiters = map[string]*limiter{}
	}
	l, ok := f.limiters[key]
	if !ok {
		l = &limiter{}
		f.limiters[key] = l
	}
	return l
}

// limiter spaces the calls of one account and region: each waits its turn,
// interval after the one before.
type limiter struct {
	mu   sync.Mutex
	next time.Time
}

func (l *limiter) wait(ctx context.Context, interval time.Duration) error {
	l.mu.Lock()
	at := l.next
	if now := time.Now(); at.Before(now) {
		at = now
	}
	l.next = at.Add(interval)
	l.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// days says an age in days, or hours under two days.
func days(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%.0f hours", d.Hours())
	}
	return fmt.Sprintf("%.0f days", d.Hours()/24)
}
