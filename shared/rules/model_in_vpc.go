package rules

import (
	"fmt"
	"strings"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// ModelInVPC: a SageMaker model must be created with a VpcConfig that names
// subnets, or its containers reach the internet through SageMaker's network.
type ModelInVPC struct{}

func (ModelInVPC) Name() string        { return "sagemaker-model-in-vpc" }
func (ModelInVPC) Kind() resource.Kind { return resource.Model }
func (ModelInVPC) Severity() string    { return "HIGH" }

func (ModelInVPC) DefaultMode() mode.Mode { return mode.Ticket }

func (ModelInVPC) Triggers() []Trigger {
	return []Trigger{{Source: sageMaker, Names: []string{"CreateModel", "DeleteModel"}}}
}

func (ModelInVPC) Guardrail() []guardrail.Statement {
	return []guardrail.Statement{{
		Sid:        "DenyModelWithoutVpc",
		Actions:    []string{"sagemaker:CreateModel"},
		Conditions: []guardrail.Condition{{Operator: "Null", Key: "sagemaker:VpcSubnets", Values: []string{"true"}}},
	}}
}

func (ModelInVPC) Remedies() []Remedy { return []Remedy{Tag, DeleteModel} }

func (ModelInVPC) Doc() Doc {
	return Doc{
		Breaks: "`CreateModel` without `VpcConfig` subnets",
		Enforce: "tags the model, attaches the guardrail deny policy to the IAM role or user that made the call " +
			"(optionally deletes the model when no endpoint config uses it)",
	}
}

func (r ModelInVPC) FromEvent(ev *cloudtrail.Event) []resource.State {
	name := ev.Request.Get("modelName").String()
	if name == "" {
		return nil
	}
	s := resource.State{Ref: ref(r.Kind(), name, ev), ARN: ev.Response.Get("modelArn").String()}
	switch ev.Name {
	case "DeleteModel":
		s.Missing = true
	case "CreateModel":
		vpc := ev.Request.Get("vpcConfig")
		s.Model = &resource.ModelConfig{
			Subnets:        vpc.Get("subnets").Strings(),
			SecurityGroups: vpc.Get("securityGroupIds").Strings(),
		}
	}
	return []resource.State{s}
}

func (ModelInVPC) Decide(s resource.State) Decision {
	switch {
	case s.Missing:
		return gone(s)
	case s.Model == nil:
		return unknown("the model's VpcConfig")
	case len(s.Model.Subnets) == 0:
		return Decision{finding.NonCompliant, fmt.Sprintf(
			"model %s has no VpcConfig subnets, so its containers run outside your VPC; "+
				"models cannot be changed: recreate it with VpcConfig (subnets in at least two Availability Zones and security groups)", s.ID)}
	}
	return Decision{finding.Compliant, fmt.Sprintf("model %s runs in VPC subnets %s", s.ID, strings.Join(s.Model.Subnets, ", "))}
}
