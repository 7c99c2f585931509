// Package ticket turns findings into tickets people work: Security Hub
// findings, SSM OpsCenter OpsItems and SNS notifications. One file per sink;
// Tickets fans a finding out to the configured sinks and records what each did.
package ticket

import (
	"context"
	"errors"
	"fmt"

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

// Tickets fans a finding out to every configured sink.
//
// Stateful sinks (Security Hub, OpsCenter) run first, in the order given.
// SNS then publishes only when one of them opened, updated or resolved its
// ticket, so a duplicate event does not page anyone twice. When SNS is the
// only sink, or every stateful sink failed, SNS publishes every NON_COMPLIANT
// finding: without a memory to consult, a repeated message is better than a
// lost one.
type Tickets struct {
	sinks  []Sink
	dryRun bool
}

// NewTickets returns a fan-out over sinks. With dryRun every sink reads what
// it needs and stops before its write, saying what it would have done.
func NewTickets(dryRun bool, sinks ...Sink) *Tickets {
	return &Tickets{sinks: sinks, dryRun: dryRun}
}

// Sync calls every sink, records one action per sink on f (type
// ticket:<sink>), and returns every sink's error joined. A failing sink does
// not stop the others and nothing is undone: the error makes the Lambda
// retry, and the sinks that succeeded report Unchanged the second time.
func (t *Tickets) Sync(ctx context.Context, f *finding.Finding) error {
	if f == nil {
		return errors.New("sync tickets: nil finding")
	}
	var errs []error
	var stateful, answered int
	strongest := Unchanged
	for _, s := range t.sinks {
		if _, ok := s.(announcer); ok {
			continue
		}
		stateful++
		c, err := s.Sync(ctx, *f, t.dryRun)
		f.AddAction(t.action(s.Name(), *f, c, err))
		if err != nil {
			errs = append(errs, fmt.Errorf("ticket %s: %w", s.Name(), err))
			continue
		}
		answered++
		strongest = stronger(strongest, c.Kind)
	}
	for _, s := range t.sinks {
		a, ok := s.(announcer)
		if !ok {
			continue
		}
		var c Change
		var err error
		switch {
		case answered == 0:
			c, err = a.Sync(ctx, *f, t.dryRun)
		case strongest == Unchanged:
			c = Change{Kind: Unchanged, Note: "no ticket changed"}
		default:
			c, err = a.Announce(ctx, *f, strongest, t.dryRun)
		}
		f.AddAction(t.action(a.Name(), *f, c, err))
		if err != nil {
			errs = append(errs, fmt.Errorf("ticket %s: %w", a.Name(), err))
		}
	}
	return errors.Join(errs...)
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
