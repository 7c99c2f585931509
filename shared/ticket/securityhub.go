package ticket

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// securityHubAPI is the part of Security Hub the sink calls: one read to learn
// what the finding says now, one write to change it.
type securityHubAPI interface {
	GetFindings(ctx context.Context, params *securityhub.GetFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.GetFindingsOutput, error)
	BatchImportFindings(ctx context.Context, params *securityhub.BatchImportFindingsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
}

var _ securityHubAPI = (*securityhub.Client)(nil)

// ASFF constants vpcguard writes.
const (
	asffSchemaVersion = "2018-10-08"
	asffType          = "Software and Configuration Checks/AWS Security Best Practices"
	asffTime          = "2006-01-02T15:04:05.000Z07:00"
)

// ProductFields keys; Security Hub shows them on the finding and they can be
// filtered on. fingerprint is how a duplicate event is recognised.
const (
	fieldRule        = "vpcguard/rule"
	fieldKey         = "vpcguard/key"
	fieldPrincipal   = "vpcguard/principal"
	fieldEventID     = "vpcguard/eventId"
	fieldEventName   = "vpcguard/eventName"
	fieldFingerprint = "vpcguard/fingerprint"
)

// SecurityHub keeps one ASFF finding per (rule, account, region, resource),
// with the deterministic Id TicketID(f), in the account's default product.
// The client must be for the finding's account and region: that is where the
// ProductArn points.
type SecurityHub struct {
	api securityHubAPI
	// ExemptTagKey is named in the finding's remediation text.
	ExemptTagKey string
	// Now stamps UpdatedAt; Security Hub ignores an update that is not newer.
	Now func() time.Time
}

// NewSecurityHub returns a Security Hub sink; api is a *securityhub.Client.
func NewSecurityHub(api securityHubAPI) *SecurityHub {
	return &SecurityHub{api: api, ExemptTagKey: DefaultExemptTagKey, Now: time.Now}
}

// Name implements Sink.
func (s *SecurityHub) Name() string { return "securityhub" }

// Sync implements Sink. It reads the finding by Id first, so CreatedAt
// survives updates and an unchanged finding is not imported again.
func (s *SecurityHub) Sync(ctx context.Context, f finding.Finding, dryRun bool) (Change, error) {
	return syncPlan(ctx, s, f, dryRun)
}

// plan reads the finding and works out the change; its write imports the
// finding built from what was read.
func (s *SecurityHub) plan(ctx context.Context, f finding.Finding) (plan, error) {
	id := TicketID(f)
	want := intentOf(f.Status)
	if want == leaveAlone {
		return plan{Change: Change{Kind: Unchanged, Ticket: id, Note: fmt.Sprintf("status %s: nothing to do", f.Status)}}, nil
	}
	existing, err := s.get(ctx, id)
	if err != nil {
		return plan{Change: Change{Ticket: id}}, fmt.Errorf("read security hub finding %s: %w", id, err)
	}
	c := Change{Ticket: id}
	switch {
	case want == openTicket && existing == nil:
		c.Kind = Opened
	case want == openTicket && existing.RecordState == types.RecordStateArchived:
		c.Kind, c.Note = Opened, "reopened"
	case want == openTicket && existing.ProductFields[fieldFingerprint] == fingerprint(f):
		return plan{Change: Change{Kind: Unchanged, Ticket: id, Note: "unchanged"}}, nil
	case want == openTicket:
		c.Kind = Updated
	case existing == nil:
		return plan{Change: Change{Kind: Unchanged, Ticket: id, Note: "no finding to resolve"}}, nil
	case existing.RecordState == types.RecordStateArchived:
		return plan{Change: Change{Kind: Unchanged, Ticket: id, Note: "already resolved"}}, nil
	default:
		c.Kind = Resolved
	}
	return plan{Change: c, write: func(ctx context.Context) (Change, error) { return s.write(ctx, f, existing, c) }}, nil
}

// write imports the finding as c says, over existing (nil when none).
func (s *SecurityHub) write(ctx context.Context, f finding.Finding, existing *types.AwsSecurityFinding, c Change) (Change, error) {
	id := c.Ticket
	next := s.asff(f, existing, c.Kind)
	out, err := s.api.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{next}})
	if err != nil {
		return Change{Ticket: id}, fmt.Errorf("import security hub finding %s: %w", id, err)
	}
	if n := aws.ToInt32(out.FailedCount); n > 0 {
		reasons := make([]string, 0, len(out.FailedFindings))
		for _, ff := range out.FailedFindings {
			reasons = append(reasons, fmt.Sprintf("%s: %s", aws.ToString(ff.ErrorCode), aws.ToString(ff.ErrorMessage)))
		}
		return Change{Ticket: id}, fmt.Errorf("import security hub finding %s: %d failed: %s", id, n, strings.Join(reasons, "; "))
	}
	return c, nil
}

// get returns the finding with Id id, or nil when there is none.
//
// moto 5.2.1 ignores GetFindings Filters and returns every finding, so the Id
// is matched here as well; against AWS the filter makes this one short page.
func (s *SecurityHub) get(ctx context.Context, id string) (*types.AwsSecurityFinding, error) {
	in := &securityhub.GetFindingsInput{
		Filters: &types.AwsSecurityFindingFilters{
			Id: []types.StringFilter{{Comparison: types.StringFilterComparisonEquals, Value: aws.String(id)}},
		},
		MaxResults: aws.Int32(100),
	}
	pages := securityhub.NewGetFindingsPaginator(s.api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for i := range page.Findings {
			if aws.ToString(page.Findings[i].Id) == id {
				return &page.Findings[i], nil
			}
		}
	}
	return nil, nil
}

// asff builds the whole finding to import. Every import carries every field,
// because BatchImportFindings replaces what it is given.
func (s *SecurityHub) asff(f finding.Finding, existing *types.AwsSecurityFinding, kind ChangeKind) types.AwsSecurityFinding {
	now := s.Now().UTC().Format(asffTime)
	created := now
	if existing != nil && aws.ToString(existing.CreatedAt) != "" {
		created = aws.ToString(existing.CreatedAt)
	}
	label := types.SeverityLabel(severityLabel(f))
	compliance, record := types.ComplianceStatusFailed, types.RecordStateActive
	if kind == Resolved {
		label, compliance, record = types.SeverityLabelInformational, types.ComplianceStatusPassed, types.RecordStateArchived
	}
	// Workflow is the analysts' field: Security Hub only takes it from an
	// import when the finding is new, and itself moves it to RESOLVED on
	// archive and back to NEW on reopen. Sending what it will become keeps
	// the record the same on AWS and on moto (which stores what it is sent).
	var workflow *types.Workflow
	switch {
	case kind == Resolved:
		workflow = &types.Workflow{Status: types.WorkflowStatusResolved}
	case kind == Opened:
		workflow = &types.Workflow{Status: types.WorkflowStatusNew}
	case existing != nil:
		workflow = existing.Workflow
	}
	fields := map[string]string{
		fieldRule:        f.Rule,
		fieldKey:         truncate(f.Key(), 2048),
		fieldFingerprint: fingerprint(f),
	}
	for k, v := range map[string]string{fieldPrincipal: f.Principal, fieldEventID: f.EventID, fieldEventName: f.EventName} {
		if v != "" { // Security Hub refuses empty values
			fields[k] = truncate(v, 2048)
		}
	}
	return types.AwsSecurityFinding{
		SchemaVersion: aws.String(asffSchemaVersion),
		Id:            aws.String(TicketID(f)),
		ProductArn:    aws.String(productARN(f)),
		ProductName:   aws.String(Source),
		CompanyName:   aws.String(Source),
		GeneratorId:   aws.String(f.Rule),
		AwsAccountId:  aws.String(f.Account),
		Types:         []string{asffType},
		CreatedAt:     aws.String(created),
		UpdatedAt:     aws.String(now),
		Severity:      &types.Severity{Label: label},
		Title:         aws.String(title(f)),
		Description:   aws.String(shortDescription(f, 1024)),
		Remediation: &types.Remediation{Recommendation: &types.Recommendation{
			Text: aws.String(truncate(exemptHint(s.ExemptTagKey), 512)),
		}},
		ProductFields: fields,
		Resources: []types.Resource{{
			Type:      aws.String(asffResourceType(f.ResourceType)),
			Id:        aws.String(f.ResourceID),
			Region:    aws.String(f.Region),
			Partition: types.Partition(resource.Partition(f.Region)),
		}},
		Compliance:  &types.Compliance{Status: compliance},
		RecordState: record,
		Workflow:    workflow,
	}
}

// productARN is the account's default product, the one any account may
// import its own findings into without registering an integration.
func productARN(f finding.Finding) string {
	return fmt.Sprintf("arn:%s:securityhub:%s:%s:product/%s/default", resource.Partition(f.Region), f.Region, f.Account, f.Account)
}

// asffResourceType maps a CloudFormation type to an ASFF resource type. ASFF
// has no type for a SageMaker model, a Studio domain, a job or a presigned
// URL call, nor for a VPC endpoint: AwsEc2VpcEndpointService is the provider
// side of PrivateLink, not the consumer's interface endpoint. All of them
// are "Other" (as ASFF asks for types it does not list) with the ARN saying
// what they are (a presigned URL call's is the user profile's or notebook
// instance's the URL opens). A VPC is AwsEc2Vpc.
func asffResourceType(cfnType string) string {
	switch resource.Kind(cfnType) {
	case resource.Notebook:
		return "AwsSageMakerNotebookInstance"
	case resource.VPC:
		return "AwsEc2Vpc"
	}
	return "Other"
}
