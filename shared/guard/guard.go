// Package guard is vpcguard's pipeline for one event: evaluate it online,
// then, as the operator chose for each rule, report, ticket or remediate.
// The Lambda functions, the CLI and the backfill all run through it.
package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/mode"
)

// Remediator fixes a NON_COMPLIANT resource and records what it did.
type Remediator interface {
	Remediate(ctx context.Context, res *evaluate.Result) error
}

// Tickets opens, updates or resolves the tickets of a finding.
type Tickets interface {
	Sync(ctx context.Context, f *finding.Finding) error
}

// Guard evaluates events and acts on the findings.
type Guard struct {
	Config     config.Config
	Evaluator  *evaluate.Evaluator
	Remediator Remediator // nil: nothing is remediated
	Tickets    Tickets    // nil: no tickets
	Log        *slog.Logger
}

// Event evaluates one event and acts on each finding. The error joins every
// failure worth a retry; the findings are returned whatever happened.
func (g *Guard) Event(ctx context.Context, ev *cloudtrail.Event) ([]finding.Finding, error) {
	results, evalErr := g.Evaluator.Event(ctx, ev)
	errs := []error{evalErr}
	out := make([]finding.Finding, 0, len(results))
	for i := range results {
		errs = append(errs, g.Respond(ctx, &results[i]))
		out = append(out, results[i].Finding)
	}
	return out, errors.Join(errs...)
}

// Respond acts on one evaluated resource as its rule's mode says, and logs
// the finding with every action.
func (g *Guard) Respond(ctx context.Context, res *evaluate.Result) error {
	var errs []error
	m := g.Config.ModeFor(res.Rule)
	if res.Finding.Status == finding.InsufficientData {
		// Nothing is known well enough to act on; the evaluation error, if
		// any, already asks for a retry.
		g.logFinding(ctx, res.Finding, m)
		return nil
	}
	if m.Remediates() && g.Remediator != nil && res.Finding.Status == finding.NonCompliant {
		errs = append(errs, g.Remediator.Remediate(ctx, res))
	}
	if m.Tickets() && g.Tickets != nil {
		errs = append(errs, g.Tickets.Sync(ctx, &res.Finding))
	}
	g.logFinding(ctx, res.Finding, m)
	return errors.Join(errs...)
}

// SkipReason says why the guard does not evaluate ev, or "" when it does: a
// failed call changed nothing, and an event none of its rules triggers on is
// not its business.
func (g *Guard) SkipReason(ev *cloudtrail.Event) string {
	if ev.Failed() {
		return "the call failed (" + ev.ErrorCode + "), so it changed nothing"
	}
	if !g.Evaluator.Handles(ev) {
		return fmt.Sprintf("%s from %s is not an event this guard evaluates", ev.Name, ev.Source)
	}
	return ""
}

func (g *Guard) logFinding(ctx context.Context, f finding.Finding, m mode.Mode) {
	if g.Log == nil {
		return
	}
	level := slog.LevelInfo
	if f.Status == finding.NonCompliant {
		level = slog.LevelWarn
	}
	g.Log.Log(ctx, level, "finding",
		"rule", f.Rule, "status", f.Status, "resourceType", f.ResourceType, "resourceId", f.ResourceID,
		"reason", f.Reason, "principal", f.Principal, "account", f.Account, "region", f.Region,
		"eventId", f.EventID, "eventName", f.EventName, "mode", m, "dryRun", g.Config.DryRun,
		"actions", f.Actions)
}

func (g *Guard) logError(ctx context.Context, msg string, err error) {
	if g.Log != nil {
		g.Log.ErrorContext(ctx, msg, "error", err.Error())
	}
}

func (g *Guard) logSkip(ctx context.Context, ev *cloudtrail.Event, reason string) {
	if g.Log != nil {
		g.Log.InfoContext(ctx, "skipped", "eventId", ev.ID, "eventName", ev.Name, "eventSource", ev.Source, "reason", reason)
	}
}
