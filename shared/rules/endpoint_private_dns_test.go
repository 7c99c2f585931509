package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// createEndpoint is a CreateVpcEndpoint record in EC2's wrapped shape. dns is
// the JSON of PrivateDnsEnabled in both request and response, or "" to omit it.
func createEndpoint(region, service, typ, dns string) string {
	reqDNS, respDNS := "", ""
	if dns != "" {
		reqDNS = `,"PrivateDnsEnabled":` + dns
		respDNS = `,"privateDnsEnabled":` + dns
	}
	req := `{"CreateVpcEndpointRequest":{"VpcId":"vpc-1","ServiceName":"` + service + `","VpcEndpointType":"` + typ + `",` +
		`"SubnetId":[{"content":"subnet-1","tag":1},{"content":"subnet-2","tag":2}],"SecurityGroupId":{"content":"sg-1","tag":1}` + reqDNS + `}}`
	resp := `{"CreateVpcEndpointResponse":{"vpcEndpoint":{"vpcEndpointId":"vpce-1","vpcEndpointType":"` + typ + `","vpcId":"vpc-1",` +
		`"serviceName":"` + service + `","state":"pending"` + respDNS + `,"subnetIdSet":{"item":"subnet-1"},"tagSet":"","dnsEntrySet":""}}}`
	return record("ec2.amazonaws.com", "CreateVpcEndpoint", region, req, resp)
}

func TestEndpointSageMakerServicesInEveryPartition(t *testing.T) {
	partitions := []struct {
		region, prefix, partition string
	}{
		{"us-east-1", "com.amazonaws.", "aws"},
		{"eu-central-1", "com.amazonaws.", "aws"},
		{"cn-north-1", "cn.com.amazonaws.", "aws-cn"},
		{"us-gov-west-1", "com.amazonaws.", "aws-us-gov"},
	}
	for _, p := range partitions {
		services := []string{
			p.prefix + p.region + ".sagemaker.api",
			p.prefix + p.region + ".sagemaker.runtime",
			p.prefix + p.region + ".sagemaker.runtime-fips",
			p.prefix + p.region + ".sagemaker.featurestore-runtime",
			p.prefix + p.region + ".sagemaker.metrics",
			"aws.sagemaker." + p.region + ".notebook",
			"aws.sagemaker." + p.region + ".studio",
			p.prefix + p.region + ".sagemaker-data-science-assistant",
		}
		for _, svc := range services {
			tests := []struct {
				dns  string
				want finding.Status
			}{
				{"false", finding.NonCompliant},
				{`"false"`, finding.NonCompliant},
				{"0", finding.NonCompliant},
				{"true", finding.Compliant},
				{"", finding.Compliant}, // omitted: the API default is on
			}
			for _, tt := range tests {
				t.Run(fmt.Sprintf("%s/%s/dns=%s", p.region, svc, tt.dns), func(t *testing.T) {
					if !IsSageMakerService(svc) {
						t.Errorf("IsSageMakerService(%q): got false; want true", svc)
					}
					r := EndpointPrivateDNS{}
					states, ds := evaluate(t, r, parse(t, createEndpoint(p.region, svc, "Interface", tt.dns)))
					if len(states) != 1 {
						t.Fatalf("FromEvent: got %d states; want 1", len(states))
					}
					s := states[0]
					wantARN := "arn:" + p.partition + ":ec2:" + p.region + ":111122223333:vpc-endpoint/vpce-1"
					if s.ID != "vpce-1" || s.Kind != resource.VPCEndpoint || s.ARN != wantARN {
						t.Errorf("state: got id %q kind %q ARN %q; want vpce-1 %s %s", s.ID, s.Kind, s.ARN, resource.VPCEndpoint, wantARN)
					}
					if ds[0].Status != tt.want {
						t.Errorf("status: got %s; want %s (reason %q)", ds[0].Status, tt.want, ds[0].Reason)
					}
					if !strings.Contains(ds[0].Reason, "vpce-1") || !strings.Contains(ds[0].Reason, svc) {
						t.Errorf("reason: got %q; want it to name vpce-1 and %s", ds[0].Reason, svc)
					}
					if tt.want == finding.NonCompliant && !strings.Contains(ds[0].Reason, "turn private DNS on") {
						t.Errorf("reason: got %q; want it to say to turn private DNS on", ds[0].Reason)
					}
				})
			}
		}
	}
}

func TestEndpointNotApplicable(t *testing.T) {
	tests := []struct {
		name  string
		event string
	}{
		{"S3 gateway", createEndpoint("us-east-1", "com.amazonaws.us-east-1.s3", "Gateway", "false")},
		{"DynamoDB gateway", createEndpoint("us-east-1", "com.amazonaws.us-east-1.dynamodb", "Gateway", "")},
		{"SageMaker name as a gateway", createEndpoint("us-east-1", "com.amazonaws.us-east-1.sagemaker.api", "Gateway", "false")},
		{"SageMaker name as a gateway load balancer", createEndpoint("us-east-1", "com.amazonaws.us-east-1.sagemaker.api", "GatewayLoadBalancer", "false")},
		{"S3 interface with private DNS off", createEndpoint("us-east-1", "com.amazonaws.us-east-1.s3", "Interface", "false")},
		{"SSM interface with private DNS off", createEndpoint("us-east-1", "com.amazonaws.us-east-1.ssm", "Interface", "false")},
		{"execute-api interface with private DNS off", createEndpoint("us-east-1", "com.amazonaws.us-east-1.execute-api", "Interface", "false")},
		{"China SSM interface", createEndpoint("cn-north-1", "cn.com.amazonaws.cn-north-1.ssm", "Interface", "false")},
		{"PrivateLink service", createEndpoint("us-east-1", "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0", "Interface", "false")},
		{"a label that merely contains sagemaker", createEndpoint("us-east-1", "com.amazonaws.us-east-1.notsagemaker", "Interface", "false")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := evaluate(t, EndpointPrivateDNS{}, parse(t, tt.event))
			if len(ds) != 1 {
				t.Fatalf("got %d decisions; want 1", len(ds))
			}
			if ds[0].Status != finding.NotApplicable {
				t.Errorf("status: got %s; want NOT_APPLICABLE (reason %q)", ds[0].Status, ds[0].Reason)
			}
		})
	}
}

func TestEndpointFromEventShapes(t *testing.T) {
	ec2 := "ec2.amazonaws.com"
	tests := []struct {
		name     string
		event    string
		wantIDs  []string
		want     finding.Status
		inReason string
	}{
		{"ModifyVpcEndpoint offline cannot tell the service",
			record(ec2, "ModifyVpcEndpoint", "us-east-1", `{"ModifyVpcEndpointRequest":{"VpcEndpointId":"vpce-9","PrivateDnsEnabled":false}}`, `{"ModifyVpcEndpointResponse":{"return":true}}`),
			[]string{"vpce-9"}, finding.InsufficientData, "which service"},
		{"ModifyVpcEndpoint unwrapped",
			record(ec2, "ModifyVpcEndpoint", "us-east-1", `{"vpcEndpointId":"vpce-9","privateDnsEnabled":true}`, ""),
			[]string{"vpce-9"}, finding.InsufficientData, "evaluate online"},
		{"ModifyVpcEndpoint without an id", record(ec2, "ModifyVpcEndpoint", "us-east-1", `{"ModifyVpcEndpointRequest":{}}`, ""), nil, "", ""},
		{"DeleteVpcEndpoints one wrapped id",
			record(ec2, "DeleteVpcEndpoints", "us-east-1", `{"DeleteVpcEndpointsRequest":{"VpcEndpointId":{"content":"vpce-1","tag":1}}}`, `{"DeleteVpcEndpointsResponse":{"unsuccessful":""}}`),
			[]string{"vpce-1"}, finding.NotApplicable, "no longer exists"},
		{"DeleteVpcEndpoints several ids",
			record(ec2, "DeleteVpcEndpoints", "us-east-1", `{"DeleteVpcEndpointsRequest":{"VpcEndpointId":[{"content":"vpce-1","tag":1},{"content":"vpce-2","tag":2},{"content":"vpce-3","tag":3}]}}`, ""),
			[]string{"vpce-1", "vpce-2", "vpce-3"}, finding.NotApplicable, "no longer exists"},
		{"DeleteVpcEndpoints plain list",
			record(ec2, "DeleteVpcEndpoints", "us-east-1", `{"vpcEndpointId":["vpce-1","vpce-2"]}`, ""),
			[]string{"vpce-1", "vpce-2"}, finding.NotApplicable, "no longer exists"},
		{"DeleteVpcEndpoints empty set", record(ec2, "DeleteVpcEndpoints", "us-east-1", `{"DeleteVpcEndpointsRequest":{"VpcEndpointId":""}}`, ""), nil, "", ""},
		{"CreateVpcEndpoint without a response id",
			record(ec2, "CreateVpcEndpoint", "us-east-1", `{"CreateVpcEndpointRequest":{"ServiceName":"com.amazonaws.us-east-1.sagemaker.api","VpcEndpointType":"Interface","PrivateDnsEnabled":false}}`, ""),
			nil, "", ""},
		{"CreateVpcEndpoint with only the request's settings",
			record(ec2, "CreateVpcEndpoint", "us-east-1",
				`{"CreateVpcEndpointRequest":{"ServiceName":"com.amazonaws.us-east-1.sagemaker.api","VpcEndpointType":"Interface","PrivateDnsEnabled":"false"}}`,
				`{"CreateVpcEndpointResponse":{"vpcEndpoint":{"vpcEndpointId":"vpce-5"}}}`),
			[]string{"vpce-5"}, finding.NonCompliant, "private DNS off"},
		{"CreateVpcEndpoint: the response wins over the request",
			record(ec2, "CreateVpcEndpoint", "us-east-1",
				`{"CreateVpcEndpointRequest":{"ServiceName":"com.amazonaws.us-east-1.sagemaker.api","VpcEndpointType":"Interface","PrivateDnsEnabled":false}}`,
				`{"CreateVpcEndpointResponse":{"vpcEndpoint":{"vpcEndpointId":"vpce-5","privateDnsEnabled":true}}}`),
			[]string{"vpce-5"}, finding.Compliant, "private DNS on"},
		{"CreateVpcEndpoint with no type is a gateway (the API default)",
			record(ec2, "CreateVpcEndpoint", "us-east-1",
				`{"CreateVpcEndpointRequest":{"ServiceName":"com.amazonaws.us-east-1.sagemaker.api"}}`,
				`{"CreateVpcEndpointResponse":{"vpcEndpoint":{"vpcEndpointId":"vpce-6"}}}`),
			[]string{"vpce-6"}, finding.NotApplicable, "Gateway endpoint"},
		{"CreateVpcEndpoint unwrapped (older shape)",
			record(ec2, "CreateVpcEndpoint", "us-east-1",
				`{"serviceName":"com.amazonaws.us-east-1.sagemaker.runtime","vpcEndpointType":"Interface","privateDnsEnabled":false}`,
				`{"vpcEndpoint":{"vpcEndpointId":"vpce-7"}}`),
			[]string{"vpce-7"}, finding.NonCompliant, "sagemaker.runtime"},
		{"CreateVpcEndpoint being deleted",
			record(ec2, "CreateVpcEndpoint", "us-east-1",
				`{"CreateVpcEndpointRequest":{"ServiceName":"com.amazonaws.us-east-1.sagemaker.api","VpcEndpointType":"Interface","PrivateDnsEnabled":false}}`,
				`{"CreateVpcEndpointResponse":{"vpcEndpoint":{"vpcEndpointId":"vpce-8","state":"Deleting"}}}`),
			[]string{"vpce-8"}, finding.NotApplicable, "being deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			states, ds := evaluate(t, EndpointPrivateDNS{}, parse(t, tt.event))
			if len(states) != len(tt.wantIDs) {
				t.Fatalf("FromEvent: got %d states; want %d (%q)", len(states), len(tt.wantIDs), tt.wantIDs)
			}
			for i, s := range states {
				if s.ID != tt.wantIDs[i] {
					t.Errorf("state %d: got id %q; want %q", i, s.ID, tt.wantIDs[i])
				}
				if want := "arn:aws:ec2:us-east-1:111122223333:vpc-endpoint/" + tt.wantIDs[i]; s.ARN != want {
					t.Errorf("state %d: got ARN %q; want %q", i, s.ARN, want)
				}
				if ds[i].Status != tt.want {
					t.Errorf("state %d: got status %s; want %s (reason %q)", i, ds[i].Status, tt.want, ds[i].Reason)
				}
				if !strings.Contains(ds[i].Reason, tt.inReason) {
					t.Errorf("state %d: got reason %q; want it to contain %q", i, ds[i].Reason, tt.inReason)
				}
			}
		})
	}
}

func TestEndpointDecideOnlineStates(t *testing.T) {
	ref := resource.Ref{Kind: resource.VPCEndpoint, ID: "vpce-1"}
	off, on := false, true
	ep := func(svc, typ, state string, dns *bool) resource.State {
		return resource.State{Ref: ref, Endpoint: &resource.EndpointConfig{ServiceName: svc, Type: typ, State: state, PrivateDNS: dns}}
	}
	api := "com.amazonaws.us-east-1.sagemaker.api"
	tests := []struct {
		name  string
		state resource.State
		want  finding.Status
	}{
		{"available, private DNS off", ep(api, "Interface", "available", &off), finding.NonCompliant},
		{"available, private DNS on", ep(api, "Interface", "available", &on), finding.Compliant},
		{"type in lower case", ep(api, "interface", "available", &off), finding.NonCompliant},
		{"deleting", ep(api, "Interface", "deleting", &off), finding.NotApplicable},
		{"deleted", ep(api, "Interface", "Deleted", &off), finding.NotApplicable},
		{"unknown type", ep(api, "", "available", &off), finding.InsufficientData},
		{"unknown service", ep("", "Interface", "available", &off), finding.InsufficientData},
		{"gateway, unknown service", ep("", "Gateway", "available", &off), finding.NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := EndpointPrivateDNS{}.Decide(tt.state)
			checkDecision(t, EndpointPrivateDNS{}, tt.state, d)
			if d.Status != tt.want {
				t.Errorf("status: got %s; want %s (reason %q)", d.Status, tt.want, d.Reason)
			}
		})
	}
}

func TestIsSageMakerService(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"com.amazonaws.us-east-1.sagemaker.api", true},
		{"COM.AMAZONAWS.US-EAST-1.SAGEMAKER.API", true},
		{"aws.sagemaker.us-west-2.notebook", true},
		{"aws.sagemaker.us-west-2.studio", true},
		{"cn.com.amazonaws.cn-northwest-1.sagemaker.runtime", true},
		{"com.amazonaws.us-gov-east-1.sagemaker.runtime-fips", true},
		{"com.amazonaws.us-east-1.sagemaker-geospatial", true},
		{"com.amazonaws.us-east-1.s3", false},
		{"com.amazonaws.us-east-1.ssm", false},
		{"com.amazonaws.us-east-1.execute-api", false},
		{"com.amazonaws.us-east-1.sagemakerx", false},
		{"com.amazonaws.us-east-1.notsagemaker", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsSageMakerService(tt.name); got != tt.want {
			t.Errorf("IsSageMakerService(%q): got %v; want %v", tt.name, got, tt.want)
		}
	}
}
