package cloudtrail

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes. Parse must never panic, and whatever
// it returns as an event, alongside an error or not, has a name and a source:
// the rules trust both.
func FuzzParse(f *testing.F) {
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
	f.Add([]byte(bareRecord))
	f.Add([]byte("[" + bareRecord + "," + eventBridge(bareRecord) + "]"))
	f.Add([]byte(`{"Records":[` + bareRecord + `,null]}`))
	f.Add([]byte(`{"eventName":"CreateVpcEndpoint","eventSource":"ec2.amazonaws.com","requestParameters":{"CreateVpcEndpointRequest":{"SubnetId":{"item":[{"content":"s","tag":1}]}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := Parse(data)
		for i, ev := range events {
			if ev.Name == "" || ev.Source == "" {
				t.Fatalf("event %d: got name %q source %q (err %v); want both non-empty", i, ev.Name, ev.Source, err)
			}
			// Every accessor must be safe on whatever was parsed.
			_ = ev.Identity.Principal()
			_ = ev.Request.Get("a", "b").Strings()
			_, _ = ev.Response.Get("x").Bool()
		}
		if one, err := ParseOne(data); err == nil && (one.Name == "" || one.Source == "") {
			t.Fatalf("ParseOne: got name %q source %q and no error; want both non-empty", one.Name, one.Source)
		}
	})
}
