package stack

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/vpcguard/vpcguard/shared/orgbackfill"
)

// The organization stack's backfill settings differ from the defaults, so
// the template shows they come from context.
const (
	testMaxConcurrency    = 25
	testToleratedFailures = 5
	testAggregatorARN     = "arn:aws:config:" + testHome + ":" + testCentral + ":config-aggregator/config-aggregator-7x1k2m3n"
)

// definition is the state machine's definition as deployed: its
// DefinitionString (an Fn::Join around the functions' ARNs and the bucket's
// name) with each token written as ${LogicalId.Arn} or ${LogicalId}.
func definition(t *testing.T, s *synthesized, o *OrgBackfill) map[string]any {
	t.Helper()
	var b strings.Builder
	var flatten func(v any)
	flatten = func(v any) {
		switch v := v.(type) {
		case string:
			b.WriteString(v)
		case map[string]any:
			switch {
			case v["Fn::Join"] != nil:
				parts := v["Fn::Join"].([]any)
				for i, p := range parts[1].([]any) {
					if i > 0 {
						b.WriteString(parts[0].(string))
					}
					flatten(p)
				}
			case v["Fn::GetAtt"] != nil:
				b.WriteString("${" + v["Fn::GetAtt"].([]any)[0].(string) + ".Arn}")
			case v["Ref"] != nil:
				b.WriteString("${" + v["Ref"].(string) + "}")
			default:
				t.Fatalf("DefinitionString: unexpected %s", asJSON(v))
			}
		default:
			t.Fatalf("DefinitionString: unexpected %s", asJSON(v))
		}
	}
	flatten(s.props(t, o.StateMachine)["DefinitionString"])
	var def map[string]any
	if err := json.Unmarshal([]byte(b.String()), &def); err != nil {
		t.Fatalf("DefinitionString: %v\n%s", err, b.String())
	}
	return def
}

func state(t *testing.T, states any, name string) map[string]any {
	t.Helper()
	st, ok := states.(map[string]any)[name].(map[string]any)
	if !ok {
		t.Fatalf("state %s: not in the definition", name)
	}
	return st
}

// TestOrgBackfillStateMachine: the deployed definition plans with the
// orchestrator, runs a Distributed Map over the shard list in the runs
// bucket with the context's concurrency and tolerance, retries a shard with
// backoff (but not a bad input), records a failed shard, and sums up with
// the orchestrator.
func TestOrgBackfillStateMachine(t *testing.T) {
	s := orgCentral
	o := s.stack.OrgBackfill
	if o == nil {
		t.Fatal("central stack: no organization backfill")
	}
	p := s.props(t, o.StateMachine)
	assertEqual(t, "state machine name", p["StateMachineName"], "Central-org-backfill")
	assertEqual(t, "state machine type", p["StateMachineType"], "STANDARD")
	assertEqual(t, "state machine logging", p["LoggingConfiguration"].(map[string]any)["Level"], "ALL")

	orchestrator := "${" + s.logicalID(o.Orchestrator.Fn.Function) + ".Arn}"
	backfill := "${" + s.logicalID(s.stack.Backfill.Fn.Function) + ".Arn}"
	bucket := "${" + s.logicalID(o.Bucket) + "}"
	def := definition(t, s, o)
	states := def["States"]
	assertEqual(t, "StartAt", def["StartAt"], "Plan")
	for _, name := range []string{"Plan", "Summarize"} {
		st := state(t, states, name)
		assertEqual(t, name+" resource", st["Resource"], "arn:aws:states:::lambda:invoke")
		assertEqual(t, name+" function", st["Parameters"].(map[string]any)["FunctionName"], orchestrator)
	}

	m := state(t, states, "Shards")
	assertEqual(t, "Shards type", m["Type"], "Map")
	assertEqual(t, "Shards ItemReader", m["ItemReader"], map[string]any{
		"Resource":     "arn:aws:states:::s3:getObject",
		"ReaderConfig": map[string]any{"InputType": "JSON"},
		"Parameters":   map[string]any{"Bucket": bucket, "Key.$": "$.plan.shardsKey"},
	})
	assertEqual(t, "Shards MaxConcurrency (backfillMaxConcurrency)", m["MaxConcurrency"], testMaxConcurrency)
	assertEqual(t, "Shards ToleratedFailurePercentage (backfillToleratedFailurePercent)", m["ToleratedFailurePercentage"], testToleratedFailures)
	proc := m["ItemProcessor"].(map[string]any)
	assertEqual(t, "Shards processor", proc["ProcessorConfig"], map[string]any{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"})
	assertEqual(t, "Shards catch", m["Catch"], []any{map[string]any{"ErrorEquals": []any{"States.ALL"}, "ResultPath": "$.outcome", "Next": "Summarize"}})

	shard := state(t, proc["States"], "Shard")
	assertEqual(t, "Shard resource", shard["Resource"], "arn:aws:states:::lambda:invoke")
	assertEqual(t, "Shard function", shard["Parameters"].(map[string]any)["FunctionName"], backfill)
	retry := asList(shard["Retry"])
	badInput := slices.IndexFunc(retry, func(r any) bool {
		return asJSON(r.(map[string]any)["ErrorEquals"]) == asJSON([]string{orgbackfill.ErrorBadInput})
	})
	all := slices.IndexFunc(retry, func(r any) bool { return asJSON(r.(map[string]any)["ErrorEquals"]) == `["States.ALL"]` })
	if badInput < 0 || all < 0 || badInput > all {
		t.Fatalf("Shard retry %s: want %s (not retried) before States.ALL", asJSON(retry), orgbackfill.ErrorBadInput)
	}
	assertEqual(t, "Shard bad input retry", retry[badInput].(map[string]any)["MaxAttempts"], 0)
	assertEqual(t, "Shard retry with backoff", retry[all], map[string]any{
		"ErrorEquals": []any{"States.ALL"}, "IntervalSeconds": orgbackfill.DefaultRetryIntervalSeconds,
		"MaxAttempts": orgbackfill.DefaultRetryMaxAttempts, "BackoffRate": 2, "MaxDelaySeconds": orgbackfill.DefaultRetryMaxDelaySeconds,
		"JitterStrategy": "FULL",
	})
	assertEqual(t, "Shard catch", shard["Catch"], []any{map[string]any{"ErrorEquals": []any{"States.ALL"}, "ResultPath": "$.error", "Next": "RecordFailure"}})

	failure := state(t, proc["States"], "RecordFailure")
	assertEqual(t, "RecordFailure resource", failure["Resource"], "arn:aws:states:::aws-sdk:s3:putObject")
	fp := failure["Parameters"].(map[string]any)
	assertEqual(t, "RecordFailure bucket", fp["Bucket"], bucket)
	assertEqual(t, "RecordFailure key", fp["Key.$"], "States.Format('"+orgbackfill.FailedPrefix("{}")+"{}.json', $.run, $.index)")
	assertEqual(t, "RecordFailure next", failure["Next"], "Failed")
	assertEqual(t, "Failed type", state(t, proc["States"], "Failed")["Type"], "Fail")
	record := state(t, proc["States"], "Record")
	assertEqual(t, "Record bucket", record["Parameters"].(map[string]any)["Bucket"], bucket)
}

// TestOrgBackfillSchedule: backfillSchedule starts the state machine with
// every default, through a role that may start only it, with a DLQ.
func TestOrgBackfillSchedule(t *testing.T) {
	s := orgCentral
	o := s.stack.OrgBackfill
	if o.Schedule == nil {
		t.Fatal("no schedule; the test stack sets backfillSchedule")
	}
	p := s.props(t, o.Schedule)
	assertEqual(t, "schedule", p["ScheduleExpression"], testSchedule)
	targets := asList(p["Targets"])
	if len(targets) != 1 {
		t.Fatalf("schedule targets %s; want the state machine alone", asJSON(targets))
	}
	target := targets[0].(map[string]any)
	assertEqual(t, "target", target["Arn"], ref(s.logicalID(o.StateMachine)))
	assertEqual(t, "target input", target["Input"], "{}")
	assertEqual(t, "target DLQ", target["DeadLetterConfig"], map[string]any{"Arn": getAtt(s.logicalID(o.ScheduleDLQ))})
	roleID := target["RoleArn"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
	var got []statement
	for _, r := range s.resourcesOfType("AWS::IAM::Policy") {
		props := r["Properties"].(map[string]any)
		if asJSON(asList(props["Roles"])) == asJSON([]any{ref(roleID)}) {
			got = append(got, statements(props["PolicyDocument"])...)
		}
	}
	assertEqual(t, "schedule role", got, []statement{{Effect: "Allow", Action: []string{"states:StartExecution"},
		Resource: []string{asJSON(ref(s.logicalID(o.StateMachine)))}}})
	if defaults.stack.OrgBackfill != nil {
		t.Error("one-account stack: has an organization backfill")
	}
}

// policyOf collects the statements of the identity policies attached to
// role (by logical id), action by action: resources and condition.
func policyOf(s *synthesized, roleID string) map[string]statement {
	out := map[string]statement{}
	for _, r := range s.resourcesOfType("AWS::IAM::Policy") {
		props := r["Properties"].(map[string]any)
		if !slices.ContainsFunc(asList(props["Roles"]), func(v any) bool { return asJSON(v) == asJSON(ref(roleID)) }) {
			continue
		}
		for _, st := range statements(props["PolicyDocument"]) {
			for _, a := range st.Action {
				prev := out[a]
				prev.Effect, prev.Condition = st.Effect, st.Condition
				prev.Action = []string{a}
				prev.Resource = append(prev.Resource, st.Resource...)
				out[a] = prev
			}
		}
	}
	return out
}

// TestOrgBackfillStateMachineRole: exactly the tasks' calls. The two
// functions by their unqualified ARNs (what the tasks invoke), the runs
// bucket's runs/ prefix (ItemReader, the records), the Distributed Map's
// child executions of this state machine, and the log delivery CDK adds.
func TestOrgBackfillStateMachineRole(t *testing.T) {
	s := orgCentral
	o := s.stack.OrgBackfill
	got := policyOf(s, s.logicalID(o.StateMachine.Role()))
	runs := asJSON(map[string]any{"Fn::Join": []any{"", []any{getAtt(s.logicalID(o.Bucket)), "/runs/*"}}})
	name := "Central-org-backfill"
	want := map[string][]string{
		"lambda:InvokeFunction":    {asJSON(getAtt(s.logicalID(o.Orchestrator.Fn.Function))), asJSON(getAtt(s.logicalID(s.stack.Backfill.Fn.Function)))},
		"s3:GetObject":             {runs},
		"s3:PutObject":             {runs},
		"states:StartExecution":    {asJSON(sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:" + name))},
		"states:DescribeExecution": {asJSON(sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:" + name + "/*"))},
		"states:StopExecution":     {asJSON(sub("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:" + name + "/*"))},
	}
	for a, st := range got {
		if strings.HasPrefix(a, "logs:") {
			// CDK's grant for Step Functions' log delivery: no resource type.
			assertEqual(t, a+" resource", st.Resource, []string{`"*"`})
			continue
		}
		w, ok := want[a]
		if !ok {
			t.Errorf("state machine role: granted %s %v; its tasks do not call it", a, st.Resource)
			continue
		}
		assertEqual(t, a+" resources", st.Resource, w)
		assertEqual(t, a+" condition", st.Condition, nil)
	}
	for a := range want {
		if _, ok := got[a]; !ok {
			t.Errorf("state machine role: %s not granted", a)
		}
	}
}

// TestOrgBackfillOrchestratorRole: the orchestrator lists the accounts,
// the Regions, asks the named Config aggregator (its ARN, nothing wider),
// and keeps the runs under runs/ of its bucket; it assumes no role.
func TestOrgBackfillOrchestratorRole(t *testing.T) {
	s := orgCentral
	o := s.stack.OrgBackfill
	got := policyOf(s, s.logicalID(o.Orchestrator.Fn.Role))
	runs := asJSON(map[string]any{"Fn::Join": []any{"", []any{getAtt(s.logicalID(o.Bucket)), "/runs/*"}}})
	want := map[string]statement{
		"organizations:ListAccounts":           {Resource: []string{`"*"`}},
		"ec2:DescribeRegions":                  {Resource: []string{`"*"`}, Condition: map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": testGoverned}}},
		"config:SelectAggregateResourceConfig": {Resource: []string{asJSON(testAggregatorARN)}},
		"s3:GetObject":                         {Resource: []string{runs}},
		"s3:PutObject":                         {Resource: []string{runs}},
		"s3:ListBucket":                        {Resource: []string{asJSON(getAtt(s.logicalID(o.Bucket)))}, Condition: map[string]any{"StringLike": map[string]any{"s3:prefix": "runs/*"}}},
	}
	for a, st := range got {
		if strings.HasPrefix(a, "logs:") || strings.HasPrefix(a, "sqs:") {
			continue // its log group, its failure DLQ: what Lambda does for it
		}
		w, ok := want[a]
		if !ok {
			t.Errorf("orchestrator role: granted %s %v; the orchestrator does not call it", a, st.Resource)
			continue
		}
		assertEqual(t, a+" resources", st.Resource, w.Resource)
		assertEqual(t, a+" condition", st.Condition, w.Condition)
	}
	for a := range want {
		if _, ok := got[a]; !ok {
			t.Errorf("orchestrator role: %s not granted", a)
		}
	}
	for _, g := range FunctionNames() {
		if g == OrchestratorName {
			t.Errorf("FunctionNames holds the orchestrator: the member role would trust it")
		}
	}
	// Only the orchestrator may list the organization's accounts or ask Config.
	for _, g := range s.stack.Guards {
		for a := range policyOf(s, s.logicalID(g.Fn.Role)) {
			if a == "organizations:ListAccounts" || strings.HasPrefix(a, "config:") {
				t.Errorf("%s: granted %s; only the orchestrator calls it", g.Name, a)
			}
		}
	}
}

// TestConfigAggregatorContext: the aggregator's grant needs its ARN, in the
// central account and home Region, and its name (what the API takes).
func TestConfigAggregatorContext(t *testing.T) {
	org := map[string]any{
		"organizationId": testOrgID, "managementAccount": testManagement, "centralAccount": testCentral,
		"homeRegion": testHome, "targetOUs": testOU,
	}
	tests := []struct {
		name, aggregator, arn, wantErr string
	}{
		{"none", "", "", ""},
		{"name and ARN", testAggregator, testAggregatorARN, ""},
		{"name without ARN", testAggregator, "", "context configAggregatorArn: required with configAggregator"},
		{"ARN without name", "", testAggregatorARN, "context configAggregator: required with configAggregatorArn"},
		{"the name as ARN", testAggregator, "arn:aws:config:us-east-1:" + testCentral + ":config-aggregator/" + testAggregator, "is not an aggregator ARN"},
		{"wildcard ARN", testAggregator, "arn:aws:config:us-east-1:" + testCentral + ":config-aggregator/*", "is not an aggregator ARN"},
		{"another account", testAggregator, strings.Replace(testAggregatorARN, testCentral, testManagement, 1), "is in account " + testManagement},
		{"another Region", testAggregator, strings.Replace(testAggregatorARN, testHome, "eu-west-1", 1), "Region eu-west-1"},
		{"GovCloud partition", testAggregator, strings.Replace(testAggregatorARN, "arn:aws:", "arn:aws-us-gov:", 1), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := map[string]any{"configAggregator": tt.aggregator, "configAggregatorArn": tt.arn}
			for k, v := range org {
				ctx[k] = v
			}
			app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
			c, err := ConfigFromContext(app.Node())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v; want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got error %v; want one saying %q", err, tt.wantErr)
			case tt.wantErr == "":
				assertEqual(t, "aggregator ARN", c.ConfigAggregatorARN, tt.arn)
			}
		})
	}
	app := awscdk.NewApp(&awscdk.AppProps{Context: &map[string]any{"configAggregator": testAggregator, "configAggregatorArn": testAggregatorARN}})
	if _, err := ConfigFromContext(app.Node()); err == nil || !strings.Contains(err.Error(), "set organizationId") {
		t.Errorf("one account with an aggregator: got %v; want an error asking for organizationId", err)
	}
}
