// Package world seeds moto_server with the account the sample events in
// events/ talk about: a VPC, the callers (roles and users), the guardrail
// policies (shared/guardrail), the SNS topic tickets go to and, unless told
// not to, the models, notebook instances and VPC endpoints the events name
// plus a few that predate vpcguard. vpcguard demo, reliability/faults and
// reliability/delivery all start from it.
package world

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcguard/vpcguard/internal/testenv/estate"
	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/shared/guardrail"
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
)

// Endpoint is a VPC endpoint a sample event names.
type Endpoint struct {
	ID         string // as the sample events carry it
	Label      string // the Name tag of the seeded endpoint
	Service    string
	PrivateDNS *bool // nil: the API default (on)
	Gateway    bool
}

// Endpoints are the sample events' VPC endpoints.
var Endpoints = []Endpoint{
	{VpceAPI, "sagemaker.api", "com.amazonaws.us-east-1.sagemaker.api", aws.Bool(false), false},
	{VpceRuntime, "sagemaker.runtime", "com.amazonaws.us-east-1.sagemaker.runtime", nil, false},
	{VpceNotebook, "notebook", "aws.sagemaker.us-east-1.notebook", aws.Bool(false), false},
	{VpceS3, "s3", "com.amazonaws.us-east-1.s3", nil, true},
	{VpceSSM, "ssm", "com.amazonaws.us-east-1.ssm", aws.Bool(false), false},
}

// Callers are the IAM roles and users the sample events' calls were made as
// (SageMakerExecution is the models' and notebooks' execution role).
var (
	CallerRoles = []string{"MLEngineer", "DataScientist", "NetworkAdmin", "SageMakerExecution"}
	CallerUsers = []string{"bob", "carol"}
)

// The IAM names of the guardrail policies and the SNS topic, as the CDK stack
// names them.
const (
	ModelGuardrailName    = "vpcguard-model-guardrail"
	NotebookGuardrailName = "vpcguard-notebook-guardrail"
	TopicName             = "vpcguard-findings"
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
	Clients           estate.Clients
	IAM               *iam.Client
	Net               *estate.Network
	ModelGuardrail    string // ARN
	NotebookGuardrail string // ARN
	Topic             string // ARN
	// Endpoints maps each vpce id the sample events carry to the id moto
	// gave the seeded endpoint (moto makes up its own ids). Empty with
	// Options.NoResources.
	Endpoints map[string]string
}

// Seed creates the world on moto at cfg.
func Seed(ctx context.Context, cfg aws.Config, opts Options) (*World, error) {
	w := &World{Clients: estate.New(cfg), IAM: iam.NewFromConfig(cfg), Endpoints: map[string]string{}}
	c := w.Clients
	net, err := c.NewNetwork(ctx, Region)
	if err != nil {
		return nil, err
	}
	w.Net = net
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + motoserver.Account + `:root"},"Action":"sts:AssumeRole"}]}`
	for _, role := range append(append([]string(nil), CallerRoles...), opts.Roles...) {
		if _, err := w.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			return nil, fmt.Errorf("create role %s: %w", role, err)
		}
	}
	for _, user := range CallerUsers {
		if _, err := w.IAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
			return nil, fmt.Errorf("create user %s: %w", user, err)
		}
	}
	for _, p := range []struct {
		name   string
		policy guardrail.Policy
		arn    *string
	}{{ModelGuardrailName, guardrail.Model, &w.ModelGuardrail}, {NotebookGuardrailName, guardrail.Notebook, &w.NotebookGuardrail}} {
		out, err := w.IAM.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(p.name), PolicyDocument: aws.String(p.policy.Document())})
		if err != nil {
			return nil, fmt.Errorf("create policy %s: %w", p.name, err)
		}
		*p.arn = aws.ToString(out.Policy.Arn)
	}
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(TopicName)})
	if err != nil {
		return nil, fmt.Errorf("create topic: %w", err)
	}
	w.Topic = aws.ToString(topic.TopicArn)
	if opts.NoResources {
		return w, nil
	}

	// Models: the sample events' three, and two that predate vpcguard.
	for _, m := range []struct {
		name string
		net  *estate.Network
	}{{"churn-xgb-public", nil}, {"churn-xgb-private", net}, {"fraud-empty-subnets", nil}, {"legacy-scoring", nil}, {"forecast-prod", net}} {
		if err := c.Model(ctx, m.name, m.net, nil); err != nil {
			return nil, err
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
			return nil, err
		}
	}
	for _, ep := range Endpoints {
		var id string
		if ep.Gateway {
			id, err = c.Gateway(ctx, net, ep.Service)
		} else {
			id, err = c.Endpoint(ctx, net, ep.Service, ep.PrivateDNS, ep.Label)
		}
		if err != nil {
			return nil, err
		}
		w.Endpoints[ep.ID] = id
	}
	return w, nil
}

// Rewrite puts the seeded endpoint ids in place of the sample ones.
func (w *World) Rewrite(raw []byte) []byte {
	var pairs []string
	for sample, seeded := range w.Endpoints {
		pairs = append(pairs, sample, seeded)
	}
	return []byte(strings.NewReplacer(pairs...).Replace(string(raw)))
}

// Unrewrite puts the sample ids back in s, so that findings of two runs on
// two fresh moto states (each with its own made-up ids) compare equal.
func (w *World) Unrewrite(s string) string {
	var pairs []string
	for sample, seeded := range w.Endpoints {
		pairs = append(pairs, seeded, sample)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
