package backfill_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

func TestParseInput(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{``, ""},
		{`null`, ""},
		{`{}`, ""},
		{`{"regions": ["us-east-1", "all"], "accounts": ["111122223333"], "rules": ["sagemaker-model-in-vpc"], "mode": "report", "dryRun": true}`, ""},
		{`{"region": "us-east-1"}`, `unknown field "region"`},
		{`{"mode": "fix"}`, `mode: "fix" is not report, ticket or enforce`},
		{`{"accounts": ["1234"]}`, `"1234" is not a 12-digit account id`},
		{`{"rules": ["nope"]}`, `unknown rule "nope"`},
		{`{"regions": [""]}`, `empty region`},
		{`[1, 2]`, `cannot unmarshal`},
	}
	for _, tt := range tests {
		_, err := backfill.ParseInput([]byte(tt.in))
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ParseInput(%s): %v; want no error", tt.in, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, backfill.ErrBadInput)):
			t.Errorf("ParseInput(%s): %v; want ErrBadInput with %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestLambdaReturnsSummary(t *testing.T) {
	e := newEnv(t)
	mixed(t, e.seed("us-east-1"), "us-east-1")
	cfg := config.Default() // the stack's default mode is ticket; the input overrides it
	opts := guards.Backfill(e.accounts, backfill.Options{Calls: e.calls})
	h := &backfill.Handler{Config: cfg, Options: opts, NewGuard: func(cfg config.Config, rs []rules.Rule) *guard.Guard {
		return setup.Guard(cfg, e.accounts, rs, nil, guards.Kinds...)
	}}
	s, err := h.Handle(context.Background(), json.RawMessage(`{"regions": ["us-east-1"], "mode": "report"}`))
	if err != nil {
		t.Fatal(err)
	}
	// 3 models, 3 notebooks, 3 SageMaker endpoints, 2 VPCs (ml-platform and
	// moto's default VPC).
	if s.Resources != 11 || s.ByRule[modelRule][finding.NonCompliant] != 1 || s.ByRule[pathRule][finding.Compliant] != 1 {
		t.Errorf("summary %+v; want 11 resources, 1 model outside a VPC, 1 VPC with its private path complete", s)
	}
	if s.Calls["securityhub:BatchImportFindings"] != 0 {
		t.Errorf("report mode filed tickets: %v", s.Calls)
	}
	if _, err := h.Handle(context.Background(), json.RawMessage(`{"mode": "delete-everything"}`)); !errors.Is(err, backfill.ErrBadInput) {
		t.Errorf("bad mode: err %v; want ErrBadInput", err)
	}
}
