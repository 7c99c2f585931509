package rules

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// PresignedURLViaEndpoint: the presigned URLs that open SageMaker Studio
// and notebook instances must be created through an interface VPC endpoint.
// The endpoint alone does not make Studio or a notebook private: "users
// outside your VPC can connect ... over the internet even if you set up an
// interface endpoint", and only an IAM policy that allows these calls from
// the VPC closes that door (seed pages 001 and 004).
//
// It judges the call, not a resource: online and offline decide the same.
// CloudTrail documents vpcEndpointId as present "when it applies"; that
// SageMaker records it is not confirmed, so a private sourceIPAddress counts
// as coming through an endpoint too, and the default mode is report until a
// real record confirms the shape.
type PresignedURLViaEndpoint struct {
	Allowed SourceAllowList
}

func (PresignedURLViaEndpoint) Name() string        { return "sagemaker-presigned-url-via-vpc-endpoint" }
func (PresignedURLViaEndpoint) Kind() resource.Kind { return resource.PresignedURL }
func (PresignedURLViaEndpoint) Severity() string    { return "MEDIUM" }

func (PresignedURLViaEndpoint) DefaultMode() mode.Mode { return mode.Report }

func (PresignedURLViaEndpoint) EventOnly() {}

// Triggers: whether CloudTrail records these calls as read-only management
// events is not documented (the SAR calls their access level Write), so the
// EventBridge rule must deliver read-only events too.
func (PresignedURLViaEndpoint) Triggers() []Trigger {
	return []Trigger{{Source: sageMaker, Names: []string{"CreatePresignedDomainUrl", "CreatePresignedNotebookInstanceUrl"},
		AllManagementEvents: true}}
}

func (r PresignedURLViaEndpoint) configure(s Settings) Rule {
	r.Allowed = s.PresignedURLSources
	return r
}

// Guardrail is the seed pages' policy turned into a deny: the two calls are
// refused unless they come through one of the allowed endpoints (or from
// one of the allowed VPCs), or, with no list, through any endpoint.
func (r PresignedURLViaEndpoint) Guardrail() []guardrail.Statement {
	st := guardrail.Statement{
		Sid:     "DenyPresignedUrlOutsideVpc",
		Actions: []string{"sagemaker:CreatePresignedDomainUrl", "sagemaker:CreatePresignedNotebookInstanceUrl"},
	}
	// StringNotEquals also holds when the key is absent (the call did not
	// come through an endpoint); two keys in one statement must both hold,
	// so a call from an allowed endpoint or an allowed VPC is let through.
	if len(r.Allowed.Endpoints) > 0 {
		st.Conditions = append(st.Conditions, guardrail.Condition{Operator: "StringNotEquals", Key: "aws:SourceVpce", Values: r.Allowed.Endpoints})
	}
	if len(r.Allowed.VPCs) > 0 {
		st.Conditions = append(st.Conditions, guardrail.Condition{Operator: "StringNotEquals", Key: "aws:SourceVpc", Values: r.Allowed.VPCs})
	}
	if len(st.Conditions) == 0 {
		st.Conditions = []guardrail.Condition{{Operator: "Null", Key: "aws:SourceVpce", Values: []string{"true"}}}
	}
	return []guardrail.Statement{st}
}

// Remedies: none on a resource. The URL is already handed out (it works
// from anywhere until it expires), so the guardrail on the caller is all
// enforce mode does.
func (PresignedURLViaEndpoint) Remedies() []Remedy { return nil }

func (PresignedURLViaEndpoint) Doc() Doc {
	return Doc{
		Breaks: "`CreatePresignedDomainUrl` or `CreatePresignedNotebookInstanceUrl` not made through an interface VPC endpoint " +
			"(no `vpcEndpointId` and a public `sourceIPAddress`, or not one of the allowed endpoints, VPCs or ranges)",
		Enforce: "attaches the guardrail to the caller: these calls are then refused unless they come through the VPC endpoint " +
			"(this also blocks the console's Open buttons; IAM Identity Center roles never get a guardrail)",
	}
}

func (r PresignedURLViaEndpoint) FromEvent(ev *cloudtrail.Event) []resource.State {
	var id, opens string
	switch ev.Name {
	case "CreatePresignedDomainUrl":
		domain, profile := ev.Request.Get("domainId").String(), ev.Request.Get("userProfileName").String()
		if domain == "" || profile == "" {
			return nil
		}
		id = resource.PresignedURLID("user-profile", domain, profile)
		opens = "Studio user profile " + profile + " in domain " + domain
		if space := ev.Request.Get("spaceName").String(); space != "" {
			opens += " (space " + space + ")"
		}
	case "CreatePresignedNotebookInstanceUrl":
		name := ev.Request.Get("notebookInstanceName").String()
		if name == "" {
			return nil
		}
		id = resource.PresignedURLID("notebook-instance", name)
		opens = "notebook instance " + name
	default:
		return nil
	}
	return []resource.State{{Ref: ref(r.Kind(), id, ev), ARN: resource.SageMakerARN(ev.Region, ev.Account, id),
		PresignedURL: &resource.PresignedURLConfig{Opens: opens, VPCEndpointID: ev.VPCEndpointID, SourceIP: ev.SourceIP}}}
}

func (r PresignedURLViaEndpoint) Decide(s resource.State) Decision {
	switch {
	case s.Missing:
		return gone(s)
	case s.PresignedURL == nil:
		// Online reads nothing for this rule: only the event can tell.
		return Decision{finding.InsufficientData, s.ID + ": nothing is known of where the call came from"}
	}
	c := s.PresignedURL
	what := "the presigned URL to " + c.Opens
	a := r.Allowed
	if ep := c.VPCEndpointID; ep != "" {
		switch {
		case len(a.Endpoints) == 0 && len(a.VPCs) == 0:
			return Decision{finding.Compliant, fmt.Sprintf("%s was created through interface endpoint %s", what, ep)}
		case slices.Contains(a.Endpoints, ep):
			return Decision{finding.Compliant, fmt.Sprintf("%s was created through allowed interface endpoint %s", what, ep)}
		case len(a.VPCs) > 0:
			// The record names the endpoint, not its VPC, and this rule
			// reads nothing; the guardrail's aws:SourceVpc does check it.
			return Decision{finding.InsufficientData, fmt.Sprintf(
				"%s was created through interface endpoint %s, which is not an allowed endpoint; the record does not say whether it is "+
					"in an allowed VPC (%s)", what, ep, strings.Join(a.VPCs, ", "))}
		}
		return Decision{finding.NonCompliant, fmt.Sprintf(
			"%s was created through interface endpoint %s, not one of the allowed endpoints (%s)", what, ep, strings.Join(a.Endpoints, ", "))}
	}
	ip, err := netip.ParseAddr(c.SourceIP)
	switch {
	case c.SourceIP == "":
		return Decision{finding.InsufficientData, what + ": the record names neither a VPC endpoint nor a source address"}
	case err != nil:
		// A service's name (sagemaker.amazonaws.com): AWS called on
		// someone's behalf, from inside AWS.
		return Decision{finding.NotApplicable, fmt.Sprintf("%s was created by %s on someone's behalf, not from a network", what, c.SourceIP)}
	case a.allowsIP(ip):
		return Decision{finding.Compliant, fmt.Sprintf("%s was created from %s, in an allowed range", what, ip)}
	case len(a.CIDRs) == 0 && isPrivate(ip):
		// AWS sees a private address only through a VPC endpoint (or AWS
		// internal networks); the record just does not name the endpoint.
		return Decision{finding.Compliant, fmt.Sprintf("%s was created from private address %s, so through a VPC endpoint "+
			"(the record names none)", what, ip)}
	case isPrivate(ip):
		return Decision{finding.NonCompliant, fmt.Sprintf("%s was created from private address %s, outside the allowed ranges (%s)",
			what, ip, prefixes(a.CIDRs))}
	}
	return Decision{finding.NonCompliant, fmt.Sprintf(
		"%s was created from public address %s, not through an interface VPC endpoint: the URL works from anywhere until it expires; "+
			"allow these calls only through the SageMaker API endpoint (aws:SourceVpce)", what, ip)}
}

// isPrivate reports whether AWS could only have seen ip from inside a
// network: RFC 1918, shared address space (RFC 6598), IPv6 unique local,
// loopback and link-local.
func isPrivate(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || cgnat.Contains(ip)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// SourceAllowList says where presigned URL calls may come from: interface
// VPC endpoints (vpce-...), VPCs (vpc-...) and address ranges (CIDRs).
// Empty, any interface endpoint (or private address) will do.
type SourceAllowList struct {
	Endpoints []string
	VPCs      []string
	CIDRs     []netip.Prefix
}

var (
	vpceID = regexp.MustCompile(`^vpce-[0-9a-f]{8,17}$`)
	vpcID  = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
)

// ParseSourceAllowList reads a list of vpce-..., vpc-... and CIDR entries.
func ParseSourceAllowList(items []string) (SourceAllowList, error) {
	var a SourceAllowList
	var errs []error
	for _, it := range items {
		switch {
		case vpceID.MatchString(it):
			a.Endpoints = appendOnce(a.Endpoints, it)
		case vpcID.MatchString(it):
			a.VPCs = appendOnce(a.VPCs, it)
		default:
			p, err := netip.ParsePrefix(it)
			if err != nil {
				errs = append(errs, fmt.Errorf("%q is not a VPC endpoint id (vpce-...), a VPC id (vpc-...) or a CIDR", it))
				continue
			}
			a.CIDRs = append(a.CIDRs, p.Masked())
		}
	}
	return a, errors.Join(errs...)
}

// Empty reports whether the list allows nothing in particular.
func (a SourceAllowList) Empty() bool {
	return len(a.Endpoints) == 0 && len(a.VPCs) == 0 && len(a.CIDRs) == 0
}

func (a SourceAllowList) allowsIP(ip netip.Addr) bool {
	for _, p := range a.CIDRs {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

func prefixes(ps []netip.Prefix) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return strings.Join(out, ", ")
}

func appendOnce(xs []string, x string) []string {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}
