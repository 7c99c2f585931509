// Package faults runs vpcguard's guards and backfill on moto_server through
// a fault-injecting proxy (shared/faultproxy) and checks that throttling
// changes nothing but the time taken, and that a failing service is never
// silently dropped: the guard returns the error (Lambda retries, then the
// dead-letter queue keeps the event) and the backfill reports it.
//
// This file seeds the account the sample events talk about (as vpcguard
// demo does) and lists the events in the order they happened; delivery.go
// models Lambda's asynchronous delivery. The tests are in faults_test.go.
package faults

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcguard/vpcguard/shared/backfill/estate"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/motoserver"
)

// Region is where the sample events happened.
const Region = "us-east-1"

// World is the seeded account: the resources of the sample events, their
// callers, the guardrail policies and the SNS topic tickets go to.
type World struct {
	Net               *estate.Network
	ModelGuardrail    string
	NotebookGuardrail string
	Topic             string
	// Endpoints maps each vpce id the sample events carry to the id moto
	// gave the seeded endpoint (moto makes up its own ids).
	Endpoints map[string]string

	clients estate.Clients
	iam     *iam.Client
}

// The sample events' vpce ids and the endpoint each stands for.
var sampleEndpoints = []struct {
	id, service string
	privateDNS  *bool // nil: the API default (on)
	gateway     bool
}{
	{"vpce-0a1b2c3d4e5f60001", "com.amazonaws.us-east-1.sagemaker.api", aws.Bool(false), false},
	{"vpce-0a1b2c3d4e5f60002", "com.amazonaws.us-east-1.sagemaker.runtime", nil, false},
	{"vpce-0a1b2c3d4e5f60003", "aws.sagemaker.us-east-1.notebook", aws.Bool(false), false},
	{"vpce-0a1b2c3d4e5f60004", "com.amazonaws.us-east-1.s3", nil, true},
	{"vpce-0a1b2c3d4e5f60005", "com.amazonaws.us-east-1.ssm", aws.Bool(false), false},
}

// Seed creates, on moto at cfg (not through a fault proxy: seeding is not
// under test), everything the sample events refer to, plus what predates
// vpcguard, as vpcguard demo does.
func Seed(ctx context.Context, cfg aws.Config) (*World, error) {
	w := &World{clients: estate.New(cfg), iam: iam.NewFromConfig(cfg), Endpoints: map[string]string{}}
	c := w.clients
	net, err := c.NewNetwork(ctx, Region)
	if err != nil {
		return nil, err
	}
	w.Net = net
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + motoserver.Account + `:root"},"Action":"sts:AssumeRole"}]}`
	for _, role := range []string{"MLEngineer", "DataScientist", "NetworkAdmin", "SageMakerExecution"} {
		if _, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			return nil, fmt.Errorf("create role %s: %w", role, err)
		}
	}
	for _, user := range []string{"bob", "carol"} {
		if _, err := w.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
			return nil, fmt.Errorf("create user %s: %w", user, err)
		}
	}
	for _, p := range []struct {
		name   string
		policy guardrail.Policy
		arn    *string
	}{{"vpcguard-model-guardrail", guardrail.Model, &w.ModelGuardrail}, {"vpcguard-notebook-guardrail", guardrail.Notebook, &w.NotebookGuardrail}} {
		out, err := w.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(p.name), PolicyDocument: aws.String(p.policy.Document())})
		if err != nil {
			return nil, fmt.Errorf("create policy %s: %w", p.name, err)
		}
		*p.arn = aws.ToString(out.Policy.Arn)
	}
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("vpcguard-findings")})
	if err != nil {
		return nil, fmt.Errorf("create topic: %w", err)
	}
	w.Topic = aws.ToString(topic.TopicArn)

	for _, m := range []struct {
		name string
		net  *estate.Network
	}{{"churn-xgb-public", nil}, {"churn-xgb-private", net}, {"fraud-empty-subnets", nil}, {"legacy-scoring", nil}, {"forecast-prod", net}} {
		if err := c.Model(ctx, m.name, m.net, nil); err != nil {
			return nil, err
		}
	}
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
	for _, ep := range sampleEndpoints {
		var id string
		if ep.gateway {
			id, err = c.Gateway(ctx, net, ep.service)
		} else {
			id, err = c.Endpoint(ctx, net, ep.service, ep.privateDNS, "")
		}
		if err != nil {
			return nil, err
		}
		w.Endpoints[ep.id] = id
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

// Step is one sample event, replayed after Before has made the world look
// the way the event says it did.
type Step struct {
	File   string
	Before func(ctx context.Context, w *World) error
}

// Steps is every sample event in events/, in the order it happened.
var Steps = []Step{
	{File: "model-create-no-vpc.json"},
	{File: "model-create-in-vpc.json"},
	{File: "model-create-empty-subnets.json"},
	{File: "model-create-denied.json"},
	{File: "notebook-create-internet-enabled.json"},
	{File: "notebook-create-internet-omitted.json"},
	{File: "notebook-create-private.json"},
	// dave started research-open again after the guard stopped it.
	{File: "notebook-start.json", Before: startNotebook("research-open")},
	{File: "endpoint-create-api-private-dns-off.json"},
	{File: "endpoint-create-runtime-private-dns-default.json"},
	{File: "endpoint-create-notebook-private-dns-off.json"},
	{File: "endpoint-create-s3-gateway.json"},
	{File: "endpoint-create-ssm-private-dns-off.json"},
	{File: "endpoint-modify-private-dns-off.json"},
	{File: "cloudtrail-log-file.json"},
	{File: "model-delete.json", Before: func(ctx context.Context, w *World) error {
		_, err := w.clients.SageMaker.DeleteModel(ctx, &sagemaker.DeleteModelInput{ModelName: aws.String("churn-xgb-public")})
		return err
	}},
	{File: "endpoint-delete.json", Before: func(ctx context.Context, w *World) error {
		_, err := w.clients.EC2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{w.Endpoints["vpce-0a1b2c3d4e5f60001"]}})
		return err
	}},
}

// startNotebook starts a notebook the guard stopped. When the guard could
// not stop it (a failing service) it is still running, as it would be.
func startNotebook(name string) func(context.Context, *World) error {
	return func(ctx context.Context, w *World) error {
		out, err := w.clients.SageMaker.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
		if err != nil {
			return err
		}
		if out.NotebookInstanceStatus != smtypes.NotebookInstanceStatusStopped {
			return nil
		}
		_, err = w.clients.SageMaker.StartNotebookInstance(ctx, &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
		return err
	}
}
