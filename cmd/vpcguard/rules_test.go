package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/rules"
)

// TestREADMERuleTable: the README's rule table is what `vpcguard rules
// --format markdown` prints, so a rule added to the catalogue fails this test
// until the README shows it.
func TestREADMERuleTable(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"rules", "--format", "markdown"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("vpcguard rules --format markdown: exit %d: %s", code, stderr.String())
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), stdout.String()) {
		t.Errorf("README.md lacks the rule table `vpcguard rules --format markdown` prints; paste it in:\n%s", stdout.String())
	}
}

// TestRulesJSON lists every catalogue rule with its events and default mode.
func TestRulesJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"rules", "--format", "json"}, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var got []ruleView
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	all := rules.All()
	if len(got) != len(all) {
		t.Fatalf("got %d rules; want %d", len(got), len(all))
	}
	for i, r := range all {
		if got[i].Name != r.Name() || got[i].DefaultMode != string(r.DefaultMode()) || len(got[i].Events) == 0 {
			t.Errorf("rule %d = %+v; want %s with its default mode and events", i, got[i], r.Name())
		}
	}
	if code := run(context.Background(), []string{"rules", "--format", "yaml"}, nil, &stdout, &stderr); code != exitBadInput {
		t.Errorf("--format yaml: exit %d; want %d", code, exitBadInput)
	}
}
