package traillogs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/internal/testenv/trail"
	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/traillogs"
)

// BenchmarkReadEvents reads a day of a trail's log files from moto's S3 (20
// gzip files of 500 records, as CloudTrail delivers them) and parses every
// record: what `vpcguard evaluate s3://...` does before it evaluates. It
// reports the time per 1,000 events.
//
//	go test -run '^$' -bench BenchmarkReadEvents -benchtime 5x ./shared/traillogs/
func BenchmarkReadEvents(b *testing.B) {
	const files, perFile = 20, 500
	srv := motoserver.Require(b)
	ctx := context.Background()
	cfg := srv.Config(useast1)
	c := trail.S3(cfg)
	if err := trail.NewBucket(ctx, c, bucket); err != nil {
		b.Fatal(err)
	}
	rec := trail.MustSample("model-create-no-vpc.json")
	start := at("2026-11-20T00:00:00Z")
	for f := range files {
		var records []trail.Record
		for i := range perFile {
			records = append(records, rec.With(map[string]any{"eventID": fmt.Sprintf("e-%d-%d", f, i)}).At(start.Add(time.Duration(f)*time.Hour)))
		}
		key := trail.Key(prefix, "", acctA, useast1, start.Add(time.Duration(f)*time.Hour+5*time.Minute), fmt.Sprintf("%016d", f))
		if err := trail.Put(ctx, c, bucket, key, trail.Gzip(trail.LogFile(records...))); err != nil {
			b.Fatal(err)
		}
	}
	loc, _ := traillogs.ParseLocation("s3://" + bucket + "/" + prefix)
	q := traillogs.Query{Since: start, Until: start.Add(24 * time.Hour)}
	b.ResetTimer()
	events := 0
	for b.Loop() {
		bk, err := traillogs.Open(ctx, loc, traillogs.Clients(cfg))
		if err != nil {
			b.Fatal(err)
		}
		if err := bk.Files(ctx, q, func(key string) error {
			data, err := bk.Read(ctx, key)
			if err != nil {
				return err
			}
			evs, err := cloudtrail.Parse(data)
			events += len(evs)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	if events != b.N*files*perFile {
		b.Fatalf("read %d events; want %d", events, b.N*files*perFile)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(events)*1000, "ms/1000events")
}
