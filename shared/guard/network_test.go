package guard_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/networks"
)

// TestNetworkGuard runs network-guard as functions/network-guard wires it
// (its row of rules.Guards, models read with their zones, VPCs; no
// remediation client) in enforce mode with Security Hub and SNS tickets, on
// the sample account: the ticket-only rules ticket and change nothing,
// duplicates change nothing more, and a VPC that gets the endpoints it
// lacked has its ticket resolved by the endpoint event.
func TestNetworkGuard(t *testing.T) {
	e := testenv.New(t, testenv.Seed(testenv.SampleAccount|testenv.SampleResources))
	fn, ok := rules.Guard("network-guard")
	if !ok {
		t.Fatal("no network-guard in rules.Guards")
	}
	accounts := awsclients.NewAccounts(e.Config, "")
	accounts.SetHomeAccount(testenv.Account)
	h := &guard.Handler{Guard: setup.Guard(e.GuardConfig(mode.Enforce), accounts, fn.Rules, nil, networks.Models, networks.VPCs)}
	w := e.World()
	deliver := func(name string) []finding.Finding {
		t.Helper()
		resp, err := handle(t, h, w.Rewrite(testenv.Sample(t, name)))
		if err != nil {
			t.Fatalf("%s: Handle: %v", name, err)
		}
		return resp.Findings
	}
	status := func(fs []finding.Finding, rule string) finding.Finding {
		t.Helper()
		for _, f := range fs {
			if f.Rule == rule {
				return f
			}
		}
		t.Fatalf("no finding of %s in %+v", rule, fs)
		return finding.Finding{}
	}

	oneAZ := deliver("model-create-one-az.json")
	if f := status(oneAZ, "sagemaker-model-vpc-multi-az"); f.Status != finding.NonCompliant {
		t.Errorf("forecast-one-az: %s %q; want NON_COMPLIANT", f.Status, f.Reason)
	}
	if f := status(oneAZ, "sagemaker-vpc-private-path-complete"); f.Status != finding.Compliant {
		t.Errorf("ml-platform: %s %q; want COMPLIANT", f.Status, f.Reason)
	}
	sandbox := deliver("endpoint-create-notebook-no-api.json")
	f := status(sandbox, "sagemaker-vpc-private-path-complete")
	if f.Status != finding.NonCompliant || f.ResourceID != "arn:aws:ec2:us-east-1:"+testenv.Account+":vpc/"+e.Sandbox.VPC {
		t.Errorf("ml-sandbox: %s %s %q; want NON_COMPLIANT on the sandbox VPC", f.Status, f.ResourceID, f.Reason)
	}
	for _, f := range append(oneAZ, sandbox...) {
		for _, a := range f.Actions {
			if a.Type != "ticket:securityhub" && a.Type != "ticket:sns" {
				t.Errorf("%s on %s: action %s; want tickets only", f.Rule, f.ResourceName, a.Type)
			}
		}
	}
	if got := e.Recorder.WriteCounts(); got["BatchImportFindings"] != 2 || got["Publish"] != 2 || len(got) != 2 {
		t.Errorf("writes %v; want the two tickets opened (Security Hub, SNS) and nothing else", got)
	}
	hub := e.HubFindings()
	types := map[string]bool{}
	for _, h := range hub {
		types[aws.ToString(h.Resources[0].Type)] = true
	}
	if len(hub) != 2 || !types["AwsEc2Vpc"] || !types["Other"] {
		t.Errorf("Security Hub findings %d, resource types %v; want 2: the model (Other) and the VPC (AwsEc2Vpc)", len(hub), types)
	}

	// Duplicates: nothing new.
	mark := e.Recorder.Mark()
	deliver("model-create-one-az.json")
	deliver("endpoint-create-notebook-no-api.json")
	for _, c := range e.Recorder.Since(mark) {
		if c.Op == "BatchImportFindings" || c.Op == "Publish" {
			t.Errorf("duplicate delivery sent %s; want nothing new", c.Op)
		}
	}

	// The sandbox gets its API, runtime and S3 endpoints; the next endpoint
	// event in it resolves its ticket.
	ctx := context.Background()
	c := e.Estate(testenv.Region)
	for _, svc := range []string{"com.amazonaws.us-east-1.sagemaker.api", "com.amazonaws.us-east-1.sagemaker.runtime"} {
		if _, err := c.Endpoint(ctx, e.Sandbox, svc, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Gateway(ctx, e.Sandbox, "com.amazonaws.us-east-1.s3"); err != nil {
		t.Fatal(err)
	}
	f = status(deliver("endpoint-create-notebook-no-api.json"), "sagemaker-vpc-private-path-complete")
	if a, _ := actionOf(f, "ticket:securityhub"); f.Status != finding.Compliant || a.Detail != "resolved" {
		t.Errorf("ml-sandbox after the endpoints: %s %q, ticket %q; want COMPLIANT and the ticket resolved", f.Status, f.Reason, a.Detail)
	}
}
