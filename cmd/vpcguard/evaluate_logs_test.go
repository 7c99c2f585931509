package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/trail"
)

// TestEvaluateGzipLogFile: a CloudTrail log file as delivered (gzip) reads
// like the plain one, whatever it is called, from a file or stdin.
func TestEvaluateGzipLogFile(t *testing.T) {
	plain, err := os.ReadFile("../../events/cloudtrail-log-file.json")
	if err != nil {
		t.Fatal(err)
	}
	gz := trail.Gzip(plain)
	dir := t.TempDir()
	for _, name := range []string{"123456789012_CloudTrail_us-east-1_20261120T1005Z_abcdefghijklmnop.json.gz", "renamed.json"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, gz, 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := evaluateCLI(t, "", "--offline", "--format", "json", path)
		if code != exitOK {
			t.Fatalf("%s: exit %d; want 0\nstderr: %s", name, code, stderr)
		}
		checkFindings(t, decodeFindings(t, stdout), expected["cloudtrail-log-file.json"])
	}
	code, stdout, stderr := evaluateCLI(t, string(gz), "--offline", "--format", "json", "-")
	if code != exitOK {
		t.Fatalf("stdin: exit %d; want 0\nstderr: %s", code, stderr)
	}
	checkFindings(t, decodeFindings(t, stdout), expected["cloudtrail-log-file.json"])
}

// TestEvaluateTimeRange: --since and --until keep the events in range, in
// files too; an event out of range is named on stderr.
func TestEvaluateTimeRange(t *testing.T) {
	file := "../../events/cloudtrail-log-file.json" // 10:01, 10:08 and 10:13 on 2026-11-20
	code, stdout, stderr := evaluateCLI(t, "", "--offline", "--format", "json", "--since", "2026-11-20T10:05:00Z", "--until", "2026-11-20T10:10:00Z", file)
	if code != exitOK {
		t.Fatalf("exit %d; want 0\nstderr: %s", code, stderr)
	}
	// 10:08 is the notebook's record: its one finding, after the model's three.
	checkFindings(t, decodeFindings(t, stdout), expected["cloudtrail-log-file.json"][3:4])
	if !strings.Contains(stderr, "is before 2026-11-20T10:05:00Z") || !strings.Contains(stderr, "is not before 2026-11-20T10:10:00Z") {
		t.Errorf("stderr: %q; want the events out of range named", stderr)
	}
	for _, tt := range []struct{ args, want string }{
		{"--since yesterday", `--since: "yesterday" is neither an RFC 3339 time`},
		{"--until 2026-11-21T25:00:00Z", `--until: "2026-11-21T25:00:00Z"`},
		{"--since 2026-11-21 --until 2026-11-20", "--since 2026-11-21 is not before --until 2026-11-20"},
		{"--accounts 1234", `--accounts: "1234" is not a 12-digit account id`},
	} {
		code, _, stderr := evaluateCLI(t, "", append(append([]string{"--offline"}, strings.Fields(tt.args)...), file)...)
		if code != exitBadInput || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, exitBadInput, tt.want)
		}
	}
}

const (
	logBucket = "org-trail-logs"
	orgID     = "o-abcdefghij"
	member    = "222222222222"
)

// trailBucket puts, on moto's S3, a trail bucket laid out as CloudTrail
// delivers to it: the sample account's log files (an account trail) and a
// member account's (an organization trail), gzip and plain, a digest, a
// file of ten days before, a corrupt file and a duplicate delivery.
func trailBucket(t *testing.T, e *testenv.Env) map[string]string {
	t.Helper()
	ctx := context.Background()
	c := trail.S3(e.Config)
	if err := trail.NewBucket(ctx, c, logBucket); err != nil {
		t.Fatal(err)
	}
	day := func(hhmm string) time.Time {
		tm, _ := time.Parse(time.RFC3339, "2026-11-20T"+hhmm+":00Z")
		return tm
	}
	noVPC := trail.MustSample("model-create-no-vpc.json")                                     // churn-xgb-public, 10:01
	omitted := trail.MustSample("notebook-create-internet-omitted.json").With(map[string]any{ // a member account's notebook
		"recipientAccountId": member, "eventID": "member-notebook-1",
		"userIdentity":     map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::" + member + ":user/bob", "accountId": member, "userName": "bob"},
		"responseElements": map[string]any{"notebookInstanceArn": "arn:aws:sagemaker:us-east-1:" + member + ":notebook-instance/quickstart-default"},
	})
	emptySubnets := trail.MustSample("model-create-empty-subnets.json").At(day("10:00").AddDate(0, 0, -10))
	keys := map[string]string{
		"account trail":      trail.Key("central", "", acct, region, day("10:05"), "aaaaaaaaaaaaaaaa"),
		"duplicate delivery": trail.Key("central", "", acct, region, day("10:10"), "bbbbbbbbbbbbbbbb"),
		"org trail, plain":   trail.Key("central", orgID, member, region, day("10:20"), "cccccccccccccccc"),
		"ten days before":    trail.Key("central", "", acct, region, day("10:05").AddDate(0, 0, -10), "dddddddddddddddd"),
		"digest":             trail.DigestKey("central", "", acct, region, day("11:00")),
		"corrupt":            trail.Key("central", "", acct, region, day("10:30"), "eeeeeeeeeeeeeeee"),
	}
	bodies := map[string][]byte{
		"account trail":      trail.Gzip(trail.LogFile(noVPC)),
		"duplicate delivery": trail.Gzip(trail.LogFile(noVPC)),
		"org trail, plain":   trail.LogFile(omitted),
		"ten days before":    trail.Gzip(trail.LogFile(emptySubnets)),
		"digest":             trail.Gzip([]byte(`{"awsAccountId": "123456789012", "digestPublicKeyFingerprint": "not a log file"}`)),
		"corrupt":            trail.Gzip(trail.LogFile(noVPC))[:40],
	}
	for name, key := range keys {
		if err := trail.Put(ctx, c, logBucket, key, bodies[name]); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// TestEvaluateS3: s3://bucket/prefix reads the trail's log files of the
// range, in both layouts, gzip or not, each event once; a corrupt object is
// named, exit 2, and the others are still evaluated.
func TestEvaluateS3(t *testing.T) {
	e := testenv.New(t, testenv.Seed(0))
	e.Setenv("")
	keys := trailBucket(t, e)
	location := "s3://" + logBucket + "/central"
	day := []string{"--offline", "--format", "json", "--since", "2026-11-20", "--until", "2026-11-20"}

	code, stdout, stderr := evaluateCLI(t, "", append(day, location)...)
	if code != exitBadInput {
		t.Errorf("exit %d; want %d (the corrupt object)\nstderr: %s", code, exitBadInput, stderr)
	}
	memberNotebook := expected["notebook-create-internet-omitted.json"][0]
	memberNotebook.EventID, memberNotebook.Account, memberNotebook.Principal = "member-notebook-1", member, "arn:aws:iam::"+member+":user/bob"
	memberNotebook.ResourceID = "arn:aws:sagemaker:us-east-1:222222222222:notebook-instance/quickstart-default"
	checkFindings(t, decodeFindings(t, stdout), append(append([]jsonFinding{}, expected["model-create-no-vpc.json"]...), memberNotebook))
	for _, want := range []string{
		"s3://" + logBucket + "/" + keys["corrupt"] + ": read gzip: unexpected EOF",
		location + ": 4 log files from 2026-11-20T00:00:00Z to 2026-11-21T00:00:00Z: 3 events, 2 events evaluated",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	for _, never := range []string{keys["digest"], keys["ten days before"]} {
		if strings.Contains(stderr, never) {
			t.Errorf("stderr names %s, which must not be read:\n%s", never, stderr)
		}
	}

	// --accounts reads only that account's folders: the corrupt file is not among them.
	code, stdout, stderr = evaluateCLI(t, "", append(day, "--accounts", member, location)...)
	if code != exitOK {
		t.Errorf("--accounts %s: exit %d; want 0\nstderr: %s", member, code, stderr)
	}
	checkFindings(t, decodeFindings(t, stdout), []jsonFinding{memberNotebook})
}

// TestEvaluateS3Errors: a missing bucket and a malformed location are bad
// input, named; files given beside them are still evaluated.
func TestEvaluateS3Errors(t *testing.T) {
	e := testenv.New(t, testenv.Seed(0))
	e.Setenv("")
	good := "../../events/model-create-no-vpc.json"
	for _, tt := range []struct{ location, want string }{
		{"s3://no-such-trail-bucket/AWSLogs/", "s3://no-such-trail-bucket: no such bucket"},
		{"s3://", `"s3://" names no bucket`},
	} {
		code, stdout, stderr := evaluateCLI(t, "", "--offline", "--format", "json", tt.location, good)
		if code != exitBadInput || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tt.location, code, stderr, exitBadInput, tt.want)
		}
		checkFindings(t, decodeFindings(t, stdout), expected["model-create-no-vpc.json"])
	}
}

// TestEvaluatePresignedURLLogFile: presigned URL calls are not resources a
// backfill can list; their history is the trail's log files, judged as the
// guard judges the events (the rule reads nothing: --offline decides the
// same). The calls are in the log files only if the trail records read
// events too, should CloudTrail count them as read-only.
func TestEvaluatePresignedURLLogFile(t *testing.T) {
	names := []string{"presigned-domain-url-public-ip.json", "presigned-domain-url-via-endpoint.json", "presigned-notebook-url-private-ip.json"}
	var records []trail.Record
	var want []jsonFinding
	for _, name := range names {
		records = append(records, trail.MustSample(name))
		want = append(want, expected[name]...)
	}
	path := filepath.Join(t.TempDir(), "123456789012_CloudTrail_us-east-1_20261120T1005Z_presignedurls.json.gz")
	if err := os.WriteFile(path, trail.Gzip(trail.LogFile(records...)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := evaluateCLI(t, "", "--offline", "--format", "json", path)
	if code != exitOK {
		t.Fatalf("exit %d; want 0\nstderr: %s", code, stderr)
	}
	checkFindings(t, decodeFindings(t, stdout), want)
}
