package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// env is a fake environment for FromLookup.
func env(kv map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := kv[name]
		return v, ok
	}
}

func TestDefaults(t *testing.T) {
	c, err := FromLookup(env(nil))
	if err != nil {
		t.Fatalf("FromLookup(empty): got error %v; want nil", err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("FromLookup(empty): got %+v; want Default() %+v", c, Default())
	}
	want := Config{
		RuleModes: map[string]mode.Mode{}, Sinks: []string{SinkSecurityHub},
		ExemptTagKey: "vpcguard:exempt", FindingTagKey: "vpcguard:finding",
		RecheckDelaySeconds: 120, RecheckMaxAttempts: 10, Concurrency: 16, JobLookbackDays: 7,
		CreatorLookupMax: 1000, CreatorMaxAgeDays: 90,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("defaults: got %+v; want %+v", c, want)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate(): got %v; want nil", err)
	}
}

func TestEveryVariable(t *testing.T) {
	c, err := FromLookup(env(map[string]string{
		"VPCGUARD_MODE":                          " ENFORCE ",
		"VPCGUARD_RULE_MODES":                    "sagemaker-model-in-vpc=report, sagemaker-vpc-endpoint-private-dns = Enforce",
		"VPCGUARD_DRY_RUN":                       "true",
		"VPCGUARD_SINKS":                         "securityhub, opscenter,,sns",
		"VPCGUARD_SNS_TOPIC_ARN":                 " arn:aws:sns:us-east-1:111122223333:vpcguard ",
		"VPCGUARD_EXEMPT_TAG_KEY":                "exempt",
		"VPCGUARD_FINDING_TAG_KEY":               "finding",
		"VPCGUARD_PROTECTED_PRINCIPALS":          "arn:aws:iam::*:role/Admin, arn:aws:iam::111122223333:role/ops/*",
		"VPCGUARD_GUARDRAIL_ARN":                 "arn:aws:iam::111122223333:policy/vpcguard-guardrail",
		"VPCGUARD_DELETE_NONCOMPLIANT_MODELS":    "1",
		"VPCGUARD_ENDPOINT_POLICY":               `{"Statement":[]}`,
		"VPCGUARD_RECHECK_QUEUE_URL":             "https://sqs.us-east-1.amazonaws.com/111122223333/recheck",
		"VPCGUARD_RECHECK_DELAY_SECONDS":         "900",
		"VPCGUARD_RECHECK_MAX_ATTEMPTS":          " 3 ",
		"VPCGUARD_ASSUME_ROLE_NAME":              "VpcGuardAudit",
		"VPCGUARD_CONCURRENCY":                   "256",
		"VPCGUARD_CREATOR_LOOKUP":                "true",
		"VPCGUARD_CREATOR_LOOKUP_MAX":            "50",
		"VPCGUARD_TRAIL_BUCKET":                  " s3://org-trail-logs/central ",
		"VPCGUARD_CREATOR_GUARDRAILS":            "true",
		"VPCGUARD_CREATOR_MAX_AGE_DAYS":          "30",
		"VPCGUARD_SWITCH_DOMAINS_TO_VPC_ONLY":    "true",
		"VPCGUARD_JOB_LOOKBACK_DAYS":             "30",
		"VPCGUARD_PRESIGNED_URL_ALLOWED_SOURCES": "vpce-0a1b2c3d4e5f60001, vpc-0a1b2c3d, 10.20.0.0/16",
	}))
	if err != nil {
		t.Fatalf("FromLookup: got error %v; want nil", err)
	}
	want := Config{
		Mode:                       mode.Enforce,
		RuleModes:                  map[string]mode.Mode{"sagemaker-model-in-vpc": mode.Report, "sagemaker-vpc-endpoint-private-dns": mode.Enforce},
		DryRun:                     true,
		Sinks:                      []string{"securityhub", "opscenter", "sns"},
		SNSTopicARN:                "arn:aws:sns:us-east-1:111122223333:vpcguard",
		ExemptTagKey:               "exempt",
		FindingTagKey:              "finding",
		ProtectedPrincipals:        []string{"arn:aws:iam::*:role/Admin", "arn:aws:iam::111122223333:role/ops/*"},
		GuardrailARN:               "arn:aws:iam::111122223333:policy/vpcguard-guardrail",
		DeleteNoncompliantModels:   true,
		EndpointPolicy:             `{"Statement":[]}`,
		RecheckQueueURL:            "https://sqs.us-east-1.amazonaws.com/111122223333/recheck",
		RecheckDelaySeconds:        900,
		RecheckMaxAttempts:         3,
		AssumeRoleName:             "VpcGuardAudit",
		Concurrency:                256,
		CreatorLookup:              true,
		CreatorLookupMax:           50,
		TrailBucket:                "s3://org-trail-logs/central",
		CreatorGuardrails:          true,
		CreatorMaxAgeDays:          30,
		SwitchDomainsToVPCOnly:     true,
		JobLookbackDays:            30,
		PresignedURLAllowedSources: []string{"vpce-0a1b2c3d4e5f60001", "vpc-0a1b2c3d", "10.20.0.0/16"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("FromLookup:\ngot  %+v\nwant %+v", c, want)
	}
	if got := c.ModeFor(rules.ModelInVPC{}); got != mode.Report {
		t.Errorf("ModeFor(model): got %s; want report (the override)", got)
	}
	if got := c.ModeFor(rules.NotebookNoDirectInternet{}); got != mode.Enforce {
		t.Errorf("ModeFor(notebook): got %s; want enforce (VPCGUARD_MODE)", got)
	}
	allowed := c.RuleSettings().PresignedURLSources
	if !slices.Equal(allowed.Endpoints, []string{"vpce-0a1b2c3d4e5f60001"}) || !slices.Equal(allowed.VPCs, []string{"vpc-0a1b2c3d"}) ||
		len(allowed.CIDRs) != 1 || allowed.CIDRs[0].String() != "10.20.0.0/16" {
		t.Errorf("RuleSettings().PresignedURLSources: got %+v; want the endpoint, the VPC and the range", allowed)
	}
}

// reportByDefault is a catalogue rule whose own default is report.
type reportByDefault struct{ rules.Rule }

func (reportByDefault) DefaultMode() mode.Mode { return mode.Report }

// TestModePrecedence: a rule's VPCGUARD_RULE_MODES entry, else VPCGUARD_MODE,
// else the rule's own default.
func TestModePrecedence(t *testing.T) {
	quiet := reportByDefault{rules.ModelInVPC{}}
	tests := []struct {
		name      string
		mode      mode.Mode
		ruleModes map[string]mode.Mode
		want      mode.Mode
	}{
		{"nothing set: the rule's default", "", nil, mode.Report},
		{"VPCGUARD_MODE over the default", mode.Enforce, nil, mode.Enforce},
		{"the rule's entry over VPCGUARD_MODE", mode.Enforce, map[string]mode.Mode{quiet.Name(): mode.Ticket}, mode.Ticket},
		{"another rule's entry changes nothing", "", map[string]mode.Mode{"sagemaker-vpc-endpoint-private-dns": mode.Enforce}, mode.Report},
	}
	for _, tt := range tests {
		c := Default()
		c.Mode, c.RuleModes = tt.mode, tt.ruleModes
		if got := c.ModeFor(quiet); got != tt.want {
			t.Errorf("%s: ModeFor = %s; want %s", tt.name, got, tt.want)
		}
	}
}

// TestKnownRulesAreTheCatalogue: every catalogue rule can be given a mode, and
// nothing else can.
func TestKnownRulesAreTheCatalogue(t *testing.T) {
	for _, r := range rules.All() {
		if _, err := FromLookup(env(map[string]string{EnvRuleModes: r.Name() + "=enforce"})); err != nil {
			t.Errorf("%s=enforce: %v; want accepted", r.Name(), err)
		}
	}
	_, err := FromLookup(env(map[string]string{EnvRuleModes: "sagemaker-model-in-vpcc=enforce"}))
	if err == nil || !strings.Contains(err.Error(), "sagemaker-model-in-vpc,") {
		t.Errorf("misspelt rule: %v; want an error listing the known rules", err)
	}
}

// Empty values: blank booleans and numbers keep their defaults, an empty
// list empties the list, an empty string sets the string.
func TestEmptyValues(t *testing.T) {
	c, err := FromLookup(env(map[string]string{
		"VPCGUARD_MODE": "", "VPCGUARD_DRY_RUN": " ", "VPCGUARD_CONCURRENCY": "", "VPCGUARD_SINKS": "", "VPCGUARD_RULE_MODES": "",
	}))
	if err != nil {
		t.Fatalf("FromLookup: got error %v; want nil", err)
	}
	if c.Mode != "" || c.DryRun || c.Concurrency != 16 || len(c.Sinks) != 0 || len(c.RuleModes) != 0 {
		t.Errorf("got mode %q dryRun %v concurrency %d sinks %q ruleModes %v; want \"\" false 16 [] map[]", c.Mode, c.DryRun, c.Concurrency, c.Sinks, c.RuleModes)
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"mode", map[string]string{"VPCGUARD_MODE": "destroy"}, []string{"VPCGUARD_MODE", `"destroy"`}},
		{"dry run", map[string]string{"VPCGUARD_DRY_RUN": "maybe"}, []string{"VPCGUARD_DRY_RUN", `"maybe" is not true or false`}},
		{"delete models", map[string]string{"VPCGUARD_DELETE_NONCOMPLIANT_MODELS": "yes"}, []string{"VPCGUARD_DELETE_NONCOMPLIANT_MODELS"}},
		{"delay not a number", map[string]string{"VPCGUARD_RECHECK_DELAY_SECONDS": "2m"}, []string{"VPCGUARD_RECHECK_DELAY_SECONDS", "not a whole number"}},
		{"delay too long", map[string]string{"VPCGUARD_RECHECK_DELAY_SECONDS": "901"}, []string{"VPCGUARD_RECHECK_DELAY_SECONDS", "0..900"}},
		{"delay negative", map[string]string{"VPCGUARD_RECHECK_DELAY_SECONDS": "-1"}, []string{"VPCGUARD_RECHECK_DELAY_SECONDS"}},
		{"attempts zero", map[string]string{"VPCGUARD_RECHECK_MAX_ATTEMPTS": "0"}, []string{"VPCGUARD_RECHECK_MAX_ATTEMPTS", "at least 1"}},
		{"attempts not a number", map[string]string{"VPCGUARD_RECHECK_MAX_ATTEMPTS": "ten"}, []string{"VPCGUARD_RECHECK_MAX_ATTEMPTS"}},
		{"concurrency zero", map[string]string{"VPCGUARD_CONCURRENCY": "0"}, []string{"VPCGUARD_CONCURRENCY", "1..256"}},
		{"concurrency too high", map[string]string{"VPCGUARD_CONCURRENCY": "257"}, []string{"VPCGUARD_CONCURRENCY"}},
		{"concurrency a float", map[string]string{"VPCGUARD_CONCURRENCY": "1.5"}, []string{"VPCGUARD_CONCURRENCY", "whole number"}},
		{"unknown sink", map[string]string{"VPCGUARD_SINKS": "securityhub,jira"}, []string{"VPCGUARD_SINKS", `"jira"`}},
		{"sns without a topic", map[string]string{"VPCGUARD_SINKS": "sns"}, []string{"VPCGUARD_SNS_TOPIC_ARN", "required"}},
		{"empty exempt tag", map[string]string{"VPCGUARD_EXEMPT_TAG_KEY": " "}, []string{"VPCGUARD_EXEMPT_TAG_KEY", "empty"}},
		{"empty finding tag", map[string]string{"VPCGUARD_FINDING_TAG_KEY": ""}, []string{"VPCGUARD_FINDING_TAG_KEY"}},
		{"protected not an ARN", map[string]string{"VPCGUARD_PROTECTED_PRINCIPALS": "Admin"}, []string{"VPCGUARD_PROTECTED_PRINCIPALS", `"Admin"`}},
		{"rule modes not pairs", map[string]string{"VPCGUARD_RULE_MODES": "sagemaker-model-in-vpc"}, []string{"VPCGUARD_RULE_MODES", "not rule=mode"}},
		{"rule modes unknown rule", map[string]string{"VPCGUARD_RULE_MODES": "no-such-rule=report"}, []string{"VPCGUARD_RULE_MODES", `unknown rule "no-such-rule"`}},
		{"rule modes bad mode", map[string]string{"VPCGUARD_RULE_MODES": "sagemaker-model-in-vpc=loud"}, []string{"VPCGUARD_RULE_MODES", `"loud"`}},
		{"lookup cap zero", map[string]string{"VPCGUARD_CREATOR_LOOKUP_MAX": "0"}, []string{"VPCGUARD_CREATOR_LOOKUP_MAX", "at least 1"}},
		{"max age zero", map[string]string{"VPCGUARD_CREATOR_MAX_AGE_DAYS": "0"}, []string{"VPCGUARD_CREATOR_MAX_AGE_DAYS", "at least 1"}},
		{"trail bucket not s3", map[string]string{"VPCGUARD_CREATOR_LOOKUP": "true", "VPCGUARD_TRAIL_BUCKET": "org-trail-logs"}, []string{"VPCGUARD_TRAIL_BUCKET", "s3://bucket"}},
		{"trail bucket without a bucket", map[string]string{"VPCGUARD_CREATOR_LOOKUP": "true", "VPCGUARD_TRAIL_BUCKET": "s3:///logs"}, []string{"VPCGUARD_TRAIL_BUCKET"}},
		{"trail bucket without the lookup", map[string]string{"VPCGUARD_TRAIL_BUCKET": "s3://org-trail-logs"}, []string{"VPCGUARD_TRAIL_BUCKET", "VPCGUARD_CREATOR_LOOKUP is off"}},
		{"creator guardrails without the lookup", map[string]string{"VPCGUARD_CREATOR_GUARDRAILS": "true"}, []string{"VPCGUARD_CREATOR_GUARDRAILS", "VPCGUARD_CREATOR_LOOKUP is off"}},
		{"several at once", map[string]string{"VPCGUARD_MODE": "x", "VPCGUARD_CONCURRENCY": "0"}, []string{"VPCGUARD_MODE", "VPCGUARD_CONCURRENCY"}},
		{"switch domains", map[string]string{"VPCGUARD_SWITCH_DOMAINS_TO_VPC_ONLY": "on"}, []string{"VPCGUARD_SWITCH_DOMAINS_TO_VPC_ONLY"}},
		{"lookback negative", map[string]string{"VPCGUARD_JOB_LOOKBACK_DAYS": "-1"}, []string{"VPCGUARD_JOB_LOOKBACK_DAYS", "0..90"}},
		{"lookback too long", map[string]string{"VPCGUARD_JOB_LOOKBACK_DAYS": "91"}, []string{"VPCGUARD_JOB_LOOKBACK_DAYS"}},
		{"allowed source unknown", map[string]string{"VPCGUARD_PRESIGNED_URL_ALLOWED_SOURCES": "vpce-0a1b2c3d4e5f60001,sg-123"},
			[]string{"VPCGUARD_PRESIGNED_URL_ALLOWED_SOURCES", `"sg-123"`}},
		{"allowed sources too many for one policy", map[string]string{"VPCGUARD_PRESIGNED_URL_ALLOWED_SOURCES": manyEndpoints(250)},
			[]string{"VPCGUARD_PRESIGNED_URL_ALLOWED_SOURCES", "250 entries", "IAM allows 6144"}},
		{"allowed source bad CIDR", map[string]string{"VPCGUARD_PRESIGNED_URL_ALLOWED_SOURCES": "10.0.0.0/33"},
			[]string{"VPCGUARD_PRESIGNED_URL_ALLOWED_SOURCES", `"10.0.0.0/33"`}},
		{"parse errors reported together", map[string]string{"VPCGUARD_DRY_RUN": "x", "VPCGUARD_CONCURRENCY": "y"}, []string{"VPCGUARD_DRY_RUN", "VPCGUARD_CONCURRENCY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromLookup(env(tt.env))
			if err == nil {
				t.Fatalf("FromLookup(%v): got no error; want one naming %q", tt.env, tt.want)
			}
			for _, sub := range tt.want {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error: got %q; want it to contain %q", err, sub)
				}
			}
		})
	}
}

// SNS needs a topic only when some rule opens tickets.
func TestSNSTopicOnlyNeededForTickets(t *testing.T) {
	if _, err := FromLookup(env(map[string]string{"VPCGUARD_SINKS": "sns", "VPCGUARD_MODE": "report"})); err != nil {
		t.Errorf("sns sink in report mode without a topic: got %v; want nil", err)
	}
	_, err := FromLookup(env(map[string]string{"VPCGUARD_SINKS": "sns", "VPCGUARD_MODE": "report", "VPCGUARD_RULE_MODES": "sagemaker-model-in-vpc=enforce"}))
	if err == nil || !strings.Contains(err.Error(), "VPCGUARD_SNS_TOPIC_ARN") {
		t.Errorf("sns sink with one enforcing rule and no topic: got %v; want an error naming VPCGUARD_SNS_TOPIC_ARN", err)
	}
}

func TestParseRuleModes(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]mode.Mode
		wantErr bool
	}{
		{"", map[string]mode.Mode{}, false},
		{"a=report", map[string]mode.Mode{"a": mode.Report}, false},
		{" a = TICKET , b=enforce ,", map[string]mode.Mode{"a": mode.Ticket, "b": mode.Enforce}, false},
		{"a=report,a=enforce", map[string]mode.Mode{"a": mode.Enforce}, false}, // the last one wins
		{"a=", map[string]mode.Mode{"a": ""}, false},                           // Validate refuses the empty mode
		{"a", map[string]mode.Mode{}, true},
		{"a=report,b", map[string]mode.Mode{"a": mode.Report}, true},
	}
	for _, tt := range tests {
		got, err := ParseRuleModes(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseRuleModes(%q): got error %v; want error %v", tt.in, err, tt.wantErr)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseRuleModes(%q): got %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ,", nil},
		{"a", []string{"a"}},
		{" a ,b,, c ", []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		if got := SplitList(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("SplitList(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestWildcard(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "arn:aws:iam::111122223333:role/ops/Admin", true},
		{"arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:role/Admin", true},
		{"arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:role/Admin2", false},
		{"arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:role/admin", false},
		{"arn:aws:iam::111122223333:role/*", "arn:aws:iam::111122223333:role/ops/team/Admin", true},
		{"arn:aws:iam::111122223333:role/*", "arn:aws:iam::111122223333:user/bob", false},
		{"arn:aws:iam::*:role/Admin", "arn:aws:iam::444455556666:role/Admin", true},
		{"arn:aws:iam::*:role/Admin", "arn:aws:iam::444455556666:role/path/Admin", false},
		{"arn:aws:iam::*:role/*Admin", "arn:aws:iam::444455556666:role/path/Admin", true},
		{"arn:aws:iam::*:role/*/Admin", "arn:aws:iam::444455556666:role/a/b/c/Admin", true},
		{"arn:aws:iam::*:role/*/Admin", "arn:aws:iam::444455556666:role/Admin", false},
		{"arn:*:iam::*:role/aws-reserved/*", "arn:aws-us-gov:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_X", true},
		{"*Admin*", "arn:aws:iam::1:role/SuperAdministrator", true},
		{"*Admin*", "arn:aws:iam::1:role/Operator", false},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"a*b*b", "abb", true},
		{"a*b*c", "axbxc", true},
		{"a*b*c", "axcxb", false},
		{"**", "anything", true},
		{"a**b", "ab", true},
		{"*a*a", "a", false},
		{"ab*ab", "ab", false},
		{"ab*ab", "abab", true},
	}
	for _, tt := range tests {
		if got := Wildcard(tt.pattern, tt.s); got != tt.want {
			t.Errorf("Wildcard(%q, %q): got %v; want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestProtected(t *testing.T) {
	c := Default()
	c.ProtectedPrincipals = []string{"arn:aws:iam::*:role/BreakGlass", "arn:aws:iam::111122223333:role/platform/*"}
	tests := []struct {
		principal   string
		wantPattern string
		wantOK      bool
	}{
		{"arn:aws:iam::444455556666:role/BreakGlass", "arn:aws:iam::*:role/BreakGlass", true},
		{"arn:aws:iam::111122223333:role/platform/deployer", "arn:aws:iam::111122223333:role/platform/*", true},
		{"arn:aws:iam::111122223333:role/MLEngineer", "", false},
		{"arn:aws:iam::999999999999:role/platform/deployer", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		p, ok := c.Protected(tt.principal)
		if p != tt.wantPattern || ok != tt.wantOK {
			t.Errorf("Protected(%q): got %q, %v; want %q, %v", tt.principal, p, ok, tt.wantPattern, tt.wantOK)
		}
	}
	if _, ok := Default().Protected("arn:aws:iam::1:role/x"); ok {
		t.Errorf("Protected with no patterns: got true; want false")
	}
}

// manyEndpoints is a list of n distinct vpce ids.
func manyEndpoints(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("vpce-0a1b2c3d4e5f%05x", i)
	}
	return strings.Join(ids, ",")
}
