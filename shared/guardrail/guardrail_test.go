package guardrail

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestDocument: statements become IAM's JSON: Deny on every resource, a
// single action or value as a string, several as a list, conditions with one
// operator merged, and no white space (IAM's size limit counts none).
func TestDocument(t *testing.T) {
	p := Policy{Description: "test", Statements: []Statement{{
		Sid:        "One",
		Actions:    []string{"sagemaker:CreateModel"},
		Conditions: []Condition{{Operator: "Null", Key: "sagemaker:VpcSubnets", Values: []string{"true"}}},
	}, {
		Sid:     "Two",
		Actions: []string{"sagemaker:CreatePresignedDomainUrl", "sagemaker:CreatePresignedNotebookInstanceUrl"},
		Conditions: []Condition{
			{Operator: "StringNotEquals", Key: "aws:SourceVpce", Values: []string{"vpce-1", "vpce-2"}},
			{Operator: "StringNotEquals", Key: "aws:SourceVpc", Values: []string{"vpc-1"}},
			{Operator: "Null", Key: "aws:SourceVpce", Values: []string{"false"}},
		},
	}}}
	doc := p.Document()
	if strings.ContainsAny(doc, " \n\t") {
		t.Errorf("document has white space: %s", doc)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(doc), &got); err != nil {
		t.Fatalf("document is not JSON: %v\n%s", err, doc)
	}
	want := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{"Sid": "One", "Effect": "Deny", "Action": "sagemaker:CreateModel", "Resource": "*",
				"Condition": map[string]any{"Null": map[string]any{"sagemaker:VpcSubnets": "true"}}},
			map[string]any{"Sid": "Two", "Effect": "Deny", "Resource": "*",
				"Action": []any{"sagemaker:CreatePresignedDomainUrl", "sagemaker:CreatePresignedNotebookInstanceUrl"},
				"Condition": map[string]any{
					"StringNotEquals": map[string]any{"aws:SourceVpce": []any{"vpce-1", "vpce-2"}, "aws:SourceVpc": "vpc-1"},
					"Null":            map[string]any{"aws:SourceVpce": "false"},
				}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("document = %s\nwant %v", doc, want)
	}
}
