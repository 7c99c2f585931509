package guard_test

import (
	"context"
	"encoding/json"
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
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/inventory"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

func TestMain(m *testing.M) { motoserver.Main(m.Run) }

const (
	region   = "us-east-1"
	acct     = motoserver.Account
	execRole = "arn:aws:iam::" + acct + ":role/SageMakerExecution"
)

// writes are the operations that change something in AWS. A mode that must
// change nothing sends none of them.
var writes = []string{
	"AttachRolePolicy", "AttachUserPolicy", "StopNotebookInstance", "AddTags", "DeleteModel",
	"ModifyVpcEndpoint", "CreateTags", "SendMessage", "BatchImportFindings", "Publish",
}

// recorder is smithy middleware that keeps every operation's name and input
// as the client sent it: moto ignores PrivateDnsEnabled on ModifyVpcEndpoint,
// so the request is what a test can assert on.
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

func (r *recorder) reset() {
	r.mu.Lock()
	r.calls = nil
	r.mu.Unlock()
}

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

// writeCalls counts the write operations sent, by name.
func (r *recorder) writeCalls() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := map[string]int{}
	for _, c := range r.calls {
		for _, w := range writes {
			if c.op == w {
				got[w]++
			}
		}
	}
	return got
}

// env is a moto account seeded for the guard: a VPC with DNS support and
// hostnames on, a subnet and security group, the callers of the sample
// events, the guardrail policies, a re-check queue, an SNS topic with an
// SQS subscription (the inbox), and every client recording its requests.
type env struct {
	t        *testing.T
	srv      *motoserver.Server
	rec      *recorder
	cfg      aws.Config
	iam      *iam.Client
	sm       *sagemaker.Client
	ec2      *ec2.Client
	sqs      *sqs.Client
	hub      *securityhub.Client
	vpc      string
	subnet   string
	sg       string
	modelGR  string
	nbGR     string
	queueURL string
	topicARN string
	inboxURL string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	srv := motoserver.Require(t)
	e := &env{t: t, srv: srv, rec: &recorder{}}
	e.cfg = srv.Config(region)
	e.cfg.APIOptions = append(e.cfg.APIOptions, e.rec.option)
	e.iam, e.sm, e.ec2 = iam.NewFromConfig(e.cfg), sagemaker.NewFromConfig(e.cfg), ec2.NewFromConfig(e.cfg)
	e.sqs, e.hub = sqs.NewFromConfig(e.cfg), securityhub.NewFromConfig(e.cfg)
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	vpc, err := e.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	must("create vpc", err)
	e.vpc = aws.ToString(vpc.Vpc.VpcId)
	for _, attr := range []*ec2.ModifyVpcAttributeInput{
		{VpcId: aws.String(e.vpc), EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}},
		{VpcId: aws.String(e.vpc), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}},
	} {
		_, err := e.ec2.ModifyVpcAttribute(ctx, attr)
		must("modify vpc attribute", err)
	}
	sub, err := e.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(e.vpc), CidrBlock: aws.String("10.0.1.0/24")})
	must("create subnet", err)
	e.subnet = aws.ToString(sub.Subnet.SubnetId)
	sg, err := e.ec2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("ml"), Description: aws.String("ml"), VpcId: aws.String(e.vpc)})
	must("create security group", err)
	e.sg = aws.ToString(sg.GroupId)

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	for _, name := range []string{"MLEngineer", "DataScientist", "NetworkAdmin"} {
		_, err := e.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
		must("create role "+name, err)
	}
	for _, name := range []string{"bob", "carol"} {
		_, err := e.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
		must("create user "+name, err)
	}
	p, err := e.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("vpcguard-model-guardrail"),
		PolicyDocument: aws.String(guardrail.Model.Document())})
	must("create policy", err)
	e.modelGR = aws.ToString(p.Policy.Arn)
	p, err = e.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("vpcguard-notebook-guardrail"),
		PolicyDocument: aws.String(guardrail.Notebook.Document())})
	must("create policy", err)
	e.nbGR = aws.ToString(p.Policy.Arn)

	q, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("vpcguard-rechecks")})
	must("create queue", err)
	e.queueURL = aws.ToString(q.QueueUrl)

	snsc := sns.NewFromConfig(srv.Config(region))
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("vpcguard-findings")})
	must("create topic", err)
	e.topicARN = aws.ToString(topic.TopicArn)
	inbox, err := e.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("vpcguard-inbox")})
	must("create inbox", err)
	e.inboxURL = aws.ToString(inbox.QueueUrl)
	attrs, err := e.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: inbox.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	must("inbox arn", err)
	_, err = snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"])})
	must("subscribe inbox", err)
	e.rec.reset()
	return e
}

// config is the given mode with every remediation and ticket sink set up.
func (e *env) config(mode config.Mode) config.Config {
	c := config.Default()
	c.Mode = mode
	c.Sinks = []string{config.SinkSecurityHub, config.SinkSNS}
	c.SNSTopicARN = e.topicARN
	c.ModelGuardrailARN, c.NotebookGuardrailARN = e.modelGR, e.nbGR
	c.RecheckQueueURL, c.RecheckDelaySeconds, c.RecheckMaxAttempts = e.queueURL, 60, 3
	if err := c.Validate(); err != nil {
		e.t.Fatalf("config: %v", err)
	}
	return c
}

// handler builds the guard as the Lambdas do, through setup.Guard, on
// clients for moto that record their requests.
func (e *env) handler(c config.Config, rs ...rules.Rule) *guard.Handler {
	if len(rs) == 0 {
		rs = rules.All()
	}
	accounts := awsclients.NewAccounts(e.cfg, "")
	accounts.SetHomeAccount(acct)
	g := setup.Guard(c, accounts, rs, false, nil)
	h := &guard.Handler{Guard: g}
	if rem, ok := g.Remediator.(*remediate.Remediator); ok {
		h.Rechecker = rem
	}
	return h
}

// withReader replaces the guard's state reader's SageMaker client.
func (e *env) withReader(h *guard.Handler, sm inventory.SageMakerAPI) {
	h.Guard.Evaluator.Readers = func(context.Context, string, string) (evaluate.StateReader, error) {
		return &inventory.Reader{SageMaker: sm, EC2: e.ec2}, nil
	}
}

func (e *env) model(name string) {
	e.t.Helper()
	if _, err := e.sm.CreateModel(context.Background(), &sagemaker.CreateModelInput{ModelName: aws.String(name), ExecutionRoleArn: aws.String(execRole),
		PrimaryContainer: &smtypes.ContainerDefinition{Image: aws.String("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")}}); err != nil {
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

func (e *env) notebookStatus(name string) string {
	e.t.Helper()
	out, err := e.sm.DescribeNotebookInstance(context.Background(), &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	if err != nil {
		e.t.Fatalf("describe notebook %s: %v", name, err)
	}
	return string(out.NotebookInstanceStatus)
}

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

// hubFindings is every Security Hub finding moto holds. moto ignores
// GetFindings filters, so none are sent.
func (e *env) hubFindings() int {
	e.t.Helper()
	out, err := e.hub.GetFindings(context.Background(), &securityhub.GetFindingsInput{})
	if err != nil {
		e.t.Fatalf("get findings: %v", err)
	}
	return len(out.Findings)
}

// inbox drains the SNS subscription's queue and returns the subjects of the
// messages SNS delivered.
func (e *env) inbox() []string {
	e.t.Helper()
	return e.drain(e.inboxURL, func(body string) string {
		var n struct{ Subject string }
		if err := json.Unmarshal([]byte(body), &n); err != nil {
			e.t.Fatalf("decode sns envelope: %v", err)
		}
		return n.Subject
	})
}

func (e *env) drain(url string, read func(body string) string) []string {
	e.t.Helper()
	ctx := context.Background()
	var got []string
	for {
		out, err := e.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10})
		if err != nil {
			e.t.Fatalf("receive: %v", err)
		}
		if len(out.Messages) == 0 {
			return got
		}
		for _, m := range out.Messages {
			got = append(got, read(aws.ToString(m.Body)))
			if _, err := e.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				e.t.Fatalf("delete message: %v", err)
			}
		}
	}
}

// sample reads events/<name> with the sample's fixed ids replaced.
func sample(t *testing.T, name string, replace ...string) json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatalf("read sample event: %v", err)
	}
	return json.RawMessage(strings.NewReplacer(replace...).Replace(string(raw)))
}

// handle runs the handler on an EventBridge event and expects a Response.
func handle(t *testing.T, h *guard.Handler, raw json.RawMessage) (guard.Response, error) {
	t.Helper()
	out, err := h.Handle(context.Background(), raw)
	resp, ok := out.(guard.Response)
	if !ok {
		t.Fatalf("Handle returned %T; want guard.Response", out)
	}
	return resp, err
}

// only returns the single finding of resp.
func only(t *testing.T, resp guard.Response) finding.Finding {
	t.Helper()
	if len(resp.Findings) != 1 {
		t.Fatalf("got %d findings; want 1: %+v (skipped %+v)", len(resp.Findings), resp.Findings, resp.Skipped)
	}
	return resp.Findings[0]
}

func actionOf(f finding.Finding, typ string) (finding.Action, bool) {
	for _, a := range f.Actions {
		if a.Type == typ {
			return a, true
		}
	}
	return finding.Action{}, false
}

// pendingNotebooks fakes a notebook still starting: moto creates notebook
// instances InService at once, so the Pending status AWS reports right after
// CreateNotebookInstance is put on the DescribeNotebookInstance answer here.
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
