package remediate

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// TestNetworkIsolationRemediation: a model outside a VPC and without
// network isolation breaks two rules; enforcing both tags it once with both
// rules (whatever the order they act in, and however often the event comes)
// and attaches the one guardrail once. Network isolation has no delete: the
// opt-in to delete models belongs to model-in-vpc.
func TestNetworkIsolationRemediation(t *testing.T) {
	const modelARN = "arn:aws:sagemaker:us-east-1:" + acct + ":model/churn-xgb-public"
	both := "sagemaker-model-in-vpc sagemaker-model-network-isolation"
	for _, order := range [][]rules.Rule{
		{rules.ModelInVPC{}, rules.ModelNetworkIsolation{}},
		{rules.ModelNetworkIsolation{}, rules.ModelInVPC{}},
	} {
		t.Run(order[0].Name()+" first", func(t *testing.T) {
			e := newEnv(t)
			role(e, "/", "MLEngineer")
			e.Model("churn-xgb-public", false, nil)
			cfg := enforceConfig(e)
			ev, rem := evaluator(e, cfg, nil, order...), remediator(e, cfg, nil, nil)
			for delivery := 1; delivery <= 2; delivery++ {
				event := testenv.SampleEvent(t, "model-create-no-vpc.json")
				// As a guard does: every rule's state is read before any acts.
				results, err := ev.Event(context.Background(), &event)
				if err != nil || len(results) != 2 {
					t.Fatalf("delivery %d: got %d results, %v; want 2", delivery, len(results), err)
				}
				for i := range results {
					if err := rem.Remediate(context.Background(), &results[i]); err != nil {
						t.Fatalf("delivery %d: Remediate %s: %v", delivery, results[i].Rule.Name(), err)
					}
					want := finding.Done
					if delivery > 1 {
						want = finding.Skipped
					}
					if a := action(t, results[i].Finding, "tag"); a.Outcome != want {
						t.Errorf("delivery %d, %s: tag %s %q; want %s", delivery, results[i].Rule.Name(), a.Outcome, a.Detail, want)
					}
				}
				if got := e.SageMakerTags(modelARN)["vpcguard:finding"]; got != both {
					t.Errorf("delivery %d: tag vpcguard:finding = %q; want %q", delivery, got, both)
				}
			}
			if n := len(e.Recorder.Inputs("AddTags")); n != 2 {
				t.Errorf("AddTags calls = %d; want 2 (one per rule, none on the second delivery)", n)
			}
			if n := len(e.Recorder.Inputs("AttachRolePolicy")); n != 1 {
				t.Errorf("AttachRolePolicy calls = %d; want 1 (the one guardrail holds both rules' statements)", n)
			}
		})
	}

	t.Run("no delete, even with the opt-in", func(t *testing.T) {
		e := newEnv(t)
		role(e, "/", "MLEngineer")
		e.Model("churn-xgb-private", true, nil)
		cfg := enforceConfig(e)
		cfg.DeleteNoncompliantModels = true
		res := evaluateOne(e, evaluator(e, cfg, nil, rules.ModelNetworkIsolation{}), "model-create-in-vpc.json")
		if res.Finding.Status != finding.NonCompliant {
			t.Fatalf("status = %s; want NON_COMPLIANT (moto stores no network isolation)", res.Finding.Status)
		}
		if err := remediator(e, cfg, nil, nil).Remediate(context.Background(), &res); err != nil {
			t.Fatalf("Remediate: %v", err)
		}
		var types []string
		for _, a := range res.Finding.Actions {
			types = append(types, a.Type+":"+string(a.Outcome))
		}
		if len(types) != 2 || types[0] != "attach-guardrail:done" || types[1] != "tag:done" {
			t.Errorf("actions = %v; want [attach-guardrail:done tag:done]", types)
		}
		if _, err := e.SageMaker.DescribeModel(context.Background(), &sagemaker.DescribeModelInput{ModelName: aws.String("churn-xgb-private")}); err != nil {
			t.Errorf("model churn-xgb-private: %v; want it kept", err)
		}
	})

	t.Run("dry run", func(t *testing.T) {
		e := newEnv(t)
		role(e, "/", "MLEngineer")
		e.Model("churn-xgb-public", false, nil)
		cfg := enforceConfig(e)
		cfg.DryRun = true
		res := evaluateOne(e, evaluator(e, cfg, nil, rules.ModelNetworkIsolation{}), "model-create-no-vpc.json")
		if err := remediator(e, cfg, nil, nil).Remediate(context.Background(), &res); err != nil {
			t.Fatalf("Remediate: %v", err)
		}
		for _, typ := range []string{"attach-guardrail", "tag"} {
			if a := action(t, res.Finding, typ); a.Outcome != finding.DryRun {
				t.Errorf("%s = %s %q; want dry-run", typ, a.Outcome, a.Detail)
			}
		}
		if n := len(e.Recorder.Inputs("AddTags")) + len(e.Recorder.Inputs("AttachRolePolicy")); n != 0 {
			t.Errorf("writes sent = %d; want none in a dry run", n)
		}
	})
}

// TestTicketOnlyRules: the multi-AZ and private-path rules have no
// guardrail and no remedy, so enforce mode does nothing to the resource or
// the caller, records no action and needs no client: network-guard is wired
// without IAM or any remediation client.
func TestTicketOnlyRules(t *testing.T) {
	e := newEnv(t)
	cfg := enforceConfig(e)
	rem := &Remediator{Config: cfg, APIs: func(context.Context, string, string) (API, error) { return API{}, nil }}
	for _, r := range []rules.Rule{rules.ModelVPCMultiAZ{}, rules.VPCPrivatePathComplete{}} {
		res := evaluate.Result{Rule: r, State: resource.State{Ref: resource.Ref{Kind: r.Kind(), ID: "x", Account: acct, Region: region}},
			Finding: finding.Finding{Rule: r.Name(), Status: finding.NonCompliant, ResourceID: "x", Principal: mlEngineer, Account: acct, Region: region}}
		if err := rem.Remediate(context.Background(), &res); err != nil {
			t.Errorf("%s: Remediate: %v; want nil", r.Name(), err)
		}
		if len(res.Finding.Actions) != 0 {
			t.Errorf("%s: actions %+v; want none", r.Name(), res.Finding.Actions)
		}
	}
	if n := len(e.Recorder.Since(0)); n != 0 {
		t.Errorf("requests sent = %d; want none", n)
	}
}
