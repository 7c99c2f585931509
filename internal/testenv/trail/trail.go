// Package trail is CloudTrail as vpcguard's tests and demo need it: log
// files in moto_server's S3, keyed and compressed as a trail delivers them,
// and a FAKE of the event history (LookupEvents), which moto_server 5.2.1
// does not implement (it answers HTTP 500). Both serve records built from
// the sample events in events/.
//
// It imports neither testing nor httptest, so the vpcguard CLI's demo can
// use it without linking them.
package trail

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vpcguard/vpcguard/events"
)

// Record is a CloudTrail record: one entry of a log file's Records.
type Record map[string]any

// Sample returns the record of the sample event file name (events/<name>):
// its EventBridge detail, or the file itself when it is a bare record.
func Sample(name string) (Record, error) {
	raw, err := events.FS.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("events/%s: %w", name, err)
	}
	if detail, ok := v["detail"].(map[string]any); ok {
		return detail, nil
	}
	return v, nil
}

// MustSample is Sample for the names the tests and the demo know exist.
func MustSample(name string) Record {
	r, err := Sample(name)
	if err != nil {
		panic(err)
	}
	return r
}

// With returns a deep copy of r with the top-level fields set, and with
// requestParameters.<key> set for each "requestParameters.<key>" field:
// a sample call made again, at another time, on another resource.
func (r Record) With(fields map[string]any) Record {
	var c Record
	b, _ := json.Marshal(r)
	_ = json.Unmarshal(b, &c)
	for k, v := range fields {
		if param, ok := strings.CutPrefix(k, "requestParameters."); ok {
			req, _ := c["requestParameters"].(map[string]any)
			if req == nil {
				req = map[string]any{}
			}
			req[param] = v
			c["requestParameters"] = req
			continue
		}
		c[k] = v
	}
	return c
}

// At is r made at t.
func (r Record) At(t time.Time) Record {
	return r.With(map[string]any{"eventTime": t.UTC().Format(time.RFC3339)})
}

// Time is the record's eventTime.
func (r Record) Time() time.Time {
	s, _ := r["eventTime"].(string)
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

func (r Record) str(key string) string {
	s, _ := r[key].(string)
	return s
}

// LogFile is a CloudTrail log file holding records.
func LogFile(records ...Record) []byte {
	b, _ := json.Marshal(map[string]any{"Records": records})
	return b
}

// Gzip compresses data as CloudTrail compresses its log files.
func Gzip(data []byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write(data)
	_ = zw.Close()
	return b.Bytes()
}

// Key is where a trail delivers a log file it delivered at t: an account
// trail's folder when org is "", else an organization trail's. prefix is
// the trail's S3 key prefix ("" for none).
func Key(prefix, org, account, region string, t time.Time, unique string) string {
	return folder(prefix, org, account) + fmt.Sprintf("CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz",
		region, t.UTC().Format("2006/01/02"), account, region, t.UTC().Format("20060102T1504Z"), unique)
}

// DigestKey is where a trail delivers the digest file of the hour ending at t.
func DigestKey(prefix, org, account, region string, t time.Time) string {
	return folder(prefix, org, account) + fmt.Sprintf("CloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_vpcguard-trail_%s_%s.json.gz",
		region, t.UTC().Format("2006/01/02"), account, region, region, t.UTC().Format("20060102T150405Z"))
}

func folder(prefix, org, account string) string {
	p := prefix
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	p += "AWSLogs/"
	if org != "" {
		p += org + "/"
	}
	return p + account + "/"
}

// S3 is a path-style S3 client of cfg (moto_server has no bucket host names).
func S3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// NewBucket creates a bucket.
func NewBucket(ctx context.Context, c *s3.Client, name string) error {
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

// Put stores body under key as CloudTrail does: no Content-Encoding (the
// .json.gz is the object's content, not a transfer encoding).
func Put(ctx context.Context, c *s3.Client, bucket, key string, body []byte) error {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}
