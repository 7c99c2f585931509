package ticket

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// TestSecurityHubLifecycle walks one finding through its life on moto, each
// step on the state the previous one left: the table is a sequence.
func TestSecurityHubLifecycle(t *testing.T) {
	e := testenv.New(t, testenv.Seed(0))
	hub := &countingHub{securityHubAPI: securityhub.NewFromConfig(e.Config)}
	sink := NewSecurityHub(hub)
	sink.Now = tickingClock()
	ctx := context.Background()

	nb := notebookFinding("nb1", "DirectInternetAccess is Enabled.")
	other := notebookFinding("nb2", "DirectInternetAccess is Enabled.")
	id, otherID := TicketID(nb), TicketID(other)
	var createdAt string

	steps := []struct {
		name        string
		f           finding.Finding
		dryRun      bool
		want        ChangeKind
		wantNote    string
		wantImports int // imports that reached moto in this step
		check       func(t *testing.T, got map[string]types.AwsSecurityFinding)
	}{
		{name: "insufficient data writes nothing", f: with(nb, status(finding.InsufficientData, "no state")), want: Unchanged, wantNote: "status INSUFFICIENT_DATA: nothing to do",
			check: func(t *testing.T, got map[string]types.AwsSecurityFinding) { wantCount(t, got, 0) }},
		{name: "compliant with nothing open writes nothing", f: with(nb, status(finding.Compliant, "fine")), want: Unchanged, wantNote: "no finding to resolve",
			check: func(t *testing.T, got map[string]types.AwsSecurityFinding) { wantCount(t, got, 0) }},
		{name: "dry run reads but does not import", f: nb, dryRun: true, want: Opened,
			check: func(t *testing.T, got map[string]types.AwsSecurityFinding) { wantCount(t, got, 0) }},
		{name: "non-compliant opens", f: nb, want: Opened, wantImports: 1,
			check: func(t *testing.T, got map[string]types.AwsSecurityFinding) {
				wantCount(t, got, 1)
				g := got[id]
				createdAt = aws.ToString(g.CreatedAt)
				wantEq(t, "ProductArn", aws.ToString(g.ProductArn), "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default")
				wantEq(t, "GeneratorId", aws.ToString(g.GeneratorId), nb.Rule)
				wantEq(t, "AwsAccountId", aws.ToString(g.AwsAccountId), testenv.Account)
				wantEq(t, "Types", strings.Join(g.Types, ","), "Software and Configuration Checks/AWS Security Best Practices")
				wantEq(t, "Severity", string(g.Severity.Label), "HIGH")
				wantEq(t, "Resources[0].Type", aws.ToString(g.Resources[0].Type), "AwsSageMakerNotebookInstance")
				wantEq(t, "Resources[0].Id", aws.ToString(g.Resources[0].Id), nb.ResourceID)
				wantEq(t, "Resources[0].Region", aws.ToString(g.Resources[0].Region), region)
				wantEq(t, "ProductFields rule", g.ProductFields["vpcguard/rule"], nb.Rule)
				wantEq(t, "ProductFields principal", g.ProductFields["vpcguard/principal"], nb.Principal)
				wantEq(t, "ProductFields eventId", g.ProductFields["vpcguard/eventId"], nb.EventID)
				wantState(t, g, types.ComplianceStatusFailed, types.RecordStateActive, types.WorkflowStatusNew)
				if d := aws.ToString(g.Description); !strings.Contains(d, nb.Reason) || !strings.Contains(d, "stop-notebook") {
					t.Errorf("Description = %q; want the reason and the stop-notebook action", d)
				}
			}},
		{name: "another resource gets its own finding", f: other, want: Opened, wantImports: 1,
			// moto ignores the Id filter and answers with nb1's finding too;
			// Opened here proves the sink matched the Id itself.
			check: func(t *testing.T, got map[string]types.AwsSecurityFinding) {
				wantCount(t, got, 2)
				wantEq(t, "other Resources[0].Id", aws.ToString(got[otherID].Resources[0].Id), other.ResourceID)
			}},
		{name: "duplicate event does not import", f: with(nb, func(f *finding.Finding) { f.EventID = "event-2" }), want: Unchanged, wantNote: "unchanged",
			check: func(t *testing.T, got map[string]types.AwsSecurityFinding) {
				wantEq(t, "ProductFields eventId", got[id].ProductFields["vpcguard/eventId"], "event-1")
			}},
		{name: "changed reason updates and keeps CreatedAt", f: with(nb, func(f *finding.Finding) { f.Reason = "DirectInternetAccess is omitted (AWS enables it)." }), want: Updated, wantImports: 1,
			check: func(t *testing.T, got map[string]types.AwsSecurityFinding) {
				g := got[id]
				wantEq(t, "CreatedAt", aws.ToString(g.CreatedAt), createdAt)
				if aws.ToString(g.UpdatedAt) <= createdAt {
					t.Errorf("UpdatedAt = %s; want later than CreatedAt %s", aws.ToString(g.UpdatedAt), createdAt)
				}
				if !strings.Contains(aws.ToString(g.Description), "omitted") {
					t.Errorf("Description = %q; want the new reason", aws.ToString(g.Description))
				}
				wantState(t, g, types.ComplianceStatusFailed, types.RecordStateActive, types.WorkflowStatusNew)
			}},
		{name: "insufficient data leaves the open finding", f: with(nb, status(finding.InsufficientData, "could not read")), want: Unchanged, wantNote: "status INSUFFICIENT_DATA: nothing to do",
			check: func(t *testing.T, got map[string]types.AwsSecurityFinding) {
				wantState(t, got[id], types.ComplianceStatusFailed, types.RecordStateActive, types.WorkflowStatusNew)
			}},
		{name: "compliant resolves", f: with(nb, status(finding.Compliant, "notebook deleted")), want: Resolved, wantImports: 1,
			check: func(t *testing.T, got map[string]types.AwsSecurityFinding) {
				g := got[id]
				wantState(t, g, types.ComplianceStatusPassed, types.RecordStateArchived, types.WorkflowStatusResolved)
				wantEq(t, "Severity", string(g.Severity.Label), "INFORMATIONAL")
				wantEq(t, "CreatedAt", aws.ToString(g.CreatedAt), createdAt)
				wantState(t, got[otherID], types.ComplianceStatusFailed, types.RecordStateActive, types.WorkflowStatusNew)
			}},
		{name: "compliant again does nothing", f: with(nb, status(finding.Compliant, "notebook deleted")), want: Unchanged, wantNote: "already resolved"},
		{name: "non-compliant again reopens", f: nb, want: Opened, wantNote: "reopened", wantImports: 1,
			check: func(t *testing.T, got map[string]types.AwsSecurityFinding) {
				wantCount(t, got, 2)
				wantState(t, got[id], types.ComplianceStatusFailed, types.RecordStateActive, types.WorkflowStatusNew)
				wantEq(t, "CreatedAt", aws.ToString(got[id].CreatedAt), createdAt)
			}},
		{name: "not applicable (exempt) resolves", f: with(nb, status(finding.NotApplicable, "tagged vpcguard:exempt")), want: Resolved, wantImports: 1,
			check: func(t *testing.T, got map[string]types.AwsSecurityFinding) {
				wantState(t, got[id], types.ComplianceStatusPassed, types.RecordStateArchived, types.WorkflowStatusResolved)
			}},
	}
	for _, st := range steps {
		before := hub.imports
		c, err := sink.Sync(ctx, st.f, st.dryRun)
		if err != nil {
			t.Fatalf("%s: Sync: %v", st.name, err)
		}
		if c.Kind != st.want || c.Note != st.wantNote {
			t.Errorf("%s: change = %s %q; want %s %q", st.name, c.Kind, c.Note, st.want, st.wantNote)
		}
		if c.Ticket != TicketID(st.f) {
			t.Errorf("%s: ticket = %q; want %q", st.name, c.Ticket, TicketID(st.f))
		}
		if got := hub.imports - before; got != st.wantImports {
			t.Errorf("%s: imports = %d; want %d", st.name, got, st.wantImports)
		}
		if st.check != nil {
			t.Run(st.name, func(t *testing.T) { st.check(t, hubFindings(t, hub)) })
		}
	}
}

// failingImport answers every import with a per-finding failure, as Security
// Hub does for a finding it refuses (the call itself succeeds).
type failingImport struct{ securityHubAPI }

func (failingImport) BatchImportFindings(_ context.Context, in *securityhub.BatchImportFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	return &securityhub.BatchImportFindingsOutput{
		FailedCount: aws.Int32(1), SuccessCount: aws.Int32(0),
		FailedFindings: []types.ImportFindingsError{{
			Id: in.Findings[0].Id, ErrorCode: aws.String("InvalidInput"), ErrorMessage: aws.String("Finding is not valid"),
		}},
	}, nil
}

func TestSecurityHubFailedCountIsAnError(t *testing.T) {
	e := testenv.New(t, testenv.Seed(0))
	sink := NewSecurityHub(failingImport{securityhub.NewFromConfig(e.Config)})
	f := notebookFinding("nb1", "DirectInternetAccess is Enabled.")
	_, err := sink.Sync(context.Background(), f, false)
	if err == nil {
		t.Fatal("Sync = nil error; want the failed import reported")
	}
	for _, want := range []string{"import security hub finding " + TicketID(f), "InvalidInput", "Finding is not valid"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error = %q; want it to contain %q", err, want)
		}
	}
}

func TestASFFFields(t *testing.T) {
	long := strings.Repeat("reason ", 400)
	tests := []struct {
		name             string
		edit             func(*finding.Finding)
		wantType         string
		wantSeverity     string
		wantPartitionARN string
	}{
		{"notebook", func(*finding.Finding) {}, "AwsSageMakerNotebookInstance", "HIGH", "arn:aws:securityhub:"},
		{"model is Other", func(f *finding.Finding) { f.ResourceType = "AWS::SageMaker::Model" }, "Other", "HIGH", "arn:aws:"},
		{"vpc endpoint is Other, not an endpoint service", func(f *finding.Finding) { f.ResourceType = "AWS::EC2::VPCEndpoint" }, "Other", "HIGH", "arn:aws:"},
		{"Studio domain is Other", func(f *finding.Finding) { f.ResourceType = "AWS::SageMaker::Domain" }, "Other", "HIGH", "arn:aws:"},
		{"job is Other", func(f *finding.Finding) { f.ResourceType = "vpcguard::SageMaker::Job" }, "Other", "HIGH", "arn:aws:"},
		{"presigned URL call is Other", func(f *finding.Finding) { f.ResourceType = "vpcguard::SageMaker::PresignedUrl" }, "Other", "HIGH", "arn:aws:"},
		{"vpc", func(f *finding.Finding) { f.ResourceType = "AWS::EC2::VPC" }, "AwsEc2Vpc", "HIGH", "arn:aws:"},
		{"severity from the finding", func(f *finding.Finding) { f.Severity = "medium" }, "AwsSageMakerNotebookInstance", "MEDIUM", "arn:aws:"},
		{"unset severity is HIGH", func(f *finding.Finding) { f.Severity = "" }, "AwsSageMakerNotebookInstance", "HIGH", "arn:aws:"},
		{"unknown severity is HIGH", func(f *finding.Finding) { f.Severity = "urgent" }, "AwsSageMakerNotebookInstance", "HIGH", "arn:aws:"},
		{"china partition", func(f *finding.Finding) { f.Region = "cn-north-1" }, "AwsSageMakerNotebookInstance", "HIGH", "arn:aws-cn:securityhub:cn-north-1:"},
		{"long reason is cut to 1024", func(f *finding.Finding) { f.Reason = long }, "AwsSageMakerNotebookInstance", "HIGH", "arn:aws:"},
	}
	sink := NewSecurityHub(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sink.asff(with(notebookFinding("nb1", "bad"), tt.edit), nil, Opened)
			wantEq(t, "Resources[0].Type", aws.ToString(got.Resources[0].Type), tt.wantType)
			wantEq(t, "Severity", string(got.Severity.Label), tt.wantSeverity)
			if !strings.HasPrefix(aws.ToString(got.ProductArn), tt.wantPartitionARN) {
				t.Errorf("ProductArn = %s; want prefix %s", aws.ToString(got.ProductArn), tt.wantPartitionARN)
			}
			if n := len(aws.ToString(got.Description)); n > 1024 || n == 0 {
				t.Errorf("len(Description) = %d; want 1..1024", n)
			}
		})
	}
}

func TestTicketIDIsPerRuleAndResource(t *testing.T) {
	a := notebookFinding("nb1", "x")
	tests := []struct {
		name string
		b    finding.Finding
		same bool
	}{
		{"same resource, other reason and event", with(a, func(f *finding.Finding) { f.Reason, f.EventID = "y", "e9" }), true},
		{"other resource", notebookFinding("nb2", "x"), false},
		{"other rule", with(a, func(f *finding.Finding) { f.Rule = "sagemaker-model-in-vpc" }), false},
		{"other region", with(a, func(f *finding.Finding) { f.Region = "eu-west-1" }), false},
	}
	for _, tt := range tests {
		if got := TicketID(a) == TicketID(tt.b); got != tt.same {
			t.Errorf("%s: same id = %v; want %v", tt.name, got, tt.same)
		}
	}
	if !strings.HasPrefix(TicketID(a), "vpcguard/"+a.Rule+"/") {
		t.Errorf("TicketID = %s; want prefix vpcguard/%s/", TicketID(a), a.Rule)
	}
}

func wantCount(t *testing.T, got map[string]types.AwsSecurityFinding, n int) {
	t.Helper()
	if len(got) != n {
		t.Errorf("findings in Security Hub = %d; want %d", len(got), n)
	}
}

func wantEq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q; want %q", what, got, want)
	}
}

func wantState(t *testing.T, g types.AwsSecurityFinding, c types.ComplianceStatus, r types.RecordState, w types.WorkflowStatus) {
	t.Helper()
	var gotC types.ComplianceStatus
	if g.Compliance != nil {
		gotC = g.Compliance.Status
	}
	var gotW types.WorkflowStatus
	if g.Workflow != nil {
		gotW = g.Workflow.Status
	}
	if gotC != c || g.RecordState != r || gotW != w {
		t.Errorf("state = %s/%s/%s; want %s/%s/%s", gotC, g.RecordState, gotW, c, r, w)
	}
}
