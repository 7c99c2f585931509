package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/resource"
)

func TestModelNetworkIsolationFromEvent(t *testing.T) {
	const arn = "arn:aws:sagemaker:us-east-1:111122223333:model/m"
	resp := `{"modelArn":"` + arn + `"}`
	create := func(req string) string {
		return record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", req, resp)
	}
	tests := []struct {
		name       string
		event      string
		wantStates int
		wantStatus finding.Status
		wantReason string
	}{
		{"isolation on", create(`{"modelName":"m","enableNetworkIsolation":true}`), 1, finding.Compliant, "network isolation on"},
		{"isolation on, as a string", create(`{"modelName":"m","enableNetworkIsolation":"true"}`), 1, finding.Compliant, "network isolation on"},
		{"isolation off", create(`{"modelName":"m","enableNetworkIsolation":false}`), 1, finding.NonCompliant, "without EnableNetworkIsolation"},
		{"isolation omitted: the API's default is off", create(`{"modelName":"m","vpcConfig":{"subnets":["subnet-1"]}}`), 1, finding.NonCompliant, "false or omitted"},
		{"isolation null", create(`{"modelName":"m","enableNetworkIsolation":null}`), 1, finding.NonCompliant, "without EnableNetworkIsolation"},
		{"isolation not a boolean reads as off", create(`{"modelName":"m","enableNetworkIsolation":{"x":1}}`), 1, finding.NonCompliant, "recreate it"},
		{"PascalCase", create(`{"ModelName":"m","EnableNetworkIsolation":true}`), 1, finding.Compliant, "network isolation on"},
		{"DeleteModel", record("sagemaker.amazonaws.com", "DeleteModel", "us-east-1", `{"modelName":"m"}`, ""), 1, finding.NotApplicable, "no longer exists"},
		{"no model name", create(`{"enableNetworkIsolation":true}`), 0, "", ""},
		{"no request", create(""), 0, "", ""},
	}
	r := ModelNetworkIsolation{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			states, ds := evaluate(t, r, parse(t, tt.event))
			if len(states) != tt.wantStates {
				t.Fatalf("FromEvent: got %d states; want %d", len(states), tt.wantStates)
			}
			if tt.wantStates == 0 {
				return
			}
			if s := states[0]; s.ID != "m" || s.Kind != resource.Model {
				t.Errorf("Ref: got %+v; want model m", s.Ref)
			}
			if ds[0].Status != tt.wantStatus || !strings.Contains(ds[0].Reason, tt.wantReason) {
				t.Errorf("decision: got %s %q; want %s containing %q", ds[0].Status, ds[0].Reason, tt.wantStatus, tt.wantReason)
			}
		})
	}
}

// TestModelNetworkIsolationDecide: online states, as DescribeModel and
// Search give them.
func TestModelNetworkIsolationDecide(t *testing.T) {
	ref := resource.Ref{Kind: resource.Model, ID: "m", Account: "1", Region: "us-east-1"}
	tests := []struct {
		name  string
		state resource.State
		want  finding.Status
	}{
		{"isolated, no VPC", resource.State{Ref: ref, Model: &resource.ModelConfig{NetworkIsolation: true}}, finding.Compliant},
		{"isolated, in a VPC", resource.State{Ref: ref, Model: &resource.ModelConfig{NetworkIsolation: true, Subnets: []string{"subnet-1"}}}, finding.Compliant},
		{"in a VPC, not isolated", resource.State{Ref: ref, Model: &resource.ModelConfig{Subnets: []string{"subnet-1"}}}, finding.NonCompliant},
		{"missing", resource.State{Ref: ref, Missing: true}, finding.NotApplicable},
		{"unknown", resource.State{Ref: ref}, finding.InsufficientData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ModelNetworkIsolation{}.Decide(tt.state)
			checkDecision(t, ModelNetworkIsolation{}, tt.state, d)
			if d.Status != tt.want {
				t.Errorf("status: got %s; want %s (reason %q)", d.Status, tt.want, d.Reason)
			}
		})
	}
}

// TestModelNetworkIsolationGuardrail checks the statement as IAM evaluates
// it. sagemaker:NetworkIsolation is a Bool key a caller may leave out, and
// the IAM User Guide says of the condition operators: a condition on a key
// absent from the request evaluates to false, except with the ...IfExists
// suffix ("If the key is not present, evaluate the condition element as
// true") and the Null operator (true when the key is absent, asked with
// "true"). So the deny must match "false" and "absent" and not "true":
// BoolIfExists on "false" does; a plain Bool on "false" would let an omitted
// parameter, which AWS takes as off, through.
func TestModelNetworkIsolationGuardrail(t *testing.T) {
	sts := ModelNetworkIsolation{}.Guardrail()
	if len(sts) != 1 {
		t.Fatalf("statements: got %d; want 1", len(sts))
	}
	doc := guardrail.Policy{Statements: sts}.Document()
	const want = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyModelWithoutNetworkIsolation","Effect":"Deny",` +
		`"Action":"sagemaker:CreateModel","Resource":"*","Condition":{"BoolIfExists":{"sagemaker:NetworkIsolation":"false"}}}]}`
	if doc != want {
		t.Errorf("document:\n got %s\nwant %s", doc, want)
	}
	tests := []struct {
		name    string
		request map[string]string // the request context's condition keys
		denied  bool
	}{
		{"EnableNetworkIsolation true", map[string]string{"sagemaker:NetworkIsolation": "true"}, false},
		{"EnableNetworkIsolation false", map[string]string{"sagemaker:NetworkIsolation": "false"}, true},
		{"EnableNetworkIsolation omitted", map[string]string{}, true},
		{"another call's keys only", map[string]string{"sagemaker:VpcSubnets": "subnet-1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := denies(t, sts[0], tt.request); got != tt.denied {
				t.Errorf("denied: got %v; want %v", got, tt.denied)
			}
		})
	}
	// The same statement without IfExists would let an omitted parameter through.
	plain := sts[0]
	plain.Conditions = []guardrail.Condition{{Operator: "Bool", Key: "sagemaker:NetworkIsolation", Values: []string{"false"}}}
	if denies(t, plain, map[string]string{}) {
		t.Errorf("a plain Bool condition denied a request without the key; the IAM semantics in this test are wrong")
	}
}

// denies evaluates a Deny statement's conditions on a single-valued request
// context, with the IAM semantics of the operators guardrails use (Bool,
// Null, String(Not)Equals, with and without IfExists). Every condition must
// hold; within one, any value may match.
func denies(t *testing.T, st guardrail.Statement, request map[string]string) bool {
	t.Helper()
	for _, c := range st.Conditions {
		op, ifExists := strings.CutSuffix(c.Operator, "IfExists")
		v, present := request[c.Key]
		if op == "Null" {
			want := len(c.Values) == 1 && c.Values[0] == "true"
			if !present != want {
				return false
			}
			continue
		}
		if !present {
			if ifExists {
				continue // "If the key is not present, evaluate the condition element as true."
			}
			return false
		}
		var match bool
		switch op {
		case "Bool":
			match = slices.ContainsFunc(c.Values, func(want string) bool { return strings.EqualFold(v, want) })
		case "StringEquals":
			match = slices.Contains(c.Values, v)
		case "StringNotEquals": // a negated operator matches none of the values
			match = !slices.Contains(c.Values, v)
		default:
			t.Fatalf("operator %s: not modelled here", c.Operator)
		}
		if !match {
			return false
		}
	}
	return true
}
