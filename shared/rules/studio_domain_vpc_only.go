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

// StudioDomainVPCOnly: a SageMaker Studio domain must send its apps'
// traffic through the VPC (AppNetworkAccessType VpcOnly). With
// PublicInternetOnly, AWS's default when the create call omits the field,
// Studio apps reach the internet through SageMaker's own network, whatever
// endpoints the VPC has ("Connect to SageMaker Studio Through an Interface
// VPC Endpoint").
type StudioDomainVPCOnly struct{}

const (
	vpcOnly            = "VpcOnly"
	publicInternetOnly = "PublicInternetOnly"
)

func (StudioDomainVPCOnly) Name() string        { return "sagemaker-studio-domain-vpc-only" }
func (StudioDomainVPCOnly) Kind() resource.Kind { return resource.StudioDomain }
func (StudioDomainVPCOnly) Severity() string    { return "HIGH" }

func (StudioDomainVPCOnly) DefaultMode() mode.Mode { return mode.Ticket }

func (StudioDomainVPCOnly) Triggers() []Trigger {
	return []Trigger{{Source: sageMaker, Names: []string{"CreateDomain", "UpdateDomain", "DeleteDomain"}}}
}

// Guardrail denies creating a domain that is not VpcOnly (StringNotEquals
// also holds when the call omits the key, which AWS then takes as
// PublicInternetOnly), and updating one to PublicInternetOnly: an update
// that leaves the network alone carries no key and is not refused.
func (StudioDomainVPCOnly) Guardrail() []guardrail.Statement {
	return []guardrail.Statement{{
		Sid:        "DenyStudioDomainNotVpcOnly",
		Actions:    []string{"sagemaker:CreateDomain"},
		Conditions: []guardrail.Condition{{Operator: "StringNotEquals", Key: "sagemaker:AppNetworkAccessType", Values: []string{vpcOnly}}},
	}, {
		Sid:        "DenyStudioDomainToPublicInternet",
		Actions:    []string{"sagemaker:UpdateDomain"},
		Conditions: []guardrail.Condition{{Operator: "StringEquals", Key: "sagemaker:AppNetworkAccessType", Values: []string{publicInternetOnly}}},
	}}
}

func (StudioDomainVPCOnly) Remedies() []Remedy { return []Remedy{Tag, SwitchDomainToVPCOnly} }

func (StudioDomainVPCOnly) Doc() Doc {
	return Doc{
		Breaks: "`CreateDomain` with `AppNetworkAccessType` `PublicInternetOnly`, **or omitted** (AWS's default); " +
			"`UpdateDomain` to `PublicInternetOnly`: Studio apps then reach the internet through SageMaker's network",
		Enforce: "attaches the guardrail to the caller, tags the domain; switching it to `VpcOnly` (in its own VPC and subnets) " +
			"is opt-in, and AWS refuses it while apps run: the finding then says so",
	}
}

func (r StudioDomainVPCOnly) FromEvent(ev *cloudtrail.Event) []resource.State {
	id := firstString(ev.Request.Get("domainId"), ev.Response.Get("domainId"))
	arn := ev.Response.Get("domainArn").String()
	if id == "" {
		// Older CreateDomain responses carry only the ARN: .../domain/d-xxxx.
		if _, after, ok := strings.Cut(arn, ":domain/"); ok {
			id = after
		}
	}
	if id == "" {
		return nil
	}
	s := resource.State{Ref: ref(r.Kind(), id, ev), ARN: arn}
	if s.ARN == "" {
		s.ARN = resource.SageMakerARN(ev.Region, ev.Account, "domain/"+id)
	}
	switch ev.Name {
	case "DeleteDomain":
		s.Missing = true
	case "CreateDomain":
		s.Domain = &resource.DomainConfig{
			AppNetworkAccessType: ev.Request.Get("appNetworkAccessType").String(),
			VPCID:                ev.Request.Get("vpcId").String(),
			SubnetIDs:            ev.Request.Get("subnetIds").Strings(),
		}
	case "UpdateDomain":
		// An update carries the network setting only when it changes it;
		// otherwise online evaluation reads it from the domain.
		if t := ev.Request.Get("appNetworkAccessType").String(); t != "" {
			s.Domain = &resource.DomainConfig{AppNetworkAccessType: t, SubnetIDs: ev.Request.Get("subnetIds").Strings(),
				VPCID: ev.Request.Get("vpcId").String()}
		}
	}
	return []resource.State{s}
}

func (StudioDomainVPCOnly) Decide(s resource.State) Decision {
	switch {
	case s.Missing:
		return gone(s)
	case s.Domain == nil:
		return unknown("the domain's AppNetworkAccessType")
	case strings.EqualFold(s.Domain.Status, "Deleting"):
		return Decision{finding.NotApplicable, "Studio domain " + s.ID + " is being deleted"}
	}
	switch t := s.Domain.AppNetworkAccessType; {
	case strings.EqualFold(t, vpcOnly):
		return Decision{finding.Compliant, fmt.Sprintf("Studio domain %s is VpcOnly: its apps reach the network through VPC %s", s.ID, orUnknown(s.Domain.VPCID))}
	case t == "":
		return Decision{finding.NonCompliant, fmt.Sprintf(
			"Studio domain %s was created without AppNetworkAccessType, so AWS made it PublicInternetOnly: its apps reach the internet "+
				"through SageMaker's network; switch it to VpcOnly (UpdateDomain with VpcId and SubnetIds, once no app runs)", s.ID)}
	default:
		return Decision{finding.NonCompliant, fmt.Sprintf(
			"Studio domain %s is %s: its apps reach the internet through SageMaker's network; "+
				"switch it to VpcOnly (UpdateDomain with VpcId and SubnetIds, once no app runs)", s.ID, t)}
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
