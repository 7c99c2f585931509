package testenv

import (
	"context"

	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/internal/testenv/estate"
)

// The creators below make what a sample event says was made, in the seeded
// network, and fail the test when they cannot.

// Model creates a model, in the network's subnets when inVPC.
func (e *Env) Model(name string, inVPC bool, tags map[string]string) {
	e.T.Helper()
	if err := e.Estate(e.Config.Region).Model(context.Background(), name, e.in(inVPC), tags); err != nil {
		e.T.Fatal(err)
	}
}

// Notebook creates a notebook instance with direct internet access dia
// ("" leaves it out: AWS then enables it), in the first subnet when inVPC.
func (e *Env) Notebook(name string, dia smtypes.DirectInternetAccess, inVPC bool) {
	e.T.Helper()
	subnet := ""
	if inVPC {
		subnet = e.Subnet
	}
	if err := e.Estate(e.Config.Region).Notebook(context.Background(), name, string(dia), subnet, e.Net); err != nil {
		e.T.Fatal(err)
	}
}

// Endpoint creates an interface VPC endpoint to service; privateDNS nil
// leaves the API default (on). It returns moto's id for it.
func (e *Env) Endpoint(service string, privateDNS *bool) string {
	e.T.Helper()
	id, err := e.Estate(e.Config.Region).Endpoint(context.Background(), e.Net, service, privateDNS, "")
	if err != nil {
		e.T.Fatal(err)
	}
	return id
}

// Gateway creates a gateway VPC endpoint (S3) and returns its id.
func (e *Env) Gateway(service string) string {
	e.T.Helper()
	id, err := e.Estate(e.Config.Region).Gateway(context.Background(), e.Net, service)
	if err != nil {
		e.T.Fatal(err)
	}
	return id
}

func (e *Env) in(inVPC bool) *estate.Network {
	if !inVPC {
		return nil
	}
	if e.Net == nil {
		e.T.Fatalf("testenv: a resource in the VPC needs the Network part seeded")
	}
	return e.Net
}

// Domain creates a Studio domain in the seeded network with AppNetworkAccessType
// access ("" leaves it out: AWS then uses PublicInternetOnly), and returns
// the id moto gave it (d-NAME).
func (e *Env) Domain(name, access string) string {
	e.T.Helper()
	id, err := e.Estate(e.Config.Region).Domain(context.Background(), name, access, e.in(true), nil)
	if err != nil {
		e.T.Fatal(err)
	}
	return id
}

// TrainingJob creates a training job (moto: Completed at once), in the
// seeded network's subnets when inVPC.
func (e *Env) TrainingJob(name string, inVPC bool) {
	e.T.Helper()
	if err := e.Estate(e.Config.Region).TrainingJob(context.Background(), name, e.in(inVPC)); err != nil {
		e.T.Fatal(err)
	}
}

// ProcessingJob creates a processing job (moto: Completed at once), in the
// seeded network's subnets when inVPC.
func (e *Env) ProcessingJob(name string, inVPC bool, tags map[string]string) {
	e.T.Helper()
	if err := e.Estate(e.Config.Region).ProcessingJob(context.Background(), name, e.in(inVPC), tags); err != nil {
		e.T.Fatal(err)
	}
}

// TuningJob creates a tuning job with a training job definition per entry
// of inVPC (moto: Completed at once).
func (e *Env) TuningJob(name string, inVPC ...bool) {
	e.T.Helper()
	if err := e.Estate(e.Config.Region).TuningJob(context.Background(), name, e.Net, inVPC...); err != nil {
		e.T.Fatal(err)
	}
}

// AutoMLJob creates an AutoML job (moto: InProgress until stopped), in the
// seeded network's subnets when inVPC.
func (e *Env) AutoMLJob(name string, inVPC bool) {
	e.T.Helper()
	if err := e.Estate(e.Config.Region).AutoMLJob(context.Background(), name, e.in(inVPC)); err != nil {
		e.T.Fatal(err)
	}
}
