package ticket

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// TestOpsCenterLifecycle runs against testenv.OpsCenter, an httptest server
// speaking the SSM JSON 1.1 protocol, because moto has no OpsCenter. Each
// step asserts the operations the sink sent and, where it matters, their
// bodies. The steps are a sequence on one fake.
func TestOpsCenterLifecycle(t *testing.T) {
	fake := testenv.NewOpsCenter(t)
	sink := NewOpsCenter(fake.Client())
	ctx := context.Background()
	nb := notebookFinding("nb1", "DirectInternetAccess is Enabled.")
	var firstID string

	steps := []struct {
		name     string
		f        finding.Finding
		dryRun   bool
		before   func()
		want     ChangeKind
		wantNote string
		wantOps  []string
		check    func(t *testing.T, calls []testenv.OpsCall, c Change)
	}{
		{name: "insufficient data calls nothing", f: with(nb, status(finding.InsufficientData, "?")), want: Unchanged,
			wantNote: "status INSUFFICIENT_DATA: nothing to do"},
		{name: "compliant with nothing open only reads", f: with(nb, status(finding.Compliant, "ok")), want: Unchanged,
			wantNote: "no open opsitem to resolve", wantOps: []string{"DescribeOpsItems"}},
		{name: "dry run only reads", f: nb, dryRun: true, want: Opened, wantOps: []string{"DescribeOpsItems"}},
		{name: "non-compliant creates", f: nb, want: Opened, wantOps: []string{"DescribeOpsItems", "CreateOpsItem"},
			check: func(t *testing.T, calls []testenv.OpsCall, c Change) {
				firstID = c.Ticket
				if c.Ticket == "" {
					t.Error("ticket = \"\"; want the new OpsItem id")
				}
				var d ssm.DescribeOpsItemsInput
				mustDecode(t, calls[0].Body, &d)
				var byKey string
				for _, f := range d.OpsItemFilters {
					if f.Key == types.OpsItemFilterKeyOperationalData {
						byKey = f.Values[0]
					}
					if f.Key == types.OpsItemFilterKeyStatus && !slices.Equal(f.Values, []string{"Open", "InProgress"}) {
						t.Errorf("status filter = %v; want [Open InProgress]", f.Values)
					}
				}
				wantJSON(t, "OperationalData filter", byKey, map[string]string{"key": "vpcguard:key", "value": nb.Key()})

				var in ssm.CreateOpsItemInput
				mustDecode(t, calls[1].Body, &in)
				wantEq(t, "Source", aws.ToString(in.Source), "vpcguard")
				wantEq(t, "Severity", aws.ToString(in.Severity), "2")
				wantData(t, in.OperationalData, "/aws/dedup", types.OpsItemDataTypeSearchableString, `{"dedupString":"`+TicketID(nb)+`"}`)
				wantData(t, in.OperationalData, "vpcguard:key", types.OpsItemDataTypeSearchableString, nb.Key())
				wantData(t, in.OperationalData, "/aws/resources", types.OpsItemDataTypeSearchableString, `[{"arn":"`+nb.ResourceID+`"}]`)
				for _, want := range []string{nb.Reason, nb.ResourceID, "stop-notebook", "vpcguard:exempt"} {
					if !strings.Contains(aws.ToString(in.Description), want) {
						t.Errorf("Description lacks %q:\n%s", want, aws.ToString(in.Description))
					}
				}
			}},
		{name: "duplicate event only reads", f: with(nb, func(f *finding.Finding) { f.EventID = "event-2" }), want: Unchanged,
			wantNote: "unchanged", wantOps: []string{"DescribeOpsItems"}},
		{name: "changed reason updates", f: with(nb, func(f *finding.Finding) { f.Reason = "now omitted" }), want: Updated,
			wantOps: []string{"DescribeOpsItems", "UpdateOpsItem"},
			check: func(t *testing.T, calls []testenv.OpsCall, c Change) {
				wantEq(t, "ticket", c.Ticket, firstID)
				var in ssm.UpdateOpsItemInput
				mustDecode(t, calls[1].Body, &in)
				wantEq(t, "OpsItemId", aws.ToString(in.OpsItemId), firstID)
				wantEq(t, "Status", string(in.Status), "")
				if !strings.Contains(aws.ToString(in.Description), "now omitted") {
					t.Errorf("Description = %q; want the new reason", aws.ToString(in.Description))
				}
			}},
		{name: "an InProgress item is still the open one", before: func() { fake.Edit(func(items []*testenv.OpsItem) { items[0].Status = "InProgress" }) },
			f: with(nb, func(f *finding.Finding) { f.Reason = "now omitted" }), want: Unchanged, wantNote: "unchanged",
			wantOps: []string{"DescribeOpsItems"}},
		{name: "compliant resolves", f: with(nb, status(finding.Compliant, "deleted")), want: Resolved,
			wantOps: []string{"DescribeOpsItems", "UpdateOpsItem"},
			check: func(t *testing.T, calls []testenv.OpsCall, c Change) {
				var in ssm.UpdateOpsItemInput
				mustDecode(t, calls[1].Body, &in)
				wantEq(t, "OpsItemId", aws.ToString(in.OpsItemId), firstID)
				wantEq(t, "Status", string(in.Status), "Resolved")
			}},
		{name: "compliant again only reads", f: with(nb, status(finding.Compliant, "deleted")), want: Unchanged,
			wantNote: "no open opsitem to resolve", wantOps: []string{"DescribeOpsItems"}},
		{name: "non-compliant again opens a new item", f: nb, want: Opened, wantOps: []string{"DescribeOpsItems", "CreateOpsItem"},
			check: func(t *testing.T, _ []testenv.OpsCall, c Change) {
				if c.Ticket == firstID || c.Ticket == "" {
					t.Errorf("ticket = %q; want a new OpsItem, not %q", c.Ticket, firstID)
				}
			}},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		c, err := sink.Sync(ctx, st.f, st.dryRun)
		if err != nil {
			t.Fatalf("%s: Sync: %v", st.name, err)
		}
		if c.Kind != st.want || c.Note != st.wantNote {
			t.Errorf("%s: change = %s %q; want %s %q", st.name, c.Kind, c.Note, st.want, st.wantNote)
		}
		ops, calls := fake.Ops()
		if !slices.Equal(ops, st.wantOps) {
			t.Errorf("%s: ops = %v; want %v", st.name, ops, st.wantOps)
			continue
		}
		if st.check != nil {
			t.Run(st.name, func(t *testing.T) { st.check(t, calls, c) })
		}
	}
}

func TestOpsCenterErrorsNameTheCall(t *testing.T) {
	tests := []struct {
		failOp string
		f      finding.Finding
		want   string
	}{
		{"DescribeOpsItems", notebookFinding("nb1", "bad"), "find open opsitem for "},
		{"CreateOpsItem", notebookFinding("nb1", "bad"), "create opsitem for "},
	}
	for _, tt := range tests {
		t.Run(tt.failOp, func(t *testing.T) {
			fake := testenv.NewOpsCenter(t)
			fake.Fail(tt.failOp, "InternalServerError")
			_, err := NewOpsCenter(fake.Client()).Sync(context.Background(), tt.f, false)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !strings.Contains(err.Error(), "InternalServerError") {
				t.Errorf("error = %v; want prefix %q and the error code", err, tt.want)
			}
		})
	}
}

func mustDecode(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decode request: %v\n%s", err, body)
	}
}

func wantJSON(t *testing.T, what, got string, want map[string]string) {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(got), &m); err != nil || len(m) != len(want) {
		t.Errorf("%s = %s; want %v", what, got, want)
		return
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s[%s] = %q; want %q", what, k, m[k], v)
		}
	}
}

func wantData(t *testing.T, data map[string]types.OpsItemDataValue, key string, typ types.OpsItemDataType, value string) {
	t.Helper()
	d, ok := data[key]
	if !ok {
		t.Errorf("OperationalData[%s] missing", key)
		return
	}
	if d.Type != typ || aws.ToString(d.Value) != value {
		t.Errorf("OperationalData[%s] = %s %s; want %s %s", key, d.Type, aws.ToString(d.Value), typ, value)
	}
}
