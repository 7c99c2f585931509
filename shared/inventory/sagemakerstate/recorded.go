package sagemakerstate

import (
	"strings"

	"github.com/vpcguard/vpcguard/shared/inventory/recorded"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// What AWS Config records of models and notebook instances, for the
// organization backfill's fast path (package recorded). The property names
// are the Config resource schema's, in its case: PascalCase for SageMaker.

// RecordedModels is how Config records models. Config's item has no zones
// of the model's subnets: the multi-AZ rule cannot decide from it, so a
// model in a VPC is read online (with its subnets' zones).
var RecordedModels = recorded.Kind{
	Kind:       resource.Model,
	Properties: []string{"configuration.VpcConfig.Subnets", "configuration.VpcConfig.SecurityGroupIds", "configuration.EnableNetworkIsolation"},
	State: func(it recorded.Item) (resource.State, error) {
		var c struct {
			VpcConfig *struct {
				Subnets          []string
				SecurityGroupIds []string
			}
			EnableNetworkIsolation bool
		}
		if err := it.Decode(&c); err != nil {
			return resource.State{}, err
		}
		s := recordedState(it, resource.Model, "model")
		s.Model = &resource.ModelConfig{NetworkIsolation: c.EnableNetworkIsolation}
		if c.VpcConfig != nil {
			s.Model.Subnets, s.Model.SecurityGroups = c.VpcConfig.Subnets, c.VpcConfig.SecurityGroupIds
		}
		return s, nil
	},
}

// RecordedNotebooks is how Config records notebook instances. Config has
// no instance status: a stopped instance reads as any other, which only
// matters for a non-compliant one, and those are read online.
var RecordedNotebooks = recorded.Kind{
	Kind:       resource.Notebook,
	Properties: []string{"configuration.DirectInternetAccess", "configuration.SubnetId"},
	State: func(it recorded.Item) (resource.State, error) {
		var c struct {
			DirectInternetAccess *string
			SubnetId             string
		}
		if err := it.Decode(&c); err != nil {
			return resource.State{}, err
		}
		s := recordedState(it, resource.Notebook, "notebook-instance")
		if c.DirectInternetAccess == nil {
			// Not recorded: unknown, not "omitted" (which means enabled).
			return s, nil
		}
		s.Notebook = &resource.NotebookConfig{DirectInternetAccess: *c.DirectInternetAccess, SubnetID: c.SubnetId}
		return s, nil
	},
}

// recordedState is the part of a SageMaker resource's state every item
// gives. The describe calls take the name, which Config keeps as the
// resource name; the ARN lowercases it, so it is the last resort.
func recordedState(it recorded.Item, kind resource.Kind, arnType string) resource.State {
	name := it.ResourceName
	if name == "" {
		name = it.ResourceID
	}
	if name == "" || strings.HasPrefix(name, "arn:") {
		name = it.ARN[strings.LastIndex(it.ARN, "/")+1:]
	}
	s := resource.State{Ref: it.Ref(kind, name), ARN: it.ARN, Created: it.Created, Tags: it.Tags}
	if s.ARN == "" {
		s.ARN = sageMakerARN(s.Ref, arnType)
	}
	return s
}

// RecordedDomains is how Config records Studio domains. The describe call
// takes the domain id (d-xxxxxxxxxxxx), which the configuration holds as
// DomainId; the ARN ends in it too.
var RecordedDomains = recorded.Kind{
	Kind:       resource.StudioDomain,
	Properties: []string{"configuration.DomainId", "configuration.AppNetworkAccessType", "configuration.VpcId", "configuration.SubnetIds"},
	State: func(it recorded.Item) (resource.State, error) {
		var c struct {
			DomainId             string
			AppNetworkAccessType *string
			VpcId                string
			SubnetIds            []string
		}
		if err := it.Decode(&c); err != nil {
			return resource.State{}, err
		}
		id := c.DomainId
		if id == "" && strings.HasPrefix(it.ResourceID, "d-") {
			id = it.ResourceID
		}
		if id == "" {
			id = it.ARN[strings.LastIndex(it.ARN, "/")+1:]
		}
		s := resource.State{Ref: it.Ref(resource.StudioDomain, id), ARN: it.ARN, Created: it.Created, Tags: it.Tags}
		if s.ARN == "" {
			s.ARN = sageMakerARN(s.Ref, "domain")
		}
		if c.AppNetworkAccessType == nil {
			// Not recorded: unknown, not "omitted" (which means public).
			return s, nil
		}
		s.Domain = &resource.DomainConfig{AppNetworkAccessType: *c.AppNetworkAccessType, VPCID: c.VpcId, SubnetIDs: c.SubnetIds}
		return s, nil
	},
}
