package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vpcguard/vpcguard/shared/finding"
)

func sampleFindings() []finding.Finding {
	return []finding.Finding{
		{
			Rule: "sagemaker-model-in-vpc", ResourceType: "AWS::SageMaker::Model",
			ResourceID: "arn:aws:sagemaker:us-east-1:111122223333:model/m", ResourceName: "m",
			Status: finding.NonCompliant, Reason: "model m has no VpcConfig subnets, \"quoted\", with a comma",
			Severity: "HIGH", EventID: "ev-1", EventName: "CreateModel", Principal: "arn:aws:iam::111122223333:role/MLEngineer",
			Account: "111122223333", Region: "us-east-1", Evaluation: "offline",
			Actions: []finding.Action{
				{Type: "attach-guardrail", Target: "arn:aws:iam::111122223333:role/MLEngineer", Outcome: finding.Done, Detail: "attached p"},
				{Type: "tag", Target: "m", Outcome: finding.Skipped, Detail: "exempt"},
			},
		},
		{
			Rule: "sagemaker-vpc-endpoint-private-dns", ResourceType: "AWS::EC2::VPCEndpoint",
			ResourceID: "arn:aws:ec2:eu-west-1:111122223333:vpc-endpoint/vpce-1", ResourceName: "vpce-1",
			Status: finding.Compliant, Reason: "private DNS on", Account: "111122223333", Region: "eu-west-1", Evaluation: "online",
		},
		{
			Rule: "sagemaker-notebook-no-direct-internet-access", ResourceType: "AWS::SageMaker::NotebookInstance",
			ResourceID: "a-rather-long-notebook-instance-name", Status: finding.InsufficientData, Reason: "evaluate online",
			Principal: "sagemaker.amazonaws.com", Account: "111122223333", Region: "ap-southeast-2", Evaluation: "offline",
		},
		{
			Rule: "sagemaker-model-in-vpc", ResourceType: "AWS::SageMaker::Model", ResourceID: "gone",
			Status: finding.NotApplicable, Reason: "gone no longer exists", Account: "111122223333", Region: "us-east-1",
		},
	}
}

func TestWriteJSON(t *testing.T) {
	tests := []struct {
		name     string
		findings []finding.Finding
	}{
		{"nil", nil},
		{"empty", []finding.Finding{}},
		{"some", sampleFindings()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteJSON(&buf, tt.findings); err != nil {
				t.Fatalf("WriteJSON: %v", err)
			}
			out := strings.TrimSpace(buf.String())
			if len(tt.findings) == 0 && out != "[]" {
				t.Fatalf("output: got %q; want []", out)
			}
			var got []map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("output is not a JSON array: %v\n%s", err, out)
			}
			if len(got) != len(tt.findings) {
				t.Fatalf("array length: got %d; want %d", len(got), len(tt.findings))
			}
			for i, f := range tt.findings {
				for _, key := range []string{"rule", "resourceType", "resourceId", "status", "reason", "account", "region", "evaluation"} {
					if _, ok := got[i][key]; !ok {
						t.Errorf("finding %d: no %q field; want it always present", i, key)
					}
				}
				if got[i]["status"] != string(f.Status) || got[i]["resourceId"] != f.ResourceID {
					t.Errorf("finding %d: got status %v resourceId %v; want %s %s", i, got[i]["status"], got[i]["resourceId"], f.Status, f.ResourceID)
				}
			}
			if strings.Contains(out, `\u003e`) || strings.Contains(out, `\u0026`) {
				t.Errorf("output escapes HTML; want it readable")
			}
		})
	}
}

func TestWriteCSV(t *testing.T) {
	findings := sampleFindings()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, findings); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v", err)
	}
	wantHeader := []string{"rule", "resourceType", "resourceId", "status", "reason", "account", "region", "principal", "eventId", "eventName", "actions",
		"contained", "containment"}
	if !slices.Equal(rows[0], wantHeader) {
		t.Errorf("header: got %q; want %q", rows[0], wantHeader)
	}
	if len(rows) != 1+len(findings) {
		t.Fatalf("rows: got %d; want header + %d", len(rows), len(findings))
	}
	first := rows[1]
	want := []string{"sagemaker-model-in-vpc", "AWS::SageMaker::Model", "arn:aws:sagemaker:us-east-1:111122223333:model/m", "NON_COMPLIANT",
		findings[0].Reason, "111122223333", "us-east-1", "arn:aws:iam::111122223333:role/MLEngineer", "ev-1", "CreateModel",
		"attach-guardrail done; tag skipped (exempt)", "false", ""}
	if !slices.Equal(first, want) {
		t.Errorf("row 1:\ngot  %q\nwant %q", first, want)
	}

	buf.Reset()
	if err := WriteCSV(&buf, nil); err != nil {
		t.Fatalf("WriteCSV(nil): %v", err)
	}
	if got := strings.TrimSpace(buf.String()); got != strings.Join(wantHeader, ",") {
		t.Errorf("WriteCSV(nil): got %q; want the header alone", got)
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// columnStarts returns the rune offsets where the header's columns begin.
func columnStarts(header string, names []string) []int {
	var starts []int
	for _, n := range names {
		i := strings.Index(header, n)
		starts = append(starts, utf8.RuneCountInString(header[:i]))
	}
	return starts
}

// cellAt returns the text of a line from rune offset start to the next run of
// two spaces.
func cellAt(line string, start int) string {
	r := []rune(line)
	if start > len(r) {
		return ""
	}
	rest := string(r[start:])
	if i := strings.Index(rest, "  "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

func TestWriteTableIsAligned(t *testing.T) {
	for _, color := range []bool{false, true} {
		name := "plain"
		if color {
			name = "color"
		}
		t.Run(name, func(t *testing.T) {
			findings := sampleFindings()
			var buf bytes.Buffer
			if err := WriteTable(&buf, findings, color); err != nil {
				t.Fatalf("WriteTable: %v", err)
			}
			out := buf.String()
			if color != strings.Contains(out, "\x1b[") {
				t.Errorf("escape codes present: got %v; want %v", !color, color)
			}
			lines := strings.Split(strings.TrimRight(ansi.ReplaceAllString(out, ""), "\n"), "\n")
			cols := []string{"STATUS", "RULE", "RESOURCE", "REGION", "PRINCIPAL", "REASON"}
			if !strings.HasPrefix(lines[0], "STATUS") {
				t.Fatalf("header: got %q; want it to start with STATUS", lines[0])
			}
			starts := columnStarts(lines[0], cols)
			// One line per finding, plus one per action, under the header.
			if want := 1 + len(findings) + 2; len(lines) != want {
				t.Fatalf("lines: got %d; want %d\n%s", len(lines), want, out)
			}
			var rows []string
			for _, l := range lines[1:] {
				if !strings.Contains(l, "↳") {
					rows = append(rows, l)
				}
			}
			for i, f := range findings {
				want := []string{"", f.Rule, f.ResourceID, f.Region, "", f.Reason}
				if f.ResourceName != "" {
					want[2] = f.ResourceName
				}
				for c := 1; c < len(cols); c++ {
					if want[c] == "" {
						continue
					}
					if got := cellAt(rows[i], starts[c]); got != want[c] {
						t.Errorf("row %d column %s: got %q; want %q (columns misaligned?)\n%s", i, cols[c], got, want[c], strings.Join(lines, "\n"))
					}
				}
				if !strings.Contains(rows[i], string(f.Status)) {
					t.Errorf("row %d: got %q; want the status %s", i, rows[i], f.Status)
				}
			}
			if got := cellAt(rows[0], starts[4]); got != "role/MLEngineer" {
				t.Errorf("principal: got %q; want the short name role/MLEngineer", got)
			}
			if got := cellAt(rows[1], starts[4]); got != "-" {
				t.Errorf("no principal: got %q; want -", got)
			}
			for _, mark := range []string{"✗ NON_COMPLIANT", "✓ COMPLIANT", "· INSUFFICIENT_DATA", "· NOT_APPLICABLE"} {
				if !strings.Contains(out, mark) {
					t.Errorf("table: want %q to mark the status", mark)
				}
			}
		})
	}
}

func TestWriteTableColors(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTable(&buf, sampleFindings(), true); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{red + "✗ NON_COMPLIANT" + reset, green + "✓ COMPLIANT" + reset, yellow + "· INSUFFICIENT_DATA" + reset, grey + "· NOT_APPLICABLE" + reset} {
		if !strings.Contains(out, want) {
			t.Errorf("colored table: want %q in\n%s", want, out)
		}
	}
}

func TestWriteDispatchesOnFormat(t *testing.T) {
	for _, tt := range []struct {
		f      Format
		prefix string
	}{{JSON, "["}, {CSV, "rule,resourceType"}, {Table, "STATUS"}, {"", "STATUS"}} {
		var buf bytes.Buffer
		if err := Write(&buf, tt.f, sampleFindings(), false); err != nil {
			t.Fatalf("Write(%q): %v", tt.f, err)
		}
		if !strings.HasPrefix(buf.String(), tt.prefix) {
			t.Errorf("Write(%q): got %.30q; want it to start with %q", tt.f, buf.String(), tt.prefix)
		}
	}
}

func TestParseFormat(t *testing.T) {
	if f, err := ParseFormat("table", JSON, Table); err != nil || f != Table {
		t.Errorf("ParseFormat(table): got %q, %v; want table, nil", f, err)
	}
	_, err := ParseFormat("csv", JSON, Table)
	if err == nil || !strings.Contains(err.Error(), `unknown format "csv"`) || !strings.Contains(err.Error(), "json, table") {
		t.Errorf("ParseFormat(csv) with json, table allowed: got %v; want an error naming csv and the allowed formats", err)
	}
}

func TestTally(t *testing.T) {
	s := finding.Count(sampleFindings())
	if got := s["sagemaker-model-in-vpc"][finding.NonCompliant]; got != 1 {
		t.Errorf("model NON_COMPLIANT: got %d; want 1", got)
	}
	if got := s["sagemaker-model-in-vpc"][finding.NotApplicable]; got != 1 {
		t.Errorf("model NOT_APPLICABLE: got %d; want 1", got)
	}
	var buf bytes.Buffer
	if err := WriteTally(&buf, finding.Counts{ByRule: s, Contained: map[string]int{"sagemaker-model-in-vpc": 1}}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("summary lines: got %d; want header + 3 rules\n%s", len(lines), buf.String())
	}
	if f := strings.Fields(lines[1]); !slices.Equal(f, []string{"sagemaker-model-in-vpc", "1", "1", "0", "1", "0"}) {
		t.Errorf("summary row: got %q; want model row 1 1 0 1 0 (sorted by rule; the second column is CONTAINED)", f)
	}
}

func TestActionsSummary(t *testing.T) {
	tests := []struct {
		actions []finding.Action
		want    string
	}{
		{nil, ""},
		{[]finding.Action{{Type: "tag", Outcome: finding.Done, Detail: "k=v"}}, "tag done"},
		{[]finding.Action{{Type: "tag", Outcome: finding.DryRun, Detail: "would tag"}, {Type: "stop-notebook", Outcome: finding.Failed, Detail: "throttled"}},
			"tag dry-run (would tag); stop-notebook failed (throttled)"},
	}
	for _, tt := range tests {
		if got := ActionsSummary(tt.actions); got != tt.want {
			t.Errorf("ActionsSummary(%v): got %q; want %q", tt.actions, got, tt.want)
		}
	}
}
