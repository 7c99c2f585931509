// Package config is vpcguard's configuration: one struct, read once from the
// environment (set by the CDK stack for the Lambdas), overridden by flags in
// the CLI, and validated before anything runs.
package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// The environment variables vpcguard reads: the one place each name is
// written. The CDK stack sets them (infra/stack), the CLI's flags override
// them (cmd/vpcguard), and every message about one names it from here.
const (
	EnvMode                     = "VPCGUARD_MODE"
	EnvRuleModes                = "VPCGUARD_RULE_MODES"
	EnvDryRun                   = "VPCGUARD_DRY_RUN"
	EnvSinks                    = "VPCGUARD_SINKS"
	EnvSNSTopicARN              = "VPCGUARD_SNS_TOPIC_ARN"
	EnvExemptTagKey             = "VPCGUARD_EXEMPT_TAG_KEY"
	EnvFindingTagKey            = "VPCGUARD_FINDING_TAG_KEY"
	EnvProtectedPrincipals      = "VPCGUARD_PROTECTED_PRINCIPALS"
	EnvGuardrailARN             = "VPCGUARD_GUARDRAIL_ARN"
	EnvDeleteNoncompliantModels = "VPCGUARD_DELETE_NONCOMPLIANT_MODELS"
	EnvEndpointPolicy           = "VPCGUARD_ENDPOINT_POLICY"
	EnvRecheckQueueURL          = "VPCGUARD_RECHECK_QUEUE_URL"
	EnvRecheckDelaySeconds      = "VPCGUARD_RECHECK_DELAY_SECONDS"
	EnvRecheckMaxAttempts       = "VPCGUARD_RECHECK_MAX_ATTEMPTS"
	EnvAssumeRoleName           = "VPCGUARD_ASSUME_ROLE_NAME"
	EnvConcurrency              = "VPCGUARD_CONCURRENCY"
	EnvCreatorLookup            = "VPCGUARD_CREATOR_LOOKUP"
	EnvCreatorLookupMax         = "VPCGUARD_CREATOR_LOOKUP_MAX"
	EnvTrailBucket              = "VPCGUARD_TRAIL_BUCKET"
	EnvCreatorGuardrails        = "VPCGUARD_CREATOR_GUARDRAILS"
	EnvCreatorMaxAgeDays        = "VPCGUARD_CREATOR_MAX_AGE_DAYS"

	EnvSwitchDomainsToVPCOnly     = "VPCGUARD_SWITCH_DOMAINS_TO_VPC_ONLY"
	EnvJobLookbackDays            = "VPCGUARD_JOB_LOOKBACK_DAYS"
	EnvPresignedURLAllowedSources = "VPCGUARD_PRESIGNED_URL_ALLOWED_SOURCES"

	// The organization backfill (package orgbackfill).
	EnvConfigAggregator = "VPCGUARD_CONFIG_AGGREGATOR"
	EnvBackfillRegions  = "VPCGUARD_BACKFILL_REGIONS"
	EnvRunsBucket       = "VPCGUARD_RUNS_BUCKET"
)

// MaxJobLookbackDays bounds the backfill's look back at finished jobs: a
// finished job is reported, never changed, and CloudTrail's event history
// keeps 90 days.
const MaxJobLookbackDays = 90

// Sink names.
const (
	SinkSecurityHub = "securityhub"
	SinkOpsCenter   = "opscenter"
	SinkSNS         = "sns"
)

// Sinks lists every ticket sink.
var Sinks = []string{SinkSecurityHub, SinkOpsCenter, SinkSNS}

// Config is every setting vpcguard reads; each field's comment names its
// variable.
type Config struct {
	Mode      mode.Mode            // EnvMode: every rule's mode; "" keeps each rule's default
	RuleModes map[string]mode.Mode // EnvRuleModes: per-rule overrides, rule=mode,...
	DryRun    bool                 // EnvDryRun: walk the enforce path, stop before every write

	Sinks       []string // EnvSinks: securityhub, opscenter, sns
	SNSTopicARN string   // EnvSNSTopicARN

	ExemptTagKey  string // EnvExemptTagKey
	FindingTagKey string // EnvFindingTagKey
	// ProtectedPrincipals are ARN patterns (* matches any run of characters)
	// that never get a guardrail attached (EnvProtectedPrincipals).
	ProtectedPrincipals []string

	GuardrailARN string // EnvGuardrailARN: the one guardrail policy (rules.GuardrailPolicy)

	DeleteNoncompliantModels bool   // EnvDeleteNoncompliantModels
	EndpointPolicy           string // EnvEndpointPolicy: replaces a full-access endpoint policy when set

	RecheckQueueURL     string // EnvRecheckQueueURL
	RecheckDelaySeconds int    // EnvRecheckDelaySeconds
	RecheckMaxAttempts  int    // EnvRecheckMaxAttempts

	AssumeRoleName string // EnvAssumeRoleName: the role to assume in other accounts
	Concurrency    int    // EnvConcurrency: backfill worker pool size

	// SwitchDomainsToVPCOnly lets enforce mode switch a Studio domain to
	// VpcOnly (EnvSwitchDomainsToVPCOnly); off, the guardrail and the
	// ticket are all it does.
	SwitchDomainsToVPCOnly bool
	// JobLookbackDays is how far back a backfill reports finished jobs
	// (EnvJobLookbackDays); jobs still running are always acted on.
	JobLookbackDays int
	// PresignedURLAllowedSources are the interface VPC endpoints (vpce-...),
	// VPCs (vpc-...) and CIDRs presigned URL calls may come from
	// (EnvPresignedURLAllowedSources); empty: any interface endpoint.
	PresignedURLAllowedSources []string
	// A backfill has no event to name who created what already exists; it
	// can look the creating call up in CloudTrail.
	CreatorLookup    bool // EnvCreatorLookup: look up the creators of NON_COMPLIANT resources
	CreatorLookupMax int  // EnvCreatorLookupMax: LookupEvents calls per run at most
	// TrailBucket is s3://bucket/prefix of a trail's log files, read for
	// creators older than the event history's 90 days (EnvTrailBucket).
	TrailBucket       string
	CreatorGuardrails bool // EnvCreatorGuardrails: enforce attaches the guardrail to creators found
	CreatorMaxAgeDays int  // EnvCreatorMaxAgeDays: only to creators whose call is this recent

	// An organization's backfill asks an AWS Config aggregator first when
	// one is named (EnvConfigAggregator); its shards are the accounts times
	// BackfillRegions unless told (EnvBackfillRegions: the governed
	// Regions); its plans and records are kept in RunsBucket (EnvRunsBucket).
	ConfigAggregator string
	BackfillRegions  []string
	RunsBucket       string
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		RuleModes:           map[string]mode.Mode{},
		Sinks:               []string{SinkSecurityHub},
		ExemptTagKey:        "vpcguard:exempt",
		FindingTagKey:       "vpcguard:finding",
		RecheckDelaySeconds: 120,
		RecheckMaxAttempts:  10,
		Concurrency:         16,
		JobLookbackDays:     7,
		CreatorLookupMax:    1000,
		CreatorMaxAgeDays:   90,
	}
}

// FromEnv reads the configuration from environment variables over the
// defaults, and validates it.
func FromEnv() (Config, error) { return FromLookup(os.LookupEnv) }

// FromLookup is FromEnv with the environment supplied, for tests.
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	c := Default()
	var errs []error
	str := func(name string, dst *string) {
		if v, ok := lookup(name); ok {
			*dst = strings.TrimSpace(v)
		}
	}
	boolean := func(name string, dst *bool) {
		if v, ok := lookup(name); ok && strings.TrimSpace(v) != "" {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not true or false", name, v))
				return
			}
			*dst = b
		}
	}
	integer := func(name string, dst *int) {
		if v, ok := lookup(name); ok && strings.TrimSpace(v) != "" {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a whole number", name, v))
				return
			}
			*dst = n
		}
	}
	list := func(name string, dst *[]string) {
		if v, ok := lookup(name); ok {
			*dst = SplitList(v)
		}
	}
	var m string
	str(EnvMode, &m)
	if m != "" {
		c.Mode = mode.Mode(strings.ToLower(m))
	}
	if v, ok := lookup(EnvRuleModes); ok {
		rm, err := ParseRuleModes(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvRuleModes, err))
		}
		c.RuleModes = rm
	}
	boolean(EnvDryRun, &c.DryRun)
	list(EnvSinks, &c.Sinks)
	str(EnvSNSTopicARN, &c.SNSTopicARN)
	str(EnvExemptTagKey, &c.ExemptTagKey)
	str(EnvFindingTagKey, &c.FindingTagKey)
	list(EnvProtectedPrincipals, &c.ProtectedPrincipals)
	str(EnvGuardrailARN, &c.GuardrailARN)
	boolean(EnvDeleteNoncompliantModels, &c.DeleteNoncompliantModels)
	str(EnvEndpointPolicy, &c.EndpointPolicy)
	str(EnvRecheckQueueURL, &c.RecheckQueueURL)
	integer(EnvRecheckDelaySeconds, &c.RecheckDelaySeconds)
	integer(EnvRecheckMaxAttempts, &c.RecheckMaxAttempts)
	str(EnvAssumeRoleName, &c.AssumeRoleName)
	integer(EnvConcurrency, &c.Concurrency)
	boolean(EnvSwitchDomainsToVPCOnly, &c.SwitchDomainsToVPCOnly)
	integer(EnvJobLookbackDays, &c.JobLookbackDays)
	list(EnvPresignedURLAllowedSources, &c.PresignedURLAllowedSources)
	boolean(EnvCreatorLookup, &c.CreatorLookup)
	integer(EnvCreatorLookupMax, &c.CreatorLookupMax)
	str(EnvTrailBucket, &c.TrailBucket)
	boolean(EnvCreatorGuardrails, &c.CreatorGuardrails)
	integer(EnvCreatorMaxAgeDays, &c.CreatorMaxAgeDays)
	str(EnvConfigAggregator, &c.ConfigAggregator)
	list(EnvBackfillRegions, &c.BackfillRegions)
	str(EnvRunsBucket, &c.RunsBucket)
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	return c, c.Validate()
}

// Validate checks the configuration and names the variable at fault.
func (c Config) Validate() error {
	var errs []error
	if c.Mode != "" && !c.Mode.Valid() {
		errs = append(errs, fmt.Errorf("%s: %q is not %s", EnvMode, c.Mode, modeNames()))
	}
	known := rules.Names(rules.All())
	for rule, m := range c.RuleModes {
		if !slices.Contains(known, rule) {
			errs = append(errs, fmt.Errorf("%s: unknown rule %q (known: %s)", EnvRuleModes, rule, strings.Join(known, ", ")))
		}
		if !m.Valid() {
			errs = append(errs, fmt.Errorf("%s: %s=%q is not %s", EnvRuleModes, rule, m, modeNames()))
		}
	}
	for _, s := range c.Sinks {
		if !slices.Contains(Sinks, s) {
			errs = append(errs, fmt.Errorf("%s: unknown sink %q (known: %s)", EnvSinks, s, strings.Join(Sinks, ", ")))
		}
	}
	if slices.Contains(c.Sinks, SinkSNS) && c.SNSTopicARN == "" && c.anyRuleTickets() {
		errs = append(errs, fmt.Errorf("%s: required when %s includes sns", EnvSNSTopicARN, EnvSinks))
	}
	if c.ExemptTagKey == "" {
		errs = append(errs, fmt.Errorf("%s: must not be empty", EnvExemptTagKey))
	}
	if c.FindingTagKey == "" {
		errs = append(errs, fmt.Errorf("%s: must not be empty", EnvFindingTagKey))
	}
	for _, p := range c.ProtectedPrincipals {
		if !strings.HasPrefix(p, "arn:") && p != "*" {
			errs = append(errs, fmt.Errorf("%s: %q is not an ARN pattern (arn:...)", EnvProtectedPrincipals, p))
		}
	}
	if c.RecheckDelaySeconds < 0 || c.RecheckDelaySeconds > 900 {
		errs = append(errs, fmt.Errorf("%s: %d is outside SQS's 0..900", EnvRecheckDelaySeconds, c.RecheckDelaySeconds))
	}
	if c.RecheckMaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("%s: %d must be at least 1", EnvRecheckMaxAttempts, c.RecheckMaxAttempts))
	}
	if c.Concurrency < 1 || c.Concurrency > 256 {
		errs = append(errs, fmt.Errorf("%s: %d is outside 1..256", EnvConcurrency, c.Concurrency))
	}
	if c.JobLookbackDays < 0 || c.JobLookbackDays > MaxJobLookbackDays {
		errs = append(errs, fmt.Errorf("%s: %d is outside 0..%d", EnvJobLookbackDays, c.JobLookbackDays, MaxJobLookbackDays))
	}
	if _, err := rules.ParseSourceAllowList(c.PresignedURLAllowedSources); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvPresignedURLAllowedSources, err))
	} else if p, _ := rules.GuardrailPolicy(rules.Configured(rules.All(), c.RuleSettings())); len(p.Document()) > guardrail.MaxSize {
		// The endpoints and VPCs go into the one guardrail policy.
		errs = append(errs, fmt.Errorf("%s: %d entries make the guardrail policy %d characters; IAM allows %d",
			EnvPresignedURLAllowedSources, len(c.PresignedURLAllowedSources), len(p.Document()), guardrail.MaxSize))
	}
	errs = append(errs, c.validateCreators()...)
	for _, r := range c.BackfillRegions {
		if !regionName.MatchString(r) {
			errs = append(errs, fmt.Errorf("%s: %q is not a Region name", EnvBackfillRegions, r))
		}
	}
	if c.ConfigAggregator != "" && !aggregatorName.MatchString(c.ConfigAggregator) {
		errs = append(errs, fmt.Errorf("%s: %q is not a Config aggregator name (1-256 of A-Z a-z 0-9 _ -)", EnvConfigAggregator, c.ConfigAggregator))
	}
	return errors.Join(errs...)
}

var (
	regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	// aggregatorName is AWS Config's ConfigurationAggregatorName pattern.
	aggregatorName = regexp.MustCompile(`^[\w\-]{1,256}$`)
)

// validateCreators checks the creator lookup's settings: each of the
// others only means something with the lookup on, so setting one alone is
// a mistake worth naming rather than a silent no-op.
func (c Config) validateCreators() []error {
	var errs []error
	if c.CreatorLookupMax < 1 {
		errs = append(errs, fmt.Errorf("%s: %d must be at least 1", EnvCreatorLookupMax, c.CreatorLookupMax))
	}
	if c.CreatorMaxAgeDays < 1 {
		errs = append(errs, fmt.Errorf("%s: %d must be at least 1", EnvCreatorMaxAgeDays, c.CreatorMaxAgeDays))
	}
	if c.TrailBucket != "" {
		bucket, _, _ := strings.Cut(strings.TrimPrefix(c.TrailBucket, "s3://"), "/")
		if !strings.HasPrefix(c.TrailBucket, "s3://") || bucket == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not s3://bucket or s3://bucket/prefix", EnvTrailBucket, c.TrailBucket))
		}
	}
	if !c.CreatorLookup {
		if c.TrailBucket != "" {
			errs = append(errs, fmt.Errorf("%s: set, but %s is off: the bucket is only read to look creators up", EnvTrailBucket, EnvCreatorLookup))
		}
		if c.CreatorGuardrails {
			errs = append(errs, fmt.Errorf("%s: on, but %s is off: no creator is looked up to attach it to", EnvCreatorGuardrails, EnvCreatorLookup))
		}
	}
	return errs
}

// RuleSettings are the settings the rules decide with (rules.Configured).
// Validate has checked them.
func (c Config) RuleSettings() rules.Settings {
	allowed, _ := rules.ParseSourceAllowList(c.PresignedURLAllowedSources)
	return rules.Settings{PresignedURLSources: allowed}
}

// modeNames is "report, ticket or enforce".
func modeNames() string {
	return string(mode.Report) + ", " + string(mode.Ticket) + " or " + string(mode.Enforce)
}

// anyRuleTickets reports whether some rule's mode opens tickets.
func (c Config) anyRuleTickets() bool {
	for _, r := range rules.All() {
		if c.ModeFor(r).Tickets() {
			return true
		}
	}
	return false
}

// ModeFor returns a rule's mode: its VPCGUARD_RULE_MODES entry, else
// VPCGUARD_MODE, else the rule's own default.
func (c Config) ModeFor(r rules.Rule) mode.Mode {
	if m, ok := c.RuleModes[r.Name()]; ok {
		return m
	}
	if c.Mode != "" {
		return c.Mode
	}
	return r.DefaultMode()
}

// Protected reports whether a principal ARN matches a protected pattern.
func (c Config) Protected(principal string) (pattern string, ok bool) {
	for _, p := range c.ProtectedPrincipals {
		if Wildcard(p, principal) {
			return p, true
		}
	}
	return "", false
}

// ParseRuleModes reads "rule=mode,rule=mode".
func ParseRuleModes(s string) (map[string]mode.Mode, error) {
	out := map[string]mode.Mode{}
	for _, item := range SplitList(s) {
		rule, m, ok := strings.Cut(item, "=")
		if !ok {
			return out, fmt.Errorf("%q is not rule=mode", item)
		}
		out[strings.TrimSpace(rule)] = mode.Mode(strings.ToLower(strings.TrimSpace(m)))
	}
	return out, nil
}

// SplitList splits a comma-separated list, dropping blanks.
func SplitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Wildcard matches s against pattern, where * stands for any run of
// characters, "/" included (ARN paths), and every other character for itself.
func Wildcard(pattern, s string) bool {
	for {
		star := strings.IndexByte(pattern, '*')
		if star < 0 {
			return pattern == s
		}
		if !strings.HasPrefix(s, pattern[:star]) {
			return false
		}
		s, pattern = s[star:], pattern[star+1:]
		if pattern == "" {
			return true
		}
		next := strings.IndexByte(pattern, '*')
		lit := pattern
		if next >= 0 {
			lit = pattern[:next]
		}
		if next < 0 {
			return strings.HasSuffix(s, lit)
		}
		i := strings.Index(s, lit)
		if i < 0 {
			return false
		}
		s, pattern = s[i+len(lit):], pattern[len(lit):]
	}
}
