package faultproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// upstream is an httptest server that records what reaches it.
type upstream struct {
	*httptest.Server
	hits atomic.Int64
	mu   sync.Mutex
	last struct{ host, body string }
}

func startUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.hits.Add(1)
		u.mu.Lock()
		u.last.host, u.last.body = r.Host, string(body)
		u.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "upstream ok")
	}))
	t.Cleanup(u.Close)
	return u
}

func startProxy(t *testing.T, upstreamURL string, opts Options) *Proxy {
	t.Helper()
	p, err := Start(upstreamURL, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// signedAs is an Authorization header with a SigV4 credential scope for svc.
func signedAs(svc string) string {
	return "AWS4-HMAC-SHA256 Credential=testing/20261122/us-east-1/" + svc + "/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
}

func queryRequest(t *testing.T, base, svc, body string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("Authorization", signedAs(svc))
	return r
}

func TestForwardsTheWholeRequestWhenNoFaults(t *testing.T) {
	up := startUpstream(t)
	p := startProxy(t, up.URL, Options{})
	body := "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-1"
	resp, err := http.DefaultClient.Do(queryRequest(t, p.URL(), "ec2", body))
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(got) != "upstream ok" {
		t.Errorf("response: got %d %q; want 200 %q", resp.StatusCode, got, "upstream ok")
	}
	up.mu.Lock()
	last := up.last
	up.mu.Unlock()
	// The proxy read the form to find Action; the upstream must still get it.
	if last.body != body {
		t.Errorf("upstream body: got %q; want %q", last.body, body)
	}
	if want := strings.TrimPrefix(p.URL(), "http://"); last.host != want {
		t.Errorf("upstream Host: got %q; want the signed %q", last.host, want)
	}
	st := p.Stats()
	op := Op{Service: "ec2", Operation: "DescribeVpcs"}
	want := Counts{Total: 1, Forwarded: 1}
	if st.Counts != want || st.ByService["ec2"] != want || st.ByOperation[op] != want {
		t.Errorf("stats: got %+v, ec2 %+v, %v %+v; want %+v for each", st.Counts, st.ByService["ec2"], op, st.ByOperation[op], want)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name     string
		header   map[string]string
		target   string
		body     string
		rawQuery string
		wantOp   Op
		wantProt protocol
	}{
		{
			name:     "json 1.1",
			header:   map[string]string{"Authorization": signedAs("sagemaker"), "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.CreateModel"},
			body:     `{"ModelName":"m"}`,
			wantOp:   Op{"sagemaker", "CreateModel"},
			wantProt: protoJSON,
		},
		{
			name:     "query protocol",
			header:   map[string]string{"Authorization": signedAs("sns"), "Content-Type": "application/x-www-form-urlencoded"},
			body:     "Action=ListTopics&Version=2010-03-31",
			wantOp:   Op{"sns", "ListTopics"},
			wantProt: protoQuery,
		},
		{
			name:     "ec2 query",
			header:   map[string]string{"Authorization": signedAs("ec2"), "Content-Type": "application/x-www-form-urlencoded"},
			body:     "Version=2016-11-15&Action=DescribeVpcs",
			wantOp:   Op{"ec2", "DescribeVpcs"},
			wantProt: protoEC2,
		},
		{
			name:     "presigned query",
			rawQuery: "Action=GetCallerIdentity&X-Amz-Credential=testing%2F20261122%2Fus-east-1%2Fsts%2Faws4_request",
			wantOp:   Op{"sts", "GetCallerIdentity"},
			wantProt: protoQuery,
		},
		{
			name:     "rest-json",
			header:   map[string]string{"Authorization": signedAs("securityhub"), "Content-Type": "application/json"},
			wantOp:   Op{"securityhub", ""},
			wantProt: protoRESTJSON,
		},
		{
			name:     "rest-xml",
			header:   map[string]string{"Authorization": signedAs("s3")},
			wantOp:   Op{"s3", ""},
			wantProt: protoRESTXML,
		},
		{
			name:     "unsigned",
			wantOp:   Op{"", ""},
			wantProt: protoRESTJSON,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/?"+tt.rawQuery, strings.NewReader(tt.body))
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			got, err := classify(r)
			if err != nil {
				t.Fatalf("classify: %v", err)
			}
			if got.op != tt.wantOp || got.protocol != tt.wantProt {
				t.Errorf("classify: got %+v protocol %d; want %+v protocol %d", got.op, got.protocol, tt.wantOp, tt.wantProt)
			}
			rest, _ := io.ReadAll(r.Body)
			if string(rest) != tt.body {
				t.Errorf("body after classify: got %q; want %q", rest, tt.body)
			}
		})
	}
}

// sdkConfig talks to url with no retries, so one call is one attempt and
// its error is exactly what the proxy answered.
func sdkConfig(url string) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
	}
}

// call is one SDK operation per wire protocol.
var calls = []struct {
	protocol string
	service  string
	call     func(context.Context, aws.Config) error
}{
	{"awsJson1_1", "sagemaker", func(ctx context.Context, cfg aws.Config) error {
		_, err := sagemaker.NewFromConfig(cfg).DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String("m")})
		return err
	}},
	{"awsJson1_0", "sqs", func(ctx context.Context, cfg aws.Config) error {
		_, err := sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{})
		return err
	}},
	{"ec2Query", "ec2", func(ctx context.Context, cfg aws.Config) error {
		_, err := ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
		return err
	}},
	{"awsQuery", "sns", func(ctx context.Context, cfg aws.Config) error {
		_, err := sns.NewFromConfig(cfg).ListTopics(ctx, &sns.ListTopicsInput{})
		return err
	}},
	{"restJson1", "securityhub", func(ctx context.Context, cfg aws.Config) error {
		_, err := securityhub.NewFromConfig(cfg).DescribeHub(ctx, &securityhub.DescribeHubInput{})
		return err
	}},
}

func errorCode(err error) string {
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		return coded.ErrorCode()
	}
	return ""
}

func httpStatus(err error) int {
	var withStatus interface{ HTTPStatusCode() int }
	if errors.As(err, &withStatus) {
		return withStatus.HTTPStatusCode()
	}
	return 0
}

// TestSDKClassifiesInjectedFaults decodes each injected answer with the real
// SDK client of each protocol and asks the SDK's own retry classifiers what
// they make of it.
func TestSDKClassifiesInjectedFaults(t *testing.T) {
	retryable := retry.IsErrorRetryables(retry.DefaultRetryables)
	throttle := retry.IsErrorThrottles(retry.DefaultThrottles)
	modes := []struct {
		name          string
		opts          Options
		wantStatus    int
		wantRetryable bool
		wantThrottle  bool
	}{
		{"throttle", Options{ThrottleRate: 1, Faults: []Fault{FaultThrottle}}, 400, true, true},
		{"429", Options{ThrottleRate: 1, Faults: []Fault{FaultTooManyRequests}}, 429, true, true},
		{"503", Options{ThrottleRate: 1, Faults: []Fault{FaultUnavailable}}, 503, true, false},
		{"denied", Options{FailMode: FailDenied}, 0, false, false},
		{"internal", Options{FailMode: FailInternal}, 500, true, false},
	}
	up := startUpstream(t)
	ctx := context.Background()
	for _, c := range calls {
		for _, m := range modes {
			t.Run(c.protocol+"/"+m.name, func(t *testing.T) {
				opts := m.opts
				if opts.ThrottleRate == 0 {
					opts.FailService = c.service
				}
				p := startProxy(t, up.URL, opts)
				before := up.hits.Load()
				err := c.call(ctx, sdkConfig(p.URL()))
				if err == nil {
					t.Fatalf("call: got nil error; want the injected fault")
				}
				if errorCode(err) == "" {
					t.Errorf("error code: got none from %v; want the injected code", err)
				}
				if m.wantStatus != 0 && httpStatus(err) != m.wantStatus {
					t.Errorf("status: got %d; want %d", httpStatus(err), m.wantStatus)
				}
				if got := retryable.IsErrorRetryable(err) == aws.TrueTernary; got != m.wantRetryable {
					t.Errorf("retryable %q: got %v; want %v", errorCode(err), got, m.wantRetryable)
				}
				if got := throttle.IsErrorThrottle(err) == aws.TrueTernary; got != m.wantThrottle {
					t.Errorf("throttle %q: got %v; want %v", errorCode(err), got, m.wantThrottle)
				}
				if hits := up.hits.Load() - before; hits != 0 {
					t.Errorf("forwarded upstream: got %d; want 0", hits)
				}
			})
		}
	}
}

// TestSeedMakesFaultsRepeatable sends the same sequence through proxies with
// the same and with another seed.
func TestSeedMakesFaultsRepeatable(t *testing.T) {
	up := startUpstream(t)
	sequence := func(seed uint64) string {
		p := startProxy(t, up.URL, Options{ThrottleRate: 0.3, Seed: seed})
		var b strings.Builder
		for range 100 {
			resp, err := http.DefaultClient.Do(queryRequest(t, p.URL(), "ec2", "Action=DescribeVpcs"))
			if err != nil {
				t.Fatalf("request: %v", err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			fmt.Fprintf(&b, "%d ", resp.StatusCode)
		}
		st := p.Stats()
		if st.Throttled == 0 || st.Forwarded == 0 || st.Throttled+st.Forwarded != 100 {
			t.Errorf("seed %d: got %d throttled, %d forwarded; want both > 0, summing to 100", seed, st.Throttled, st.Forwarded)
		}
		return b.String()
	}
	first, again, other := sequence(7), sequence(7), sequence(8)
	if first != again {
		t.Errorf("same seed: got %s; want %s", again, first)
	}
	if first == other {
		t.Errorf("another seed: got the same sequence %s; want a different one", other)
	}
}

func TestFailServiceOnlyFailsThatService(t *testing.T) {
	up := startUpstream(t)
	p := startProxy(t, up.URL, Options{FailService: "SageMaker"})
	tests := []struct {
		svc        string
		wantStatus int
	}{
		{"sagemaker", http.StatusForbidden},
		{"ec2", http.StatusOK},
		{"sagemaker", http.StatusForbidden},
	}
	for _, tt := range tests {
		resp, err := http.DefaultClient.Do(queryRequest(t, p.URL(), tt.svc, "Action=X"))
		if err != nil {
			t.Fatalf("request: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.wantStatus {
			t.Errorf("%s: got %d; want %d", tt.svc, resp.StatusCode, tt.wantStatus)
		}
	}
	st := p.Stats()
	if st.ByService["sagemaker"].Failed != 2 || st.ByService["ec2"].Forwarded != 1 {
		t.Errorf("stats: got sagemaker %+v, ec2 %+v; want 2 failed, 1 forwarded", st.ByService["sagemaker"], st.ByService["ec2"])
	}
}

func TestSetOptionsWhileServing(t *testing.T) {
	up := startUpstream(t)
	p := startProxy(t, up.URL, Options{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 25 {
				resp, err := http.DefaultClient.Do(queryRequest(t, p.URL(), "ec2", "Action=DescribeVpcs"))
				if err != nil {
					t.Errorf("request: %v", err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	for i := range 20 {
		if err := p.SetOptions(Options{ThrottleRate: float64(i%2) / 2, Seed: uint64(i)}); err != nil {
			t.Errorf("SetOptions: %v", err)
		}
	}
	wg.Wait()
	if st := p.Stats(); st.Total != 100 || st.Forwarded+st.Throttled != 100 {
		t.Errorf("stats: got %+v; want 100 requests, each forwarded or throttled", st.Counts)
	}

	if err := p.SetOptions(Options{FailService: "ec2"}); err != nil {
		t.Fatalf("SetOptions: %v", err)
	}
	p.ResetStats()
	resp, err := http.DefaultClient.Do(queryRequest(t, p.URL(), "ec2", "Action=DescribeVpcs"))
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("after SetOptions(FailService): got %d; want %d", resp.StatusCode, http.StatusForbidden)
	}
	if st := p.Stats(); st.Counts != (Counts{Total: 1, Failed: 1}) {
		t.Errorf("stats after ResetStats: got %+v; want 1 total, 1 failed", st.Counts)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"zero value", Options{}, ""},
		{"everything", Options{ThrottleRate: 1, Faults: AllFaults, Latency: time.Millisecond, FailService: "ec2", FailMode: FailInternal}, ""},
		{"rate above 1", Options{ThrottleRate: 1.5}, "ThrottleRate"},
		{"negative rate", Options{ThrottleRate: -0.1}, "ThrottleRate"},
		{"negative latency", Options{Latency: -time.Second}, "Latency"},
		{"unknown fault", Options{Faults: []Fault{9}}, "Faults"},
		{"unknown fail mode", Options{FailMode: 7}, "FailMode"},
	}
	for _, tt := range tests {
		err := tt.opts.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if (tt.wantErr == "") != (err == nil) || !strings.Contains(got, tt.wantErr) {
			t.Errorf("%s: got %q; want an error naming %q", tt.name, got, tt.wantErr)
		}
	}
	if _, err := Start("not a url", Options{}); err == nil {
		t.Errorf("Start with a bad upstream: got nil; want an error")
	}
}

// TestLatencyHoldsTheRequest shows the delay is applied without timing it:
// with a latency far beyond the client's patience, the proxy has the request
// but the upstream never sees it, and the client gives up.
func TestLatencyHoldsTheRequest(t *testing.T) {
	up := startUpstream(t)
	p := startProxy(t, up.URL, Options{Latency: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := queryRequest(t, p.URL(), "ec2", "Action=DescribeVpcs").WithContext(ctx)
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(r)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for p.Stats().Total == 0 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("request: got %v; want %v", err, context.Canceled)
	}
	if hits := up.hits.Load(); hits != 0 {
		t.Errorf("upstream hits: got %d; want 0", hits)
	}
	if got := p.Stats().Counts; got != (Counts{Total: 1}) {
		t.Errorf("stats: got %+v; want received only", got)
	}
}

func TestUpstreamDownIsCounted(t *testing.T) {
	up := startUpstream(t)
	p := startProxy(t, up.URL, Options{})
	up.Close()
	resp, err := http.DefaultClient.Do(queryRequest(t, p.URL(), "ec2", "Action=DescribeVpcs"))
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("status: got %d; want %d", resp.StatusCode, http.StatusBadGateway)
	}
	if got := p.Stats().ByOperation[Op{"ec2", "DescribeVpcs"}]; got.UpstreamErrors != 1 {
		t.Errorf("upstream errors: got %+v; want 1", got)
	}
}
