package rules

import (
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
)

func TestVPCPrivatePathCompleteFromEvent(t *testing.T) {
	createEP := func(req, resp string) string {
		return record("ec2.amazonaws.com", "CreateVpcEndpoint", "us-east-1", req, resp)
	}
	tests := []struct {
		name    string
		event   string
		wantIDs []string
		wantARN string // of the first
	}{
		{"CreateModel names its first subnet", record("sagemaker.amazonaws.com", "CreateModel", "us-east-1",
			`{"modelName":"m","vpcConfig":{"subnets":["","subnet-1","subnet-2"]}}`, ""), []string{"subnet-1"}, ""},
		{"CreateModel without subnets: no VPC", record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m","vpcConfig":{}}`, ""), nil, ""},
		{"CreateModel without VpcConfig", record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m"}`, ""), nil, ""},
		{"notebook endpoint: its VPC", createEP(`{"CreateVpcEndpointRequest":{"VpcId":"vpc-1","ServiceName":"aws.sagemaker.us-east-1.notebook"}}`,
			`{"CreateVpcEndpointResponse":{"vpcEndpoint":{"vpcEndpointId":"vpce-1","vpcId":"vpc-1","serviceName":"aws.sagemaker.us-east-1.notebook"}}}`),
			[]string{"vpc-1"}, "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1"},
		{"s3 gateway: its VPC", createEP(`{"CreateVpcEndpointRequest":{"VpcId":"vpc-1","ServiceName":"com.amazonaws.us-east-1.s3","VpcEndpointType":"Gateway"}}`, ""),
			[]string{"vpc-1"}, "arn:aws:ec2:us-east-1:111122223333:vpc/vpc-1"},
		{"unwrapped request (PascalCase)", createEP(`{"VpcId":"vpc-2","ServiceName":"com.amazonaws.us-east-1.sagemaker.runtime"}`, ""), []string{"vpc-2"}, ""},
		{"an endpoint no SageMaker path uses", createEP(`{"CreateVpcEndpointRequest":{"VpcId":"vpc-1","ServiceName":"com.amazonaws.us-east-1.ssm"}}`, ""), nil, ""},
		{"no service name: judged anyway", createEP(`{"CreateVpcEndpointRequest":{"VpcId":"vpc-1"}}`, ""), []string{"vpc-1"}, ""},
		{"no VPC id: the endpoint names it", createEP("", `{"CreateVpcEndpointResponse":{"vpcEndpoint":{"vpcEndpointId":"vpce-9","serviceName":"com.amazonaws.us-east-1.sagemaker.api"}}}`),
			[]string{"vpce-9"}, ""},
		{"no ids at all", createEP(`{"CreateVpcEndpointRequest":{"ServiceName":"com.amazonaws.us-east-1.sagemaker.api"}}`, ""), nil, ""},
		{"DeleteVpcEndpoints: each endpoint", record("ec2.amazonaws.com", "DeleteVpcEndpoints", "us-east-1",
			`{"DeleteVpcEndpointsRequest":{"VpcEndpointId":[{"content":"vpce-1","tag":1},{"content":"vpce-2","tag":2}]}}`, ""), []string{"vpce-1", "vpce-2"}, ""},
		{"ModifyVpcEndpoint: none", record("ec2.amazonaws.com", "ModifyVpcEndpoint", "us-east-1", `{"ModifyVpcEndpointRequest":{"VpcEndpointId":"vpce-1"}}`, ""), nil, ""},
	}
	r := VPCPrivatePathComplete{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			states, ds := evaluate(t, r, parse(t, tt.event))
			var ids []string
			for i, s := range states {
				ids = append(ids, s.ID)
				if s.Kind != resource.VPC || s.VPC != nil {
					t.Errorf("state %d: got kind %s, config %+v; want a VPC whose state the event does not tell", i, s.Kind, s.VPC)
				}
				if ds[i].Status != finding.InsufficientData || !strings.Contains(ds[i].Reason, "evaluate online") {
					t.Errorf("decision %d: got %s %q; want INSUFFICIENT_DATA: offline, a VPC's endpoints and models are unknown", i, ds[i].Status, ds[i].Reason)
				}
			}
			if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") {
				t.Fatalf("ids: got %q; want %q", ids, tt.wantIDs)
			}
			if tt.wantARN != "" && states[0].ARN != tt.wantARN {
				t.Errorf("ARN: got %q; want %q", states[0].ARN, tt.wantARN)
			}
		})
	}
}

func TestVPCPrivatePathCompleteDecide(t *testing.T) {
	ref := resource.Ref{Kind: resource.VPC, ID: "vpc-1", Account: "1", Region: "us-east-1"}
	ep := func(id, service, typ, state string) resource.EndpointSummary {
		return resource.EndpointSummary{ID: id, ServiceName: service, Type: typ, State: state}
	}
	var (
		api      = ep("vpce-api", "com.amazonaws.us-east-1.sagemaker.api", "Interface", "available")
		runtime  = ep("vpce-rt", "com.amazonaws.us-east-1.sagemaker.runtime", "Interface", "available")
		notebook = ep("vpce-nb", "aws.sagemaker.us-east-1.notebook", "Interface", "available")
		studio   = ep("vpce-st", "aws.sagemaker.us-east-1.studio", "Interface", "pending")
		s3gw     = ep("vpce-s3", "com.amazonaws.us-east-1.s3", "Gateway", "available")
		s3if     = ep("vpce-s3i", "com.amazonaws.us-east-1.s3", "Interface", "available")
		ssm      = ep("vpce-ssm", "com.amazonaws.us-east-1.ssm", "Interface", "available")
	)
	vpc := func(models []string, read bool, eps ...resource.EndpointSummary) resource.State {
		return resource.State{Ref: ref, VPC: &resource.VPCConfig{Endpoints: eps, Models: models, ModelsRead: read}}
	}
	hosts := []string{"m1", "m2", "m3", "m4"}
	tests := []struct {
		name    string
		state   resource.State
		want    finding.Status
		reasons []string
	}{
		{"notebook without api", vpc(nil, true, notebook), finding.NonCompliant, []string{"lacks a sagemaker.api interface endpoint", "vpce-nb", "create the API endpoint first"}},
		{"studio (pending) without api", vpc(nil, true, studio, runtime, s3gw), finding.NonCompliant, []string{"sagemaker.api", "vpce-st"}},
		{"notebook with a deleted api", vpc(nil, true, notebook, ep("vpce-old", "com.amazonaws.us-east-1.sagemaker.api", "Interface", "deleted")),
			finding.NonCompliant, []string{"sagemaker.api"}},
		{"notebook with api (FIPS)", vpc(nil, true, notebook, ep("vpce-f", "com.amazonaws.us-gov-west-1.sagemaker.api-fips", "Interface", "available")),
			finding.Compliant, []string{"sagemaker.api, notebook"}},
		{"models without runtime or S3", vpc(hosts, true, api), finding.NonCompliant,
			[]string{"a sagemaker.runtime interface endpoint and an S3 endpoint", "m1, m2, m3 and 1 more"}},
		{"models without S3", vpc([]string{"m1"}, true, api, runtime), finding.NonCompliant, []string{"lacks an S3 endpoint (gateway or interface)", "(m1)"}},
		{"models with an S3 interface endpoint, no runtime", vpc([]string{"m1"}, true, s3if), finding.NonCompliant, []string{"lacks a sagemaker.runtime interface endpoint: it hosts models (m1)"}},
		{"everything missing", vpc([]string{"m1"}, true, notebook), finding.NonCompliant, []string{"sagemaker.api", "; and a sagemaker.runtime", "S3 endpoint"}},
		{"models with runtime and S3 gateway", vpc([]string{"m1"}, true, runtime, s3gw), finding.Compliant, []string{"(sagemaker.runtime, s3)"}},
		{"models not read: runtime and S3 make them irrelevant", vpc(nil, false, runtime, s3gw), finding.Compliant, []string{"sagemaker.runtime, s3"}},
		{"models unknown, and needed", resource.State{Ref: ref, VPC: &resource.VPCConfig{Endpoints: []resource.EndpointSummary{api}, ModelsNote: "gave up after 200 models"}},
			finding.InsufficientData, []string{"whether it hosts models is unknown", "gave up after 200 models"}},
		{"models unknown, api missing: still non-compliant", vpc(nil, false, notebook), finding.NonCompliant, []string{"sagemaker.api", "whether it hosts models"}},
		{"a runtime gateway does not count", vpc([]string{"m1"}, true, ep("x", "com.amazonaws.us-east-1.sagemaker.runtime", "Gateway", "available"), s3gw),
			finding.NonCompliant, []string{"sagemaker.runtime"}},
		{"no SageMaker: only ssm and S3", vpc(nil, true, ssm, s3gw), finding.NotApplicable, []string{"no SageMaker interface endpoint and hosts no model"}},
		{"nothing at all", vpc(nil, true), finding.NotApplicable, []string{"hosts no model"}},
		{"api only", vpc(nil, true, api), finding.Compliant, []string{"(sagemaker.api)"}},
		{"missing", resource.State{Ref: ref, Missing: true}, finding.NotApplicable, []string{"vpc-1 no longer exists"}},
		{"unknown", resource.State{Ref: ref}, finding.InsufficientData, []string{"other endpoints", "evaluate online"}},
		{"unknown, named by a subnet", resource.State{Ref: resource.Ref{Kind: resource.VPC, ID: "subnet-1"}}, finding.InsufficientData, []string{"which VPC subnet-1 is in"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := VPCPrivatePathComplete{}.Decide(tt.state)
			checkDecision(t, VPCPrivatePathComplete{}, tt.state, d)
			if d.Status != tt.want {
				t.Errorf("status: got %s; want %s (reason %q)", d.Status, tt.want, d.Reason)
			}
			for _, want := range tt.reasons {
				if !strings.Contains(d.Reason, want) {
					t.Errorf("reason: got %q; want it to contain %q", d.Reason, want)
				}
			}
		})
	}
}

func TestModelsMatter(t *testing.T) {
	ep := func(service, typ string) resource.EndpointSummary {
		return resource.EndpointSummary{ServiceName: service, Type: typ, State: "available"}
	}
	tests := []struct {
		name string
		eps  []resource.EndpointSummary
		want bool
	}{
		{"none", nil, true},
		{"runtime only", []resource.EndpointSummary{ep("com.amazonaws.us-east-1.sagemaker.runtime", "Interface")}, true},
		{"S3 only", []resource.EndpointSummary{ep("com.amazonaws.us-east-1.s3", "Gateway")}, true},
		{"runtime and S3", []resource.EndpointSummary{ep("com.amazonaws.us-east-1.sagemaker.runtime", "Interface"), ep("com.amazonaws.us-east-1.s3", "Gateway")}, false},
	}
	for _, tt := range tests {
		if got := ModelsMatter(resource.VPCConfig{Endpoints: tt.eps}); got != tt.want {
			t.Errorf("%s: ModelsMatter got %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestEndpointRole(t *testing.T) {
	for service, want := range map[string]string{
		"com.amazonaws.us-east-1.sagemaker.api":                  pathAPI,
		"cn.com.amazonaws.cn-north-1.sagemaker.api":              pathAPI,
		"com.amazonaws.us-east-1.sagemaker.api-fips":             pathAPI,
		"com.amazonaws.us-east-1.sagemaker.runtime":              pathRuntime,
		"com.amazonaws.us-east-1.sagemaker.runtime-fips":         pathRuntime,
		"aws.sagemaker.us-east-1.notebook":                       pathNotebook,
		"aws.sagemaker.us-east-1.studio":                         pathStudio,
		"com.amazonaws.us-east-1.s3":                             pathS3,
		"COM.AMAZONAWS.US-EAST-1.S3":                             pathS3,
		"com.amazonaws.us-east-1.sagemaker.featurestore-runtime": "",
		"com.amazonaws.us-east-1.ssm":                            "",
		"com.amazonaws.us-east-1.execute-api":                    "", // "api", but not SageMaker's
		"com.amazonaws.s3-global.accesspoint":                    "",
		"":                                                       "",
	} {
		if got := endpointRole(service); got != want {
			t.Errorf("endpointRole(%q): got %q; want %q", service, got, want)
		}
	}
}
