package rules

import (
	"fmt"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// ModelNetworkIsolation: a SageMaker model must be created with
// EnableNetworkIsolation, or its containers can make outbound calls, to the
// internet when the model is not in a VPC and to anything the VPC reaches
// when it is (AWS Config's sagemaker-model-isolation-enabled, Security Hub
// and Prowler check the same). The API's default is off, and a model cannot
// be changed after creation.
type ModelNetworkIsolation struct{}

func (ModelNetworkIsolation) Name() string        { return "sagemaker-model-network-isolation" }
func (ModelNetworkIsolation) Kind() resource.Kind { return resource.Model }
func (ModelNetworkIsolation) Severity() string    { return "MEDIUM" }

// DefaultMode is report: many models legitimately call out (to a feature
// store, to another endpoint), so an operator chooses to ticket or enforce.
func (ModelNetworkIsolation) DefaultMode() mode.Mode { return mode.Report }

func (ModelNetworkIsolation) Triggers() []Trigger {
	return []Trigger{{Source: sageMaker, Names: []string{"CreateModel", "DeleteModel"}}}
}

// Guardrail denies CreateModel unless network isolation is on.
// sagemaker:NetworkIsolation is a Bool key, and a caller may omit the
// parameter: a plain Bool condition on "false" does not match a request
// without the key (IAM evaluates a condition on an absent key as false), so
// omitting it would get through. BoolIfExists evaluates to true when the key
// is absent, so this one condition denies both "false" and "omitted", and
// lets "true" through: the same as a Bool "false" statement plus a Null
// "true" statement, in one.
func (ModelNetworkIsolation) Guardrail() []guardrail.Statement {
	return []guardrail.Statement{{
		Sid:        "DenyModelWithoutNetworkIsolation",
		Actions:    []string{"sagemaker:CreateModel"},
		Conditions: []guardrail.Condition{{Operator: "BoolIfExists", Key: "sagemaker:NetworkIsolation", Values: []string{"false"}}},
	}}
}

// Remedies tags the model. Deleting it is model-in-vpc's opt-in only: a
// model that is private but not isolated is not worth breaking an endpoint
// over.
func (ModelNetworkIsolation) Remedies() []Remedy { return []Remedy{Tag} }

func (ModelNetworkIsolation) Doc() Doc {
	return Doc{
		Breaks:  "`CreateModel` without `EnableNetworkIsolation` (false, **or omitted**: AWS's default): the model's containers can make outbound network calls",
		Enforce: "tags the model, attaches the guardrail deny policy (`sagemaker:NetworkIsolation` false or absent) to the IAM role or user that made the call",
	}
}

func (r ModelNetworkIsolation) FromEvent(ev *cloudtrail.Event) []resource.State {
	name := ev.Request.Get("modelName").String()
	if name == "" {
		return nil
	}
	s := resource.State{Ref: ref(r.Kind(), name, ev), ARN: ev.Response.Get("modelArn").String()}
	switch ev.Name {
	case "DeleteModel":
		s.Missing = true
	case "CreateModel":
		// Omitted is the API's default: off. A value that is not a boolean
		// reads as off too, so that it is looked at rather than passed.
		on, _ := ev.Request.Get("enableNetworkIsolation").Bool()
		vpc := ev.Request.Get("vpcConfig")
		s.Model = &resource.ModelConfig{
			Subnets:          vpc.Get("subnets").Strings(),
			SecurityGroups:   vpc.Get("securityGroupIds").Strings(),
			NetworkIsolation: on,
		}
	}
	return []resource.State{s}
}

func (ModelNetworkIsolation) Decide(s resource.State) Decision {
	switch {
	case s.Missing:
		return gone(s)
	case s.Model == nil:
		return unknown("the model's EnableNetworkIsolation")
	case !s.Model.NetworkIsolation:
		return Decision{finding.NonCompliant, fmt.Sprintf(
			"model %s was created without EnableNetworkIsolation (false or omitted: the default), so its containers can make outbound network calls; "+
				"models cannot be changed: recreate it with EnableNetworkIsolation=true, or exempt it if it must call out", s.ID)}
	}
	return Decision{finding.Compliant, fmt.Sprintf("model %s has network isolation on: its containers make no outbound network calls", s.ID)}
}
