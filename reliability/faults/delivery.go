package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
)

// LambdaRetries is how many times Lambda retries an asynchronous invocation
// whose handler returned an error (the default, which the stack keeps);
// after the last, the event goes to the function's dead-letter queue.
const LambdaRetries = 2

// Handler is a guard Lambda's handler (guard.Handler.Handle).
type Handler func(ctx context.Context, raw json.RawMessage) (any, error)

// Outcome is what became of one delivered event.
type Outcome string

const (
	Handled Outcome = "handled" // done on the first invocation
	Retried Outcome = "retried" // done on a retry
	DLQ     Outcome = "dlq"     // every invocation returned an error: kept in the dead-letter queue
	// Lost is an event the handler acknowledged (no error, so no retry and
	// no dead-letter queue) without doing its work: a finding it could not
	// decide or an action that failed. Nobody would ever hear of it again.
	Lost Outcome = "lost"
)

// Delivery is one event delivered to one function, with Lambda's retries.
type Delivery struct {
	Function string
	Event    string
	// Errors are the errors invocations returned, in order; a panic is an
	// error too (the runtime crashes, Lambda retries), and counted in Panics.
	Errors   []error
	Panics   int
	Response guard.Response // of the last invocation
	Outcome  Outcome
	Why      string // why it is Lost
}

// Deliver invokes h with raw as Lambda's asynchronous invocation does: once,
// and again up to LambdaRetries times while it returns an error. (Lambda
// waits a minute, then two, between tries; here the retry is immediate.)
func Deliver(ctx context.Context, function, event string, h Handler, raw json.RawMessage) Delivery {
	d := Delivery{Function: function, Event: event}
	for attempt := 0; attempt <= LambdaRetries; attempt++ {
		out, err, panicked := invoke(ctx, h, raw)
		if panicked {
			d.Panics++
		}
		resp, _ := out.(guard.Response)
		d.Response = resp
		if err != nil {
			d.Errors = append(d.Errors, err)
			continue
		}
		d.Outcome = Handled
		if attempt > 0 {
			d.Outcome = Retried
		}
		if _, ok := out.(guard.Response); !ok {
			d.Outcome, d.Why = Lost, fmt.Sprintf("handler returned %T and no error", out)
		} else if why := undone(resp); why != "" {
			d.Outcome, d.Why = Lost, why
		}
		return d
	}
	d.Outcome = DLQ
	return d
}

func invoke(ctx context.Context, h Handler, raw json.RawMessage) (out any, err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			out, err, panicked = nil, fmt.Errorf("handler panicked: %v", r), true
		}
	}()
	out, err = h(ctx, raw)
	return out, err, false
}

// undone names the first finding of resp that was acknowledged but not
// dealt with.
func undone(resp guard.Response) string {
	for _, f := range resp.Findings {
		if f.Status == finding.InsufficientData {
			return fmt.Sprintf("%s %s is %s (%s) and no error was returned", f.Rule, f.ResourceID, f.Status, f.Reason)
		}
		for _, a := range f.Actions {
			if a.Outcome == finding.Failed {
				return fmt.Sprintf("%s on %s failed (%s) and no error was returned", a.Type, a.Target, a.Detail)
			}
		}
	}
	return ""
}

// Tally counts what became of a scenario's events.
type Tally struct {
	Scenario string
	In       int // events delivered (one event to two functions counts twice)
	Handled  int // done on the first invocation
	Retried  int // done on a retry
	// ReturnedForRetry counts invocations that returned an error: each is
	// retried by Lambda, or after the last retry sent to the dead-letter queue.
	ReturnedForRetry int
	DLQ              int
	Lost             int // neither done nor in the dead-letter queue
	Panics           int
}

// Add counts d.
func (t *Tally) Add(d Delivery) {
	t.In++
	t.ReturnedForRetry += len(d.Errors)
	t.Panics += d.Panics
	switch d.Outcome {
	case Handled:
		t.Handled++
	case Retried:
		t.Retried++
	case DLQ:
		t.DLQ++
	default:
		t.Lost++
	}
}

// Accounted reports whether every event is handled, retried, in the
// dead-letter queue or lost: nothing fell outside the four.
func (t Tally) Accounted() bool {
	return t.In == t.Handled+t.Retried+t.DLQ+t.Lost
}

// WriteTable prints one row per scenario.
func WriteTable(w io.Writer, ts []Tally) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tevents in\thandled\tretried\treturned for retry\tDLQ\tlost\t")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", t.Scenario, t.In, t.Handled, t.Retried, t.ReturnedForRetry, t.DLQ, t.Lost)
	}
	return tw.Flush()
}
