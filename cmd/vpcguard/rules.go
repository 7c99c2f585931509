package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/vpcguard/vpcguard/shared/rules"
)

// ruleView is one rule as `vpcguard rules` shows it.
type ruleView struct {
	Name         string   `json:"name"`
	ResourceType string   `json:"resourceType"`
	Severity     string   `json:"severity"`
	DefaultMode  string   `json:"defaultMode"`
	Events       []string `json:"events"` // "sagemaker.amazonaws.com:CreateModel"
	Guardrail    bool     `json:"guardrail"`
	Breaks       string   `json:"breaks"`
	Enforce      string   `json:"enforce"`
}

func viewRules() []ruleView {
	var out []ruleView
	for _, r := range rules.All() {
		v := ruleView{Name: r.Name(), ResourceType: string(r.Kind()), Severity: r.Severity(), DefaultMode: string(r.DefaultMode()),
			Guardrail: len(r.Guardrail()) > 0, Breaks: r.Doc().Breaks, Enforce: r.Doc().Enforce}
		for _, t := range r.Triggers() {
			for _, n := range t.Names {
				v.Events = append(v.Events, t.Source+":"+n)
			}
		}
		out = append(out, v)
	}
	return out
}

func runRules(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vpcguard rules", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "table", "table | json | markdown (the README's rule table)")
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vpcguard: rules takes no arguments (got %q)\n", fs.Args())
		return exitBadInput
	}
	views := viewRules()
	var err error
	switch *format {
	case "table":
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tRESOURCE TYPE\tSEVERITY\tDEFAULT MODE\tEVENTS")
		for _, v := range views {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.Name, v.ResourceType, v.Severity, v.DefaultMode, strings.Join(eventNames(v.Events), ", "))
		}
		err = tw.Flush()
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(views)
	case "markdown":
		err = writeRulesMarkdown(stdout, views)
	default:
		fmt.Fprintf(stderr, "vpcguard: --format: unknown format %q (want table, json, markdown)\n", *format)
		return exitBadInput
	}
	if err != nil {
		fmt.Fprintf(stderr, "vpcguard: write output: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// writeRulesMarkdown writes the README's rule table.
func writeRulesMarkdown(w io.Writer, views []ruleView) error {
	var b strings.Builder
	b.WriteString("| rule | what breaks it | what vpcguard does in `enforce` mode | default mode | guardrail |\n")
	b.WriteString("| --- | --- | --- | --- | --- |\n")
	for _, v := range views {
		guardrail := "no"
		if v.Guardrail {
			guardrail = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` | %s |\n", v.Name, v.Breaks, v.Enforce, v.DefaultMode, guardrail)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// eventNames drops the event sources: "CreateModel, DeleteModel".
func eventNames(events []string) []string {
	out := make([]string, len(events))
	for i, e := range events {
		_, out[i], _ = strings.Cut(e, ":")
	}
	return out
}
