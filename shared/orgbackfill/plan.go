package orgbackfill

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/inventory/recorded"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// AccountLister lists the organization's active accounts
// (organizations:ListAccounts, which AWS allows only from the management
// account or a delegated administrator).
type AccountLister func(ctx context.Context) ([]string, error)

// ConfigIndex hands every item an AWS Config aggregator holds of one
// resource type to each, page by page (inventory/configindex).
type ConfigIndex interface {
	Items(ctx context.Context, aggregator string, kind recorded.Kind, each func(recorded.Item) error) error
}

// MaxReadsPerShard bounds the resources one shard reads by name: a shard is
// a Distributed Map item, which Step Functions limits to 256 KiB. An
// account and Region with more is split into more shards, the others
// reading only.
const MaxReadsPerShard = 1000

// Planner lists an organization backfill's shards.
type Planner struct {
	// Accounts lists the organization's active accounts; nil: accounts
	// must be named.
	Accounts AccountLister
	// Home is the central account and Region; EnabledRegions lists an
	// account's Regions, for ["all"] (the central account's).
	Home           backfill.Home
	EnabledRegions backfill.RegionLister
	// Regions are the default Regions (the governed Regions).
	Regions []string
	// Aggregator is the default Config aggregator ("" none); Config asks
	// it; Recorded are the kinds Config records (each kind declares it,
	// setup.Kind.Recorded).
	Aggregator string
	Config     ConfigIndex
	Recorded   []recorded.Kind
}

// Plan is an organization backfill's shards, in account order.
type Plan struct {
	Accounts []string      `json:"accounts"`
	Regions  []string      `json:"regions"`
	Shards   []Shard       `json:"-"`
	Config   *ConfigAnswer `json:"config,omitempty"`
	// Calls are the AWS calls planning made (Organizations, the Regions,
	// Config).
	Calls int64 `json:"awsCalls"`
}

// configCall is Config's advanced query, as backfill.Calls names it.
var configCall = backfill.CallName("Config Service", "SelectAggregateResourceConfig")

// CountCalls records the calls planning made (a scope's snapshot): all of
// them, and Config's queries apart.
func (p *Plan) CountCalls(calls map[string]int64) {
	for name, n := range calls {
		p.Calls += n
		if p.Config != nil && name == configCall {
			p.Config.Calls += n
		}
	}
}

// ConfigAnswer is what AWS Config answered, and what was left to read or
// list online.
type ConfigAnswer struct {
	Aggregator string       `json:"aggregator"`
	Kinds      []KindAnswer `json:"kinds"`
	// Decided are the findings Config decided (every rule of the resource
	// COMPLIANT or NOT_APPLICABLE), by account; Decided.Resources counts
	// the resources.
	ByAccount map[string]*Tally `json:"byAccount,omitempty"`
	Decided   Tally             `json:"decided"`
	// Read counts the resources sent to be read online (Config called them
	// non-compliant, or could not tell).
	Read int `json:"read"`
	// Calls are the SelectAggregateResourceConfig calls made (Plan.Calls
	// counts them too).
	Calls int64 `json:"awsCalls"`
}

// KindAnswer is Config's answer for one kind.
type KindAnswer struct {
	Kind resource.Kind `json:"kind"`
	Type string        `json:"resourceType"`
	// Recorded is false for a kind that declares no Config type (jobs):
	// listed in every shard.
	Recorded bool `json:"recorded"`
	Items    int  `json:"items"`   // rows Config returned (the run's accounts and Regions)
	Current  int  `json:"current"` // of them, resources that exist as Config last saw them
	Decided  int  `json:"decided"` // decided from Config
	Read     int  `json:"read"`    // sent to be read online
	// Covered and Listed count the shards where Config answered for the
	// kind, and those where it had nothing (the recorder may not record the
	// type there): listed there.
	Covered int    `json:"coveredShards"`
	Listed  int    `json:"listedShards"`
	Error   string `json:"error,omitempty"` // the query failed: listed everywhere
}

// Plan lists the shards of req. With a Config aggregator, ev decides each
// resource Config holds: one every rule of the run calls COMPLIANT or
// NOT_APPLICABLE is final, and decided hears its findings (evaluation
// "config"); the others are read online by their shard. decided may be nil.
func (p *Planner) Plan(ctx context.Context, req Request, ev *evaluate.Evaluator, decided func(finding.Finding) error) (Plan, error) {
	if err := req.Validate(); err != nil {
		return Plan{}, err
	}
	accounts, err := p.accounts(ctx, req.Accounts)
	if err != nil {
		return Plan{}, err
	}
	regions, err := p.regions(ctx, req.Regions)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Accounts: accounts, Regions: regions}
	aggregator := p.Aggregator
	if req.ConfigAggregator != nil {
		aggregator = *req.ConfigAggregator
	}
	if aggregator == "" {
		for _, a := range accounts {
			for _, r := range regions {
				plan.Shards = append(plan.Shards, Shard{Account: a, Region: r})
			}
		}
		return plan, nil
	}
	if p.Config == nil {
		return Plan{}, fmt.Errorf("%w: configAggregator %q: this run cannot ask AWS Config", ErrBadRequest, aggregator)
	}
	plan.Config = &ConfigAnswer{Aggregator: aggregator, ByAccount: map[string]*Tally{}}
	work := newWork(accounts, regions)
	for _, kind := range kindsOf(ev.Rules) {
		rec := p.recorded(kind)
		answer := KindAnswer{Kind: kind, Type: string(kind), Recorded: rec != nil}
		if rec != nil {
			answer.Type = rec.ResourceType()
			emitted, err := p.ask(ctx, aggregator, *rec, ev, work, &answer, plan.Config, decided)
			switch {
			case err != nil && (emitted || errors.Is(err, errSink)):
				// Findings Config decided are out: listing the kind now
				// would judge them twice.
				return plan, fmt.Errorf("ask AWS Config aggregator %s for %s: %w", aggregator, answer.Type, err)
			case err != nil:
				// Nothing of the kind is trusted: every shard lists it.
				answer.Error = err.Error()
				work.uncover(kind)
			}
		}
		plan.Config.Kinds = append(plan.Config.Kinds, answer)
	}
	plan.Shards = work.shards()
	for i, k := range plan.Config.Kinds {
		for _, s := range work.units {
			if slices.Contains(s.covered, k.Kind) {
				plan.Config.Kinds[i].Covered++
			} else {
				plan.Config.Kinds[i].Listed++
			}
		}
	}
	return plan, nil
}

// errSink wraps an error from decided: the findings have nowhere to go.
var errSink = errors.New("hand on a finding Config decided")

// ask queries Config for one kind and sorts its resources: decided, or to
// be read by their shard. emitted says some finding was handed on.
func (p *Planner) ask(ctx context.Context, aggregator string, rec recorded.Kind, ev *evaluate.Evaluator, work *work, answer *KindAnswer, total *ConfigAnswer, decided func(finding.Finding) error) (emitted bool, err error) {
	rs := rulesOf(ev.Rules, rec.Kind)
	err = p.Config.Items(ctx, aggregator, rec, func(it recorded.Item) error {
		u := work.unit(it.Account, it.Region)
		if u == nil {
			return nil // an account or Region outside the run
		}
		answer.Items++
		if !it.Current() {
			return nil
		}
		answer.Current++
		u.cover(rec.Kind)
		st, err := rec.State(it)
		if err != nil {
			// Config's item cannot be read: the resource is, online.
			id := it.ResourceName
			if id == "" {
				id = it.ResourceID
			}
			u.read(Ref{Kind: rec.Kind, ID: id})
			answer.Read++
			total.Read++
			return nil
		}
		var findings []finding.Finding
		final := true
		for _, r := range rs {
			res, _ := ev.Decided(ctx, r, st, nil) // nil reader: Config's tags decide exemption
			if s := res.Finding.Status; s != finding.Compliant && s != finding.NotApplicable {
				final = false
				break
			}
			res.Finding.Evaluation = "config"
			findings = append(findings, res.Finding)
		}
		if !final {
			u.read(Ref{Kind: rec.Kind, ID: st.ID})
			answer.Read++
			total.Read++
			return nil
		}
		answer.Decided++
		acct := total.ByAccount[it.Account]
		if acct == nil {
			acct = &Tally{}
			total.ByAccount[it.Account] = acct
		}
		acct.Resources++
		total.Decided.Resources++
		for _, f := range findings {
			acct.Counts.Add(f)
			total.Decided.Counts.Add(f)
			emitted = true
			if decided != nil {
				if err := decided(f); err != nil {
					return fmt.Errorf("%w: %w", errSink, err)
				}
			}
		}
		return nil
	})
	return emitted, err
}

func (p *Planner) recorded(kind resource.Kind) *recorded.Kind {
	for i := range p.Recorded {
		if p.Recorded[i].Kind == kind {
			return &p.Recorded[i]
		}
	}
	return nil
}

// accounts resolves the request's accounts: the organization's active ones
// by default.
func (p *Planner) accounts(ctx context.Context, given []string) ([]string, error) {
	if len(given) > 0 && !slices.Contains(given, Organization) {
		return dedupe(given), nil
	}
	if p.Accounts == nil {
		return nil, fmt.Errorf("%w: accounts: this run cannot list the organization's accounts; name them", ErrBadRequest)
	}
	listed, err := p.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the organization's accounts (organizations:ListAccounts answers only in the management account or a delegated administrator): %w", err)
	}
	if len(listed) == 0 {
		return nil, errors.New("list the organization's accounts: none is active")
	}
	slices.Sort(listed)
	return dedupe(listed), nil
}

// regions resolves the request's Regions: the default ones, or those
// enabled in the central account for ["all"].
func (p *Planner) regions(ctx context.Context, given []string) ([]string, error) {
	if len(given) == 0 {
		given = p.Regions
	}
	if len(given) == 0 && p.Home != nil && p.Home.HomeRegion() != "" {
		given = []string{p.Home.HomeRegion()}
	}
	if len(given) == 0 {
		return nil, fmt.Errorf("%w: regions: none given and none configured", ErrBadRequest)
	}
	if !slices.Contains(given, backfill.AllRegions) {
		return dedupe(given), nil
	}
	if p.EnabledRegions == nil || p.Home == nil {
		return nil, fmt.Errorf("%w: regions: this run cannot list the enabled Regions; name them", ErrBadRequest)
	}
	home, err := p.Home.HomeAccount(ctx)
	if err != nil {
		return nil, err
	}
	return p.EnabledRegions(ctx, home)
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

// kindsOf are the kinds rs judge that a backfill lists, in their order
// (a rule that judges calls has nothing to list: backfill.Listable).
func kindsOf(rs []rules.Rule) []resource.Kind {
	var out []resource.Kind
	listed, _ := backfill.Listable(rs)
	for _, r := range listed {
		if !slices.Contains(out, r.Kind()) {
			out = append(out, r.Kind())
		}
	}
	return out
}

func rulesOf(rs []rules.Rule, kind resource.Kind) []rules.Rule {
	var out []rules.Rule
	for _, r := range rs {
		if r.Kind() == kind {
			out = append(out, r)
		}
	}
	return out
}

// work is the plan's shards while Config's answers are sorted into them.
type work struct {
	units []*unitWork
	index map[string]*unitWork
}

// unitWork is one account and Region: the kinds Config covered there, and
// the resources to read.
type unitWork struct {
	account, region string
	covered         []resource.Kind
	reads           []Ref
}

func newWork(accounts, regions []string) *work {
	w := &work{index: map[string]*unitWork{}}
	for _, a := range accounts {
		for _, r := range regions {
			u := &unitWork{account: a, region: r}
			w.units = append(w.units, u)
			w.index[a+"/"+r] = u
		}
	}
	return w
}

func (w *work) unit(account, region string) *unitWork { return w.index[account+"/"+region] }

func (u *unitWork) cover(k resource.Kind) {
	if !slices.Contains(u.covered, k) {
		u.covered = append(u.covered, k)
	}
}

func (u *unitWork) read(r Ref) { u.reads = append(u.reads, r) }

// uncover makes every shard list k: Config's answer for it failed before
// any finding was decided from it.
func (w *work) uncover(k resource.Kind) {
	for _, u := range w.units {
		u.covered = slices.DeleteFunc(u.covered, func(c resource.Kind) bool { return c == k })
		u.reads = slices.DeleteFunc(u.reads, func(r Ref) bool { return r.Kind == k })
	}
}

// shards are the units as shards, an account's in a row; a unit with more
// than MaxReadsPerShard reads gets more shards that only read.
func (w *work) shards() []Shard {
	var out []Shard
	for _, u := range w.units {
		reads := u.reads
		first := Shard{Account: u.account, Region: u.region, Covered: u.covered}
		first.Read = reads[:min(len(reads), MaxReadsPerShard)]
		out = append(out, first)
		for rest := reads[len(first.Read):]; len(rest) > 0; {
			n := min(len(rest), MaxReadsPerShard)
			out = append(out, Shard{Account: u.account, Region: u.region, ReadOnly: true, Read: rest[:n]})
			rest = rest[n:]
		}
	}
	return out
}
