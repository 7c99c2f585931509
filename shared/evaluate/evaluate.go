// Package evaluate turns a CloudTrail event into findings: it asks each rule
// which resources the event is about, reads their current state (online) or
// takes the event's word for it (offline), and lets the rule decide.
package evaluate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// StateReader reads a resource's current state and, when asked, its tags.
type StateReader interface {
	Read(ctx context.Context, ref resource.Ref) (resource.State, error)
	Tags(ctx context.Context, s resource.State) (map[string]string, error)
}

// Resolver is a StateReader whose resources an event may name through
// another one (a VPC through one of its subnets or endpoints). Resolve
// returns the Ref of the resource itself, so that an event naming one VPC
// through several of its endpoints reads and judges it once; found is
// false when what names it no longer exists (the state is then Missing,
// under the Ref the event gave).
type Resolver interface {
	Resolve(ctx context.Context, ref resource.Ref) (resolved resource.Ref, found bool, err error)
}

// Readers returns the StateReader for an account and region.
type Readers func(ctx context.Context, account, region string) (StateReader, error)

// Result is a finding and the state it was decided on; remediation needs both.
type Result struct {
	Finding finding.Finding
	State   resource.State
	Rule    rules.Rule
	// Recheck counts the delayed re-checks that brought the resource back
	// (a notebook that could not be stopped yet); 0 for an event.
	Recheck int
	// Caller is who made the call the event records (zero without an
	// event): a rule may refuse its guardrail to some callers
	// (rules.GuardrailRefuser).
	Caller cloudtrail.Identity
	// Told is what the event said of the resource (the rule's FromEvent),
	// zero without an event: whether the call itself did what the rule
	// forbids, which the current state cannot tell (rules.GuardrailRefuser).
	Told resource.State
	// Creator is set when the finding's principal was not the caller of the
	// event being handled but the creator of a resource that already
	// existed, found in CloudTrail by a backfill.
	Creator *Creator
}

// Creator is the call that created a resource, found in CloudTrail's
// history: its caller is the finding's principal. Guardrails on such
// callers are opt-in, and only for calls younger than a maximum age.
type Creator struct {
	EventTime time.Time
	// Age is how old the call was when it was found.
	Age time.Duration
	// Source is where it was found: CloudTrail's event history, or the log
	// file's s3:// address.
	Source string
}

// Evaluator evaluates events with a set of rules.
type Evaluator struct {
	Rules []rules.Rule
	// Readers is nil for offline evaluation: decide from the event alone.
	Readers Readers
	// ExemptTagKey marks resources vpcguard must leave alone.
	ExemptTagKey string
}

// Handles reports whether any of the evaluator's rules evaluates ev.
func (e *Evaluator) Handles(ev *cloudtrail.Event) bool {
	for _, r := range e.Rules {
		if rules.Handles(r, ev) {
			return true
		}
	}
	return false
}

// Event evaluates one event. Every resource the event names yields one
// result. A resource whose state could not be read yields INSUFFICIENT_DATA
// with the error as its reason, and the error is returned too, so a Lambda
// retries while a report still lists the resource.
//
// Several rules judge the same resource (a model: in a VPC, network
// isolation, zones): it is read once per event, and its tags at most once.
// Several names of one resource (two endpoints of a VPC deleted in one
// DeleteVpcEndpoints) are resolved first (Resolver): it is read and judged
// once, so its ticket is synced once.
func (e *Evaluator) Event(ctx context.Context, ev *cloudtrail.Event) ([]Result, error) {
	var out []Result
	var errs []error
	reads := map[resource.Ref]*read{}
	type judged struct {
		rule string
		ref  resource.Ref
	}
	seen := map[judged]bool{}
	for _, r := range e.Rules {
		if !rules.Handles(r, ev) {
			continue
		}
		for _, fromEvent := range r.FromEvent(ev) {
			res, err := e.state(ctx, r, fromEvent, reads)
			key := judged{r.Name(), res.State.Ref}
			if seen[key] {
				continue
			}
			seen[key] = true
			res.Finding.EventID = ev.ID
			res.Finding.EventName = ev.Name
			if !ev.Time.IsZero() {
				res.Finding.EventTime = ev.Time.UTC().Format(time.RFC3339)
			}
			res.Finding.Principal = ev.Identity.Principal()
			res.Caller = ev.Identity
			res.Told = fromEvent
			out = append(out, res)
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return out, errors.Join(errs...)
}

// State evaluates one resource under rule r. Online, known is only used for
// its Ref: the current state is read. Offline, known is decided as it is,
// and so online for a rule that judges the call itself (rules.EventOnly):
// there is nothing to read.
func (e *Evaluator) State(ctx context.Context, r rules.Rule, known resource.State) (Result, error) {
	return e.state(ctx, r, known, nil)
}

// read is one resource's current state as read for one event, shared by
// the rules that judge it.
type read struct {
	state  resource.State
	reader StateReader
	err    error
}

// state is State, reading each Ref once through reads (nil: no sharing).
func (e *Evaluator) state(ctx context.Context, r rules.Rule, known resource.State, reads map[resource.Ref]*read) (Result, error) {
	mode := "offline"
	state := known
	if e.Readers != nil && rules.IsEventOnly(r) {
		return e.decide(ctx, r, state, nil, "online")
	}
	if e.Readers != nil {
		mode = "online"
		rd := reads[known.Ref]
		if rd == nil {
			rd = e.read(ctx, known.Ref, reads)
		}
		if rd.err != nil {
			return e.result(r, known, mode, rules.Decision{Status: finding.InsufficientData, Reason: "could not read the current state: " + rd.err.Error()}), rd.err
		}
		state = rd.state
		if state.ARN == "" {
			state.ARN = known.ARN
		}
		state.TagsRead = state.Tags != nil // a describe by id that returns tags (EC2)
		res, err := e.decide(ctx, r, state, rd.reader, mode)
		if rd.state.Tags == nil && res.State.Tags != nil {
			// The next rule needs no second read.
			rd.state.Tags, rd.state.TagsRead = res.State.Tags, res.State.TagsRead
		}
		return res, err
	}
	return e.decide(ctx, r, state, nil, mode)
}

// read reads ref's current state and records it in reads (when not nil)
// under ref and under the Ref it resolves to, which another name of the
// same resource then finds.
func (e *Evaluator) read(ctx context.Context, ref resource.Ref, reads map[resource.Ref]*read) *read {
	rd := &read{}
	keep := func(refs ...resource.Ref) *read {
		if reads != nil {
			for _, r := range refs {
				reads[r] = rd
			}
		}
		return rd
	}
	rd.reader, rd.err = e.Readers(ctx, ref.Account, ref.Region)
	if rd.err != nil {
		return keep(ref)
	}
	target := ref
	if res, ok := rd.reader.(Resolver); ok {
		resolved, found, err := res.Resolve(ctx, ref)
		switch {
		case err != nil:
			rd.state, rd.err = resource.State{Ref: ref}, err
			return keep(ref)
		case !found:
			rd.state = resource.State{Ref: ref, Missing: true}
			return keep(ref)
		}
		if shared := reads[resolved]; shared != nil {
			rd = shared
			return keep(ref)
		}
		target = resolved
	}
	rd.state, rd.err = rd.reader.Read(ctx, target)
	return keep(ref, target)
}

// Decided evaluates a state that was already read (as a backfill does from a
// listing), reading tags only if the decision needs them and neither the
// listing nor a tag index (State.Exemption) told them.
func (e *Evaluator) Decided(ctx context.Context, r rules.Rule, state resource.State, reader StateReader) (Result, error) {
	return e.decide(ctx, r, state, reader, "online")
}

func (e *Evaluator) decide(ctx context.Context, r rules.Rule, state resource.State, reader StateReader, mode string) (Result, error) {
	d := r.Decide(state)
	// Tags are read only when they can change the outcome: an exemption
	// matters for a resource vpcguard would otherwise act on.
	if d.Status == finding.NonCompliant && e.ExemptTagKey != "" {
		if state.Tags == nil && state.Exemption == nil && reader != nil {
			tags, err := reader.Tags(ctx, state)
			if err != nil {
				return e.result(r, state, mode, rules.Decision{Status: finding.InsufficientData,
					Reason: "non-compliant, but the exemption tag could not be read: " + err.Error()}), err
			}
			state.Tags, state.TagsRead = tags, true
		}
		if v, ok := state.ExemptValue(e.ExemptTagKey); ok {
			d = rules.Decision{Status: finding.NotApplicable,
				Reason: fmt.Sprintf("exempt: tagged %s=%q (would be non-compliant: %s)", e.ExemptTagKey, v, d.Reason)}
		}
	}
	return e.result(r, state, mode, d), nil
}

// Reconfirm reads the exemption tag again, from the resource's own API,
// right before vpcguard writes anything because of res: the remediator
// calls it first, dry run included, so every write path goes through it.
// "Never touches an exempt resource" is a promise, and the tags a decision
// used may come from an index that lags a change by minutes (a listing,
// SageMaker Search, the Resource Groups Tagging API a backfill asks once per
// account and region). Tags already read from the resource for this
// decision (State.TagsRead: a guard's online read) are not read twice.
//
// A resource found exempt turns res NOT_APPLICABLE; one whose tags cannot be
// read turns INSUFFICIENT_DATA, and the error is returned for a retry: in
// neither case may anything be written. A rule that judges the call itself
// (rules.EventOnly: presigned URLs) has no resource to read tags from, and
// writes nothing on one: there is nothing to reconfirm.
func (e *Evaluator) Reconfirm(ctx context.Context, res *Result) error {
	if res.Finding.Status != finding.NonCompliant || e.ExemptTagKey == "" || e.Readers == nil || res.State.TagsRead {
		return nil
	}
	if res.Rule != nil && rules.IsEventOnly(res.Rule) {
		return nil
	}
	reader, err := e.Readers(ctx, res.State.Account, res.State.Region)
	var tags map[string]string
	if err == nil {
		unread := res.State
		unread.Tags, unread.Exemption = nil, nil
		tags, err = reader.Tags(ctx, unread)
	}
	if err != nil {
		res.Finding.Status, res.Finding.Severity = finding.InsufficientData, ""
		res.Finding.Reason = "non-compliant, but the exemption tag could not be read again before acting: " + err.Error()
		return fmt.Errorf("read the tags of %s before acting: %w", res.Finding.ResourceID, err)
	}
	if tags == nil {
		tags = map[string]string{}
	}
	res.State.Tags, res.State.TagsRead, res.State.Exemption = tags, true, nil
	if v, ok := tags[e.ExemptTagKey]; ok {
		res.Finding.Status, res.Finding.Severity = finding.NotApplicable, ""
		res.Finding.Reason = fmt.Sprintf("exempt: tagged %s=%q, found on reading the tags again before acting (would be non-compliant: %s)",
			e.ExemptTagKey, v, res.Finding.Reason)
		res.Finding.Contained, res.Finding.Containment = false, nil
	}
	return nil
}

func (e *Evaluator) result(r rules.Rule, s resource.State, mode string, d rules.Decision) Result {
	id := s.ARN
	if id == "" {
		id = s.ID
	}
	f := finding.Finding{
		Rule:         r.Name(),
		ResourceType: string(r.Kind()),
		ResourceID:   id,
		ResourceName: s.ID,
		Status:       d.Status,
		Reason:       d.Reason,
		Account:      s.Account,
		Region:       s.Region,
		Evaluation:   mode,
	}
	if d.Status == finding.NonCompliant {
		f.Severity = r.Severity()
		if s.Stopped() {
			f.Contain(finding.Stopped) // found in place: stopped by an earlier run, or by its owner
		}
	}
	return Result{Finding: f, State: s, Rule: r}
}
