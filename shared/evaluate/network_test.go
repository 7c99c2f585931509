package evaluate

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/isolation"
	"github.com/vpcguard/vpcguard/internal/testenv/world"
	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// TestNetworkRulesOnline evaluates the sample events of rules 4 to 6
// online, every rule at once, on the sample account as internal/testenv/world
// seeds it: ml-platform (sagemaker.api, runtime, notebook, ssm endpoints, an
// S3 gateway; subnets in us-east-1a and b, and a second one in a) and
// ml-sandbox (one subnet, a notebook endpoint, no other). The events' VPC,
// subnet and vpce ids are rewritten to moto's.
//
// moto 5.2.1 ignores EnableNetworkIsolation on CreateModel: this test runs
// with the isolation fake (internal/testenv/isolation), which puts what
// CreateModel sent on DescribeModel's answer. EC2 (subnets' zones, VPCs,
// endpoints and their filters) is moto's own.
func TestNetworkRulesOnline(t *testing.T) {
	type want struct {
		rule, resource string // resource: the finding's ResourceName; a sample id is rewritten
		status         finding.Status
		reason         string
	}
	const (
		inVPC    = "sagemaker-model-in-vpc"
		isolated = "sagemaker-model-network-isolation"
		multiAZ  = "sagemaker-model-vpc-multi-az"
		path     = "sagemaker-vpc-private-path-complete"
		endpoint = "sagemaker-vpc-endpoint-private-dns"
	)
	tests := []struct {
		name  string
		event string
		setup func(e *testenv.Env)
		want  []want
	}{
		{name: "isolated model in two zones, in a VPC with every endpoint", event: "model-create-network-isolation.json", want: []want{
			{isolated, "fraud-isolated", finding.Compliant, "network isolation on"},
			{inVPC, "fraud-isolated", finding.Compliant, "runs in VPC subnets"},
			{multiAZ, "fraud-isolated", finding.Compliant, "2 Availability Zones (us-east-1a, us-east-1b)"},
			{path, world.VPCPlatform, finding.Compliant, "sagemaker.api, sagemaker.runtime, notebook, s3"},
		}},
		{name: "two subnets in one zone", event: "model-create-one-az.json", want: []want{
			{isolated, "forecast-one-az", finding.NonCompliant, "without EnableNetworkIsolation"},
			{inVPC, "forecast-one-az", finding.Compliant, ""},
			{multiAZ, "forecast-one-az", finding.NonCompliant, "are in us-east-1a"},
			{path, world.VPCPlatform, finding.Compliant, ""},
		}},
		{name: "one subnet, in the sandbox", event: "model-create-one-subnet.json", want: []want{
			{isolated, "sandbox-scoring", finding.NonCompliant, ""},
			{inVPC, "sandbox-scoring", finding.Compliant, ""},
			{multiAZ, "sandbox-scoring", finding.NonCompliant, "one VPC subnet"},
			// The model's subnet names its VPC: resolved, then judged.
			{path, world.VPCSandbox, finding.NonCompliant, "lacks a sagemaker.api interface endpoint"},
		}},
		{name: "notebook endpoint without the API endpoint", event: "endpoint-create-notebook-no-api.json", want: []want{
			{endpoint, world.VpceSandboxNotebook, finding.Compliant, "private DNS on"},
			{path, world.VPCSandbox, finding.NonCompliant, "a sagemaker.runtime interface endpoint and an S3 endpoint (gateway or interface), without which model containers reach S3 only through the internet: it hosts models (sandbox-scoring)"},
		}},
		{name: "the API endpoint deleted: its VPC still found", event: "endpoint-delete.json",
			setup: func(e *testenv.Env) {
				if _, err := e.EC2.DeleteVpcEndpoints(context.Background(), &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{e.Endpoints[world.VpceAPI]}}); err != nil {
					t.Fatalf("delete endpoint: %v", err)
				}
			},
			want: []want{
				{endpoint, world.VpceAPI, finding.NotApplicable, "no longer exists"},
				{path, world.VPCPlatform, finding.NonCompliant, "lacks a sagemaker.api interface endpoint: it has SageMaker notebook or Studio endpoints"},
			}},
		{name: "an S3 gateway to a VPC that lacked it", event: "endpoint-create-s3-gateway.json", want: []want{
			{endpoint, world.VpceS3, finding.NotApplicable, "Gateway endpoint"},
			{path, world.VPCPlatform, finding.Compliant, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iso := &isolation.Models{}
			e := testenv.New(t, testenv.Seed(testenv.Network|testenv.SampleResources), testenv.APIOptions(iso.Option))
			if tt.setup != nil {
				tt.setup(e)
			}
			w := e.World()
			ev, err := testenvEvent(t, w, tt.event)
			if err != nil {
				t.Fatal(err)
			}
			eval := &Evaluator{Rules: rules.All(), Readers: readers(e, nil), ExemptTagKey: exemptKey}
			rs, err := eval.Event(context.Background(), ev)
			if err != nil {
				t.Fatalf("Event: %v", err)
			}
			if len(rs) != len(tt.want) {
				var got []string
				for _, r := range rs {
					got = append(got, r.Finding.Rule+" "+r.Finding.ResourceName+" "+string(r.Finding.Status))
				}
				t.Fatalf("got %d results %q; want %d", len(rs), got, len(tt.want))
			}
			for i, wnt := range tt.want {
				f := rs[i].Finding
				name := w.Unrewrite(f.ResourceName)
				if f.Rule != wnt.rule || name != wnt.resource || f.Status != wnt.status || !strings.Contains(w.Unrewrite(f.Reason), wnt.reason) {
					t.Errorf("finding %d: got (%s, %s, %s) %q; want (%s, %s, %s) containing %q", i, f.Rule, name, f.Status, w.Unrewrite(f.Reason),
						wnt.rule, wnt.resource, wnt.status, wnt.reason)
				}
				if f.Rule == path && f.ResourceType != "AWS::EC2::VPC" {
					t.Errorf("finding %d: resource type %s; want AWS::EC2::VPC", i, f.ResourceType)
				}
				if f.Rule == path && !strings.HasPrefix(f.ResourceID, "arn:aws:ec2:us-east-1:"+testenv.Account+":vpc/vpc-") {
					t.Errorf("finding %d: resource id %s; want the VPC's ARN", i, f.ResourceID)
				}
			}
		})
	}
}

// testenvEvent is the sample event name with the seeded world's ids.
func testenvEvent(t *testing.T, w *world.World, name string) (*cloudtrail.Event, error) {
	t.Helper()
	ev, err := cloudtrail.ParseOne(w.Rewrite(testenv.Sample(t, name)))
	return &ev, err
}

// TestOneReadPerResource: the model rules judge one model from one read
// per event, tags included.
func TestOneReadPerResource(t *testing.T) {
	w := newEnv(t)
	w.Model("churn-xgb-public", false, nil)
	counter := &countingSageMaker{API: w.SageMaker}
	e := &Evaluator{Rules: []rules.Rule{rules.ModelInVPC{}, rules.ModelNetworkIsolation{}, rules.ModelVPCMultiAZ{}},
		Readers: readers(w, counter), ExemptTagKey: exemptKey}
	ev := testenv.SampleEvent(t, "model-create-no-vpc.json")
	rs, err := e.Event(context.Background(), &ev)
	if err != nil || len(rs) != 3 {
		t.Fatalf("Event: %d results, %v; want 3, nil", len(rs), err)
	}
	if got := counter.describes.Load(); got != 1 {
		t.Errorf("DescribeModel calls = %d; want 1 for three rules", got)
	}
	// Two rules find it NON_COMPLIANT; the exemption tag is read once.
	if got := counter.listTags.Load(); got != 1 {
		t.Errorf("ListTags calls = %d; want 1", got)
	}
}
