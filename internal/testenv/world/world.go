// Package world seeds moto_server with the account the sample events in
// events/ talk about: a VPC, the callers (roles and users), the guardrail
// policies (shared/guardrail), the SNS topic tickets go to and, unless told
// not to, the models, notebook instances, VPC endpoints, Studio domains and
// jobs the events name plus a few that predate vpcguard. vpcguard demo, reliability/faults and
// reliability/delivery all start from it.
package world

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/internal/testenv/estate"
	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// Region is where the sample events happened.
const Region = "us-east-1"

// The vpce ids the sample events carry.
const (
	VpceAPI      = "vpce-0a1b2c3d4e5f60001"
	VpceRuntime  = "vpce-0a1b2c3d4e5f60002"
	VpceNotebook = "vpce-0a1b2c3d4e5f60003"
	VpceS3       = "vpce-0a1b2c3d4e5f60004"
	VpceSSM      = "vpce-0a1b2c3d4e5f60005"
	// VpceSandboxNotebook is the notebook endpoint of the sandbox VPC, which
	// has no sagemaker.api endpoint.
	VpceSandboxNotebook = "vpce-0a1b2c3d4e5f60006"
)

// The VPC and subnet ids the sample events carry: the ml-platform VPC
// (subnets in zones a and b, and a second one in a) and the ml-sandbox VPC
// (one subnet, in a).
const (
	VPCPlatform   = "vpc-0123456789abcdef0"
	SubnetA       = "subnet-0aaa1111bbbb2222c"
	SubnetB       = "subnet-0ddd3333eeee4444f"
	SubnetA2      = "subnet-0aaa5555bbbb6666d"
	VPCSandbox    = "vpc-0fedcba9876543210"
	SubnetSandbox = "subnet-0fff7777aaaa8888e"
)

// Endpoint is a VPC endpoint a sample event names.
type Endpoint struct {
	ID         string // as the sample events carry it
	Label      string // the Name tag of the seeded endpoint
	Service    string
	PrivateDNS *bool // nil: the API default (on)
	Gateway    bool
	Sandbox    bool // in the sandbox VPC, not ml-platform
}

// Endpoints are the sample events' VPC endpoints.
var Endpoints = []Endpoint{
	{VpceAPI, "sagemaker.api", "com.amazonaws.us-east-1.sagemaker.api", aws.Bool(false), false, false},
	{VpceRuntime, "sagemaker.runtime", "com.amazonaws.us-east-1.sagemaker.runtime", nil, false, false},
	{VpceNotebook, "notebook", "aws.sagemaker.us-east-1.notebook", aws.Bool(false), false, false},
	{VpceS3, "s3", "com.amazonaws.us-east-1.s3", nil, true, false},
	{VpceSSM, "ssm", "com.amazonaws.us-east-1.ssm", aws.Bool(false), false, false},
	{VpceSandboxNotebook, "sandbox-notebook", "aws.sagemaker.us-east-1.notebook", aws.Bool(true), false, true},
}

// NetworkIDs maps the sample events' VPC and subnet ids to the seeded ones
// (sandbox may be nil: then only ml-platform's).
func NetworkIDs(net, sandbox *estate.Network) map[string]string {
	ids := map[string]string{VPCPlatform: net.VPC, SubnetA: net.Subnets[0], SubnetB: net.Subnets[1], SubnetA2: net.SameZone}
	if sandbox != nil {
		ids[VPCSandbox], ids[SubnetSandbox] = sandbox.VPC, sandbox.Subnets[0]
	}
	return ids
}

// Callers are the IAM roles and users the sample events' calls were made as
// (SageMakerExecution is the models', notebooks' and jobs' execution role; a
// pipeline's steps run as it). The IAM Identity Center role of
// presigned-domain-url-sso-role.json is not made: IAM refuses changes to
// such roles, and vpcguard never tries.
var (
	CallerRoles = []string{"MLEngineer", "DataScientist", "NetworkAdmin", "SageMakerExecution", "PlatformAdmin"}
	CallerUsers = []string{"bob", "carol"}
)

// The Studio domain ids the sample events carry, by the domain's name.
// moto makes up its own ids (d-NAME), so the events are rewritten.
const (
	DomainProd     = "d-8n3kq7x2v5wm" // studio-prod, VpcOnly
	DomainResearch = "d-4hzp1c9r6tye" // studio-research, PublicInternetOnly
	DomainSandbox  = "d-7wq2m5ks0bxa" // studio-sandbox, created without the setting
	DomainFinance  = "d-1x7v3n9q2pkr" // studio-finance, updated to PublicInternetOnly
)

// Domain is a Studio domain a sample event names, as it is after the
// events (moto has no UpdateDomain: studio-finance is made as its update
// left it).
type Domain struct {
	ID, Name, Access string // Access "" leaves AppNetworkAccessType out
}

// Domains are the sample events' Studio domains.
var Domains = []Domain{
	{DomainProd, "studio-prod", "VpcOnly"},
	{DomainResearch, "studio-research", "PublicInternetOnly"},
	{DomainSandbox, "studio-sandbox", ""},
	{DomainFinance, "studio-finance", "PublicInternetOnly"},
}

// PipelineExecution is the pipeline execution the sample pipeline step
// belongs to.
const PipelineExecution = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-pipeline/execution/x7k2m9"

// The IAM name of the guardrail policy and the SNS topic's name.
const (
	GuardrailName = "vpcguard-guardrail"
	TopicName     = "vpcguard-findings"
)

// Options are what a caller seeds besides the callers, guardrails and topic.
type Options struct {
	// Roles are created after the callers' (a harness's guards' own roles).
	Roles []string
	// NoResources leaves out the models, notebook instances and endpoints:
	// the caller makes the sample events' calls itself.
	NoResources bool
}

// World is the seeded account.
type World struct {
	Clients   estate.Clients
	IAM       *iam.Client
	Net       *estate.Network
	Guardrail string // ARN of the one guardrail policy, every rule's statements
	Topic     string // ARN
	// Endpoints maps each vpce id the sample events carry to the id moto
	// gave the seeded endpoint (moto makes up its own ids). Empty with
	// Options.NoResources.
	Endpoints map[string]string
	// Domains maps each Studio domain id the sample events carry to moto's
	// (d-NAME). Empty with Options.NoResources.
	Domains map[string]string
	// Sandbox is the second VPC (nil with Options.NoResources), and Network
	// maps the sample events' VPC and subnet ids to the seeded ones.
	Sandbox *estate.Network
	Network map[string]string
}

// Seed creates the world on moto at cfg.
func Seed(ctx context.Context, cfg aws.Config, opts Options) (*World, error) {
	w := &World{Clients: estate.New(cfg), IAM: iam.NewFromConfig(cfg), Endpoints: map[string]string{}, Domains: map[string]string{}}
	net, err := w.Clients.NewNetwork(ctx, Region)
	if err != nil {
		return nil, err
	}
	w.Net, w.Network = net, NetworkIDs(net, nil)
	if err := SeedCallers(ctx, w.IAM, opts.Roles...); err != nil {
		return nil, err
	}
	if w.Guardrail, err = SeedGuardrail(ctx, w.IAM); err != nil {
		return nil, err
	}
	if w.Topic, err = SeedTopic(ctx, sns.NewFromConfig(cfg)); err != nil {
		return nil, err
	}
	if opts.NoResources {
		return w, nil
	}
	seeded, err := SeedResources(ctx, w.Clients, net)
	if err != nil {
		return nil, err
	}
	w.Endpoints, w.Sandbox, w.Network = seeded.Endpoints, seeded.Sandbox, seeded.Network
	if w.Domains, err = SeedStudio(ctx, w.Clients, net); err != nil {
		return nil, err
	}
	return w, nil
}

// Each Seed* step below may run again on what it already made (an SDK retry
// of a create that had succeeded, a second seeding of one account): a thing
// that exists already as it would be made counts as made; one that exists
// otherwise is an error.

// SeedCallers creates the sample events' callers, CallerRoles (trusting the
// account) and CallerUsers, then roles.
func SeedCallers(ctx context.Context, c *iam.Client, roles ...string) error {
	for _, role := range append(slices.Clone(CallerRoles), roles...) {
		if err := createRole(ctx, c, role); err != nil {
			return fmt.Errorf("create role %s: %w", role, err)
		}
	}
	for _, user := range CallerUsers {
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil && !alreadyExists(err) {
			return fmt.Errorf("create user %s: %w", user, err)
		}
	}
	return nil
}

// trust is the callers' trust policy: anyone in the account may assume them.
const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + motoserver.Account + `:root"},"Action":"sts:AssumeRole"}]}`

func createRole(ctx context.Context, c *iam.Client, name string) error {
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err == nil || !alreadyExists(err) {
		return err
	}
	got, gerr := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if gerr != nil {
		return fmt.Errorf("%w (and reading it: %v)", err, gerr)
	}
	if doc := aws.ToString(got.Role.AssumeRolePolicyDocument); !sameJSON(doc, trust) {
		return fmt.Errorf("%w, with another trust policy: %s", err, doc)
	}
	return nil
}

// SeedGuardrail creates the guardrail policy as the CDK stack deploys it
// with every rule enforced (rules.GuardrailPolicy) and returns its ARN.
func SeedGuardrail(ctx context.Context, c *iam.Client) (string, error) {
	policy, _ := rules.GuardrailPolicy(rules.All())
	return createPolicy(ctx, c, GuardrailName, policy.Document())
}

// createPolicy creates a customer-managed policy and returns its ARN.
func createPolicy(ctx context.Context, c *iam.Client, name, doc string) (string, error) {
	out, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
	if err == nil {
		return aws.ToString(out.Policy.Arn), nil
	}
	if !alreadyExists(err) {
		return "", fmt.Errorf("create policy %s: %w", name, err)
	}
	arn := "arn:aws:iam::" + motoserver.Account + ":policy/" + name
	p, gerr := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if gerr != nil {
		return "", fmt.Errorf("create policy %s: %w (and reading it: %v)", name, err, gerr)
	}
	v, gerr := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: p.Policy.DefaultVersionId})
	if gerr != nil {
		return "", fmt.Errorf("create policy %s: %w (and reading it: %v)", name, err, gerr)
	}
	if got := aws.ToString(v.PolicyVersion.Document); !sameJSON(got, doc) {
		return "", fmt.Errorf("create policy %s: %w, with another document: %s", name, err, got)
	}
	return arn, nil
}

// SeedTopic creates the SNS topic tickets go to (CreateTopic is idempotent).
func SeedTopic(ctx context.Context, c *sns.Client) (string, error) {
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(TopicName)})
	if err != nil {
		return "", fmt.Errorf("create topic: %w", err)
	}
	return aws.ToString(topic.TopicArn), nil
}

// Seeded is what SeedResources made, by the ids the sample events carry.
type Seeded struct {
	Endpoints map[string]string // sample vpce id -> moto's
	Network   map[string]string // sample VPC and subnet ids -> moto's
	Sandbox   *estate.Network
}

// SeedResources creates, in net and a sandbox VPC it creates, the models,
// notebook instances and VPC endpoints the sample events name, plus a few
// that predate vpcguard. It returns the ids moto gave what the sample
// events name.
func SeedResources(ctx context.Context, c estate.Clients, net *estate.Network) (Seeded, error) {
	sandbox, err := c.NewSandbox(ctx, net.Region)
	if err != nil {
		return Seeded{}, err
	}
	both := []string{net.Subnets[0], net.Subnets[1]}
	inNet := estate.ModelSpec{Subnets: both, SecurityGroups: []string{net.SecurityGroup}}
	// Models: the sample events', and two that predate vpcguard.
	for _, m := range []struct {
		name string
		spec estate.ModelSpec
	}{
		{"churn-xgb-public", estate.ModelSpec{}},
		{"churn-xgb-private", inNet},
		{"fraud-empty-subnets", estate.ModelSpec{}},
		{"legacy-scoring", estate.ModelSpec{}},
		{"forecast-prod", inNet},
		// moto stores no network isolation: it reads isolated only through
		// the isolation fake (internal/testenv/isolation).
		{"fraud-isolated", estate.ModelSpec{Subnets: both, SecurityGroups: []string{net.SecurityGroup}, Isolated: true}},
		{"forecast-one-az", estate.ModelSpec{Subnets: []string{net.Subnets[0], net.SameZone}, SecurityGroups: []string{net.SecurityGroup}}},
		{"sandbox-scoring", estate.ModelSpec{Subnets: sandbox.Subnets, SecurityGroups: []string{sandbox.SecurityGroup}}},
	} {
		if err := c.CreateModel(ctx, m.name, m.spec); err != nil {
			return Seeded{}, err
		}
	}
	// Notebook instances: the sample events' three, and team-sandbox, which
	// predates vpcguard.
	for _, nb := range []struct{ name, internet, subnet string }{
		{"research-open", "Enabled", net.Subnets[0]},
		{"quickstart-default", "", ""},
		{"research-private", "Disabled", net.Subnets[0]},
		{"team-sandbox", "Enabled", net.Subnets[1]},
	} {
		if err := c.Notebook(ctx, nb.name, nb.internet, nb.subnet, net); err != nil {
			return Seeded{}, err
		}
	}
	ids := map[string]string{}
	for _, ep := range Endpoints {
		in := net
		if ep.Sandbox {
			in = sandbox
		}
		var id string
		var err error
		if ep.Gateway {
			id, err = c.Gateway(ctx, in, ep.Service)
		} else {
			id, err = c.Endpoint(ctx, in, ep.Service, ep.PrivateDNS, ep.Label)
		}
		if err != nil {
			return Seeded{}, err
		}
		ids[ep.ID] = id
	}
	return Seeded{Endpoints: ids, Network: NetworkIDs(net, sandbox), Sandbox: sandbox}, nil
}

// SeedStudio creates, in net, the Studio domains and the jobs the sample
// events name, as the events leave them, plus a training job that predates
// vpcguard. It returns the id moto gave each domain, by the id the sample
// events carry. moto creates training, processing and tuning jobs
// Completed, and AutoML jobs InProgress (until stopped).
func SeedStudio(ctx context.Context, c estate.Clients, net *estate.Network) (map[string]string, error) {
	ids := map[string]string{}
	for _, d := range Domains {
		id, err := c.Domain(ctx, d.Name, d.Access, net, nil)
		if err != nil {
			return nil, err
		}
		ids[d.ID] = id
	}
	for _, j := range []struct {
		name string
		net  *estate.Network
	}{{"churn-train-public", nil}, {"churn-train-private", net}, {"churn-hpo-001-6f3c2a1b", nil}, {"nightly-retrain", nil}} {
		if err := c.TrainingJob(ctx, j.name, j.net); err != nil {
			return nil, err
		}
	}
	if err := c.TuningJob(ctx, "churn-hpo", net, true, false); err != nil {
		return nil, err
	}
	if err := c.ProcessingJob(ctx, "pipelines-x7k2m9-preprocess-4d1e8b", nil, map[string]string{"sagemaker:pipeline-execution-arn": PipelineExecution}); err != nil {
		return nil, err
	}
	if err := c.AutoMLJob(ctx, "churn-autopilot", nil); err != nil {
		return nil, err
	}
	if err := c.AutoMLJob(ctx, "fraud-autopilot", net); err != nil {
		return nil, err
	}
	return ids, nil
}

func alreadyExists(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "EntityAlreadyExists"
}

// sameJSON reports whether two policy documents say the same (IAM may hand
// a document back URL-encoded and formatted its own way).
func sameJSON(got, want string) bool {
	if u, err := url.QueryUnescape(got); err == nil {
		got = u
	}
	var g, w any
	if json.Unmarshal([]byte(got), &g) != nil || json.Unmarshal([]byte(want), &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}

// Rewrite puts the seeded endpoint, VPC, subnet and domain ids in place of
// the sample ones.
func (w *World) Rewrite(raw []byte) []byte {
	var pairs []string
	for _, m := range []map[string]string{w.Endpoints, w.Network, w.Domains} {
		for sample, seeded := range m {
			pairs = append(pairs, sample, seeded)
		}
	}
	return []byte(strings.NewReplacer(pairs...).Replace(string(raw)))
}

// Unrewrite puts the sample ids back in s, so that findings of two runs on
// two fresh moto states (each with its own made-up ids) compare equal.
func (w *World) Unrewrite(s string) string {
	var pairs []string
	for _, m := range []map[string]string{w.Endpoints, w.Network, w.Domains} {
		for sample, seeded := range m {
			pairs = append(pairs, seeded, sample)
		}
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
