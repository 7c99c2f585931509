package setup_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

const role = "arn:aws:iam::" + testenv.Account + ":role/SageMakerExecution"

// readersOn is the one dispatcher by kind a function builds (setup.Guard), on
// cfg's clients, over every kind's reader.
func readersOn(t *testing.T, cfg aws.Config) evaluate.StateReader {
	t.Helper()
	accounts := awsclients.NewAccounts(cfg, "")
	accounts.SetHomeAccount(testenv.Account)
	g := setup.Guard(config.Default(), accounts, rules.All(), nil, guards.Kinds...)
	r, err := g.Evaluator.Readers(context.Background(), testenv.Account, region)
	if err != nil {
		t.Fatalf("readers: %v", err)
	}
	return r
}

// TestReaderOnMoto reads every kind of resource as moto stores it, including
// what moto answers for the ones that do not exist.
func TestReaderOnMoto(t *testing.T) {
	e := testenv.New(t, testenv.Seed(testenv.Network))
	ctx := context.Background()
	sm, e2 := e.SageMaker, e.EC2
	vpcID, subnet, sg := e.VPC, e.Subnet, e.SecurityGroup
	container := &smtypes.ContainerDefinition{Image: aws.String("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")}
	if _, err := sm.CreateModel(ctx, &sagemaker.CreateModelInput{ModelName: aws.String("public"), ExecutionRoleArn: aws.String(role), PrimaryContainer: container,
		Tags: []smtypes.Tag{{Key: aws.String("team"), Value: aws.String("ml")}}}); err != nil {
		t.Fatalf("create model: %v", err)
	}
	if _, err := sm.CreateModel(ctx, &sagemaker.CreateModelInput{ModelName: aws.String("private"), ExecutionRoleArn: aws.String(role), PrimaryContainer: container,
		VpcConfig: &smtypes.VpcConfig{Subnets: []string{subnet}, SecurityGroupIds: []string{sg}}}); err != nil {
		t.Fatalf("create model: %v", err)
	}
	if _, err := sm.CreateNotebookInstance(ctx, &sagemaker.CreateNotebookInstanceInput{NotebookInstanceName: aws.String("open"), InstanceType: smtypes.InstanceTypeMlT3Medium,
		RoleArn: aws.String(role), SubnetId: aws.String(subnet), SecurityGroupIds: []string{sg}, DirectInternetAccess: smtypes.DirectInternetAccessEnabled}); err != nil {
		t.Fatalf("create notebook: %v", err)
	}
	ep, err := e2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(vpcID), ServiceName: aws.String("com.amazonaws.us-east-1.sagemaker.api"),
		VpcEndpointType: ec2types.VpcEndpointTypeInterface, SubnetIds: []string{subnet}, PrivateDnsEnabled: aws.Bool(false),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcEndpoint, Tags: []ec2types.Tag{{Key: aws.String("vpcguard:exempt"), Value: aws.String("lab")}}}}})
	if err != nil {
		t.Fatalf("create endpoint: %v", err)
	}
	epID := aws.ToString(ep.VpcEndpoint.VpcEndpointId)

	r := readersOn(t, e.Config)
	ref := func(k resource.Kind, id string) resource.Ref {
		return resource.Ref{Kind: k, ID: id, Account: testenv.Account, Region: region}
	}
	tests := []struct {
		name  string
		ref   resource.Ref
		check func(t *testing.T, s resource.State)
	}{
		{name: "model without VPC: moto's empty VpcConfig reads as no subnets", ref: ref(resource.Model, "public"), check: func(t *testing.T, s resource.State) {
			if s.Missing || s.Model == nil {
				t.Fatalf("Missing = %v, Model = %v; want a model", s.Missing, s.Model)
			}
			if len(s.Model.Subnets) != 0 {
				t.Errorf("Subnets = %v; want none", s.Model.Subnets)
			}
			if want := "arn:aws:sagemaker:us-east-1:123456789012:model/public"; s.ARN != want {
				t.Errorf("ARN = %q; want %q", s.ARN, want)
			}
			if s.Tags != nil {
				t.Errorf("Tags = %v; want nil: Read must not list tags", s.Tags)
			}
		}},
		{name: "model in VPC", ref: ref(resource.Model, "private"), check: func(t *testing.T, s resource.State) {
			if s.Model == nil || len(s.Model.Subnets) != 1 || s.Model.Subnets[0] != subnet {
				t.Errorf("Model = %+v; want subnets [%s]", s.Model, subnet)
			}
		}},
		{name: "missing model keeps its ARN", ref: ref(resource.Model, "Gone-Model"), check: func(t *testing.T, s resource.State) {
			if !s.Missing {
				t.Errorf("Missing = false; want true")
			}
			// The ticket opened under the ARN must be found to resolve it.
			if want := "arn:aws:sagemaker:us-east-1:123456789012:model/gone-model"; s.ARN != want {
				t.Errorf("ARN = %q; want %q", s.ARN, want)
			}
		}},
		{name: "notebook", ref: ref(resource.Notebook, "open"), check: func(t *testing.T, s resource.State) {
			want := resource.NotebookConfig{DirectInternetAccess: "Enabled", SubnetID: subnet, Status: "InService"}
			if s.Notebook == nil || *s.Notebook != want {
				t.Errorf("Notebook = %+v; want %+v", s.Notebook, want)
			}
		}},
		{name: "missing notebook keeps its ARN", ref: ref(resource.Notebook, "gone"), check: func(t *testing.T, s resource.State) {
			if !s.Missing {
				t.Errorf("Missing = false; want true")
			}
			if want := "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/gone"; s.ARN != want {
				t.Errorf("ARN = %q; want %q", s.ARN, want)
			}
		}},
		{name: "endpoint", ref: ref(resource.VPCEndpoint, epID), check: func(t *testing.T, s resource.State) {
			e := s.Endpoint
			if e == nil {
				t.Fatalf("Endpoint = nil; want the endpoint")
			}
			if e.ServiceName != "com.amazonaws.us-east-1.sagemaker.api" || e.Type != "Interface" || e.VPCID != vpcID {
				t.Errorf("Endpoint = %+v; want the sagemaker.api interface endpoint in %s", e, vpcID)
			}
			if e.PrivateDNS == nil || *e.PrivateDNS {
				t.Errorf("PrivateDNS = %v; want false", e.PrivateDNS)
			}
			if got := s.Tags["vpcguard:exempt"]; got != "lab" {
				t.Errorf("Tags[vpcguard:exempt] = %q; want %q", got, "lab")
			}
			if want := resource.EndpointARN(region, testenv.Account, epID); s.ARN != want {
				t.Errorf("ARN = %q; want %q", s.ARN, want)
			}
		}},
		{name: "VPC, through the model's subnet", ref: ref(resource.VPC, subnet), check: func(t *testing.T, s resource.State) {
			if s.ID != vpcID || s.VPC == nil || len(s.VPC.Endpoints) != 1 || !s.VPC.ModelsRead || len(s.VPC.Models) != 1 || s.VPC.Models[0] != "private" {
				t.Errorf("state = %+v (VPC %+v); want %s with its endpoint, hosting model private", s.Ref, s.VPC, vpcID)
			}
		}},
		{name: "missing endpoint", ref: ref(resource.VPCEndpoint, "vpce-0123456789abcdef0"), check: func(t *testing.T, s resource.State) {
			if !s.Missing {
				t.Errorf("Missing = false; want true")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := r.Read(ctx, tt.ref)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if tt.ref.Kind == resource.VPC {
				tt.ref.ID = vpcID // resolved from the subnet
			}
			if s.Ref != tt.ref {
				t.Errorf("Ref = %+v; want %+v", s.Ref, tt.ref)
			}
			tt.check(t, s)
		})
	}

	t.Run("tags of a model are listed", func(t *testing.T) {
		s, err := r.Read(ctx, ref(resource.Model, "public"))
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		tags, err := r.Tags(ctx, s)
		if err != nil {
			t.Fatalf("Tags: %v", err)
		}
		if tags["team"] != "ml" || len(tags) != 1 {
			t.Errorf("Tags = %v; want map[team:ml]", tags)
		}
	})
	t.Run("tags without an ARN are an error", func(t *testing.T) {
		if _, err := r.Tags(ctx, resource.State{Ref: ref(resource.Model, "public")}); err == nil {
			t.Errorf("Tags without ARN: got nil error; want an error")
		}
	})
	t.Run("unknown kind is an error", func(t *testing.T) {
		if _, err := r.Read(ctx, resource.Ref{Kind: "AWS::S3::Bucket", ID: "b"}); err == nil {
			t.Errorf("Read of an unknown kind: got nil error; want an error")
		}
	})
}

// TestReaderDescribeFailure: an AWS failure that is not "not found" is an
// error, never a Missing resource (which would resolve its tickets).
func TestReaderDescribeFailure(t *testing.T) {
	cfg := testenv.New(t, testenv.Seed(0)).Server.Config(region)
	cfg.BaseEndpoint = aws.String("http://127.0.0.1:1") // nothing listens on port 1
	cfg.RetryMaxAttempts = 1
	r := readersOn(t, cfg)
	for _, k := range []resource.Kind{resource.Model, resource.Notebook, resource.VPCEndpoint, resource.VPC} {
		t.Run(string(k), func(t *testing.T) {
			id := "x"
			if k == resource.VPC {
				id = "vpc-0123456789abcdef0" // an id the reader asks EC2 about
			}
			s, err := r.Read(context.Background(), resource.Ref{Kind: k, ID: id, Account: testenv.Account, Region: region})
			if err == nil {
				t.Fatalf("Read: got nil error; want the connection failure")
			}
			if s.Missing {
				t.Errorf("Missing = true; want false: a failed read says nothing about existence")
			}
		})
	}
}
