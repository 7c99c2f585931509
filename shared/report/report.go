// Package report writes findings for people (an aligned table) and for
// scripts (JSON, CSV), and sums them up by rule and status.
package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/vpcguard/vpcguard/shared/finding"
)

// Format is an output format.
type Format string

const (
	JSON  Format = "json"
	Table Format = "table"
	CSV   Format = "csv"
)

// ParseFormat checks a --format value.
func ParseFormat(s string, allowed ...Format) (Format, error) {
	for _, f := range allowed {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(allowed))
	for i, f := range allowed {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown format %q (want %s)", s, strings.Join(names, ", "))
}

// Write writes findings in format f. Color highlights statuses in a table
// and is only wanted on a terminal.
func Write(w io.Writer, f Format, findings []finding.Finding, color bool) error {
	switch f {
	case JSON:
		return WriteJSON(w, findings)
	case CSV:
		return WriteCSV(w, findings)
	default:
		return WriteTable(w, findings, color)
	}
}

// WriteJSON writes one JSON array: [] when there are no findings, never null.
func WriteJSON(w io.Writer, findings []finding.Finding) error {
	if findings == nil {
		findings = []finding.Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(findings)
}

var csvHeader = []string{"rule", "resourceType", "resourceId", "status", "reason", "account", "region", "principal", "eventId", "eventName", "actions"}

// WriteCSV writes a header and one row per finding.
func WriteCSV(w io.Writer, findings []finding.Finding) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, f := range findings {
		if err := cw.Write([]string{f.Rule, f.ResourceType, f.ResourceID, string(f.Status), f.Reason, f.Account, f.Region,
			f.Principal, f.EventID, f.EventName, ActionsSummary(f.Actions)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

const (
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	grey   = "\x1b[90m"
	reset  = "\x1b[0m"
)

func statusCell(s finding.Status, color bool) string {
	label := string(s)
	if s == finding.NonCompliant {
		label = "✗ " + label
	} else if s == finding.Compliant {
		label = "✓ " + label
	} else {
		label = "· " + label
	}
	if !color {
		return label
	}
	switch s {
	case finding.NonCompliant:
		return red + label + reset
	case finding.Compliant:
		return green + label + reset
	case finding.InsufficientData:
		return yellow + label + reset
	}
	return grey + label + reset
}

// WriteTable writes an aligned table, one finding a line, with its actions
// indented beneath it.
func WriteTable(w io.Writer, findings []finding.Finding, color bool) error {
	// tabwriter counts escape codes as text, which would skew the columns:
	// lay the table out plain, then color each row's leading status label.
	out := w
	var plainTable bytes.Buffer
	if color {
		out = &plainTable
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tRULE\tRESOURCE\tREGION\tPRINCIPAL\tREASON")
	for _, f := range findings {
		plain := statusCell(f.Status, false)
		cell := plain + strings.Repeat(" ", max(0, 20-len([]rune(plain))))
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cell, f.Rule, shortName(f), f.Region, shortPrincipal(f.Principal), f.Reason)
		for _, a := range f.Actions {
			detail := ""
			if a.Detail != "" {
				detail = ": " + a.Detail
			}
			fmt.Fprintf(tw, "\t  ↳ %s\t%s\t%s\t\t%s\n", a.Type, a.Target, a.Outcome, strings.TrimPrefix(detail, ": "))
		}
	}
	if err := tw.Flush(); err != nil || !color {
		return err
	}
	for line := range strings.Lines(plainTable.String()) {
		for _, s := range statusOrder {
			if plain := statusCell(s, false); strings.HasPrefix(line, plain) {
				line = statusCell(s, true) + line[len(plain):]
				break
			}
		}
		if _, err := io.WriteString(w, line); err != nil {
			return err
		}
	}
	return nil
}

func shortName(f finding.Finding) string {
	if f.ResourceName != "" {
		return f.ResourceName
	}
	return f.ResourceID
}

func shortPrincipal(p string) string {
	if i := strings.LastIndex(p, ":"); i >= 0 && strings.HasPrefix(p, "arn:") {
		return p[i+1:]
	}
	if p == "" {
		return "-"
	}
	return p
}

// ActionsSummary is actions in one line: "attach-guardrail done; tag dry-run".
func ActionsSummary(actions []finding.Action) string {
	parts := make([]string, 0, len(actions))
	for _, a := range actions {
		s := a.Type + " " + string(a.Outcome)
		if a.Detail != "" && a.Outcome != finding.Done {
			s += " (" + a.Detail + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

var statusOrder = []finding.Status{finding.NonCompliant, finding.Compliant, finding.NotApplicable, finding.InsufficientData}

// WriteTally writes the counts by rule and status as a small table.
func WriteTally(w io.Writer, s finding.Tally) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tNON_COMPLIANT\tCOMPLIANT\tNOT_APPLICABLE\tINSUFFICIENT_DATA")
	rulesSorted := make([]string, 0, len(s))
	for r := range s {
		rulesSorted = append(rulesSorted, r)
	}
	sort.Strings(rulesSorted)
	for _, r := range rulesSorted {
		fmt.Fprint(tw, r)
		for _, st := range statusOrder {
			fmt.Fprintf(tw, "\t%d", s[r][st])
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
