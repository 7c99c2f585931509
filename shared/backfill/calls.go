package backfill

import (
	"context"
	"maps"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
)

// Calls counts AWS API requests by "service:Operation" (sagemaker:ListModels).
// It is installed on the aws.Config every client is built from, so the
// listings, the describes, the tag reads, the remediations and the tickets
// are all counted, each retry included: a throttled call costs twice.
type Calls struct {
	mu sync.Mutex
	by map[string]int64
}

// NewCalls returns an empty counter.
func NewCalls() *Calls { return &Calls{by: map[string]int64{}} }

// Instrument adds the counting middleware to cfg. Call it before any client
// is built from cfg.
func (c *Calls) Instrument(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, c.addMiddleware)
}

func (c *Calls) addMiddleware(stack *middleware.Stack) error {
	// After the retry middleware in Finalize: every attempt that goes out is counted.
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("vpcguard/count-calls",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			name := CallName(middleware.GetServiceID(ctx), middleware.GetOperationName(ctx))
			c.add(name)
			if scoped, ok := ctx.Value(scopeKey{}).(*Calls); ok && scoped != c {
				scoped.add(name)
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

type scopeKey struct{}

// WithScope counts the calls made with ctx (and contexts derived from it) in
// scope too, besides the counter installed on the clients: the calls of one
// run among several at once (the shards of an organization's backfill run
// side by side in one process).
func WithScope(ctx context.Context, scope *Calls) context.Context {
	return context.WithValue(ctx, scopeKey{}, scope)
}

// CallName is the key a call is counted under: "sagemaker:DescribeModel".
func CallName(serviceID, operation string) string {
	return strings.ToLower(strings.ReplaceAll(serviceID, " ", "")) + ":" + operation
}

func (c *Calls) add(name string) {
	c.mu.Lock()
	c.by[name]++
	c.mu.Unlock()
}

// Snapshot returns the counts so far.
func (c *Calls) Snapshot() map[string]int64 {
	if c == nil {
		return map[string]int64{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.by)
}
