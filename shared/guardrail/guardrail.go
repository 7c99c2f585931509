// Package guardrail is the shape of the IAM policy vpcguard attaches, in
// enforce mode, to a principal that broke a rule, so that its next attempt
// fails at the API. The statements themselves belong to the rules (package
// rules): each denies only the non-compliant form of its call. The CDK
// stack deploys one managed policy holding the statements of every
// enforced rule, and the demo and the tests seed moto with the same
// document, so a principal never carries more than one vpcguard policy.
package guardrail

import "encoding/json"

// Version is the IAM policy language version of the documents.
const Version = "2012-10-17"

// MaxSize is IAM's limit on a managed policy document, in characters, not
// counting white space.
const MaxSize = 6144

// Condition is one IAM condition: Operator compares the request's Key with
// Values (any of them).
type Condition struct {
	Operator string
	Key      string
	Values   []string
}

// Statement denies Actions on every resource when all its Conditions hold.
type Statement struct {
	Sid        string
	Actions    []string
	Conditions []Condition
}

// Policy is a guardrail policy: what it is for and its statements.
type Policy struct {
	Description string
	Statements  []Statement
}

// ConditionBlock is the statement's conditions as IAM policy documents (and
// CDK's PolicyStatementProps.Conditions) spell them:
// {"Operator": {"Key": "Value" or ["Value", ...]}}.
func (s Statement) ConditionBlock() map[string]any {
	block := map[string]any{}
	for _, c := range s.Conditions {
		keys, ok := block[c.Operator].(map[string]any)
		if !ok {
			keys = map[string]any{}
			block[c.Operator] = keys
		}
		if len(c.Values) == 1 {
			keys[c.Key] = c.Values[0]
		} else {
			keys[c.Key] = c.Values
		}
	}
	return block
}

type statementJSON struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Action    any            `json:"Action"`
	Resource  string         `json:"Resource"`
	Condition map[string]any `json:"Condition,omitempty"`
}

type documentJSON struct {
	Version   string          `json:"Version"`
	Statement []statementJSON `json:"Statement"`
}

// Document is the policy as a minified IAM policy document.
func (p Policy) Document() string {
	d := documentJSON{Version: Version, Statement: make([]statementJSON, len(p.Statements))}
	for i, s := range p.Statements {
		var action any = s.Actions
		if len(s.Actions) == 1 {
			action = s.Actions[0]
		}
		d.Statement[i] = statementJSON{Sid: s.Sid, Effect: "Deny", Action: action, Resource: "*", Condition: s.ConditionBlock()}
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic("guardrail: " + err.Error()) // strings and maps of strings always marshal
	}
	return string(b)
}
