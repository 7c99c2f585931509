// Package badinput is vpcguard's corpus of broken input, generated in Go from
// the sample events: truncated JSON, a wrong JSON type in every field the
// CloudTrail parser reads, a 5 MB event, deep nesting, missing detail,
// unknown detail-types, invalid UTF-8, events from other sources. Its tests
// feed every case to the real CLI and to the guard Lambda handler.
package badinput

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vpcguard/vpcguard/events"
)

// Case is one input and what vpcguard must say about it.
type Case struct {
	Name string
	Data []byte
	// Want is a fragment of the error (for a bad input) or of the skip
	// reason (for a well-formed event no rule evaluates): the words a person
	// needs to find what is wrong.
	Want string
	// Skipped marks a well-formed event that no rule evaluates: it is
	// reported as skipped with its reason, not refused.
	Skipped bool
	// EventName is the skipped event's name, as the CLI logs it.
	EventName string
	// Long marks cases too big for the quick run (VPCGUARD_RELIABILITY=long).
	Long bool
}

// Sample is the good event the corpus is derived from, and whose finding
// must survive next to every bad case.
const Sample = "model-create-no-vpc.json"

// stringFields are every string field the parser reads from a record
// (cloudtrail.rawRecord, including userIdentity and its session issuer).
// Numbers, booleans and null are accepted there (AWS sends account ids as
// numbers); objects and arrays are not.
var stringFields = [][]string{
	{"eventID"}, {"eventTime"}, {"eventSource"}, {"eventName"}, {"awsRegion"},
	{"recipientAccountId"}, {"errorCode"}, {"errorMessage"}, {"sourceIPAddress"}, {"vpcEndpointId"},
	{"userIdentity", "type"}, {"userIdentity", "principalId"}, {"userIdentity", "arn"},
	{"userIdentity", "accountId"}, {"userIdentity", "userName"}, {"userIdentity", "invokedBy"},
	{"userIdentity", "sessionContext", "sessionIssuer", "type"},
	{"userIdentity", "sessionContext", "sessionIssuer", "principalId"},
	{"userIdentity", "sessionContext", "sessionIssuer", "arn"},
	{"userIdentity", "sessionContext", "sessionIssuer", "accountId"},
	{"userIdentity", "sessionContext", "sessionIssuer", "userName"},
}

// objectFields must be JSON objects (or null).
var objectFields = [][]string{
	{"userIdentity"}, {"userIdentity", "sessionContext"}, {"userIdentity", "sessionContext", "sessionIssuer"},
}

// paramFields are decoded as objects into cloudtrail.Value.
var paramFields = []string{"requestParameters", "responseElements"}

// envelopeStrings are the EventBridge envelope fields the parser reads.
var envelopeStrings = []string{"detail-type", "source", "account", "region"}

// wrong values by JSON kind, and how encoding/json names the kind.
var (
	notStrings = []struct {
		kind string
		v    any
	}{{"object", map[string]any{"x": "y"}}, {"array", []any{"x"}}}
	notObjects = []struct {
		kind string
		v    any
	}{{"string", "x"}, {"number", json.Number("42")}, {"array", []any{map[string]any{}}}, {"bool", true}}
)

// Corpus generates every case; the long ones (Case.Long) only when long is
// set. It fails only if the embedded sample cannot be read, which is a build
// problem, not a test result.
func Corpus(long bool) ([]Case, error) {
	good, err := events.FS.ReadFile(Sample)
	if err != nil {
		return nil, err
	}
	logFile, err := events.FS.ReadFile("cloudtrail-log-file.json")
	if err != nil {
		return nil, err
	}
	if _, err := decode(good); err != nil {
		return nil, fmt.Errorf("%s: %w", Sample, err)
	}
	var cases []Case
	add := func(name string, data []byte, want string) {
		cases = append(cases, Case{Name: name, Data: data, Want: want})
	}
	edit := func(f func(ev map[string]any)) []byte {
		ev, _ := decode(good) // decoded once above: cannot fail
		f(ev)
		return encode(ev)
	}

	// A wrong type in every field the parser reads.
	for _, p := range stringFields {
		for _, w := range notStrings {
			add(fmt.Sprintf("detail.%s is an %s", strings.Join(p, "."), w.kind),
				edit(func(ev map[string]any) { set(ev, append([]string{"detail"}, p...), w.v) }),
				fmt.Sprintf("detail: field %s: got JSON %s, want string", strings.Join(p, "."), w.kind))
		}
	}
	for _, p := range objectFields {
		for _, w := range notObjects {
			add(fmt.Sprintf("detail.%s is a %s", strings.Join(p, "."), w.kind),
				edit(func(ev map[string]any) { set(ev, append([]string{"detail"}, p...), w.v) }),
				fmt.Sprintf("detail: field %s: got JSON %s, want object", strings.Join(p, "."), w.kind))
		}
	}
	for _, p := range paramFields {
		for _, w := range notObjects {
			kind := w.kind
			if kind == "bool" {
				kind = "boolean"
			}
			add(fmt.Sprintf("detail.%s is a %s", p, w.kind),
				edit(func(ev map[string]any) { set(ev, []string{"detail", p}, w.v) }),
				fmt.Sprintf("detail: %s: want a JSON object, got %s", p, kind))
		}
	}
	for _, p := range envelopeStrings {
		for _, w := range notStrings {
			add(fmt.Sprintf("%s is an %s", p, w.kind),
				edit(func(ev map[string]any) { set(ev, []string{p}, w.v) }),
				fmt.Sprintf("field %s: got JSON %s, want string", p, w.kind))
		}
	}
	for _, w := range notObjects {
		add("detail is a "+w.kind, edit(func(ev map[string]any) { ev["detail"] = w.v }),
			"detail: not a CloudTrail event: want a JSON object")
	}
	add("Records is an object", []byte(`{"Records":{"eventName":"CreateModel","eventSource":"sagemaker.amazonaws.com"}}`),
		"Records: got JSON object, want array")
	add("Records is a string", []byte(`{"Records":"none"}`), "Records: got JSON string, want array")
	add("Records is null", []byte(`{"Records":null}`), "Records is empty")
	add("Records holds a number", []byte(`{"Records":[7]}`), "Records[0]: not a CloudTrail event: want a JSON object")
	add("array holds junk", []byte(`[1,"two",null]`), "item 0: got JSON number, want object")

	// Required fields missing or empty.
	add("missing detail", edit(func(ev map[string]any) { delete(ev, "detail") }), "EventBridge event has no detail")
	add("detail is null", edit(func(ev map[string]any) { ev["detail"] = nil }), "EventBridge event has no detail")
	add("detail is empty", edit(func(ev map[string]any) { ev["detail"] = map[string]any{} }),
		"detail: not a CloudTrail event: eventName and eventSource are required")
	add("eventName is null", edit(func(ev map[string]any) { set(ev, []string{"detail", "eventName"}, nil) }),
		"eventName and eventSource are required")
	add("eventSource is empty", edit(func(ev map[string]any) { set(ev, []string{"detail", "eventSource"}, "") }),
		"eventName and eventSource are required")

	// EventBridge events that are not CloudTrail API calls, or not from
	// the service their detail says.
	add("unknown detail-type", edit(func(ev map[string]any) { ev["detail-type"] = "SageMaker Model State Change" }),
		`unsupported EventBridge detail-type "SageMaker Model State Change"`)
	add("CloudTrail service event", edit(func(ev map[string]any) { ev["detail-type"] = "AWS Service Event via CloudTrail" }),
		`unsupported EventBridge detail-type "AWS Service Event via CloudTrail"`)
	add("detail-type is a number", edit(func(ev map[string]any) { ev["detail-type"] = json.Number("7") }),
		"unsupported EventBridge detail-type 7")
	add("source aws.s3 with a SageMaker detail", edit(func(ev map[string]any) { ev["source"] = "aws.s3" }),
		`EventBridge source "aws.s3" does not match detail.eventSource "sagemaker.amazonaws.com"`)
	add("source without aws. prefix", edit(func(ev map[string]any) { ev["source"] = "custom.sagemaker" }),
		`EventBridge source "custom.sagemaker" does not match`)

	// Not JSON, or not a JSON object.
	add("empty file", nil, "empty input")
	add("whitespace only", []byte(" \n\t\n"), "empty input")
	add("null", []byte("null"), "not a CloudTrail event: want a JSON object or array")
	add("a number", []byte("42"), "not a CloudTrail event: want a JSON object or array")
	add("a string", []byte(`"CreateModel"`), "not a CloudTrail event: want a JSON object or array")
	add("true", []byte("true"), "not a CloudTrail event: want a JSON object or array")
	add("empty array", []byte("[]"), "empty array")
	add("empty object", []byte("{}"), "eventName and eventSource are required")
	add("plain text", []byte("CreateModel without a VPC"), "invalid JSON at byte 1: invalid character 'C'")
	add("two objects", append(bytes.TrimSpace(good), bytes.TrimSpace(good)...), "invalid JSON")
	add("trailing comma", []byte(`{"eventName":"CreateModel","eventSource":"sagemaker.amazonaws.com",}`), "invalid JSON")
	add("single quotes", []byte(`{'eventName':'CreateModel'}`), "invalid JSON at byte 2: invalid character '\\''")

	// Truncated at several offsets: the first byte, mid-key, mid-string,
	// halfway, one byte short.
	trimmed := bytes.TrimSpace(good)
	for _, n := range []int{1, 9, 40, len(trimmed) / 2, len(trimmed) - 1} {
		add(fmt.Sprintf("truncated at byte %d of %d", n, len(trimmed)), trimmed[:n:n], "invalid JSON")
	}
	tlog := bytes.TrimSpace(logFile)
	add("log file truncated halfway", tlog[:len(tlog)/2:len(tlog)/2], "invalid JSON")

	// Invalid UTF-8: a stray byte, an overlong encoding, a UTF-16 surrogate,
	// each inside the model name.
	for _, bad := range []struct{ name, seq string }{{"stray 0xff", "\xff"}, {"overlong slash", "\xc0\xaf"}, {"surrogate", "\xed\xa0\x80"}} {
		data := bytes.Replace(good, []byte("churn-xgb-public"), []byte("churn"+bad.seq+"public"), 1)
		at := bytes.Index(data, []byte(bad.seq))
		add("invalid UTF-8: "+bad.name, data, fmt.Sprintf("invalid UTF-8 at byte %d", at))
	}
	add("NUL bytes", []byte("\x00\x00\x00\x00"), "invalid JSON at byte 1")

	// Size and depth.
	add("5 MB event", edit(func(ev map[string]any) {
		set(ev, []string{"detail", "requestParameters", "pad"}, strings.Repeat("x", 5<<20))
	}), "detail: record is 52") // "record is 52448xx bytes; a CloudTrail event is at most 256 KB"
	add("5 MB log file record", []byte(`{"Records":[{"eventName":"CreateModel","eventSource":"sagemaker.amazonaws.com","requestParameters":{"pad":"`+
		strings.Repeat("x", 5<<20)+`"}}]}`), "Records[0]: record is")
	add("100k nested arrays", []byte(strings.Repeat("[", 100_000)), "exceeded max depth")
	add("100k nested arrays, closed", []byte(strings.Repeat("[", 100_000)+strings.Repeat("]", 100_000)), "exceeded max depth")
	add("100k nested objects in requestParameters", edit(func(ev map[string]any) {
		set(ev, []string{"detail", "requestParameters", "deep"}, "DEEP")
	}), "exceeded max depth")
	last := &cases[len(cases)-1]
	last.Data = bytes.Replace(last.Data, []byte(`"DEEP"`),
		[]byte(strings.Repeat(`{"a":`, 100_000)+"1"+strings.Repeat("}", 100_000)), 1)
	if long {
		cases = append(cases, Case{Name: "input over 64 MB", Data: bytes.Repeat([]byte(" "), 64<<20+1), Want: "the limit is 67108864", Long: true})
	}

	// Well-formed events no rule evaluates: skipped with the reason.
	skip := func(name string, data []byte, want string) {
		ev, _ := decode(data)
		detail, _ := ev["detail"].(map[string]any)
		cases = append(cases, Case{Name: name, Data: data, Want: want, Skipped: true, EventName: fmt.Sprint(detail["eventName"])})
	}
	skip("EventBridge event from aws.s3", edit(func(ev map[string]any) {
		ev["source"] = "aws.s3"
		set(ev, []string{"detail", "eventSource"}, "s3.amazonaws.com")
		set(ev, []string{"detail", "eventName"}, "PutBucketPolicy")
		set(ev, []string{"detail", "requestParameters"}, map[string]any{"bucketName": "ml-artifacts"})
		set(ev, []string{"detail", "responseElements"}, nil)
	}), "PutBucketPolicy from s3.amazonaws.com")
	skip("unknown SageMaker eventName", edit(func(ev map[string]any) {
		set(ev, []string{"detail", "eventName"}, "CreateEndpointConfig")
	}), "CreateEndpointConfig from sagemaker.amazonaws.com")
	skip("vpcguard's own StopTrainingJob", edit(func(ev map[string]any) {
		set(ev, []string{"detail", "eventName"}, "StopTrainingJob")
		set(ev, []string{"detail", "requestParameters"}, map[string]any{"trainingJobName": "churn-train-public"})
	}), "StopTrainingJob from sagemaker.amazonaws.com")
	skip("eventName is a number", edit(func(ev map[string]any) {
		set(ev, []string{"detail", "eventName"}, json.Number("42"))
	}), "42 from sagemaker.amazonaws.com")
	skip("failed call", edit(func(ev map[string]any) {
		set(ev, []string{"detail", "errorCode"}, "AccessDenied")
	}), "AccessDenied")
	return cases, nil
}

// OddValue is a well-formed event whose fields a rule reads hold values of
// the wrong JSON type: the parser cannot know those fields, so the event is
// evaluated, and the rule must decide (as if the field were absent, or on
// what it can read) instead of failing or panicking.
type OddValue struct {
	Name string
	Data []byte
	Rule string // the rule whose finding says...
	Want string // ...this, in its reason
}

// OddValues derives the odd-value cases from the samples of the network
// rules (network isolation, zones, the VPC's private path).
func OddValues() ([]OddValue, error) {
	var out []OddValue
	var errs []error
	from := func(sample, name, rule, want string, f func(detail map[string]any)) {
		raw, err := events.FS.ReadFile(sample)
		if err != nil {
			errs = append(errs, err)
			return
		}
		ev, err := decode(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", sample, err))
			return
		}
		detail, _ := ev["detail"].(map[string]any)
		f(detail)
		out = append(out, OddValue{Name: name, Data: encode(ev), Rule: rule, Want: want})
	}
	const (
		isolated = "sagemaker-model-network-isolation"
		multiAZ  = "sagemaker-model-vpc-multi-az"
		path     = "sagemaker-vpc-private-path-complete"
	)
	from("model-create-network-isolation.json", "enableNetworkIsolation is an object", isolated, "without EnableNetworkIsolation",
		func(d map[string]any) {
			set(d, []string{"requestParameters", "enableNetworkIsolation"}, map[string]any{"on": true})
		})
	from("model-create-network-isolation.json", "enableNetworkIsolation is a word", isolated, "without EnableNetworkIsolation",
		func(d map[string]any) { set(d, []string{"requestParameters", "enableNetworkIsolation"}, "yes please") })
	from("model-create-one-az.json", "vpcConfig.subnets is a string", multiAZ, "one VPC subnet (subnet-0aaa1111bbbb2222c)",
		func(d map[string]any) {
			set(d, []string{"requestParameters", "vpcConfig", "subnets"}, "subnet-0aaa1111bbbb2222c")
		})
	from("model-create-one-az.json", "vpcConfig.subnets holds objects and nulls", multiAZ, "not in a VPC",
		func(d map[string]any) {
			set(d, []string{"requestParameters", "vpcConfig", "subnets"}, []any{map[string]any{"id": "subnet-1"}, nil})
		})
	from("model-create-one-az.json", "vpcConfig is a list", multiAZ, "not in a VPC",
		func(d map[string]any) {
			set(d, []string{"requestParameters", "vpcConfig"}, []any{"subnet-0aaa1111bbbb2222c"})
		})
	from("endpoint-create-notebook-no-api.json", "VpcId is a list, vpcId an object", path, "which VPC vpce-0a1b2c3d4e5f60006 is in",
		func(d map[string]any) {
			set(d, []string{"requestParameters", "CreateVpcEndpointRequest", "VpcId"}, []any{"vpc-1", "vpc-2"})
			set(d, []string{"responseElements", "CreateVpcEndpointResponse", "vpcEndpoint", "vpcId"}, map[string]any{"id": "vpc-1"})
		})
	from("endpoint-create-notebook-no-api.json", "serviceName is an object: the request's is read", path, "the VPC's other endpoints",
		func(d map[string]any) {
			set(d, []string{"responseElements", "CreateVpcEndpointResponse", "vpcEndpoint", "serviceName"}, map[string]any{"name": "notebook"})
		})
	from("endpoint-delete.json", "VpcEndpointId is a map of items", path, "which VPC vpce-1 is in",
		func(d map[string]any) {
			set(d, []string{"requestParameters", "DeleteVpcEndpointsRequest", "VpcEndpointId"}, map[string]any{"item": []any{map[string]any{"content": "vpce-1"}, ""}})
		})
	return out, errors.Join(errs...)
}

// decode reads JSON keeping numbers as written.
func decode(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	err := dec.Decode(&m)
	return m, err
}

// encode writes a generated case. The values are strings, json.Numbers,
// bools, nil, and maps and slices of them, which always marshal.
func encode(m map[string]any) []byte {
	b, _ := json.Marshal(m)
	return b
}

// set puts v at path, creating objects on the way.
func set(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}
