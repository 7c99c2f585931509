package setup_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/world"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/networks"
)

// networkGuard is network-guard as its main wires it, on e's recorded
// clients.
func networkGuard(t *testing.T, e *testenv.Env) *evaluate.Evaluator {
	t.Helper()
	fn, ok := rules.Guard("network-guard")
	if !ok {
		t.Fatal("no network-guard in the catalogue")
	}
	accounts := awsclients.NewAccounts(e.Config, "")
	accounts.SetHomeAccount(testenv.Account)
	return setup.Guard(config.Default(), accounts, fn.Rules, nil, networks.Models, networks.VPCs).Evaluator
}

// sampleEvent is a sample event with the seeded world's ids.
func sampleEvent(t *testing.T, w *world.World, name string, replace ...string) *cloudtrail.Event {
	t.Helper()
	ev, err := cloudtrail.ParseOne(w.Rewrite(testenv.Sample(t, name, replace...)))
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return &ev
}

// describedSubnets counts the DescribeSubnets calls since mark that name
// subnet, by id or by a subnet-id filter (not those asking for a VPC's).
func describedSubnets(e *testenv.Env, mark int, subnet string) int {
	n := 0
	for _, c := range e.Recorder.Since(mark) {
		in, ok := c.Input.(*ec2.DescribeSubnetsInput)
		if !ok {
			continue
		}
		named := slices.Contains(in.SubnetIds, subnet)
		for _, f := range in.Filters {
			named = named || slices.Contains(f.Values, subnet)
		}
		if named {
			n++
		}
	}
	return n
}

// TestNetworkGuardDescribesASubnetOnce: a CreateModel makes network-guard
// read the model's zones and the VPC its first subnet names; both come from
// one DescribeSubnets, and a warm function's next event in that subnet
// asks for none (a subnet never changes zone or VPC).
func TestNetworkGuardDescribesASubnetOnce(t *testing.T) {
	e := testenv.New(t, testenv.Seed(testenv.Network|testenv.SampleResources))
	w := e.World()
	ev := sampleEvent(t, w, "model-create-one-az.json")
	subnet := e.Net.Subnets[0]
	eval := networkGuard(t, e)
	for i, want := range []int{1, 0} {
		mark := e.Recorder.Mark()
		rs, err := eval.Event(context.Background(), ev)
		if err != nil || len(rs) != 2 {
			t.Fatalf("event %d: %d results, %v; want 2 (multi-AZ, private path), nil", i+1, len(rs), err)
		}
		for _, r := range rs {
			if r.Finding.Status == finding.InsufficientData {
				t.Errorf("event %d: %s %s: %s", i+1, r.Finding.Rule, r.Finding.Status, r.Finding.Reason)
			}
		}
		if n := describedSubnets(e, mark, subnet); n != want {
			t.Errorf("event %d: DescribeSubnets naming %s: got %d; want %d", i+1, subnet, n, want)
		}
	}
}

// TestDeleteVpcEndpointsOfOneVPCJudgesItOnce: a DeleteVpcEndpoints naming
// two endpoints of one VPC reads the VPC once and yields one finding for it
// under the private-path rule (one ticket sync), beside one finding per
// endpoint under the private-DNS rule.
func TestDeleteVpcEndpointsOfOneVPCJudgesItOnce(t *testing.T) {
	e := testenv.New(t, testenv.Seed(testenv.Network|testenv.SampleResources))
	w := e.World()
	ctx := context.Background()
	api, nb := e.Endpoints[world.VpceAPI], e.Endpoints[world.VpceNotebook]
	if _, err := e.EC2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{api, nb}}); err != nil {
		t.Fatalf("delete endpoints: %v", err)
	}
	two := `"VpcEndpointId": [{"content": "` + world.VpceAPI + `", "tag": 1}, {"content": "` + world.VpceNotebook + `", "tag": 2}]`
	ev := sampleEvent(t, w, "endpoint-delete.json", `"VpcEndpointId": {
          "content": "`+world.VpceAPI+`",
          "tag": 1
        }`, two)
	if refs := (rules.VPCPrivatePathComplete{}).FromEvent(ev); len(refs) != 2 {
		t.Fatalf("the event names %d endpoints; want 2", len(refs))
	}
	eval := &evaluate.Evaluator{Rules: rules.All(), Readers: func(context.Context, string, string) (evaluate.StateReader, error) { return e.Readers(nil), nil }}
	for name, eval := range map[string]*evaluate.Evaluator{"network-guard": networkGuard(t, e), "every rule, test readers": eval} {
		t.Run(name, func(t *testing.T) {
			mark := e.Recorder.Mark()
			rs, err := eval.Event(ctx, ev)
			if err != nil {
				t.Fatalf("Event: %v", err)
			}
			var path []string
			for _, r := range rs {
				if r.Finding.Rule == "sagemaker-vpc-private-path-complete" {
					path = append(path, r.Finding.ResourceName+" "+string(r.Finding.Status))
				}
			}
			// Neither a notebook nor an API endpoint is left: the path is complete.
			if want := []string{e.Net.VPC + " " + string(finding.Compliant)}; !slices.Equal(path, want) {
				t.Errorf("private-path findings: got %q; want %q", path, want)
			}
			n := 0
			for _, c := range e.Recorder.Since(mark) {
				if c.Op == "DescribeVpcs" {
					n++
				}
			}
			if n != 1 {
				t.Errorf("DescribeVpcs calls: got %d; want 1", n)
			}
		})
	}
}
