package testenv

import (
	"encoding/json"
	"strings"

	"github.com/vpcguard/vpcguard/events"
	"github.com/vpcguard/vpcguard/shared/cloudtrail"
)

// Sample is events/<name> with each (old, new) pair in replace replaced: a
// sample's fixed ids (a vpce id, a caller) by the ones a test made.
func Sample(t testingTB, name string, replace ...string) json.RawMessage {
	t.Helper()
	raw, err := events.FS.ReadFile(name)
	if err != nil {
		t.Fatalf("read sample event events/%s: %v", name, err)
	}
	return json.RawMessage(strings.NewReplacer(replace...).Replace(string(raw)))
}

// SampleEvents is Sample parsed.
func SampleEvents(t testingTB, name string, replace ...string) []cloudtrail.Event {
	t.Helper()
	evs, err := cloudtrail.Parse(Sample(t, name, replace...))
	if err != nil {
		t.Fatalf("parse events/%s: %v", name, err)
	}
	return evs
}

// SampleEvent is Sample parsed, when it holds exactly one event.
func SampleEvent(t testingTB, name string, replace ...string) cloudtrail.Event {
	t.Helper()
	ev, err := cloudtrail.ParseOne(Sample(t, name, replace...))
	if err != nil {
		t.Fatalf("parse events/%s: %v", name, err)
	}
	return ev
}
