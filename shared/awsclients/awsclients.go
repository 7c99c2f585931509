// Package awsclients builds AWS SDK clients once per account and region from
// one aws.Config and hands them out; Lambdas build the set in main, never per
// call. It imports no service but STS (to assume roles in other accounts):
// callers name the services they use (Service), so each binary links only
// those.
package awsclients

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
)

// MaxAttempts bounds the SDK's attempts at a call that is throttled or
// fails transiently. At 30% throttling all of them fail for one call in
// 0.3^n: with 8 attempts one call in 15,000, which a 60-resource backfill
// (320 calls) met in about one run in 50 and a 600-resource one in about
// one in 5 (reliability/faults); with 12, one call in 1.9 million. The cost
// is in an outage: a call waits up to about 50s (backoff capped at
// MaxBackoff) before failing, and the SDK's retry quota stops a client
// retrying soon after (500 tokens; under its Retry Behavior 2.1 a retry of
// a transient error costs 14 and of a throttle 5: a few calls' worth of
// retries), so the Lambda fails fast after that.
const MaxAttempts = 12

// MaxBackoff caps the SDK's wait between two attempts of a call.
const MaxBackoff = 5 * time.Second

// Option changes how Load builds the configuration.
type Option func(*options)

type options struct {
	maxBackoff time.Duration
}

// WithMaxBackoff caps the wait between retries of a call at d instead of
// MaxBackoff: for runs against a local emulator, where waiting seconds for a
// throttle to clear only makes the run slow. The retry decisions are the
// same.
func WithMaxBackoff(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.maxBackoff = d
		}
	}
}

// Load builds the base aws.Config from the environment (AWS_ENDPOINT_URL
// points every client at a local emulator) with vpcguard's retryer.
func Load(ctx context.Context, region string, opts ...Option) (aws.Config, error) {
	o := options{maxBackoff: MaxBackoff}
	for _, fn := range opts {
		fn(&o)
	}
	lopts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return newRetryer(o) }),
	}
	if region != "" {
		lopts = append(lopts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lopts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// NewRetryer is the retryer vpcguard uses everywhere.
func NewRetryer() aws.Retryer { return newRetryer(options{maxBackoff: MaxBackoff}) }

// newRetryer is the SDK's standard retryer with more attempts, and HTTP 429
// retried as a throttle whatever its error code.
//
// Not the adaptive retryer, which vpcguard used before: its client-side rate
// limiter halves the client's request rate on each throttle and refills at
// as little as 0.5 requests/s. A guard's client serves one event at a time
// and a warm Lambda keeps it, so a few throttles left every later call
// waiting seconds for a token, which made throttled replays and backfills
// several times slower (measure it: the README's "Proof: reliability" gives
// the command, VPCGUARD_FAULTS_BACKOFF=production go test -run
// 'TestEventsUnderThrottling|TestBackfillUnderThrottling' ./reliability/faults/).
// The guards and the backfill make few calls per resource; the standard
// retryer's exponential backoff with jitter is the slowing down they need.
//
// The SDK's retry quota stays (500 tokens a client, a few per retry,
// refunded when the retry succeeds, 1 back per success): at 30% throttling it never
// runs dry, and when a service fails every call it stops a client from
// retrying every call MaxAttempts times, so a Lambda returns its error (to be retried
// by Lambda, then kept in the dead-letter queue) instead of timing out.
//
// 429 Too Many Requests is not in the SDK's retryable statuses; only its
// error codes make one retryable, and a 429 from a proxy or an API whose
// code is not in retry.DefaultThrottleErrorCodes would fail the call at once.
func newRetryer(o options) aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = MaxAttempts
		so.MaxBackoff = o.maxBackoff
		so.Retryables = append(so.Retryables, retry.RetryableHTTPStatusCode{Codes: map[int]struct{}{http.StatusTooManyRequests: {}}})
		so.Throttles = append(so.Throttles, retry.IsErrorThrottleFunc(tooManyRequests))
	})
}

// tooManyRequests classifies an HTTP 429 answer as a throttle.
func tooManyRequests(err error) aws.Ternary {
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) && status.HTTPStatusCode() == http.StatusTooManyRequests {
		return aws.TrueTernary
	}
	return aws.UnknownTernary
}

// Clients builds and keeps the clients of one account and region. It knows
// no AWS service: a caller asks for a service's client with Service, and
// only the services a binary calls are linked into it. Importing an SDK
// service package links it and runs its init (SageMaker's alone allocates
// 3.8 MB at start), so a guard that never calls SageMaker must not import it
// even to list the clients it does not use.
type Clients struct {
	Region string
	config aws.Config

	mu sync.Mutex
	by map[reflect.Type]any
}

// New returns the clients of cfg's region; each is built on first use.
func New(cfg aws.Config) *Clients {
	return &Clients{Region: cfg.Region, config: cfg, by: map[reflect.Type]any{}}
}

// Config returns the configuration the clients are built from.
func (c *Clients) Config() aws.Config { return c.config }

// Service returns c's client of one AWS service, built by newFromConfig (the
// service package's NewFromConfig) on first use and kept: every caller in
// this account and region shares it, as they shared the eagerly built
// clients before.
//
//	sm := awsclients.Service(c, sagemaker.NewFromConfig)
func Service[T any, O any](c *Clients, newFromConfig func(aws.Config, ...func(O)) T) T {
	key := reflect.TypeFor[T]()
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.by[key]; ok {
		return v.(T)
	}
	v := newFromConfig(c.config)
	c.by[key] = v
	return v
}

// Shared returns the one T of c built by build on first use and kept for
// the life of c, as Service does for clients: for what never changes in an
// account and region and is worth reading once per process (the subnet
// cache of networkstate). build must not call Service or Shared on c.
func Shared[T any](c *Clients, build func() T) T {
	key := reflect.TypeFor[T]()
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.by[key]; ok {
		return v.(T)
	}
	v := build()
	c.by[key] = v
	return v
}

// Regional hands out one Clients per region, built on first use.
type Regional struct {
	base aws.Config
	mu   sync.Mutex
	by   map[string]*Clients
}

// NewRegional wraps a base configuration.
func NewRegional(base aws.Config) *Regional {
	return &Regional{base: base, by: map[string]*Clients{}}
}

// Base returns the configuration clients are built from.
func (r *Regional) Base() aws.Config { return r.base }

// For returns the clients of region ("" means the base configuration's).
func (r *Regional) For(region string) *Clients {
	if region == "" {
		region = r.base.Region
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.by[region]; ok {
		return c
	}
	cfg := r.base.Copy()
	cfg.Region = region
	c := New(cfg)
	r.by[region] = c
	return c
}
