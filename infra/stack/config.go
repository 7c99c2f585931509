package stack

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/rules"
)

const (
	defaultSinks       = "securityhub,sns"
	maxSQSDelaySeconds = 900
)

var (
	// IAM role names: what sts:AssumeRole's resource can name without widening it.
	roleNamePattern = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	// EventBridge schedule expressions accepted by events.Schedule.expression.
	schedulePattern = regexp.MustCompile(`^(rate|cron)\(.+\)$`)
	// Lambda's application log levels, by the names the logLevel context key takes.
	logLevels = map[string]awslambda.ApplicationLogLevel{
		"trace": awslambda.ApplicationLogLevel_TRACE, "debug": awslambda.ApplicationLogLevel_DEBUG,
		"info": awslambda.ApplicationLogLevel_INFO, "warn": awslambda.ApplicationLogLevel_WARN,
		"error": awslambda.ApplicationLogLevel_ERROR, "fatal": awslambda.ApplicationLogLevel_FATAL,
	}
)

// Config is everything the stack reads from CDK context (cdk.json defaults, -c overrides).
// Field comments name the context key.
type Config struct {
	StackName                   string   // stackName
	AssetDir                    string   // assetDir: holds <function>/bootstrap from `make build`
	Mode                        string   // mode: "" keeps each rule's default
	RuleModes                   string   // ruleModes: "rule=mode,..."
	DryRun                      bool     // dryRun
	Sinks                       []string // sinks: comma list
	ExemptTagKey                string   // exemptTagKey
	ProtectedPrincipals         []string // protectedPrincipals: comma list of ARN patterns
	DeleteNoncompliantModels    bool     // deleteNoncompliantModels
	RecheckDelaySeconds         int      // recheckDelaySeconds
	RecheckMaxAttempts          int      // recheckMaxAttempts
	AssumeRoleName              string   // assumeRoleName: enables cross-account backfill
	BackfillConcurrency         int      // backfillConcurrency
	BackfillSchedule            string   // backfillSchedule: "" means manual invocation only
	LogRetentionDays            int      // logRetentionDays
	ReservedConcurrency         int      // reservedConcurrency: per guard; 0 leaves it unreserved
	BackfillReservedConcurrency int      // backfillReservedConcurrency; 0 leaves it unreserved
	Tracing                     bool     // tracing
	NotificationEmail           string   // notificationEmail
	SeparateNotificationTopic   bool     // separateNotificationTopic
	CreateTrail                 bool     // createTrail
	LogLevel                    string   // logLevel: the functions' application log level
	SwitchDomainsToVPCOnly      bool     // switchDomainsToVpcOnly: enforce may switch Studio domains to VpcOnly
	JobLookbackDays             int      // jobLookbackDays: how far back a backfill reports finished jobs
	PresignedURLAllowedSources  []string // presignedUrlAllowedSources: vpce-..., vpc-... and CIDRs
	Organization                Organization

	// The backfill's lookup of who created what already exists.
	LookupCreators    bool   // lookupCreators: grants cloudtrail:LookupEvents
	CreatorLookupMax  int    // creatorLookupMax: LookupEvents calls per run
	TrailBucket       string // trailBucket: s3://bucket/prefix; grants s3:ListBucket and s3:GetObject on it
	CreatorGuardrails bool   // creatorGuardrails
	CreatorMaxAgeDays int    // creatorMaxAgeDays

	// The organization backfill (orgbackfill.go): its state machine's
	// Distributed Map and the AWS Config aggregator it asks first.
	BackfillMaxConcurrency          int    // backfillMaxConcurrency: shards at once
	BackfillToleratedFailurePercent int    // backfillToleratedFailurePercent: shards that may fail before the run fails
	ConfigAggregator                string // configAggregator: the aggregator's name, "" none
	ConfigAggregatorARN             string // configAggregatorArn: its ARN (required with configAggregator); grants config:SelectAggregateResourceConfig on it
}

// DefaultConfig is the configuration cdk.json ships with.
func DefaultConfig() Config {
	return Config{
		StackName:                   "VpcGuard",
		AssetDir:                    "build",
		Sinks:                       config.SplitList(defaultSinks),
		ExemptTagKey:                config.Default().ExemptTagKey,
		RecheckDelaySeconds:         120,
		RecheckMaxAttempts:          10,
		BackfillConcurrency:         16,
		LogRetentionDays:            90,
		ReservedConcurrency:         10,
		BackfillReservedConcurrency: 1,
		LogLevel:                    "info",
		JobLookbackDays:             config.Default().JobLookbackDays,
		CreatorLookupMax:            config.Default().CreatorLookupMax,
		CreatorMaxAgeDays:           config.Default().CreatorMaxAgeDays,
		Organization:                DefaultOrganization(),

		BackfillMaxConcurrency:          10,
		BackfillToleratedFailurePercent: 10,
	}
}

// ConfigFromContext reads the configuration from the construct tree's context, starting
// from DefaultConfig, and validates it. Context values arrive as JSON types from cdk.json
// and as strings from `-c key=value`; both are accepted.
func ConfigFromContext(node constructs.Node) (Config, error) {
	c, _, err := readContext(node)
	return c, err
}

// ContextKeys are the context keys the configuration is read from, in the
// order ConfigFromContext reads them: cdk.json and the README list each.
func ContextKeys() []string {
	_, keys, _ := readContext(awscdk.NewApp(nil).Node())
	return keys
}

func readContext(node constructs.Node) (Config, []string, error) {
	c := DefaultConfig()
	r := contextReader{node: node}
	r.str("stackName", &c.StackName)
	r.str("assetDir", &c.AssetDir)
	r.str("mode", &c.Mode)
	r.str("ruleModes", &c.RuleModes)
	r.boolean("dryRun", &c.DryRun)
	r.list("sinks", &c.Sinks)
	r.str("exemptTagKey", &c.ExemptTagKey)
	r.list("protectedPrincipals", &c.ProtectedPrincipals)
	r.boolean("deleteNoncompliantModels", &c.DeleteNoncompliantModels)
	r.integer("recheckDelaySeconds", &c.RecheckDelaySeconds)
	r.integer("recheckMaxAttempts", &c.RecheckMaxAttempts)
	r.str("assumeRoleName", &c.AssumeRoleName)
	r.integer("backfillConcurrency", &c.BackfillConcurrency)
	r.str("backfillSchedule", &c.BackfillSchedule)
	r.integer("logRetentionDays", &c.LogRetentionDays)
	r.integer("reservedConcurrency", &c.ReservedConcurrency)
	r.integer("backfillReservedConcurrency", &c.BackfillReservedConcurrency)
	r.boolean("tracing", &c.Tracing)
	r.str("notificationEmail", &c.NotificationEmail)
	r.boolean("separateNotificationTopic", &c.SeparateNotificationTopic)
	r.boolean("createTrail", &c.CreateTrail)
	r.str("logLevel", &c.LogLevel)
	r.boolean("switchDomainsToVpcOnly", &c.SwitchDomainsToVPCOnly)
	r.integer("jobLookbackDays", &c.JobLookbackDays)
	r.list("presignedUrlAllowedSources", &c.PresignedURLAllowedSources)
	r.boolean("lookupCreators", &c.LookupCreators)
	r.integer("creatorLookupMax", &c.CreatorLookupMax)
	r.str("trailBucket", &c.TrailBucket)
	r.boolean("creatorGuardrails", &c.CreatorGuardrails)
	r.integer("creatorMaxAgeDays", &c.CreatorMaxAgeDays)
	r.str("organizationId", &c.Organization.ID)
	r.str("managementAccount", &c.Organization.ManagementAccount)
	r.str("centralAccount", &c.Organization.CentralAccount)
	r.str("homeRegion", &c.Organization.HomeRegion)
	r.list("governedRegions", &c.Organization.GovernedRegions)
	r.list("targetOUs", &c.Organization.TargetOUs)
	r.str("memberRoleName", &c.Organization.MemberRoleName)
	r.str("centralBusName", &c.Organization.BusName)
	r.integer("backfillMaxConcurrency", &c.BackfillMaxConcurrency)
	r.integer("backfillToleratedFailurePercent", &c.BackfillToleratedFailurePercent)
	r.str("configAggregator", &c.ConfigAggregator)
	r.str("configAggregatorArn", &c.ConfigAggregatorARN)
	if r.err != nil {
		return Config{}, r.keys, r.err
	}
	if err := c.Validate(); err != nil {
		return Config{}, r.keys, err
	}
	return c, r.keys, nil
}

// Validate reports the first invalid setting, naming its context key.
func (c Config) Validate() error {
	if c.StackName == "" {
		return fmt.Errorf("context stackName: must not be empty")
	}
	if c.AssetDir == "" {
		return fmt.Errorf("context assetDir: must not be empty")
	}
	if c.Mode != "" && !mode.Mode(c.Mode).Valid() {
		return fmt.Errorf("context mode: %q is not one of report, ticket, enforce (or empty: each rule's default)", c.Mode)
	}
	if _, err := ParseRuleModes(c.RuleModes); err != nil {
		return fmt.Errorf("context ruleModes: %w", err)
	}
	if len(c.Sinks) == 0 {
		return fmt.Errorf("context sinks: must name at least one of %s", strings.Join(config.Sinks, ", "))
	}
	for _, s := range c.Sinks {
		if !slices.Contains(config.Sinks, s) {
			return fmt.Errorf("context sinks: %q is not one of %s", s, strings.Join(config.Sinks, ", "))
		}
	}
	if c.ExemptTagKey == "" {
		return fmt.Errorf("context exemptTagKey: must not be empty")
	}
	for _, p := range c.ProtectedPrincipals {
		if !strings.HasPrefix(p, "arn:") {
			return fmt.Errorf("context protectedPrincipals: %q is not an ARN pattern", p)
		}
	}
	if c.RecheckDelaySeconds < 0 || c.RecheckDelaySeconds > maxSQSDelaySeconds {
		return fmt.Errorf("context recheckDelaySeconds: %d is outside SQS's 0..%d", c.RecheckDelaySeconds, maxSQSDelaySeconds)
	}
	if c.RecheckMaxAttempts < 1 {
		return fmt.Errorf("context recheckMaxAttempts: %d must be at least 1", c.RecheckMaxAttempts)
	}
	if c.AssumeRoleName != "" && !roleNamePattern.MatchString(c.AssumeRoleName) {
		return fmt.Errorf("context assumeRoleName: %q is not an IAM role name", c.AssumeRoleName)
	}
	if c.BackfillConcurrency < 1 {
		return fmt.Errorf("context backfillConcurrency: %d must be at least 1", c.BackfillConcurrency)
	}
	if c.BackfillSchedule != "" && !schedulePattern.MatchString(c.BackfillSchedule) {
		return fmt.Errorf("context backfillSchedule: %q is not rate(...) or cron(...)", c.BackfillSchedule)
	}
	if _, ok := retentionDays[c.LogRetentionDays]; !ok {
		return fmt.Errorf("context logRetentionDays: %d is not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)", c.LogRetentionDays)
	}
	if c.ReservedConcurrency < 0 {
		return fmt.Errorf("context reservedConcurrency: %d must be 0 (unreserved) or more", c.ReservedConcurrency)
	}
	if c.BackfillReservedConcurrency < 0 {
		return fmt.Errorf("context backfillReservedConcurrency: %d must be 0 (unreserved) or more", c.BackfillReservedConcurrency)
	}
	if c.NotificationEmail != "" && !strings.Contains(c.NotificationEmail, "@") {
		return fmt.Errorf("context notificationEmail: %q is not an email address", c.NotificationEmail)
	}
	if _, ok := logLevels[c.LogLevel]; !ok {
		return fmt.Errorf("context logLevel: %q is not one of trace, debug, info, warn, error, fatal", c.LogLevel)
	}
	if c.JobLookbackDays < 0 || c.JobLookbackDays > config.MaxJobLookbackDays {
		return fmt.Errorf("context jobLookbackDays: %d is outside 0..%d", c.JobLookbackDays, config.MaxJobLookbackDays)
	}
	if _, err := rules.ParseSourceAllowList(c.PresignedURLAllowedSources); err != nil {
		return fmt.Errorf("context presignedUrlAllowedSources: %w", err)
	}
	if p, _ := rules.GuardrailPolicy(rules.Configured(rules.All(), c.Functions().RuleSettings())); len(p.Document()) > guardrail.MaxSize {
		return fmt.Errorf("context presignedUrlAllowedSources: the guardrail policy would be %d characters; IAM allows %d", len(p.Document()), guardrail.MaxSize)
	}
	if err := c.validateCreators(); err != nil {
		return err
	}
	if err := c.validateOrgBackfill(); err != nil {
		return err
	}
	return c.Organization.validate(c)
}

// aggregatorPattern is AWS Config's ConfigurationAggregatorName;
// aggregatorARNPattern its ConfigurationAggregatorArn (API Reference,
// ConfigurationAggregator), whose last part is an id Config generates, not
// the name: the API is called with the name, IAM authorizes the ARN.
var (
	aggregatorPattern    = regexp.MustCompile(`^[\w\-]{1,256}$`)
	aggregatorARNPattern = regexp.MustCompile(`^arn:aws[a-z\-]*:config:([a-z\-\d]+):(\d{12}):config-aggregator/config-aggregator-[a-z\d]+$`)
)

// maxMapConcurrency is the most child executions a Distributed Map runs at once.
const maxMapConcurrency = 10000

func (c Config) validateOrgBackfill() error {
	if c.BackfillMaxConcurrency < 1 || c.BackfillMaxConcurrency > maxMapConcurrency {
		return fmt.Errorf("context backfillMaxConcurrency: %d is outside 1..%d (a Distributed Map's child executions at once)", c.BackfillMaxConcurrency, maxMapConcurrency)
	}
	if c.BackfillToleratedFailurePercent < 0 || c.BackfillToleratedFailurePercent > 100 {
		return fmt.Errorf("context backfillToleratedFailurePercent: %d is outside 0..100", c.BackfillToleratedFailurePercent)
	}
	if c.ConfigAggregator != "" && !aggregatorPattern.MatchString(c.ConfigAggregator) {
		return fmt.Errorf("context configAggregator: %q is not a Config aggregator name (1-256 of A-Z a-z 0-9 _ -)", c.ConfigAggregator)
	}
	if c.ConfigAggregator != "" && !c.Organization.Enabled() {
		return fmt.Errorf("context configAggregator: only the organization backfill asks Config (set organizationId)")
	}
	return c.validateAggregatorARN()
}

// validateAggregatorARN: the grant names the aggregator by its ARN, which
// must be the central account's, in the home Region, where the orchestrator
// asks it.
func (c Config) validateAggregatorARN() error {
	switch {
	case c.ConfigAggregator == "" && c.ConfigAggregatorARN == "":
		return nil
	case c.ConfigAggregatorARN == "":
		return fmt.Errorf("context configAggregatorArn: required with configAggregator (aws configservice describe-configuration-aggregators --configuration-aggregator-names %s)", c.ConfigAggregator)
	case c.ConfigAggregator == "":
		return fmt.Errorf("context configAggregator: required with configAggregatorArn (the API takes the aggregator's name, which its ARN does not hold)")
	}
	m := aggregatorARNPattern.FindStringSubmatch(c.ConfigAggregatorARN)
	if m == nil {
		return fmt.Errorf("context configAggregatorArn: %q is not an aggregator ARN (arn:aws:config:REGION:ACCOUNT:config-aggregator/config-aggregator-...)", c.ConfigAggregatorARN)
	}
	if region, account := m[1], m[2]; account != c.Organization.CentralAccount || region != c.Organization.HomeRegion {
		return fmt.Errorf("context configAggregatorArn: %q is in account %s, Region %s; the orchestrator asks the central account's aggregator in the home Region (%s, %s)",
			c.ConfigAggregatorARN, account, region, c.Organization.CentralAccount, c.Organization.HomeRegion)
	}
	return nil
}

// bucketNamePattern is an S3 bucket name: it goes into the grants' ARNs.
var bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func (c Config) validateCreators() error {
	if c.CreatorLookupMax < 1 {
		return fmt.Errorf("context creatorLookupMax: %d must be at least 1", c.CreatorLookupMax)
	}
	if c.CreatorMaxAgeDays < 1 {
		return fmt.Errorf("context creatorMaxAgeDays: %d must be at least 1", c.CreatorMaxAgeDays)
	}
	if c.TrailBucket != "" {
		if bucket, _ := c.trailBucket(); !strings.HasPrefix(c.TrailBucket, "s3://") || !bucketNamePattern.MatchString(bucket) {
			return fmt.Errorf("context trailBucket: %q is not s3://bucket or s3://bucket/prefix", c.TrailBucket)
		}
	}
	if !c.LookupCreators && c.TrailBucket != "" {
		return fmt.Errorf("context trailBucket: set, but lookupCreators is false: the bucket is only read to look creators up")
	}
	if !c.LookupCreators && c.CreatorGuardrails {
		return fmt.Errorf("context creatorGuardrails: true, but lookupCreators is false: no creator is looked up to attach it to")
	}
	return nil
}

// trailBucket splits the trailBucket key into the bucket and the key prefix.
func (c Config) trailBucket() (bucket, prefix string) {
	bucket, prefix, _ = strings.Cut(strings.TrimPrefix(c.TrailBucket, "s3://"), "/")
	return bucket, prefix
}

// Functions is the functions' configuration the stack deploys: how modes
// resolve per rule is config.ModeFor's, not the stack's own.
func (c Config) Functions() config.Config {
	fc := config.Default()
	fc.Mode = mode.Mode(c.Mode)
	fc.RuleModes, _ = config.ParseRuleModes(c.RuleModes) // Validate checked it
	fc.PresignedURLAllowedSources = c.PresignedURLAllowedSources
	return fc
}

// HasSink reports whether findings go to the named ticket sink; permissions follow it.
func (c Config) HasSink(name string) bool { return slices.Contains(c.Sinks, name) }

// ParseRuleModes parses "rule=mode,..." as the functions read VPCGUARD_RULE_MODES, and
// checks each rule against the catalogue.
func ParseRuleModes(s string) (map[string]mode.Mode, error) {
	modes, err := config.ParseRuleModes(s)
	if err != nil {
		return nil, err
	}
	for rule, m := range modes {
		if rules.ByName(rule) == nil {
			return nil, fmt.Errorf("unknown rule %q (known: %s)", rule, strings.Join(rules.Names(rules.All()), ", "))
		}
		if !m.Valid() {
			return nil, fmt.Errorf("rule %s: %q is not one of report, ticket, enforce", rule, m)
		}
	}
	return modes, nil
}

// contextReader keeps the first error so ConfigFromContext reads as a list of keys.
type contextReader struct {
	node constructs.Node
	err  error
	keys []string // every key asked for
}

func (r *contextReader) value(key string) (any, bool) {
	r.keys = append(r.keys, key)
	v := r.node.TryGetContext(&key)
	return v, v != nil
}

func (r *contextReader) fail(key string, v any, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("context %s: %v is not %s", key, v, want)
	}
}

func (r *contextReader) str(key string, dst *string) {
	v, ok := r.value(key)
	if !ok {
		return
	}
	switch t := v.(type) {
	case string:
		*dst = strings.TrimSpace(t)
	case float64:
		*dst = strconv.FormatFloat(t, 'f', -1, 64)
	default:
		r.fail(key, v, "a string")
	}
}

func (r *contextReader) boolean(key string, dst *bool) {
	v, ok := r.value(key)
	if !ok {
		return
	}
	switch t := v.(type) {
	case bool:
		*dst = t
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(t))
		if err != nil {
			r.fail(key, v, "true or false")
			return
		}
		*dst = b
	default:
		r.fail(key, v, "true or false")
	}
}

func (r *contextReader) integer(key string, dst *int) {
	v, ok := r.value(key)
	if !ok {
		return
	}
	switch t := v.(type) {
	case float64:
		if t != float64(int(t)) {
			r.fail(key, v, "a whole number")
			return
		}
		*dst = int(t)
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil {
			r.fail(key, v, "a whole number")
			return
		}
		*dst = n
	default:
		r.fail(key, v, "a whole number")
	}
}

// list accepts a comma-separated string or a JSON array of strings.
func (r *contextReader) list(key string, dst *[]string) {
	v, ok := r.value(key)
	if !ok {
		return
	}
	switch t := v.(type) {
	case string:
		*dst = config.SplitList(t)
	case []any:
		out := make([]string, 0, len(t))
		for _, item := range t {
			s, ok := item.(string)
			if !ok {
				r.fail(key, v, "a list of strings")
				return
			}
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		*dst = out
	default:
		r.fail(key, v, "a comma-separated string or a list of strings")
	}
}
