package setup_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/domains"
	"github.com/vpcguard/vpcguard/shared/setup/endpoints"
	"github.com/vpcguard/vpcguard/shared/setup/jobs"
	"github.com/vpcguard/vpcguard/shared/setup/models"
	"github.com/vpcguard/vpcguard/shared/setup/networks"
	"github.com/vpcguard/vpcguard/shared/setup/notebooks"
	"github.com/vpcguard/vpcguard/shared/setup/presignedurls"
)

func TestMain(m *testing.M) { motoserver.Main(m.Run) }

const region = "us-east-1"

// TestEndpointWiringReadsAndFixesEndpointsOnly: a function wired for VPC
// endpoints reads them from EC2; asked about a model it answers an error
// naming what it is not wired for, and its remediator records a failed
// action instead of calling a client it does not have.
func TestEndpointWiringReadsAndFixesEndpointsOnly(t *testing.T) {
	srv := motoserver.Require(t)
	ctx := context.Background()
	cfg := srv.Config(region)
	e2 := ec2.NewFromConfig(cfg)
	vpc, err := e2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.30.0.0/16")})
	if err != nil {
		t.Fatalf("create vpc: %v", err)
	}
	vpcID := aws.ToString(vpc.Vpc.VpcId)
	ep, err := e2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(vpcID), ServiceName: aws.String("com.amazonaws.us-east-1.sagemaker.runtime"),
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, PrivateDnsEnabled: aws.Bool(false)})
	if err != nil {
		t.Fatalf("create endpoint: %v", err)
	}
	epID := aws.ToString(ep.VpcEndpoint.VpcEndpointId)

	accounts := awsclients.NewAccounts(cfg, "")
	accounts.SetHomeAccount(motoserver.Account)
	g := setup.Guard(config.Default(), accounts, []rules.Rule{rules.EndpointPrivateDNS{}}, nil, endpoints.Wiring)
	sr, err := g.Evaluator.Readers(ctx, motoserver.Account, region)
	if err != nil {
		t.Fatalf("readers: %v", err)
	}
	st, err := sr.Read(ctx, resource.Ref{Kind: resource.VPCEndpoint, ID: epID, Account: motoserver.Account, Region: region})
	if err != nil {
		t.Fatalf("read endpoint: %v", err)
	}
	if st.Missing || st.Endpoint == nil || st.Endpoint.VPCID != vpcID || aws.ToBool(st.Endpoint.PrivateDNS) {
		t.Errorf("endpoint state = %+v (endpoint %+v); want endpoint in %s with private DNS off", st, st.Endpoint, vpcID)
	}
	if _, err := sr.Read(ctx, resource.Ref{Kind: resource.Model, ID: "m", Account: motoserver.Account, Region: region}); err == nil || !strings.Contains(err.Error(), "does not read") {
		t.Errorf("read model error = %v; want one saying the function does not read models", err)
	}
	if _, err := sr.Tags(ctx, resource.State{Ref: resource.Ref{Kind: resource.Notebook, ID: "n"}, ARN: "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/n"}); err == nil {
		t.Errorf("notebook tags error = nil; want one")
	}

	rem := g.Remediator
	res := evaluate.Result{
		Finding: finding.Finding{Rule: "sagemaker-model-in-vpc", ResourceID: "arn:aws:sagemaker:us-east-1:123456789012:model/m", Status: finding.NonCompliant,
			Principal: "arn:aws:iam::123456789012:user/carol", Account: motoserver.Account, Region: region},
		State: resource.State{Ref: resource.Ref{Kind: resource.Model, ID: "m", Account: motoserver.Account, Region: region}},
		Rule:  rules.ModelInVPC{},
	}
	err = rem.Remediate(ctx, &res)
	if err == nil || !strings.Contains(err.Error(), "no IAM client") {
		t.Errorf("remediate a model error = %v; want one naming the missing IAM client", err)
	}
	if len(res.Finding.Actions) != 1 || res.Finding.Actions[0].Outcome != finding.Failed {
		t.Errorf("actions = %+v; want one failed action", res.Finding.Actions)
	}
}

// TestKindsSetTheirClients: each kind hands its remediations the clients
// they call, and only those.
func TestKindsSetTheirClients(t *testing.T) {
	accounts := awsclients.NewAccounts(aws.Config{Region: region}, "")
	accounts.SetHomeAccount(motoserver.Account)
	tests := []struct {
		name                                    string
		kind                                    setup.Kind
		iam, sagemaker, ec2, sqs, jobs, domains bool
	}{
		{"models", models.Wiring, true, true, false, false, false, false},
		{"notebooks", notebooks.Wiring, true, true, false, true, false, false},
		{"endpoints", endpoints.Wiring, false, false, true, false, false, false},
		{"Studio domains", domains.Wiring, true, false, false, false, false, true},
		{"jobs", jobs.Wiring, true, false, false, false, true, false},
		{"presigned URL calls: the guardrail only", presignedurls.Wiring, true, false, false, false, false, false},
		// The network rules only ticket: nothing to remediate with.
		{"vpcs", networks.VPCs, false, false, false, false, false, false},
		{"models with zones, no remediation", networks.Models, false, false, false, false, false, false},
		{"models with zones, for every model rule", networks.Zoned(models.Wiring), true, true, false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := setup.Guard(config.Default(), accounts, nil, nil, tt.kind)
			api, err := g.Remediator.(*remediate.Remediator).APIs(context.Background(), "", region)
			if err != nil {
				t.Fatalf("APIs: %v", err)
			}
			got := [6]bool{api.IAM != nil, api.SageMaker != nil, api.EC2 != nil, api.SQS != nil, api.Jobs != nil, api.Domains != nil}
			if want := [6]bool{tt.iam, tt.sagemaker, tt.ec2, tt.sqs, tt.jobs, tt.domains}; got != want {
				t.Errorf("clients set (IAM, SageMaker, EC2, SQS, Jobs, Domains) = %v; want %v", got, want)
			}
		})
	}
}

// TestGuardHandlerRefusesUnwiredRules: a function whose rules guard a kind
// it is not wired to read fails its init instead of failing every event.
func TestGuardHandlerRefusesUnwiredRules(t *testing.T) {
	_, err := setup.GuardHandler(context.Background(), nil, "model-guard", endpoints.Wiring)
	if err == nil || !strings.Contains(err.Error(), "sagemaker-model-network-isolation guards AWS::SageMaker::Model resources") {
		t.Errorf("GuardHandler error = %v; want one naming the unwired rule", err)
	}
	// A model reader without the zones the multi-AZ rule decides on.
	_, err = setup.GuardHandler(context.Background(), nil, "network-guard", models.Wiring, networks.VPCs)
	if err == nil || !strings.Contains(err.Error(), "sagemaker-model-vpc-multi-az decides on subnet-zones") {
		t.Errorf("GuardHandler error = %v; want one naming the rule and the detail its reader lacks", err)
	}
}

// TestGuardsLinkOnlyTheServicesTheyCall: each guard Lambda (and the
// backfill) imports the AWS SDK services it calls and no other. Importing a service package links it
// and runs its init at every cold start (SageMaker's allocates 3.8 MB), so
// one stray import costs every cold start of that function.
func TestGuardsLinkOnlyTheServicesTheyCall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	// The ticket sinks (securityhub, ssm, sns) are chosen at run time, so
	// every guard links them; sts, sso, ssooidc and signin come with
	// config loading and role assumption.
	common := []string{"securityhub", "signin", "sns", "sso", "ssm", "ssooidc", "sts"}
	tests := map[string][]string{
		"endpoint-guard": {"ec2"},
		"model-guard":    {"iam", "sagemaker"},
		"notebook-guard": {"iam", "sagemaker", "sqs"},
		"domain-guard":   {"iam", "sagemaker"},
		"job-guard":      {"iam", "sagemaker"},
		// It reads nothing: no SageMaker client, IAM for the guardrail.
		"presigned-url-guard": {"iam"},
		// Ticket-only rules: no IAM. EC2 for zones, VPCs and endpoints.
		"network-guard": {"ec2", "sagemaker"},
		// The backfill alone asks the Resource Groups Tagging API for the
		// exempt resources of each account and region (inventory/tagindex),
		// and CloudTrail and S3 for the creators of what exists
		// (setup/creators).
		"backfill": {"cloudtrail", "ec2", "iam", "resourcegroupstaggingapi", "s3", "sagemaker", "sqs"},
		// The organization backfill's plan and summary: Organizations for
		// the accounts, Config for its fast path, S3 for the runs bucket,
		// EC2 for the enabled Regions, and the kinds' packages (their
		// Config declarations sit beside their readers, which link
		// SageMaker and EC2; their remediations, IAM and SQS).
		"backfill-orchestrator": {"configservice", "ec2", "iam", "organizations", "s3", "sagemaker", "sqs"},
	}
	for _, fn := range rules.Guards() {
		if _, ok := tests[fn.Name]; !ok {
			t.Errorf("guard %s: not in this test; add the services it must link", fn.Name)
		}
	}
	for fn, own := range tests {
		t.Run(fn, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./functions/"+fn)
			cmd.Dir = root
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			var got []string
			for _, p := range strings.Fields(string(out)) {
				if svc, ok := strings.CutPrefix(p, "github.com/aws/aws-sdk-go-v2/service/"); ok && !strings.Contains(svc, "/") && svc != "internal" {
					got = append(got, svc)
				}
			}
			want := append(append([]string{}, common...), own...)
			slices.Sort(got)
			slices.Sort(want)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%s links the services %v; want %v", fn, got, want)
			}
		})
	}
}

// TestPresignedURLGuardReadsNothing: the presigned URL guard is wired with
// no reader, and evaluating one of its events online asks no AWS API.
func TestPresignedURLGuardReadsNothing(t *testing.T) {
	accounts := awsclients.NewAccounts(aws.Config{Region: region, BaseEndpoint: aws.String("http://127.0.0.1:1")}, "")
	accounts.SetHomeAccount(motoserver.Account)
	fn, _ := rules.Guard("presigned-url-guard")
	g := setup.Guard(config.Default(), accounts, fn.Rules, nil, presignedurls.Wiring)
	ev := testenv.SampleEvent(t, "presigned-notebook-url-public-ip.json")
	res, err := g.Evaluator.Event(context.Background(), &ev)
	if err != nil || len(res) != 1 {
		t.Fatalf("Event: %d results, %v; want one and no error (nothing to read, nothing listens on port 1)", len(res), err)
	}
	if f := res[0].Finding; f.Status != finding.NonCompliant || f.Evaluation != "online" {
		t.Errorf("finding %s %s; want NON_COMPLIANT, online", f.Status, f.Evaluation)
	}
}
