package traillogs_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/internal/testenv/recorder"
	"github.com/vpcguard/vpcguard/internal/testenv/trail"
	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/traillogs"
)

func TestMain(m *testing.M) { motoserver.Main(m.Run) }

const (
	bucket  = "org-trail-logs"
	prefix  = "central"
	acctA   = "111111111111"
	acctB   = "222222222222"
	orgID   = "o-abcdefghij"
	useast1 = "us-east-1"
	euwest1 = "eu-west-1"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture is a trail bucket laid out as CloudTrail lays it out: an account
// trail's and an organization trail's folders under the prefix "central",
// gzip and plain log files, files delivered on the days around 2026-11-20,
// and digest files.
type fixture struct {
	ctx  context.Context
	cfg  aws.Config
	s3   *s3.Client
	sent *recorder.Recorder
	keys map[string]string // name -> key
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := motoserver.Require(t)
	f := &fixture{ctx: context.Background(), cfg: srv.Config(useast1), sent: &recorder.Recorder{}}
	f.s3 = trail.S3(f.cfg)
	if err := trail.NewBucket(f.ctx, f.s3, bucket); err != nil {
		t.Fatal(err)
	}
	model := trail.MustSample("model-create-no-vpc.json")
	f.keys = map[string]string{
		"account trail, gzip":      trail.Key(prefix, "", acctA, useast1, at("2026-11-20T10:05:00Z"), "aaaaaaaaaaaaaaaa"),
		"account trail, plain":     trail.Key(prefix, "", acctA, euwest1, at("2026-11-20T11:00:00Z"), "bbbbbbbbbbbbbbbb"),
		"org trail":                trail.Key(prefix, orgID, acctB, useast1, at("2026-11-20T23:55:00Z"), "cccccccccccccccc"),
		"next day, within the lag": trail.Key(prefix, "", acctA, useast1, at("2026-11-21T00:15:00Z"), "dddddddddddddddd"),
		"next day, past the lag":   trail.Key(prefix, "", acctA, useast1, at("2026-11-21T01:00:00Z"), "eeeeeeeeeeeeeeee"),
		"the day before":           trail.Key(prefix, "", acctA, useast1, at("2026-11-19T23:59:00Z"), "ffffffffffffffff"),
		"ten days before":          trail.Key(prefix, "", acctA, useast1, at("2026-11-10T09:00:00Z"), "gggggggggggggggg"),
		"digest":                   trail.DigestKey(prefix, "", acctA, useast1, at("2026-11-20T11:01:31Z")),
		"org digest":               trail.DigestKey(prefix, orgID, acctB, useast1, at("2026-11-20T11:01:31Z")),
	}
	for name, key := range f.keys {
		body := trail.Gzip(trail.LogFile(model.At(at("2026-11-20T10:01:00Z"))))
		if name == "account trail, plain" {
			body = trail.LogFile(model.At(at("2026-11-20T10:58:00Z")))
		}
		if err := trail.Put(f.ctx, f.s3, bucket, key, body); err != nil {
			t.Fatal(err)
		}
	}
	f.cfg.APIOptions = append(f.cfg.APIOptions, f.sent.Option)
	return f
}

func (f *fixture) open(t *testing.T, location string) *traillogs.Bucket {
	t.Helper()
	loc, err := traillogs.ParseLocation(location)
	if err != nil {
		t.Fatal(err)
	}
	b, err := traillogs.Open(f.ctx, loc, traillogs.Clients(f.cfg))
	if err != nil {
		t.Fatalf("Open(%s): %v", location, err)
	}
	return b
}

func (f *fixture) names(keys []string) []string {
	var out []string
	for _, k := range keys {
		for name, key := range f.keys {
			if key == k {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

func files(t *testing.T, b *traillogs.Bucket, q traillogs.Query) []string {
	t.Helper()
	var keys []string
	if err := b.Files(context.Background(), q, func(key string) error {
		keys = append(keys, key)
		return nil
	}); err != nil {
		t.Fatalf("Files: %v", err)
	}
	return keys
}

// TestFiles: the files delivered from the start of the range until
// DeliveryLag after its end, in both layouts, narrowed by account, region
// or the location's own prefix; never a digest file.
func TestFiles(t *testing.T) {
	f := newFixture(t)
	day := traillogs.Query{Since: at("2026-11-20T00:00:00Z"), Until: at("2026-11-20T23:59:59Z")}
	tests := []struct {
		name     string
		location string
		query    traillogs.Query
		want     []string
	}{
		{"the day, every account and region", "s3://" + bucket + "/" + prefix, day,
			[]string{"account trail, gzip", "account trail, plain", "next day, within the lag", "org trail"}},
		{"the prefix with a slash", "s3://" + bucket + "/" + prefix + "/", day,
			[]string{"account trail, gzip", "account trail, plain", "next day, within the lag", "org trail"}},
		{"one account of the organization", "s3://" + bucket + "/" + prefix, traillogs.Query{Since: day.Since, Until: day.Until, Accounts: []string{acctB}},
			[]string{"org trail"}},
		{"one region", "s3://" + bucket + "/" + prefix, traillogs.Query{Since: day.Since, Until: day.Until, Regions: []string{euwest1}},
			[]string{"account trail, plain"}},
		{"from 10:30", "s3://" + bucket + "/" + prefix, traillogs.Query{Since: at("2026-11-20T10:30:00Z"), Until: day.Until},
			[]string{"account trail, plain", "next day, within the lag", "org trail"}},
		{"the location names an account and region", "s3://" + bucket + "/" + prefix + "/AWSLogs/" + acctA + "/CloudTrail/us-east-1/", day,
			[]string{"account trail, gzip", "next day, within the lag"}},
		{"the location names a day", "s3://" + bucket + "/" + prefix + "/AWSLogs/" + acctA + "/CloudTrail/us-east-1/2026/11/20/", day,
			[]string{"account trail, gzip"}},
		{"no range: every log file", "s3://" + bucket + "/" + prefix, traillogs.Query{},
			[]string{"account trail, gzip", "account trail, plain", "next day, past the lag", "next day, within the lag", "org trail", "ten days before", "the day before"}},
		{"a digest folder holds no log file", "s3://" + bucket + "/" + prefix + "/AWSLogs/" + acctA + "/CloudTrail-Digest/", day, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.names(files(t, f.open(t, tt.location), tt.query))
			if !slices.Equal(got, tt.want) {
				t.Errorf("files = %q; want %q", got, tt.want)
			}
		})
	}
}

// TestFilesListOnlyTheDaysInRange: each region folder is listed from the
// first day folder of the range (S3 lists keys in order, and YYYY/MM/DD
// sorts by date), not from the start of the bucket.
func TestFilesListOnlyTheDaysInRange(t *testing.T) {
	f := newFixture(t)
	b := f.open(t, "s3://"+bucket+"/"+prefix)
	f.sent.Reset()
	files(t, b, traillogs.Query{Since: at("2026-11-20T10:30:00Z"), Until: at("2026-11-20T12:00:00Z")})
	var ranged []string
	for _, in := range f.sent.Inputs("ListObjectsV2") {
		l := in.(*s3.ListObjectsV2Input)
		if l.Delimiter != nil {
			continue // the account and region folders
		}
		ranged = append(ranged, aws.ToString(l.Prefix)+" after "+aws.ToString(l.StartAfter))
	}
	want := []string{
		prefix + "/AWSLogs/" + acctA + "/CloudTrail/" + euwest1 + "/ after " + prefix + "/AWSLogs/" + acctA + "/CloudTrail/" + euwest1 + "/2026/11/20/",
		prefix + "/AWSLogs/" + acctA + "/CloudTrail/" + useast1 + "/ after " + prefix + "/AWSLogs/" + acctA + "/CloudTrail/" + useast1 + "/2026/11/20/",
		prefix + "/AWSLogs/" + orgID + "/" + acctB + "/CloudTrail/" + useast1 + "/ after " + prefix + "/AWSLogs/" + orgID + "/" + acctB + "/CloudTrail/" + useast1 + "/2026/11/20/",
	}
	if !slices.Equal(ranged, want) {
		t.Errorf("key listings:\n got %q\nwant %q", ranged, want)
	}
}

// TestFilesFlat: log files copied under a prefix of their own are all read,
// digests excepted, filtered by the delivery time in their names.
func TestFilesFlat(t *testing.T) {
	f := newFixture(t)
	for _, key := range []string{
		"incident-42/" + acctA + "_CloudTrail_us-east-1_20261120T1005Z_aaaaaaaaaaaaaaaa.json.gz",
		"incident-42/" + acctA + "_CloudTrail_us-east-1_20261101T1005Z_bbbbbbbbbbbbbbbb.json.gz",
		"incident-42/notes/renamed.json",
		"incident-42/" + acctA + "_CloudTrail-Digest_us-east-1_trail_us-east-1_20261120T110131Z.json.gz",
	} {
		if err := trail.Put(f.ctx, f.s3, bucket, key, []byte(`{"Records":[]}`)); err != nil {
			t.Fatal(err)
		}
	}
	got := files(t, f.open(t, "s3://"+bucket+"/incident-42/"), traillogs.Query{Since: at("2026-11-20T00:00:00Z"), Until: at("2026-11-20T23:59:59Z")})
	want := []string{"incident-42/" + acctA + "_CloudTrail_us-east-1_20261120T1005Z_aaaaaaaaaaaaaaaa.json.gz", "incident-42/notes/renamed.json"}
	if !slices.Equal(got, want) {
		t.Errorf("files = %q; want %q", got, want)
	}
}

// TestRead: a gzip log file and a plain one read to the same records; a
// corrupt one is an error naming gzip.
func TestRead(t *testing.T) {
	f := newFixture(t)
	b := f.open(t, "s3://"+bucket)
	for _, name := range []string{"account trail, gzip", "account trail, plain"} {
		data, err := b.Read(f.ctx, f.keys[name])
		if err != nil {
			t.Fatalf("Read(%s): %v", name, err)
		}
		evs, err := cloudtrail.Parse(data)
		if err != nil || len(evs) != 1 || evs[0].Name != "CreateModel" {
			t.Errorf("Parse(Read(%s)) = %d events, %v; want the one CreateModel", name, len(evs), err)
		}
	}
	bad := "corrupt/" + acctA + "_CloudTrail_us-east-1_20261120T1005Z_zzzzzzzzzzzzzzzz.json.gz"
	if err := trail.Put(f.ctx, f.s3, bucket, bad, trail.Gzip([]byte(`{"Records":[]}`))[:20]); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Read(f.ctx, bad); err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("Read(truncated gzip) = %v; want a gzip error", err)
	}
	if _, err := b.Read(f.ctx, "no/such/key.json.gz"); err == nil || !strings.Contains(err.Error(), "get object") {
		t.Errorf("Read(missing key) = %v; want a get object error", err)
	}
}

// TestOpenMissingBucket: a bucket that does not exist is named, and
// classified for the caller.
func TestOpenMissingBucket(t *testing.T) {
	f := newFixture(t)
	_, err := traillogs.Open(f.ctx, traillogs.Location{Bucket: "no-such-trail-bucket"}, traillogs.Clients(f.cfg))
	if !errors.Is(err, traillogs.ErrNoSuchBucket) || !strings.Contains(err.Error(), "s3://no-such-trail-bucket") {
		t.Errorf("Open = %v; want ErrNoSuchBucket naming s3://no-such-trail-bucket", err)
	}
}

func TestParseLocation(t *testing.T) {
	tests := []struct {
		in      string
		want    traillogs.Location
		wantErr bool
	}{
		{"s3://logs", traillogs.Location{Bucket: "logs"}, false},
		{"s3://logs/", traillogs.Location{Bucket: "logs"}, false},
		{"s3://logs/central/AWSLogs/", traillogs.Location{Bucket: "logs", Prefix: "central/AWSLogs/"}, false},
		{"s3://", traillogs.Location{}, true},
		{"s3:///prefix", traillogs.Location{}, true},
		{"logs/prefix", traillogs.Location{}, true},
	}
	for _, tt := range tests {
		got, err := traillogs.ParseLocation(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseLocation(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestDelivered(t *testing.T) {
	got, ok := traillogs.Delivered("AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz")
	if !ok || !got.Equal(at("2015-08-01T02:10:00Z")) {
		t.Errorf("Delivered = %v, %v; want 2015-08-01T02:10:00Z", got, ok)
	}
	if _, ok := traillogs.Delivered("AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_trail_us-east-2_20150817T150131Z.json.gz"); ok {
		t.Errorf("Delivered(digest) ok; want false")
	}
}
