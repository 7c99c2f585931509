package networkstate_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/estate"
	"github.com/vpcguard/vpcguard/shared/inventory/networkstate"
	"github.com/vpcguard/vpcguard/shared/inventory/sagemakerstate"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const region = testenv.Region

func ref(kind resource.Kind, id string) resource.Ref {
	return resource.Ref{Kind: kind, ID: id, Account: testenv.Account, Region: region}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// calls counts e's recorded requests by operation since mark.
func calls(e *testenv.Env, mark int) map[string]int {
	out := map[string]int{}
	for _, c := range e.Recorder.Since(mark) {
		out[c.Op]++
	}
	return out
}

// TestSubnets: moto's DescribeSubnets gives each subnet's zone and VPC as
// created; a subnet that does not exist is left out (one missing subnet
// does not fail the others); a subnet once read is not asked again, for
// its zone or its VPC, while a missing one is (it may not be visible yet).
func TestSubnets(t *testing.T) {
	e := testenv.New(t, testenv.Seed(testenv.Network))
	z := networkstate.NewSubnets(e.EC2)
	ctx := context.Background()
	got, err := z.Zones(ctx, []string{e.Net.Subnets[0], e.Net.Subnets[1], e.Net.SameZone, "subnet-0000000000000dead"})
	must(t, err)
	want := map[string]string{e.Net.Subnets[0]: "us-east-1a", e.Net.Subnets[1]: "us-east-1b", e.Net.SameZone: "us-east-1a"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("zones: got %v; want %v", got, want)
	}
	mark := e.Recorder.Mark()
	again, err := z.Zones(ctx, []string{e.Net.SameZone})
	must(t, err)
	vpc, err := z.VPC(ctx, e.Net.Subnets[1])
	must(t, err)
	if n := len(e.Recorder.Since(mark)); n != 0 || again[e.Net.SameZone] != "us-east-1a" || len(again) != 1 || vpc != e.Net.VPC {
		t.Errorf("second read: %d calls, %v, vpc %q; want none, from the cache, %s", n, again, vpc, e.Net.VPC)
	}
	mark = e.Recorder.Mark()
	gone, err := z.VPC(ctx, "subnet-0000000000000dead")
	must(t, err)
	if n := calls(e, mark)["DescribeSubnets"]; n != 1 || gone != "" {
		t.Errorf("missing subnet: %d DescribeSubnets, vpc %q; want 1, none", n, gone)
	}
}

// TestSubnetsBounded: the cache keeps at most Max subnets; one let go is
// read again.
func TestSubnetsBounded(t *testing.T) {
	e := testenv.New(t, testenv.Seed(testenv.Network))
	z := networkstate.NewSubnets(e.EC2)
	z.Max = 2
	ctx := context.Background()
	all := []string{e.Net.Subnets[0], e.Net.Subnets[1], e.Net.SameZone}
	_, err := z.Zones(ctx, all)
	must(t, err)
	mark := e.Recorder.Mark()
	got, err := z.Zones(ctx, all)
	must(t, err)
	if n := calls(e, mark)["DescribeSubnets"]; n != 1 || len(got) != 3 {
		t.Errorf("after the bound: %d DescribeSubnets, %d zones; want 1 (the subnet let go), 3", n, len(got))
	}
}

// TestZonedModels: a model with two subnets or more is read with their
// zones; one with one subnet, none, or that does not exist is read without
// a call to EC2.
func TestZonedModels(t *testing.T) {
	e := testenv.New(t, testenv.Seed(testenv.Network))
	c := e.Estate(region)
	ctx := context.Background()
	must(t, c.CreateModel(ctx, "one-az", estate.ModelSpec{Subnets: []string{e.Net.Subnets[0], e.Net.SameZone}, SecurityGroups: []string{e.Net.SecurityGroup}}))
	must(t, c.CreateModel(ctx, "one-subnet", estate.ModelSpec{Subnets: e.Net.Subnets[:1], SecurityGroups: []string{e.Net.SecurityGroup}}))
	must(t, c.CreateModel(ctx, "no-vpc", estate.ModelSpec{}))
	r := networkstate.ZonedModels{Models: &sagemakerstate.Reader{SageMaker: e.SageMaker}, Zones: networkstate.NewSubnets(e.EC2)}
	tests := []struct {
		model          string
		wantZones      map[string]string
		describeSubnet int
	}{
		{"one-az", map[string]string{e.Net.Subnets[0]: "us-east-1a", e.Net.SameZone: "us-east-1a"}, 1},
		{"one-subnet", nil, 0},
		{"no-vpc", nil, 0},
		{"gone", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			mark := e.Recorder.Mark()
			s, err := r.Read(ctx, ref(resource.Model, tt.model))
			must(t, err)
			if tt.model == "gone" {
				if !s.Missing {
					t.Errorf("Missing: got false; want true")
				}
			} else if fmt.Sprint(s.Model.Zones) != fmt.Sprint(tt.wantZones) {
				t.Errorf("zones: got %v; want %v", s.Model.Zones, tt.wantZones)
			}
			if n := calls(e, mark)["DescribeSubnets"]; n != tt.describeSubnet {
				t.Errorf("DescribeSubnets calls: got %d; want %d", n, tt.describeSubnet)
			}
		})
	}
}

// TestVPCs reads VPCs as moto has them, named directly, through a subnet,
// and through an endpoint, deleted or not.
func TestVPCs(t *testing.T) {
	e := testenv.New(t, testenv.Seed(testenv.Network))
	c := e.Estate(region)
	ctx := context.Background()
	nbID, err := c.Endpoint(ctx, e.Net, "aws.sagemaker.us-east-1.notebook", nil, "")
	must(t, err)
	apiID, err := c.Endpoint(ctx, e.Net, "com.amazonaws.us-east-1.sagemaker.api", nil, "")
	must(t, err)
	_, err = e.EC2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{apiID}})
	must(t, err)
	must(t, c.CreateModel(ctx, "elsewhere", estate.ModelSpec{}))
	must(t, c.Model(ctx, "hosted", e.Net, nil))
	r := networkstate.VPCs{EC2: e.EC2, Subnets: networkstate.NewSubnets(e.EC2), Models: sagemakerstate.ModelSubnets{SageMaker: e.SageMaker, MaxDescribes: 10}, ModelsMatter: rules.ModelsMatter}

	for _, id := range []string{e.Net.VPC, e.Net.Subnets[1], nbID, apiID} {
		t.Run("through "+strings.SplitN(id, "-", 2)[0], func(t *testing.T) {
			s, err := r.Read(ctx, ref(resource.VPC, id))
			must(t, err)
			if s.Missing || s.ID != e.Net.VPC || s.ARN != resource.VPCARN(region, testenv.Account, e.Net.VPC) || s.VPC == nil {
				t.Fatalf("state: got %+v; want VPC %s", s, e.Net.VPC)
			}
			if s.Tags["Name"] != "ml-platform" {
				t.Errorf("tags: got %v; want Name=ml-platform", s.Tags)
			}
			var eps []string
			for _, ep := range s.VPC.Endpoints {
				eps = append(eps, ep.ID+" "+ep.Type+" "+strings.ToLower(ep.State))
			}
			slices.Sort(eps)
			want := []string{apiID + " Interface deleted", nbID + " Interface available"}
			slices.Sort(want)
			if !slices.Equal(eps, want) {
				t.Errorf("endpoints: got %q; want %q", eps, want)
			}
			// No runtime or S3 endpoint: the models matter, and one is in it.
			if !s.VPC.ModelsRead || !slices.Equal(s.VPC.Models, []string{"hosted"}) {
				t.Errorf("models: read %v, %q; want read, [hosted]", s.VPC.ModelsRead, s.VPC.Models)
			}
		})
	}
	for _, id := range []string{"vpc-0000000000000dead", "subnet-0000000000000dead", "vpce-0000000000000dead"} {
		t.Run("missing "+id, func(t *testing.T) {
			s, err := r.Read(ctx, ref(resource.VPC, id))
			must(t, err)
			if !s.Missing {
				t.Errorf("Missing: got false; want true")
			}
		})
	}
	t.Run("not a VPC's id", func(t *testing.T) {
		if _, err := r.Read(ctx, ref(resource.VPC, "sg-1")); err == nil {
			t.Errorf("error: got nil; want one")
		}
	})
	t.Run("runtime and S3 endpoints: models not looked for", func(t *testing.T) {
		_, err := c.Endpoint(ctx, e.Net, "com.amazonaws.us-east-1.sagemaker.runtime", nil, "")
		must(t, err)
		_, err = c.Gateway(ctx, e.Net, "com.amazonaws.us-east-1.s3")
		must(t, err)
		mark := e.Recorder.Mark()
		s, err := r.Read(ctx, ref(resource.VPC, e.Net.VPC))
		must(t, err)
		got := calls(e, mark)
		if s.VPC.ModelsRead || got["ListModels"]+got["DescribeModel"]+got["Search"]+got["DescribeSubnets"] != 0 {
			t.Errorf("models read %v with calls %v; want no model or subnet call", s.VPC.ModelsRead, got)
		}
		if want := map[string]int{"DescribeVpcs": 1, "DescribeVpcEndpoints": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("calls: got %v; want %v", got, want)
		}
	})
}

// TestVPCsBoundedScan: where Search is refused (moto), a VPC read describes
// at most MaxDescribes models; past that, whether the VPC hosts models is
// unknown and the state says why.
func TestVPCsBoundedScan(t *testing.T) {
	e := testenv.New(t, testenv.Seed(testenv.Network))
	c := e.Estate(region)
	ctx := context.Background()
	for i := range 5 {
		must(t, c.CreateModel(ctx, fmt.Sprintf("outside-%d", i), estate.ModelSpec{}))
	}
	r := networkstate.VPCs{EC2: e.EC2, Subnets: networkstate.NewSubnets(e.EC2), Models: sagemakerstate.ModelSubnets{SageMaker: e.SageMaker, MaxDescribes: 3}}
	mark := e.Recorder.Mark()
	s, err := r.Read(ctx, ref(resource.VPC, e.Net.VPC))
	must(t, err)
	if s.VPC.ModelsRead || !strings.Contains(s.VPC.ModelsNote, "described 3 models") {
		t.Errorf("models read %v, note %q; want unread, naming the bound", s.VPC.ModelsRead, s.VPC.ModelsNote)
	}
	if n := calls(e, mark)["DescribeModel"]; n != 3 {
		t.Errorf("DescribeModel calls: got %d; want 3", n)
	}
	// Unbounded (the backfill's), every model is read.
	r.Models = sagemakerstate.ModelSubnets{SageMaker: e.SageMaker}
	s, err = r.Read(ctx, ref(resource.VPC, e.Net.VPC))
	must(t, err)
	if !s.VPC.ModelsRead || len(s.VPC.Models) != 0 {
		t.Errorf("unbounded: models read %v, %q; want read, none", s.VPC.ModelsRead, s.VPC.Models)
	}
}

// TestVPCList lists every VPC of the region with its endpoints and hosted
// models from one read of the region: no call per VPC.
func TestVPCList(t *testing.T) {
	e := testenv.New(t, testenv.Seed(testenv.Network))
	c := e.Estate(region)
	ctx := context.Background()
	sandbox, err := c.NewSandbox(ctx, region)
	must(t, err)
	_, err = c.Endpoint(ctx, sandbox, "aws.sagemaker.us-east-1.notebook", nil, "")
	must(t, err)
	must(t, c.Model(ctx, "platform-model", e.Net, nil))
	must(t, c.CreateModel(ctx, "sandbox-model", estate.ModelSpec{Subnets: sandbox.Subnets, SecurityGroups: []string{sandbox.SecurityGroup}}))
	must(t, c.CreateModel(ctx, "no-vpc", estate.ModelSpec{}))
	// The models described one at a time, and several at once (the backfill's).
	for _, parallel := range []int{1, 4} {
		t.Run(fmt.Sprintf("%d describes at once", parallel), func(t *testing.T) {
			l := networkstate.VPCList{EC2: e.EC2, Models: sagemakerstate.ModelSubnets{SageMaker: e.SageMaker, Parallel: parallel}, ModelsMatter: rules.ModelsMatter}
			mark := e.Recorder.Mark()
			got := map[string]string{}
			must(t, l.List(ctx, testenv.Account, region, 100, func(s resource.State, known bool) bool {
				if !known || s.VPC == nil || !s.VPC.ModelsRead {
					t.Errorf("%s: known %v, %+v; want its state, models read", s.ID, known, s.VPC)
				}
				got[s.ID] = fmt.Sprint(len(s.VPC.Endpoints), s.VPC.Models)
				return true
			}))
			if got[e.Net.VPC] != "0 [platform-model]" || got[sandbox.VPC] != "1 [sandbox-model]" || len(got) != 3 {
				t.Errorf("VPCs: got %v; want ml-platform with platform-model, the sandbox with its endpoint and sandbox-model, and the default VPC", got)
			}
			// One call each of EC2's, and the model scan (moto refuses Search).
			want := map[string]int{"DescribeVpcs": 1, "DescribeVpcEndpoints": 1, "DescribeSubnets": 1, "Search": 1, "ListModels": 1, "DescribeModel": 3}
			if c := calls(e, mark); fmt.Sprint(c) != fmt.Sprint(want) {
				t.Errorf("calls: got %v; want %v", c, want)
			}
		})
	}
}

// searchModels answers Search with models as real SageMaker does; moto
// 5.2.1 does not implement Search for models, so the Search path of
// ModelSubnets is tested with this fake.
type searchModels struct {
	sagemakerstate.ScanAPI
	pages [][]smtypes.Model
	calls []string
}

func (s *searchModels) Search(_ context.Context, in *sagemaker.SearchInput, _ ...func(*sagemaker.Options)) (*sagemaker.SearchOutput, error) {
	s.calls = append(s.calls, "Search")
	i := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &i)
	}
	out := &sagemaker.SearchOutput{}
	for _, m := range s.pages[i] {
		out.Results = append(out.Results, smtypes.SearchRecord{Model: &smtypes.ModelDashboardModel{Model: &m}})
	}
	if i+1 < len(s.pages) {
		out.NextToken = aws.String(fmt.Sprint(i + 1))
	}
	return out, nil
}

// TestModelSubnetsSearch: with Search, subnets come 100 models a call, no
// describe, and the scan stops when the caller has what it needs.
func TestModelSubnetsSearch(t *testing.T) {
	model := func(name string, subnets ...string) smtypes.Model {
		m := smtypes.Model{ModelName: aws.String(name)}
		if subnets != nil {
			m.VpcConfig = &smtypes.VpcConfig{Subnets: subnets}
		}
		return m
	}
	fake := &searchModels{pages: [][]smtypes.Model{{model("a", "subnet-1"), model("b")}, {model("c", "subnet-2")}, {model("d")}}}
	var seen []string
	err := sagemakerstate.ModelSubnets{SageMaker: fake, MaxDescribes: 1}.Each(context.Background(), func(name string, subnets []string) bool {
		seen = append(seen, name+fmt.Sprint(subnets))
		return name != "c"
	})
	must(t, err)
	if want := []string{"a[subnet-1]", "b[]", "c[subnet-2]"}; !slices.Equal(seen, want) {
		t.Errorf("models: got %q; want %q", seen, want)
	}
	if !slices.Equal(fake.calls, []string{"Search", "Search"}) {
		t.Errorf("calls: got %v; want two Search pages, stopping at c", fake.calls)
	}
}
