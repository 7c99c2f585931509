// Package faults runs vpcguard's guards and backfill on moto_server through
// a fault-injecting proxy (internal/testenv/faultproxy) and checks that throttling
// changes nothing but the time taken, and that a failing service is never
// silently dropped: the guard returns the error (Lambda retries, then the
// dead-letter queue keeps the event) and the backfill reports it.
//
// The tests seed the account the sample events talk about with internal/testenv/world
// (as vpcguard demo does); this file lists the events in the order they
// happened; delivery.go models Lambda's asynchronous delivery. The tests are
// in faults_test.go.
package faults

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/internal/testenv/world"
)

// Step is one sample event, replayed after Before has made the world look
// the way the event says it did.
type Step struct {
	File   string
	Before func(ctx context.Context, w *world.World) error
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
	{File: "model-delete.json", Before: func(ctx context.Context, w *world.World) error {
		_, err := w.Clients.SageMaker.DeleteModel(ctx, &sagemaker.DeleteModelInput{ModelName: aws.String("churn-xgb-public")})
		return err
	}},
	{File: "endpoint-delete.json", Before: func(ctx context.Context, w *world.World) error {
		_, err := w.Clients.EC2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{w.Endpoints[world.VpceAPI]}})
		return err
	}},
	{File: "model-create-network-isolation.json"},
	{File: "model-create-one-subnet.json"},
	{File: "model-create-one-az.json"},
	{File: "endpoint-create-notebook-no-api.json"},
	// The Studio domains and jobs are seeded as the events leave them (moto
	// has no UpdateDomain; its jobs finish at once, but AutoML's).
	{File: "domain-create-vpc-only.json"},
	{File: "domain-create-public.json"},
	{File: "domain-create-network-omitted.json"},
	{File: "domain-update-public.json"},
	{File: "domain-update-settings.json"},
	{File: "job-training-no-vpc.json"},
	{File: "job-training-in-vpc.json"},
	{File: "job-tuning-definition-without-vpc.json"},
	{File: "job-training-tuning-child.json"},
	{File: "job-processing-pipeline-step.json"},
	{File: "job-automl-v2-no-vpc.json"},
	{File: "job-automl-in-vpc.json"},
	// Presigned URL calls change nothing in the account.
	{File: "presigned-domain-url-public-ip.json"},
	{File: "presigned-domain-url-via-endpoint.json"},
	{File: "presigned-domain-url-sso-role.json"},
	{File: "presigned-notebook-url-public-ip.json"},
	{File: "presigned-notebook-url-private-ip.json"},
}

// startNotebook starts a notebook the guard stopped. When the guard could
// not stop it (a failing service) it is still running, as it would be.
func startNotebook(name string) func(context.Context, *world.World) error {
	return func(ctx context.Context, w *world.World) error {
		out, err := w.Clients.SageMaker.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
		if err != nil {
			return err
		}
		if out.NotebookInstanceStatus != smtypes.NotebookInstanceStatusStopped {
			return nil
		}
		_, err = w.Clients.SageMaker.StartNotebookInstance(ctx, &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
		return err
	}
}
