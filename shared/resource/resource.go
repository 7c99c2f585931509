// Package resource holds what vpcguard knows about the kinds of resource it
// guards: read from AWS (online) or taken from an event (offline).
// Rules decide on these values and nothing else.
package resource

import (
	"fmt"
	"strings"
	"time"
)

// Kind is a resource's CloudFormation type.
type Kind string

const (
	Model       Kind = "AWS::SageMaker::Model"
	Notebook    Kind = "AWS::SageMaker::NotebookInstance"
	VPCEndpoint Kind = "AWS::EC2::VPCEndpoint"
	VPC         Kind = "AWS::EC2::VPC"
)

// Ref names one resource in one account and region.
type Ref struct {
	Kind Kind
	// ID is the model name, notebook instance name, vpce id or vpc id. An
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

// State is what is known of a resource. Exactly one of Model, Notebook,
// Endpoint and VPC is set when the resource's configuration is known; all
// are nil when it is not (offline, from an event that does not tell).
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
	Exemption *Exemption
	Model     *ModelConfig
	Notebook  *NotebookConfig
	Endpoint  *EndpointConfig
	VPC       *VPCConfig
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
// instance Stopped or Stopping. A stopped resource that breaks a rule is
// contained until someone starts it again.
func (s State) Stopped() bool {
	if s.Notebook != nil {
		return s.Notebook.Status == "Stopped" || s.Notebook.Status == "Stopping"
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
