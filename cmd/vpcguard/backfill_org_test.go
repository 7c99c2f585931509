package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/orgestate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// orgRules are the rules the seeded organization is built for: one finding
// per seeded resource (the other rules judge the same models and VPCs
// again).
var orgRules = strings.Join(rules.Names([]rules.Rule{rules.ModelInVPC{}, rules.NotebookNoDirectInternet{}, rules.EndpointPrivateDNS{},
	rules.StudioDomainVPCOnly{}}), ",")

// TestBackfillOrganization: `vpcguard backfill --accounts org` lists the
// organization's active accounts (Organizations on moto: three members and
// the management account), runs a shard per account and Region through the
// member role, writes each member's findings with its account, prints a
// line per account as it completes, and names a member whose role refuses
// as failed shards (account and role), exiting 1.
func TestBackfillOrganization(t *testing.T) {
	e := testenv.New(t, testenv.Seed(0))
	e.Setenv("")
	ctx := context.Background()
	regions := []string{"us-east-1", "eu-west-1"}
	org, err := orgestate.Seed(ctx, e.Server.Config(testenv.Region), 3, regions, 4)
	if err != nil {
		t.Fatalf("seed the organization: %v", err)
	}
	refusing := org.Members[1]
	proxy := refuseAssumeRole(t, e.Server.URL, refusing)
	t.Setenv("AWS_ENDPOINT_URL_STS", proxy)

	var stdout, stderr bytes.Buffer
	args := []string{"backfill", "--accounts", "org", "--regions", strings.Join(regions, ","), "--assume-role", orgestate.Role,
		"--rules", orgRules, "--format", "json"}
	if code := run(ctx, args, nil, &stdout, &stderr); code != exitFailed {
		t.Fatalf("exit %d; want %d (a member's shards failed)\n%s", code, exitFailed, stderr.String())
	}
	var fs []finding.Finding
	if err := json.Unmarshal(stdout.Bytes(), &fs); err != nil {
		t.Fatalf("stdout is not a JSON array of findings: %v\n%s", err, stdout.String())
	}
	got := map[string]map[finding.Status]int{}
	for _, f := range fs {
		if got[f.Account] == nil {
			got[f.Account] = map[finding.Status]int{}
		}
		got[f.Account][f.Status]++
		if !strings.Contains(f.ResourceID, f.Account) {
			t.Errorf("finding %s in account %s; want the resource's own account", f.ResourceID, f.Account)
		}
	}
	perAccount := map[string]int{}
	for _, it := range org.Items {
		perAccount[it.Account]++
	}
	nc := org.NonCompliant()
	out := stderr.String()
	for _, a := range org.Members {
		if a == refusing {
			if len(got[a]) != 0 {
				t.Errorf("refusing account %s: findings %v; want none", a, got[a])
			}
			if !strings.Contains(out, fmt.Sprintf("account %s: 0 shards done, 2 failed, 0 findings, 0 NON_COMPLIANT", a)) {
				t.Errorf("stderr lacks the refusing account's progress line:\n%s", out)
			}
			continue
		}
		if got[a][finding.NonCompliant] != nc[a] || got[a][finding.Compliant] != perAccount[a]-nc[a] {
			t.Errorf("account %s: findings %v; want %d NON_COMPLIANT, %d COMPLIANT", a, got[a], nc[a], perAccount[a]-nc[a])
		}
		line := fmt.Sprintf("account %s: 2 shards done, 0 failed, %d findings, %d NON_COMPLIANT (", a, perAccount[a], nc[a])
		if !strings.Contains(out, line) {
			t.Errorf("stderr lacks %q:\n%s", line, out)
		}
	}
	if !strings.Contains(out, fmt.Sprintf("account %s: 2 shards done, 0 failed, 0 findings", org.Management)) {
		t.Errorf("stderr lacks the management account's progress line:\n%s", out)
	}
	if n := len(regexp.MustCompile(`(?m)^account \d{12}: .* \(\d/4 accounts\)$`).FindAllString(out, -1)); n != 4 {
		t.Errorf("%d progress lines; want 4 (3 members, the management account)\n%s", n, out)
	}
	for _, want := range []string{
		fmt.Sprintf("backfill: %d resources in 4 accounts × 2 regions (us-east-1, eu-west-1) = 8 shards: 6 succeeded, 2 failed (mode report)",
			perAccount[org.Members[0]]+perAccount[org.Members[2]]),
		"2 failed shards:",
		fmt.Sprintf("%s/us-east-1  shard %s/us-east-1: ", refusing, refusing),
		fmt.Sprintf("%s/eu-west-1  shard %s/eu-west-1: ", refusing, refusing),
		fmt.Sprintf("account %s: assume role arn:aws:iam::%s:role/%s: ", refusing, refusing, orgestate.Role),
		"api error AccessDenied",
		"vpcguard: 2 of 8 shards failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out)
		}
	}

	// A list of accounts is the same run over those accounts: CSV, every
	// shard succeeded, exit 0.
	stdout.Reset()
	stderr.Reset()
	args = []string{"backfill", "--accounts", org.Members[0] + "," + org.Members[2], "--regions", "eu-west-1", "--assume-role", orgestate.Role,
		"--rules", orgRules, "--format", "csv"}
	if code := run(ctx, args, nil, &stdout, &stderr); code != exitOK {
		t.Fatalf("--accounts list: exit %d; want 0\n%s", code, stderr.String())
	}
	rows, err := csv.NewReader(&stdout).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("--accounts list: stdout is not CSV with rows: %v\n%s", err, stdout.String())
	}
	col := -1
	for i, h := range rows[0] {
		if h == "account" {
			col = i
		}
	}
	accountRows := map[string]int{}
	for _, r := range rows[1:] {
		accountRows[r[col]]++
	}
	if col < 0 || len(accountRows) != 2 || accountRows[org.Members[0]] == 0 || accountRows[org.Members[2]] == 0 {
		t.Errorf("--accounts list: rows by account %v (column %d); want both accounts' and no other", accountRows, col)
	}
	if !strings.Contains(stderr.String(), "in 2 accounts × 1 region (eu-west-1) = 2 shards: 2 succeeded, 0 failed") {
		t.Errorf("--accounts list: stderr:\n%s", stderr.String())
	}
}

// refuseAssumeRole starts a proxy in front of moto's STS that answers
// AssumeRole into account with AccessDenied, as STS does when the member
// role is missing or does not trust the caller. moto's AssumeRole succeeds
// for any role, so the refusal is injected: a FAKE answer, for that one
// account; every other request goes to moto.
func refuseAssumeRole(t *testing.T, moto, account string) string {
	t.Helper()
	target, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if arn := form.Get("RoleArn"); form.Get("Action") == "AssumeRole" && strings.Contains(arn, ":"+account+":") {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>`+
				`<Message>User: arn:aws:iam::%s:user/ops is not authorized to perform: sts:AssumeRole on resource: %s</Message></Error>`+
				`<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`, testenv.Account, arn)
			return
		}
		forward.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
