// Package ticket turns findings into tickets people work: Security Hub
// findings, SSM OpsCenter OpsItems and SNS notifications. One file per sink;
// Tickets fans a finding out to the configured sinks and records what each did.
//
// A notification is never lost, and a duplicate event pages nobody: SNS has
// no memory, so it announces what the stateful sinks (Security Hub,
// OpsCenter) are about to change, and those sinks write the change only once
// the announcement is sent. A stateful ticket that says X therefore means X
// was announced (when SNS is configured); a retry after a failed announcement finds the same change
// still to make, and announces it again. See Tickets.
package ticket

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vpcguard/vpcguard/shared/finding"
)

// ChangeKind says what a sink did, or would do in a dry run, to a finding's ticket.
type ChangeKind string

const (
	Unchanged ChangeKind = "unchanged" // nothing to do: duplicate, nothing open to resolve, or insufficient data
	Opened    ChangeKind = "opened"    // a new ticket, or a resolved one reopened
	Updated   ChangeKind = "updated"   // an open ticket now says something different
	Resolved  ChangeKind = "resolved"  // an open ticket closed because the resource is fixed, exempt or gone
)

// Change is what one sink did about one finding.
type Change struct {
	Kind ChangeKind
	// Ticket is the ticket's id (Security Hub finding Id, OpsItem id, SNS
	// topic ARN); empty when no ticket exists yet, e.g. an OpsItem a dry run
	// would create.
	Ticket string
	// Note says why nothing changed, or adds to what changed (e.g. "reopened").
	Note string
}

// Sink is one place tickets go.
type Sink interface {
	// Name is the sink's configuration name: securityhub, opscenter or sns.
	Name() string
	// Sync makes the sink's ticket match the finding: NON_COMPLIANT opens or
	// updates it; COMPLIANT and NOT_APPLICABLE resolve an open one;
	// INSUFFICIENT_DATA leaves it alone. With dryRun it reads but does not
	// write, and reports the change it would have made.
	Sync(ctx context.Context, f finding.Finding, dryRun bool) (Change, error)
}

// announcer is a sink with no memory of its own (SNS). It cannot tell a new
// problem from the same event delivered again, so Tickets asks it to announce
// only what a stateful sink reports as changed.
type announcer interface {
	Sink
	Announce(ctx context.Context, f finding.Finding, kind ChangeKind, dryRun bool) (Change, error)
}

// planner is a stateful sink (Security Hub, OpsCenter) whose change can be
// worked out before it is made: plan reads, and returns the change with the
// write that makes it. Its Sync is plan then write (syncPlan), and its dry
// run is plan alone, so a dry run walks the very path of a real sync up to
// the write.
type planner interface {
	Sink
	plan(ctx context.Context, f finding.Finding) (plan, error)
}

// plan is a stateful sink's change, read but not yet made.
type plan struct {
	Change
	// write makes the change, from what plan read (no second read); nil when
	// Kind is Unchanged. It returns the change made, with the ticket id when
	// it was only known after the write (a new OpsItem).
	write func(ctx context.Context) (Change, error)
}

// syncPlan is Sink.Sync for a planner on its own.
func syncPlan(ctx context.Context, p planner, f finding.Finding, dryRun bool) (Change, error) {
	pl, err := p.plan(ctx, f)
	if err != nil || dryRun || pl.write == nil {
		return pl.Change, err
	}
	return pl.write(ctx)
}

// Tickets fans a finding out to every configured sink, in three steps, so
// that a notification is announced at least once and a duplicate event is
// announced never:
//
//  1. Plan: each stateful sink (Security Hub, OpsCenter) reads its ticket
//     and works out its change, writing nothing.
//  2. Announce: SNS publishes the strongest planned change (opened over
//     resolved over updated), or nothing when every plan is Unchanged: a
//     duplicate event pages nobody.
//  3. Write: only when the announcement was sent (or no SNS is configured)
//     do the stateful sinks make their changes, from what they read in step
//     1, so this costs no extra call.
//
// Every sink is told the finding as it was handed in: the message lists the
// remediation actions, not the ticket writes, which come after it.
//
// A stateful ticket is therefore never ahead of the announcements: if it
// already says what the finding says, that was announced. When SNS fails,
// the stateful writes are held back (recorded as failed, saying why) and
// the error is returned: Lambda retries, the retry plans the same change
// and announces it again. An SNS outage thus holds back Security Hub and
// OpsCenter too, loudly: every invocation fails, the events end in the
// dead-letter queue (whose alarm fires), and a redrive once SNS is back
// announces and writes them. Nothing is acknowledged unannounced.
//
// When a write fails after the announcement was sent, the error is returned
// and the retry announces the same change again: a duplicate page after a
// partial failure, never a lost one. (So does a retry after one stateful
// sink failed its plan while another planned a change.)
//
// When SNS is the only sink, or every stateful sink failed its plan, SNS
// publishes every NON_COMPLIANT finding (and no resolution): without a
// memory to consult, a repeated message is better than a lost one.
//
// The alternative, writing first and remembering in the stateful ticket
// whether its content was announced (a marker written after SNS succeeded),
// would keep Security Hub current through an SNS outage, but costs a second
// Security Hub import per announced change against the import rate quota,
// must also remember which change is pending (a reopen is not an update),
// and cannot work for an OpsItem's resolution: a resolved OpsItem drops out
// of the open-item search, so its unannounced resolution would be invisible
// to the retry.
type Tickets struct {
	sinks  []Sink
	dryRun bool
}

// NewTickets returns a fan-out over sinks. With dryRun every sink reads what
// it needs and stops before its write, saying what it would have done.
func NewTickets(dryRun bool, sinks ...Sink) *Tickets {
	return &Tickets{sinks: sinks, dryRun: dryRun}
}

// Sync calls every sink as the Tickets doc describes, records one action per
// sink on f (type ticket:<sink>, in the order of the sinks), and returns
// every sink's error joined. A stateful sink that fails does not stop the
// others; a failed announcement holds back every stateful write. Nothing is
// undone: the error makes the Lambda retry, and the retry finds what is
// still to do.
func (t *Tickets) Sync(ctx context.Context, f *finding.Finding) error {
	if f == nil {
		return errors.New("sync tickets: nil finding")
	}
	// Every sink is told the finding as it was handed in: the ticket actions
	// are added to f at the end, in the order of the sinks.
	in := *f
	actions := make([]finding.Action, len(t.sinks))
	var errs []error
	record := func(i int, c Change, err error) {
		actions[i] = t.action(t.sinks[i].Name(), in, c, err)
		if err != nil {
			errs = append(errs, fmt.Errorf("ticket %s: %w", t.sinks[i].Name(), err))
		}
	}

	// 1. Plan.
	plans := make([]*plan, len(t.sinks))
	answered := 0
	strongest := Unchanged
	for i, s := range t.sinks {
		if _, ok := s.(announcer); ok {
			continue
		}
		var p plan
		var err error
		if sp, ok := s.(planner); ok {
			p, err = sp.plan(ctx, in)
		} else {
			// A sink that cannot plan writes at once; its change is still
			// announced, but not held back when the announcement fails.
			p.Change, err = s.Sync(ctx, in, t.dryRun)
		}
		if err != nil {
			record(i, p.Change, err)
			continue
		}
		answered++
		strongest = stronger(strongest, p.Kind)
		plans[i] = &p
	}

	// 2. Announce.
	var unannounced []string
	for i, s := range t.sinks {
		a, ok := s.(announcer)
		if !ok {
			continue
		}
		var c Change
		var err error
		switch {
		case answered == 0:
			c, err = a.Sync(ctx, in, t.dryRun)
		case strongest == Unchanged:
			c = Change{Kind: Unchanged, Note: "no ticket changed"}
		default:
			c, err = a.Announce(ctx, in, strongest, t.dryRun)
		}
		record(i, c, err)
		if err != nil {
			unannounced = append(unannounced, a.Name())
		}
	}

	// 3. Write.
	for i, p := range plans {
		switch {
		case p == nil:
		case p.write == nil || t.dryRun:
			record(i, p.Change, nil)
		case len(unannounced) > 0:
			actions[i] = t.heldBack(t.sinks[i].Name(), in, p.Change, unannounced)
		default:
			c, err := p.write(ctx)
			record(i, c, err)
		}
	}
	for _, a := range actions {
		if a.Type != "" {
			f.AddAction(a)
		}
	}
	return errors.Join(errs...)
}

// heldBack is the action of a stateful write not made because its
// announcement failed. The announcer's error is what Sync returns.
func (t *Tickets) heldBack(sink string, f finding.Finding, c Change, unannounced []string) finding.Action {
	a := finding.Action{Type: ActionType(sink), Target: c.Ticket, Outcome: finding.Failed}
	if a.Target == "" {
		a.Target = f.ResourceID
	}
	a.Detail = fmt.Sprintf("held back: would %s once %s announced it, which failed; the retry announces and writes it", verb(c.Kind), strings.Join(unannounced, " and "))
	return a
}

// ActionType is the finding action type Tickets records for a sink.
func ActionType(sink string) string { return "ticket:" + sink }

func (t *Tickets) action(sink string, f finding.Finding, c Change, err error) finding.Action {
	a := finding.Action{Type: ActionType(sink), Target: c.Ticket}
	if a.Target == "" {
		a.Target = f.ResourceID
	}
	switch {
	case err != nil:
		a.Outcome, a.Detail = finding.Failed, err.Error()
	case c.Kind == Unchanged:
		a.Outcome, a.Detail = finding.Skipped, c.Note
	case t.dryRun:
		a.Outcome, a.Detail = finding.DryRun, "would "+verb(c.Kind)
	default:
		a.Outcome, a.Detail = finding.Done, string(c.Kind)
	}
	if c.Kind != Unchanged && c.Note != "" && err == nil {
		a.Detail += " (" + c.Note + ")"
	}
	return a
}

func verb(k ChangeKind) string {
	switch k {
	case Opened:
		return "open"
	case Updated:
		return "update"
	case Resolved:
		return "resolve"
	}
	return "leave unchanged"
}

// stronger picks the change worth announcing when stateful sinks disagree,
// e.g. OpsCenter was added after Security Hub already held the ticket.
func stronger(a, b ChangeKind) ChangeKind {
	rank := map[ChangeKind]int{Unchanged: 0, Updated: 1, Resolved: 2, Opened: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// intent is what a finding's status asks of a ticket.
type intent int

const (
	leaveAlone intent = iota
	openTicket
	resolveTicket
)

func intentOf(s finding.Status) intent {
	switch s {
	case finding.NonCompliant:
		return openTicket
	case finding.Compliant, finding.NotApplicable:
		return resolveTicket
	}
	return leaveAlone
}
