// Package report writes findings for people (an aligned table, an HTML
// report) and for scripts (JSON, CSV), one finding at a time as they
// complete (NewWriter): nothing is held but counts, so a report over a large
// estate costs no more memory than a small one. Tally sums findings up by
// rule and status.
package report

import (
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
	HTML  Format = "html"
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

// Writer writes findings one at a time, as they complete, and ends the
// document on Close (the JSON array's bracket, the HTML report's summary).
// A Writer is not safe for concurrent use: the backfill engine serializes
// its calls.
type Writer interface {
	Write(f finding.Finding) error
	Close() error
}

// Options shape a Writer's output.
type Options struct {
	// Color marks the table's statuses with ANSI colors: for a terminal.
	Color bool
	// Width is the table's width in columns: long ids are shortened in the
	// middle and reasons wrapped to fit. 0 sets no limit: every value in
	// full, columns padded to fixed widths.
	Width int
	// RuleWidth is the longest rule name (the catalogue's); 0 is 44.
	RuleWidth int
	// Title and Context head the HTML report: what it is, and what was run
	// (command, mode, accounts, regions).
	Title, Context string

	layout *layout // Write: the columns measured from the findings
}

// NewWriter returns a Writer of format f on w.
func NewWriter(w io.Writer, f Format, o Options) Writer {
	switch f {
	case JSON:
		return &jsonWriter{w: w}
	case CSV:
		return newCSVWriter(w)
	case HTML:
		return newHTMLWriter(w, o)
	default:
		return newTableWriter(w, o)
	}
}

// Write writes findings in format f, all at once: the table's columns fit
// the widest value. Color highlights statuses in a table and is only wanted
// on a terminal. Streams use NewWriter.
func Write(w io.Writer, f Format, findings []finding.Finding, color bool) error {
	o := Options{Color: color}
	if f == Table || f == "" {
		o.layout = measured(findings)
	}
	out := NewWriter(w, f, o)
	for _, fd := range findings {
		if err := out.Write(fd); err != nil {
			return err
		}
	}
	return out.Close()
}

// WriteJSON writes one JSON array: [] when there are no findings, never null.
func WriteJSON(w io.Writer, findings []finding.Finding) error {
	return Write(w, JSON, findings, false)
}

// WriteCSV writes a header and one row per finding.
func WriteCSV(w io.Writer, findings []finding.Finding) error {
	return Write(w, CSV, findings, false)
}

// WriteTable writes an aligned table, one finding a line, with its actions
// indented beneath it; the columns fit the widest value.
func WriteTable(w io.Writer, findings []finding.Finding, color bool) error {
	return Write(w, Table, findings, color)
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

// Containment is a finding's measures in one line: "stopped, tagged".
func Containment(f finding.Finding) string {
	parts := make([]string, len(f.Containment))
	for i, m := range f.Containment {
		parts[i] = string(m)
	}
	return strings.Join(parts, ", ")
}

var statusOrder = []finding.Status{finding.NonCompliant, finding.Compliant, finding.NotApplicable, finding.InsufficientData}

// WriteTally writes the counts by rule and status as a small table. The
// CONTAINED column counts the NON_COMPLIANT findings vpcguard's measures
// hold; they are counted under NON_COMPLIANT too.
func WriteTally(w io.Writer, c finding.Counts) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tNON_COMPLIANT\tCONTAINED\tCOMPLIANT\tNOT_APPLICABLE\tINSUFFICIENT_DATA")
	rulesSorted := make([]string, 0, len(c.ByRule))
	for r := range c.ByRule {
		rulesSorted = append(rulesSorted, r)
	}
	sort.Strings(rulesSorted)
	for _, r := range rulesSorted {
		fmt.Fprintf(tw, "%s\t%d\t%d", r, c.ByRule[r][finding.NonCompliant], c.Contained[r])
		for _, st := range statusOrder[1:] {
			fmt.Fprintf(tw, "\t%d", c.ByRule[r][st])
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
