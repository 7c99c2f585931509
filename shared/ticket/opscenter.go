package ticket

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/vpcguard/vpcguard/shared/finding"
)

// opsCenterAPI is the part of SSM the OpsCenter sink calls: one read to find
// the open OpsItem, one write to create it, one to update or resolve it.
type opsCenterAPI interface {
	DescribeOpsItems(ctx context.Context, params *ssm.DescribeOpsItemsInput, optFns ...func(*ssm.Options)) (*ssm.DescribeOpsItemsOutput, error)
	CreateOpsItem(ctx context.Context, params *ssm.CreateOpsItemInput, optFns ...func(*ssm.Options)) (*ssm.CreateOpsItemOutput, error)
	UpdateOpsItem(ctx context.Context, params *ssm.UpdateOpsItemInput, optFns ...func(*ssm.Options)) (*ssm.UpdateOpsItemOutput, error)
}

var _ opsCenterAPI = (*ssm.Client)(nil)

// OperationalData keys. /aws/dedup makes OpsCenter itself refuse a second
// open OpsItem for the same finding (two Lambdas racing on one event);
// vpcguard:key is what the sink searches on, readable in the console.
const (
	opsDedupKey       = "/aws/dedup"
	opsResourcesKey   = "/aws/resources"
	opsKey            = "vpcguard:key"
	opsRuleKey        = "vpcguard:rule"
	opsFingerprintKey = "vpcguard:fingerprint"
	opsResolutionKey  = "vpcguard:resolution"
)

// OpsCenter keeps one open OpsItem per (rule, account, region, resource), for
// teams that work tickets in Systems Manager. An OpsItem someone moved to
// InProgress still counts as open: vpcguard updates it rather than opening
// another beside it.
type OpsCenter struct {
	api opsCenterAPI
	// ExemptTagKey is named in the OpsItem's description.
	ExemptTagKey string
}

// NewOpsCenter returns an OpsCenter sink; api is an *ssm.Client.
func NewOpsCenter(api opsCenterAPI) *OpsCenter {
	return &OpsCenter{api: api, ExemptTagKey: DefaultExemptTagKey}
}

// Name implements Sink.
func (o *OpsCenter) Name() string { return "opscenter" }

// Sync implements Sink.
func (o *OpsCenter) Sync(ctx context.Context, f finding.Finding, dryRun bool) (Change, error) {
	return syncPlan(ctx, o, f, dryRun)
}

// plan finds the open OpsItem and works out the change; its write creates,
// updates or resolves the OpsItem found.
func (o *OpsCenter) plan(ctx context.Context, f finding.Finding) (plan, error) {
	want := intentOf(f.Status)
	if want == leaveAlone {
		return plan{Change: Change{Kind: Unchanged, Note: fmt.Sprintf("status %s: nothing to do", f.Status)}}, nil
	}
	item, err := o.findOpen(ctx, f.Key())
	if err != nil {
		return plan{}, fmt.Errorf("find open opsitem for %s: %w", f.Key(), err)
	}
	switch {
	case want == openTicket && item == nil:
		return plan{Change: Change{Kind: Opened}, write: func(ctx context.Context) (Change, error) { return o.create(ctx, f) }}, nil
	case want == openTicket:
		id := aws.ToString(item.OpsItemId)
		if item.OperationalData[opsFingerprintKey].Value != nil && aws.ToString(item.OperationalData[opsFingerprintKey].Value) == fingerprint(f) {
			return plan{Change: Change{Kind: Unchanged, Ticket: id, Note: "unchanged"}}, nil
		}
		return plan{Change: Change{Kind: Updated, Ticket: id}, write: func(ctx context.Context) (Change, error) { return o.update(ctx, f, id) }}, nil
	case item == nil:
		return plan{Change: Change{Kind: Unchanged, Note: "no open opsitem to resolve"}}, nil
	default:
		id := aws.ToString(item.OpsItemId)
		return plan{Change: Change{Kind: Resolved, Ticket: id}, write: func(ctx context.Context) (Change, error) { return o.resolve(ctx, f, id) }}, nil
	}
}

func (o *OpsCenter) update(ctx context.Context, f finding.Finding, id string) (Change, error) {
	_, err := o.api.UpdateOpsItem(ctx, &ssm.UpdateOpsItemInput{
		OpsItemId:       aws.String(id),
		Title:           aws.String(title(f)),
		Description:     aws.String(truncate(readable(f, Updated, o.ExemptTagKey), 2048)),
		Severity:        aws.String(opsSeverity(f)),
		OperationalData: map[string]types.OpsItemDataValue{opsFingerprintKey: plain(fingerprint(f))},
	})
	if err != nil {
		return Change{Ticket: id}, fmt.Errorf("update opsitem %s: %w", id, err)
	}
	return Change{Kind: Updated, Ticket: id}, nil
}

func (o *OpsCenter) resolve(ctx context.Context, f finding.Finding, id string) (Change, error) {
	_, err := o.api.UpdateOpsItem(ctx, &ssm.UpdateOpsItemInput{
		OpsItemId:       aws.String(id),
		Status:          types.OpsItemStatusResolved,
		OperationalData: map[string]types.OpsItemDataValue{opsResolutionKey: plain(truncate(string(f.Status)+": "+f.Reason, 4096))},
	})
	if err != nil {
		return Change{Ticket: id}, fmt.Errorf("resolve opsitem %s: %w", id, err)
	}
	return Change{Kind: Resolved, Ticket: id}, nil
}

func (o *OpsCenter) create(ctx context.Context, f finding.Finding) (Change, error) {
	dedup, err := json.Marshal(map[string]string{"dedupString": TicketID(f)})
	if err != nil {
		return Change{}, fmt.Errorf("encode opsitem dedup string: %w", err)
	}
	data := map[string]types.OpsItemDataValue{
		opsDedupKey:       searchable(string(dedup)),
		opsKey:            searchable(f.Key()),
		opsRuleKey:        searchable(f.Rule),
		opsFingerprintKey: plain(fingerprint(f)),
	}
	if strings.HasPrefix(f.ResourceID, "arn:") {
		// Links the resource on the OpsItem's page in the console.
		res, err := json.Marshal([]map[string]string{{"arn": f.ResourceID}})
		if err != nil {
			return Change{}, fmt.Errorf("encode opsitem resources: %w", err)
		}
		data[opsResourcesKey] = searchable(string(res))
	}
	out, err := o.api.CreateOpsItem(ctx, &ssm.CreateOpsItemInput{
		Source:          aws.String(Source),
		Title:           aws.String(title(f)),
		Description:     aws.String(truncate(readable(f, Opened, o.ExemptTagKey), 2048)),
		Category:        aws.String("Security"),
		Severity:        aws.String(opsSeverity(f)),
		OperationalData: data,
	})
	if err != nil {
		return Change{}, fmt.Errorf("create opsitem for %s: %w", f.Key(), err)
	}
	return Change{Kind: Opened, Ticket: aws.ToString(out.OpsItemId)}, nil
}

// findOpen returns the Open or InProgress vpcguard OpsItem for key, or nil.
func (o *OpsCenter) findOpen(ctx context.Context, key string) (*types.OpsItemSummary, error) {
	byKey, err := json.Marshal(map[string]string{"key": opsKey, "value": key})
	if err != nil {
		return nil, fmt.Errorf("encode opsitem filter: %w", err)
	}
	in := &ssm.DescribeOpsItemsInput{OpsItemFilters: []types.OpsItemFilter{
		{Key: types.OpsItemFilterKeyOperationalData, Operator: types.OpsItemFilterOperatorEqual, Values: []string{string(byKey)}},
		{Key: types.OpsItemFilterKeySource, Operator: types.OpsItemFilterOperatorEqual, Values: []string{Source}},
		{Key: types.OpsItemFilterKeyStatus, Operator: types.OpsItemFilterOperatorEqual, Values: []string{
			string(types.OpsItemStatusOpen), string(types.OpsItemStatusInProgress),
		}},
	}}
	pages := ssm.NewDescribeOpsItemsPaginator(o.api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		if len(page.OpsItemSummaries) > 0 {
			return &page.OpsItemSummaries[0], nil
		}
	}
	return nil, nil
}

// opsSeverity maps an ASFF label to OpsCenter's 1 (critical) to 4 (low).
func opsSeverity(f finding.Finding) string {
	switch severityLabel(f) {
	case "CRITICAL":
		return "1"
	case "HIGH":
		return "2"
	case "MEDIUM":
		return "3"
	}
	return "4"
}

func searchable(v string) types.OpsItemDataValue {
	return types.OpsItemDataValue{Type: types.OpsItemDataTypeSearchableString, Value: aws.String(v)}
}

func plain(v string) types.OpsItemDataValue {
	return types.OpsItemDataValue{Type: types.OpsItemDataTypeString, Value: aws.String(v)}
}
