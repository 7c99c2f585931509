package guard_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/inventory/sagemakerstate"
	"github.com/vpcguard/vpcguard/shared/rules"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	region     = testenv.Region
	acct       = testenv.Account
	apiService = "com.amazonaws.us-east-1.sagemaker.api"
)

// firstRules are the rules whose guards the tests below exercise, one
// finding per sample event (only); the rules added later have their own
// tests (network_test.go) or share these rules' paths.
var firstRules = []rules.Rule{rules.ModelInVPC{}, rules.EndpointPrivateDNS{}, rules.NotebookNoDirectInternet{}}

// withReader reads the guard's SageMaker resources through sm.
func withReader(h *guard.Handler, sm sagemakerstate.API) {
	h.Guard.Evaluator.Readers = func(context.Context, string, string) (evaluate.StateReader, error) {
		return &sagemakerstate.Reader{SageMaker: sm}, nil
	}
}

// handle runs the handler on an EventBridge event and expects a Response.
func handle(t *testing.T, h *guard.Handler, raw json.RawMessage) (guard.Response, error) {
	t.Helper()
	out, err := h.Handle(context.Background(), raw)
	resp, ok := out.(guard.Response)
	if !ok {
		t.Fatalf("Handle returned %T; want guard.Response", out)
	}
	return resp, err
}

// only returns the single finding of resp.
func only(t *testing.T, resp guard.Response) finding.Finding {
	t.Helper()
	if len(resp.Findings) != 1 {
		t.Fatalf("got %d findings; want 1: %+v (skipped %+v)", len(resp.Findings), resp.Findings, resp.Skipped)
	}
	return resp.Findings[0]
}

func actionOf(f finding.Finding, typ string) (finding.Action, bool) {
	for _, a := range f.Actions {
		if a.Type == typ {
			return a, true
		}
	}
	return finding.Action{}, false
}
