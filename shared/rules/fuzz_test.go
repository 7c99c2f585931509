package rules

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// fuzzRule fuzzes an event's JSON through Parse, FromEvent and Decide: no
// panic, and every decision has a valid status and a reason.
func fuzzRule(f *testing.F, r Rule, seeds ...string) {
	files, err := filepath.Glob("../../events/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		events, _ := cloudtrail.Parse(data)
		for i := range events {
			ev := &events[i]
			_ = Handles(r, ev)
			// FromEvent and Decide run whether or not the rule handles the
			// event: neither may trust what it is given.
			for _, s := range r.FromEvent(ev) {
				checkDecision(t, r, s, r.Decide(s))
			}
		}
	})
}

func FuzzModelInVPC(f *testing.F) {
	fuzzRule(f, ModelInVPC{},
		record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m","vpcConfig":{"subnets":{"item":[{"content":"s","tag":1}]}}}`, `{"modelArn":7}`),
		record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":1,"vpcConfig":"x"}`, ""),
		record("sagemaker.amazonaws.com", "DeleteModel", "us-east-1", `{"modelName":{"content":"m"}}`, ""),
	)
}

func FuzzNotebookNoDirectInternet(f *testing.F) {
	fuzzRule(f, NotebookNoDirectInternet{},
		record("sagemaker.amazonaws.com", "CreateNotebookInstance", "us-east-1", `{"notebookInstanceName":"nb","directInternetAccess":true,"subnetId":["s"]}`, ""),
		record("sagemaker.amazonaws.com", "StartNotebookInstance", "us-east-1", `{"notebookInstanceName":"nb"}`, ""),
		record("sagemaker.amazonaws.com", "DeleteNotebookInstance", "us-east-1", `{"notebookInstanceName":"nb"}`, ""),
	)
}

func FuzzEndpointPrivateDNS(f *testing.F) {
	fuzzRule(f, EndpointPrivateDNS{},
		createEndpoint("cn-north-1", "cn.com.amazonaws.cn-north-1.sagemaker.api", "Interface", `"false"`),
		createEndpoint("us-gov-west-1", "aws.sagemaker.us-gov-west-1.notebook", "", ""),
		record("ec2.amazonaws.com", "ModifyVpcEndpoint", "us-east-1", `{"ModifyVpcEndpointRequest":{"VpcEndpointId":{"item":"vpce-1"},"PrivateDnsEnabled":0}}`, ""),
		record("ec2.amazonaws.com", "DeleteVpcEndpoints", "us-east-1", `{"DeleteVpcEndpointsRequest":{"VpcEndpointId":[{"content":"vpce-1","tag":1},""]}}`, ""),
	)
}

func FuzzStudioDomainVPCOnly(f *testing.F) {
	fuzzRule(f, StudioDomainVPCOnly{},
		record("sagemaker.amazonaws.com", "CreateDomain", "us-east-1", `{"domainName":"s","appNetworkAccessType":["VpcOnly"],"subnetIds":"subnet-1"}`, `{"domainArn":"arn:aws:sagemaker:us-east-1:1:domain/"}`),
		record("sagemaker.amazonaws.com", "CreateDomain", "us-east-1", `{"domainName":{"x":1}}`, `{"domainId":7,"domainArn":":domain/:domain/"}`),
		record("sagemaker.amazonaws.com", "UpdateDomain", "us-east-1", `{"domainId":"d-1","appNetworkAccessType":true}`, ""),
		record("sagemaker.amazonaws.com", "DeleteDomain", "us-east-1", `{"domainId":{"content":"d-1"}}`, ""),
	)
}

func FuzzJobInVPC(f *testing.F) {
	fuzzRule(f, JobInVPC{},
		record("sagemaker.amazonaws.com", "CreateTrainingJob", "us-east-1", `{"trainingJobName":"t","vpcConfig":{"subnets":{"item":[1,null,"s"]}},"tags":"x"}`, `{"trainingJobArn":[]}`),
		record("sagemaker.amazonaws.com", "CreateHyperParameterTuningJob", "us-east-1", `{"hyperParameterTuningJobName":"h","trainingJobDefinitions":{"vpcConfig":7},"trainingJobDefinition":[]}`, ""),
		record("sagemaker.amazonaws.com", "CreateProcessingJob", "us-east-1", `{"processingJobName":"p","networkConfig":"none","tags":[{"key":"sagemaker:pipeline-execution-arn","value":{}}]}`, ""),
		record("sagemaker.amazonaws.com", "CreateAutoMLJob", "us-east-1", `{"autoMLJobName":"a","autoMLJobConfig":{"securityConfig":null}}`, ""),
		record("sagemaker.amazonaws.com", "CreateAutoMLJobV2", "us-east-1", `{"AutoMLJobName":"a","SecurityConfig":{"VpcConfig":{"Subnets":["s"]}}}`, ""),
	)
}

func FuzzPresignedURLViaEndpoint(f *testing.F) {
	// Configured with every kind of allowed source, so each branch of the
	// decision is reachable.
	allowed, _ := ParseSourceAllowList([]string{"vpce-0a1b2c3d4e5f60001", "vpc-0a1b2c3d", "10.20.0.0/16"})
	fuzzRule(f, PresignedURLViaEndpoint{Allowed: allowed},
		strings.TrimSuffix(record("sagemaker.amazonaws.com", "CreatePresignedDomainUrl", "us-east-1", `{"domainId":"d","userProfileName":"u"}`, ""), "}")+`,"sourceIPAddress":"::ffff:10.20.0.1","vpcEndpointId":7}`,
		strings.TrimSuffix(record("sagemaker.amazonaws.com", "CreatePresignedNotebookInstanceUrl", "us-east-1", `{"notebookInstanceName":"n"}`, ""), "}")+`,"sourceIPAddress":"256.1.1.1"}`,
		strings.TrimSuffix(record("sagemaker.amazonaws.com", "CreatePresignedDomainUrl", "us-east-1", `{"domainId":["d"],"userProfileName":{"u":1}}`, ""), "}")+`,"sourceIPAddress":"fe80::1%eth0"}`,
	)
}
func FuzzModelNetworkIsolation(f *testing.F) {
	fuzzRule(f, ModelNetworkIsolation{},
		record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m","enableNetworkIsolation":"yes"}`, ""),
		record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m","enableNetworkIsolation":[true]}`, `{"modelArn":null}`),
		record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m","enableNetworkIsolation":1}`, ""),
	)
}

func FuzzModelVPCMultiAZ(f *testing.F) {
	fuzzRule(f, ModelVPCMultiAZ{},
		record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m","vpcConfig":{"subnets":"subnet-1"}}`, ""),
		record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m","vpcConfig":{"subnets":[{"content":"subnet-1"},{"content":"subnet-1"},7]}}`, ""),
		record("sagemaker.amazonaws.com", "DeleteModel", "us-east-1", `{"modelName":["m"]}`, ""),
	)
}

func FuzzVPCPrivatePathComplete(f *testing.F) {
	fuzzRule(f, VPCPrivatePathComplete{},
		record("sagemaker.amazonaws.com", "CreateModel", "us-east-1", `{"modelName":"m","vpcConfig":{"subnets":{"item":["subnet-1"]}}}`, ""),
		record("ec2.amazonaws.com", "CreateVpcEndpoint", "us-east-1", `{"CreateVpcEndpointRequest":{"VpcId":["vpc-1"],"ServiceName":{"x":"s3"}}}`, `{"CreateVpcEndpointResponse":""}`),
		record("ec2.amazonaws.com", "CreateVpcEndpoint", "us-east-1", `{"CreateVpcEndpointRequest":{"ServiceName":"."}}`, `{"CreateVpcEndpointResponse":{"vpcEndpoint":{"vpcEndpointId":"vpce-1"}}}`),
		record("ec2.amazonaws.com", "DeleteVpcEndpoints", "us-east-1", `{"DeleteVpcEndpointsRequest":{"VpcEndpointId":{"item":[{"content":"vpce-1"},""]}}}`, ""),
	)
}

// FuzzVPCPrivatePathCompleteDecide decides on VPC states as a reader could
// build them (any endpoints, any models): never a panic, always a valid
// status and a reason.
func FuzzVPCPrivatePathCompleteDecide(f *testing.F) {
	f.Add([]byte(`{"Endpoints":[{"ID":"vpce-1","ServiceName":"aws.sagemaker.us-east-1.notebook","Type":"Interface","State":"available"}],"ModelsRead":true,"Models":["m"]}`))
	f.Add([]byte(`{"Endpoints":[{"ServiceName":"s3","Type":"","State":""},{"ServiceName":"..sagemaker..","State":"DELETED"}],"ModelsNote":"x"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var cfg resource.VPCConfig
		if json.Unmarshal(data, &cfg) != nil {
			return
		}
		r := VPCPrivatePathComplete{}
		for _, id := range []string{"vpc-1", "subnet-1", ""} {
			s := resource.State{Ref: resource.Ref{Kind: resource.VPC, ID: id}, VPC: &cfg}
			checkDecision(t, r, s, r.Decide(s))
		}
	})
}
