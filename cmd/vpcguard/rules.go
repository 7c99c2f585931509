package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/vpcguard/vpcguard/shared/rules"
)

func runRules(stdout io.Writer) int {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tRESOURCE TYPE\tSEVERITY\tEVENTS")
	for _, r := range rules.All() {
		t := r.Triggers()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s: %s\n", r.Name(), r.Kind(), r.Severity(), t.EventSource, strings.Join(t.EventNames, ", "))
	}
	tw.Flush()
	return exitOK
}
