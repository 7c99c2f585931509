package orgbackfill

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/vpcguard/vpcguard/shared/backfill"
)

// FunctionHandler is the backfill function: a shard of an organization's
// backfill (the state machine's input has a "shard"), or a one-account
// backfill as before.
type FunctionHandler struct {
	Backfill *backfill.Handler
	Log      *slog.Logger
}

// Handle runs one invocation. A shard's errors carry an errorType the state
// machine tells apart: ErrorBadInput is not retried, ErrorShardFailed is.
func (h *FunctionHandler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	if !IsShard(raw) {
		return h.Backfill.Handle(ctx, raw)
	}
	in, err := ParseShardInput(raw)
	if err != nil {
		return nil, lambdaError(ErrorBadInput, err)
	}
	opts, err := h.Backfill.Prepare(ctx, in.Options.Input())
	if err != nil {
		name := ErrorShardFailed
		if errors.Is(err, backfill.ErrBadInput) {
			name = ErrorBadInput
		}
		return nil, lambdaError(name, err)
	}
	res, err := RunShard(ctx, opts, in, Budget(ctx))
	if h.Log != nil {
		h.Log.InfoContext(ctx, "shard done", "run", in.Run, "account", in.Shard.Account, "region", in.Shard.Region,
			"resources", res.Resources, "findings", res.ByRule, "continues", res.Continuation != nil)
	}
	if err != nil {
		return nil, lambdaError(ErrorShardFailed, err)
	}
	return res, nil
}

// lambdaError is err with errorType name: Lambda reports an error's Go type
// otherwise, which says nothing to the state machine's Retry.
func lambdaError(name string, err error) error {
	return messages.InvokeResponse_Error{Message: err.Error(), Type: name}
}

// Budget says when a shard invoked with ctx must stop starting work: a
// margin before the function's deadline, long enough for what it started
// to finish (a describe, a remediation, a ticket; a creator lookup waits its
// turn at CloudTrail's 2 calls a second). Without a deadline, never.
func Budget(ctx context.Context) func() bool {
	deadline, ok := ctx.Deadline()
	if !ok {
		return nil
	}
	margin := min(2*time.Minute, time.Until(deadline)/5)
	return func() bool { return time.Until(deadline) < margin }
}
