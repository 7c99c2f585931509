// Package mode is what vpcguard does about a NON_COMPLIANT finding. Each
// rule has a default (package rules); the operator's configuration
// (package config) may override it for every rule or for one.
package mode

// Mode is what vpcguard does about a NON_COMPLIANT finding.
type Mode string

const (
	Report  Mode = "report"  // log and emit the finding; change nothing
	Ticket  Mode = "ticket"  // report, and open or update a ticket
	Enforce Mode = "enforce" // ticket, and remediate
)

// All lists the modes, from the mildest.
var All = []Mode{Report, Ticket, Enforce}

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == Report || m == Ticket || m == Enforce }

// Tickets reports whether m opens tickets.
func (m Mode) Tickets() bool { return m == Ticket || m == Enforce }

// Remediates reports whether m changes resources.
func (m Mode) Remediates() bool { return m == Enforce }
