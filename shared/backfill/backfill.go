// Package backfill finds and judges what already exists: every resource the
// rules judge in the chosen accounts and regions, evaluated with the same
// rules and online state as the guards, and acted on through the same guard
// (report, ticket or enforce). Each finding is handed on as it completes
// (Options.Findings); the engine keeps counts only. The CLI (vpcguard
// backfill) and the backfill Lambda share this engine.
package backfill

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
// state of a resource, the listing of each kind, and a tag index.
type Source struct {
	Reader evaluate.StateReader
	Lister func(kind resource.Kind) (Lister, error)
	// Tags finds the resources carrying the exemption tag in one query for
	// the account and region (the Resource Groups Tagging API), instead of
	// one tag read per resource; nil reads each resource's tags.
	Tags TagIndex
}

// TagIndex finds, in one account and region, every resource of the given
// types (the tagging API's names, rules.KindOps.TagType) that carries a tag
// key, and hands each ARN with the tag's value to each. An index is
// eventually consistent: a tag added a moment ago may be missing, so a write
// reads the resource's own tags first (evaluate.Evaluator.Reconfirm).
type TagIndex interface {
	Tagged(ctx context.Context, key string, types []string, each func(arn, value string)) error
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
	// PageSize is the MaxResults of the listings (SageMaker's, and EC2's
	// endpoints); default 100 (the most Search and the SageMaker List calls
	// return). A page is held while its resources are evaluated: it bounds
	// the run's memory.
	PageSize int32
	// Calls, when set, is the counter installed on the clients' config
	// (Calls.Instrument); the summary reports the calls made during Run.
	Calls *Calls
	// Findings is handed each finding as soon as it is complete (decided,
	// acted on, ticketed), in the order of completion. The engine keeps
	// counts only, so a run's memory does not grow with the estate: the
	// findings stream to the output. Calls are serialized. nil: findings are
	// only counted (the guard logs each). An error ends the run, since the
	// findings after it would have nowhere to go.
	Findings func(finding.Finding) error
	// Progress is told after each resource is done. Calls are serialized.
	Progress func(Progress)
	// AccountDone is told, once per account, when every listing and every
	// resource of the account is done, with the account's counts: progress
	// per account for a run over an organization, and the moment its
	// clients can be let go. Calls are serialized.
	AccountDone func(AccountSummary)
	// Creators, when set, looks up the creator of each NON_COMPLIANT
	// resource before the guard acts on it.
	Creators Creators

	// Covered kinds are not listed: another inventory (AWS Config, package
	// orgbackfill) answered for them, and Read holds what of them must be
	// read online.
	Covered []resource.Kind
	// Read are resources to read online and judge, each in its account and
	// region, besides the listings: what AWS Config called non-compliant.
	// State holds what is known (Ref, ARN, Created); the reader reads the rest.
	Read []resource.State
	// Budget, when set, is asked before each resource is started; once it
	// says true the run starts nothing more, finishes what it started and
	// returns Summary.Continuation. Resume goes on from a continuation. Both
	// need a run over one account and one region (resume.go).
	Budget func() bool
	Resume *Continuation
}

// Progress is how far a run has come. Total grows while listings are still
// running; Listing is false once every resource is known.
type Progress struct {
	Done, Total  int
	Listing      bool
	Elapsed      time.Duration
	AccountsDone int // accounts whose every resource is done
	Accounts     int
}

// AccountSummary is one account's part of a run.
type AccountSummary struct {
	Account   string `json:"account"`
	Resources int    `json:"resources"`
	finding.Counts
	Errors int `json:"errors"`
}

// Result is every finding and the summary of a run, as Collect returns it.
type Result struct {
	Findings []finding.Finding `json:"findings"`
	Summary  Summary           `json:"summary"`
}

// Summary sums a run up. It is what the Lambda returns.
type Summary struct {
	Accounts []string `json:"accounts"`
	Regions  []string `json:"regions"`
	Rules    []string `json:"rules"`
	// NotListed are the rules asked for that judge calls, not resources
	// (rules.EventOnly): there is nothing to list for them, and their past
	// calls are in CloudTrail's logs (vpcguard evaluate reads them).
	NotListed []string `json:"notListed,omitempty"`
	Resources int      `json:"resources"`
	finding.Counts
	// Errors are the run's failures, sorted, at most MaxErrors of them;
	// ErrorsOmitted counts the rest (an outage fails every resource, and
	// the summary must stay a summary).
	Errors             []RunError       `json:"errors"`
	ErrorsOmitted      int              `json:"errorsOmitted,omitempty"`
	Calls              map[string]int64 `json:"awsCalls,omitempty"`
	CallsTotal         int64            `json:"awsCallsTotal"`
	CallsPerResource   float64          `json:"awsCallsPerResource"`
	DurationSeconds    float64          `json:"durationSeconds"`
	ResourcesPerSecond float64          `json:"resourcesPerSecond"`
	// Continuation is where a run that spent its Budget stopped; nil when
	// it did all its work.
	Continuation *Continuation `json:"continuation,omitempty"`
}

// MaxErrors is how many errors a summary lists.
const MaxErrors = 100

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
	rules []rules.Rule
	state resource.State
	known bool // the listing returned the configuration; no describe needed
	unit  *unit
}

// listJob is one kind to list in one account and region, or, with reads
// set, the resources of Options.Read in that account and region.
type listJob struct {
	unit     *unit
	kind     resource.Kind
	rules    []rules.Rule
	reads    []resource.State
	byKind   map[resource.Kind][]rules.Rule // the rules of each kind, for reads
	progress *progress                      // nil: no continuation is kept
}

// unit is one account and region: its source, read once, and its tag
// index's answer, asked once. It lives while its listings and resources are
// in flight and is then dropped: a run over many accounts holds a few at a
// time, not one per account and region.
type unit struct {
	account *account
	region  string

	srcOnce sync.Once
	src     Source
	srcErr  error
	listers map[resource.Kind]builtLister // built with src, for every kind the run lists

	tagOnce sync.Once
	exempt  map[string]string // lowercased ARN -> exemption tag value
	tagsOK  bool
}

// account tracks one account's listings and resources in flight, to tell
// when it is done.
type account struct {
	id           string
	listsPending int // listings not finished (guarded by run.mu)
	tasksPending int // resources listed and not done (guarded by run.mu)
	done         bool
	summary      AccountSummary
}

// run is one Run's shared state.
type run struct {
	opts   Options
	start  time.Time
	cancel context.CancelCauseFunc

	tasks    chan task
	total    atomic.Int64
	done     atomic.Int64
	listing  atomic.Bool
	listOK   atomic.Int64
	listFail atomic.Int64

	kinds []resource.Kind // the kinds the run judges, in the order of its rules
	// listed are the kinds this part of the run lists, in that order: less
	// those another inventory covered and those an earlier part finished.
	listed []resource.Kind

	// tagTypes are the tagging API's types of the run's kinds; tagged says
	// which kinds the index covers.
	tagTypes []string
	tagged   map[resource.Kind]bool

	mu           sync.Mutex // counts, errors, accounts; serializes Findings and AccountDone
	counts       finding.Counts
	errs         []RunError
	errsOmitted  int
	sinkErr      error
	byAccount    map[string]*account
	accountsDone int

	progressMu sync.Mutex

	// A run that may stop at its budget (resume.go).
	stopped  atomic.Bool
	readDone int // Options.Read resources handed on, earlier parts included (guarded by mu)
	progress []*progress
}

// Run backfills: it lists every resource the rules judge in every account
// and region, evaluates each, lets the guard act on it, and hands the
// finding to Options.Findings. It returns an error only when the run could
// not happen (no account, no region, every listing failed) or its findings
// could not be handed on; partial failures are in Summary.Errors, and every
// resource that was listed has a finding, INSUFFICIENT_DATA when it could
// not be read.
//
// Memory stays flat whatever the estate: listings are produced account by
// account, at most Concurrency at a time, into a bounded queue, and the
// engine keeps counts, not findings.
func Run(ctx context.Context, opts Options) (Summary, error) {
	r := &run{opts: opts, start: time.Now(), byAccount: map[string]*account{}}
	if opts.Guard == nil || opts.Guard.Evaluator == nil {
		return Summary{}, errors.New("backfill: no guard")
	}
	if opts.Sources == nil {
		return Summary{}, errors.New("backfill: no AWS sources")
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
	var notListed []rules.Rule
	r.opts.Rules, notListed = Listable(r.opts.Rules)
	// The run's own calls: other runs may share the counter (WithScope).
	var scope *Calls
	if opts.Calls != nil {
		scope = NewCalls()
		ctx = WithScope(ctx, scope)
	}

	// Regions first: a missing region is the likelier mistake, and the
	// clearer message. "all" is listed with the first account's clients.
	first := ""
	if len(r.opts.Accounts) > 0 {
		first = r.opts.Accounts[0]
	}
	regions, err := r.regions(ctx, first)
	if err != nil {
		return Summary{}, err
	}
	accounts, err := r.accounts(ctx)
	if err != nil {
		return Summary{}, err
	}
	if err := r.shardCheck(accounts, regions); err != nil {
		return Summary{}, err
	}

	byKind := map[resource.Kind][]rules.Rule{}
	var kinds []resource.Kind
	for _, rule := range r.opts.Rules {
		if _, ok := byKind[rule.Kind()]; !ok {
			kinds = append(kinds, rule.Kind())
		}
		byKind[rule.Kind()] = append(byKind[rule.Kind()], rule)
	}
	r.kinds = kinds
	r.tagged = map[resource.Kind]bool{}
	for _, kind := range kinds {
		if ops, ok := rules.OpsOf(kind); ok && ops.TagType != "" {
			r.tagTypes = append(r.tagTypes, ops.TagType)
			r.tagged[kind] = true
		}
	}
	listed, progress := r.listedKinds(kinds)
	r.listed = listed
	reads, err := r.readsByUnit(byKind, accounts, regions)
	if err != nil {
		return Summary{}, err
	}
	for _, id := range accounts {
		pending := len(regions) * len(listed)
		for _, region := range regions {
			if len(reads[id+"/"+region]) > 0 {
				pending++ // the reads are one more listing
			}
		}
		r.byAccount[id] = &account{id: id, listsPending: pending, summary: AccountSummary{Account: id}}
	}

	ctx, r.cancel = context.WithCancelCause(ctx)
	defer r.cancel(nil)
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
	// Listings run beside the workers, Concurrency at a time, and feed them
	// as pages arrive: the first findings do not wait for the last listing.
	// They are produced account by account, region by region, so an
	// account's work is done close together and its units let go.
	jobs := make(chan listJob)
	go func() {
		defer close(jobs)
		for _, id := range accounts {
			for _, region := range regions {
				u := &unit{account: r.byAccount[id], region: region}
				var unitJobs []listJob
				if rs := reads[id+"/"+region]; len(rs) > 0 {
					unitJobs = append(unitJobs, listJob{unit: u, reads: rs, byKind: byKind})
				}
				for _, kind := range listed {
					unitJobs = append(unitJobs, listJob{unit: u, kind: kind, rules: byKind[kind], progress: progress[kind]})
				}
				for _, j := range unitJobs {
					select {
					case jobs <- j:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	var listers sync.WaitGroup
	for range r.opts.Concurrency {
		listers.Go(func() {
			for j := range jobs {
				r.list(ctx, j)
			}
		})
	}
	listers.Wait()
	r.listing.Store(false)
	close(r.tasks)
	workers.Wait()
	r.report()

	slices.SortFunc(r.errs, func(a, b RunError) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Resource, b.Resource))
	})
	elapsed := time.Since(r.start)
	s := Summary{
		Accounts:        accounts,
		Regions:         regions,
		Rules:           rules.Names(r.opts.Rules),
		NotListed:       rules.Names(notListed),
		Resources:       int(r.total.Load()),
		Counts:          r.counts,
		Errors:          append([]RunError{}, r.errs...),
		ErrorsOmitted:   r.errsOmitted,
		DurationSeconds: elapsed.Seconds(),
		Continuation:    r.continuation(),
	}
	if s.ByRule == nil {
		s.ByRule = finding.Tally{}
	}
	if opts.Calls != nil {
		s.Calls = scope.Snapshot()
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
	if r.sinkErr != nil {
		return s, fmt.Errorf("hand on findings: %w", r.sinkErr)
	}
	if r.listOK.Load() == 0 && r.listFail.Load() > 0 {
		return s, fmt.Errorf("%w (%d of %d): %s", ErrNothingListed, r.listFail.Load(), r.listFail.Load(), firstError(s.Errors))
	}
	return s, nil
}

// Collect runs a backfill and returns its findings with the summary, sorted
// by rule, account, region and resource. It holds every finding: for tests
// and small runs (the demo); Run with Options.Findings streams them.
func Collect(ctx context.Context, opts Options) (Result, error) {
	var out []finding.Finding
	next := opts.Findings
	opts.Findings = func(f finding.Finding) error {
		out = append(out, f)
		if next != nil {
			return next(f)
		}
		return nil
	}
	s, err := Run(ctx, opts)
	slices.SortFunc(out, func(a, b finding.Finding) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region),
			cmp.Compare(a.ResourceName, b.ResourceName), cmp.Compare(a.ResourceID, b.ResourceID))
	})
	return Result{Findings: out, Summary: s}, err
}

// Listable splits rs into the rules a backfill runs, which judge resources
// it can list, and those that judge calls (rules.EventOnly).
func Listable(rs []rules.Rule) (listed, eventOnly []rules.Rule) {
	for _, r := range rs {
		if rules.IsEventOnly(r) {
			eventOnly = append(eventOnly, r)
		} else {
			listed = append(listed, r)
		}
	}
	return listed, eventOnly
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
	r.mu.Lock()
	t.unit.account.tasksPending++
	r.mu.Unlock()
	select {
	case r.tasks <- t:
		return true
	case <-ctx.Done():
		r.total.Add(-1)
		r.mu.Lock()
		t.unit.account.tasksPending--
		r.mu.Unlock()
		return false
	}
}

func (r *run) listFailed(u *unit, kind resource.Kind, err error) {
	r.listFail.Add(1)
	r.mu.Lock()
	r.addError(u.account, RunError{Account: u.account.id, Region: u.region, Kind: string(kind), Error: err.Error()})
	r.mu.Unlock()
}

// addError records a run error; r.mu is held.
func (r *run) addError(a *account, e RunError) {
	a.summary.Errors++
	if len(r.errs) < MaxErrors {
		r.errs = append(r.errs, e)
		return
	}
	r.errsOmitted++
}

// evaluate reads what the listing did not return, decides under each rule,
// and lets the guard act. Every listed resource ends as a finding.
func (r *run) evaluate(ctx context.Context, t task) {
	defer r.taskDone(t.unit)
	if ctx.Err() != nil {
		return // the run is over: its findings have nowhere to go
	}
	reader := t.unit.src.Reader
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
	if readErr == nil {
		r.exemption(ctx, t, &state)
	}
	for _, rule := range t.rules {
		var f finding.Finding
		if readErr != nil {
			f = insufficient(rule, t.state, "could not read the current state: "+readErr.Error())
			// The guard only logs it: nothing is known well enough to act on.
			_ = r.opts.Guard.Respond(ctx, &evaluate.Result{Finding: f, State: t.state, Rule: rule})
		} else {
			res, _ := r.opts.Guard.Evaluator.Decided(ctx, rule, state, reader) // a tag-read error is in the finding
			if r.opts.Creators != nil && res.Finding.Status == finding.NonCompliant {
				r.opts.Creators.Find(ctx, &res)
			}
			if err := r.opts.Guard.Respond(ctx, &res); err != nil {
				r.mu.Lock()
				r.addError(t.unit.account, RunError{Account: state.Account, Region: state.Region, Kind: string(state.Kind), Resource: state.ID, Error: err.Error()})
				r.mu.Unlock()
			}
			// Tags read from the resource (for the decision, or again before
			// acting) serve the resource's next rule: one read per resource.
			if !state.TagsRead && res.State.TagsRead {
				state.Tags, state.TagsRead, state.Exemption = res.State.Tags, true, nil
			}
			f = res.Finding
		}
		r.complete(t.unit, f)
	}
	r.done.Add(1)
	r.report()
}

// exemption tells state what the account and region's tag index saw of the
// exemption tag, when the listing returned no tags and some rule would find
// the resource non-compliant: the only case where a tag changes the
// outcome. The index is asked once per account and region, on first need;
// where it cannot answer (denied, failing) each resource's own tags are read
// as before.
func (r *run) exemption(ctx context.Context, t task, state *resource.State) {
	key := r.opts.Guard.Evaluator.ExemptTagKey
	if key == "" || state.Tags != nil || !r.tagged[state.Kind] {
		return
	}
	needed := false
	for _, rule := range t.rules {
		needed = needed || rule.Decide(*state).Status == finding.NonCompliant
	}
	if !needed {
		return
	}
	u := t.unit
	u.tagOnce.Do(func() {
		if u.src.Tags == nil {
			return
		}
		exempt := map[string]string{}
		err := u.src.Tags.Tagged(ctx, key, r.tagTypes, func(arn, value string) { exempt[strings.ToLower(arn)] = value })
		if err == nil {
			u.exempt, u.tagsOK = exempt, true
		}
	})
	if !u.tagsOK || state.ARN == "" {
		return
	}
	v, ok := u.exempt[strings.ToLower(state.ARN)]
	state.Exemption = &resource.Exemption{Exempt: ok, Value: v}
}

// complete counts a finding and hands it on.
func (r *run) complete(u *unit, f finding.Finding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts.Add(f)
	u.account.summary.Add(f)
	if r.opts.Findings == nil || r.sinkErr != nil {
		return
	}
	if err := r.opts.Findings(f); err != nil {
		r.sinkErr = err
		r.cancel(err)
	}
}

// listDone and taskDone count down an account's work; the last one tells
// AccountDone.
func (r *run) listDone(u *unit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u.account.listsPending--
	r.accountProgress(u.account)
}

func (r *run) taskDone(u *unit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u.account.tasksPending--
	u.account.summary.Resources++
	r.accountProgress(u.account)
}

// accountProgress tells AccountDone when a's work is all done; r.mu is held.
func (r *run) accountProgress(a *account) {
	if a.done || a.listsPending > 0 || a.tasksPending > 0 {
		return
	}
	a.done = true
	r.accountsDone++
	if r.opts.AccountDone != nil {
		r.opts.AccountDone(a.summary)
	}
}

func (r *run) report() {
	if r.opts.Progress == nil {
		return
	}
	r.mu.Lock()
	accountsDone := r.accountsDone
	r.mu.Unlock()
	r.progressMu.Lock()
	defer r.progressMu.Unlock()
	r.opts.Progress(Progress{Done: int(r.done.Load()), Total: int(r.total.Load()), Listing: r.listing.Load(), Elapsed: time.Since(r.start),
		AccountsDone: accountsDone, Accounts: len(r.byAccount)})
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
