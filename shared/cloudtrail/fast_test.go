package cloudtrail

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkFastMatchesSlow holds parseFast to parseSlow on data: whenever the
// fast path accepts an input, encoding/json's path reads the same events
// from it, without error. It returns whether the fast path accepted it.
func checkFastMatchesSlow(t *testing.T, data []byte) bool {
	t.Helper()
	if len(data) > MaxInput || !utf8.Valid(data) {
		return false
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return false
	}
	fast, ok := parseFast(trimmed)
	if !ok {
		return false
	}
	slow, err := parseSlow(trimmed)
	if err != nil {
		t.Fatalf("input %.300q: the fast path read %d events; encoding/json refuses it: %v", data, len(fast), err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("input %.300q:\nfast path: %+v\nencoding/json: %+v", data, fast, slow)
	}
	return true
}

// FuzzParseFastMatchesSlow checks that the one-pass parser never reads an
// input differently from encoding/json.
func FuzzParseFastMatchesSlow(f *testing.F) {
	for _, pattern := range []string{"../../events/*.json", "testdata/bad/*"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, tt := range fastCases {
		f.Add([]byte(tt.input))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastMatchesSlow(t, data)
	})
}

// fastCases are inputs at the edges of what the fast path reads, and whether
// it reads them (fast) or leaves them to encoding/json.
var fastCases = []struct {
	name  string
	input string
	fast  bool
}{
	{"bare record", bareRecord, true},
	{"EventBridge event", eventBridge(bareRecord), true},
	{"EventBridge: detail before detail-type", `{"detail":` + bareRecord + `,"region":"r","account":1,"source":"aws.sagemaker","detail-type":"AWS API Call via CloudTrail"}`, true},
	{"EventBridge: envelope account and region", eventBridge(`{"eventName":"A","eventSource":"sagemaker.amazonaws.com"}`), true},
	{"array", "[" + bareRecord + " , " + eventBridge(bareRecord) + `,{"Records":[` + bareRecord + "]}]", true},
	{"log file: Records last", `{"x":1,"eventName":"ignored","Records":[` + bareRecord + "," + bareRecord + "]}", true},
	{"log file: lower case", `{"records":[` + bareRecord + "]}", true},
	{"field names in any case", `{"EVENTNAME":"A","EventSource":"s","USERIDENTITY":{"ARN":"a","SessionContext":{"SESSIONISSUER":{"Arn":"b"}}}}`, true},
	{"whitespace everywhere", " \t\n{ \"eventName\" : \"A\" ,\r\n\"eventSource\":\"s\" , \"requestParameters\" : { \"a\" : [ 1 , { } , [ ] ] } } \n", true},
	{"numbers and literals as strings", `{"eventName":-0.5e+10,"eventSource":true,"eventID":false,"awsRegion":null,"recipientAccountId":1E3,"errorCode":0}`, true},
	{"params: every kind", `{"eventName":"A","eventSource":"s","requestParameters":{"s":"x","n":-12.5e-3,"t":true,"f":false,"z":null,"a":[],"o":{},"deep":[[{"k":["v"]}]]},"responseElements":null}`, true},
	{"params: duplicate keys, last wins", `{"eventName":"A","eventSource":"s","requestParameters":{"a":1,"a":2,"A":3}}`, true},
	{"escapes in values and params", `{"eventName":"Create\u004dodel\n","eventSource":"s\/\"\\\b\f\r\t","requestParameters":{"k\u00e9y":"\ud83d\ude00 \ud800 \udc00x \ud800\u0041 \u0000"}}`, true},
	{"non-ASCII values", `{"eventName":"Créer","eventSource":"s","requestParameters":{"名前":"値"}}`, true},
	{"userIdentity and sessionContext null", `{"eventName":"A","eventSource":"s","userIdentity":{"sessionContext":null}}`, true},
	{"sessionIssuer null", `{"eventName":"A","eventSource":"s","userIdentity":{"sessionContext":{"sessionIssuer":null}}}`, true},
	{"empty sessionIssuer", `{"eventName":"A","eventSource":"s","userIdentity":{"sessionContext":{"sessionIssuer":{}}}}`, true},
	{"unparseable time", `{"eventName":"A","eventSource":"s","eventTime":"2026-13-01T00:00:00Z"}`, true},
	{"numeric time", `{"eventName":"A","eventSource":"s","eventTime":20261120}`, true},
	{"bare record with an object detail and no detail-type", `{"eventName":"A","eventSource":"s","detail":{"x":1}}`, true},

	{"duplicate eventName", `{"eventName":"A","EVENTNAME":"B","eventSource":"s"}`, false},
	{"duplicate userIdentity", `{"eventName":"A","eventSource":"s","userIdentity":{"type":"A"},"userIdentity":{"arn":"x"}}`, false},
	{"duplicate Records", `{"Records":[` + bareRecord + `],"records":[]}`, false},
	{"duplicate detail", eventBridge(bareRecord)[:len(eventBridge(bareRecord))-1] + `,"detail":null}`, false},
	{"escaped field name", `{"event\u004eame":"A","eventSource":"s"}`, false},
	{"non-ASCII field name folding onto eventSource", `{"eventName":"A","eventſource":"s"}`, false},
	{"non-ASCII field name elsewhere", `{"eventName":"A","eventSource":"s","ñ":1}`, false},
	{"deep params", `{"eventName":"A","eventSource":"s","requestParameters":` + strings.Repeat(`{"a":`, 1200) + "1" + strings.Repeat("}", 1200) + "}", false},
	{"bare record with a non-object detail", `{"eventName":"A","eventSource":"s","detail":7}`, true},
	{"bare record with an odd region", `{"eventName":"A","eventSource":"s","region":{}}`, false},
	{"trailing comma", `{"eventName":"A","eventSource":"s",}`, false},
	{"leading zero", `{"eventName":"A","eventSource":"s","x":01}`, false},
	{"bad escape", `{"eventName":"A\x","eventSource":"s"}`, false},
	{"control character", "{\"eventName\":\"A\tB\",\"eventSource\":\"s\"}", false},
	{"two values", bareRecord + bareRecord, false},
	{"truncated", bareRecord[:100], false},
	{"literal run-on", `{"eventName":"A","eventSource":"s","x":nullx}`, false},
	{"number run-on", `{"eventName":"A","eventSource":"s","x":[1true]}`, false},
}

func TestParseFastMatchesSlow(t *testing.T) {
	for _, tt := range fastCases {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkFastMatchesSlow(t, []byte(tt.input)); got != tt.fast {
				t.Errorf("fast path took it: got %v; want %v", got, tt.fast)
			}
		})
	}
}

// TestParseFastReadsSamples: every sample event takes the fast path, which
// is what keeps a guard's parse within its budget.
func TestParseFastReadsSamples(t *testing.T) {
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("glob ../../events/*.json: got %d files, %v; want the samples", len(files), err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !checkFastMatchesSlow(t, data) {
			t.Errorf("%s: the fast path left it to encoding/json; want it read in one pass", file)
		}
	}
}

// TestParseFastRecordLimit: the 1 MB record limit falls on the same byte
// on both paths, in every shape.
func TestParseFastRecordLimit(t *testing.T) {
	// padded returns a record of exactly n bytes.
	padded := func(n int) string {
		r := record("A", "sagemaker.amazonaws.com", `"pad":""`)
		return record("A", "sagemaker.amazonaws.com", `"pad":"`+strings.Repeat("x", n-len(r))+`"`)
	}
	shapes := []struct {
		name string
		wrap func(string) string
	}{
		{"bare", func(r string) string { return r }},
		{"array item", func(r string) string { return "[ " + r + " ]" }},
		{"EventBridge detail", func(r string) string { return eventBridge(" " + r + " ") }},
		{"log file record", func(r string) string { return `{"Records":[ ` + r + ` ]}` }},
	}
	for _, s := range shapes {
		for _, n := range []int{maxRecord, maxRecord + 1} {
			in := s.wrap(padded(n))
			fast := checkFastMatchesSlow(t, []byte(in))
			if want := n <= maxRecord; fast != want {
				t.Errorf("%s record of %d bytes: fast path took it: got %v; want %v", s.name, n, fast, want)
			}
			_, err := Parse([]byte(in))
			if gotErr := err != nil; gotErr != (n > maxRecord) {
				t.Errorf("%s record of %d bytes: got error %v; want one only over %d bytes", s.name, n, err, maxRecord)
			}
		}
	}
}
