package guardrail

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The documents are what the product promises: exactly these statements.
func TestDocuments(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy Policy
		want   map[string]any
	}{
		{"model", Model, map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{map[string]any{
				"Sid": "DenyModelWithoutVpc", "Effect": "Deny", "Action": "sagemaker:CreateModel", "Resource": "*",
				"Condition": map[string]any{"Null": map[string]any{"sagemaker:VpcSubnets": "true"}},
			}},
		}},
		{"notebook", Notebook, map[string]any{
			"Version": "2012-10-17",
			"Statement": []any{
				map[string]any{
					"Sid": "DenyNotebookDirectInternet", "Effect": "Deny", "Action": "sagemaker:CreateNotebookInstance", "Resource": "*",
					"Condition": map[string]any{"StringNotEquals": map[string]any{"sagemaker:DirectInternetAccess": "Disabled"}},
				},
				map[string]any{
					"Sid": "DenyNotebookWithoutVpc", "Effect": "Deny", "Action": "sagemaker:CreateNotebookInstance", "Resource": "*",
					"Condition": map[string]any{"Null": map[string]any{"sagemaker:VpcSubnets": "true"}},
				},
			},
		}},
	} {
		doc := tc.policy.Document()
		var got map[string]any
		if err := json.Unmarshal([]byte(doc), &got); err != nil {
			t.Fatalf("%s: document is not JSON: %v\n%s", tc.name, err, doc)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s document = %s\nwant %v", tc.name, doc, tc.want)
		}
		if tc.policy.Description == "" {
			t.Errorf("%s: no description", tc.name)
		}
	}
}
