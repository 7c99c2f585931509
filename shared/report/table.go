package report

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/vpcguard/vpcguard/shared/finding"
)

// The table's fixed columns. A streamed table cannot measure its rows
// before printing them, so its columns are set up front: from the width
// it may take (a terminal's) or, with no limit, to widths that suit most
// values, every value then printed in full.
const (
	gap              = 2
	defaultRuleWidth = 44 // sagemaker-notebook-no-direct-internet-access
	statusWidth      = 20 // · INSUFFICIENT_DATA, and a space
	regionWidth      = 14 // ap-southeast-2
	minReason        = 24
)

// layout is the table's column widths. With fit, values longer than their
// column are shortened in the middle (ids keep their start and their
// distinctive end) and the reason is wrapped; without, every value is
// printed in full and a long one pushes the rest of its line right.
type layout struct {
	rule, resource, region, principal int
	reason                            int // 0: no limit
	fit                               bool
}

// fixedLayout fits the table in width columns; 0 sets no limit.
func fixedLayout(width, ruleWidth int) *layout {
	if ruleWidth <= 0 {
		ruleWidth = defaultRuleWidth
	}
	l := &layout{rule: ruleWidth, resource: 36, region: regionWidth, principal: 24}
	if width <= 0 {
		return l
	}
	l.fit = true
	if width < 120 {
		l.region = len("us-east-1") // longer names are shortened: ap-so…ast-2
	}
	avail := width - statusWidth - l.region - 5*gap
	// The reason gets 45% at least, so it wraps at words; the ids share the
	// rest, the resource taking what the rule and principal leave.
	ids := avail - max(avail*45/100, minReason)
	l.rule = min(max(ids*40/100, 12), ruleWidth)
	l.principal = min(max(ids*22/100, len("PRINCIPAL")), 32)
	l.resource = min(max(ids-l.rule-l.principal, 12), 64)
	l.reason = max(width-(statusWidth+l.rule+l.resource+l.region+l.principal+5*gap), minReason)
	return l
}

// measured lays out the columns to fit the widest value of findings.
func measured(findings []finding.Finding) *layout {
	l := &layout{rule: len("RULE"), resource: len("RESOURCE"), region: len("REGION"), principal: len("PRINCIPAL")}
	for _, f := range findings {
		l.rule = max(l.rule, runes(f.Rule))
		l.resource = max(l.resource, runes(shortName(f)))
		l.region = max(l.region, runes(f.Region))
		l.principal = max(l.principal, runes(shortPrincipal(f.Principal)))
		for _, a := range f.Actions {
			l.rule = max(l.rule, runes(actionLabel(a)))
			l.resource = max(l.resource, runes(a.Target))
			l.region = max(l.region, runes(string(a.Outcome)))
		}
	}
	return l
}

type tableWriter struct {
	w      io.Writer
	l      *layout
	color  bool
	header bool
	b      strings.Builder
}

func newTableWriter(w io.Writer, o Options) *tableWriter {
	l := o.layout
	if l == nil {
		l = fixedLayout(o.Width, o.RuleWidth)
	}
	return &tableWriter{w: w, l: l, color: o.Color}
}

func (t *tableWriter) writeHeader() {
	if t.header {
		return
	}
	t.header = true
	t.row(pad("STATUS", statusWidth), "RULE", "RESOURCE", "REGION", "PRINCIPAL", "REASON")
}

// Write prints one finding and its actions beneath it.
func (t *tableWriter) Write(f finding.Finding) error {
	t.b.Reset()
	t.writeHeader()
	t.row(t.status(f), f.Rule, shortName(f), f.Region, shortPrincipal(f.Principal), f.Reason)
	for _, a := range f.Actions {
		t.row(pad("", statusWidth), actionLabel(a), a.Target, string(a.Outcome), "", a.Detail)
	}
	_, err := io.WriteString(t.w, t.b.String())
	return err
}

func (t *tableWriter) Close() error {
	t.b.Reset()
	t.writeHeader()
	_, err := io.WriteString(t.w, t.b.String())
	return err
}

// row lays out one line (more when the reason wraps); status comes padded.
func (t *tableWriter) row(status, rule, resource, region, principal, reason string) {
	l := t.l
	var line strings.Builder
	line.WriteString(status)
	for _, c := range []struct {
		v string
		w int
	}{{rule, l.rule}, {resource, l.resource}, {region, l.region}, {principal, l.principal}} {
		line.WriteString(strings.Repeat(" ", gap))
		line.WriteString(t.cell(c.v, c.w))
	}
	line.WriteString(strings.Repeat(" ", gap))
	lines := []string{reason}
	if l.fit {
		lines = wrap(reason, l.reason)
	}
	indent := strings.Repeat(" ", statusWidth+l.rule+l.resource+l.region+l.principal+5*gap)
	for i, part := range lines {
		if i > 0 {
			line.Reset()
			line.WriteString(indent)
		}
		line.WriteString(part)
		t.b.WriteString(strings.TrimRight(line.String(), " "))
		t.b.WriteByte('\n')
	}
}

// cell pads v to w columns, shortening it in the middle when the table
// fits a width.
func (t *tableWriter) cell(v string, w int) string {
	n := runes(v)
	switch {
	case n <= w:
		return v + strings.Repeat(" ", w-n)
	case t.l.fit:
		return ShortenMiddle(v, w)
	}
	return v
}

// status is a finding's status label, colored on a terminal, padded to the
// column. A contained finding is NON_COMPLIANT held by vpcguard's measures:
// ◐ CONTAINED tells it from an untouched one (✗ NON_COMPLIANT).
func (t *tableWriter) status(f finding.Finding) string {
	label, color := statusLabel(f)
	padding := strings.Repeat(" ", max(0, statusWidth-runes(label)))
	if !t.color {
		return label + padding
	}
	return color + label + reset + padding
}

const (
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	grey   = "\x1b[90m"
	reset  = "\x1b[0m"
)

func statusLabel(f finding.Finding) (label, color string) {
	switch f.Status {
	case finding.NonCompliant:
		if f.Contained {
			return "◐ CONTAINED", yellow
		}
		return "✗ " + string(f.Status), red
	case finding.Compliant:
		return "✓ " + string(f.Status), green
	case finding.InsufficientData:
		return "· " + string(f.Status), yellow
	}
	return "· " + string(f.Status), grey
}

func actionLabel(a finding.Action) string { return "  ↳ " + a.Type }

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

// ShortenMiddle shortens s to w columns with an ellipsis in the middle,
// keeping more of the end, where ids carry what tells them apart (a ticket
// id's finding, an ARN's resource name).
func ShortenMiddle(s string, w int) string {
	r := []rune(s)
	if len(r) <= w {
		return s
	}
	if w <= 1 {
		return string(r[:max(w, 0)])
	}
	head := (w - 1) * 2 / 5
	tail := w - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// wrap breaks s into lines of at most w columns, at spaces where it can.
func wrap(s string, w int) []string {
	if w <= 0 || runes(s) <= w {
		return []string{s}
	}
	var lines []string
	var cur []rune
	for _, word := range strings.Fields(s) {
		wr := []rune(word)
		if len(cur) > 0 && len(cur)+1+len(wr) > w {
			lines = append(lines, string(cur))
			cur = nil
		}
		if len(cur) > 0 {
			cur = append(cur, ' ')
		}
		cur = append(cur, wr...)
		for len(cur) > w {
			lines = append(lines, string(cur[:w]))
			cur = cur[w:]
		}
	}
	if len(cur) > 0 {
		lines = append(lines, string(cur))
	}
	return lines
}

func pad(s string, w int) string { return s + strings.Repeat(" ", max(0, w-runes(s))) }

func runes(s string) int { return utf8.RuneCountInString(s) }
