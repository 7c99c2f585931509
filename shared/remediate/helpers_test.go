package remediate

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/inventory"
	"github.com/vpcguard/vpcguard/shared/remediate/ec2api"
	"github.com/vpcguard/vpcguard/shared/remediate/iamapi"
	"github.com/vpcguard/vpcguard/shared/remediate/sagemakerapi"
	"github.com/vpcguard/vpcguard/shared/remediate/sqsapi"
	"github.com/vpcguard/vpcguard/shared/rules"
)

func TestMain(m *testing.M) { motoserver.Main(m.Run) }

const (
	region   = "us-east-1"
	acct     = motoserver.Account
	execRole = "arn:aws:iam::" + acct + ":role/SageMakerExecution"
)

// recorder is smithy middleware that keeps every operation's input as the
// client sent it. moto ignores some parameters (PrivateDnsEnabled on
// ModifyVpcEndpoint), so tests assert on the request instead.
type recorder struct {
	mu    sync.Mutex
	calls []call
}

type call struct {
	op string
	in any
}

func (r *recorder) option(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("recordInput",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			r.mu.Lock()
			r.calls = append(r.calls, call{op: awsmiddleware.GetOperationName(ctx), in: in.Parameters})
			r.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// inputs returns the inputs of every call to op.
func (r *recorder) inputs(op string) []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []any
	for _, c := range r.calls {
		if c.op == op {
			out = append(out, c.in)
		}
	}
	return out
}

// env is a moto account seeded with what every remediation needs: a VPC
// with a subnet and a security group, the guardrail policies, a re-check
// queue, and clients whose requests are recorded.
type env struct {
	t        *testing.T
	rec      *recorder
	iam      *iam.Client
	sm       *sagemaker.Client
	ec2      *ec2.Client
	sqs      *sqs.Client
	vpc      string
	subnet   string
	sg       string
	modelGR  string // model guardrail policy ARN
	nbGR     string // notebook guardrail policy ARN
	queueURL string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := motoserver.Require(t)
	e := &env{t: t, rec: &recorder{}}
	cfg := srv.Config(region)
	cfg.APIOptions = append(cfg.APIOptions, e.rec.option)
	e.iam, e.sm, e.ec2, e.sqs = iam.NewFromConfig(cfg), sagemaker.NewFromConfig(cfg), ec2.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	ctx := context.Background()

	vpc, err := e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatalf("create vpc: %v", err)
	}
	e.vpc = aws.ToString(vpc.Vpc.VpcId)
	sub, err := e.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(e.vpc), CidrBlock: aws.String("10.0.1.0/24")})
	if err != nil {
		t.Fatalf("create subnet: %v", err)
	}
	e.subnet = aws.ToString(sub.Subnet.SubnetId)
	sg, err := e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("ml"), Description: aws.String("ml"), VpcId: aws.String(e.vpc)})
	if err != nil {
		t.Fatalf("create security group: %v", err)
	}
	e.sg = aws.ToString(sg.GroupId)
	e.modelGR = e.policy("vpcguard-deny-model-outside-vpc", guardrail.Model.Document())
	e.nbGR = e.policy("vpcguard-deny-notebook-internet", guardrail.Notebook.Document())
	q, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("vpcguard-notebook-rechecks")})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	e.queueURL = aws.ToString(q.QueueUrl)
	return e
}

func (e *env) policy(name, doc string) string {
	e.t.Helper()
	out, err := e.iam.CreatePolicy(context.Background(), &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	if err != nil {
		e.t.Fatalf("create policy %s: %v", name, err)
	}
	return aws.ToString(out.Policy.Arn)
}

const trustSageMaker = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func (e *env) role(path, name string) {
	e.t.Helper()
	if _, err := e.iam.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trustSageMaker)}); err != nil {
		e.t.Fatalf("create role %s: %v", name, err)
	}
}

func (e *env) user(name string) {
	e.t.Helper()
	if _, err := e.iam.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		e.t.Fatalf("create user %s: %v", name, err)
	}
}

// rolePolicies and userPolicies are the ARNs IAM says are attached.
func (e *env) rolePolicies(name string) []string {
	e.t.Helper()
	out, err := e.iam.ListAttachedRolePolicies(context.Background(), &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("list policies of role %s: %v", name, err)
	}
	var arns []string
	for _, p := range out.AttachedPolicies {
		arns = append(arns, aws.ToString(p.PolicyArn))
	}
	return arns
}

func (e *env) userPolicies(name string) []string {
	e.t.Helper()
	out, err := e.iam.ListAttachedUserPolicies(context.Background(), &iam.ListAttachedUserPoliciesInput{UserName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("list policies of user %s: %v", name, err)
	}
	var arns []string
	for _, p := range out.AttachedPolicies {
		arns = append(arns, aws.ToString(p.PolicyArn))
	}
	return arns
}

func (e *env) model(name string, inVPC bool) {
	e.t.Helper()
	in := &sagemaker.CreateModelInput{ModelName: aws.String(name), ExecutionRoleArn: aws.String(execRole),
		PrimaryContainer: &smtypes.ContainerDefinition{Image: aws.String("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")}}
	if inVPC {
		in.VpcConfig = &smtypes.VpcConfig{Subnets: []string{e.subnet}, SecurityGroupIds: []string{e.sg}}
	}
	if _, err := e.sm.CreateModel(context.Background(), in); err != nil {
		e.t.Fatalf("create model %s: %v", name, err)
	}
}

func (e *env) notebook(name string, dia smtypes.DirectInternetAccess) {
	e.t.Helper()
	if _, err := e.sm.CreateNotebookInstance(context.Background(), &sagemaker.CreateNotebookInstanceInput{NotebookInstanceName: aws.String(name),
		InstanceType: smtypes.InstanceTypeMlT3Medium, RoleArn: aws.String(execRole), SubnetId: aws.String(e.subnet),
		SecurityGroupIds: []string{e.sg}, DirectInternetAccess: dia}); err != nil {
		e.t.Fatalf("create notebook %s: %v", name, err)
	}
}

func (e *env) notebookStatus(name string) string {
	e.t.Helper()
	out, err := e.sm.DescribeNotebookInstance(context.Background(), &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("describe notebook %s: %v", name, err)
	}
	return string(out.NotebookInstanceStatus)
}

func (e *env) sageMakerTags(arn string) map[string]string {
	e.t.Helper()
	out, err := e.sm.ListTags(context.Background(), &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	if err != nil {
		e.t.Fatalf("list tags of %s: %v", arn, err)
	}
	tags := map[string]string{}
	for _, t := range out.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags
}

// endpoint creates an interface endpoint to SageMaker's API in the VPC.
func (e *env) endpoint(privateDNS bool) string {
	e.t.Helper()
	out, err := e.ec2.CreateVpcEndpoint(context.Background(), &ec2.CreateVpcEndpointInput{VpcId: aws.String(e.vpc),
		ServiceName: aws.String("com.amazonaws.us-east-1.sagemaker.api"), VpcEndpointType: ec2types.VpcEndpointTypeInterface,
		SubnetIds: []string{e.subnet}, SecurityGroupIds: []string{e.sg}, PrivateDnsEnabled: aws.Bool(privateDNS)})
	if err != nil {
		e.t.Fatalf("create endpoint: %v", err)
	}
	return aws.ToString(out.VpcEndpoint.VpcEndpointId)
}

// dnsHostnames turns the VPC's enableDnsHostnames on (moto, like AWS,
// starts a non-default VPC with it off and enableDnsSupport on).
func (e *env) dnsHostnames(on bool) {
	e.t.Helper()
	if _, err := e.ec2.ModifyVpcAttribute(context.Background(), &ec2.ModifyVpcAttributeInput{VpcId: aws.String(e.vpc),
		EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(on)}}); err != nil {
		e.t.Fatalf("modify vpc attribute: %v", err)
	}
}

// config is enforce mode with the guardrails and the re-check queue set.
func (e *env) config() config.Config {
	c := config.Default()
	c.Mode = config.Enforce
	c.ModelGuardrailARN, c.NotebookGuardrailARN = e.modelGR, e.nbGR
	c.RecheckQueueURL, c.RecheckDelaySeconds, c.RecheckMaxAttempts = e.queueURL, 60, 3
	return c
}

// remediator remediates with the env's clients; sm and q replace the
// SageMaker and SQS clients when set.
func (e *env) remediator(cfg config.Config, sm sagemakerapi.Client, q sqsapi.Client) *Remediator {
	if sm == nil {
		sm = e.sm
	}
	if q == nil {
		q = e.sqs
	}
	return &Remediator{Config: cfg, APIs: func(context.Context, string, string) (API, error) {
		return API{IAM: iamapi.New(e.iam), SageMaker: sagemakerapi.New(sm), EC2: ec2api.New(e.ec2), SQS: sqsapi.New(q)}, nil
	}}
}

// evaluator reads state online from moto; sm replaces the SageMaker client.
func (e *env) evaluator(cfg config.Config, sm inventory.SageMakerAPI) *evaluate.Evaluator {
	if sm == nil {
		sm = e.sm
	}
	return &evaluate.Evaluator{Rules: rules.All(), ExemptTagKey: cfg.ExemptTagKey,
		Readers: func(context.Context, string, string) (evaluate.StateReader, error) {
			return &inventory.Reader{SageMaker: sm, EC2: e.ec2}, nil
		}}
}

// evaluate evaluates the sample event events/<name> (after replacing its
// fixed ids) online and expects exactly one result.
func (e *env) evaluate(ev *evaluate.Evaluator, name string, replace ...string) evaluate.Result {
	e.t.Helper()
	event := sampleEvent(e.t, name, replace...)
	rs, err := ev.Event(context.Background(), &event)
	if err != nil {
		e.t.Fatalf("evaluate %s: %v", name, err)
	}
	if len(rs) != 1 {
		e.t.Fatalf("evaluate %s: got %d results; want 1", name, len(rs))
	}
	return rs[0]
}

func sampleEvent(t *testing.T, name string, replace ...string) cloudtrail.Event {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatalf("read sample event: %v", err)
	}
	ev, err := cloudtrail.ParseOne([]byte(strings.NewReplacer(replace...).Replace(string(raw))))
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return ev
}

// action returns the finding's only action of type typ.
func action(t *testing.T, f finding.Finding, typ string) finding.Action {
	t.Helper()
	var found []finding.Action
	for _, a := range f.Actions {
		if a.Type == typ {
			found = append(found, a)
		}
	}
	if len(found) != 1 {
		t.Fatalf("actions of type %s: got %d; want 1 (all actions: %+v)", typ, len(found), f.Actions)
	}
	return found[0]
}

func hasAction(f finding.Finding, typ string) bool {
	for _, a := range f.Actions {
		if a.Type == typ {
			return true
		}
	}
	return false
}

// pendingNotebooks stands in for SageMaker while a notebook is starting:
// moto creates notebook instances InService immediately, so the Pending
// status AWS reports right after CreateNotebookInstance is faked here, on
// the DescribeNotebookInstance answer only.
type pendingNotebooks struct {
	inventory.SageMakerAPI
	mu      sync.Mutex
	pending bool
}

func (p *pendingNotebooks) set(pending bool) {
	p.mu.Lock()
	p.pending = pending
	p.mu.Unlock()
}

func (p *pendingNotebooks) DescribeNotebookInstance(ctx context.Context, in *sagemaker.DescribeNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error) {
	out, err := p.SageMakerAPI.DescribeNotebookInstance(ctx, in, opts...)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil && p.pending {
		out.NotebookInstanceStatus = smtypes.NotebookInstanceStatusPending
	}
	return out, err
}

// sentMessages keeps the SendMessage inputs and passes them on to moto.
type sentMessages struct {
	sqsapi.Client
	mu   sync.Mutex
	sent []*sqs.SendMessageInput
}

func (s *sentMessages) SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	s.mu.Lock()
	s.sent = append(s.sent, in)
	s.mu.Unlock()
	return s.Client.SendMessage(ctx, in, opts...)
}
