// Package faultproxy is a loopback reverse proxy for an HTTP AWS endpoint
// (moto_server in tests) that injects the faults real AWS produces: a share
// of requests throttled or refused as unavailable, a fixed latency, and one
// service failing every call. Each fault is answered in the wire protocol of
// the request, with codes the AWS SDK for Go v2 classifies the way it
// classifies the real thing, so the SDK's retryer is what gets exercised.
package faultproxy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Fault is a way to answer a request instead of forwarding it.
type Fault int

// The faults a throttled request may get. Each is retryable for the SDK:
// the throttles by their error code (aws/retry DefaultThrottleErrorCodes;
// HTTP 429 alone is not retryable there, so the code matters), 503 by status
// (DefaultRetryableHTTPStatusCodes).
const (
	// FaultThrottle is HTTP 400 with the protocol's throttling code:
	// ThrottlingException (JSON, rest-json), Throttling (query, rest-xml),
	// RequestLimitExceeded (EC2).
	FaultThrottle Fault = iota + 1
	// FaultTooManyRequests is HTTP 429 with TooManyRequestsException
	// (JSON, rest-json), Throttling (query) or RequestLimitExceeded (EC2).
	FaultTooManyRequests
	// FaultUnavailable is HTTP 503 ServiceUnavailable: transient, not a
	// throttle, so the adaptive retryer does not slow down for it.
	FaultUnavailable
)

func (f Fault) String() string {
	switch f {
	case FaultThrottle:
		return "throttle"
	case FaultTooManyRequests:
		return "too-many-requests"
	case FaultUnavailable:
		return "unavailable"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// AllFaults is what Options.Faults means when left empty.
var AllFaults = []Fault{FaultThrottle, FaultTooManyRequests, FaultUnavailable}

// FailMode is how every call to Options.FailService is answered.
type FailMode int

const (
	// FailDenied answers access denied (AccessDeniedException, AccessDenied,
	// or UnauthorizedOperation for EC2): the SDK does not retry it.
	FailDenied FailMode = iota
	// FailInternal answers HTTP 500 InternalFailure (InternalError for EC2):
	// the SDK retries it, and it persists, so every attempt is spent.
	FailInternal
)

// Options say which faults to inject. The zero value forwards everything.
type Options struct {
	// ThrottleRate is the share of requests, 0 to 1, answered with a fault
	// from Faults instead of being forwarded.
	ThrottleRate float64
	// Faults to pick from, uniformly, for a throttled request; empty means
	// AllFaults.
	Faults []Fault
	// Latency is added to every request before it is answered or forwarded.
	Latency time.Duration
	// Seed makes the choice of which requests fail, and how, repeatable for
	// the same sequence of requests.
	Seed uint64
	// FailService is a SigV4 service name ("sagemaker", "ec2") whose every
	// call fails with FailMode; empty for none. It applies before ThrottleRate.
	FailService string
	FailMode    FailMode
	// FailOperations narrows FailService to these operations, named as in
	// Op.Operation ("DescribeModel"): a caller allowed to list but not to
	// describe. Empty means every call. REST-protocol operations have no
	// name here, so they never match.
	FailOperations []string
}

// Validate reports the first option out of range.
func (o Options) Validate() error {
	if o.ThrottleRate < 0 || o.ThrottleRate > 1 {
		return fmt.Errorf("ThrottleRate %v: want 0 to 1", o.ThrottleRate)
	}
	if o.Latency < 0 {
		return fmt.Errorf("Latency %v: want 0 or more", o.Latency)
	}
	for _, f := range o.Faults {
		if f < FaultThrottle || f > FaultUnavailable {
			return fmt.Errorf("Faults: unknown %v", f)
		}
	}
	if o.FailMode != FailDenied && o.FailMode != FailInternal {
		return fmt.Errorf("FailMode %d: unknown", o.FailMode)
	}
	return nil
}

// Counts are what happened to requests.
type Counts struct {
	Total     int // requests received
	Forwarded int // sent upstream
	// A request whose client gave up during Latency is in Total only.
	Throttled int // answered with a Fault
	Failed    int // answered with FailMode for FailService
	// UpstreamErrors are forwarded requests the upstream did not answer;
	// the client got HTTP 502.
	UpstreamErrors int
}

func (c *Counts) add(o outcome) {
	switch o {
	case outcomeReceived:
		c.Total++
	case outcomeForwarded:
		c.Forwarded++
	case outcomeThrottled:
		c.Throttled++
	case outcomeFailed:
		c.Failed++
	}
}

// Op names an operation: the SigV4 service and the operation, from
// X-Amz-Target (JSON protocols) or the Action form field (query, EC2).
// Operation is empty for REST protocols, whose operation is in the path.
type Op struct {
	Service   string
	Operation string
}

// Stats are the counts since Start or ResetStats, overall and broken down.
type Stats struct {
	Counts
	ByService   map[string]Counts
	ByOperation map[Op]Counts
}

type outcome int

const (
	outcomeReceived outcome = iota
	outcomeForwarded
	outcomeThrottled
	outcomeFailed
)

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	ln      net.Listener
	srv     *http.Server
	forward *httputil.ReverseProxy

	mu    sync.Mutex
	opts  Options
	rng   *rand.Rand
	stats Stats
}

// Start listens on 127.0.0.1 on a free port and proxies to upstreamURL.
func Start(upstreamURL string, opts Options) (*Proxy, error) {
	upstream, err := url.Parse(upstreamURL)
	if err != nil || upstream.Scheme == "" || upstream.Host == "" {
		return nil, fmt.Errorf("upstream %q: want an absolute http(s) URL", upstreamURL)
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("fault proxy options: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for fault proxy: %w", err)
	}
	p := &Proxy{ln: ln}
	p.setOptions(opts)
	p.resetStats()
	p.forward = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			// The client signed its own Host; keep it, as a transparent
			// proxy must.
			pr.Out.Host = pr.In.Host
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.mu.Lock()
			p.countUpstreamError(r.Context().Value(opKey{}).(Op))
			p.mu.Unlock()
			http.Error(w, "fault proxy: upstream: "+err.Error(), http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// URL is the proxy's base URL, for aws.Config.BaseEndpoint or AWS_ENDPOINT_URL.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Close stops the proxy.
func (p *Proxy) Close() error { return p.srv.Close() }

// SetOptions replaces the options for requests from now on, and restarts the
// random sequence from opts.Seed. Safe to call while requests are in flight.
func (p *Proxy) SetOptions(opts Options) error {
	if err := opts.Validate(); err != nil {
		return fmt.Errorf("fault proxy options: %w", err)
	}
	p.setOptions(opts)
	return nil
}

func (p *Proxy) setOptions(opts Options) {
	opts.Faults = append([]Fault(nil), opts.Faults...)
	opts.FailOperations = append([]string(nil), opts.FailOperations...)
	if len(opts.Faults) == 0 {
		opts.Faults = AllFaults
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.opts = opts
	p.rng = rand.New(rand.NewPCG(opts.Seed, opts.Seed))
}

// Stats returns a copy of the counts.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := Stats{Counts: p.stats.Counts, ByService: map[string]Counts{}, ByOperation: map[Op]Counts{}}
	for k, v := range p.stats.ByService {
		out.ByService[k] = v
	}
	for k, v := range p.stats.ByOperation {
		out.ByOperation[k] = v
	}
	return out
}

// ResetStats sets every count back to zero.
func (p *Proxy) ResetStats() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resetStats()
}

func (p *Proxy) resetStats() {
	p.stats = Stats{ByService: map[string]Counts{}, ByOperation: map[Op]Counts{}}
}

// count records o for op; p.mu must be held.
func (p *Proxy) count(op Op, o outcome) {
	p.stats.add(o)
	svc := p.stats.ByService[op.Service]
	svc.add(o)
	p.stats.ByService[op.Service] = svc
	byOp := p.stats.ByOperation[op]
	byOp.add(o)
	p.stats.ByOperation[op] = byOp
}

func (p *Proxy) countUpstreamError(op Op) {
	p.stats.UpstreamErrors++
	svc := p.stats.ByService[op.Service]
	svc.UpstreamErrors++
	p.stats.ByService[op.Service] = svc
	byOp := p.stats.ByOperation[op]
	byOp.UpstreamErrors++
	p.stats.ByOperation[op] = byOp
}

type opKey struct{}

// decide draws this request's fate under the lock, so that for a given seed
// the n-th request always gets the same answer.
func (p *Proxy) decide(op Op) (outcome, Fault, FailMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	opts := p.opts
	o, f := outcomeForwarded, Fault(0)
	switch {
	case opts.FailService != "" && strings.EqualFold(op.Service, opts.FailService) &&
		(len(opts.FailOperations) == 0 || slices.Contains(opts.FailOperations, op.Operation)):
		o = outcomeFailed
	case opts.ThrottleRate > 0 && p.rng.Float64() < opts.ThrottleRate:
		o, f = outcomeThrottled, opts.Faults[p.rng.IntN(len(opts.Faults))]
	}
	p.count(op, o)
	return o, f, opts.FailMode
}

// arrive counts the request and returns the latency to apply to it.
func (p *Proxy) arrive(op Op) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count(op, outcomeReceived)
	return p.opts.Latency
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, err := classify(r)
	if err != nil {
		http.Error(w, "fault proxy: "+err.Error(), http.StatusBadRequest)
		return
	}
	// Latency comes first so that a request is only counted as forwarded,
	// throttled or failed once it really is.
	if latency := p.arrive(req.op); latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	o, fault, failMode := p.decide(req.op)
	switch o {
	case outcomeThrottled:
		writeError(w, req, faultReply(req.protocol, fault))
	case outcomeFailed:
		writeError(w, req, failReply(req.protocol, failMode))
	default:
		p.forward.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), opKey{}, req.op)))
	}
}

// request is what the proxy needs to know about a call.
type request struct {
	op       Op
	protocol protocol
	// contentType to answer a JSON protocol with: the request's own.
	contentType string
}

// classify names the service, operation and protocol of r. It reads a form
// body to find Action= and puts the bytes back so forwarding still sends them.
func classify(r *http.Request) (request, error) {
	req := request{op: Op{Service: sigV4Service(r)}}
	target := r.Header.Get("X-Amz-Target")
	ct := r.Header.Get("Content-Type")
	switch {
	case target != "":
		req.protocol = protoJSON
		req.contentType = ct
		if req.contentType == "" {
			req.contentType = "application/x-amz-json-1.1"
		}
		if i := strings.LastIndex(target, "."); i >= 0 {
			req.op.Operation = target[i+1:]
		} else {
			req.op.Operation = target
		}
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded") || r.URL.Query().Get("Action") != "":
		req.protocol = protoQuery
		if strings.EqualFold(req.op.Service, "ec2") {
			req.protocol = protoEC2
		}
		action := r.URL.Query().Get("Action")
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(r.Body)
			r.Body.Close()
			if err != nil {
				return req, fmt.Errorf("read request body: %w", err)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			r.ContentLength = int64(len(body))
			if form, err := url.ParseQuery(string(body)); err == nil && form.Get("Action") != "" {
				action = form.Get("Action")
			}
		}
		req.op.Operation = action
	case strings.EqualFold(req.op.Service, "s3") || strings.Contains(ct, "xml"):
		req.protocol = protoRESTXML
	default:
		req.protocol = protoRESTJSON
	}
	return req, nil
}

// sigV4Service is the service in the credential scope
// (AKID/date/region/service/aws4_request) of the Authorization header, or of
// X-Amz-Credential for a presigned URL.
func sigV4Service(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if auth := r.Header.Get("Authorization"); auth != "" {
		if _, rest, ok := strings.Cut(auth, "Credential="); ok {
			cred, _, _ = strings.Cut(rest, ",")
		}
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[3]
}
