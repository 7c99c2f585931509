package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// ModelVPCMultiAZ: a model in a VPC must name at least two subnets in
// different Availability Zones ("Give SageMaker Hosted Endpoints Access to
// Resources in Your Amazon VPC": "You must create at least two subnets in
// different availability zones in your private VPC, even if you have only
// one hosting instance"). With every subnet in one zone, the endpoint's
// instances cannot be spread and an outage of that zone takes it down.
//
// One subnet is decidable from the event alone; two or more need their
// zones, which only EC2 knows (DescribeSubnets): the rule reads the
// SubnetZones detail, so the function that runs it links EC2 (network-guard,
// not model-guard).
type ModelVPCMultiAZ struct{}

func (ModelVPCMultiAZ) Name() string        { return "sagemaker-model-vpc-multi-az" }
func (ModelVPCMultiAZ) Kind() resource.Kind { return resource.Model }
func (ModelVPCMultiAZ) Severity() string    { return "LOW" }

func (ModelVPCMultiAZ) DefaultMode() mode.Mode { return mode.Ticket }

func (ModelVPCMultiAZ) Triggers() []Trigger {
	return []Trigger{{Source: sageMaker, Names: []string{"CreateModel", "DeleteModel"}}}
}

// Details: the zones of the model's subnets.
func (ModelVPCMultiAZ) Details() []Detail { return []Detail{SubnetZones} }

// Guardrail: none. sagemaker:VpcSubnets names subnets, not their zones, and
// no IAM condition key tells a subnet's Availability Zone.
func (ModelVPCMultiAZ) Guardrail() []guardrail.Statement { return nil }

// Remedies: none. A model cannot be changed, and deleting one for its
// availability is not vpcguard's call: the ticket says what to do.
func (ModelVPCMultiAZ) Remedies() []Remedy { return nil }

func (ModelVPCMultiAZ) Doc() Doc {
	return Doc{
		Breaks: "a model whose `VpcConfig` subnets all sit in one Availability Zone (one subnet, or several in one zone): " +
			"SageMaker asks for at least two subnets in different zones",
		Enforce: "opens a ticket only: no IAM condition key tells a subnet's zone, and a model cannot be changed",
	}
}

func (r ModelVPCMultiAZ) FromEvent(ev *cloudtrail.Event) []resource.State {
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

func (ModelVPCMultiAZ) Decide(s resource.State) Decision {
	switch {
	case s.Missing:
		return gone(s)
	case s.Model == nil:
		return unknown("the model's VpcConfig")
	}
	subnets := distinct(s.Model.Subnets)
	switch {
	case len(subnets) == 0:
		return Decision{finding.NotApplicable, fmt.Sprintf("model %s is not in a VPC (sagemaker-model-in-vpc reports it)", s.ID)}
	case len(subnets) == 1:
		return Decision{finding.NonCompliant, fmt.Sprintf(
			"model %s has one VPC subnet (%s), so its endpoint's instances all run in one Availability Zone; "+
				"recreate it with subnets in at least two Availability Zones", s.ID, subnets[0])}
	case s.Model.Zones == nil:
		return unknown("the Availability Zones of subnets " + strings.Join(subnets, ", "))
	}
	var zones, missing []string
	for _, sn := range subnets {
		z, ok := s.Model.Zones[sn]
		switch {
		case !ok || z == "":
			missing = append(missing, sn)
		case !slices.Contains(zones, z):
			zones = append(zones, z)
		}
	}
	slices.Sort(zones)
	if len(zones) >= 2 {
		return Decision{finding.Compliant, fmt.Sprintf("model %s has subnets in %d Availability Zones (%s)", s.ID, len(zones), strings.Join(zones, ", "))}
	}
	var why string
	switch {
	case len(zones) == 1 && len(missing) == 0:
		why = fmt.Sprintf("all its subnets (%s) are in %s", strings.Join(subnets, ", "), zones[0])
	case len(zones) == 1:
		why = fmt.Sprintf("its subnets that exist are all in %s, and %s no longer exist", zones[0], strings.Join(missing, ", "))
	default:
		why = fmt.Sprintf("none of its subnets (%s) exists", strings.Join(subnets, ", "))
	}
	return Decision{finding.NonCompliant, fmt.Sprintf(
		"model %s: %s, so its endpoint's instances all run in one Availability Zone at most; "+
			"recreate it with subnets in at least two Availability Zones", s.ID, why)}
}

// distinct returns xs without blanks and repeats, in order.
func distinct(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
