package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	acct      = "123456789012"
	region    = "us-east-1"
	modelRule = "sagemaker-model-in-vpc"
	nbRule    = "sagemaker-notebook-no-direct-internet-access"
	epRule    = "sagemaker-vpc-endpoint-private-dns"
	isoRule   = "sagemaker-model-network-isolation"
	azRule    = "sagemaker-model-vpc-multi-az"
	pathRule  = "sagemaker-vpc-private-path-complete"
	vpcType   = "AWS::EC2::VPC"
	modelType = "AWS::SageMaker::Model"
	nbType    = "AWS::SageMaker::NotebookInstance"
	epType    = "AWS::EC2::VPCEndpoint"
	mlRole    = "arn:aws:iam::123456789012:role/MLEngineer"
	dsRole    = "arn:aws:iam::123456789012:role/DataScientist"
	netRole   = "arn:aws:iam::123456789012:role/NetworkAdmin"
	bob       = "arn:aws:iam::123456789012:user/bob"
	carol     = "arn:aws:iam::123456789012:user/carol"

	domainRule = "sagemaker-studio-domain-vpc-only"
	jobRule    = "sagemaker-job-in-vpc"
	urlRule    = "sagemaker-presigned-url-via-vpc-endpoint"
	domainType = "AWS::SageMaker::Domain"
	jobType    = "vpcguard::SageMaker::Job"
	urlType    = "vpcguard::SageMaker::PresignedUrl"
	adminRole  = "arn:aws:iam::123456789012:role/PlatformAdmin"
	execRole   = "arn:aws:iam::123456789012:role/SageMakerExecution"
	ssoRole    = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataScience_0123456789abcdef"
)

// jsonFinding is the contract scripts rely on.
type jsonFinding struct {
	Rule         string `json:"rule"`
	ResourceType string `json:"resourceType"`
	ResourceID   string `json:"resourceId"`
	Status       string `json:"status"`
	Reason       string `json:"reason"`
	EventID      string `json:"eventId"`
	EventName    string `json:"eventName"`
	Principal    string `json:"principal"`
	Account      string `json:"account"`
	Region       string `json:"region"`
}

func modelARN(name string) string { return "arn:aws:sagemaker:us-east-1:123456789012:model/" + name }
func nbARN(name string) string {
	return "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/" + name
}
func epARN(id string) string  { return "arn:aws:ec2:us-east-1:123456789012:vpc-endpoint/" + id }
func vpcARN(id string) string { return "arn:aws:ec2:us-east-1:123456789012:vpc/" + id }

// The sample events' VPCs: offline, a VPC named only through a subnet or an
// endpoint keeps that id (the online reader resolves it).
const (
	platformVPC = "vpc-0123456789abcdef0"
	sandboxVPC  = "vpc-0fedcba9876543210"
)

// expected lists, per sample file, the findings `evaluate --offline` prints.
var expected = map[string][]jsonFinding{
	"cloudtrail-log-file.json": {
		{isoRule, modelType, modelARN("churn-xgb-public"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-00000001991a", "CreateModel", mlRole, acct, region},
		{modelRule, modelType, modelARN("churn-xgb-public"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-00000001991a", "CreateModel", mlRole, acct, region},
		{azRule, modelType, modelARN("churn-xgb-public"), "NOT_APPLICABLE", "", "00000000-0000-0000-0000-00000001991a", "CreateModel", mlRole, acct, region},
		{nbRule, nbType, nbARN("research-private"), "COMPLIANT", "", "00000000-0000-0000-0000-0000000cc8c9", "CreateNotebookInstance", dsRole, acct, region},
		{epRule, epType, epARN("vpce-0a1b2c3d4e5f60004"), "NOT_APPLICABLE", "", "00000000-0000-0000-0000-00000014c646", "CreateVpcEndpoint", netRole, acct, region},
		{pathRule, vpcType, vpcARN(platformVPC), "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-00000014c646", "CreateVpcEndpoint", netRole, acct, region},
	},
	"endpoint-create-api-private-dns-off.json": {
		{epRule, epType, epARN("vpce-0a1b2c3d4e5f60001"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-0000000ffafb", "CreateVpcEndpoint", netRole, acct, region},
		{pathRule, vpcType, vpcARN(platformVPC), "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-0000000ffafb", "CreateVpcEndpoint", netRole, acct, region},
	},
	"endpoint-create-notebook-private-dns-off.json": {
		{epRule, epType, epARN("vpce-0a1b2c3d4e5f60003"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-000000132d2d", "CreateVpcEndpoint", bob, acct, region},
		{pathRule, vpcType, vpcARN(platformVPC), "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-000000132d2d", "CreateVpcEndpoint", bob, acct, region},
	},
	"endpoint-create-runtime-private-dns-default.json": {
		{epRule, epType, epARN("vpce-0a1b2c3d4e5f60002"), "COMPLIANT", "", "00000000-0000-0000-0000-000000119414", "CreateVpcEndpoint", netRole, acct, region},
		{pathRule, vpcType, vpcARN(platformVPC), "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-000000119414", "CreateVpcEndpoint", netRole, acct, region},
	},
	"endpoint-create-s3-gateway.json": {
		{epRule, epType, epARN("vpce-0a1b2c3d4e5f60004"), "NOT_APPLICABLE", "", "00000000-0000-0000-0000-00000014c646", "CreateVpcEndpoint", netRole, acct, region},
		{pathRule, vpcType, vpcARN(platformVPC), "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-00000014c646", "CreateVpcEndpoint", netRole, acct, region},
	},
	"endpoint-create-ssm-private-dns-off.json": {
		{epRule, epType, epARN("vpce-0a1b2c3d4e5f60005"), "NOT_APPLICABLE", "", "00000000-0000-0000-0000-000000165f5f", "CreateVpcEndpoint", netRole, acct, region},
	},
	"endpoint-delete.json": {
		{epRule, epType, epARN("vpce-0a1b2c3d4e5f60001"), "NOT_APPLICABLE", "", "00000000-0000-0000-0000-000000199191", "DeleteVpcEndpoints", netRole, acct, region},
		{pathRule, vpcType, "vpce-0a1b2c3d4e5f60001", "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-000000199191", "DeleteVpcEndpoints", netRole, acct, region},
	},
	"endpoint-modify-private-dns-off.json": {
		{epRule, epType, epARN("vpce-0a1b2c3d4e5f60002"), "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-00000017f878", "ModifyVpcEndpoint", netRole, acct, region},
	},
	"model-create-denied.json": nil, // a failed call: nothing to judge
	"model-create-empty-subnets.json": {
		{isoRule, modelType, modelARN("fraud-empty-subnets"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-00000004cb4c", "CreateModel", carol, acct, region},
		{modelRule, modelType, modelARN("fraud-empty-subnets"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-00000004cb4c", "CreateModel", carol, acct, region},
		{azRule, modelType, modelARN("fraud-empty-subnets"), "NOT_APPLICABLE", "", "00000000-0000-0000-0000-00000004cb4c", "CreateModel", carol, acct, region},
	},
	"model-create-in-vpc.json": {
		{isoRule, modelType, modelARN("churn-xgb-private"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-000000033233", "CreateModel", mlRole, acct, region},
		{modelRule, modelType, modelARN("churn-xgb-private"), "COMPLIANT", "", "00000000-0000-0000-0000-000000033233", "CreateModel", mlRole, acct, region},
		{azRule, modelType, modelARN("churn-xgb-private"), "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-000000033233", "CreateModel", mlRole, acct, region},
		{pathRule, vpcType, "subnet-0aaa1111bbbb2222c", "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-000000033233", "CreateModel", mlRole, acct, region},
	},
	"model-create-no-vpc.json": {
		{isoRule, modelType, modelARN("churn-xgb-public"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-00000001991a", "CreateModel", mlRole, acct, region},
		{modelRule, modelType, modelARN("churn-xgb-public"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-00000001991a", "CreateModel", mlRole, acct, region},
		{azRule, modelType, modelARN("churn-xgb-public"), "NOT_APPLICABLE", "", "00000000-0000-0000-0000-00000001991a", "CreateModel", mlRole, acct, region},
	},
	"model-delete.json": {
		// DeleteModel returns no ARN: the id is the model's name.
		{isoRule, modelType, "churn-xgb-public", "NOT_APPLICABLE", "", "00000000-0000-0000-0000-00000007fd7e", "DeleteModel", mlRole, acct, region},
		{modelRule, modelType, "churn-xgb-public", "NOT_APPLICABLE", "", "00000000-0000-0000-0000-00000007fd7e", "DeleteModel", mlRole, acct, region},
		{azRule, modelType, "churn-xgb-public", "NOT_APPLICABLE", "", "00000000-0000-0000-0000-00000007fd7e", "DeleteModel", mlRole, acct, region},
	},
	"endpoint-create-notebook-no-api.json": {
		{epRule, epType, epARN("vpce-0a1b2c3d4e5f60006"), "COMPLIANT", "", "00000000-0000-0000-0000-0000001b3c04", "CreateVpcEndpoint", bob, acct, region},
		{pathRule, vpcType, vpcARN(sandboxVPC), "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-0000001b3c04", "CreateVpcEndpoint", bob, acct, region},
	},
	"model-create-network-isolation.json": {
		{isoRule, modelType, modelARN("fraud-isolated"), "COMPLIANT", "", "00000000-0000-0000-0000-0000001b3c01", "CreateModel", mlRole, acct, region},
		{modelRule, modelType, modelARN("fraud-isolated"), "COMPLIANT", "", "00000000-0000-0000-0000-0000001b3c01", "CreateModel", mlRole, acct, region},
		{azRule, modelType, modelARN("fraud-isolated"), "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-0000001b3c01", "CreateModel", mlRole, acct, region},
		{pathRule, vpcType, "subnet-0aaa1111bbbb2222c", "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-0000001b3c01", "CreateModel", mlRole, acct, region},
	},
	"model-create-one-az.json": {
		{isoRule, modelType, modelARN("forecast-one-az"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-0000001b3c03", "CreateModel", mlRole, acct, region},
		{modelRule, modelType, modelARN("forecast-one-az"), "COMPLIANT", "", "00000000-0000-0000-0000-0000001b3c03", "CreateModel", mlRole, acct, region},
		{azRule, modelType, modelARN("forecast-one-az"), "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-0000001b3c03", "CreateModel", mlRole, acct, region},
		{pathRule, vpcType, "subnet-0aaa1111bbbb2222c", "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-0000001b3c03", "CreateModel", mlRole, acct, region},
	},
	"model-create-one-subnet.json": {
		{isoRule, modelType, modelARN("sandbox-scoring"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-0000001b3c02", "CreateModel", dsRole, acct, region},
		{modelRule, modelType, modelARN("sandbox-scoring"), "COMPLIANT", "", "00000000-0000-0000-0000-0000001b3c02", "CreateModel", dsRole, acct, region},
		{azRule, modelType, modelARN("sandbox-scoring"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-0000001b3c02", "CreateModel", dsRole, acct, region},
		{pathRule, vpcType, "subnet-0fff7777aaaa8888e", "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-0000001b3c02", "CreateModel", dsRole, acct, region},
	},
	"notebook-create-internet-enabled.json": {
		{nbRule, nbType, nbARN("research-open"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-000000099697", "CreateNotebookInstance", dsRole, acct, region},
	},
	"notebook-create-internet-omitted.json": {
		{nbRule, nbType, nbARN("quickstart-default"), "NON_COMPLIANT", "", "00000000-0000-0000-0000-0000000b2fb0", "CreateNotebookInstance", bob, acct, region},
	},
	"notebook-create-private.json": {
		{nbRule, nbType, nbARN("research-private"), "COMPLIANT", "", "00000000-0000-0000-0000-0000000cc8c9", "CreateNotebookInstance", dsRole, acct, region},
	},
	"notebook-start.json": {
		{nbRule, nbType, "research-open", "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-0000000e61e2", "StartNotebookInstance", dsRole, acct, region},
	},
	// A job SageMaker started for a tuning job has SageMaker itself as the
	// caller; a pipeline step, a session of the execution role.
	"domain-create-network-omitted.json": {
		{domainRule, domainType, "arn:aws:sagemaker:us-east-1:123456789012:domain/d-7wq2m5ks0bxa", "NON_COMPLIANT", "", "00000000-0000-0000-0000-59c8b08ea9df", "CreateDomain", carol, acct, region},
	},
	"domain-create-public.json": {
		{domainRule, domainType, "arn:aws:sagemaker:us-east-1:123456789012:domain/d-4hzp1c9r6tye", "NON_COMPLIANT", "", "00000000-0000-0000-0000-afba22b1e3ac", "CreateDomain", adminRole, acct, region},
	},
	"domain-create-vpc-only.json": {
		{domainRule, domainType, "arn:aws:sagemaker:us-east-1:123456789012:domain/d-8n3kq7x2v5wm", "COMPLIANT", "", "00000000-0000-0000-0000-94c59f0fe297", "CreateDomain", adminRole, acct, region},
	},
	"domain-update-public.json": {
		{domainRule, domainType, "arn:aws:sagemaker:us-east-1:123456789012:domain/d-1x7v3n9q2pkr", "NON_COMPLIANT", "", "00000000-0000-0000-0000-8709e99a2140", "UpdateDomain", adminRole, acct, region},
	},
	"domain-update-settings.json": {
		{domainRule, domainType, "arn:aws:sagemaker:us-east-1:123456789012:domain/d-8n3kq7x2v5wm", "INSUFFICIENT_DATA", "", "00000000-0000-0000-0000-e056b65091d9", "UpdateDomain", adminRole, acct, region},
	},
	"job-automl-in-vpc.json": {
		{jobRule, jobType, "arn:aws:sagemaker:us-east-1:123456789012:automl-job/fraud-autopilot", "COMPLIANT", "", "00000000-0000-0000-0000-e7f120e48ce7", "CreateAutoMLJob", dsRole, acct, region},
	},
	"job-automl-v2-no-vpc.json": {
		{jobRule, jobType, "arn:aws:sagemaker:us-east-1:123456789012:automl-job/churn-autopilot", "NON_COMPLIANT", "", "00000000-0000-0000-0000-afc3de59e74c", "CreateAutoMLJobV2", bob, acct, region},
	},
	"job-processing-pipeline-step.json": {
		{jobRule, jobType, "arn:aws:sagemaker:us-east-1:123456789012:processing-job/pipelines-x7k2m9-preprocess-4d1e8b", "NON_COMPLIANT", "", "00000000-0000-0000-0000-03ac025edb4a", "CreateProcessingJob", execRole, acct, region},
	},
	"job-training-in-vpc.json": {
		{jobRule, jobType, "arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-train-private", "COMPLIANT", "", "00000000-0000-0000-0000-f2f2edbd3d93", "CreateTrainingJob", mlRole, acct, region},
	},
	"job-training-no-vpc.json": {
		{jobRule, jobType, "arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-train-public", "NON_COMPLIANT", "", "00000000-0000-0000-0000-0da7ecdaade2", "CreateTrainingJob", mlRole, acct, region},
	},
	"job-training-tuning-child.json": {
		{jobRule, jobType, "arn:aws:sagemaker:us-east-1:123456789012:training-job/churn-hpo-001-6f3c2a1b", "NON_COMPLIANT", "", "00000000-0000-0000-0000-aa88f2f9b969", "CreateTrainingJob", "sagemaker.amazonaws.com", acct, region},
	},
	"job-tuning-definition-without-vpc.json": {
		{jobRule, jobType, "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/churn-hpo", "NON_COMPLIANT", "", "00000000-0000-0000-0000-214f08889842", "CreateHyperParameterTuningJob", mlRole, acct, region},
	},
	"presigned-domain-url-public-ip.json": {
		{urlRule, urlType, "arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-4hzp1c9r6tye/dave", "NON_COMPLIANT", "", "00000000-0000-0000-0000-5a39dadb2cbe", "CreatePresignedDomainUrl", dsRole, acct, region},
	},
	"presigned-domain-url-sso-role.json": {
		{urlRule, urlType, "arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-4hzp1c9r6tye/grace", "NON_COMPLIANT", "", "00000000-0000-0000-0000-39d71df150f6", "CreatePresignedDomainUrl", ssoRole, acct, region},
	},
	"presigned-domain-url-via-endpoint.json": {
		{urlRule, urlType, "arn:aws:sagemaker:us-east-1:123456789012:user-profile/d-8n3kq7x2v5wm/alice", "COMPLIANT", "", "00000000-0000-0000-0000-0fc31458219e", "CreatePresignedDomainUrl", mlRole, acct, region},
	},
	"presigned-notebook-url-private-ip.json": {
		{urlRule, urlType, "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/research-private", "COMPLIANT", "", "00000000-0000-0000-0000-b69851aafe92", "CreatePresignedNotebookInstanceUrl", dsRole, acct, region},
	},
	"presigned-notebook-url-public-ip.json": {
		{urlRule, urlType, "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/research-open", "NON_COMPLIANT", "", "00000000-0000-0000-0000-81866e004d6b", "CreatePresignedNotebookInstanceUrl", carol, acct, region},
	},
}

func evaluateCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), append([]string{"evaluate"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func decodeFindings(t *testing.T, stdout string) []jsonFinding {
	t.Helper()
	var raw []map[string]any
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("stdout is not one JSON array: %v\n%s", err, stdout)
	}
	for i, f := range raw {
		for _, key := range []string{"rule", "resourceType", "resourceId", "status", "reason", "eventId", "eventName", "principal", "account", "region"} {
			if v, ok := f[key].(string); !ok || v == "" {
				t.Errorf("finding %d: field %q is %v; want a non-empty string", i, key, f[key])
			}
		}
	}
	var fs []jsonFinding
	if err := json.Unmarshal([]byte(stdout), &fs); err != nil {
		t.Fatal(err)
	}
	return fs
}

// checkFindings compares findings with the expectation, reasons aside
// (non-empty is enough here; the rules' tests read them).
func checkFindings(t *testing.T, got, want []jsonFinding) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("findings: got %d; want %d\ngot  %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Reason == "" {
			t.Errorf("finding %d: empty reason", i)
		}
		g.Reason = ""
		if g != w {
			t.Errorf("finding %d:\ngot  %+v\nwant %+v", i, g, w)
		}
	}
}

func TestEvaluateEachSampleOffline(t *testing.T) {
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("glob ../../events/*.json: got %d files, %v", len(files), err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			want, ok := expected[name]
			if !ok {
				t.Fatalf("no expectation for %s: add one to this test", name)
			}
			code, stdout, stderr := evaluateCLI(t, "", "--offline", "--format", "json", file)
			if code != exitOK {
				t.Fatalf("exit: got %d; want 0\nstderr: %s", code, stderr)
			}
			checkFindings(t, decodeFindings(t, stdout), want)
		})
	}
}

func TestEvaluateAllSamplesAtOnce(t *testing.T) {
	files, _ := filepath.Glob("../../events/*.json") // sorted, as the shell would
	code, stdout, stderr := evaluateCLI(t, "", append([]string{"--offline", "--format", "json"}, files...)...)
	if code != exitOK {
		t.Fatalf("exit: got %d; want 0\nstderr: %s", code, stderr)
	}
	var want []jsonFinding
	for _, f := range files {
		want = append(want, expected[filepath.Base(f)]...)
	}
	checkFindings(t, decodeFindings(t, stdout), want)
	if strings.TrimSpace(stdout)[0] != '[' || strings.Count(stdout, "\n[") > 0 {
		t.Errorf("stdout: want exactly one JSON array")
	}
}

func TestEvaluateBadFileAmongGoodOnes(t *testing.T) {
	dir := t.TempDir()
	bad := map[string]struct {
		content string
		problem string
	}{
		"truncated.json":    {`{"detail-type":"AWS API Call via CloudTrail","detail":{"eventName":`, "invalid JSON"},
		"not-an-event.json": {`{"hello":"world"}`, "eventName and eventSource are required"},
		"other-source.json": {`{"detail-type":"Object Created","source":"aws.s3","detail":{}}`, "unsupported EventBridge detail-type"},
		"binary.json":       {"\xff\xfe\x00garbage", "invalid UTF-8"},
		"broken gzip.json":  {"\x1f\x8b\x08\x00garbage", "read gzip"},
	}
	good := []string{"../../events/model-create-no-vpc.json", "../../events/notebook-create-private.json"}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, []byte(b.content), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := evaluateCLI(t, "", "--offline", "--format", "json", good[0], path, good[1])
			if code != exitBadInput {
				t.Errorf("exit: got %d; want %d", code, exitBadInput)
			}
			if !strings.Contains(stderr, path) || !strings.Contains(stderr, b.problem) {
				t.Errorf("stderr: got %q; want it to name %s and %q", stderr, path, b.problem)
			}
			want := append(append([]jsonFinding{}, expected["model-create-no-vpc.json"]...), expected["notebook-create-private.json"]...)
			checkFindings(t, decodeFindings(t, stdout), want)
		})
	}
	t.Run("missing file", func(t *testing.T) {
		missing := filepath.Join(dir, "nope.json")
		code, stdout, stderr := evaluateCLI(t, "", "--offline", "--format", "json", missing, good[0])
		if code != exitBadInput || !strings.Contains(stderr, missing) {
			t.Errorf("got exit %d stderr %q; want %d and the file named", code, stderr, exitBadInput)
		}
		checkFindings(t, decodeFindings(t, stdout), expected["model-create-no-vpc.json"])
	})
	t.Run("5 MB event", func(t *testing.T) {
		path := filepath.Join(dir, "huge.json")
		huge := `{"detail-type":"AWS API Call via CloudTrail","source":"aws.sagemaker","detail":{"eventName":"CreateModel","eventSource":"sagemaker.amazonaws.com",` +
			`"requestParameters":{"modelName":"m","pad":"` + strings.Repeat("x", 5<<20) + `"}}}`
		if err := os.WriteFile(path, []byte(huge), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := evaluateCLI(t, "", "--offline", "--format", "json", path)
		if code != exitBadInput || !strings.Contains(stderr, path) || !strings.Contains(stderr, "256 KB") {
			t.Errorf("got exit %d stderr %q; want %d naming the file and the size limit", code, stderr, exitBadInput)
		}
		if got := strings.TrimSpace(stdout); got != "[]" {
			t.Errorf("stdout: got %q; want []", got)
		}
	})
}

func TestEvaluateStdin(t *testing.T) {
	data, err := os.ReadFile("../../events/notebook-create-internet-omitted.json")
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := evaluateCLI(t, string(data), "--offline", "--format", "json", "-")
	if code != exitOK {
		t.Fatalf("exit: got %d; want 0\nstderr: %s", code, stderr)
	}
	checkFindings(t, decodeFindings(t, stdout), expected["notebook-create-internet-omitted.json"])

	code, stdout, stderr = evaluateCLI(t, "{", "--offline", "--format", "json", "-")
	if code != exitBadInput || !strings.Contains(stderr, "-: invalid JSON") {
		t.Errorf("bad stdin: got exit %d stderr %q; want %d and \"-: invalid JSON\"", code, stderr, exitBadInput)
	}
	if strings.TrimSpace(stdout) != "[]" {
		t.Errorf("bad stdin: stdout %q; want []", stdout)
	}
}

func TestEvaluateTable(t *testing.T) {
	files := []string{"../../events/model-create-no-vpc.json", "../../events/endpoint-create-runtime-private-dns-default.json", "../../events/notebook-start.json"}
	code, stdout, stderr := evaluateCLI(t, "", append([]string{"--offline", "--format", "table"}, files...)...)
	if code != exitOK {
		t.Fatalf("exit: got %d; want 0\nstderr: %s", code, stderr)
	}
	if strings.Contains(stdout, "\x1b[") {
		t.Errorf("table to a non-terminal: got escape codes; want none")
	}
	// One line per finding: the model's three rules, the endpoint and its
	// VPC, the notebook.
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if len(lines) != 7 {
		t.Fatalf("lines: got %d; want header + 6\n%s", len(lines), stdout)
	}
	header := lines[0]
	for _, col := range []string{"RULE", "RESOURCE", "REGION", "PRINCIPAL", "REASON"} {
		i := strings.Index(header, col)
		if i < 0 {
			t.Fatalf("header %q: no %s", header, col)
		}
		at := utf8.RuneCountInString(header[:i])
		for _, l := range lines[1:] {
			r := []rune(l)
			if at >= len(r) || r[at] == ' ' || r[at-1] != ' ' {
				t.Errorf("column %s at %d: row %q does not start a cell there; want aligned columns\n%s", col, at, l, stdout)
			}
		}
	}
	for i, want := range []string{"✗ NON_COMPLIANT", "✗ NON_COMPLIANT", "· NOT_APPLICABLE", "✓ COMPLIANT", "· INSUFFICIENT_DATA", "· INSUFFICIENT_DATA"} { // the table sorts by status
		if !strings.HasPrefix(lines[i+1], want) {
			t.Errorf("row %d: got %q; want it to start with %q", i+1, lines[i+1], want)
		}
	}
}

func TestEvaluateUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"--offline", "--nope", "../../events/model-delete.json"}, "flag provided but not defined: -nope"},
		{"no files", []string{"--offline"}, "Usage: vpcguard evaluate"},
		{"unknown format", []string{"--offline", "--format", "yaml", "../../events/model-delete.json"}, `unknown format "yaml"`},
		{"csv is not an evaluate format", []string{"--offline", "--format", "csv", "../../events/model-delete.json"}, "--format"},
		{"bad mode", []string{"--offline", "--mode", "loud", "../../events/model-delete.json"}, "VPCGUARD_MODE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := evaluateCLI(t, "", tt.args...)
			if code != exitBadInput {
				t.Errorf("exit: got %d; want %d", code, exitBadInput)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr: got %q; want it to contain %q", stderr, tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout: got %q; want nothing", stdout)
			}
		})
	}
}

// TestEvaluateNamesSkippedEvents: a file whose events no rule evaluates is
// not an error, but the default output says which event was skipped and why,
// so an empty result is explained; stdout stays data only.
func TestEvaluateNamesSkippedEvents(t *testing.T) {
	file := "../../events/model-create-denied.json"
	code, stdout, stderr := evaluateCLI(t, "", "--offline", "--format", "json", file)
	if code != exitOK {
		t.Fatalf("exit: got %d; want 0\nstderr: %s", code, stderr)
	}
	if got := strings.TrimSpace(stdout); got != "[]" {
		t.Errorf("stdout: got %q; want []", got)
	}
	for _, want := range []string{"msg=skipped", "file=" + file, "eventName=CreateModel", "the call failed (AccessDenied)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr: got %q; want it to contain %q", stderr, want)
		}
	}
	_, _, quiet := evaluateCLI(t, "", "--offline", "--format", "json", "--log-level", "error", file)
	if quiet != "" {
		t.Errorf("--log-level error: got stderr %q; want nothing", quiet)
	}
}

// TestEvaluateHTML: evaluate writes the same self-contained HTML report,
// a row per finding.
func TestEvaluateHTML(t *testing.T) {
	files := []string{"../../events/model-create-no-vpc.json", "../../events/notebook-start.json"}
	code, stdout, stderr := evaluateCLI(t, "", append([]string{"--offline", "--format", "html"}, files...)...)
	if code != exitOK {
		t.Fatalf("exit: got %d; want 0\nstderr: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "<!DOCTYPE html>") || strings.Count(stdout, "<tr data-status=") != 4 || !strings.Contains(stdout, "CreateModel") && !strings.Contains(stdout, "sagemaker-model-in-vpc") {
		t.Errorf("--format html: want a document with 4 finding rows (the model under three rules, the notebook)\n%.400s", stdout)
	}
}
