package orgbackfill

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// Limits on what a summary names (the state machine's output is limited to
// 256 KiB; the whole summary goes to the store).
const (
	MaxSummaryAccounts = 500
	MaxFailedShards    = 100
)

// Totals adds up an organization backfill as its shards finish: their
// records, the shards that failed, and what Config decided. It holds counts
// per account, never findings.
type Totals struct {
	Run        string
	Regions    []string
	Planned    int // shards planned
	Accounts   int
	Config     *ConfigAnswer
	total      Tally
	succeeded  int
	failed     []FailedShard
	failedMore int
	byAccount  map[string]*AccountTally
}

// AccountTally is one account's part of an organization backfill.
type AccountTally struct {
	Account   string `json:"account"`
	Resources int    `json:"resources"`
	finding.Counts
	Errors       int   `json:"errors,omitempty"`
	Calls        int64 `json:"awsCalls"`
	Shards       int   `json:"shards"`
	FailedShards int   `json:"failedShards,omitempty"`
}

// FailedShard is a shard that failed after its retries, with why.
type FailedShard struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Error   string `json:"error"`
	Cause   string `json:"cause,omitempty"`
}

// NewTotals starts adding up a run planned as plan.
func NewTotals(run string, plan Plan, shards int) *Totals {
	t := &Totals{Run: run, Regions: plan.Regions, Planned: shards, Accounts: len(plan.Accounts), Config: plan.Config, byAccount: map[string]*AccountTally{}}
	for _, a := range plan.Accounts {
		t.byAccount[a] = &AccountTally{Account: a}
	}
	if plan.Config != nil {
		for a, d := range plan.Config.ByAccount {
			at := t.account(a)
			at.Resources += d.Resources
			at.Counts.Merge(d.Counts)
		}
		t.total.Add(plan.Config.Decided, backfill.MaxErrors)
	}
	t.total.Calls += plan.Calls
	return t
}

func (t *Totals) account(id string) *AccountTally {
	a := t.byAccount[id]
	if a == nil {
		a = &AccountTally{Account: id}
		t.byAccount[id] = a
	}
	return a
}

// AddShard adds a shard's record.
func (t *Totals) AddShard(r ShardResult) {
	t.succeeded++
	t.total.Add(r.Tally, backfill.MaxErrors)
	a := t.account(r.Account)
	a.Resources += r.Resources
	a.Counts.Merge(r.Counts)
	a.Errors += len(r.Errors) + r.ErrorsOmitted
	a.Calls += r.Calls
	a.Shards++
}

// AddFailure adds a shard that failed.
func (t *Totals) AddFailure(f FailedShard) {
	a := t.account(f.Account)
	a.Shards++
	a.FailedShards++
	if len(t.failed) < MaxFailedShards {
		t.failed = append(t.failed, f)
	} else {
		t.failedMore++
	}
}

// Account returns an account's tally so far.
func (t *Totals) Account(id string) AccountTally { return *t.account(id) }

// Summary is an organization backfill's result: the execution's output and
// the CLI's closing summary.
type Summary struct {
	Run             string   `json:"run,omitempty"`
	Accounts        int      `json:"accounts"`
	Regions         []string `json:"regions"`
	Shards          int      `json:"shards"`
	ShardsSucceeded int      `json:"shardsSucceeded"`
	ShardsFailed    int      `json:"shardsFailed"`
	// ShardsNotRun were planned but never finished (the map stopped once
	// more failed than it tolerates).
	ShardsNotRun int `json:"shardsNotRun,omitempty"`
	Parts        int `json:"parts"`
	Resources    int `json:"resources"`
	finding.Counts
	Calls            int64               `json:"awsCalls"`
	CallsPerResource float64             `json:"awsCallsPerResource"`
	ByAccount        []AccountTally      `json:"byAccount"`
	AccountsOmitted  int                 `json:"accountsOmitted,omitempty"`
	FailedShards     []FailedShard       `json:"failedShards,omitempty"`
	FailedOmitted    int                 `json:"failedShardsOmitted,omitempty"`
	Errors           []backfill.RunError `json:"errors,omitempty"`
	ErrorsOmitted    int                 `json:"errorsOmitted,omitempty"`
	Config           *ConfigSummary      `json:"config,omitempty"`
	// Failed is set when the run failed as a whole (more shards failed
	// than tolerated, or the map could not run): the state machine then
	// ends in a Fail state with Error and Cause.
	Failed bool   `json:"failed"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
	// SummaryKey is where the whole summary is, every account named.
	SummaryKey string `json:"summaryKey,omitempty"`
}

// ConfigSummary is what AWS Config answered, without the accounts.
type ConfigSummary struct {
	Aggregator string       `json:"aggregator"`
	Kinds      []KindAnswer `json:"kinds"`
	Decided    int          `json:"decidedResources"`
	Read       int          `json:"readOnline"`
	Calls      int64        `json:"awsCalls"`
}

// Summary sums up, naming at most maxAccounts accounts (the ones with the
// most NON_COMPLIANT findings and failures first; 0: every one).
func (t *Totals) Summary(maxAccounts int) Summary {
	s := Summary{Run: t.Run, Accounts: t.Accounts, Regions: t.Regions, Shards: t.Planned, ShardsSucceeded: t.succeeded,
		ShardsFailed: len(t.failed) + t.failedMore, Parts: t.total.Parts, Resources: t.total.Resources, Counts: t.total.Counts,
		Calls: t.total.Calls, Errors: t.total.Errors, ErrorsOmitted: t.total.ErrorsOmitted,
		FailedShards: slices.Clone(t.failed), FailedOmitted: t.failedMore}
	if s.ByRule == nil {
		s.ByRule = finding.Tally{}
	}
	s.ShardsNotRun = max(0, t.Planned-s.ShardsSucceeded-s.ShardsFailed)
	if t.Config != nil {
		s.Config = &ConfigSummary{Aggregator: t.Config.Aggregator, Kinds: t.Config.Kinds, Decided: t.Config.Decided.Resources,
			Read: t.Config.Read, Calls: t.Config.Calls}
	}
	if s.Resources > 0 {
		s.CallsPerResource = float64(s.Calls) / float64(s.Resources)
	}
	for _, a := range t.byAccount {
		s.ByAccount = append(s.ByAccount, *a)
	}
	slices.SortFunc(s.ByAccount, func(a, b AccountTally) int {
		return cmp.Or(-cmp.Compare(nonCompliant(a.Counts), nonCompliant(b.Counts)), -cmp.Compare(a.FailedShards, b.FailedShards),
			cmp.Compare(a.Account, b.Account))
	})
	if maxAccounts > 0 && len(s.ByAccount) > maxAccounts {
		s.AccountsOmitted = len(s.ByAccount) - maxAccounts
		s.ByAccount = s.ByAccount[:maxAccounts]
	}
	slices.SortFunc(s.FailedShards, func(a, b FailedShard) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Region, b.Region))
	})
	return s
}

// Fail marks the summary failed: the map's error (more shards failed than
// it tolerates), with a cause a person can read.
func (s *Summary) Fail(errName, mapCause string) {
	s.Failed = true
	s.Error = errName
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d shards failed, %d not run", s.ShardsFailed, s.Shards, s.ShardsNotRun)
	for i, f := range s.FailedShards {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(s.FailedShards)-3+s.FailedOmitted)
			break
		}
		fmt.Fprintf(&b, "; %s/%s: %s", f.Account, f.Region, f.Error)
	}
	if mapCause != "" {
		fmt.Fprintf(&b, " (%s)", mapCause)
	}
	s.Cause = b.String()
}

func nonCompliant(c finding.Counts) int {
	n := 0
	for _, byStatus := range c.ByRule {
		n += byStatus[finding.NonCompliant]
	}
	return n
}

// failureRecord is what the state machine stores for a shard that failed:
// its state (the shard) and the error Step Functions caught.
type failureRecord struct {
	Shard Shard `json:"shard"`
	Error struct {
		Error string `json:"Error"`
		Cause string `json:"Cause"`
	} `json:"error"`
}

// ParseFailure reads a failure record. A Lambda function's error comes with
// a cause holding its errorMessage, which names the shard's problem.
func ParseFailure(raw []byte) (FailedShard, error) {
	var r failureRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return FailedShard{}, fmt.Errorf("read a failed shard's record: %w", err)
	}
	f := FailedShard{Account: r.Shard.Account, Region: r.Shard.Region, Error: r.Error.Error, Cause: r.Error.Cause}
	var lambdaErr struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if json.Unmarshal([]byte(r.Error.Cause), &lambdaErr) == nil && lambdaErr.ErrorMessage != "" {
		f.Error = lambdaErr.ErrorMessage
		f.Cause = ""
	}
	return f, nil
}
