// Package recorder keeps the requests AWS SDK clients send: smithy
// middleware that records each operation's name and input. Tests assert on
// what was sent (moto ignores some parameters, e.g. PrivateDnsEnabled on
// ModifyVpcEndpoint), and the demo shows it. It is apart from testenv so
// that the vpcguard CLI's demo links it without the testing package.
package recorder

import (
	"context"
	"slices"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Writes are the operations vpcguard makes that change something in AWS. A
// mode that must change nothing sends none of them.
var Writes = []string{
	"AttachRolePolicy", "AttachUserPolicy", "StopNotebookInstance", "AddTags", "DeleteModel",
	"ModifyVpcEndpoint", "CreateTags", "SendMessage", "BatchImportFindings", "Publish",
	"StopTrainingJob", "StopProcessingJob", "StopHyperParameterTuningJob", "StopAutoMLJob", "UpdateDomain",
}

// Call is one request as the client sent it.
type Call struct {
	Service string // the SDK's service id, e.g. EC2
	Op      string // the operation, e.g. ModifyVpcEndpoint
	Input   any    // its input, e.g. *ec2.ModifyVpcEndpointInput
	Label   string // the recorder's label when it was sent (e.g. which guard)
}

// Recorder is smithy middleware that keeps every operation's name and
// input. moto ignores some parameters (PrivateDnsEnabled on
// ModifyVpcEndpoint), so the request sent is what a test asserts on.
type Recorder struct {
	mu    sync.Mutex
	label string
	calls []Call
}

// Option puts the recorder on a client's stack (aws.Config.APIOptions).
func (r *Recorder) Option(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("testenv/recorder",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			r.mu.Lock()
			r.calls = append(r.calls, Call{Service: awsmiddleware.GetServiceID(ctx), Op: awsmiddleware.GetOperationName(ctx), Input: in.Parameters, Label: r.label})
			r.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// SetLabel labels the calls recorded from now on.
func (r *Recorder) SetLabel(label string) {
	r.mu.Lock()
	r.label = label
	r.mu.Unlock()
}

// Reset forgets every call.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.calls = nil
	r.mu.Unlock()
}

// Mark is the number of calls so far, for Since.
func (r *Recorder) Mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// Since returns the calls made after mark.
func (r *Recorder) Since(mark int) []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls[mark:])
}

// Inputs returns the input of every call to op.
func (r *Recorder) Inputs(op string) []any {
	var out []any
	for _, c := range r.Since(0) {
		if c.Op == op {
			out = append(out, c.Input)
		}
	}
	return out
}

// WriteCounts counts the write operations sent (see Writes), by name.
func (r *Recorder) WriteCounts() map[string]int {
	got := map[string]int{}
	for _, c := range WritesOf(r.Since(0)) {
		got[c.Op]++
	}
	return got
}

// WritesOf returns the calls among calls that are writes.
func WritesOf(calls []Call) []Call {
	var out []Call
	for _, c := range calls {
		if slices.Contains(Writes, c.Op) {
			out = append(out, c)
		}
	}
	return out
}
