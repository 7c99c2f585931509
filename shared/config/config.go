// Package config is vpcguard's configuration: one struct, read once from the
// environment (set by the CDK stack for the Lambdas), overridden by flags in
// the CLI, and validated before anything runs.
package config

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Mode is what vpcguard does about a NON_COMPLIANT finding.
type Mode string

const (
	Report  Mode = "report"  // log and emit the finding; change nothing
	Ticket  Mode = "ticket"  // report, and open or update a ticket
	Enforce Mode = "enforce" // ticket, and remediate
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == Report || m == Ticket || m == Enforce }

// Tickets reports whether m opens tickets.
func (m Mode) Tickets() bool { return m == Ticket || m == Enforce }

// Remediates reports whether m changes resources.
func (m Mode) Remediates() bool { return m == Enforce }

// Sink names.
const (
	SinkSecurityHub = "securityhub"
	SinkOpsCenter   = "opscenter"
	SinkSNS         = "sns"
)

// Config is every setting vpcguard reads. The env tag names the variable.
type Config struct {
	Mode      Mode            `env:"VPCGUARD_MODE"`       // default mode for every rule
	RuleModes map[string]Mode `env:"VPCGUARD_RULE_MODES"` // per-rule overrides: rule=mode,...
	DryRun    bool            `env:"VPCGUARD_DRY_RUN"`    // walk the enforce path, stop before every write

	Sinks       []string `env:"VPCGUARD_SINKS"` // securityhub, opscenter, sns
	SNSTopicARN string   `env:"VPCGUARD_SNS_TOPIC_ARN"`

	ExemptTagKey  string `env:"VPCGUARD_EXEMPT_TAG_KEY"`
	FindingTagKey string `env:"VPCGUARD_FINDING_TAG_KEY"`
	// ProtectedPrincipals are ARN patterns (* matches any run of characters)
	// that never get a guardrail attached.
	ProtectedPrincipals []string `env:"VPCGUARD_PROTECTED_PRINCIPALS"`

	ModelGuardrailARN    string `env:"VPCGUARD_MODEL_GUARDRAIL_ARN"`
	NotebookGuardrailARN string `env:"VPCGUARD_NOTEBOOK_GUARDRAIL_ARN"`

	DeleteNoncompliantModels bool   `env:"VPCGUARD_DELETE_NONCOMPLIANT_MODELS"`
	EndpointPolicy           string `env:"VPCGUARD_ENDPOINT_POLICY"` // replaces a full-access endpoint policy when set

	RecheckQueueURL     string `env:"VPCGUARD_RECHECK_QUEUE_URL"`
	RecheckDelaySeconds int    `env:"VPCGUARD_RECHECK_DELAY_SECONDS"`
	RecheckMaxAttempts  int    `env:"VPCGUARD_RECHECK_MAX_ATTEMPTS"`

	AssumeRoleName string `env:"VPCGUARD_ASSUME_ROLE_NAME"` // backfill: role to assume in other accounts
	Concurrency    int    `env:"VPCGUARD_CONCURRENCY"`      // backfill worker pool size

	LogLevel string `env:"VPCGUARD_LOG_LEVEL"`
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Mode:                Ticket,
		RuleModes:           map[string]Mode{},
		Sinks:               []string{SinkSecurityHub},
		ExemptTagKey:        "vpcguard:exempt",
		FindingTagKey:       "vpcguard:finding",
		RecheckDelaySeconds: 120,
		RecheckMaxAttempts:  10,
		Concurrency:         16,
		LogLevel:            "info",
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
	var mode string
	str("VPCGUARD_MODE", &mode)
	if mode != "" {
		c.Mode = Mode(strings.ToLower(mode))
	}
	if v, ok := lookup("VPCGUARD_RULE_MODES"); ok {
		m, err := ParseRuleModes(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("VPCGUARD_RULE_MODES: %w", err))
		}
		c.RuleModes = m
	}
	boolean("VPCGUARD_DRY_RUN", &c.DryRun)
	list("VPCGUARD_SINKS", &c.Sinks)
	str("VPCGUARD_SNS_TOPIC_ARN", &c.SNSTopicARN)
	str("VPCGUARD_EXEMPT_TAG_KEY", &c.ExemptTagKey)
	str("VPCGUARD_FINDING_TAG_KEY", &c.FindingTagKey)
	list("VPCGUARD_PROTECTED_PRINCIPALS", &c.ProtectedPrincipals)
	str("VPCGUARD_MODEL_GUARDRAIL_ARN", &c.ModelGuardrailARN)
	str("VPCGUARD_NOTEBOOK_GUARDRAIL_ARN", &c.NotebookGuardrailARN)
	boolean("VPCGUARD_DELETE_NONCOMPLIANT_MODELS", &c.DeleteNoncompliantModels)
	str("VPCGUARD_ENDPOINT_POLICY", &c.EndpointPolicy)
	str("VPCGUARD_RECHECK_QUEUE_URL", &c.RecheckQueueURL)
	integer("VPCGUARD_RECHECK_DELAY_SECONDS", &c.RecheckDelaySeconds)
	integer("VPCGUARD_RECHECK_MAX_ATTEMPTS", &c.RecheckMaxAttempts)
	str("VPCGUARD_ASSUME_ROLE_NAME", &c.AssumeRoleName)
	integer("VPCGUARD_CONCURRENCY", &c.Concurrency)
	str("VPCGUARD_LOG_LEVEL", &c.LogLevel)
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	return c, c.Validate()
}

// KnownRules lists the rule names a RuleModes key may use. It is set by the
// rules package's users (kept here as data to avoid an import cycle).
var KnownRules = []string{"sagemaker-model-in-vpc", "sagemaker-vpc-endpoint-private-dns", "sagemaker-notebook-no-direct-internet-access"}

// Validate checks the configuration and names the variable at fault.
func (c Config) Validate() error {
	var errs []error
	if !c.Mode.Valid() {
		errs = append(errs, fmt.Errorf("VPCGUARD_MODE: %q is not report, ticket or enforce", c.Mode))
	}
	for rule, m := range c.RuleModes {
		if !slices.Contains(KnownRules, rule) {
			errs = append(errs, fmt.Errorf("VPCGUARD_RULE_MODES: unknown rule %q (known: %s)", rule, strings.Join(KnownRules, ", ")))
		}
		if !m.Valid() {
			errs = append(errs, fmt.Errorf("VPCGUARD_RULE_MODES: %s=%q is not report, ticket or enforce", rule, m))
		}
	}
	for _, s := range c.Sinks {
		if s != SinkSecurityHub && s != SinkOpsCenter && s != SinkSNS {
			errs = append(errs, fmt.Errorf("VPCGUARD_SINKS: unknown sink %q (known: securityhub, opscenter, sns)", s))
		}
	}
	if slices.Contains(c.Sinks, SinkSNS) && c.SNSTopicARN == "" && c.anyMode(Mode.Tickets) {
		errs = append(errs, errors.New("VPCGUARD_SNS_TOPIC_ARN: required when VPCGUARD_SINKS includes sns"))
	}
	if c.ExemptTagKey == "" {
		errs = append(errs, errors.New("VPCGUARD_EXEMPT_TAG_KEY: must not be empty"))
	}
	if c.FindingTagKey == "" {
		errs = append(errs, errors.New("VPCGUARD_FINDING_TAG_KEY: must not be empty"))
	}
	for _, p := range c.ProtectedPrincipals {
		if !strings.HasPrefix(p, "arn:") && p != "*" {
			errs = append(errs, fmt.Errorf("VPCGUARD_PROTECTED_PRINCIPALS: %q is not an ARN pattern (arn:...)", p))
		}
	}
	if c.RecheckDelaySeconds < 0 || c.RecheckDelaySeconds > 900 {
		errs = append(errs, fmt.Errorf("VPCGUARD_RECHECK_DELAY_SECONDS: %d is outside SQS's 0..900", c.RecheckDelaySeconds))
	}
	if c.RecheckMaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("VPCGUARD_RECHECK_MAX_ATTEMPTS: %d must be at least 1", c.RecheckMaxAttempts))
	}
	if c.Concurrency < 1 || c.Concurrency > 256 {
		errs = append(errs, fmt.Errorf("VPCGUARD_CONCURRENCY: %d is outside 1..256", c.Concurrency))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("VPCGUARD_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

func (c Config) anyMode(pred func(Mode) bool) bool {
	if pred(c.Mode) {
		return true
	}
	for _, m := range c.RuleModes {
		if pred(m) {
			return true
		}
	}
	return false
}

// ModeFor returns the mode of a rule.
func (c Config) ModeFor(rule string) Mode {
	if m, ok := c.RuleModes[rule]; ok {
		return m
	}
	return c.Mode
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
func ParseRuleModes(s string) (map[string]Mode, error) {
	out := map[string]Mode{}
	for _, item := range SplitList(s) {
		rule, mode, ok := strings.Cut(item, "=")
		if !ok {
			return out, fmt.Errorf("%q is not rule=mode", item)
		}
		out[strings.TrimSpace(rule)] = Mode(strings.ToLower(strings.TrimSpace(mode)))
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
