// Package testenv builds the environment vpcguard's integration tests run
// in: an AWS account on moto_server (one emulator per test binary, reset for
// each Env), seeded like the account the sample events in events/ talk about
// (internal/testenv/world), with SDK clients whose every request is recorded
// and readers for what vpcguard left behind (attached policies, tags,
// Security Hub findings, the messages SNS delivered). It also has what moto
// lacks: an OpsCenter fake, and a SageMaker that reports a notebook Pending.
//
// It is test machinery: it may import product packages (the few that import
// none of the packages whose tests use it), never the reverse.
package testenv

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpcguard/vpcguard/internal/testenv/estate"
	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/internal/testenv/recorder"
	"github.com/vpcguard/vpcguard/internal/testenv/world"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/mode"
)

// Region and Account are where the sample events happened, and what moto
// answers as.
const (
	Region  = world.Region
	Account = motoserver.Account
	// ExecutionRole is the role the seeded models and notebooks run as.
	ExecutionRole = estate.ExecutionRole
)

// Main is a test binary's TestMain: one moto_server for the package's tests.
func Main(m *testing.M) { motoserver.Main(m.Run) }

// Part is something New seeds.
type Part uint

const (
	// Network is a VPC with DNS support and hostnames on, a subnet in each
	// of two zones and a security group.
	Network Part = 1 << iota
	// Callers are the IAM roles and users the sample events' calls were
	// made as (world.CallerRoles, world.CallerUsers).
	Callers
	// Guardrails are the guardrail policies, as the CDK stack creates them.
	Guardrails
	// RecheckQueue is the SQS queue of notebook re-checks.
	RecheckQueue
	// Topic is the SNS topic tickets go to, with an SQS queue subscribed
	// (the inbox) so that a test reads what SNS delivered.
	Topic
	// SampleResources are the models, notebook instances, VPC endpoints,
	// Studio domains and jobs the sample events name, and a few that predate
	// vpcguard (needs Network).
	SampleResources

	// SampleAccount is the sample events' account without their resources:
	// what a guard needs. New seeds it unless told otherwise.
	SampleAccount = Network | Callers | Guardrails | RecheckQueue | Topic
)

// Option changes what New builds.
type Option func(*options)

type options struct {
	parts        Part
	dnsHostnames bool
	roles        []string
	configure    []func(*aws.Config)
}

// Seed seeds exactly parts (none: an empty account).
func Seed(parts Part) Option { return func(o *options) { o.parts = parts } }

// DNSHostnames sets the VPC's enableDnsHostnames (on unless told; AWS and
// moto start a new VPC with it off).
func DNSHostnames(on bool) Option { return func(o *options) { o.dnsHostnames = on } }

// Roles are created besides the callers (e.g. the guards' own roles).
func Roles(names ...string) Option { return func(o *options) { o.roles = append(o.roles, names...) } }

// Configure edits the aws.Config every client is built from (a retryer,
// fault-injecting middleware), before the clients are built.
func Configure(edit func(*aws.Config)) Option {
	return func(o *options) { o.configure = append(o.configure, edit) }
}

// APIOptions adds smithy middleware to every client.
func APIOptions(fns ...func(*middleware.Stack) error) Option {
	return Configure(func(c *aws.Config) { c.APIOptions = append(c.APIOptions, fns...) })
}

// Env is one test's account on a freshly reset moto_server.
type Env struct {
	T      testing.TB
	Server *motoserver.Server
	// Config is what the clients are built from: moto's endpoint, and the
	// recorder (after any Configure edits). Clients a test builds from it
	// are recorded too.
	Config   aws.Config
	Recorder *recorder.Recorder

	IAM         *iam.Client
	SageMaker   *sagemaker.Client
	EC2         *ec2.Client
	SQS         *sqs.Client
	SNS         *sns.Client
	SecurityHub *securityhub.Client

	// What was seeded; empty for the parts that were not.
	Net                                 *estate.Network
	VPC, Subnet, SecurityGroup          string // Subnet is Net.Subnets[0]
	Guardrail                           string // the guardrail policy's ARN
	RecheckQueueURL, TopicARN, InboxURL string
	Endpoints                           map[string]string // sample vpce id -> moto's (SampleResources)
	Domains                             map[string]string // sample Studio domain id -> moto's (SampleResources)
	// Sandbox is the second VPC SampleResources creates; NetworkIDs maps the
	// sample events' VPC and subnet ids to the seeded ones (Network).
	Sandbox    *estate.Network
	NetworkIDs map[string]string
}

// New resets the package's moto_server (see Main) and seeds it: by default
// SampleAccount. Seeding requests are not in the recorder.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	o := options{parts: SampleAccount, dnsHostnames: true}
	for _, opt := range opts {
		opt(&o)
	}
	srv := motoserver.Require(t)
	e := &Env{T: t, Server: srv, Recorder: &recorder.Recorder{}}
	e.Config = srv.Config(Region)
	for _, edit := range o.configure {
		edit(&e.Config)
	}
	e.Config.APIOptions = append(e.Config.APIOptions, e.Recorder.Option)
	e.IAM, e.SageMaker, e.EC2 = iam.NewFromConfig(e.Config), sagemaker.NewFromConfig(e.Config), ec2.NewFromConfig(e.Config)
	e.SQS, e.SNS, e.SecurityHub = sqs.NewFromConfig(e.Config), sns.NewFromConfig(e.Config), securityhub.NewFromConfig(e.Config)
	e.seed(o)
	e.Recorder.Reset()
	return e
}

func (e *Env) seed(o options) {
	e.T.Helper()
	ctx := context.Background()
	must := func(err error) {
		e.T.Helper()
		if err != nil {
			e.T.Fatalf("seed: %v", err)
		}
	}
	var err error
	if o.parts&Network != 0 {
		e.Net, err = e.Estate(Region).NewNetwork(ctx, Region)
		must(err)
		e.VPC, e.Subnet, e.SecurityGroup = e.Net.VPC, e.Net.Subnets[0], e.Net.SecurityGroup
		e.NetworkIDs = world.NetworkIDs(e.Net, nil)
		if !o.dnsHostnames {
			e.SetDNSHostnames(false)
		}
	}
	if o.parts&Callers != 0 || len(o.roles) > 0 {
		must(world.SeedCallers(ctx, e.IAM, o.roles...))
	}
	if o.parts&Guardrails != 0 {
		e.Guardrail, err = world.SeedGuardrail(ctx, e.IAM)
		must(err)
	}
	if o.parts&RecheckQueue != 0 {
		e.RecheckQueueURL = e.Queue("vpcguard-rechecks")
	}
	if o.parts&Topic != 0 {
		e.TopicARN, err = world.SeedTopic(ctx, e.SNS)
		must(err)
		e.InboxURL = e.Queue("vpcguard-inbox")
		arn, err := e.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(e.InboxURL),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		must(err)
		_, err = e.SNS.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(e.TopicARN), Protocol: aws.String("sqs"),
			Endpoint: aws.String(arn.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])})
		must(err)
	}
	if o.parts&SampleResources != 0 {
		seeded, err := world.SeedResources(ctx, e.Estate(Region), e.Net)
		must(err)
		e.Endpoints, e.Sandbox, e.NetworkIDs = seeded.Endpoints, seeded.Sandbox, seeded.Network
		e.Domains, err = world.SeedStudio(ctx, e.Estate(Region), e.Net)
		must(err)
	}
}

// World is the seeded account as the world package describes it, for the
// code shared with the demo (world.Rewrite of sample ids, and the like).
func (e *Env) World() *world.World {
	return &world.World{Clients: e.Estate(Region), IAM: e.IAM, Net: e.Net, Guardrail: e.Guardrail,
		Topic: e.TopicARN, Endpoints: e.Endpoints, Sandbox: e.Sandbox, Network: e.NetworkIDs, Domains: e.Domains}
}

// Estate is the seeding clients (estate) for region, on Config.
func (e *Env) Estate(region string) estate.Clients {
	cfg := e.Config.Copy()
	cfg.Region = region
	return estate.New(cfg)
}

// Queue creates an SQS queue (CreateQueue is idempotent) and returns its URL.
func (e *Env) Queue(name string) string {
	e.T.Helper()
	q, err := e.SQS.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		e.T.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(q.QueueUrl)
}

// SetDNSHostnames sets the VPC's enableDnsHostnames.
func (e *Env) SetDNSHostnames(on bool) {
	e.T.Helper()
	if _, err := e.EC2.ModifyVpcAttribute(context.Background(), &ec2.ModifyVpcAttributeInput{VpcId: aws.String(e.VPC),
		EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(on)}}); err != nil {
		e.T.Fatalf("modify vpc attribute: %v", err)
	}
}

// GuardConfig is mode with every remediation and the Security Hub and SNS
// ticket sinks set up on what was seeded (re-checks every 60 s, 3 at most).
func (e *Env) GuardConfig(m mode.Mode) config.Config {
	e.T.Helper()
	c := config.Default()
	c.Mode = m
	if e.TopicARN != "" {
		c.Sinks = []string{config.SinkSecurityHub, config.SinkSNS}
		c.SNSTopicARN = e.TopicARN
	}
	c.GuardrailARN = e.Guardrail
	c.RecheckQueueURL, c.RecheckDelaySeconds, c.RecheckMaxAttempts = e.RecheckQueueURL, 60, 3
	if err := c.Validate(); err != nil {
		e.T.Fatalf("config: %v", err)
	}
	return c
}

// Setenv points what reads the environment (awsclients.Load, the CLI, a
// child process) at endpoint, or at moto when endpoint is "": the test
// credentials, Region, and no shared config or credentials files. It is
// undone when the test ends.
func (e *Env) Setenv(endpoint string) {
	e.T.Helper()
	for _, kv := range e.Server.Env(e.Config.Region) {
		k, v, _ := strings.Cut(kv, "=")
		e.T.Setenv(k, v)
	}
	if endpoint != "" {
		e.T.Setenv("AWS_ENDPOINT_URL", endpoint)
	}
	e.T.Setenv("AWS_CONFIG_FILE", os.DevNull)
	e.T.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
}
