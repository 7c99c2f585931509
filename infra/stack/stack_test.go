package stack

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// Synthesizing takes seconds per app, so TestMain builds one app holding two stacks, the
// defaults and every option switched on, and every test reads from that one synthesis.
type synthesized struct {
	name     string
	stack    *VpcGuardStack // nil for the member stacks
	st       awscdk.Stack
	template assertions.Template
	raw      map[string]any // the template as plain JSON
	file     string         // the template on disk, for cfn-lint
	nagErrs  []string       // unsuppressed AwsSolutions errors
}

var (
	defaults   *synthesized
	allOptions *synthesized
	assetDir   string // placeholder bootstraps, for stacks a test builds itself
)

const (
	modelGuard    = "model-guard"
	endpointGuard = "endpoint-guard"
	notebookGuard = "notebook-guard"
	networkGuard  = "network-guard"
	notebookRule  = "sagemaker-notebook-no-direct-internet-access"

	testAssumeRoleName = "VpcGuardBackfill"
	testSchedule       = "rate(1 day)"
	testProtected      = "arn:aws:iam::*:role/Admin*"
	testTrailBucket    = "s3://org-trail-logs/central"

	domainGuard         = "domain-guard"
	jobGuard            = "job-guard"
	presignedGuard      = "presigned-url-guard"
	testAllowedEndpoint = "vpce-0a1b2c3d4e5f60001"
	testAllowedVPC      = "vpc-0a1b2c3d"
)

func TestMain(m *testing.M) {
	os.Setenv("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
	os.Setenv("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
	dir, err := os.MkdirTemp("", "vpcguard-infra-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if err := synthesize(dir); err != nil {
			fmt.Fprintln(os.Stderr, "synthesize:", err)
			return 1
		}
		return m.Run()
	}()
	jsii.Close()
	os.Exit(code)
}

// synthesize builds the app against placeholder bootstraps: the test needs neither
// `make build` nor bundling.
func synthesize(dir string) error {
	assets := filepath.Join(dir, "build")
	assetDir = assets
	for _, name := range AllFunctionNames() {
		if err := os.MkdirAll(filepath.Join(assets, name), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(assets, name, "bootstrap"), []byte("placeholder"), 0o755); err != nil {
			return err
		}
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(dir, "cdk.out"))})

	base := DefaultConfig()
	base.AssetDir = assets
	all := base
	all.StackName = "AllOptions"
	all.Sinks = []string{"securityhub", "opscenter", "sns"}
	all.RuleModes = notebookRule + "=enforce"
	all.Mode = "enforce"
	all.DryRun = true
	all.ProtectedPrincipals = []string{testProtected}
	all.DeleteNoncompliantModels = true
	all.AssumeRoleName = testAssumeRoleName
	all.BackfillSchedule = testSchedule
	all.Tracing = true
	all.NotificationEmail = "ops@example.com"
	all.SeparateNotificationTopic = true
	all.CreateTrail = true
	all.ReservedConcurrency = 0
	all.SwitchDomainsToVPCOnly = true
	all.JobLookbackDays = 14
	all.PresignedURLAllowedSources = []string{testAllowedEndpoint, testAllowedVPC, "10.20.0.0/16"}
	all.LookupCreators = true
	all.TrailBucket = testTrailBucket
	all.CreatorGuardrails = true
	for _, c := range []Config{base, all} {
		if err := c.Validate(); err != nil {
			return err
		}
	}
	defaults = &synthesized{name: "defaults", stack: NewVpcGuardStack(app, base.StackName, nil, base, rules.Guards())}
	allOptions = &synthesized{name: "allOptions", stack: NewVpcGuardStack(app, all.StackName, nil, all, rules.Guards())}
	orgStacks, err := synthesizeOrganization(app, base)
	if err != nil {
		return err
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{}), nil)

	for _, s := range append([]*synthesized{defaults, allOptions}, orgStacks...) {
		if s.stack != nil {
			s.st = s.stack.Stack
		}
		// Annotations_FromStack forces a synthesis; Template_FromStack reuses it.
		errs := assertions.Annotations_FromStack(s.st).FindError(jsii.String("*"),
			assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
		for _, e := range *errs {
			s.nagErrs = append(s.nagErrs, fmt.Sprintf("%s: %v", *e.Id, e.Entry.Data))
		}
		s.template = assertions.Template_FromStack(s.st, nil)
		b, err := json.Marshal(s.template.ToJSON())
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &s.raw); err != nil {
			return err
		}
		s.file = filepath.Join(dir, s.name+".template.json")
		if err := os.WriteFile(s.file, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func both() []*synthesized { return []*synthesized{defaults, allOptions} }

// --- template helpers ---------------------------------------------------------------

func (s *synthesized) logicalID(c constructs.IConstruct) string {
	return *s.st.GetLogicalId(c.Node().DefaultChild().(awscdk.CfnElement))
}

func (s *synthesized) resource(t *testing.T, c constructs.IConstruct) map[string]any {
	t.Helper()
	id := s.logicalID(c)
	r, ok := s.raw["Resources"].(map[string]any)[id].(map[string]any)
	if !ok {
		t.Fatalf("%s: resource %s not in template", s.name, id)
	}
	return r
}

func (s *synthesized) props(t *testing.T, c constructs.IConstruct) map[string]any {
	t.Helper()
	p, _ := s.resource(t, c)["Properties"].(map[string]any)
	return p
}

func (s *synthesized) resourcesOfType(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range s.raw["Resources"].(map[string]any) {
		if r := r.(map[string]any); r["Type"] == typ {
			out[id] = r
		}
	}
	return out
}

func ref(id string) map[string]any    { return map[string]any{"Ref": id} }
func getAtt(id string) map[string]any { return map[string]any{"Fn::GetAtt": []any{id, "Arn"}} }

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// normalize turns Go values into what json.Unmarshal produces, for DeepEqual.
func normalize(v any) any {
	var out any
	_ = json.Unmarshal([]byte(asJSON(v)), &out)
	return out
}

func assertEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if g, w := normalize(got), normalize(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s: got %s; want %s", what, asJSON(g), asJSON(w))
	}
}

// assertTemplate runs a CDK assertion, turning its panic into a test failure.
func assertTemplate(t *testing.T, what string, check func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	check()
}

func asList(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case nil:
		return nil
	default:
		return []any{t}
	}
}

// --- functions -------------------------------------------------------------------------

func TestFunctionsRuntimeAndLimits(t *testing.T) {
	for _, s := range both() {
		assertTemplate(t, s.name+": function count", func() {
			s.template.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(len(rules.Guards())+1))
		})
		assertTemplate(t, s.name+": functions", func() {
			s.template.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), &map[string]any{
				"Runtime":       "provided.al2023",
				"Architectures": []any{"arm64"},
				"Handler":       "bootstrap",
				"MemorySize":    256,
				"LoggingConfig": assertions.Match_ObjectLike(&map[string]any{"LogFormat": "JSON", "ApplicationLogLevel": strings.ToUpper(s.stack.Config.LogLevel)}),
			})
		})
		for _, g := range s.stack.Guards {
			p := s.props(t, g.Fn.Function)
			wantTimeout, wantReserved := 60, s.stack.Config.ReservedConcurrency
			if g.Name == BackfillName {
				wantTimeout, wantReserved = 900, s.stack.Config.BackfillReservedConcurrency
			}
			assertEqual(t, s.name+" "+g.Name+" Timeout", p["Timeout"], wantTimeout)
			if wantReserved == 0 {
				assertEqual(t, s.name+" "+g.Name+" ReservedConcurrentExecutions", p["ReservedConcurrentExecutions"], nil)
			} else {
				assertEqual(t, s.name+" "+g.Name+" ReservedConcurrentExecutions", p["ReservedConcurrentExecutions"], wantReserved)
			}
			var wantTracing any
			if s.stack.Config.Tracing {
				wantTracing = map[string]any{"Mode": "Active"}
			}
			assertEqual(t, s.name+" "+g.Name+" TracingConfig", p["TracingConfig"], wantTracing)
			assertEqual(t, s.name+" "+g.Name+" log group", p["LoggingConfig"].(map[string]any)["LogGroup"], ref(s.logicalID(g.Fn.LogGroup)))
			assertEqual(t, s.name+" "+g.Name+" log retention", s.props(t, g.Fn.LogGroup)["RetentionInDays"], 90)

			// Asynchronous failures (EventBridge invokes asynchronously) land in the function's DLQ.
			invoke := s.resourcesOfType("AWS::Lambda::EventInvokeConfig")
			found := false
			for _, r := range invoke {
				ip := r["Properties"].(map[string]any)
				if asJSON(ip["FunctionName"]) == asJSON(ref(s.logicalID(g.Fn.Function))) {
					found = true
					assertEqual(t, s.name+" "+g.Name+" on-failure destination", ip["DestinationConfig"],
						map[string]any{"OnFailure": map[string]any{"Destination": getAtt(s.logicalID(g.Fn.FailureDLQ))}})
				}
			}
			if !found {
				t.Errorf("%s %s: no EventInvokeConfig with an on-failure destination", s.name, g.Name)
			}
		}
	}
}

// --- EventBridge rules ---------------------------------------------------------------

// TestRulesEventPatterns: every guard's EventBridge rules match exactly the calls its
// rules' triggers name, one rule per event source; nothing in infra/ names an event.
func TestRulesEventPatterns(t *testing.T) {
	for _, s := range both() {
		count := 0
		for _, fn := range rules.Guards() {
			count += len(rules.Triggers(fn.Rules))
		}
		if s.stack.Config.BackfillSchedule != "" {
			count++
		}
		assertTemplate(t, s.name+": rule count", func() { s.template.ResourceCountIs(jsii.String("AWS::Events::Rule"), jsii.Number(count)) })
		for _, fn := range rules.Guards() {
			g := s.stack.Guard(fn.Name)
			triggers := rules.Triggers(fn.Rules)
			if len(g.Rules) != len(triggers) {
				t.Fatalf("%s %s: %d EventBridge rules; want one per event source, %d", s.name, g.Name, len(g.Rules), len(triggers))
			}
			for i, tr := range triggers {
				p := s.props(t, g.Rules[i])
				assertEqual(t, s.name+" "+g.Name+" EventPattern", p["EventPattern"], patternOf(tr))
				assertEqual(t, s.name+" "+g.Name+" EventBusName (default bus)", p["EventBusName"], nil)
				// Calls that may be read-only management events reach a rule
				// only in this state; every other rule leaves read events out.
				wantState := "ENABLED"
				if tr.AllManagementEvents {
					wantState = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
				}
				assertEqual(t, s.name+" "+g.Name+" State", p["State"], wantState)
				assertTargets(t, s, g, g.Rules[i])
			}
		}
	}
}

// patternOf is the pattern a trigger must become, written out here so that a change to
// the pattern's shape fails this test.
func patternOf(tr rules.Trigger) map[string]any {
	names := make([]any, len(tr.Names))
	for i, n := range tr.Names {
		names[i] = n
	}
	return map[string]any{
		"source":      []any{"aws." + strings.TrimSuffix(tr.Source, ".amazonaws.com")},
		"detail-type": []any{"AWS API Call via CloudTrail"},
		"detail": map[string]any{
			"eventSource": []any{tr.Source},
			"eventName":   names,
			"errorCode":   []any{map[string]any{"exists": false}},
		},
	}
}

// extraTrigger is a catalogue rule with one more trigger, as someone adding an event
// name to a rule's Triggers would write it.
type extraTrigger struct{ rules.Rule }

func (r extraTrigger) Triggers() []rules.Trigger {
	ts := r.Rule.Triggers()
	ts[0].Names = append(ts[0].Names, "UpdateModelPackage")
	return append(ts, rules.Trigger{Source: "ec2.amazonaws.com", Names: []string{"CreateSubnet"}})
}

// TestChangingTriggersChangesThePattern: adding an event name to a rule's triggers is
// the only edit needed for the deployed EventBridge rule to deliver it, and a new event
// source gets a rule of its own.
func TestChangingTriggersChangesThePattern(t *testing.T) {
	guards := rules.Guards()
	fn := guards[0]
	fn.Rules = append([]rules.Rule{extraTrigger{fn.Rules[0]}}, fn.Rules[1:]...)
	guards[0] = fn
	app := awscdk.NewApp(nil)
	cfg := DefaultConfig()
	cfg.AssetDir = assetDir
	st := NewVpcGuardStack(app, "Changed", nil, cfg, guards)
	tmpl := assertions.Template_FromStack(st.Stack, nil)
	g := st.Guard(fn.Name)
	triggers := rules.Triggers(fn.Rules)
	if len(g.Rules) != 2 || len(triggers) != 2 {
		t.Fatalf("%s: %d EventBridge rules for %d sources; want 2 for 2", fn.Name, len(g.Rules), len(triggers))
	}
	for i, tr := range triggers {
		id := *st.GetLogicalId(g.Rules[i].Node().DefaultChild().(awscdk.CfnElement))
		got := (*tmpl.ToJSON())["Resources"].(map[string]any)[id].(map[string]any)["Properties"].(map[string]any)["EventPattern"]
		assertEqual(t, fn.Name+" changed pattern "+tr.Source, got, patternOf(tr))
	}
	if !slices.Contains(triggers[0].Names, "UpdateModelPackage") {
		t.Errorf("merged triggers %v lack the added event name", triggers)
	}
}

// TestReadOnlyTriggersGetTheirOwnRule: a function whose rules listen to
// calls that may be read-only management events and to others of the same
// source gets two EventBridge rules, and only the first receives read-only
// events; a trail the stack creates records read events only when some rule
// needs them.
func TestReadOnlyTriggersGetTheirOwnRule(t *testing.T) {
	fn := rules.Function{Name: "mixed-guard", Description: "test", Rules: []rules.Rule{rules.ModelInVPC{}, rules.PresignedURLViaEndpoint{}}}
	app := awscdk.NewApp(nil)
	cfg := DefaultConfig()
	cfg.AssetDir = assetDir
	cfg.CreateTrail = true
	if err := os.MkdirAll(filepath.Join(assetDir, fn.Name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(assetDir, fn.Name, "bootstrap"), []byte("placeholder"), 0o755); err != nil {
		t.Fatal(err)
	}
	st := NewVpcGuardStack(app, "Mixed", nil, cfg, []rules.Function{fn})
	tmpl := assertions.Template_FromStack(st.Stack, nil)
	resources := (*tmpl.ToJSON())["Resources"].(map[string]any)
	g := st.Guard(fn.Name)
	if len(g.Rules) != 2 {
		t.Fatalf("%d EventBridge rules; want 2 (writes, and calls that may be read-only)", len(g.Rules))
	}
	for i, want := range []string{"ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"} {
		id := *st.GetLogicalId(g.Rules[i].Node().DefaultChild().(awscdk.CfnElement))
		props := resources[id].(map[string]any)["Properties"].(map[string]any)
		assertEqual(t, "rule "+id+" state", props["State"], want)
		assertEqual(t, "rule "+id+" pattern", props["EventPattern"], patternOf(rules.Triggers(fn.Rules)[i]))
	}
	assertTemplate(t, "trail with read events", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::CloudTrail::Trail"), &map[string]any{
			"EventSelectors": []any{map[string]any{"IncludeManagementEvents": true, "ReadWriteType": "All"}},
		})
	})

	writes := awscdk.NewApp(nil)
	st = NewVpcGuardStack(writes, "WritesOnly", nil, cfg, []rules.Function{{Name: fn.Name, Description: "test", Rules: []rules.Rule{rules.ModelInVPC{}}}})
	assertTemplate(t, "trail without read events", func() {
		assertions.Template_FromStack(st.Stack, nil).HasResourceProperties(jsii.String("AWS::CloudTrail::Trail"), &map[string]any{
			"EventSelectors": []any{map[string]any{"IncludeManagementEvents": true, "ReadWriteType": "WriteOnly"}},
		})
	})
}

func assertTargets(t *testing.T, s *synthesized, g *Guard, rule awsevents.Rule) {
	t.Helper()
	targets := asList(s.props(t, rule)["Targets"])
	if len(targets) != 1 {
		t.Fatalf("%s %s: got %d targets; want 1", s.name, g.Name, len(targets))
	}
	target := targets[0].(map[string]any)
	assertEqual(t, s.name+" "+g.Name+" target", target["Arn"], getAtt(s.logicalID(g.Fn.Function)))
	assertEqual(t, s.name+" "+g.Name+" target DLQ", target["DeadLetterConfig"], map[string]any{"Arn": getAtt(s.logicalID(g.RuleDLQ))})
	assertEqual(t, s.name+" "+g.Name+" target retry", target["RetryPolicy"], map[string]any{"MaximumEventAgeInSeconds": 7200, "MaximumRetryAttempts": 8})
}

func TestBackfillSchedule(t *testing.T) {
	if len(defaults.stack.Backfill.Rules) != 0 {
		t.Errorf("defaults: backfill has a schedule; want manual invocation only")
	}
	b := allOptions.stack.Backfill
	if len(b.Rules) != 1 {
		t.Fatalf("allOptions: backfill has %d schedule rules; want 1", len(b.Rules))
	}
	assertEqual(t, "backfill ScheduleExpression", allOptions.props(t, b.Rules[0])["ScheduleExpression"], testSchedule)
	assertTargets(t, allOptions, b, b.Rules[0])
}

// --- environment ---------------------------------------------------------------------

func TestEnvironment(t *testing.T) {
	for _, s := range both() {
		c := s.stack.Config
		topic := ref(s.logicalID(s.stack.NotificationTopic))
		if !c.SeparateNotificationTopic {
			topic = ref(s.logicalID(s.stack.AlarmTopic))
		}
		principals := []any{}
		for _, p := range c.ProtectedPrincipals {
			principals = append(principals, p)
		}
		for _, g := range s.stack.Guards {
			principals = append(principals, getAtt(s.logicalID(g.Fn.Role)))
		}
		for _, g := range s.stack.Guards {
			want := map[string]any{
				"VPCGUARD_MODE":                          c.Mode,
				"VPCGUARD_RULE_MODES":                    c.RuleModes,
				"VPCGUARD_DRY_RUN":                       fmt.Sprint(c.DryRun),
				"VPCGUARD_SINKS":                         strings.Join(c.Sinks, ","),
				"VPCGUARD_SNS_TOPIC_ARN":                 topic,
				"VPCGUARD_EXEMPT_TAG_KEY":                "vpcguard:exempt",
				"VPCGUARD_PROTECTED_PRINCIPALS":          map[string]any{"Fn::Join": []any{",", principals}},
				"VPCGUARD_DELETE_NONCOMPLIANT_MODELS":    fmt.Sprint(c.DeleteNoncompliantModels),
				"VPCGUARD_SWITCH_DOMAINS_TO_VPC_ONLY":    fmt.Sprint(c.SwitchDomainsToVPCOnly),
				"VPCGUARD_JOB_LOOKBACK_DAYS":             fmt.Sprint(c.JobLookbackDays),
				"VPCGUARD_PRESIGNED_URL_ALLOWED_SOURCES": strings.Join(c.PresignedURLAllowedSources, ","),
			}
			if s.stack.Guardrail != nil {
				want["VPCGUARD_GUARDRAIL_ARN"] = ref(s.logicalID(s.stack.Guardrail))
			}
			if g.Name == notebookGuard || g.Name == BackfillName {
				want["VPCGUARD_RECHECK_QUEUE_URL"] = ref(s.logicalID(s.stack.RecheckQueue))
				want["VPCGUARD_RECHECK_DELAY_SECONDS"] = "120"
				want["VPCGUARD_RECHECK_MAX_ATTEMPTS"] = "10"
			}
			if g.Name == BackfillName {
				want["VPCGUARD_ASSUME_ROLE_NAME"] = c.AssumeRoleName
				want["VPCGUARD_CONCURRENCY"] = "16"
			}
			if g.Name == BackfillName && c.LookupCreators {
				want["VPCGUARD_CREATOR_LOOKUP"] = "true"
				want["VPCGUARD_CREATOR_LOOKUP_MAX"] = "1000"
				want["VPCGUARD_TRAIL_BUCKET"] = testTrailBucket
				want["VPCGUARD_CREATOR_GUARDRAILS"] = "true"
				want["VPCGUARD_CREATOR_MAX_AGE_DAYS"] = "90"
			}
			got := s.props(t, g.Fn.Function)["Environment"].(map[string]any)["Variables"]
			assertEqual(t, s.name+" "+g.Name+" environment", got, want)
		}
	}
}

// --- IAM -----------------------------------------------------------------------------

type statement struct {
	Effect    string
	Action    []string
	Resource  []string // JSON of each resource
	Condition map[string]any
}

func statements(doc any) []statement {
	var out []statement
	for _, raw := range asList(doc.(map[string]any)["Statement"]) {
		m := raw.(map[string]any)
		st := statement{Effect: m["Effect"].(string)}
		for _, a := range asList(m["Action"]) {
			st.Action = append(st.Action, a.(string))
		}
		for _, r := range asList(m["Resource"]) {
			st.Resource = append(st.Resource, asJSON(r))
		}
		st.Condition, _ = m["Condition"].(map[string]any)
		out = append(out, st)
	}
	return out
}

// roleStatements collects every identity-policy statement attached to a guard's role.
func roleStatements(s *synthesized, g *Guard) []statement {
	roleRef := asJSON(ref(s.logicalID(g.Fn.Role)))
	var out []statement
	for _, r := range s.resourcesOfType("AWS::IAM::Policy") {
		p := r["Properties"].(map[string]any)
		for _, role := range asList(p["Roles"]) {
			if asJSON(role) == roleRef {
				out = append(out, statements(p["PolicyDocument"])...)
			}
		}
	}
	return out
}

func TestIAMNoWildcardActions(t *testing.T) {
	for _, s := range both() {
		for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
			for id, r := range s.resourcesOfType(typ) {
				for _, st := range statements(r["Properties"].(map[string]any)["PolicyDocument"]) {
					for _, a := range st.Action {
						if a == "*" || strings.HasSuffix(a, ":*") {
							t.Errorf("%s %s: action %q is a service-wide wildcard", s.name, id, a)
						}
					}
				}
			}
		}
	}
}

// Actions that AWS only authorizes on Resource "*" (no resource types in the Service
// Authorization Reference). Anything else on "*" is a least-privilege failure.
var resourceStarAllowed = map[string]bool{
	"ec2:DescribeVpcEndpoints": true, "ec2:DescribeVpcAttribute": true, "ec2:DescribeRegions": true,
	"ec2:DescribeVpcs": true, "ec2:DescribeSubnets": true,
	"sagemaker:ListEndpointConfigs": true, "sagemaker:Search": true, "sagemaker:ListModels": true,
	"sagemaker:ListNotebookInstances": true, "tag:GetResources": true, "sagemaker:ListDomains": true, "sagemaker:ListTrainingJobs": true,
	"sagemaker:ListProcessingJobs": true, "sagemaker:ListHyperParameterTuningJobs": true, "sagemaker:ListAutoMLJobs": true,
	"ssm:CreateOpsItem": true, "ssm:DescribeOpsItems": true, "cloudtrail:LookupEvents": true,
	"xray:PutTraceSegments": true, "xray:PutTelemetryRecords": true,
}

func TestIAMRoleActions(t *testing.T) {
	ticket := func(c Config) []string {
		var a []string
		if c.HasSink("securityhub") {
			a = append(a, "securityhub:BatchImportFindings", "securityhub:GetFindings")
		}
		if c.HasSink("opscenter") {
			a = append(a, "ssm:CreateOpsItem", "ssm:DescribeOpsItems", "ssm:UpdateOpsItem")
		}
		if c.HasSink("sns") {
			a = append(a, "sns:Publish", "kms:Decrypt", "kms:GenerateDataKey")
		}
		return a
	}
	attach := []string{"iam:ListAttachedRolePolicies", "iam:ListAttachedUserPolicies", "iam:AttachRolePolicy", "iam:AttachUserPolicy"}
	logs := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	failureDLQ := []string{"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
	// Each kind's reads, and its remedies' calls: a guard is granted the
	// remedies of the rules it enforces only (its mode is fixed when it is
	// deployed); the backfill every remedy (its mode is chosen per
	// invocation).
	modelRead := []string{"sagemaker:DescribeModel", "sagemaker:ListTags"}
	modelFix := func(c Config) []string {
		a := []string{"sagemaker:AddTags"}
		if c.DeleteNoncompliantModels {
			a = append(a, "sagemaker:DeleteModel", "sagemaker:ListEndpointConfigs", "sagemaker:DescribeEndpointConfig")
		}
		return a
	}
	notebookRead := []string{"sagemaker:DescribeNotebookInstance", "sagemaker:ListTags"}
	notebookFix := []string{"sagemaker:StopNotebookInstance", "sagemaker:AddTags"}
	consume := []string{"sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"}
	endpointRead := []string{"ec2:DescribeVpcEndpoints"}
	endpointFix := []string{"ec2:DescribeVpcAttribute", "ec2:ModifyVpcEndpoint", "ec2:CreateTags", "route53:AssociateVPCWithHostedZone"}
	domainRead := []string{"sagemaker:DescribeDomain", "sagemaker:ListTags"}
	domainFix := func(c Config) []string {
		a := []string{"sagemaker:AddTags", "sagemaker:ListTags"}
		if c.SwitchDomainsToVPCOnly {
			a = append(a, "sagemaker:UpdateDomain")
		}
		return a
	}
	jobRead := []string{"sagemaker:DescribeTrainingJob", "sagemaker:DescribeProcessingJob", "sagemaker:DescribeHyperParameterTuningJob",
		"sagemaker:DescribeAutoMLJobV2", "sagemaker:ListTags"}
	jobFix := []string{"sagemaker:AddTags", "sagemaker:StopTrainingJob", "sagemaker:StopProcessingJob",
		"sagemaker:StopHyperParameterTuningJob", "sagemaker:StopAutoMLJob"}
	// network-guard: models (and their subnets' zones) and VPCs (their
	// endpoints, subnets and the models they host); it remediates nothing.
	network := []string{"sagemaker:DescribeModel", "sagemaker:ListTags", "ec2:DescribeSubnets",
		"ec2:DescribeVpcs", "ec2:DescribeVpcEndpoints", "sagemaker:Search", "sagemaker:ListModels"}

	for _, s := range both() {
		c := s.stack.Config
		common := slices.Concat(logs, failureDLQ, ticket(c))
		if c.Tracing {
			common = append(common, "xray:PutTraceSegments", "xray:PutTelemetryRecords")
		}
		// Attaching the guardrail is granted only where a guardrail exists: some rule
		// with deny statements is enforced.
		attach := attach
		if s.stack.Guardrail == nil {
			attach = nil
		}
		// when grants ops only when one of the named rules is enforced.
		when := func(ops []string, names ...string) []string {
			for _, n := range names {
				if c.Functions().ModeFor(rules.ByName(n)).Remediates() {
					return ops
				}
			}
			return nil
		}
		modelRules := []string{"sagemaker-model-in-vpc", "sagemaker-model-network-isolation"}
		// The backfill judges every kind it can list (not presigned URL calls),
		// and may remedy any.
		backfill := slices.Concat(common, modelRead, modelFix(c), notebookRead, notebookFix, endpointRead, endpointFix, network,
			domainRead, domainFix(c), jobRead, jobFix,
			[]string{"sagemaker:Search", "sagemaker:ListModels", "sagemaker:ListNotebookInstances", "ec2:DescribeRegions",
				"sagemaker:ListDomains", "sagemaker:ListTrainingJobs", "sagemaker:ListProcessingJobs", "sagemaker:ListHyperParameterTuningJobs",
				"sagemaker:ListAutoMLJobs", "tag:GetResources"})
		if c.AssumeRoleName != "" {
			backfill = append(backfill, "sts:AssumeRole")
		}
		// Looking creators up is granted only when asked for; the bucket only when named.
		if c.LookupCreators {
			backfill = append(backfill, "cloudtrail:LookupEvents")
		}
		if c.TrailBucket != "" {
			backfill = append(backfill, "s3:ListBucket", "s3:GetObject")
		}
		// The backfill attaches the guardrail only to the creators it looked up, when asked to.
		if c.CreatorGuardrails {
			backfill = append(backfill, attach...)
		}
		const domainRule, jobRule, urlRule = "sagemaker-studio-domain-vpc-only", "sagemaker-job-in-vpc", "sagemaker-presigned-url-via-vpc-endpoint"
		want := map[string][]string{
			modelGuard:    slices.Concat(common, modelRead, when(modelFix(c), modelRules...), when(attach, modelRules...)),
			endpointGuard: slices.Concat(common, endpointRead, when(endpointFix, "sagemaker-vpc-endpoint-private-dns")), // no guardrail
			notebookGuard: slices.Concat(common, notebookRead, when(notebookFix, notebookRule), when(attach, notebookRule), consume),
			networkGuard:  slices.Concat(common, network),
			domainGuard:   slices.Concat(common, domainRead, when(domainFix(c), domainRule), when(attach, domainRule)),
			jobGuard:      slices.Concat(common, jobRead, when(jobFix, jobRule), when(attach, jobRule)),
			// It reads nothing: the guardrail is all it may need.
			presignedGuard: slices.Concat(common, when(attach, urlRule)),
			BackfillName:   backfill,
		}
		for _, g := range s.stack.Guards {
			got := map[string]bool{}
			for _, st := range roleStatements(s, g) {
				if st.Effect != "Allow" {
					t.Errorf("%s %s: unexpected %s statement %v", s.name, g.Name, st.Effect, st.Action)
				}
				for _, a := range st.Action {
					got[a] = true
					if slices.Contains(st.Resource, `"*"`) && !resourceStarAllowed[a] {
						t.Errorf("%s %s: %s on Resource \"*\"; want a resource ARN", s.name, g.Name, a)
					}
				}
			}
			wantSet := map[string]bool{}
			for _, a := range want[g.Name] {
				wantSet[a] = true
			}
			assertEqual(t, s.name+" "+g.Name+" role actions", sortedKeys(got), sortedKeys(wantSet))
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestIAMAttachIsConditionedOnGuardrails(t *testing.T) {
	for _, s := range both() {
		var guardrail any
		if s.stack.Guardrail != nil {
			guardrail = ref(s.logicalID(s.stack.Guardrail))
		}
		// The backfill knows no caller, so it attaches nothing, unless it
		// looks creators up and guards them (creatorGuardrails).
		want := map[string]any{modelGuard: guardrail, notebookGuard: guardrail, BackfillName: nil, endpointGuard: nil, networkGuard: nil,
			domainGuard: guardrail, jobGuard: guardrail, presignedGuard: guardrail}
		if s.stack.Config.CreatorGuardrails {
			want[BackfillName] = guardrail
		}
		for _, g := range s.stack.Guards {
			attaches := 0
			for _, st := range roleStatements(s, g) {
				for _, a := range st.Action {
					if !strings.HasPrefix(a, "iam:Attach") {
						continue
					}
					attaches++
					assertEqual(t, s.name+" "+g.Name+" "+a+" condition", st.Condition,
						map[string]any{"ArnEquals": map[string]any{"iam:PolicyARN": want[g.Name]}})
				}
			}
			wantAttaches := 0
			if want[g.Name] != nil {
				wantAttaches = 2
			}
			if attaches != wantAttaches {
				t.Errorf("%s %s: got %d iam:Attach* actions; want %d", s.name, g.Name, attaches, wantAttaches)
			}
		}
	}
}

func TestIAMResources(t *testing.T) {
	sub := func(s string) string { return asJSON(map[string]any{"Fn::Sub": s}) }
	for _, s := range both() {
		for _, g := range s.stack.Guards {
			for _, st := range roleStatements(s, g) {
				for _, a := range st.Action {
					var want string
					switch a {
					case "sagemaker:DescribeModel", "sagemaker:DeleteModel":
						want = sub("arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model/*")
					case "sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance":
						want = sub("arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:notebook-instance/*")
					case "sagemaker:DescribeDomain", "sagemaker:UpdateDomain":
						want = sub("arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:domain/*")
					case "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob":
						want = sub("arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:training-job/*")
					case "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob":
						want = sub("arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:processing-job/*")
					case "sagemaker:DescribeHyperParameterTuningJob", "sagemaker:StopHyperParameterTuningJob":
						want = sub("arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:hyper-parameter-tuning-job/*")
					case "sagemaker:DescribeAutoMLJobV2", "sagemaker:StopAutoMLJob":
						want = sub("arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:automl-job/*")
					case "sagemaker:DescribeEndpointConfig":
						want = sub("arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint-config/*")
					case "ec2:ModifyVpcEndpoint", "ec2:CreateTags":
						want = sub("arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc-endpoint/*")
					case "route53:AssociateVPCWithHostedZone":
						want = sub("arn:${AWS::Partition}:route53:::hostedzone/*")
					case "securityhub:BatchImportFindings":
						want = sub(securityHubProductARN)
					case "sns:Publish":
						want = asJSON(ref(s.logicalID(s.stack.NotificationTopic)))
					case "sqs:SendMessage":
						// The function's own failure DLQ, and the re-check queue for the two that re-check.
						continue
					case "sts:AssumeRole":
						want = sub("arn:${AWS::Partition}:iam::*:role/" + testAssumeRoleName)
					case "s3:ListBucket":
						want = sub("arn:${AWS::Partition}:s3:::org-trail-logs")
					case "s3:GetObject":
						want = sub("arn:${AWS::Partition}:s3:::org-trail-logs/central/*")
					default:
						continue
					}
					assertEqual(t, s.name+" "+g.Name+" "+a+" resources", st.Resource, []string{want})
				}
			}
		}
	}
}

// TestGuardrailPolicy: one managed policy holding the deny statements of exactly the
// enforced rules (attaching it for one rule must not enforce another), none when no rule
// with a guardrail is enforced, and every rule's statements together fit IAM's limit.
func TestGuardrailPolicy(t *testing.T) {
	if defaults.stack.Guardrail != nil {
		t.Errorf("defaults (every rule at its default, ticket): a guardrail policy; want none")
	}
	assertTemplate(t, "defaults: no managed policy", func() {
		defaults.template.ResourceCountIs(jsii.String("AWS::IAM::ManagedPolicy"), jsii.Number(0))
	})
	if allOptions.stack.Guardrail == nil {
		t.Fatalf("allOptions (mode enforce): no guardrail policy")
	}
	assertTemplate(t, "allOptions: one managed policy", func() {
		allOptions.template.ResourceCountIs(jsii.String("AWS::IAM::ManagedPolicy"), jsii.Number(1))
	})
	got := allOptions.props(t, allOptions.stack.Guardrail)["PolicyDocument"]
	assertEqual(t, "allOptions guardrail", got, map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			// false or absent: BoolIfExists (see rules.ModelNetworkIsolation).
			map[string]any{
				"Sid": "DenyModelWithoutNetworkIsolation", "Effect": "Deny", "Action": "sagemaker:CreateModel", "Resource": "*",
				"Condition": map[string]any{"BoolIfExists": map[string]any{"sagemaker:NetworkIsolation": "false"}},
			},
			map[string]any{
				"Sid": "DenyModelWithoutVpc", "Effect": "Deny", "Action": "sagemaker:CreateModel", "Resource": "*",
				"Condition": map[string]any{"Null": map[string]any{"sagemaker:VpcSubnets": "true"}},
			},
			map[string]any{
				"Sid": "DenyNotebookDirectInternet", "Effect": "Deny", "Action": "sagemaker:CreateNotebookInstance", "Resource": "*",
				"Condition": map[string]any{"StringNotEquals": map[string]any{"sagemaker:DirectInternetAccess": "Disabled"}},
			},
			map[string]any{
				"Sid": "DenyNotebookWithoutVpc", "Effect": "Deny", "Action": "sagemaker:CreateNotebookInstance", "Resource": "*",
				"Condition": map[string]any{"Null": map[string]any{"sagemaker:VpcSubnets": "true"}},
			},
			map[string]any{
				"Sid": "DenyStudioDomainNotVpcOnly", "Effect": "Deny", "Action": "sagemaker:CreateDomain", "Resource": "*",
				"Condition": map[string]any{"StringNotEquals": map[string]any{"sagemaker:AppNetworkAccessType": "VpcOnly"}},
			},
			map[string]any{
				"Sid": "DenyStudioDomainToPublicInternet", "Effect": "Deny", "Action": "sagemaker:UpdateDomain", "Resource": "*",
				"Condition": map[string]any{"StringEquals": map[string]any{"sagemaker:AppNetworkAccessType": "PublicInternetOnly"}},
			},
			map[string]any{
				"Sid": "DenyJobWithoutVpc", "Effect": "Deny", "Resource": "*",
				"Action": []any{"sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob", "sagemaker:CreateHyperParameterTuningJob",
					"sagemaker:CreateAutoMLJob", "sagemaker:CreateAutoMLJobV2"},
				"Condition": map[string]any{"Null": map[string]any{"sagemaker:VpcSubnets": "true"}},
			},
			// The context's allow-list: the endpoint, the VPC and the range
			// (from the internet, or through an endpoint).
			map[string]any{
				"Sid": "DenyPresignedUrlOutsideVpc", "Effect": "Deny", "Resource": "*",
				"Action": []any{"sagemaker:CreatePresignedDomainUrl", "sagemaker:CreatePresignedNotebookInstanceUrl"},
				"Condition": map[string]any{
					"StringNotEquals": map[string]any{"aws:SourceVpce": testAllowedEndpoint, "aws:SourceVpc": testAllowedVPC},
					"NotIpAddress":    map[string]any{"aws:SourceIp": "10.20.0.0/16", "aws:VpcSourceIp": "10.20.0.0/16"},
				},
			},
		},
	})

	// Only the model rule enforced: only its statement.
	app := awscdk.NewApp(nil)
	cfg := DefaultConfig()
	cfg.AssetDir = assetDir
	cfg.RuleModes = "sagemaker-model-in-vpc=enforce"
	st := NewVpcGuardStack(app, "ModelEnforced", nil, cfg, rules.Guards())
	doc := assertions.Template_FromStack(st.Stack, nil).ToJSON()
	var sids []string
	for _, r := range (*doc)["Resources"].(map[string]any) {
		r := r.(map[string]any)
		if r["Type"] != "AWS::IAM::ManagedPolicy" {
			continue
		}
		for _, stmt := range statements(r["Properties"].(map[string]any)["PolicyDocument"]) {
			sids = append(sids, stmt.Action...)
		}
	}
	assertEqual(t, "model rule enforced: guardrail actions", sids, []string{"sagemaker:CreateModel"})

	all, _ := rules.GuardrailPolicy(rules.All())
	if n := len(all.Document()); n > guardrail.MaxSize {
		t.Errorf("every rule's guardrail statements: %d characters; IAM allows %d in one policy", n, guardrail.MaxSize)
	}
}

// --- queues, topics, alarms, trail, outputs ------------------------------------------

func TestQueuesEncryptedAndTLSOnly(t *testing.T) {
	for _, s := range both() {
		queues := s.resourcesOfType("AWS::SQS::Queue")
		tlsOnly := map[string]bool{}
		for _, r := range s.resourcesOfType("AWS::SQS::QueuePolicy") {
			p := r["Properties"].(map[string]any)
			for _, st := range statements(p["PolicyDocument"]) {
				if st.Effect == "Deny" && asJSON(st.Condition) == `{"Bool":{"aws:SecureTransport":"false"}}` {
					for _, q := range asList(p["Queues"]) {
						tlsOnly[asJSON(q)] = true
					}
				}
			}
		}
		for id, q := range queues {
			if q["Properties"].(map[string]any)["SqsManagedSseEnabled"] != true {
				t.Errorf("%s queue %s: SqsManagedSseEnabled is not true", s.name, id)
			}
			if !tlsOnly[asJSON(ref(id))] {
				t.Errorf("%s queue %s: no policy denying aws:SecureTransport false", s.name, id)
			}
		}
	}
}

func TestRecheckQueue(t *testing.T) {
	s := defaults
	p := s.props(t, s.stack.RecheckQueue)
	assertEqual(t, "re-check queue redrive", p["RedrivePolicy"],
		map[string]any{"deadLetterTargetArn": getAtt(s.logicalID(s.stack.RecheckDLQ)), "maxReceiveCount": 5})
	assertTemplate(t, "re-check event source mapping", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), &map[string]any{
			"EventSourceArn":        getAtt(s.logicalID(s.stack.RecheckQueue)),
			"FunctionName":          ref(s.logicalID(s.stack.Guard(notebookGuard).Fn.Function)),
			"BatchSize":             1,
			"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
		})
	})
}

func TestTopicsAndAlarms(t *testing.T) {
	for _, s := range both() {
		key := getAtt(s.logicalID(s.stack.Stack.Node().FindChild(jsii.String("TopicKey"))))
		topics := 1
		if s.stack.Config.SeparateNotificationTopic {
			topics = 2
		}
		assertTemplate(t, s.name+": topics", func() {
			s.template.ResourceCountIs(jsii.String("AWS::SNS::Topic"), jsii.Number(topics))
			s.template.AllResourcesProperties(jsii.String("AWS::SNS::Topic"), &map[string]any{"KmsMasterKeyId": key})
		})
		assertTemplate(t, s.name+": key rotation", func() {
			s.template.HasResourceProperties(jsii.String("AWS::KMS::Key"), &map[string]any{"EnableKeyRotation": true})
		})
		for id, r := range s.resourcesOfType("AWS::SNS::TopicPolicy") {
			if !strings.Contains(asJSON(r), `"aws:SecureTransport":"false"`) {
				t.Errorf("%s topic policy %s: does not deny non-TLS publishing", s.name, id)
			}
		}
		alarmPolicy := ""
		for _, r := range s.resourcesOfType("AWS::SNS::TopicPolicy") {
			for _, topic := range asList(r["Properties"].(map[string]any)["Topics"]) {
				if asJSON(topic) == asJSON(ref(s.logicalID(s.stack.AlarmTopic))) {
					alarmPolicy = asJSON(r)
				}
			}
		}
		if !strings.Contains(alarmPolicy, `"Principal":{"Service":"cloudwatch.amazonaws.com"}`) {
			t.Errorf("%s: alarm topic policy does not let CloudWatch alarms publish: %s", s.name, alarmPolicy)
		}
		subs := 0
		if s.stack.Config.NotificationEmail != "" {
			subs = topics
		}
		assertTemplate(t, s.name+": email subscriptions", func() {
			s.template.ResourceCountIs(jsii.String("AWS::SNS::Subscription"), jsii.Number(subs))
		})

		// Errors and throttles per function, depth per DLQ: failure DLQs, rule DLQs
		// (one per guard), re-check DLQ.
		functions, guards := len(FunctionNames()), len(rules.Guards())
		alarms := functions*2 + functions + guards + 1
		if s.stack.Config.BackfillSchedule != "" {
			alarms++
		}
		assertTemplate(t, s.name+": alarms", func() {
			s.template.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(alarms))
			s.template.AllResourcesProperties(jsii.String("AWS::CloudWatch::Alarm"), &map[string]any{
				"Threshold":          0,
				"ComparisonOperator": "GreaterThanThreshold",
				"AlarmActions":       []any{ref(s.logicalID(s.stack.AlarmTopic))},
			})
		})
		metrics := map[string]int{}
		for _, r := range s.resourcesOfType("AWS::CloudWatch::Alarm") {
			metrics[r["Properties"].(map[string]any)["MetricName"].(string)]++
		}
		assertEqual(t, s.name+" alarm metrics", metrics, map[string]int{
			"Errors": functions, "Throttles": functions, "ApproximateNumberOfMessagesVisible": alarms - 2*functions,
		})
	}
}

func TestTrail(t *testing.T) {
	assertTemplate(t, "defaults: no trail", func() {
		defaults.template.ResourceCountIs(jsii.String("AWS::CloudTrail::Trail"), jsii.Number(0))
	})
	s := allOptions
	assertTemplate(t, "allOptions: trail", func() {
		s.template.HasResourceProperties(jsii.String("AWS::CloudTrail::Trail"), &map[string]any{
			"IsLogging":               true,
			"IsMultiRegionTrail":      true,
			"EnableLogFileValidation": true,
			// Read events too: presigned URL calls may be read-only
			// management events (rules.NeedReadEvents).
			"EventSelectors": []any{map[string]any{
				"IncludeManagementEvents": true,
				"ReadWriteType":           "All",
			}},
		})
	})
	buckets := s.resourcesOfType("AWS::S3::Bucket")
	if len(buckets) != 2 {
		t.Fatalf("allOptions: got %d buckets; want 2 (trail and its access logs)", len(buckets))
	}
	logged := 0
	for id, b := range buckets {
		p := b["Properties"].(map[string]any)
		if p["BucketEncryption"] == nil {
			t.Errorf("bucket %s: no BucketEncryption", id)
		}
		if p["LoggingConfiguration"] != nil {
			logged++
		}
	}
	if logged != 1 {
		t.Errorf("got %d buckets with server access logging; want 1 (the trail bucket)", logged)
	}
	for id, r := range s.resourcesOfType("AWS::S3::BucketPolicy") {
		if !strings.Contains(asJSON(r), `"aws:SecureTransport":"false"`) {
			t.Errorf("bucket policy %s: does not deny non-TLS requests", id)
		}
	}
}

func TestOutputs(t *testing.T) {
	for _, s := range both() {
		want := []string{"AlarmTopicArn", "NotificationTopicArn", "RecheckQueueUrl", "RecheckDLQUrl", "BackfillFunctionName", "BackfillFailureDLQUrl"}
		for _, fn := range rules.Guards() {
			id := constructID(fn.Name)
			want = append(want, id+"FunctionName", id+"FailureDLQUrl", id+"RuleDLQUrl")
		}
		if s.stack.Config.BackfillSchedule != "" {
			want = append(want, "BackfillRuleDLQUrl")
		}
		if s.stack.Guardrail != nil {
			want = append(want, "GuardrailArn")
		}
		outputs, _ := s.raw["Outputs"].(map[string]any)
		got := map[string]bool{}
		for k := range outputs {
			got[k] = true
		}
		wantSet := map[string]bool{}
		for _, k := range want {
			wantSet[k] = true
		}
		assertEqual(t, s.name+" outputs", sortedKeys(got), sortedKeys(wantSet))
	}
}

// --- cdk-nag and cfn-lint --------------------------------------------------------------

func TestCdkNagAwsSolutions(t *testing.T) {
	for _, s := range append(both(), organization()...) {
		for _, e := range s.nagErrs {
			t.Errorf("%s: unsuppressed cdk-nag error: %s", s.name, e)
		}
		// Every suppression carries its reason into the template for reviewers.
		for id, r := range s.raw["Resources"].(map[string]any) {
			md, _ := r.(map[string]any)["Metadata"].(map[string]any)
			nag, _ := md["cdk_nag"].(map[string]any)
			for _, sup := range asList(nag["rules_to_suppress"]) {
				m := sup.(map[string]any)
				if reason, _ := m["reason"].(string); len(reason) < 20 {
					t.Errorf("%s %s: suppression %v has no real reason: %q", s.name, id, m["id"], reason)
				}
			}
		}
	}
}

type cfnLintMatch struct {
	Level    string
	Message  string
	Filename string
	Rule     struct{ Id string }
}

// TestCfnLint fails, rather than skips, without cfn-lint: a skipped lint is a lint that
// never runs in CI.
func TestCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatalf("cfn-lint not found on PATH (%v): install it with `pip install cfn-lint`", err)
	}
	// One process for every template: cfn-lint's start-up is most of its run time.
	// Exit status is a bit mask (2 errors, 4 warnings, 8 informational); read the JSON instead.
	args := []string{"--format", "json"}
	for _, s := range append(both(), organization()...) {
		args = append(args, s.file)
	}
	out, err := exec.Command(bin, args...).Output()
	var matches []cfnLintMatch
	if jerr := json.Unmarshal(out, &matches); jerr != nil {
		t.Fatalf("cfn-lint: %v; output %q; parse: %v", err, out, jerr)
	}
	for _, m := range matches {
		where := filepath.Base(m.Filename)
		switch m.Level {
		case "Error":
			t.Errorf("%s: cfn-lint %s: %s", where, m.Rule.Id, m.Message)
		default:
			// Warnings such as W3005 (CDK's explicit DependsOn on the function's role next
			// to a GetAtt) are allowed: they do not change what CloudFormation deploys.
			t.Logf("%s: cfn-lint %s %s: %s", where, m.Level, m.Rule.Id, m.Message)
		}
	}
}

// --- configuration -------------------------------------------------------------------

func TestConfigFromContext(t *testing.T) {
	tests := []struct {
		name    string
		context map[string]any
		wantErr string // substring; "" means valid
		check   func(Config) string
	}{
		{name: "defaults", context: map[string]any{}, check: func(c Config) string {
			if !reflect.DeepEqual(c, DefaultConfig()) {
				return fmt.Sprintf("got %+v; want DefaultConfig()", c)
			}
			return ""
		}},
		{name: "cdk.json types", context: map[string]any{"dryRun": true, "logRetentionDays": 30, "sinks": []any{"sns"}}, check: func(c Config) string {
			if !c.DryRun || c.LogRetentionDays != 30 || !reflect.DeepEqual(c.Sinks, []string{"sns"}) {
				return fmt.Sprintf("got %+v", c)
			}
			return ""
		}},
		{name: "-c strings", context: map[string]any{"dryRun": "true", "reservedConcurrency": "0", "protectedPrincipals": "arn:aws:iam::*:role/A, arn:aws:iam::*:role/B"}, check: func(c Config) string {
			if !c.DryRun || c.ReservedConcurrency != 0 || len(c.ProtectedPrincipals) != 2 {
				return fmt.Sprintf("got %+v", c)
			}
			return ""
		}},
		{name: "bad mode", context: map[string]any{"mode": "block"}, wantErr: "context mode"},
		{name: "bad rule mode", context: map[string]any{"ruleModes": "sagemaker-model-in-vpc=block"}, wantErr: "context ruleModes"},
		{name: "unknown rule", context: map[string]any{"ruleModes": "no-such-rule=ticket"}, wantErr: "context ruleModes"},
		{name: "bad sink", context: map[string]any{"sinks": "jira"}, wantErr: "context sinks"},
		{name: "bad retention", context: map[string]any{"logRetentionDays": 10}, wantErr: "context logRetentionDays"},
		{name: "bad bool", context: map[string]any{"dryRun": "maybe"}, wantErr: "context dryRun"},
		{name: "delay over SQS max", context: map[string]any{"recheckDelaySeconds": 901}, wantErr: "context recheckDelaySeconds"},
		{name: "role name with wildcard", context: map[string]any{"assumeRoleName": "*"}, wantErr: "context assumeRoleName"},
		{name: "bad schedule", context: map[string]any{"backfillSchedule": "daily"}, wantErr: "context backfillSchedule"},
		{name: "protected not an ARN", context: map[string]any{"protectedPrincipals": "admin"}, wantErr: "context protectedPrincipals"},
		{name: "rules' settings", context: map[string]any{"switchDomainsToVpcOnly": "true", "jobLookbackDays": 30,
			"presignedUrlAllowedSources": "vpce-0a1b2c3d4e5f60001, 10.0.0.0/8"}, check: func(c Config) string {
			if !c.SwitchDomainsToVPCOnly || c.JobLookbackDays != 30 || !reflect.DeepEqual(c.PresignedURLAllowedSources, []string{"vpce-0a1b2c3d4e5f60001", "10.0.0.0/8"}) {
				return fmt.Sprintf("got %+v", c)
			}
			if got := c.Functions().RuleSettings().PresignedURLSources.Endpoints; !reflect.DeepEqual(got, []string{"vpce-0a1b2c3d4e5f60001"}) {
				return fmt.Sprintf("functions' allowed endpoints %v", got)
			}
			return ""
		}},
		{name: "lookback too long", context: map[string]any{"jobLookbackDays": 365}, wantErr: "context jobLookbackDays"},
		{name: "allowed source not one", context: map[string]any{"presignedUrlAllowedSources": "sg-0123"}, wantErr: "context presignedUrlAllowedSources"},
		{name: "creator lookup", context: map[string]any{"lookupCreators": "true", "trailBucket": "s3://org-trail-logs", "creatorMaxAgeDays": "30"}, check: func(c Config) string {
			if !c.LookupCreators || c.TrailBucket != "s3://org-trail-logs" || c.CreatorMaxAgeDays != 30 || c.CreatorLookupMax != 1000 {
				return fmt.Sprintf("got %+v", c)
			}
			return ""
		}},
		{name: "trail bucket not s3", context: map[string]any{"lookupCreators": true, "trailBucket": "org-trail-logs"}, wantErr: "context trailBucket"},
		{name: "trail bucket name with a wildcard", context: map[string]any{"lookupCreators": true, "trailBucket": "s3://*"}, wantErr: "context trailBucket"},
		{name: "trail bucket without the lookup", context: map[string]any{"trailBucket": "s3://org-trail-logs"}, wantErr: "lookupCreators is false"},
		{name: "creator guardrails without the lookup", context: map[string]any{"creatorGuardrails": true}, wantErr: "context creatorGuardrails"},
		{name: "lookup cap zero", context: map[string]any{"creatorLookupMax": 0}, wantErr: "context creatorLookupMax"},
		{name: "max age zero", context: map[string]any{"creatorMaxAgeDays": 0}, wantErr: "context creatorMaxAgeDays"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := awscdk.NewApp(&awscdk.AppProps{Context: &tt.context})
			c, err := ConfigFromContext(app.Node())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v; want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got error %v; want one naming %q", err, tt.wantErr)
			}
			if tt.check != nil {
				if msg := tt.check(c); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
}
