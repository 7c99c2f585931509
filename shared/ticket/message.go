package ticket

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/vpcguard/vpcguard/shared/finding"
)

// Source names vpcguard wherever a ticket system asks who raised the ticket.
const Source = "vpcguard"

// DefaultExemptTagKey is the tag the messages tell people to use when a sink's
// ExemptTagKey is not set; it matches config.Default().
const DefaultExemptTagKey = "vpcguard:exempt"

// TicketID is the deterministic id of a finding's ticket:
// vpcguard/<rule>/<sha256 of finding.Key()>. The same (rule, account,
// region, resource) always maps to the same id, so a repeated event updates
// the ticket instead of adding one. The hash keeps the id short and free of
// ARN punctuation; the readable key travels beside it in every sink.
func TicketID(f finding.Finding) string {
	sum := sha256.Sum256([]byte(f.Key()))
	return "vpcguard/" + f.Rule + "/" + hex.EncodeToString(sum[:])
}

// fingerprint sums what a ticket says about the problem. Event ids, principals
// and the actions taken are left out on purpose: a second event about the
// same problem is a duplicate, not news.
func fingerprint(f finding.Finding) string {
	sum := sha256.Sum256([]byte(strings.Join([]string{
		string(f.Status), severityLabel(f), f.Reason, f.ResourceType,
	}, "\x00")))
	return hex.EncodeToString(sum[:8])
}

// severityLabel is the finding's severity as an ASFF label; HIGH when unset
// or not a label, because a NON_COMPLIANT SageMaker resource reachable from
// the internet is serious until a rule says otherwise.
func severityLabel(f finding.Finding) string {
	switch s := strings.ToUpper(strings.TrimSpace(f.Severity)); s {
	case "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL":
		return s
	}
	return "HIGH"
}

// resourceName is the short name people recognise: the name the evaluator
// gave, else the last part of the ARN.
func resourceName(f finding.Finding) string {
	if f.ResourceName != "" {
		return f.ResourceName
	}
	id := f.ResourceID
	if i := strings.LastIndexAny(id, "/:"); i >= 0 && i < len(id)-1 {
		return id[i+1:]
	}
	return id
}

func title(f finding.Finding) string {
	return truncate(fmt.Sprintf("%s: %s %s", f.Rule, f.ResourceType, resourceName(f)), 256)
}

// actionsSummary lists what was done about the finding, one clause per action.
func actionsSummary(actions []finding.Action) string {
	if len(actions) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(actions))
	for _, a := range actions {
		s := fmt.Sprintf("%s %s: %s", a.Type, a.Target, a.Outcome)
		if a.Detail != "" {
			s += " (" + a.Detail + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func exemptHint(tagKey string) string {
	if tagKey == "" {
		tagKey = DefaultExemptTagKey
	}
	return fmt.Sprintf("Fix the resource, or tag it with %q (the value can say why) to exempt it: "+
		"vpcguard then reports it NOT_APPLICABLE, resolves this ticket and never touches it.", tagKey)
}

// shortDescription is the reason and what was done, for fields with a small
// limit (ASFF Description: 1024 characters).
func shortDescription(f finding.Finding, limit int) string {
	return truncate(f.Reason+" Actions: "+actionsSummary(f.Actions)+".", limit)
}

// readable is the body a person reads: what, where, why, what was done, and
// how to exempt.
func readable(f finding.Finding, kind ChangeKind, exemptTagKey string) string {
	var b strings.Builder
	switch kind {
	case Resolved:
		fmt.Fprintf(&b, "vpcguard resolved a finding: %s is now %s.\n\n", f.Rule, f.Status)
	case Updated:
		fmt.Fprintf(&b, "vpcguard updated a finding: %s is %s.\n\n", f.Rule, f.Status)
	default:
		fmt.Fprintf(&b, "vpcguard found a problem: %s is %s.\n\n", f.Rule, f.Status)
	}
	fmt.Fprintf(&b, "What:   %s (severity %s)\n", f.Rule, severityLabel(f))
	fmt.Fprintf(&b, "Where:  %s %s\n        account %s, region %s\n", f.ResourceType, f.ResourceID, f.Account, f.Region)
	fmt.Fprintf(&b, "Why:    %s\n", f.Reason)
	if f.Principal != "" || f.EventName != "" {
		fmt.Fprintf(&b, "Who:    %s (%s %s at %s)\n", orDash(f.Principal), orDash(f.EventName), orDash(f.EventID), orDash(f.EventTime))
	}
	b.WriteString("Done:\n")
	if len(f.Actions) == 0 {
		b.WriteString("  - nothing\n")
	}
	for _, a := range f.Actions {
		fmt.Fprintf(&b, "  - %s %s: %s", a.Type, a.Target, a.Outcome)
		if a.Detail != "" {
			fmt.Fprintf(&b, " (%s)", a.Detail)
		}
		b.WriteString("\n")
	}
	if kind != Resolved {
		fmt.Fprintf(&b, "Exempt: %s\n", exemptHint(exemptTagKey))
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// jsonMarker separates the readable part of an SNS message from the finding's
// JSON, which always comes last.
const jsonMarker = "\n--- finding (JSON) ---\n"

// messageBody is the SNS message: the readable part, then the marker, then the
// finding as JSON, so a person reads the top and a program reads the bottom.
func messageBody(f finding.Finding, kind ChangeKind, exemptTagKey string) (string, error) {
	js, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode finding as json: %w", err)
	}
	return readable(f, kind, exemptTagKey) + jsonMarker + string(js) + "\n", nil
}

// FindingFromMessage reads the finding back out of an SNS message body that
// this package published (the part after the "--- finding (JSON) ---" line).
func FindingFromMessage(body string) (finding.Finding, error) {
	var f finding.Finding
	i := strings.LastIndex(body, jsonMarker)
	if i < 0 {
		return f, errors.New("read finding from message: no finding json marker")
	}
	if err := json.Unmarshal([]byte(body[i+len(jsonMarker):]), &f); err != nil {
		return f, fmt.Errorf("read finding from message: %w", err)
	}
	return f, nil
}

// subject is the SNS subject: at most 100 printable ASCII characters on one
// line, as SNS requires, led by what happened so a mail client's list reads well.
func subject(f finding.Finding, kind ChangeKind) string {
	head := "NON_COMPLIANT"
	switch kind {
	case Updated:
		head = "UPDATED"
	case Resolved:
		head = "RESOLVED"
	}
	s := fmt.Sprintf("[vpcguard] %s %s: %s (%s %s)", head, f.Rule, resourceName(f), f.Account, f.Region)
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
	return truncate(s, 100)
}

// truncate shortens s to at most n bytes on a rune boundary, ending in "..."
// when it had to cut. Bytes bound characters, so AWS's character limits hold.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
