package cloudtrail

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
)

// decode decodes JSON the way the parser does (UseNumber), for Value tests.
func decode(t *testing.T, s string) Value {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return NewValue(v)
}

func TestValueGetIsCaseInsensitive(t *testing.T) {
	v := decode(t, `{"modelName":"m","VpcConfig":{"Subnets":["a"]},"nothing":null}`)
	tests := []struct {
		path []string
		want string
	}{
		{[]string{"modelName"}, "m"},
		{[]string{"MODELNAME"}, "m"},
		{[]string{"modelname"}, "m"},
		{[]string{"missing"}, ""},
		{[]string{"modelName", "deeper"}, ""}, // a string has no fields
		{[]string{"vpcConfig", "subnets"}, ""},
	}
	for _, tt := range tests {
		if got := v.Get(tt.path...).String(); got != tt.want {
			t.Errorf("Get(%q).String() = %q; want %q", tt.path, got, tt.want)
		}
	}
	if got := v.Get("vpcConfig", "subnets").Strings(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("Get(vpcConfig, subnets).Strings() = %q; want [a]", got)
	}
	if v.Get("nothing").Exists() {
		t.Errorf("Get(nothing).Exists() = true; want false for JSON null")
	}
	if v.Get("missing").Exists() {
		t.Errorf("Get(missing).Exists() = true; want false")
	}
	if !v.Get("VPCCONFIG").Exists() {
		t.Errorf("Get(VPCCONFIG).Exists() = false; want true")
	}
	// The zero Value and non-objects answer every question with nothing.
	var zero Value
	if zero.Get("a", "b").Exists() || zero.String() != "" || zero.List() != nil {
		t.Errorf("zero Value: got something; want nothing")
	}
}

func TestValueGetDoesNotLookThroughWrappers(t *testing.T) {
	v := decode(t, `{"CreateVpcEndpointRequest":{"PrivateDnsEnabled":false}}`)
	if v.Get("PrivateDnsEnabled").Exists() {
		t.Errorf("Get(PrivateDnsEnabled) found a wrapped field; want callers to step into the wrapper")
	}
	if b, ok := v.Get("createVpcEndpointRequest", "privateDnsEnabled").Bool(); !ok || b {
		t.Errorf("Get(wrapper, field).Bool() = %v, %v; want false, true", b, ok)
	}
}

func TestValueString(t *testing.T) {
	tests := []struct {
		json string
		want string
	}{
		{`"abc"`, "abc"},
		{`123456789012`, "123456789012"},
		{`1.5`, "1.5"},
		{`true`, "true"},
		{`false`, "false"},
		{`null`, ""},
		{`{"a":1}`, ""},
		{`["a"]`, ""},
		{`{"content":"subnet-1","tag":1}`, "subnet-1"},
		{`{"Content":"subnet-1","Tag":1}`, "subnet-1"},
		{`{"content":"subnet-1"}`, "subnet-1"},
		{`{"content":42,"tag":1}`, "42"},
		{`{"content":"x","other":1}`, ""}, // not an item wrapper
	}
	for _, tt := range tests {
		if got := decode(t, tt.json).String(); got != tt.want {
			t.Errorf("String(%s) = %q; want %q", tt.json, got, tt.want)
		}
	}
	// Values built from float64 (encoding/json without UseNumber) format too.
	if got := NewValue(float64(123456789012)).String(); got != "123456789012" {
		t.Errorf("String(float64) = %q; want 123456789012", got)
	}
}

func TestValueBool(t *testing.T) {
	tests := []struct {
		json   string
		want   bool
		wantOK bool
	}{
		{`true`, true, true},
		{`false`, false, true},
		{`"true"`, true, true},
		{`"false"`, false, true},
		{`"TRUE"`, true, true},
		{`" false "`, false, true},
		{`1`, true, true},
		{`0`, false, true},
		{`2`, false, false},
		{`"yes"`, false, false},
		{`""`, false, false},
		{`null`, false, false},
		{`{}`, false, false},
		{`[true]`, false, false},
		{`{"content":false,"tag":1}`, false, true},
		{`{"content":"true","tag":1}`, true, true},
	}
	for _, tt := range tests {
		got, ok := decode(t, tt.json).Bool()
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("Bool(%s) = %v, %v; want %v, %v", tt.json, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestValueListAndStrings(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []string
	}{
		{"plain list", `["a","b"]`, []string{"a", "b"}},
		{"items wrapped with content and tag", `[{"content":"a","tag":1},{"content":"b","tag":2}]`, []string{"a", "b"}},
		{"single wrapped object instead of a list", `{"content":"a","tag":1}`, []string{"a"}},
		{"single string instead of a list", `"a"`, []string{"a"}},
		{"single number instead of a list", `7`, []string{"7"}},
		{"empty set as empty string", `""`, nil},
		{"empty set as blank string", `"  "`, nil},
		{"empty list", `[]`, nil},
		{"null", `null`, nil},
		{"item wrapper with one string", `{"item":"a"}`, []string{"a"}},
		{"item wrapper with a list", `{"item":["a","b"]}`, []string{"a", "b"}},
		{"items wrapper with wrapped items", `{"items":[{"content":"a","tag":1}]}`, []string{"a"}},
		{"item wrapper in PascalCase", `{"Item":["a"]}`, []string{"a"}},
		{"item wrapper around a wrapped item", `{"item":{"content":"a","tag":1}}`, []string{"a"}},
		{"item wrapper around the empty set", `{"item":""}`, nil},
		{"nulls and empties dropped", `["a",null,"",{"content":"b","tag":1}]`, []string{"a", "b"}},
		{"objects are items but not strings", `[{"groupId":"sg-1"}]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decode(t, tt.json).Strings(); !slices.Equal(got, tt.want) {
				t.Errorf("Strings(%s) = %q; want %q", tt.json, got, tt.want)
			}
		})
	}
	// A list of objects keeps the objects, so callers can read their fields.
	groups := decode(t, `{"item":{"groupId":"sg-1","groupName":"default"}}`).List()
	if len(groups) != 1 || groups[0].Get("groupId").String() != "sg-1" {
		t.Errorf("List of a wrapped object: got %d items; want 1 with groupId sg-1", len(groups))
	}
}
