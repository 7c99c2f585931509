// Package rules holds vpcguard's rules: one file each, pure decisions on a
// resource's state, with no I/O of their own.
package rules

import (
	"slices"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
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
	// Triggers lists the CloudTrail eventSource and eventNames the rule evaluates.
	Triggers() Trigger
	// FromEvent names the resources a successful call is about, with what
	// the event itself tells of them (a nil config when it does not tell).
	FromEvent(ev *cloudtrail.Event) []resource.State
	// Decide judges a resource's state.
	Decide(s resource.State) Decision
}

// Trigger is the set of CloudTrail calls a rule listens to.
type Trigger struct {
	EventSource string
	EventNames  []string
}

// Decision is a rule's verdict and the reason a person can act on.
type Decision struct {
	Status finding.Status
	Reason string
}

// All returns every rule, in a fixed order. Registration is this explicit
// list, not init(), so what runs is visible in one place.
func All() []Rule {
	return []Rule{ModelInVPC{}, EndpointPrivateDNS{}, NotebookNoDirectInternet{}}
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

// ForKind returns the rule that judges kind, or nil.
func ForKind(kind resource.Kind) Rule {
	for _, r := range All() {
		if r.Kind() == kind {
			return r
		}
	}
	return nil
}

// Handles reports whether r evaluates ev: the call is one of its triggers
// and it succeeded (a failed call changed nothing).
func Handles(r Rule, ev *cloudtrail.Event) bool {
	t := r.Triggers()
	return !ev.Failed() && ev.Source == t.EventSource && slices.Contains(t.EventNames, ev.Name)
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
