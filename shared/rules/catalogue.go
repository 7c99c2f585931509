package rules

import (
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/mode"
)

// The CloudTrail event sources the rules listen to.
const (
	sageMaker = "sagemaker.amazonaws.com"
	ec2       = "ec2.amazonaws.com"
)

// EventBridgeSource is the EventBridge "source" of a CloudTrail event
// source's events: sagemaker.amazonaws.com arrives as aws.sagemaker.
func EventBridgeSource(eventSource string) string {
	svc, _, _ := strings.Cut(eventSource, ".")
	return "aws." + svc
}

// Function is one guard Lambda function: the rules it runs. Its triggers,
// its EventBridge rules and its IAM policy all follow from them.
type Function struct {
	Name        string // directory under functions/ and build/
	Description string
	Rules       []Rule
	// Rechecks says the function also consumes the delayed re-check queue:
	// a notebook cannot be stopped while it is Pending.
	Rechecks bool
}

// Guards is which guard function runs which rules: the one table. A new
// rule joins the guard of its resource kind unless it needs AWS services
// that guard does not link, in which case it gets its own function (each
// SDK service a function links costs every cold start).
func Guards() []Function {
	return []Function{
		// Network isolation first: model-in-vpc may delete the model (All).
		{Name: "model-guard", Description: "vpcguard: SageMaker models must run in a VPC, network-isolated",
			Rules: []Rule{ModelNetworkIsolation{}, ModelInVPC{}}},
		{Name: "endpoint-guard", Description: "vpcguard: SageMaker VPC endpoints must have private DNS", Rules: []Rule{EndpointPrivateDNS{}}},
		{Name: "notebook-guard", Description: "vpcguard: SageMaker notebook instances must not have direct internet access",
			Rules: []Rule{NotebookNoDirectInternet{}}, Rechecks: true},
		// Domains and jobs are kinds of their own: each gets the guard of
		// its kind (SageMaker and IAM, as model-guard).
		{Name: "domain-guard", Description: "vpcguard: SageMaker Studio domains must be VpcOnly", Rules: []Rule{StudioDomainVPCOnly{}}},
		{Name: "job-guard", Description: "vpcguard: SageMaker training, processing, tuning and AutoML jobs must run in a VPC",
			Rules: []Rule{JobInVPC{}}},
		// Presigned URL calls read nothing: this guard links IAM only (for
		// the guardrail), and its EventBridge rule receives read-only
		// management events, which no other guard needs.
		{Name: "presigned-url-guard", Description: "vpcguard: presigned Studio and notebook URLs must be created through a VPC endpoint",
			Rules: []Rule{PresignedURLViaEndpoint{}}},
		// The network rules read EC2 (subnets' zones, VPCs and their
		// endpoints) and SageMaker (models): their own function, so that
		// model-guard does not link EC2 and endpoint-guard not SageMaker for
		// them. Both only ticket, so it links no IAM.
		{Name: "network-guard", Description: "vpcguard: SageMaker models span two Availability Zones, and VPCs have every endpoint SageMaker needs",
			Rules: []Rule{ModelVPCMultiAZ{}, VPCPrivatePathComplete{}}},
	}
}

// Guard returns the guard function named name, or false.
func Guard(name string) (Function, bool) {
	for _, f := range Guards() {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// Triggers merges the triggers of rs by event source (and by whether they
// need read-only management events: those go to an EventBridge rule of
// their own), in first-seen order, each name once: what one function's
// EventBridge rules must match.
func Triggers(rs []Rule) []Trigger {
	var out []Trigger
	for _, r := range rs {
		for _, t := range r.Triggers() {
			i := -1
			for j := range out {
				if out[j].Source == t.Source && out[j].AllManagementEvents == t.AllManagementEvents {
					i = j
				}
			}
			if i < 0 {
				out = append(out, Trigger{Source: t.Source, AllManagementEvents: t.AllManagementEvents})
				i = len(out) - 1
			}
			for _, n := range t.Names {
				if !slices.Contains(out[i].Names, n) {
					out[i].Names = append(out[i].Names, n)
				}
			}
		}
	}
	return out
}

// NeedReadEvents reports whether a trigger of rs needs read-only
// management events: a trail must then record read events, not only writes.
func NeedReadEvents(rs []Rule) bool {
	for _, t := range Triggers(rs) {
		if t.AllManagementEvents {
			return true
		}
	}
	return false
}

// GuardrailPolicy is the one guardrail policy holding the deny statements
// of every rule in rs that has them; ok is false when none has.
func GuardrailPolicy(rs []Rule) (p guardrail.Policy, ok bool) {
	p.Description = "vpcguard guardrail: denies the non-compliant form of calls that broke an enforced rule"
	for _, r := range rs {
		p.Statements = append(p.Statements, r.Guardrail()...)
	}
	return p, len(p.Statements) > 0
}

// Enforced returns the rules of rs whose mode, as modeFor says, remediates.
func Enforced(rs []Rule, modeFor func(Rule) mode.Mode) []Rule {
	var out []Rule
	for _, r := range rs {
		if modeFor(r).Remediates() {
			out = append(out, r)
		}
	}
	return out
}
