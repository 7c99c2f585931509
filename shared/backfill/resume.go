package backfill

import (
	"errors"
	"fmt"
	"slices"

	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// A run over one account and region can stop before its time runs out and
// say where it stopped, so that the next run goes on from there: a Lambda
// has 15 minutes, and a shard of an organization's backfill (package
// orgbackfill) may need more. Options.Budget says when to stop;
// Summary.Continuation says where it stopped; Options.Resume goes on.
//
// Stopping is clean: once the budget is spent no resource is listed or read
// any more, and every resource already handed to the workers is finished
// (decided, acted on, its finding handed on). So what a part did is exactly
// a prefix of each listing, and the next part skips that prefix.

// Continuation is where a run that spent its budget stopped.
type Continuation struct {
	// Read is how many of Options.Read were done, in their order.
	Read int `json:"read,omitempty"`
	// Listed is each kind's progress; a kind of the run that is not here
	// was not started.
	Listed []Position `json:"listed,omitempty"`
}

// Position is how far the listing of one kind went.
type Position struct {
	Kind resource.Kind `json:"kind"`
	// Done: the kind was listed whole and every resource judged.
	Done bool `json:"done,omitempty"`
	// Skip resources were judged, the first ones of the listing in its
	// order; Last is the id of the last of them. The next part lists the
	// kind again and skips them.
	Skip int    `json:"skip,omitempty"`
	Last string `json:"last,omitempty"`
}

// position returns kind's position in c, or the zero one.
func (c *Continuation) position(kind resource.Kind) Position {
	if c != nil {
		for _, p := range c.Listed {
			if p.Kind == kind {
				return p
			}
		}
	}
	return Position{Kind: kind}
}

// ErrBudgetNeedsOneShard refuses a budget on a run over several accounts
// or regions: a continuation names the progress of one account and region.
var ErrBudgetNeedsOneShard = errors.New("backfill: a budget or a continuation needs exactly one account and one region")

// shardCheck validates the options of a run that may stop and go on.
func (r *run) shardCheck(accounts, regions []string) error {
	if r.opts.Budget == nil && r.opts.Resume == nil {
		return nil
	}
	if len(accounts) != 1 || len(regions) != 1 {
		return ErrBudgetNeedsOneShard
	}
	if r.opts.Resume != nil && r.opts.Resume.Read > len(r.opts.Read) {
		return fmt.Errorf("backfill: the continuation has %d resources read, but the run reads only %d", r.opts.Resume.Read, len(r.opts.Read))
	}
	return nil
}

// spent reports whether the budget is spent, and remembers it: once
// spent, the run starts nothing more.
func (r *run) spent() bool {
	if r.stopped.Load() {
		return true
	}
	if r.opts.Budget != nil && r.opts.Budget() {
		r.stopped.Store(true)
		return true
	}
	return false
}

// progress is one listing's count of resources handed to the workers, for
// the continuation; only its own lister touches it until the listings end.
type progress struct {
	kind    resource.Kind
	skip    int    // resources of earlier parts, skipped
	last    string // the id of the last resource handed on (or skipped)
	handed  int    // handed on by this part
	started bool
	done    bool
}

// continuation is where the run stopped; nil when it did not.
func (r *run) continuation() *Continuation {
	if !r.stopped.Load() {
		return nil
	}
	c := &Continuation{Read: r.readDone}
	for _, p := range r.progress {
		switch {
		case p.done:
			c.Listed = append(c.Listed, Position{Kind: p.kind, Done: true})
		case p.started:
			c.Listed = append(c.Listed, Position{Kind: p.kind, Skip: p.skip + p.handed, Last: p.last})
		}
	}
	slices.SortFunc(c.Listed, func(a, b Position) int {
		switch {
		case a.Kind < b.Kind:
			return -1
		case a.Kind > b.Kind:
			return 1
		}
		return 0
	})
	return c
}

// listedKinds are the kinds this run lists: the run's kinds less those
// another inventory covered (Options.Covered) and those an earlier part
// finished. With a budget or a continuation, each gets its progress.
func (r *run) listedKinds(kinds []resource.Kind) ([]resource.Kind, map[resource.Kind]*progress) {
	tracked := r.opts.Budget != nil || r.opts.Resume != nil
	var listed []resource.Kind
	byKind := map[resource.Kind]*progress{}
	for _, kind := range kinds {
		if slices.Contains(r.opts.Covered, kind) {
			continue
		}
		pos := r.opts.Resume.position(kind)
		if tracked {
			p := &progress{kind: kind, skip: pos.Skip, last: pos.Last, done: pos.Done, started: pos.Done || pos.Skip > 0}
			r.progress = append(r.progress, p)
			byKind[kind] = p
		}
		if !pos.Done {
			listed = append(listed, kind)
		}
	}
	return listed, byKind
}

// readsByUnit groups Options.Read by account and region ("account/region"),
// less those an earlier part did. A resource outside the run's accounts and
// regions, or of a kind none of its rules judge, is refused: it would be
// dropped silently.
func (r *run) readsByUnit(byKind map[resource.Kind][]rules.Rule, accounts, regions []string) (map[string][]resource.State, error) {
	reads := r.opts.Read
	if r.opts.Resume != nil {
		reads = reads[r.opts.Resume.Read:]
		r.readDone = r.opts.Resume.Read
	}
	out := map[string][]resource.State{}
	for _, s := range reads {
		if !slices.Contains(accounts, s.Account) || !slices.Contains(regions, s.Region) {
			return nil, fmt.Errorf("backfill: %s is outside the run's accounts and regions", s.Ref)
		}
		if len(byKind[s.Kind]) == 0 {
			return nil, fmt.Errorf("backfill: %s: no rule of the run judges %s", s.Ref, s.Kind)
		}
		key := s.Account + "/" + s.Region
		out[key] = append(out[key], s)
	}
	return out, nil
}
