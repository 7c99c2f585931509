// Package guardrail holds the IAM policies vpcguard attaches to a principal
// that created a non-compliant SageMaker resource, so that its next attempt
// fails at the API. It is the one source of the policies' statements:
// infra/stack builds the deployed managed policies from them, and the demo
// and the tests that seed moto create the same documents with Document.
package guardrail

import "encoding/json"

// Version is the IAM policy language version of the documents.
const Version = "2012-10-17"

// Condition is one IAM condition: Operator compares the request's Key with Value.
type Condition struct {
	Operator, Key, Value string
}

// Statement is one statement of a guardrail policy.
type Statement struct {
	Sid       string
	Effect    string
	Action    string
	Resource  string
	Condition Condition
}

// Policy is a guardrail policy: what it is for and its statements.
type Policy struct {
	Description string
	Statements  []Statement
}

// Model denies creating a SageMaker model without VPC subnets.
var Model = Policy{
	Description: "vpcguard: deny SageMaker models outside a VPC",
	Statements: []Statement{{
		Sid:       "DenyModelWithoutVpc",
		Effect:    "Deny",
		Action:    "sagemaker:CreateModel",
		Resource:  "*",
		Condition: Condition{Operator: "Null", Key: "sagemaker:VpcSubnets", Value: "true"},
	}},
}

// Notebook denies notebook instances with direct internet access or outside a
// VPC (without subnets SageMaker gives the notebook internet access regardless).
var Notebook = Policy{
	Description: "vpcguard: deny SageMaker notebook instances with direct internet access",
	Statements: []Statement{{
		Sid:       "DenyNotebookDirectInternet",
		Effect:    "Deny",
		Action:    "sagemaker:CreateNotebookInstance",
		Resource:  "*",
		Condition: Condition{Operator: "StringNotEquals", Key: "sagemaker:DirectInternetAccess", Value: "Disabled"},
	}, {
		Sid:       "DenyNotebookWithoutVpc",
		Effect:    "Deny",
		Action:    "sagemaker:CreateNotebookInstance",
		Resource:  "*",
		Condition: Condition{Operator: "Null", Key: "sagemaker:VpcSubnets", Value: "true"},
	}},
}

// Conditions is the statement's condition block, {"Operator": {"Key": "Value"}},
// as IAM policy documents (and CDK's PolicyStatementProps.Conditions) spell it.
func (s Statement) Conditions() map[string]any {
	return map[string]any{s.Condition.Operator: map[string]any{s.Condition.Key: s.Condition.Value}}
}

type statementJSON struct {
	Sid       string         `json:"Sid"`
	Effect    string         `json:"Effect"`
	Action    string         `json:"Action"`
	Resource  string         `json:"Resource"`
	Condition map[string]any `json:"Condition"`
}

type documentJSON struct {
	Version   string          `json:"Version"`
	Statement []statementJSON `json:"Statement"`
}

// Document is the policy as an IAM policy document, in JSON.
func (p Policy) Document() string {
	d := documentJSON{Version: Version, Statement: make([]statementJSON, len(p.Statements))}
	for i, s := range p.Statements {
		d.Statement[i] = statementJSON{Sid: s.Sid, Effect: s.Effect, Action: s.Action, Resource: s.Resource, Condition: s.Conditions()}
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic("guardrail: " + err.Error()) // strings and maps of strings always marshal
	}
	return string(b)
}
