package awsclients

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// responseError is an SDK operation error: an HTTP status and, when code is
// not empty, the API error the protocol decoded from the body.
func responseError(status int, code string) error {
	var err error = &smithy.GenericAPIError{Code: code, Message: "injected"}
	if code == "" {
		err = errors.New("http response error")
	}
	return &smithy.OperationError{ServiceID: "SageMaker", OperationName: "DescribeModel", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err},
	}}
}

// TestRetryerRetriesThrottlesAndTransientErrors: every answer AWS gives a
// caller that is going too fast, or that hit a transient failure, is
// retried, including a bare 429 whose code the SDK does not know; errors
// that no retry can fix are not.
func TestRetryerRetriesThrottlesAndTransientErrors(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		retryable bool
	}{
		{"400 ThrottlingException", responseError(400, "ThrottlingException"), true},
		{"400 Throttling (query)", responseError(400, "Throttling"), true},
		{"400 RequestLimitExceeded (EC2)", responseError(400, "RequestLimitExceeded"), true},
		{"429 TooManyRequestsException", responseError(429, "TooManyRequestsException"), true},
		{"429 with no error code", responseError(429, ""), true},
		{"429 with a code the SDK does not know", responseError(429, "SlowDownPlease"), true},
		{"503 ServiceUnavailable", responseError(503, "ServiceUnavailable"), true},
		{"500 InternalFailure", responseError(500, "InternalFailure"), true},
		{"400 AccessDeniedException", responseError(400, "AccessDeniedException"), false},
		{"403 UnauthorizedOperation", responseError(403, "UnauthorizedOperation"), false},
		{"400 ValidationException", responseError(400, "ValidationException"), false},
		{"canceled", context.Canceled, false},
	}
	r := NewRetryer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.IsErrorRetryable(tt.err); got != tt.retryable {
				t.Errorf("IsErrorRetryable = %v; want %v", got, tt.retryable)
			}
			// A 429 counts as a throttle whatever its code (the codes are
			// the SDK's own list).
			var status interface{ HTTPStatusCode() int }
			is429 := errors.As(tt.err, &status) && status.HTTPStatusCode() == http.StatusTooManyRequests
			if got := tooManyRequests(tt.err) == aws.TrueTernary; got != is429 {
				t.Errorf("tooManyRequests = %v; want %v", got, is429)
			}
		})
	}
	if got := r.MaxAttempts(); got != MaxAttempts {
		t.Errorf("MaxAttempts = %d; want %d", got, MaxAttempts)
	}
}

// TestRetryerDoesNotRateLimitAttempts: a run of throttles does not make the
// retryer hold back a client's next call (the adaptive retryer did, for
// seconds): each attempt gets its token at once.
func TestRetryerDoesNotRateLimitAttempts(t *testing.T) {
	r, ok := NewRetryer().(aws.RetryerV2)
	if !ok {
		t.Fatalf("NewRetryer is not an aws.RetryerV2")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a retryer that wants to wait for a token fails on a done context
	for i := range 50 {
		release, err := r.GetAttemptToken(ctx)
		if err != nil {
			t.Fatalf("attempt %d after %d throttles: %v; want a token at once", i+1, i, err)
		}
		_ = release(responseError(400, "ThrottlingException"))
	}
}

// TestWithMaxBackoff: the option caps the wait between attempts; without it
// production's cap holds. The SDK jitters below the cap (Retry Behavior 2.1:
// b * min(base * 2^i, cap)), so the longest of many waits comes near it.
func TestWithMaxBackoff(t *testing.T) {
	throttle := responseError(400, "ThrottlingException")
	for _, tt := range []struct {
		name string
		o    options
		max  time.Duration
	}{
		{"production", options{maxBackoff: MaxBackoff}, MaxBackoff},
		{"20ms", func() options {
			o := options{maxBackoff: MaxBackoff}
			WithMaxBackoff(20 * time.Millisecond)(&o)
			return o
		}(), 20 * time.Millisecond},
		{"zero ignored", func() options { o := options{maxBackoff: MaxBackoff}; WithMaxBackoff(0)(&o); return o }(), MaxBackoff},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRetryer(tt.o)
			var longest time.Duration
			for range 100 {
				for attempt := 1; attempt < MaxAttempts; attempt++ {
					d, err := r.RetryDelay(attempt, throttle)
					if err != nil {
						t.Fatalf("RetryDelay(%d): %v", attempt, err)
					}
					if d > tt.max {
						t.Errorf("RetryDelay(%d) = %v; want at most %v", attempt, d, tt.max)
					}
					longest = max(longest, d)
				}
			}
			if longest < tt.max*9/10 {
				t.Errorf("longest delay = %v; want near the cap %v (the last attempts wait up to the cap)", longest, tt.max)
			}
		})
	}
}

// TestServiceBuildsEachClientOnce: a service's client is built on first use
// from the region's configuration and shared after that; each region, and
// each service, has its own.
func TestServiceBuildsEachClientOnce(t *testing.T) {
	r := NewRegional(aws.Config{Region: "us-east-1"})
	east, west := r.For(""), r.For("eu-west-1")
	if r.For("us-east-1") != east {
		t.Fatalf("For(us-east-1) is not the base region's Clients")
	}
	a, b := Service(east, sts.NewFromConfig), Service(east, sts.NewFromConfig)
	if a != b {
		t.Errorf("Service built the STS client twice for one region")
	}
	if got := a.Options().Region; got != "us-east-1" {
		t.Errorf("STS client region = %q; want us-east-1", got)
	}
	w := Service(west, sts.NewFromConfig)
	if w == a || w.Options().Region != "eu-west-1" {
		t.Errorf("eu-west-1 STS client = %p in %q; want its own, in eu-west-1", w, w.Options().Region)
	}
	if len(east.by) != 1 {
		t.Errorf("clients built for us-east-1 = %d; want 1 (only what was asked for)", len(east.by))
	}
}
