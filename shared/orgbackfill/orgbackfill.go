// Package orgbackfill runs a backfill over an organization: its active
// accounts (or a given list) times its Regions, one shard per (account,
// Region), each shard a run of the backfill engine (package backfill) over
// that one account and Region.
//
// The deployed form is a Step Functions state machine (Definition): a plan
// step lists the shards (Planner: Organizations' ListAccounts, the Regions,
// and, when an AWS Config aggregator is named, what Config already knows), a
// Distributed Map runs one backfill invocation per shard (RunShard) with a
// maximum concurrency, retries with backoff and a tolerated-failure
// threshold, a shard that nears its time budget returns a continuation the
// map runs again, and a summary step adds up the shards' records (Totals).
// The CLI runs the same plan and shards in-process (Local). The package
// links no AWS SDK service: its callers hand it the accounts, the Config
// index and the store (shared/setup/orgbackfill wires them).
package orgbackfill

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// Organization asks for every active account of the organization
// (Request.Accounts: ["org"], the CLI's --accounts org).
const Organization = "org"

// Shard is one account and Region of an organization's backfill, and what
// to do there.
type Shard struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	// Covered kinds were answered by AWS Config in this account and Region:
	// they are not listed (backfill.Options.Covered).
	Covered []resource.Kind `json:"covered,omitempty"`
	// Read are the resources of covered kinds Config did not call
	// compliant: read online and judged (backfill.Options.Read).
	Read []Ref `json:"read,omitempty"`
	// ReadOnly marks a shard that only reads (its account and Region had
	// more to read than one shard carries; another shard lists).
	ReadOnly bool `json:"readOnly,omitempty"`
}

// Ref names a resource a shard reads online.
type Ref struct {
	Kind resource.Kind `json:"kind"`
	ID   string        `json:"id"`
	ARN  string        `json:"arn,omitempty"`
}

// states are the shard's reads as the engine takes them.
func (s Shard) states() []resource.State {
	out := make([]resource.State, len(s.Read))
	for i, r := range s.Read {
		out[i] = resource.State{Ref: resource.Ref{Kind: r.Kind, ID: r.ID, Account: s.Account, Region: s.Region}, ARN: r.ARN}
	}
	return out
}

// Options are a run's settings, the same for every shard.
type Options struct {
	Rules  []string `json:"rules,omitempty"`  // default every rule
	Mode   string   `json:"mode,omitempty"`   // report | ticket | enforce; default the deployment's
	DryRun *bool    `json:"dryRun,omitempty"` // default the deployment's
}

// Input is the backfill function's input for these options (no accounts or
// regions: the shard names them).
func (o Options) Input() backfill.Input {
	return backfill.Input{Rules: o.Rules, Mode: o.Mode, DryRun: o.DryRun}
}

// Request is an organization backfill's input: the state machine's
// execution input, the CLI's flags. Every field is optional.
//
//	{"accounts": ["111122223333"], "regions": ["us-east-1"], "rules": [...], "mode": "report", "dryRun": true, "configAggregator": "org"}
type Request struct {
	// Accounts are account ids, or ["org"] (the default): every active
	// account of the organization.
	Accounts []string `json:"accounts,omitempty"`
	// Regions are Region names, or ["all"]: the Regions enabled in the
	// central account; default the deployment's governed Regions.
	Regions []string `json:"regions,omitempty"`
	Options
	// ConfigAggregator names the AWS Config aggregator asked first; nil:
	// the deployment's (context configAggregator), "": none.
	ConfigAggregator *string `json:"configAggregator,omitempty"`
}

// ErrBadRequest marks a request that cannot be run.
var ErrBadRequest = errors.New("bad request")

var (
	accountPattern = regexp.MustCompile(`^\d{12}$`)
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
)

// Bounds of a request's lists: an organization has at most a few thousand
// accounts (a state machine's input is at most 256 KiB anyway), AWS fewer
// than 64 Regions, the catalogue fewer than 64 rules.
const (
	MaxRequestAccounts = 10000
	MaxRequestRegions  = 64
	MaxRequestRules    = 64
)

// ParseRequest reads and checks a request. Unknown fields are refused: a
// misspelt "region" must not silently scan the default ones. So is an
// empty list: "regions": [] would otherwise mean the default Regions.
func ParseRequest(raw []byte) (Request, error) {
	var req Request
	if b := bytes.TrimSpace(raw); len(b) > 0 && string(b) != "null" {
		if err := decodeStrict(b, &req); err != nil {
			return req, fmt.Errorf("%w: %v (want {\"accounts\": [...], \"regions\": [...], \"rules\": [...], \"mode\": \"report\", \"dryRun\": true, \"configAggregator\": \"...\"}, all optional)", ErrBadRequest, err)
		}
		var errs []error
		for name, l := range map[string][]string{"accounts": req.Accounts, "regions": req.Regions, "rules": req.Rules} {
			if l != nil && len(l) == 0 {
				errs = append(errs, fmt.Errorf("%s: empty; omit it for the default", name))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return req, fmt.Errorf("%w: %v", ErrBadRequest, err)
		}
	}
	return req, req.Validate()
}

// decodeStrict decodes exactly one JSON value into v, refusing unknown
// fields and anything after the value.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("more than one JSON value")
	}
	return nil
}

// Validate checks every field, naming the bad ones.
func (r Request) Validate() error {
	var errs []error
	if len(r.Accounts) > MaxRequestAccounts {
		errs = append(errs, fmt.Errorf("accounts: %d; at most %d (or %q for the organization's)", len(r.Accounts), MaxRequestAccounts, Organization))
	} else {
		for _, a := range r.Accounts {
			if a != Organization && !accountPattern.MatchString(a) {
				errs = append(errs, fmt.Errorf("accounts: %q is not a 12-digit account id (or %q)", a, Organization))
			}
		}
	}
	if len(r.Regions) > MaxRequestRegions {
		errs = append(errs, fmt.Errorf("regions: %d; at most %d (or %q)", len(r.Regions), MaxRequestRegions, backfill.AllRegions))
	} else {
		for _, g := range r.Regions {
			if g != backfill.AllRegions && !regionPattern.MatchString(g) {
				errs = append(errs, fmt.Errorf("regions: %q is not a Region name (or %q)", g, backfill.AllRegions))
			}
		}
	}
	errs = append(errs, r.Options.validate())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return nil
}

func (o Options) validate() error {
	var errs []error
	if len(o.Rules) > MaxRequestRules {
		return fmt.Errorf("rules: %d; at most %d", len(o.Rules), MaxRequestRules)
	}
	for _, n := range o.Rules {
		if rules.ByName(n) == nil {
			errs = append(errs, fmt.Errorf("rules: unknown rule %q (known: %s)", n, strings.Join(rules.Names(rules.All()), ", ")))
		}
	}
	if o.Mode != "" && !mode.Mode(o.Mode).Valid() {
		errs = append(errs, fmt.Errorf("mode: %q is not report, ticket or enforce", o.Mode))
	}
	return errors.Join(errs...)
}
