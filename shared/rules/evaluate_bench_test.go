package rules_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/events"
	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

// BenchmarkEvaluate measures what one event costs a guard before any AWS
// call: parsing the raw EventBridge event and evaluating it offline under
// one rule (FromEvent, Decide, the exemption check, the finding). Each
// sample event in events/ that a rule evaluates is a sub-benchmark,
// BenchmarkEvaluate/<rule>/<event>. Run with:
//
//	go test -run '^$' -bench BenchmarkEvaluate -benchmem ./shared/rules/
//
// cmd/vpcguard-bench runs exactly this and parses its output.
func BenchmarkEvaluate(b *testing.B) {
	names, err := fs.Glob(events.FS, "*.json")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, rule := range rules.All() {
		// The offline evaluator the CLI uses (vpcguard evaluate --offline).
		ev := setup.Guard(config.Default(), nil, []rules.Rule{rule}, nil).Evaluator
		b.Run(rule.Name(), func(b *testing.B) {
			for _, name := range names {
				data, err := events.FS.ReadFile(name)
				if err != nil {
					b.Fatal(err)
				}
				// Only the single events this rule evaluates and finds a
				// resource in: a log file holds several, a failed call is
				// skipped before any evaluation, and a call may name nothing
				// the rule judges (a model without subnets is in no VPC).
				parsed, err := cloudtrail.ParseOne(data)
				if err != nil || !rules.Handles(rule, &parsed) || len(rule.FromEvent(&parsed)) == 0 {
					continue
				}
				b.Run(strings.TrimSuffix(name, ".json"), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						e, err := cloudtrail.ParseOne(data)
						if err != nil {
							b.Fatal(err)
						}
						res, err := ev.Event(ctx, &e)
						if err != nil || len(res) == 0 {
							b.Fatalf("evaluate %s: %d results, %v", name, len(res), err)
						}
					}
				})
			}
		})
	}
}
