package history_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/internal/testenv/trail"
	"github.com/vpcguard/vpcguard/shared/history"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// BenchmarkFindCreators counts the LookupEvents calls per NON_COMPLIANT
// resource against the FAKE event history (moto has no LookupEvents), for
// resources created in a burst (a pipeline: 1,000 models in 10 minutes) and
// spread out (one every 3 hours, each in a slot of its own), each slot also
// holding as many calls for other models. At CloudTrail's 2 calls/s per
// account and region, the time a run spends waiting is calls / 2 seconds.
//
//	go test -run '^$' -bench BenchmarkFindCreators -benchtime 1x ./shared/history/
func BenchmarkFindCreators(b *testing.B) {
	for _, sc := range []struct {
		name  string
		n     int
		every time.Duration
	}{
		{"burst of 1000 in 10 minutes", 1000, 600 * time.Millisecond},
		{"200 spread 3 hours apart", 200, 3 * time.Hour},
	} {
		b.Run(sc.name, func(b *testing.B) {
			start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
			var records []trail.Record
			at := func(i int) time.Time { return start.Add(time.Duration(i) * sc.every) }
			for i := range sc.n {
				for _, name := range []string{"noncompliant", "other"} {
					records = append(records, trail.MustSample("model-create-no-vpc.json").With(map[string]any{
						"eventID": fmt.Sprintf("%s-%d", name, i), "requestParameters.modelName": fmt.Sprintf("%s-%d", name, i),
					}).At(at(i)))
				}
			}
			h, err := trail.NewHistory(records...)
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close()
			var lookups, found int
			for b.Loop() {
				f := finder(b, h, at(sc.n).Add(time.Hour))
				f.MaxLookups = 100000
				for i := range sc.n {
					res := nonCompliant(rules.ModelInVPC{}, fmt.Sprintf("noncompliant-%d", i), at(i).Add(time.Second))
					f.Find(context.Background(), res)
					if res.Finding.EventID == fmt.Sprintf("noncompliant-%d", i) {
						found++
					}
				}
				lookups += f.Lookups()
			}
			if found != b.N*sc.n {
				b.Fatalf("found %d creators; want %d", found, b.N*sc.n)
			}
			b.ReportMetric(float64(lookups)/float64(b.N*sc.n), "lookups/resource")
			b.ReportMetric(float64(lookups)/float64(b.N)/history.CallsPerSecond, "s-at-2/s")
		})
	}
}
