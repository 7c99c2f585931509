package orgbackfill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"

	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// Store keeps a run's plan, the shards' records and its summary: an S3
// bucket of the central stack (setup/orgbackfill). The state machine reads
// the shard list from it (the Distributed Map's ItemReader) and writes each
// shard's record to it.
type Store interface {
	Put(ctx context.Context, key string, body []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	// List hands each key under prefix to each.
	List(ctx context.Context, prefix string, each func(key string) error) error
}

// A run's keys in the store; run is the execution's name.
func runPrefix(run string) string    { return "runs/" + run + "/" }
func PlanKey(run string) string      { return runPrefix(run) + "plan.json" }
func ShardsKey(run string) string    { return runPrefix(run) + "shards.json" }
func RecordPrefix(run string) string { return runPrefix(run) + "records/" }
func FailedPrefix(run string) string { return runPrefix(run) + "failed/" }
func SummaryKey(run string) string   { return runPrefix(run) + "summary.json" }

// runPattern is an execution name (Step Functions: 1 to 80 characters;
// these are the ones a key holds without escaping).
var runPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,80}$`)

// Orchestrator is the state machine's plan and summary steps: the
// backfill-orchestrator function.
type Orchestrator struct {
	Planner *Planner
	// Evaluator decides, for a run's options, what Config answered
	// (setup builds it as the shards' guards are built, offline).
	Evaluator func(Options) (*evaluate.Evaluator, error)
	Store     Store
	Bucket    string
	Calls     *backfill.Calls // counts Config's calls; may be nil
	Log       *slog.Logger
}

// Invocation is the orchestrator function's input: one of its two steps.
//
//	{"plan": {<Request>}, "run": "<execution name>"}
//	{"summarize": {"run": "<execution name>", "outcome": {"Error": "...", "Cause": "..."}}}
type Invocation struct {
	Plan      json.RawMessage `json:"plan,omitempty"`
	Run       string          `json:"run,omitempty"`
	Summarize *SummarizeInput `json:"summarize,omitempty"`
}

// SummarizeInput names the run and how its map ended: Outcome is empty when
// it ended within the tolerated failures, else the error it ended with.
type SummarizeInput struct {
	Run     string `json:"run"`
	Outcome struct {
		Error string `json:"Error,omitempty"`
		Cause string `json:"Cause,omitempty"`
	} `json:"outcome"`
}

// PlanOutput is the plan step's output, the state machine's state for the
// map: where the shard list is, and the options each shard gets.
type PlanOutput struct {
	Run       string         `json:"run"`
	Bucket    string         `json:"bucket"`
	ShardsKey string         `json:"shardsKey"`
	Shards    int            `json:"shards"`
	Accounts  int            `json:"accounts"`
	Regions   []string       `json:"regions"`
	Options   Options        `json:"options"`
	Config    *ConfigSummary `json:"config,omitempty"`
}

// planRecord is what the plan step keeps for the summary step.
type planRecord struct {
	Plan
	Shards  int     `json:"shards"`
	Options Options `json:"options"`
}

// Handle runs one step.
func (o *Orchestrator) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var in Invocation
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("%w: %v (want {\"plan\": {...}, \"run\": \"...\"} or {\"summarize\": {\"run\": \"...\"}})", ErrBadRequest, err)
	}
	switch {
	case in.Summarize != nil && in.Plan == nil:
		return o.summarize(ctx, *in.Summarize)
	case in.Plan != nil && in.Summarize == nil:
		return o.plan(ctx, in.Run, in.Plan)
	}
	return nil, fmt.Errorf("%w: give one of plan and summarize", ErrBadRequest)
}

func (o *Orchestrator) plan(ctx context.Context, run string, raw json.RawMessage) (PlanOutput, error) {
	if !runPattern.MatchString(run) {
		return PlanOutput{}, fmt.Errorf("%w: run: %q is not an execution name", ErrBadRequest, run)
	}
	req, err := ParseRequest(raw)
	if err != nil {
		return PlanOutput{}, err
	}
	ev, err := o.Evaluator(req.Options)
	if err != nil {
		return PlanOutput{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	scope := backfill.NewCalls()
	ctx = backfill.WithScope(ctx, scope)
	plan, err := o.Planner.Plan(ctx, req, ev, func(f finding.Finding) error {
		// As the guards log each finding: decided from Config, nothing to do.
		o.logFinding(ctx, f)
		return nil
	})
	if err != nil {
		return PlanOutput{}, fmt.Errorf("plan run %s: %w", run, err)
	}
	plan.CountCalls(scope.Snapshot())
	shards, err := json.Marshal(plan.Shards)
	if err != nil {
		return PlanOutput{}, fmt.Errorf("plan run %s: encode the shards: %w", run, err)
	}
	record, err := json.Marshal(planRecord{Plan: plan, Shards: len(plan.Shards), Options: req.Options})
	if err != nil {
		return PlanOutput{}, fmt.Errorf("plan run %s: encode the plan: %w", run, err)
	}
	if err := o.Store.Put(ctx, ShardsKey(run), shards); err != nil {
		return PlanOutput{}, fmt.Errorf("plan run %s: %w", run, err)
	}
	if err := o.Store.Put(ctx, PlanKey(run), record); err != nil {
		return PlanOutput{}, fmt.Errorf("plan run %s: %w", run, err)
	}
	out := PlanOutput{Run: run, Bucket: o.Bucket, ShardsKey: ShardsKey(run), Shards: len(plan.Shards), Accounts: len(plan.Accounts),
		Regions: plan.Regions, Options: req.Options}
	if plan.Config != nil {
		out.Config = &ConfigSummary{Aggregator: plan.Config.Aggregator, Kinds: plan.Config.Kinds, Decided: plan.Config.Decided.Resources,
			Read: plan.Config.Read, Calls: plan.Config.Calls}
	}
	if o.Log != nil {
		o.Log.InfoContext(ctx, "organization backfill planned", "run", run, "accounts", out.Accounts, "regions", out.Regions, "shards", out.Shards)
	}
	return out, nil
}

func (o *Orchestrator) logFinding(ctx context.Context, f finding.Finding) {
	if o.Log != nil {
		o.Log.InfoContext(ctx, "finding", "finding", f)
	}
}

// summarize adds up the shards' records into the run's summary, keeps the
// whole of it in the store and returns it with at most MaxSummaryAccounts
// accounts named.
func (o *Orchestrator) summarize(ctx context.Context, in SummarizeInput) (Summary, error) {
	if !runPattern.MatchString(in.Run) {
		return Summary{}, fmt.Errorf("%w: summarize.run: %q is not an execution name", ErrBadRequest, in.Run)
	}
	raw, err := o.Store.Get(ctx, PlanKey(in.Run))
	if err != nil {
		return Summary{}, fmt.Errorf("summarize run %s: read its plan: %w", in.Run, err)
	}
	var plan planRecord
	if err := json.Unmarshal(raw, &plan); err != nil {
		return Summary{}, fmt.Errorf("summarize run %s: read its plan: %w", in.Run, err)
	}
	totals := NewTotals(in.Run, plan.Plan, plan.Shards)
	var mu sync.Mutex
	err = o.each(ctx, RecordPrefix(in.Run), func(body []byte) error {
		var r ShardResult
		if err := json.Unmarshal(body, &r); err != nil {
			return fmt.Errorf("read a shard's record: %w", err)
		}
		mu.Lock()
		totals.AddShard(r)
		mu.Unlock()
		return nil
	})
	if err == nil {
		err = o.each(ctx, FailedPrefix(in.Run), func(body []byte) error {
			f, err := ParseFailure(body)
			if err != nil {
				return err
			}
			mu.Lock()
			totals.AddFailure(f)
			mu.Unlock()
			return nil
		})
	}
	if err != nil {
		return Summary{}, fmt.Errorf("summarize run %s: %w", in.Run, err)
	}
	whole := totals.Summary(0)
	s := totals.Summary(MaxSummaryAccounts)
	if in.Outcome.Error != "" {
		whole.Fail(in.Outcome.Error, in.Outcome.Cause)
		s.Fail(in.Outcome.Error, in.Outcome.Cause)
	}
	body, err := json.Marshal(whole)
	if err != nil {
		return Summary{}, fmt.Errorf("summarize run %s: %w", in.Run, err)
	}
	if err := o.Store.Put(ctx, SummaryKey(in.Run), body); err != nil {
		return Summary{}, fmt.Errorf("summarize run %s: %w", in.Run, err)
	}
	s.SummaryKey = "s3://" + o.Bucket + "/" + SummaryKey(in.Run)
	if o.Log != nil {
		o.Log.InfoContext(ctx, "organization backfill done", "run", in.Run, "shards", s.Shards, "failed", s.ShardsFailed,
			"resources", s.Resources, "findings", s.ByRule)
	}
	return s, nil
}

// readers is how many records the summary reads at once.
const readers = 16

// each reads every object under prefix, a few at a time, and hands each
// body to fn.
func (o *Orchestrator) each(ctx context.Context, prefix string, fn func([]byte) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	keys := make(chan string)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range readers {
		wg.Go(func() {
			for key := range keys {
				body, err := o.Store.Get(ctx, key)
				if err == nil {
					err = fn(body)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: %w", key, err))
					mu.Unlock()
					cancel(err)
				}
			}
		})
	}
	err := o.Store.List(ctx, prefix, func(key string) error {
		if !strings.HasSuffix(key, ".json") {
			return nil
		}
		select {
		case keys <- key:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	close(keys)
	wg.Wait()
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return err
}
