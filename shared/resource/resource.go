// Package resource holds what vpcguard knows about the kinds of resource it
// guards: read from AWS (online) or taken from an event (offline).
// Rules decide on these values and nothing else.
package resource

import (
	"fmt"
	"strings"
	"time"
)

// Kind is a resource's CloudFormation type, or, for what CloudFormation
// has no type for, a type name of vpcguard's own in the same form, its
// first part vpcguard:: so that no one takes it for one of AWS's.
type Kind string

const (
	Model        Kind = "AWS::SageMaker::Model"
	Notebook     Kind = "AWS::SageMaker::NotebookInstance"
	VPCEndpoint  Kind = "AWS::EC2::VPCEndpoint"
	VPC          Kind = "AWS::EC2::VPC"
	StudioDomain Kind = "AWS::SageMaker::Domain"
	// Job is a training, processing, hyperparameter tuning or AutoML job:
	// CloudFormation has no type for jobs. JobConfig.Type says which.
	Job Kind = "vpcguard::SageMaker::Job"
	// PresignedURL is one call that handed out a presigned URL to Studio or
	// to a notebook instance: a call, not a resource, so it has no
	// CloudFormation type either. Its id names what the URL opens.
	PresignedURL Kind = "vpcguard::SageMaker::PresignedUrl"
)

// Ref names one resource in one account and region.
type Ref struct {
	Kind Kind
	// ID is the model name, notebook instance name, vpce id, vpc id, domain
	// id (d-...), job (JobID) or presigned URL target (PresignedURLID). An
	// event may name a VPC only through something in it (a model's subnet,
	// an endpoint's id): such a VPC Ref carries that subnet or vpce id,
	// which the online reader resolves to the VPC (see VPCConfig).
	ID      string
	Account string
	Region  string
}

func (r Ref) String() string {
	return string(r.Kind) + " " + r.ID + " (" + r.Account + "/" + r.Region + ")"
}

// State is what is known of a resource. Exactly one of the configurations
// is set when the resource's configuration is known; all are nil when it is
// not (offline, from an event that does not tell).
type State struct {
	Ref
	// Created is when the resource was created, as its describe or listing
	// says; zero when unknown. A backfill looks its creator up around it.
	Created time.Time

	ARN     string
	Missing bool              // the resource does not exist (deleted, or never created)
	Tags    map[string]string // every tag of the resource; nil when they were not read
	// TagsRead says Tags were read from the resource's own API for this
	// decision (ListTags, a describe by id), not taken from a listing,
	// SageMaker Search or the Resource Groups Tagging API: indexes, which
	// can lag a change by minutes. A write trusts only tags read this way
	// (evaluate.Evaluator.Reconfirm reads them again otherwise).
	TagsRead bool
	// Exemption is what a tag index saw of the exemption tag when Tags were
	// not read: a backfill asks the Resource Groups Tagging API once per
	// account and region instead of reading each resource's tags. nil when
	// nothing is known.
	Exemption    *Exemption
	Model        *ModelConfig
	Notebook     *NotebookConfig
	Endpoint     *EndpointConfig
	VPC          *VPCConfig
	Domain       *DomainConfig
	Job          *JobConfig
	PresignedURL *PresignedURLConfig
}

// ModelConfig is the part of a model the rules read.
type ModelConfig struct {
	Subnets        []string // VpcConfig.Subnets; empty when the model is not in a VPC
	SecurityGroups []string
	// NetworkIsolation is EnableNetworkIsolation; false when the create
	// call omitted it (the API's default).
	NetworkIsolation bool
	// Zones maps each subnet that exists to its Availability Zone (EC2
	// DescribeSubnets); nil when not read. A subnet missing from a non-nil
	// map does not exist.
	Zones map[string]string
}

// NotebookConfig is the part of a notebook instance the rules read.
type NotebookConfig struct {
	// DirectInternetAccess is "Enabled", "Disabled", or "" when the create
	// call omitted it (AWS then enables it).
	DirectInternetAccess string
	SubnetID             string
	Status               string // Pending, InService, Stopping, Stopped, Failed, Deleting, Updating; "" offline
}

// EndpointConfig is the part of a VPC endpoint the rules read.
type EndpointConfig struct {
	ServiceName string // "" when the event does not say (ModifyVpcEndpoint)
	Type        string // Interface, Gateway, GatewayLoadBalancer, ...; "" when unknown
	// PrivateDNS is nil when unknown; the API defaults it to true for
	// interface endpoints when the create call omits it.
	PrivateDNS *bool
	VPCID      string
	State      string
	Policy     string
}

// DomainConfig is the part of a SageMaker Studio domain the rules read.
type DomainConfig struct {
	// AppNetworkAccessType is "PublicInternetOnly", "VpcOnly", or "" when
	// the create call omitted it (AWS then uses PublicInternetOnly).
	AppNetworkAccessType string
	VPCID                string
	SubnetIDs            []string
	Status               string // Pending, InService, Deleting, Failed, Updating, ...; "" offline
}

// The job types of JobConfig.Type, as SageMaker's API names them.
const (
	TrainingJob   = "TrainingJob"
	ProcessingJob = "ProcessingJob"
	TuningJob     = "HyperParameterTuningJob"
	AutoMLJob     = "AutoMLJob"
)

// JobARNType maps a job type to the resource type its ARNs carry
// (arn:aws:sagemaker:REGION:ACCOUNT:training-job/NAME); AutoML jobs of both
// API versions are automl-job.
var JobARNType = map[string]string{
	TrainingJob:   "training-job",
	ProcessingJob: "processing-job",
	TuningJob:     "hyper-parameter-tuning-job",
	AutoMLJob:     "automl-job",
}

// JobID is a job's Ref.ID: its ARN's resource part, training-job/NAME, so
// that a training job and a processing job of the same name (SageMaker
// allows it) are two resources, and a reader knows which API describes it.
func JobID(jobType, name string) string { return JobARNType[jobType] + "/" + name }

// ParseJobID splits a JobID into the job type and the name; ok is false
// when id is not one.
func ParseJobID(id string) (jobType, name string, ok bool) {
	prefix, name, found := strings.Cut(id, "/")
	if !found || name == "" {
		return "", "", false
	}
	for t, p := range JobARNType {
		if p == prefix {
			return t, name, true
		}
	}
	return "", "", false
}

// JobConfig is the part of a SageMaker job the rules read.
type JobConfig struct {
	Type string // TrainingJob, ProcessingJob, HyperParameterTuningJob, AutoMLJob
	// Networks are the job's VPC settings: one for most jobs, one per
	// training job definition of a tuning job.
	Networks []JobNetwork
	Status   string // InProgress, Stopping, Completed, Failed, Stopped; "" offline
	// ExecutionRole is the role the job runs as (RoleArn): never given a
	// guardrail, which would break every job that runs as it.
	ExecutionRole string
	// Parent is the ARN of the tuning job, AutoML job or pipeline execution
	// that created this job, "" when a person (or a script) did.
	Parent string
	// LastModified is when the job last changed, RFC 3339; "" unknown.
	LastModified string
}

// JobNetwork is the VPC setting of a job, or of one training job
// definition of a tuning job (Name is the definition's name, "" for the
// job itself or an unnamed definition).
type JobNetwork struct {
	Name    string
	Subnets []string
}

// PresignedURLConfig is what a CreatePresignedDomainUrl or
// CreatePresignedNotebookInstanceUrl record says of where the call came
// from.
type PresignedURLConfig struct {
	// Opens says what the URL opens: "Studio user profile alice in domain
	// d-..." or "notebook instance nb".
	Opens string
	// VPCEndpointID is the record's vpcEndpointId: "" when the record has
	// none (not through an endpoint, or not recorded: CloudTrail documents
	// the field as present "when it applies", and it is not confirmed for
	// SageMaker).
	VPCEndpointID string
	// SourceIP is the record's sourceIPAddress: an IP address, or a
	// service's name when a service called on someone's behalf.
	SourceIP string
}

// PresignedURLID is a presigned URL call's Ref.ID: the resource part of
// the ARN of what the URL opens (user-profile/DOMAIN/PROFILE or
// notebook-instance/NAME), so every URL to one profile or notebook is one
// finding and one ticket.
func PresignedURLID(arnType string, parts ...string) string {
	return arnType + "/" + strings.Join(parts, "/")
}

// SageMakerARN builds the ARN of a SageMaker resource from its resource
// part (model/NAME, domain/d-..., training-job/NAME): SageMaker lowercases
// names in ARNs. "" when the account or region is unknown.
func SageMakerARN(region, account, resourcePart string) string {
	if region == "" || account == "" || resourcePart == "" {
		return ""
	}
	return fmt.Sprintf("arn:%s:sagemaker:%s:%s:%s", Partition(region), region, account, strings.ToLower(resourcePart))
}

// VPCConfig is what a VPC holds that SageMaker's private path depends on:
// its VPC endpoints, and the models hosted in it.
type VPCConfig struct {
	// Endpoints are the VPC's endpoints, whatever their state (the rule
	// decides which count).
	Endpoints []EndpointSummary
	// ModelsRead says whether the models were looked for; when they were,
	// Models names models whose VpcConfig subnets are in the VPC (the reader
	// may stop at the first).
	ModelsRead bool
	Models     []string
	// ModelsNote says why the models were not looked for, or not all of them.
	ModelsNote string
}

// EndpointSummary is one endpoint of a VPC, as VPCConfig lists it.
type EndpointSummary struct {
	ID          string
	ServiceName string
	Type        string // Interface, Gateway, ...
	State       string // available, pending, deleted, ...
}

// Exemption is whether a resource carried the exemption tag, and its value,
// as a tag index saw it.
type Exemption struct {
	Exempt bool
	Value  string
}

// Exempt reports whether the resource carries the exemption tag key.
func (s State) Exempt(tagKey string) bool {
	_, ok := s.ExemptValue(tagKey)
	return ok
}

// ExemptValue returns the exemption tag's value and whether the resource
// carries it: from its tags when they were read, else from what a tag index
// saw.
func (s State) ExemptValue(tagKey string) (string, bool) {
	switch {
	case tagKey == "":
		return "", false
	case s.Tags != nil:
		v, ok := s.Tags[tagKey]
		return v, ok
	case s.Exemption != nil && s.Exemption.Exempt:
		return s.Exemption.Value, true
	}
	return "", false
}

// Stopped reports whether the resource is known not to run: a notebook
// instance Stopped or Stopping, a job that is no longer InProgress
// (Stopping, Stopped, Completed, Failed). A stopped resource that breaks a
// rule is contained until someone starts it again (a finished job never
// runs again).
func (s State) Stopped() bool {
	switch {
	case s.Notebook != nil:
		return s.Notebook.Status == "Stopped" || s.Notebook.Status == "Stopping"
	case s.Job != nil:
		return s.Job.Status != "" && s.Job.Status != "InProgress"
	}
	return false
}

// EndpointARN builds a VPC endpoint's ARN, which EC2 does not return.
func EndpointARN(region, account, id string) string {
	return fmt.Sprintf("arn:%s:ec2:%s:%s:vpc-endpoint/%s", Partition(region), region, account, id)
}

// VPCARN builds a VPC's ARN, which EC2 does not return.
func VPCARN(region, account, id string) string {
	return fmt.Sprintf("arn:%s:ec2:%s:%s:vpc/%s", Partition(region), region, account, id)
}

// Partition returns the AWS partition a region belongs to.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}
