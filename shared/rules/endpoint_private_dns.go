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

// EndpointPrivateDNS: an interface VPC endpoint to a SageMaker service must
// have private DNS on, or SDKs and the CLI keep resolving SageMaker's public
// hostnames and their traffic leaves PrivateLink without anyone noticing.
type EndpointPrivateDNS struct{}

func (EndpointPrivateDNS) Name() string        { return "sagemaker-vpc-endpoint-private-dns" }
func (EndpointPrivateDNS) Kind() resource.Kind { return resource.VPCEndpoint }
func (EndpointPrivateDNS) Severity() string    { return "MEDIUM" }

func (EndpointPrivateDNS) DefaultMode() mode.Mode { return mode.Ticket }

func (EndpointPrivateDNS) Triggers() []Trigger {
	return []Trigger{{Source: ec2, Names: []string{"CreateVpcEndpoint", "ModifyVpcEndpoint", "DeleteVpcEndpoints"}}}
}

// Guardrail: none. IAM has no condition key for an endpoint's private DNS
// setting, so the call cannot be refused; the endpoint is fixed instead.
func (EndpointPrivateDNS) Guardrail() []guardrail.Statement { return nil }

func (EndpointPrivateDNS) Remedies() []Remedy {
	return []Remedy{EnablePrivateDNS, ReplaceEndpointPolicy, Tag}
}

func (EndpointPrivateDNS) Doc() Doc {
	return Doc{
		Breaks: "an **interface** VPC endpoint to a SageMaker service (`sagemaker.api`, `sagemaker.runtime`, `notebook`, `studio`, ...) " +
			"with private DNS off: SDKs and the CLI then silently keep using the public endpoints",
		Enforce: "checks the VPC's `enableDnsSupport`/`enableDnsHostnames`, turns private DNS on, tags the endpoint; " +
			"otherwise opens a ticket saying why",
	}
}

func (r EndpointPrivateDNS) FromEvent(ev *cloudtrail.Event) []resource.State {
	req := ev.Request
	if w := req.Get(ev.Name + "Request"); w.Exists() {
		req = w // EC2's newer APIs wrap their parameters
	}
	resp := ev.Response
	if w := resp.Get(ev.Name + "Response"); w.Exists() {
		resp = w
	}
	switch ev.Name {
	case "DeleteVpcEndpoints":
		var out []resource.State
		for _, id := range req.Get("VpcEndpointId").Strings() {
			out = append(out, resource.State{Ref: ref(r.Kind(), id, ev), ARN: resource.EndpointARN(ev.Region, ev.Account, id), Missing: true})
		}
		return out
	case "ModifyVpcEndpoint":
		id := req.Get("VpcEndpointId").String()
		if id == "" {
			return nil
		}
		cfg := &resource.EndpointConfig{}
		if v, ok := req.Get("PrivateDnsEnabled").Bool(); ok {
			cfg.PrivateDNS = &v
		}
		return []resource.State{{Ref: ref(r.Kind(), id, ev), ARN: resource.EndpointARN(ev.Region, ev.Account, id), Endpoint: cfg}}
	case "CreateVpcEndpoint":
		ep := resp.Get("vpcEndpoint")
		id := ep.Get("vpcEndpointId").String()
		if id == "" {
			return nil // without an id there is nothing to evaluate or fix
		}
		cfg := &resource.EndpointConfig{
			ServiceName: firstString(ep.Get("serviceName"), req.Get("ServiceName")),
			Type:        firstString(ep.Get("vpcEndpointType"), req.Get("VpcEndpointType")),
			VPCID:       firstString(ep.Get("vpcId"), req.Get("VpcId")),
			State:       ep.Get("state").String(),
		}
		if cfg.Type == "" {
			cfg.Type = "Gateway" // the API's default type
		}
		// The response says what AWS did; the request, what was asked.
		if v, ok := ep.Get("privateDnsEnabled").Bool(); ok {
			cfg.PrivateDNS = &v
		} else if v, ok := req.Get("PrivateDnsEnabled").Bool(); ok {
			cfg.PrivateDNS = &v
		}
		return []resource.State{{Ref: ref(r.Kind(), id, ev), ARN: resource.EndpointARN(ev.Region, ev.Account, id), Endpoint: cfg}}
	}
	return nil
}

func (EndpointPrivateDNS) Decide(s resource.State) Decision {
	switch {
	case s.Missing:
		return gone(s)
	case s.Endpoint == nil:
		return unknown("the endpoint's service and private DNS setting")
	}
	e := s.Endpoint
	if st := strings.ToLower(e.State); st == "deleting" || st == "deleted" {
		return Decision{finding.NotApplicable, s.ID + " is being deleted"}
	}
	if e.Type != "" && !strings.EqualFold(e.Type, "Interface") {
		return Decision{finding.NotApplicable, fmt.Sprintf("%s is a %s endpoint; private DNS applies to interface endpoints only", s.ID, e.Type)}
	}
	if e.ServiceName == "" {
		return unknown("which service the endpoint connects to")
	}
	if !IsSageMakerService(e.ServiceName) {
		return Decision{finding.NotApplicable, fmt.Sprintf("%s connects to %s, not a SageMaker service", s.ID, e.ServiceName)}
	}
	if e.Type == "" {
		return unknown("the endpoint's type")
	}
	if e.PrivateDNS != nil && !*e.PrivateDNS {
		return Decision{finding.NonCompliant, fmt.Sprintf(
			"interface endpoint %s to %s has private DNS off, so SDKs and the CLI still resolve SageMaker's public hostnames "+
				"and bypass the endpoint; turn private DNS on (the VPC needs enableDnsSupport and enableDnsHostnames)", s.ID, e.ServiceName)}
	}
	how := "on"
	if e.PrivateDNS == nil {
		how = "on (the API default)"
	}
	return Decision{finding.Compliant, fmt.Sprintf("interface endpoint %s to %s has private DNS %s", s.ID, e.ServiceName, how)}
}

// IsSageMakerService reports whether an endpoint service name belongs to
// SageMaker, in any partition: com.amazonaws.REGION.sagemaker.api,
// aws.sagemaker.REGION.notebook, cn.com.amazonaws.REGION.sagemaker.runtime, ...
func IsSageMakerService(serviceName string) bool {
	for label := range strings.SplitSeq(strings.ToLower(serviceName), ".") {
		if label == "sagemaker" || strings.HasPrefix(label, "sagemaker-") {
			return true
		}
	}
	return false
}

func firstString(vs ...cloudtrail.Value) string {
	for _, v := range vs {
		if s := v.String(); s != "" {
			return s
		}
	}
	return ""
}
