package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"

	"github.com/vpcguard/vpcguard/shared/finding"
)

// jsonWriter writes one JSON array, an element at a time: "[" before the
// first, "," between, "]" on Close ("[]" when there were none).
type jsonWriter struct {
	w   io.Writer
	n   int
	buf bytes.Buffer
}

func (j *jsonWriter) Write(f finding.Finding) error {
	j.buf.Reset()
	if j.n == 0 {
		j.buf.WriteString("[\n  ")
	} else {
		j.buf.WriteString(",\n  ")
	}
	enc := json.NewEncoder(&j.buf)
	enc.SetEscapeHTML(false) // readable: "->" and "&" as they are
	enc.SetIndent("  ", "  ")
	if err := enc.Encode(f); err != nil {
		return err
	}
	j.buf.Truncate(j.buf.Len() - 1) // Encode's newline: the separator comes with the next
	j.n++
	_, err := j.w.Write(j.buf.Bytes())
	return err
}

func (j *jsonWriter) Close() error {
	end := "\n]\n"
	if j.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(j.w, end)
	return err
}

// csvHeader is the CSV columns; new ones are only ever appended, so
// scripts reading columns by position keep working.
var csvHeader = []string{"rule", "resourceType", "resourceId", "status", "reason", "account", "region", "principal", "eventId", "eventName", "actions",
	"contained", "containment"}

type csvWriter struct {
	cw     *csv.Writer
	header bool
}

func newCSVWriter(w io.Writer) *csvWriter { return &csvWriter{cw: csv.NewWriter(w)} }

func (c *csvWriter) writeHeader() error {
	if c.header {
		return nil
	}
	c.header = true
	return c.cw.Write(csvHeader)
}

func (c *csvWriter) Write(f finding.Finding) error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	if err := c.cw.Write([]string{f.Rule, f.ResourceType, f.ResourceID, string(f.Status), f.Reason, f.Account, f.Region,
		f.Principal, f.EventID, f.EventName, ActionsSummary(f.Actions), strconv.FormatBool(f.Contained), Containment(f)}); err != nil {
		return err
	}
	c.cw.Flush() // a row as it comes
	return c.cw.Error()
}

func (c *csvWriter) Close() error {
	if err := c.writeHeader(); err != nil {
		return err
	}
	c.cw.Flush()
	return c.cw.Error()
}
