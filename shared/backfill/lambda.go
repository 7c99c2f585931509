package backfill

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// Input is what the backfill Lambda takes; every field is optional.
//
//	{"regions": ["us-east-1"], "accounts": ["111122223333"], "rules": ["sagemaker-model-in-vpc"], "mode": "report", "dryRun": true}
type Input struct {
	Regions  []string `json:"regions,omitempty"`  // names or "all"; default the function's region
	Accounts []string `json:"accounts,omitempty"` // default the function's account
	Rules    []string `json:"rules,omitempty"`    // default every rule
	Mode     string   `json:"mode,omitempty"`     // report | ticket | enforce; default VPCGUARD_MODE
	DryRun   *bool    `json:"dryRun,omitempty"`   // default VPCGUARD_DRY_RUN
}

// ErrBadInput marks an invocation payload the Lambda cannot use.
var ErrBadInput = errors.New("bad input")

var accountPattern = regexp.MustCompile(`^\d{12}$`)

// ParseInput reads and checks an invocation payload. Unknown fields are
// refused: a misspelt "region" must not silently scan the default one.
func ParseInput(raw []byte) (Input, error) {
	var in Input
	if b := bytes.TrimSpace(raw); len(b) == 0 || string(b) == "null" {
		return in, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, fmt.Errorf("%w: %v (want {\"regions\": [...], \"accounts\": [...], \"rules\": [...], \"mode\": \"report\", \"dryRun\": true}, all optional)", ErrBadInput, err)
	}
	var errs []error
	for _, r := range in.Regions {
		if strings.TrimSpace(r) == "" {
			errs = append(errs, errors.New("regions: an empty region name"))
		}
	}
	for _, a := range in.Accounts {
		if !accountPattern.MatchString(a) {
			errs = append(errs, fmt.Errorf("accounts: %q is not a 12-digit account id", a))
		}
	}
	if _, err := rules.Select(in.Rules); err != nil {
		errs = append(errs, fmt.Errorf("rules: %w", err))
	}
	if in.Mode != "" && !mode.Mode(in.Mode).Valid() {
		errs = append(errs, fmt.Errorf("mode: %q is not report, ticket or enforce", in.Mode))
	}
	if err := errors.Join(errs...); err != nil {
		return in, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	return in, nil
}

// Handler is the backfill Lambda: configuration and clients are built once
// per cold start (package setup assembles it); each invocation runs one
// backfill.
type Handler struct {
	Config config.Config
	// Options holds what every run shares: Sources, Home, EnabledRegions,
	// Calls. Each invocation sets the rest.
	Options Options
	// NewGuard builds the guard a run acts through, for the invocation's
	// configuration and rules.
	NewGuard func(cfg config.Config, rs []rules.Rule) *guard.Guard
	// NewCreators builds each run's creator lookup; nil: none.
	NewCreators func(ctx context.Context) (Creators, error)
	Log         *slog.Logger
}

// Handle runs one backfill and returns its summary: counts, never the
// findings, which the guard logs one by one as they complete, so the
// function's memory and its response stay small whatever the estate.
// Listing failures are in the summary; the error is returned only when the
// input is bad or nothing could be listed.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (Summary, error) {
	in, err := ParseInput(raw)
	if err != nil {
		return Summary{}, err
	}
	opts, err := h.Prepare(ctx, in)
	if err != nil {
		return Summary{}, err
	}
	opts.Regions, opts.Accounts = in.Regions, in.Accounts
	s, err := Run(ctx, opts)
	if h.Log != nil {
		h.Log.InfoContext(ctx, "backfill done", "summary", s)
	}
	if err != nil {
		return s, fmt.Errorf("backfill: %w", err)
	}
	return s, nil
}

// Prepare is a run's options for an input's mode, dry run and rules (its
// accounts and regions are the caller's): the guard to act through and the
// creator lookup, over what every run shares. An organization's shard
// (package orgbackfill) is prepared the same way.
func (h *Handler) Prepare(ctx context.Context, in Input) (Options, error) {
	cfg := h.Config
	if in.Mode != "" {
		cfg.Mode = mode.Mode(in.Mode)
		cfg.RuleModes = map[string]mode.Mode{} // the invocation's mode is for every rule
	}
	if in.DryRun != nil {
		cfg.DryRun = *in.DryRun
	}
	if err := cfg.Validate(); err != nil {
		return Options{}, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	rs := rules.All()
	if len(in.Rules) > 0 {
		var err error
		if rs, err = rules.Select(in.Rules); err != nil {
			return Options{}, fmt.Errorf("%w: rules: %v", ErrBadInput, err)
		}
	}
	opts := h.Options
	opts.Guard = h.NewGuard(cfg, rs)
	opts.Rules, opts.Concurrency = rs, cfg.Concurrency
	if h.NewCreators != nil {
		// Per run: a run's LookupEvents calls are capped, and what it
		// looked up is kept for the run only.
		var err error
		if opts.Creators, err = h.NewCreators(ctx); err != nil {
			return Options{}, fmt.Errorf("backfill: look up creators: %w", err)
		}
	}
	return opts, nil
}
