package report

import (
	"cmp"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/shared/finding"
)

// htmlWriter writes one self-contained HTML file: inline CSS, inline
// script, inline SVG, nothing fetched when it is viewed, so it can be
// mailed or attached to a ticket. Rows are written as findings arrive; the
// summary, the charts and the filters (which need every count) come at
// the end of the document and CSS places them above the table.
type htmlWriter struct {
	w       io.Writer
	o       Options
	started bool
	n       int
	b       strings.Builder

	byRule, byAccount, byRegion map[string]*htmlCounts
}

// htmlCounts is one rule's, account's or region's findings by status.
type htmlCounts struct {
	status    map[finding.Status]int
	contained int
	total     int
}

func newHTMLWriter(w io.Writer, o Options) *htmlWriter {
	if o.Title == "" {
		o.Title = "vpcguard findings"
	}
	return &htmlWriter{w: w, o: o, byRule: map[string]*htmlCounts{}, byAccount: map[string]*htmlCounts{}, byRegion: map[string]*htmlCounts{}}
}

func count(m map[string]*htmlCounts, key string, f finding.Finding) {
	c := m[key]
	if c == nil {
		c = &htmlCounts{status: map[finding.Status]int{}}
		m[key] = c
	}
	c.status[f.Status]++
	c.total++
	if f.Contained {
		c.contained++
	}
}

func (h *htmlWriter) start() {
	if h.started {
		return
	}
	h.started = true
	esc := html.EscapeString
	fmt.Fprintf(&h.b, `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="vpcguard">
<title>%s</title>
<style>%s</style>
</head>
<body>
<header id="top"><h1>%s</h1><p class="context">%s</p><p class="generated">Generated %s. A self-contained file: it loads nothing from the network.</p></header>
<section id="findings"><h2>Findings <output id="shown"></output></h2>
<table id="findings-table">
<thead><tr><th>Status</th><th>Rule</th><th>Resource</th><th>Account</th><th>Region</th><th>Principal</th><th>Reason</th><th>Actions</th></tr></thead>
<tbody>
`, esc(h.o.Title), htmlStyle, esc(h.o.Title), esc(h.o.Context), time.Now().UTC().Format("2006-01-02 15:04 UTC"))
}

// Write writes one finding's row and counts it.
func (h *htmlWriter) Write(f finding.Finding) error {
	h.b.Reset()
	h.start()
	h.n++
	count(h.byRule, f.Rule, f)
	count(h.byAccount, f.Account, f)
	count(h.byRegion, f.Region, f)
	esc := html.EscapeString
	label, _ := statusLabel(f)
	fmt.Fprintf(&h.b, `<tr data-status="%s" data-contained="%t" data-rule="%s" data-account="%s" data-region="%s">`,
		esc(string(f.Status)), f.Contained, esc(f.Rule), esc(f.Account), esc(f.Region))
	fmt.Fprintf(&h.b, `<td><span class="st st-%s">%s</span>`, statusClass(f), esc(label))
	if f.Contained {
		fmt.Fprintf(&h.b, `<div class="held">NON_COMPLIANT, held: %s</div>`, esc(Containment(f)))
	}
	h.b.WriteString(`</td>`)
	fmt.Fprintf(&h.b, `<td>%s</td><td><div class="name">%s</div><code class="id">%s</code><div class="type">%s</div></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>`,
		esc(f.Rule), esc(shortName(f)), esc(f.ResourceID), esc(f.ResourceType), esc(f.Account), esc(f.Region), esc(principalCell(f.Principal)), esc(f.Reason))
	if len(f.Actions) > 0 {
		h.b.WriteString(`<ul class="actions">`)
		for _, a := range f.Actions {
			fmt.Fprintf(&h.b, `<li><span class="o o-%s">%s</span> <b>%s</b> <code>%s</code>`, esc(string(a.Outcome)), esc(string(a.Outcome)), esc(a.Type), esc(a.Target))
			if a.Detail != "" {
				fmt.Fprintf(&h.b, `<div class="detail">%s</div>`, esc(a.Detail))
			}
			h.b.WriteString(`</li>`)
		}
		h.b.WriteString(`</ul>`)
	}
	h.b.WriteString("</td></tr>\n")
	_, err := io.WriteString(h.w, h.b.String())
	return err
}

// Close ends the table and writes the summary, the charts, the filters and
// the script.
func (h *htmlWriter) Close() error {
	h.b.Reset()
	h.start()
	esc := html.EscapeString
	if h.n == 0 {
		h.b.WriteString(`<tr class="empty"><td colspan="8">No findings.</td></tr>` + "\n")
	}
	h.b.WriteString("</tbody>\n</table>\n</section>\n")

	total := &htmlCounts{status: map[finding.Status]int{}}
	for _, c := range h.byRule {
		for s, n := range c.status {
			total.status[s] += n
		}
		total.contained += c.contained
		total.total += c.total
	}
	h.b.WriteString(`<section id="summary"><h2>Summary</h2><p class="totals">`)
	fmt.Fprintf(&h.b, `<button type="button" class="chip" data-set="f-status" data-value="">%d findings</button>`, total.total)
	for _, s := range statusOrder {
		fmt.Fprintf(&h.b, ` <button type="button" class="chip st-%s" data-set="f-status" data-value="%s">%d %s</button>`, s, s, total.status[s], s)
		if s == finding.NonCompliant {
			fmt.Fprintf(&h.b, ` <button type="button" class="chip st-CONTAINED" data-set="f-status" data-value="CONTAINED">%d of them contained</button>`, total.contained)
		}
	}
	h.b.WriteString("</p>\n")
	h.summaryTable("By rule", "f-rule", h.byRule)
	h.summaryTable("By account", "f-account", h.byAccount)
	h.summaryTable("By region", "", h.byRegion)
	h.b.WriteString("</section>\n")

	h.b.WriteString(`<section id="charts"><h2>NON_COMPLIANT and contained</h2><div class="charts">`)
	h.chart("Per account", "f-account", h.byAccount)
	h.chart("Per rule", "f-rule", h.byRule)
	h.b.WriteString(`</div><p class="legend"><span class="sw sw-nc"></span> NON_COMPLIANT, untouched <span class="sw sw-c"></span> contained: NON_COMPLIANT, held by vpcguard (stopped, guardrail attached, tagged)</p></section>` + "\n")

	h.b.WriteString(`<nav id="filters"><label>Status <select id="f-status"><option value="">all</option>`)
	for _, s := range statusOrder {
		fmt.Fprintf(&h.b, `<option value="%s">%s</option>`, s, s)
		if s == finding.NonCompliant {
			h.b.WriteString(`<option value="CONTAINED">NON_COMPLIANT, contained</option><option value="UNCONTAINED">NON_COMPLIANT, not contained</option>`)
		}
	}
	h.b.WriteString(`</select></label> <label>Rule <select id="f-rule"><option value="">all</option>`)
	for _, k := range keys(h.byRule) {
		fmt.Fprintf(&h.b, `<option value="%s">%s</option>`, esc(k), esc(k))
	}
	h.b.WriteString(`</select></label> <label>Account <select id="f-account"><option value="">all</option>`)
	for _, k := range keys(h.byAccount) {
		fmt.Fprintf(&h.b, `<option value="%s">%s</option>`, esc(k), esc(k))
	}
	h.b.WriteString(`</select></label> <button type="button" id="f-reset">Show all</button></nav>` + "\n")
	h.b.WriteString("<script>" + htmlScript + "</script>\n</body>\n</html>\n")
	_, err := io.WriteString(h.w, h.b.String())
	return err
}

// summaryTable writes counts by key; a key's name sets the filter filterID.
func (h *htmlWriter) summaryTable(title, filterID string, m map[string]*htmlCounts) {
	esc := html.EscapeString
	fmt.Fprintf(&h.b, `<h3>%s</h3><table class="counts"><thead><tr><th></th>`, esc(title))
	for _, s := range statusOrder {
		fmt.Fprintf(&h.b, `<th>%s</th>`, s)
		if s == finding.NonCompliant {
			h.b.WriteString(`<th>contained</th>`)
		}
	}
	h.b.WriteString(`<th>total</th></tr></thead><tbody>`)
	for _, k := range keys(m) {
		c := m[k]
		name := esc(k)
		if filterID != "" {
			name = fmt.Sprintf(`<button type="button" class="link" data-set="%s" data-value="%s">%s</button>`, filterID, esc(k), esc(k))
		}
		fmt.Fprintf(&h.b, `<tr><th>%s</th>`, name)
		for _, s := range statusOrder {
			fmt.Fprintf(&h.b, `<td>%d</td>`, c.status[s])
			if s == finding.NonCompliant {
				fmt.Fprintf(&h.b, `<td>%d</td>`, c.contained)
			}
		}
		fmt.Fprintf(&h.b, "<td>%d</td></tr>", c.total)
	}
	h.b.WriteString("</tbody></table>\n")
}

// chartRows is how many bars a chart draws; the tables list every key.
const chartRows = 40

// chart draws a horizontal bar per key: its NON_COMPLIANT findings, the
// contained part in a second color. Clicking a bar filters the table.
func (h *htmlWriter) chart(title, filterID string, m map[string]*htmlCounts) {
	esc := html.EscapeString
	ks := keys(m)
	slices.SortStableFunc(ks, func(a, b string) int {
		return cmp.Compare(m[b].status[finding.NonCompliant], m[a].status[finding.NonCompliant])
	})
	more := 0
	if len(ks) > chartRows {
		ks, more = ks[:chartRows], len(ks)-chartRows
	}
	most := 1
	for _, k := range ks {
		most = max(most, m[k].status[finding.NonCompliant])
	}
	const labelW, barW, rowH = 300, 360, 26
	height := max(len(ks), 1)*rowH + 8
	fmt.Fprintf(&h.b, `<figure><figcaption>%s</figcaption><svg role="img" aria-label="%s" width="%d" height="%d" viewBox="0 0 %d %d">`,
		esc(title), esc(title+": NON_COMPLIANT and contained findings"), labelW+barW+170, height, labelW+barW+170, height)
	for i, k := range ks {
		c := m[k]
		nc := c.status[finding.NonCompliant]
		y := 4 + i*rowH
		wNC := barW * nc / most
		wC := barW * c.contained / most
		fmt.Fprintf(&h.b, `<g class="bar" data-set="%s" data-value="%s"><title>%s: %d NON_COMPLIANT, %d contained</title>`, filterID, esc(k), esc(k), nc, c.contained)
		fmt.Fprintf(&h.b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, labelW-6, y+17, esc(ShortenMiddle(k, 44)))
		fmt.Fprintf(&h.b, `<rect class="nc" x="%d" y="%d" width="%d" height="18"></rect>`, labelW, y+3, wNC)
		fmt.Fprintf(&h.b, `<rect class="c" x="%d" y="%d" width="%d" height="18"></rect>`, labelW, y+3, wC)
		fmt.Fprintf(&h.b, `<text x="%d" y="%d">%d · %d contained</text></g>`, labelW+wNC+6, y+17, nc, c.contained)
	}
	if len(ks) == 0 {
		fmt.Fprintf(&h.b, `<text x="%d" y="20">nothing to show</text>`, labelW)
	}
	h.b.WriteString(`</svg>`)
	if more > 0 {
		fmt.Fprintf(&h.b, `<p class="more">and %d more, with fewer NON_COMPLIANT findings (see the table above)</p>`, more)
	}
	h.b.WriteString("</figure>")
}

func keys(m map[string]*htmlCounts) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func statusClass(f finding.Finding) string {
	if f.Status == finding.NonCompliant && f.Contained {
		return "CONTAINED"
	}
	return string(f.Status)
}

func principalCell(p string) string {
	if p == "" {
		return "-"
	}
	return p
}

// htmlStyle lays the page out: the summary, charts and filters are written
// after the table (they need every finding) and shown above it (order).
const htmlStyle = `
:root{--nc:#c0392b;--c:#d68910;--ok:#1e8449;--na:#7f8c8d;--id:#b9770e;--fg:#1b1f23;--muted:#586069;--line:#e1e4e8;--bg:#fff}
*{box-sizing:border-box}
body{margin:0;padding:16px 24px;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg);display:flex;flex-direction:column;gap:12px}
#top{order:0}#summary{order:1}#charts{order:2}#filters{order:3}#findings{order:4}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:8px 0}h3{font-size:14px;margin:10px 0 4px}
.context,.generated,.more,.legend{color:var(--muted);margin:2px 0}
table{border-collapse:collapse}
th,td{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid var(--line)}
table.counts td{text-align:right;font-variant-numeric:tabular-nums}
#findings-table{width:100%}
#findings-table thead th{position:sticky;top:0;background:#f6f8fa}
tr[hidden]{display:none}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.name{font-weight:600}.type{color:var(--muted);font-size:12px}
.st{font-weight:600;white-space:nowrap}
.st-NON_COMPLIANT{color:var(--nc)}.st-CONTAINED{color:var(--c)}.st-COMPLIANT{color:var(--ok)}.st-NOT_APPLICABLE{color:var(--na)}.st-INSUFFICIENT_DATA{color:var(--id)}
.held{font-size:12px;color:var(--c)}
ul.actions{margin:0;padding-left:16px}
.o{font-size:12px;padding:0 4px;border-radius:3px;background:#eef}
.o-done{background:#d4efdf}.o-failed{background:#f5b7b1}.o-skipped{background:#eaecee}.o-dry-run{background:#fcf3cf}
.detail{color:var(--muted);font-size:12px}
.chip{font:inherit;border:1px solid var(--line);border-radius:12px;padding:2px 10px;background:#f6f8fa;cursor:pointer}
button.link{font:inherit;border:0;background:none;padding:0;color:#0366d6;cursor:pointer;text-decoration:underline}
#filters{position:sticky;top:0;z-index:1;background:var(--bg);padding:8px 0;border-bottom:1px solid var(--line)}
#filters label{margin-right:12px}
.charts{display:flex;flex-wrap:wrap;gap:24px}
figure{margin:0}figcaption{font-weight:600;margin-bottom:4px}
svg text{font:12px system-ui,sans-serif;fill:var(--fg)}
svg rect.nc{fill:var(--nc)}svg rect.c{fill:var(--c)}
svg g.bar{cursor:pointer}svg g.bar:hover rect{opacity:.8}
.sw{display:inline-block;width:12px;height:12px;vertical-align:middle}.sw-nc{background:var(--nc)}.sw-c{background:var(--c);margin-left:12px}
#shown{font-weight:normal;color:var(--muted);font-size:14px;margin-left:8px}
`

// htmlScript filters the findings table by status, rule and account.
const htmlScript = `
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings-table tbody tr[data-status]"));
  var status = document.getElementById("f-status");
  var rule = document.getElementById("f-rule");
  var account = document.getElementById("f-account");
  var shown = document.getElementById("shown");
  function matches(r) {
    var s = status.value, d = r.dataset;
    if (s === "CONTAINED" && !(d.status === "NON_COMPLIANT" && d.contained === "true")) return false;
    if (s === "UNCONTAINED" && !(d.status === "NON_COMPLIANT" && d.contained !== "true")) return false;
    if (s !== "" && s !== "CONTAINED" && s !== "UNCONTAINED" && d.status !== s) return false;
    if (rule.value !== "" && d.rule !== rule.value) return false;
    if (account.value !== "" && d.account !== account.value) return false;
    return true;
  }
  function apply() {
    var n = 0;
    rows.forEach(function (r) {
      var ok = matches(r);
      r.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = n + " of " + rows.length + " shown";
  }
  [status, rule, account].forEach(function (el) { el.addEventListener("change", apply); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-set]"), function (el) {
    el.addEventListener("click", function () {
      var target = document.getElementById(el.getAttribute("data-set"));
      if (!target) return;
      target.value = el.getAttribute("data-value");
      apply();
      document.getElementById("filters").scrollIntoView();
    });
  });
  document.getElementById("f-reset").addEventListener("click", function () {
    status.value = ""; rule.value = ""; account.value = "";
    apply();
  });
  apply();
})();
`
