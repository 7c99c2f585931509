// Package rules is vpcguard's catalogue: one file per rule holding all of
// it (name, the resources it judges, the CloudTrail calls that trigger it,
// its decision, its default mode, its guardrail statements), the resource
// kinds the rules judge, and which guard function runs which rules.
// Everything else (the CDK stack's event patterns and IAM policies, the
// configuration's rule names, the README's rule table, `vpcguard rules`)
// reads it from here. Decisions are pure: no I/O of their own.
package rules

import (
	"slices"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// Rule is one promise vpcguard keeps.
type Rule interface {
	// Name is the rule's stable identifier, in AWS Config's style.
	Name() string
	// Kind is the type of resource the rule judges.
	Kind() resource.Kind
	// Severity is the ASFF severity label of a NON_COMPLIANT finding.
	Severity() string
	// DefaultMode is what vpcguard does about a violation when the
	// operator has not chosen (VPCGUARD_MODE, VPCGUARD_RULE_MODES).
	DefaultMode() mode.Mode
	// Triggers lists the CloudTrail calls the rule evaluates, by source.
	Triggers() []Trigger
	// FromEvent names the resources a successful call is about, with what
	// the event itself tells of them (a nil config when it does not tell).
	FromEvent(ev *cloudtrail.Event) []resource.State
	// Decide judges a resource's state.
	Decide(s resource.State) Decision
	// Guardrail is the IAM deny statements that refuse the non-compliant
	// form of the calls, attached in enforce mode to the principal that
	// broke the rule; nil when IAM has no condition key that can tell.
	Guardrail() []guardrail.Statement
	// Remedies is what enforce mode does to the resource itself, in order,
	// after the guardrail; nil for a rule that only tickets.
	Remedies() []Remedy
	// Doc says, for people, what breaks the rule and what enforce mode does.
	Doc() Doc
}

// Trigger is a set of CloudTrail calls of one event source.
type Trigger struct {
	Source string   // CloudTrail eventSource, e.g. sagemaker.amazonaws.com
	Names  []string // eventName values
	// AllManagementEvents says the calls may be read-only management
	// events. EventBridge delivers those only to a rule in state
	// ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, and a trail records
	// them only when it records read events: infra deploys such triggers'
	// EventBridge rules in that state, and the trail it can create records
	// read events too.
	AllManagementEvents bool
}

// Doc is a rule's description for the README table and `vpcguard rules`.
type Doc struct {
	Breaks  string // what breaks the rule
	Enforce string // what vpcguard does in enforce mode
}

// Decision is a rule's verdict and the reason a person can act on.
type Decision struct {
	Status finding.Status
	Reason string
}

// All returns every rule, in a fixed order. Registration is this explicit
// list, not init(), so what runs is visible in one place. Rules are
// evaluated and remediated in this order, so a rule whose remedies may
// delete a resource (model-in-vpc's opt-in DeleteModel) comes after every
// other rule of its kind: they act on the resource while it exists.
func All() []Rule {
	return []Rule{
		ModelNetworkIsolation{}, ModelInVPC{}, EndpointPrivateDNS{}, NotebookNoDirectInternet{},
		ModelVPCMultiAZ{}, VPCPrivatePathComplete{},
		StudioDomainVPCOnly{}, JobInVPC{}, PresignedURLViaEndpoint{},
	}
}

// EventOnly is a rule that judges the call itself, not a resource's
// current state: there is nothing to read, so online and offline decide
// the same, and nothing to list, so a backfill cannot find past calls
// (CloudTrail's logs can: vpcguard evaluate reads them).
type EventOnly interface {
	Rule
	// EventOnly marks the rule; it does nothing.
	EventOnly()
}

// IsEventOnly reports whether r judges calls rather than resources.
func IsEventOnly(r Rule) bool {
	_, ok := r.(EventOnly)
	return ok
}

// GuardrailRefuser is a rule that knows, from the call and the resource,
// when its guardrail must not go on the principal behind the call: a job
// SageMaker started for a tuning job, an AutoML job or a pipeline runs as an
// execution role that every such job needs.
type GuardrailRefuser interface {
	Rule
	// RefuseGuardrail says why the guardrail must not go on principal, who
	// made the call as caller, or "" when it may.
	RefuseGuardrail(caller cloudtrail.Identity, principal string, s resource.State) string
}

// Settings are the operator's choices that change what a rule decides or
// denies (most rules have none).
type Settings struct {
	// PresignedURLSources are where presigned URL calls may come from
	// (PresignedURLViaEndpoint).
	PresignedURLSources SourceAllowList
}

// configurable is a rule that takes Settings.
type configurable interface {
	configure(Settings) Rule
}

// Configured returns rs, each rule with the settings it takes.
func Configured(rs []Rule, s Settings) []Rule {
	out := make([]Rule, len(rs))
	for i, r := range rs {
		if c, ok := r.(configurable); ok {
			r = c.configure(s)
		}
		out[i] = r
	}
	return out
}

// Names returns the names of rules.
func Names(rs []Rule) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name()
	}
	return out
}

// ByName returns the named rule, or nil.
func ByName(name string) Rule {
	for _, r := range All() {
		if r.Name() == name {
			return r
		}
	}
	return nil
}

// Handles reports whether r evaluates ev: the call is one of its triggers
// and it succeeded (a failed call changed nothing).
func Handles(r Rule, ev *cloudtrail.Event) bool {
	if ev.Failed() {
		return false
	}
	for _, t := range r.Triggers() {
		if ev.Source == t.Source && slices.Contains(t.Names, ev.Name) {
			return true
		}
	}
	return false
}

// ref builds the Ref of a resource named by ev.
func ref(kind resource.Kind, id string, ev *cloudtrail.Event) resource.Ref {
	return resource.Ref{Kind: kind, ID: id, Account: ev.Account, Region: ev.Region}
}

// gone and unknown are the decisions every rule shares.
func gone(s resource.State) Decision {
	return Decision{finding.NotApplicable, s.ID + " no longer exists"}
}

func unknown(what string) Decision {
	return Decision{finding.InsufficientData, "the event does not tell " + what + "; evaluate online to read the current state"}
}
