// Package traillogs reads the CloudTrail log files a trail delivers to S3,
// where CloudTrail puts them:
//
//	<prefix>/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<random>.json.gz
//	<prefix>/AWSLogs/<org-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/...   (an organization trail)
//
// The day in a key and the time in a file name are when the file was
// delivered, minutes after the calls it records (a file holds records
// written at any point before then), so a time range is read as the files
// delivered from its start until DeliveryLag after its end; the caller
// filters the events on their eventTime. Digest files
// (CloudTrail-Digest/) are never read. Only the day folders in range are
// listed: S3 lists keys in order, and YYYY/MM/DD sorts by date.
//
// It is the only package that imports the S3 SDK: the vpcguard CLI and the
// backfill Lambda link it, the guard Lambdas do not.
package traillogs

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/cloudtrail"
)

// API is the part of the S3 client the reader calls.
type API interface {
	HeadBucket(ctx context.Context, in *s3.HeadBucketInput, opts ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

var _ API = (*s3.Client)(nil)

// DeliveryLag is how long after a call its log file may be delivered and
// still be read for a range ending at the call. CloudTrail delivers within
// about 5 minutes on average, without a guarantee; files are a few minutes
// apart.
const DeliveryLag = 30 * time.Minute

// Errors Open classifies, for a person to act on.
var (
	ErrNoSuchBucket = errors.New("no such bucket")
	ErrAccessDenied = errors.New("access denied")
)

// Location is an s3://bucket/prefix argument.
type Location struct {
	Bucket, Prefix string
}

// IsLocation reports whether arg names S3 rather than a file.
func IsLocation(arg string) bool { return strings.HasPrefix(arg, "s3://") }

// ParseLocation reads s3://bucket or s3://bucket/prefix.
func ParseLocation(arg string) (Location, error) {
	rest, ok := strings.CutPrefix(arg, "s3://")
	if !ok {
		return Location{}, fmt.Errorf("%q is not an s3://bucket/prefix location", arg)
	}
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return Location{}, fmt.Errorf("%q names no bucket: want s3://bucket/prefix", arg)
	}
	return Location{Bucket: bucket, Prefix: prefix}, nil
}

func (l Location) String() string { return "s3://" + l.Bucket + "/" + l.Prefix }

// URL is the s3:// address of one key of the bucket.
func (l Location) URL(key string) string { return "s3://" + l.Bucket + "/" + key }

// Query chooses the log files to read.
type Query struct {
	// Since and Until bound the events' time; the files delivered from Since
	// until DeliveryLag after Until are read. Zero leaves that end open
	// (every day folder on that side is listed).
	Since, Until time.Time
	// Accounts and Regions narrow the folders read; empty reads them all.
	Accounts, Regions []string
}

// Bucket reads one trail bucket (or a prefix of it). It is safe for
// concurrent use.
type Bucket struct {
	Location
	api API

	mu     sync.Mutex
	owners []string // the account folders (…/AWSLogs/[org/]<account>/), listed once
	listed bool
}

// Open checks that the bucket exists and can be listed, and reads it with a
// client of its region: client("") is any client, client(region) one of
// that region (S3 redirects a client of another region).
func Open(ctx context.Context, loc Location, client func(region string) API) (*Bucket, error) {
	api := client("")
	out, err := api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(loc.Bucket)})
	region := ""
	if out != nil {
		region = aws.ToString(out.BucketRegion)
	}
	var re *awshttp.ResponseError
	if err != nil && errors.As(err, &re) && re.Response != nil {
		// A redirect to the bucket's region carries it in a header.
		region = re.Response.Header.Get("X-Amz-Bucket-Region")
		if s := re.HTTPStatusCode(); region != "" && (s == 301 || s == 307 || s == 400) {
			err = nil
		}
	}
	switch {
	case awserr.IsNotFound(err) || awserr.Code(err) == "NoSuchBucket":
		return nil, fmt.Errorf("s3://%s: %w: the bucket does not exist (check the name, and the partition of the credentials)", loc.Bucket, ErrNoSuchBucket)
	case awserr.IsAccessDenied(err):
		return nil, fmt.Errorf("s3://%s: %w: the credentials need s3:ListBucket on arn:aws:s3:::%s and s3:GetObject on its log files: %w",
			loc.Bucket, ErrAccessDenied, loc.Bucket, err)
	case err != nil:
		return nil, fmt.Errorf("s3://%s: head bucket: %w", loc.Bucket, err)
	}
	if region != "" {
		api = client(region)
	}
	return &Bucket{Location: loc, api: api}, nil
}

// Files calls fn with each log file's key that may hold events of q, in
// order: by account folder, region, then delivery time. An error from fn
// stops the walk and is returned.
func (b *Bucket) Files(ctx context.Context, q Query, fn func(key string) error) error {
	root, narrow := b.roots()
	owners, err := b.accountFolders(ctx, root)
	if err != nil {
		return err
	}
	if len(owners) == 0 {
		// Not the layout CloudTrail writes (log files copied somewhere, say):
		// every object under the prefix.
		return b.list(ctx, b.Prefix, "", "", func(key string) (bool, error) {
			if isDigest(key) || !q.delivered(key) {
				return true, nil
			}
			return true, fn(key)
		})
	}
	for _, owner := range owners {
		if !compatible(owner, narrow) || !q.hasAccount(accountOf(owner)) {
			continue
		}
		regions, err := b.regionFolders(ctx, owner+"CloudTrail/", q.Regions)
		if err != nil {
			return err
		}
		for _, folder := range regions {
			if !compatible(folder, narrow) {
				continue
			}
			if err := b.days(ctx, folder, narrow, q, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// roots returns where the account folders are (…/AWSLogs/) and the prefix
// every key read must be compatible with: the location's own, which may
// name an account, a region or a day.
func (b *Bucket) roots() (root, narrow string) {
	if i := strings.Index(b.Prefix, "AWSLogs/"); i >= 0 {
		return b.Prefix[:i+len("AWSLogs/")], b.Prefix
	}
	root = b.Prefix
	if root != "" && !strings.HasSuffix(root, "/") {
		root += "/"
	}
	root += "AWSLogs/"
	return root, root
}

var (
	accountName = regexp.MustCompile(`^\d{12}$`)
	orgName     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// accountFolders lists, once, the account folders under root: an account
// trail's AWSLogs/<account>/ and an organization trail's
// AWSLogs/<org-id>/<account>/.
func (b *Bucket) accountFolders(ctx context.Context, root string) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.listed {
		return b.owners, nil
	}
	var owners []string
	err := b.list(ctx, root, "/", "", func(folder string) (bool, error) {
		name := strings.TrimSuffix(strings.TrimPrefix(folder, root), "/")
		switch {
		case accountName.MatchString(name):
			owners = append(owners, folder)
		case orgName.MatchString(name):
			return true, b.list(ctx, folder, "/", "", func(sub string) (bool, error) {
				if accountName.MatchString(strings.TrimSuffix(strings.TrimPrefix(sub, folder), "/")) {
					owners = append(owners, sub)
				}
				return true, nil
			})
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	b.owners, b.listed = owners, true
	return owners, nil
}

// regionFolders returns the region folders under an account's CloudTrail/
// folder: the regions asked for, or every one there.
func (b *Bucket) regionFolders(ctx context.Context, folder string, regions []string) ([]string, error) {
	if len(regions) > 0 {
		out := make([]string, len(regions))
		for i, r := range regions {
			out[i] = folder + r + "/"
		}
		return out, nil
	}
	var out []string
	err := b.list(ctx, folder, "/", "", func(sub string) (bool, error) {
		out = append(out, sub)
		return true, nil
	})
	return out, err
}

// days lists one region folder's log files delivered in q's range: from
// the first day folder in range to the last, and no further.
func (b *Bucket) days(ctx context.Context, folder, narrow string, q Query, fn func(string) error) error {
	prefix := folder
	if len(narrow) > len(prefix) {
		prefix = narrow // the location names a day, or part of a day's path
	}
	startAfter, end := "", ""
	if !q.Since.IsZero() {
		startAfter = folder + q.Since.UTC().Format("2006/01/02/")
	}
	if !q.Until.IsZero() {
		end = folder + q.Until.Add(DeliveryLag).UTC().AddDate(0, 0, 1).Format("2006/01/02/")
	}
	return b.list(ctx, prefix, "", startAfter, func(key string) (bool, error) {
		if end != "" && key >= end {
			return false, nil
		}
		if isDigest(key) || !q.delivered(key) {
			return true, nil
		}
		return true, fn(key)
	})
}

// list calls fn with every key under prefix after startAfter (with a
// delimiter, every folder instead), page by page, until fn says stop.
func (b *Bucket) list(ctx context.Context, prefix, delimiter, startAfter string, fn func(string) (bool, error)) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(b.Bucket), Prefix: aws.String(prefix)}
	if delimiter != "" {
		in.Delimiter = aws.String(delimiter)
	}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	p := s3.NewListObjectsV2Paginator(b.api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return b.listError(prefix, err)
		}
		var items []string
		if delimiter != "" {
			for _, cp := range page.CommonPrefixes {
				items = append(items, aws.ToString(cp.Prefix))
			}
		} else {
			for _, o := range page.Contents {
				items = append(items, aws.ToString(o.Key))
			}
		}
		for _, item := range items {
			more, err := fn(item)
			if err != nil || !more {
				return err
			}
		}
	}
	return nil
}

func (b *Bucket) listError(prefix string, err error) error {
	if awserr.IsAccessDenied(err) {
		return fmt.Errorf("list %s: %w: the credentials need s3:ListBucket on arn:aws:s3:::%s: %w", b.URL(prefix), ErrAccessDenied, b.Bucket, err)
	}
	return fmt.Errorf("list %s: %w", b.URL(prefix), err)
}

// Read returns a log file's content, decompressed and bounded as
// cloudtrail.ReadInput bounds every input.
func (b *Bucket) Read(ctx context.Context, key string) ([]byte, error) {
	out, err := b.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.Bucket), Key: aws.String(key)})
	if awserr.IsAccessDenied(err) {
		return nil, fmt.Errorf("get object: %w: the credentials need s3:GetObject on arn:aws:s3:::%s/%s (and kms:Decrypt on the trail's key when its logs are SSE-KMS encrypted): %w",
			ErrAccessDenied, b.Bucket, key, err)
	}
	if err != nil {
		return nil, fmt.Errorf("get object: %w", err)
	}
	defer out.Body.Close()
	return cloudtrail.ReadInput(out.Body)
}

// fileTime reads the delivery time in a log file's name.
var fileTime = regexp.MustCompile(`_CloudTrail_[^_/]+_(\d{8}T\d{4}Z)_[^/]*$`)

// Delivered returns the delivery time in a CloudTrail log file's key, or
// false when the key is not named as CloudTrail names log files.
func Delivered(key string) (time.Time, bool) {
	m := fileTime.FindStringSubmatch(key)
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T1504Z", m[1])
	return t, err == nil
}

// delivered reports whether a file delivered as its key says may hold
// events of q; a key without a delivery time may.
func (q Query) delivered(key string) bool {
	t, ok := Delivered(key)
	if !ok {
		return true
	}
	if !q.Since.IsZero() && t.Before(q.Since.Truncate(time.Minute)) {
		return false
	}
	return q.Until.IsZero() || !t.After(q.Until.Add(DeliveryLag))
}

func (q Query) hasAccount(account string) bool {
	return len(q.Accounts) == 0 || slices.Contains(q.Accounts, account)
}

func isDigest(key string) bool {
	return strings.Contains(key, "/CloudTrail-Digest/") || strings.Contains(key, "_CloudTrail-Digest_")
}

// accountOf is the account id of an account folder (…/<account>/).
func accountOf(folder string) string {
	folder = strings.TrimSuffix(folder, "/")
	return folder[strings.LastIndex(folder, "/")+1:]
}

// compatible reports whether one of two key prefixes extends the other: a
// folder worth descending into for a location that names part of it.
func compatible(a, b string) bool { return strings.HasPrefix(a, b) || strings.HasPrefix(b, a) }

// Clients builds, from cfg, the S3 clients Open asks for. With a custom
// endpoint (an emulator on 127.0.0.1) the bucket goes in the path: there is
// no bucket host name to resolve.
func Clients(cfg aws.Config) func(region string) API {
	return func(region string) API {
		return s3.NewFromConfig(cfg, func(o *s3.Options) {
			if region != "" {
				o.Region = region
			}
			o.UsePathStyle = cfg.BaseEndpoint != nil
			// CloudTrail's objects carry no checksum the SDK knows, and the
			// SDK would say so on stderr for every one.
			o.DisableLogOutputChecksumValidationSkipped = true
		})
	}
}
