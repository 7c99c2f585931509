package setup_test

import (
	"context"
	"fmt"
	"strings"
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
	// A VPC's id is one the reader asks EC2 about.
	for k, id := range map[resource.Kind]string{resource.Model: "x", resource.Notebook: "x", resource.VPCEndpoint: "x",
		resource.VPC: "vpc-0123456789abcdef0", resource.StudioDomain: "d-x", resource.Job: "training-job/x"} {
		t.Run(string(k), func(t *testing.T) {
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

// TestReaderStudioDomainsAndJobs reads Studio domains and every type of job
// as moto stores them, and the ones that do not exist.
func TestReaderStudioDomainsAndJobs(t *testing.T) {
	e := testenv.New(t, testenv.Seed(testenv.Network))
	ctx := context.Background()
	public := e.Domain("studio-research", "")
	private := e.Domain("studio-prod", "VpcOnly")
	e.TrainingJob("train-public", false)
	e.TrainingJob("train-private", true)
	e.ProcessingJob("process-private", true, nil)
	e.TuningJob("hpo-mixed", true, false)
	e.AutoMLJob("autopilot-public", false)

	r := readersOn(t, e.Config)
	ref := func(k resource.Kind, id string) resource.Ref {
		return resource.Ref{Kind: k, ID: id, Account: testenv.Account, Region: region}
	}
	read := func(t *testing.T, r0 resource.Ref) resource.State {
		t.Helper()
		s, err := r.Read(ctx, r0)
		if err != nil {
			t.Fatalf("Read %s: %v", r0.ID, err)
		}
		return s
	}
	t.Run("domain created without AppNetworkAccessType: moto, as AWS, makes it PublicInternetOnly", func(t *testing.T) {
		s := read(t, ref(resource.StudioDomain, public))
		if s.Domain == nil || s.Domain.AppNetworkAccessType != "PublicInternetOnly" || s.Domain.VPCID != e.VPC || len(s.Domain.SubnetIDs) != 2 || s.Domain.Status != "InService" {
			t.Errorf("Domain = %+v; want PublicInternetOnly in %s, two subnets, InService", s.Domain, e.VPC)
		}
		if want := "arn:aws:sagemaker:us-east-1:123456789012:domain/" + public; s.ARN != want {
			t.Errorf("ARN = %q; want %q", s.ARN, want)
		}
		tags, err := r.Tags(ctx, s)
		if err != nil || tags["team"] != "ml-platform" {
			t.Errorf("Tags = %v, %v; want team=ml-platform", tags, err)
		}
	})
	t.Run("VpcOnly domain", func(t *testing.T) {
		if s := read(t, ref(resource.StudioDomain, private)); s.Domain == nil || s.Domain.AppNetworkAccessType != "VpcOnly" {
			t.Errorf("Domain = %+v; want VpcOnly", s.Domain)
		}
	})
	t.Run("missing domain keeps its ARN", func(t *testing.T) {
		s := read(t, ref(resource.StudioDomain, "d-gone12345678"))
		if !s.Missing || s.ARN != "arn:aws:sagemaker:us-east-1:123456789012:domain/d-gone12345678" {
			t.Errorf("Missing %v, ARN %q; want missing with its ARN", s.Missing, s.ARN)
		}
	})
	jobs := []struct {
		id      string
		want    resource.JobConfig
		subnets []int // how many subnets each network has
	}{
		{id: "training-job/train-public", want: resource.JobConfig{Type: resource.TrainingJob, Status: "Completed", ExecutionRole: role}, subnets: []int{0}},
		{id: "training-job/train-private", want: resource.JobConfig{Type: resource.TrainingJob, Status: "Completed", ExecutionRole: role}, subnets: []int{2}},
		{id: "processing-job/process-private", want: resource.JobConfig{Type: resource.ProcessingJob, Status: "Completed", ExecutionRole: role}, subnets: []int{2}},
		{id: "hyper-parameter-tuning-job/hpo-mixed", want: resource.JobConfig{Type: resource.TuningJob, Status: "Completed", ExecutionRole: role}, subnets: []int{2, 0}},
		{id: "automl-job/autopilot-public", want: resource.JobConfig{Type: resource.AutoMLJob, Status: "InProgress", ExecutionRole: role}, subnets: []int{0}},
	}
	for _, j := range jobs {
		t.Run(j.id, func(t *testing.T) {
			s := read(t, ref(resource.Job, j.id))
			if s.Job == nil {
				t.Fatalf("Job = nil; want the job")
			}
			if s.Job.Type != j.want.Type || s.Job.Status != j.want.Status || s.Job.ExecutionRole != j.want.ExecutionRole || s.Job.LastModified == "" {
				t.Errorf("Job = %+v; want type %s, status %s, role %s and a modification time", s.Job, j.want.Type, j.want.Status, j.want.ExecutionRole)
			}
			var got []int
			for _, n := range s.Job.Networks {
				got = append(got, len(n.Subnets))
			}
			if len(got) != len(j.subnets) || fmt.Sprint(got) != fmt.Sprint(j.subnets) {
				t.Errorf("subnets per network = %v; want %v", got, j.subnets)
			}
			if want := "arn:aws:sagemaker:us-east-1:123456789012:" + j.id; s.ARN != want {
				t.Errorf("ARN = %q; want %q", s.ARN, want)
			}
		})
	}
	t.Run("tuning job definitions keep their names", func(t *testing.T) {
		s := read(t, ref(resource.Job, "hyper-parameter-tuning-job/hpo-mixed"))
		if s.Job.Networks[0].Name != "def-0" || s.Job.Networks[1].Name != "def-1" {
			t.Errorf("Networks = %+v; want def-0 and def-1", s.Job.Networks)
		}
	})
	t.Run("missing job keeps its ARN", func(t *testing.T) {
		s := read(t, ref(resource.Job, "processing-job/Gone"))
		if !s.Missing || s.ARN != "arn:aws:sagemaker:us-east-1:123456789012:processing-job/gone" {
			t.Errorf("Missing %v, ARN %q; want missing with its ARN", s.Missing, s.ARN)
		}
	})
	t.Run("not a job id", func(t *testing.T) {
		if _, err := r.Read(ctx, ref(resource.Job, "train-public")); err == nil || !strings.Contains(err.Error(), "not a job id") {
			t.Errorf("Read: %v; want an error saying it is not a job id", err)
		}
	})
	t.Run("running and parent, from the fake", func(t *testing.T) {
		// moto has neither: testenv.SageMakerGaps fakes them.
		gaps, _ := e.WithSageMakerGaps()
		gaps.Running("TrainingJob", "train-public")
		gaps.Parent("train-public", "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/hpo-mixed")
		cfg := e.Config.Copy()
		cfg.BaseEndpoint = aws.String(gaps.URL())
		s, err := readersOn(t, cfg).Read(ctx, ref(resource.Job, "training-job/train-public"))
		if err != nil || s.Job == nil || s.Job.Status != "InProgress" || !strings.HasSuffix(s.Job.Parent, "hyper-parameter-tuning-job/hpo-mixed") {
			t.Errorf("Read = %+v, %v; want InProgress with the tuning job as parent", s.Job, err)
		}
	})
}
