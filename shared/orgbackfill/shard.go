package orgbackfill

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// ShardInput is what the backfill function is invoked with for one shard:
// the Distributed Map's item, the run's options and, on a later part, the
// continuation the earlier part returned.
//
//	{"shard": {"account": "111122223333", "region": "us-east-1"}, "run": "<execution name>", "options": {"mode": "report"}}
type ShardInput struct {
	Shard Shard `json:"shard"`
	// Index is the shard's place in the plan's list (its record's name).
	Index int `json:"index,omitempty"`
	// Part counts the shard's invocations before this one (its
	// continuations); the shard only logs it.
	Part int `json:"part,omitempty"`
	// Run is the run's id (the execution's name); the shard only logs it.
	Run          string        `json:"run,omitempty"`
	Options      Options       `json:"options"`
	Continuation *Continuation `json:"continuation,omitempty"`
}

// IsShard reports whether a backfill invocation's payload is a shard's (it
// has a "shard" field) rather than a one-account backfill's.
func IsShard(raw []byte) bool {
	var probe struct {
		Shard json.RawMessage `json:"shard"`
	}
	return json.Unmarshal(raw, &probe) == nil && len(probe.Shard) > 0 && string(probe.Shard) != "null"
}

// MaxShardCovered bounds a shard's covered kinds (the catalogue has fewer).
const MaxShardCovered = 32

// ParseShardInput reads and checks a shard's input.
func ParseShardInput(raw []byte) (ShardInput, error) {
	var in ShardInput
	if err := decodeStrict(raw, &in); err != nil {
		return in, fmt.Errorf("%w: shard input: %v", ErrBadRequest, err)
	}
	s := in.Shard
	switch {
	case !accountPattern.MatchString(s.Account):
		return in, fmt.Errorf("%w: shard.account: %q is not a 12-digit account id", ErrBadRequest, s.Account)
	case !regionPattern.MatchString(s.Region):
		return in, fmt.Errorf("%w: shard.region: %q is not a Region name", ErrBadRequest, s.Region)
	case len(s.Read) > MaxReadsPerShard:
		return in, fmt.Errorf("%w: shard.read: %d resources; a shard reads at most %d", ErrBadRequest, len(s.Read), MaxReadsPerShard)
	case len(s.Covered) > MaxShardCovered:
		return in, fmt.Errorf("%w: shard.covered: %d kinds; at most %d", ErrBadRequest, len(s.Covered), MaxShardCovered)
	case in.Index < 0 || in.Part < 0:
		return in, fmt.Errorf("%w: index %d, part %d: must not be negative", ErrBadRequest, in.Index, in.Part)
	case in.Run != "" && !runPattern.MatchString(in.Run):
		return in, fmt.Errorf("%w: run: %q is not an execution name", ErrBadRequest, in.Run)
	}
	for _, k := range s.Covered {
		if k == "" {
			return in, fmt.Errorf("%w: shard.covered: an empty kind", ErrBadRequest)
		}
	}
	for _, r := range s.Read {
		if r.Kind == "" || r.ID == "" {
			return in, fmt.Errorf("%w: shard.read: a resource without kind or id", ErrBadRequest)
		}
	}
	if err := in.Options.validate(); err != nil {
		return in, fmt.Errorf("%w: options: %v", ErrBadRequest, err)
	}
	return in, nil
}

// Continuation is where a shard that neared its time budget stopped: the
// engine's place, and the counts of the parts done so far, which the next
// part adds to (the state machine keeps only the last part's output).
type Continuation struct {
	Resume backfill.Continuation `json:"resume"`
	SoFar  Tally                 `json:"soFar"`
}

// MaxShardErrors is how many errors a shard's record names.
const MaxShardErrors = 20

// Tally is what shards add up to: resources, findings by rule and status,
// errors (a few named), AWS calls, parts (invocations).
type Tally struct {
	Resources int `json:"resources"`
	finding.Counts
	Errors        []backfill.RunError `json:"errors,omitempty"`
	ErrorsOmitted int                 `json:"errorsOmitted,omitempty"`
	Calls         int64               `json:"awsCalls"`
	Parts         int                 `json:"parts,omitempty"`
}

// Add adds o to t, keeping at most limit errors named.
func (t *Tally) Add(o Tally, limit int) {
	t.Resources += o.Resources
	t.Counts.Merge(o.Counts)
	t.Calls += o.Calls
	t.Parts += o.Parts
	t.ErrorsOmitted += o.ErrorsOmitted
	for _, e := range o.Errors {
		if len(t.Errors) < limit {
			t.Errors = append(t.Errors, e)
		} else {
			t.ErrorsOmitted++
		}
	}
}

// tallyOf is one engine run's part of a tally.
func tallyOf(s backfill.Summary) Tally {
	t := Tally{Resources: s.Resources, Counts: s.Counts, Calls: s.CallsTotal, Parts: 1, ErrorsOmitted: s.ErrorsOmitted}
	t.Add(Tally{Errors: s.Errors}, MaxShardErrors)
	return t
}

// ShardResult is a shard's record: what it found, or, with Continuation
// set, how far its parts came (its counts are then in the continuation).
type ShardResult struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Tally
	Continuation *Continuation `json:"continuation,omitempty"`
}

// accessChecker tells whether an account can be acted in
// (awsclients.Accounts, the engine's Home).
type accessChecker interface {
	Check(ctx context.Context, account string) error
}

// RunShard runs one shard (or its next part) through the engine. opts holds
// what every shard shares (the guard, sources, calls, concurrency); budget,
// when set, says when the part must stop (the Lambda's remaining time). An
// error means the shard could not run: nothing could be listed or read (its
// role refused, the Region disabled); partial failures are in the result.
func RunShard(ctx context.Context, opts backfill.Options, in ShardInput, budget func() bool) (ShardResult, error) {
	s := in.Shard
	// A member whose role refuses fails its shard as a whole (retried,
	// then named among the failed shards), not as one INSUFFICIENT_DATA
	// finding per resource Config sent to be read there. The check's calls
	// (the member role's AssumeRole, when the account's credentials are not
	// cached yet) are the shard's too.
	checkCalls := backfill.NewCalls()
	if c, ok := opts.Home.(accessChecker); ok {
		if err := c.Check(backfill.WithScope(ctx, checkCalls), s.Account); err != nil {
			return ShardResult{Account: s.Account, Region: s.Region}, fmt.Errorf("shard %s/%s: %w", s.Account, s.Region, err)
		}
	}
	opts.Accounts, opts.Regions = []string{s.Account}, []string{s.Region}
	opts.Covered, opts.Read = s.Covered, s.states()
	if s.ReadOnly {
		rs := opts.Rules
		if len(rs) == 0 && opts.Guard != nil && opts.Guard.Evaluator != nil {
			rs = opts.Guard.Evaluator.Rules
		}
		opts.Covered = kindsOf(rs)
	}
	opts.Budget = budget
	var soFar Tally
	if in.Continuation != nil {
		resume := in.Continuation.Resume
		opts.Resume, soFar = &resume, in.Continuation.SoFar
	}
	sum, err := backfill.Run(ctx, opts)
	res := ShardResult{Account: s.Account, Region: s.Region, Tally: soFar}
	res.Add(tallyOf(sum), MaxShardErrors)
	for _, n := range checkCalls.Snapshot() {
		res.Calls += n
	}
	slices.SortFunc(res.Errors, func(a, b backfill.RunError) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Resource, b.Resource))
	})
	if err != nil {
		return res, fmt.Errorf("shard %s/%s: %w", s.Account, s.Region, err)
	}
	if sum.Continuation != nil {
		res.Continuation = &Continuation{Resume: *sum.Continuation, SoFar: res.Tally}
		res.Tally = Tally{Parts: res.Parts}
	}
	return res, nil
}
