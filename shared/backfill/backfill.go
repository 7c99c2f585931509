// Package backfill finds and judges what already exists: every SageMaker
// model, notebook instance and SageMaker interface VPC endpoint in the chosen
// accounts and regions, evaluated with the same rules and online state as the
// guards, and acted on through the same guard (report, ticket or enforce).
// The CLI (vpcguard backfill) and the backfill Lambda share this engine.
package backfill

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// DefaultConcurrency is the worker pool size when none is given.
const DefaultConcurrency = 16

// AllRegions asks for every region enabled in the account.
const AllRegions = "all"

// Lister enumerates one kind of resource in one account and region, handing
// each to emit: known says the listing carried the configuration the rules
// decide on (no describe needed). emit returns false once the run is over
// (cancelled); the lister then stops.
type Lister interface {
	List(ctx context.Context, account, region string, pageSize int32, emit func(s resource.State, known bool) bool) error
}

// Source is one account and region as the engine reads it: the current
// state of a resource, and the listing of each kind.
type Source struct {
	Reader evaluate.StateReader
	Lister func(kind resource.Kind) (Lister, error)
}

// Sources returns the Source of an account and region.
type Sources func(ctx context.Context, account, region string) (Source, error)

// Home is where a run goes when it is given no account or region: the
// account and region of the credentials.
type Home interface {
	HomeAccount(ctx context.Context) (string, error)
	HomeRegion() string
}

// Creators looks up who created a NON_COMPLIANT resource a backfill found:
// no event names them (package history reads CloudTrail). Find records on
// the result's finding what it found, or why it found nothing.
type Creators interface {
	Find(ctx context.Context, res *evaluate.Result)
}

// RegionLister lists the regions enabled in an account.
type RegionLister func(ctx context.Context, account string) ([]string, error)

// Options say what to backfill and how.
type Options struct {
	// Guard evaluates and acts on each resource as its rule's mode says.
	Guard *guard.Guard
	// Sources reads every account and region. Required.
	Sources Sources
	// Home is the account and region used when none are given.
	Home Home
	// EnabledRegions lists the regions enabled in an account, for Regions
	// "all"; nil refuses "all".
	EnabledRegions RegionLister

	Regions     []string     // region names, or "all"; empty: the configured region
	Accounts    []string     // account ids; empty: the account of the credentials
	Rules       []rules.Rule // empty: the guard's rules, else all rules
	Concurrency int          // workers; default DefaultConcurrency
	// PageSize is the MaxResults of SageMaker listings; default 100 (the
	// most Search and the List calls return).
	PageSize int32
	// Calls, when set, is the counter installed on the clients' config
	// (Calls.Instrument); the summary reports the calls made during Run.
	Calls *Calls
	// Progress is told after each resource is done. Calls are serialized.
	Progress func(Progress)
	// Creators, when set, looks up the creator of each NON_COMPLIANT
	// resource before the guard acts on it.
	Creators Creators
}

// Progress is how far a run has come. Total grows while listings are still
// running; Listing is false once every resource is known.
type Progress struct {
	Done, Total int
	Listing     bool
	Elapsed     time.Duration
}

// Result is every finding and the summary of a run.
type Result struct {
	Findings []finding.Finding `json:"findings"`
	Summary  Summary           `json:"summary"`
}

// Summary sums a run up. It is what the Lambda returns.
type Summary struct {
	Accounts           []string         `json:"accounts"`
	Regions            []string         `json:"regions"`
	Rules              []string         `json:"rules"`
	Resources          int              `json:"resources"`
	ByRule             finding.Tally    `json:"byRule"` // rule -> status -> count
	Errors             []RunError       `json:"errors"`
	Calls              map[string]int64 `json:"awsCalls,omitempty"`
	CallsTotal         int64            `json:"awsCallsTotal"`
	CallsPerResource   float64          `json:"awsCallsPerResource"`
	DurationSeconds    float64          `json:"durationSeconds"`
	ResourcesPerSecond float64          `json:"resourcesPerSecond"`
}

// RunError is a part of the run that failed: a listing (the resources it
// would have listed are unknown) or an action on a resource (its finding
// carries the failed action too).
type RunError struct {
	Account  string `json:"account"`
	Region   string `json:"region"`
	Kind     string `json:"kind,omitempty"`
	Resource string `json:"resource,omitempty"`
	Error    string `json:"error"`
}

// ErrNothingListed is returned when not one listing succeeded: the run did
// not happen, whatever the reason (credentials, permissions, regions).
var ErrNothingListed = errors.New("every listing failed")

// task is one listed resource waiting for evaluation.
type task struct {
	rules  []rules.Rule
	state  resource.State
	known  bool // the listing returned the configuration; no describe needed
	reader evaluate.StateReader
}

// run is one Run's shared state.
type run struct {
	opts  Options
	start time.Time

	tasks    chan task
	total    atomic.Int64
	done     atomic.Int64
	listing  atomic.Bool
	listOK   atomic.Int64
	listFail atomic.Int64

	mu       sync.Mutex
	findings []finding.Finding
	errs     []RunError

	progressMu sync.Mutex
}

// Run backfills: it lists every resource the rules judge in every account
// and region, evaluates each, and lets the guard act on it. It returns an
// error only when the run could not happen (no account, no region, every
// listing failed); partial failures are in Summary.Errors and every resource
// that was listed has a finding, INSUFFICIENT_DATA when it could not be read.
func Run(ctx context.Context, opts Options) (Result, error) {
	r := &run{opts: opts, start: time.Now()}
	if opts.Guard == nil || opts.Guard.Evaluator == nil {
		return Result{}, errors.New("backfill: no guard")
	}
	if opts.Sources == nil {
		return Result{}, errors.New("backfill: no AWS sources")
	}
	if r.opts.Concurrency <= 0 {
		r.opts.Concurrency = DefaultConcurrency
	}
	if r.opts.PageSize <= 0 {
		r.opts.PageSize = 100
	}
	if len(r.opts.Rules) == 0 {
		r.opts.Rules = opts.Guard.Evaluator.Rules
	}
	if len(r.opts.Rules) == 0 {
		r.opts.Rules = rules.All()
	}
	callsBefore := opts.Calls.Snapshot()

	// Regions first: a missing region is the likelier mistake, and the
	// clearer message. "all" is listed with the first account's clients.
	first := ""
	if len(r.opts.Accounts) > 0 {
		first = r.opts.Accounts[0]
	}
	regions, err := r.regions(ctx, first)
	if err != nil {
		return Result{}, err
	}
	accounts, err := r.accounts(ctx)
	if err != nil {
		return Result{}, err
	}

	byKind := map[resource.Kind][]rules.Rule{}
	var kinds []resource.Kind
	for _, rule := range r.opts.Rules {
		if _, ok := byKind[rule.Kind()]; !ok {
			kinds = append(kinds, rule.Kind())
		}
		byKind[rule.Kind()] = append(byKind[rule.Kind()], rule)
	}

	r.tasks = make(chan task, r.opts.Concurrency*4)
	r.listing.Store(true)
	var workers sync.WaitGroup
	for range r.opts.Concurrency {
		workers.Go(func() {
			for t := range r.tasks {
				r.evaluate(ctx, t)
			}
		})
	}
	// Listings run beside the workers, bounded by the same concurrency, and
	// feed them as pages arrive: the first findings do not wait for the
	// last listing.
	sem := make(chan struct{}, r.opts.Concurrency)
	var listers sync.WaitGroup
	for _, account := range accounts {
		for _, region := range regions {
			for _, kind := range kinds {
				listers.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					r.list(ctx, account, region, kind, byKind[kind])
				})
			}
		}
	}
	listers.Wait()
	r.listing.Store(false)
	close(r.tasks)
	workers.Wait()
	r.report()

	res := Result{Findings: r.findings}
	slices.SortFunc(res.Findings, func(a, b finding.Finding) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region),
			cmp.Compare(a.ResourceName, b.ResourceName), cmp.Compare(a.ResourceID, b.ResourceID))
	})
	slices.SortFunc(r.errs, func(a, b RunError) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Resource, b.Resource))
	})
	elapsed := time.Since(r.start)
	s := Summary{
		Accounts:        accounts,
		Regions:         regions,
		Rules:           rules.Names(r.opts.Rules),
		Resources:       int(r.total.Load()),
		ByRule:          finding.Count(res.Findings),
		Errors:          append([]RunError{}, r.errs...),
		DurationSeconds: elapsed.Seconds(),
	}
	if opts.Calls != nil {
		s.Calls = since(callsBefore, opts.Calls.Snapshot())
		for _, n := range s.Calls {
			s.CallsTotal += n
		}
		if s.Resources > 0 {
			s.CallsPerResource = float64(s.CallsTotal) / float64(s.Resources)
		}
	}
	if elapsed > 0 {
		s.ResourcesPerSecond = float64(s.Resources) / elapsed.Seconds()
	}
	res.Summary = s
	if r.listOK.Load() == 0 && r.listFail.Load() > 0 {
		return res, fmt.Errorf("%w (%d of %d): %s", ErrNothingListed, r.listFail.Load(), r.listFail.Load(), firstError(s.Errors))
	}
	return res, nil
}

func firstError(errs []RunError) string {
	if len(errs) == 0 {
		return ""
	}
	e := errs[0]
	return fmt.Sprintf("%s in %s/%s: %s", e.Kind, e.Account, e.Region, e.Error)
}

// accounts resolves the accounts to visit; the first is where regions are listed.
func (r *run) accounts(ctx context.Context) ([]string, error) {
	if len(r.opts.Accounts) > 0 {
		return dedupe(r.opts.Accounts), nil
	}
	if r.opts.Home == nil {
		return nil, errors.New("no account given and no credentials to find the current one")
	}
	home, err := r.opts.Home.HomeAccount(ctx)
	if err != nil {
		return nil, fmt.Errorf("could not find the current AWS account (are credentials configured?): %w", err)
	}
	return []string{home}, nil
}

// regions resolves the regions to visit; "all" asks EC2 for the regions
// enabled in the first account.
func (r *run) regions(ctx context.Context, account string) ([]string, error) {
	if len(r.opts.Regions) == 0 {
		if r.opts.Home != nil && r.opts.Home.HomeRegion() != "" {
			return []string{r.opts.Home.HomeRegion()}, nil
		}
		return nil, errors.New("no region: set AWS_REGION, or pass --regions (a list, or all)")
	}
	if !slices.Contains(r.opts.Regions, AllRegions) {
		return dedupe(r.opts.Regions), nil
	}
	if r.opts.EnabledRegions == nil {
		return nil, errors.New("list regions: this run cannot list the enabled regions; name them")
	}
	return r.opts.EnabledRegions(ctx, account)
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// enqueue hands a listed resource to the workers.
func (r *run) enqueue(ctx context.Context, t task) bool {
	r.total.Add(1)
	select {
	case r.tasks <- t:
		return true
	case <-ctx.Done():
		r.total.Add(-1)
		return false
	}
}

func (r *run) listFailed(account, region string, kind resource.Kind, err error) {
	r.listFail.Add(1)
	r.mu.Lock()
	r.errs = append(r.errs, RunError{Account: account, Region: region, Kind: string(kind), Error: err.Error()})
	r.mu.Unlock()
}

// evaluate reads what the listing did not return, decides under each rule,
// and lets the guard act. Every listed resource ends as a finding.
func (r *run) evaluate(ctx context.Context, t task) {
	reader := t.reader
	state := t.state
	var readErr error
	if !t.known {
		st, err := reader.Read(ctx, t.state.Ref)
		if err != nil {
			readErr = err
		} else {
			if st.ARN == "" {
				st.ARN = t.state.ARN
			}
			state = st
		}
	}
	for _, rule := range t.rules {
		var f finding.Finding
		if readErr != nil {
			f = insufficient(rule, t.state, "could not read the current state: "+readErr.Error())
			// The guard only logs it: nothing is known well enough to act on.
			_ = r.opts.Guard.Respond(ctx, &evaluate.Result{Finding: f, State: t.state, Rule: rule})
		} else {
			res, _ := r.opts.Guard.Evaluator.Decided(ctx, rule, state, reader) // a tag-read error is in the finding
			if state.Tags == nil && res.State.Tags != nil {
				state.Tags = res.State.Tags // the resource's next rule reads them no more
			}
			if r.opts.Creators != nil && res.Finding.Status == finding.NonCompliant {
				r.opts.Creators.Find(ctx, &res)
			}
			if err := r.opts.Guard.Respond(ctx, &res); err != nil {
				r.mu.Lock()
				r.errs = append(r.errs, RunError{Account: state.Account, Region: state.Region, Kind: string(state.Kind), Resource: state.ID, Error: err.Error()})
				r.mu.Unlock()
			}
			f = res.Finding
		}
		r.mu.Lock()
		r.findings = append(r.findings, f)
		r.mu.Unlock()
	}
	r.done.Add(1)
	r.report()
}

func (r *run) report() {
	if r.opts.Progress == nil {
		return
	}
	r.progressMu.Lock()
	defer r.progressMu.Unlock()
	r.opts.Progress(Progress{Done: int(r.done.Load()), Total: int(r.total.Load()), Listing: r.listing.Load(), Elapsed: time.Since(r.start)})
}

// insufficient is the finding of a resource that could not be read.
func insufficient(rule rules.Rule, s resource.State, reason string) finding.Finding {
	id := s.ARN
	if id == "" {
		id = s.ID
	}
	return finding.Finding{
		Rule: rule.Name(), ResourceType: string(s.Kind), ResourceID: id, ResourceName: s.ID,
		Status: finding.InsufficientData, Reason: reason, Account: s.Account, Region: s.Region, Evaluation: "online",
	}
}
