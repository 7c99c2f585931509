package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Figure is one measured number, with its goal when the issue sets one.
type Figure struct {
	Group string  `json:"group"` // eval, coldstart, backfill, memory, org
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Extra are the numbers measured with Value (B/op, p90, wall time...),
	// each keyed by name and unit.
	Extra map[string]float64 `json:"extra,omitempty"`
	// Goal is the goal in words; GoalValue and GoalOp ("<", ">=")
	// are its machine form. Met is nil when there is no goal.
	Goal      string   `json:"goal,omitempty"`
	GoalValue *float64 `json:"goalValue,omitempty"`
	GoalOp    string   `json:"goalOp,omitempty"`
	Met       *bool    `json:"met,omitempty"`
	Note      string   `json:"note,omitempty"`

	shown string // the value as the table prints it
}

// under sets a goal "value < limit".
func (f *Figure) under(limit float64, words string) {
	f.Goal, f.GoalValue, f.GoalOp = words, &limit, "<"
	met := f.Value < limit
	f.Met = &met
}

// atLeast sets a goal "value >= limit".
func (f *Figure) atLeast(limit float64, words string) {
	f.Goal, f.GoalValue, f.GoalOp = words, &limit, ">="
	met := f.Value >= limit
	f.Met = &met
}

// must sets a yes/no goal.
func (f *Figure) must(ok bool, words string) {
	f.Goal = words
	f.Met = &ok
}

// Comparison is a vpcguard figure measured in this run beside Cloud
// Custodian's on the same estate, which is an external reference: this
// command never runs Cloud Custodian (see custodianSource).
type Comparison struct {
	Figure    string  `json:"figure"`
	Unit      string  `json:"unit"`
	VPCGuard  float64 `json:"vpcguardMeasured"`
	Custodian float64 `json:"cloudCustodianReference"`
	Source    string  `json:"cloudCustodianSource"`
	Note      string  `json:"note,omitempty"`
}

// Machine says where the figures were measured.
type Machine struct {
	GoVersion   string `json:"goVersion"`
	GOOS        string `json:"goos"`
	GOARCH      string `json:"goarch"`
	CPUs        int    `json:"cpus"`
	CPUModel    string `json:"cpuModel,omitempty"`
	LoadStart   string `json:"loadAverageAtStart,omitempty"`
	LoadEnd     string `json:"loadAverageAtEnd,omitempty"`
	MotoVersion string `json:"motoVersion,omitempty"`
}

// Results is bench/results.json.
type Results struct {
	Date            string       `json:"date"`
	Command         string       `json:"command"`
	Quick           bool         `json:"quick"`
	Groups          []string     `json:"groups"`
	DurationSeconds float64      `json:"durationSeconds"`
	Machine         Machine      `json:"machine"`
	Figures         []*Figure    `json:"figures"`
	Comparison      []Comparison `json:"cloudCustodianComparison,omitempty"`
	Notes           []string     `json:"notes,omitempty"`
	Errors          []string     `json:"errors,omitempty"`
}

func machine() Machine {
	m := Machine{GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), LoadStart: loadAverage()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// loadAverage is the 1, 5 and 15 minute load: how busy the machine was.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// printTable writes the figures as figure | value | goal | met?.
func printTable(w io.Writer, figs []*Figure) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tVALUE\tGOAL\tMET?")
	group := ""
	for _, f := range figs {
		if f.Group != group && group != "" {
			fmt.Fprintln(tw, "\t\t\t")
		}
		group = f.Group
		met := ""
		if f.Met != nil {
			met = "no"
			if *f.Met {
				met = "yes"
			}
		}
		goal := f.Goal
		if goal == "" {
			goal = "-"
		}
		shown := f.shown
		if shown == "" {
			shown = fmt.Sprintf("%.3g %s", f.Value, f.Unit)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, shown, goal, met)
	}
	tw.Flush()
}

func printComparison(w io.Writer, cs []Comparison) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintf(w, "\nFor scale, vpcguard beside Cloud Custodian on the same 1,000-per-kind estate on moto.\n"+
		"The Cloud Custodian column was NOT measured in this run; its source: %s.\n", custodianSource)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tVPCGUARD (MEASURED)\tCLOUD CUSTODIAN (REFERENCE)\tNOTE")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Figure, num(c.VPCGuard, c.Unit), "~"+num(c.Custodian, c.Unit), c.Note)
	}
	tw.Flush()
}

func num(v float64, unit string) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	case v >= 10:
		return fmt.Sprintf("%.1f %s", v, unit)
	default:
		return fmt.Sprintf("%.2f %s", v, unit)
	}
}

func writeResults(path string, r *Results) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// progress prints to stderr, so long parts are not silent and stdout stays
// the table.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
