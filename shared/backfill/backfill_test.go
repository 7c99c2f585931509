package backfill_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/estate"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/inventory/sagemakerstate"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	modelRule    = "sagemaker-model-in-vpc"
	notebookRule = "sagemaker-notebook-no-direct-internet-access"
	endpointRule = "sagemaker-vpc-endpoint-private-dns"
	isolatedRule = "sagemaker-model-network-isolation"
	multiAZRule  = "sagemaker-model-vpc-multi-az"
	pathRule     = "sagemaker-vpc-private-path-complete"
)

// env is a backfill wired to moto, as the CLI wires it.
type env struct {
	*testenv.Env
	base     aws.Config
	calls    *backfill.Calls
	accounts *awsclients.Accounts
}

// newEnv points the backfill's clients at an empty moto account; extra
// middleware (fault injection) goes on the base config so every one of
// them carries it. Seeding (seed) goes to moto directly.
func newEnv(t *testing.T, extra ...func(*middleware.Stack) error) *env {
	t.Helper()
	te := testenv.New(t, testenv.Seed(0))
	base := te.Server.Config(testenv.Region)
	base.Retryer = awsclients.NewRetryer
	base.APIOptions = append(base.APIOptions, extra...)
	calls := backfill.NewCalls()
	calls.Instrument(&base)
	return &env{Env: te, base: base, calls: calls, accounts: awsclients.NewAccounts(base, "")}
}

// seed is the seeding clients for region.
func (e *env) seed(region string) estate.Clients { return e.Estate(region) }

func (e *env) run(t *testing.T, mode mode.Mode, opts backfill.Options) backfill.Result {
	t.Helper()
	cfg := config.Default()
	cfg.Mode = mode
	cfg.Sinks = nil
	if len(opts.Rules) == 0 {
		opts.Rules = rules.All()
	}
	opts = guards.Backfill(e.accounts, opts)
	opts.Calls = e.calls
	opts.Guard = setup.Guard(cfg, e.accounts, opts.Rules, nil, guards.Kinds...)
	res, err := backfill.Collect(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// mixed seeds, in region, one of each case the rules tell apart. It
// returns the ids of the endpoints that must never appear in findings.
func mixed(t *testing.T, c estate.Clients, region string) (net *estate.Network, ignored []string) {
	t.Helper()
	ctx := context.Background()
	net, err := c.NewNetwork(ctx, region)
	must(t, err)
	must(t, c.Model(ctx, "in-vpc", net, nil))
	must(t, c.Model(ctx, "no-vpc", nil, nil))
	must(t, c.Model(ctx, "no-vpc-exempt", nil, map[string]string{"vpcguard:exempt": "legacy batch job, see TICKET-42"}))
	must(t, c.Notebook(ctx, "private", "Disabled", net.Subnets[0], net))
	must(t, c.Notebook(ctx, "internet-enabled", "Enabled", net.Subnets[1], net))
	must(t, c.Notebook(ctx, "internet-omitted", "", "", nil))
	_, err = c.Endpoint(ctx, net, "com.amazonaws."+region+".sagemaker.api", aws.Bool(false), "api")
	must(t, err)
	_, err = c.Endpoint(ctx, net, "com.amazonaws."+region+".sagemaker.runtime", nil, "runtime")
	must(t, err)
	_, err = c.Endpoint(ctx, net, "aws.sagemaker."+region+".notebook", aws.Bool(false), "notebook")
	must(t, err)
	ssm, err := c.Endpoint(ctx, net, "com.amazonaws."+region+".ssm", aws.Bool(false), "ssm")
	must(t, err)
	s3, err := c.Gateway(ctx, net, "com.amazonaws."+region+".s3")
	must(t, err)
	return net, []string{ssm, s3}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// key names a finding by what a person would check: region, rule, resource.
func key(f finding.Finding) string {
	name := f.ResourceName
	return f.Region + " " + f.Rule + " " + name
}

func TestMixedEstateInTwoRegions(t *testing.T) {
	e := newEnv(t)
	regions := []string{"us-east-1", "eu-west-1"}
	ignored := map[string]bool{}
	endpointNames := map[string]string{} // vpce id -> Name tag, vpc id -> name, to read the results
	for _, region := range regions {
		c := e.seed(region)
		net, ign := mixed(t, c, region)
		endpointNames[net.VPC] = "ml-platform"
		vpcs, err := c.EC2.DescribeVpcs(context.Background(), nil)
		must(t, err)
		for _, v := range vpcs.Vpcs {
			if aws.ToBool(v.IsDefault) {
				endpointNames[aws.ToString(v.VpcId)] = "default-vpc"
			}
		}
		for _, id := range ign {
			ignored[id] = true
		}
		out, err := c.EC2.DescribeVpcEndpoints(context.Background(), nil)
		must(t, err)
		for _, ep := range out.VpcEndpoints {
			for _, tag := range ep.Tags {
				if aws.ToString(tag.Key) == "Name" {
					endpointNames[aws.ToString(ep.VpcEndpointId)] = aws.ToString(tag.Value)
				}
			}
		}
	}

	res := e.run(t, mode.Report, backfill.Options{Regions: regions})

	got := map[string]finding.Status{}
	for _, f := range res.Findings {
		if ignored[f.ResourceName] {
			t.Errorf("finding for a non-SageMaker endpoint %s: %s %s", f.ResourceName, f.Status, f.Reason)
		}
		name := f.ResourceName
		if n, ok := endpointNames[name]; ok {
			name = n
		}
		if f.Account != testenv.Account {
			t.Errorf("%s: account %q; want %s", key(f), f.Account, testenv.Account)
		}
		if len(f.Actions) != 0 {
			t.Errorf("%s: report mode recorded actions %v; want none", key(f), f.Actions)
		}
		got[f.Region+" "+f.Rule+" "+name] = f.Status
	}
	want := map[string]finding.Status{}
	for _, region := range regions {
		want[region+" "+modelRule+" in-vpc"] = finding.Compliant
		want[region+" "+modelRule+" no-vpc"] = finding.NonCompliant
		want[region+" "+modelRule+" no-vpc-exempt"] = finding.NotApplicable
		want[region+" "+notebookRule+" private"] = finding.Compliant
		want[region+" "+notebookRule+" internet-enabled"] = finding.NonCompliant
		want[region+" "+notebookRule+" internet-omitted"] = finding.NonCompliant
		want[region+" "+endpointRule+" api"] = finding.NonCompliant
		want[region+" "+endpointRule+" runtime"] = finding.Compliant
		want[region+" "+endpointRule+" notebook"] = finding.NonCompliant
		// moto ignores EnableNetworkIsolation: no model reads isolated.
		want[region+" "+isolatedRule+" in-vpc"] = finding.NonCompliant
		want[region+" "+isolatedRule+" no-vpc"] = finding.NonCompliant
		want[region+" "+isolatedRule+" no-vpc-exempt"] = finding.NotApplicable
		want[region+" "+multiAZRule+" in-vpc"] = finding.Compliant // subnets in a and b
		want[region+" "+multiAZRule+" no-vpc"] = finding.NotApplicable
		want[region+" "+multiAZRule+" no-vpc-exempt"] = finding.NotApplicable
		want[region+" "+pathRule+" ml-platform"] = finding.Compliant
		want[region+" "+pathRule+" default-vpc"] = finding.NotApplicable // every region has one
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %q; want %q", k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected finding %s: %s", k, g)
		}
	}
	s := res.Summary
	// Per region: 3 models (3 rules each), 3 notebooks, 3 endpoints, 2 VPCs.
	if s.Resources != 22 || len(res.Findings) != 34 {
		t.Errorf("resources %d, findings %d; want 22 and 34", s.Resources, len(res.Findings))
	}
	if len(s.Errors) != 0 {
		t.Errorf("errors %v; want none", s.Errors)
	}
	if n := s.ByRule[endpointRule][finding.NonCompliant]; n != 4 {
		t.Errorf("summary %s NON_COMPLIANT = %d; want 4", endpointRule, n)
	}
	// moto refuses Search on models: one refused Search per region, then
	// ListModels + one DescribeModel per model, read once for the model
	// listing and the VPC listing, which looks for the models each VPC
	// hosts (the default VPC lacks the endpoints models need). A model is
	// read once for its three rules. Zones are read for the one model with two subnets (in-vpc);
	// the VPC listing reads every subnet once. The exemption tag of the
	// SageMaker resources that would be non-compliant (no-vpc, no-vpc-exempt,
	// in-vpc (no isolation) and the two internet notebooks) comes from one
	// Resource Groups Tagging API query per region, not a ListTags each; a
	// VPC's tags come with DescribeVpcs.
	wantCalls := map[string]int64{
		"sagemaker:Search": 2, "sagemaker:ListModels": 2, "sagemaker:DescribeModel": 6,
		"sagemaker:ListNotebookInstances": 2, "sagemaker:DescribeNotebookInstance": 6,
		"ec2:DescribeVpcEndpoints": 4, "ec2:DescribeVpcs": 2, "ec2:DescribeSubnets": 4,
		"resourcegroupstaggingapi:GetResources": 2, "sagemaker:ListTags": 0,
	}
	for k, w := range wantCalls {
		if s.Calls[k] != w {
			t.Errorf("calls %s = %d; want %d (all: %v)", k, s.Calls[k], w, s.Calls)
		}
	}
	if s.CallsPerResource <= 0 || s.ResourcesPerSecond <= 0 || s.DurationSeconds <= 0 {
		t.Errorf("summary figures not set: %+v", s)
	}

	// Report mode changed nothing.
	for _, region := range regions {
		c := e.seed(region)
		nb, err := c.SageMaker.DescribeNotebookInstance(context.Background(), &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("internet-enabled")})
		must(t, err)
		if nb.NotebookInstanceStatus != smtypes.NotebookInstanceStatusInService {
			t.Errorf("%s: report mode left internet-enabled %s; want InService", region, nb.NotebookInstanceStatus)
		}
	}
	for k := range s.Calls {
		if op := strings.SplitN(k, ":", 2)[1]; !readOnly(op) {
			t.Errorf("report mode made a write call %s", k)
		}
	}
}

func readOnly(op string) bool {
	for _, p := range []string{"Describe", "List", "Get", "Search"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

func TestPaginationListsEveryResource(t *testing.T) {
	e := newEnv(t)
	c := e.seed("us-east-1")
	ctx := context.Background()
	net, err := c.NewNetwork(ctx, "us-east-1")
	must(t, err)
	const n = 7
	for i := range n {
		must(t, c.Notebook(ctx, fmt.Sprintf("nb-%d", i), "Disabled", net.Subnets[i%2], net))
		must(t, c.Model(ctx, fmt.Sprintf("model-%d", i), net, nil))
	}
	res := e.run(t, mode.Report, backfill.Options{Regions: []string{"us-east-1"}, PageSize: 2,
		Rules: []rules.Rule{rules.ModelInVPC{}, rules.NotebookNoDirectInternet{}}})
	if len(res.Findings) != 2*n {
		t.Fatalf("findings %d; want %d", len(res.Findings), 2*n)
	}
	for _, f := range res.Findings {
		if f.Status != finding.Compliant {
			t.Errorf("%s: %s (%s); want COMPLIANT", key(f), f.Status, f.Reason)
		}
	}
	// 7 notebooks at 2 a page: 4 pages. (moto ignores MaxResults on
	// ListModels and answers in one page, so only notebooks show paging.)
	if got := res.Summary.Calls["sagemaker:ListNotebookInstances"]; got != 4 {
		t.Errorf("ListNotebookInstances calls %d; want 4", got)
	}
	if got := res.Summary.Calls["sagemaker:ListTags"]; got != 0 {
		t.Errorf("ListTags calls %d; want 0 (nothing is non-compliant)", got)
	}
}

func TestEnforceModeFixes(t *testing.T) {
	e := newEnv(t)
	c := e.seed("us-east-1")
	mixed(t, c, "us-east-1")
	res := e.run(t, mode.Enforce, backfill.Options{Regions: []string{"us-east-1"}})
	actions := map[string][]string{} // by resource, and by rule and resource
	for _, f := range res.Findings {
		for _, a := range f.Actions {
			actions[f.ResourceName] = append(actions[f.ResourceName], a.Type+" "+string(a.Outcome))
			actions[f.Rule+" "+f.ResourceName] = append(actions[f.Rule+" "+f.ResourceName], a.Type+" "+string(a.Outcome))
		}
		if f.Status != finding.NonCompliant && len(f.Actions) > 0 {
			t.Errorf("%s is %s but has actions %v", key(f), f.Status, f.Actions)
		}
	}
	ctx := context.Background()
	for _, name := range []string{"internet-enabled", "internet-omitted"} {
		if !slices.Contains(actions[name], "stop-notebook done") {
			t.Errorf("%s actions %v; want stop-notebook done", name, actions[name])
		}
		nb, err := c.SageMaker.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
		must(t, err)
		if nb.NotebookInstanceStatus != smtypes.NotebookInstanceStatusStopped {
			t.Errorf("%s status %s; want Stopped", name, nb.NotebookInstanceStatus)
		}
		// The backfill knows no caller: the guardrail is skipped, with the reason.
		if !slices.Contains(actions[name], "attach-guardrail skipped") {
			t.Errorf("%s actions %v; want attach-guardrail skipped", name, actions[name])
		}
	}
	tags, err := c.SageMaker.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String("arn:aws:sagemaker:us-east-1:123456789012:model/no-vpc")})
	must(t, err)
	tagged := false
	for _, tg := range tags.Tags {
		tagged = tagged || aws.ToString(tg.Key) == "vpcguard:finding"
	}
	if !tagged {
		t.Errorf("model no-vpc tags %v; want vpcguard:finding", tags.Tags)
	}
	// moto ignores PrivateDnsEnabled on ModifyVpcEndpoint, so the request
	// is what can be checked: one per non-compliant SageMaker endpoint.
	if got := res.Summary.Calls["ec2:ModifyVpcEndpoint"]; got != 2 {
		t.Errorf("ModifyVpcEndpoint calls %d; want 2", got)
	}
	for _, a := range actions[modelRule+" in-vpc"] {
		t.Errorf("model in a VPC got action %s under %s", a, modelRule)
	}
	// The network rules only ticket: enforce does nothing to a VPC.
	for k, as := range actions {
		if strings.HasPrefix(k, pathRule) || strings.HasPrefix(k, multiAZRule) {
			t.Errorf("%s: actions %v; want none (ticket-only rule)", k, as)
		}
	}
}

// failOn injects a failure, in the SDK's middleware stack, into the calls
// for which match returns true. The error is injected by the test: moto
// itself answers these calls fine.
func failOn(match func(ctx context.Context, in any) bool) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("test/inject-failure",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if match(ctx, in.Parameters) {
					return middleware.InitializeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "injected by the test"}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}

func TestFailingDescribeIsInsufficientData(t *testing.T) {
	e := newEnv(t, failOn(func(_ context.Context, in any) bool {
		d, ok := in.(*sagemaker.DescribeNotebookInstanceInput)
		return ok && aws.ToString(d.NotebookInstanceName) == "broken"
	}))
	c := e.seed("us-east-1")
	ctx := context.Background()
	must(t, c.Notebook(ctx, "broken", "Enabled", "", nil))
	must(t, c.Notebook(ctx, "fine", "Enabled", "", nil))
	res := e.run(t, mode.Enforce, backfill.Options{Regions: []string{"us-east-1"}, Rules: []rules.Rule{rules.NotebookNoDirectInternet{}}})
	if len(res.Findings) != 2 {
		t.Fatalf("findings %v; want 2", res.Findings)
	}
	for _, f := range res.Findings {
		switch f.ResourceName {
		case "broken":
			if f.Status != finding.InsufficientData || !strings.Contains(f.Reason, "injected by the test") {
				t.Errorf("broken: %s %q; want INSUFFICIENT_DATA with the error", f.Status, f.Reason)
			}
			if !strings.HasPrefix(f.ResourceID, "arn:aws:sagemaker:") {
				t.Errorf("broken: resourceId %q; want the ARN from the listing", f.ResourceID)
			}
			if len(f.Actions) != 0 {
				t.Errorf("broken: actions %v; want none on a resource that could not be read", f.Actions)
			}
		case "fine":
			if f.Status != finding.NonCompliant {
				t.Errorf("fine: %s; want NON_COMPLIANT", f.Status)
			}
		}
	}
	if got := res.Summary.ByRule[notebookRule][finding.InsufficientData]; got != 1 {
		t.Errorf("summary INSUFFICIENT_DATA %d; want 1", got)
	}
}

func TestFailedListingIsReportedAndRunContinues(t *testing.T) {
	e := newEnv(t, failOn(func(ctx context.Context, in any) bool {
		_, ok := in.(*sagemaker.ListNotebookInstancesInput)
		return ok && awsmiddleware.GetRegion(ctx) == "eu-west-1"
	}))
	ctx := context.Background()
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		must(t, e.seed(region).Notebook(ctx, "nb-"+region, "Disabled", "", nil))
	}
	res := e.run(t, mode.Report, backfill.Options{Regions: []string{"us-east-1", "eu-west-1"}, Rules: []rules.Rule{rules.NotebookNoDirectInternet{}}})
	if len(res.Findings) != 1 || res.Findings[0].ResourceName != "nb-us-east-1" {
		t.Errorf("findings %v; want nb-us-east-1 only", res.Findings)
	}
	errs := res.Summary.Errors
	if len(errs) != 1 || errs[0].Region != "eu-west-1" || errs[0].Account != testenv.Account || !strings.Contains(errs[0].Error, "list notebook instances") {
		t.Errorf("errors %+v; want one listing error in eu-west-1", errs)
	}
}

func TestEveryListingFailedIsAnError(t *testing.T) {
	e := newEnv(t, failOn(func(context.Context, any) bool { return true }))
	cfg := config.Default()
	cfg.Mode = mode.Report
	_, err := backfill.Run(context.Background(), guards.Backfill(e.accounts, backfill.Options{
		Accounts: []string{testenv.Account}, Regions: []string{"us-east-1"},
		Guard: setup.Guard(cfg, e.accounts, rules.All(), nil, guards.Kinds...),
	}))
	if !errors.Is(err, backfill.ErrNothingListed) {
		t.Errorf("err %v; want ErrNothingListed", err)
	}
}

func TestNoRegionIsAnError(t *testing.T) {
	base := testenv.New(t, testenv.Seed(0)).Server.Config("")
	accounts := awsclients.NewAccounts(base, "")
	cfg := config.Default()
	_, err := backfill.Run(context.Background(), guards.Backfill(accounts, backfill.Options{Guard: setup.Guard(cfg, accounts, rules.All(), nil, guards.Kinds...)}))
	if err == nil || !strings.Contains(err.Error(), "no region") {
		t.Errorf("err %v; want no region", err)
	}
}

func TestAllRegions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	must(t, e.seed("ap-southeast-2").Notebook(ctx, "far-away", "Disabled", "", nil))
	res := e.run(t, mode.Report, backfill.Options{Regions: []string{"all"}, Rules: []rules.Rule{rules.NotebookNoDirectInternet{}}})
	if len(res.Summary.Regions) < 10 || !slices.Contains(res.Summary.Regions, "ap-southeast-2") {
		t.Errorf("regions %v; want every region", res.Summary.Regions)
	}
	if len(res.Findings) != 1 || res.Findings[0].Region != "ap-southeast-2" {
		t.Errorf("findings %v; want far-away in ap-southeast-2", res.Findings)
	}
}

// searchOnly answers Search with models as real SageMaker does; moto does
// not implement Search for models, so this path is tested with a fake.
type searchOnly struct {
	sagemakerstate.ListAPI
	sagemakerstate.API
	pages [][]smtypes.Model
	calls []string
}

func (s *searchOnly) Search(_ context.Context, in *sagemaker.SearchInput, _ ...func(*sagemaker.Options)) (*sagemaker.SearchOutput, error) {
	s.calls = append(s.calls, "Search")
	i := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &i)
	}
	out := &sagemaker.SearchOutput{}
	for _, m := range s.pages[i] {
		out.Results = append(out.Results, smtypes.SearchRecord{Model: &smtypes.ModelDashboardModel{Model: &m}})
	}
	if i+1 < len(s.pages) {
		out.NextToken = aws.String(fmt.Sprint(i + 1))
	}
	return out, nil
}

func (s *searchOnly) ListTags(context.Context, *sagemaker.ListTagsInput, ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error) {
	s.calls = append(s.calls, "ListTags")
	return &sagemaker.ListTagsOutput{}, nil
}

func TestSearchReadsModelsWithoutDescribes(t *testing.T) {
	model := func(name string, subnets []string, tags ...smtypes.Tag) smtypes.Model {
		m := smtypes.Model{ModelName: aws.String(name), ModelArn: aws.String("arn:aws:sagemaker:us-east-1:111122223333:model/" + name), Tags: tags}
		if subnets != nil {
			m.VpcConfig = &smtypes.VpcConfig{Subnets: subnets}
		}
		return m
	}
	fake := &searchOnly{pages: [][]smtypes.Model{
		{model("a", []string{"subnet-1"}), model("b", nil)},
		{model("c", nil, smtypes.Tag{Key: aws.String("vpcguard:exempt"), Value: aws.String("yes")})},
	}}
	cfg := config.Default()
	cfg.Mode = mode.Report
	g := setup.Guard(cfg, nil, []rules.Rule{rules.ModelInVPC{}}, nil)
	res, err := backfill.Collect(context.Background(), backfill.Options{
		Sources: func(context.Context, string, string) (backfill.Source, error) {
			return backfill.Source{
				Reader: &sagemakerstate.Reader{SageMaker: fake},
				Lister: func(resource.Kind) (backfill.Lister, error) {
					return sagemakerstate.NewModelScan(fake, 1, nil).Models(), nil
				},
			}, nil
		},
		Guard:    g,
		Accounts: []string{"111122223333"}, Regions: []string{"us-east-1"},
	})
	must(t, err)
	got := map[string]finding.Status{}
	for _, f := range res.Findings {
		got[f.ResourceName] = f.Status
	}
	want := map[string]finding.Status{"a": finding.Compliant, "b": finding.NonCompliant, "c": finding.NotApplicable}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %s; want %s", k, got[k], w)
		}
	}
	if !slices.Equal(fake.calls, []string{"Search", "Search"}) {
		t.Errorf("calls %v; want two Search pages and nothing else (tags come with Search)", fake.calls)
	}
}

// lateTag is the account and region's real tag index (the Resource Groups
// Tagging API on moto) that, once it has answered, has the exemption tag
// put on some resources: a tag added after the query, or one the index had
// not caught up with yet (the API is eventually consistent).
type lateTag struct {
	backfill.TagIndex
	tag func(ctx context.Context)
}

func (l lateTag) Tagged(ctx context.Context, key string, types []string, each func(arn, value string)) error {
	err := l.TagIndex.Tagged(ctx, key, types, each)
	l.tag(ctx)
	return err
}

// TestTagAddedAfterTheQueryStopsTheWrite: the exemption tag read from the
// index is read again from the resource before the first write, dry run
// included, so a resource tagged after the query is never touched.
func TestTagAddedAfterTheQueryStopsTheWrite(t *testing.T) {
	for _, dryRun := range []bool{false, true} {
		t.Run(fmt.Sprintf("dryRun=%v", dryRun), func(t *testing.T) {
			e := newEnv(t)
			c := e.seed("us-east-1")
			ctx := context.Background()
			must(t, c.Notebook(ctx, "late-exempt", "Enabled", "", nil))
			must(t, c.Model(ctx, "late-exempt-model", nil, nil))
			must(t, c.Notebook(ctx, "open", "Enabled", "", nil))
			arns := []string{"arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/late-exempt", "arn:aws:sagemaker:us-east-1:123456789012:model/late-exempt-model"}
			tagged := 0
			opts := guards.Backfill(e.accounts, backfill.Options{Regions: []string{"us-east-1"}, Calls: e.calls})
			sources := opts.Sources
			opts.Sources = func(ctx context.Context, account, region string) (backfill.Source, error) {
				src, err := sources(ctx, account, region)
				src.Tags = lateTag{TagIndex: src.Tags, tag: func(ctx context.Context) {
					for _, arn := range arns {
						_, err := c.SageMaker.AddTags(ctx, &sagemaker.AddTagsInput{ResourceArn: aws.String(arn),
							Tags: []smtypes.Tag{{Key: aws.String("vpcguard:exempt"), Value: aws.String("added late")}}})
						must(t, err)
						tagged++
					}
				}}
				return src, err
			}
			cfg := config.Default()
			cfg.Mode, cfg.DryRun, cfg.Sinks = mode.Enforce, dryRun, nil
			opts.Guard = setup.Guard(cfg, e.accounts, rules.All(), nil, guards.Kinds...)
			res, err := backfill.Collect(ctx, opts)
			must(t, err)
			if tagged != len(arns) {
				t.Fatalf("the tag index was asked %d times; want once (tagging %d resources)", tagged/len(arns), len(arns))
			}
			got := map[string]finding.Finding{}
			reread := map[string]int{}
			for _, f := range res.Findings {
				if f.Status != finding.NotApplicable || !strings.Contains(f.Reason, "found on reading the tags again") {
					if !strings.HasPrefix(f.ResourceName, "late-exempt") {
						got[f.ResourceName] = f
					}
					if f.ResourceName == "late-exempt-model" && (f.Status != finding.NotApplicable || len(f.Actions) != 0) {
						// The model's first non-compliant rule (network
						// isolation) read the tag again; its other rules
						// decide on that fresh read: exempt, no action.
						t.Errorf("late-exempt-model under %s: %s %q, actions %+v; want NOT_APPLICABLE, no action", f.Rule, f.Status, f.Reason, f.Actions)
					}
					continue
				}
				reread[f.ResourceName]++
				got[f.ResourceName] = f
			}
			for _, name := range []string{"late-exempt", "late-exempt-model"} {
				f := got[name]
				if reread[name] != 1 || !strings.Contains(f.Reason, `vpcguard:exempt="added late", found on reading the tags again before acting`) {
					t.Errorf("%s: %s %q (%d re-reads); want NOT_APPLICABLE once, exempt by the tag found on the re-read", name, f.Status, f.Reason, reread[name])
				}
				if len(f.Actions) != 1 || f.Actions[0].Type != "remediate" || f.Actions[0].Outcome != finding.Skipped {
					t.Errorf("%s: actions %+v; want one skipped remediate action, nothing else", name, f.Actions)
				}
			}
			open := got["open"]
			want := finding.Done
			if dryRun {
				want = finding.DryRun
			}
			stop := false
			for _, a := range open.Actions {
				stop = stop || (a.Type == "stop-notebook" && a.Outcome == want)
			}
			if open.Status != finding.NonCompliant || !stop {
				t.Errorf("open: %s, actions %+v; want NON_COMPLIANT with stop-notebook %s", open.Status, open.Actions, want)
			}
			nb, err := c.SageMaker.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("late-exempt")})
			must(t, err)
			if nb.NotebookInstanceStatus != smtypes.NotebookInstanceStatusInService {
				t.Errorf("late-exempt is %s; want InService: an exempt notebook must not be stopped", nb.NotebookInstanceStatus)
			}
			tags, err := c.SageMaker.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String(arns[1])})
			must(t, err)
			for _, tg := range tags.Tags {
				if aws.ToString(tg.Key) == "vpcguard:finding" {
					t.Errorf("late-exempt-model carries vpcguard:finding; want it untouched")
				}
			}
			// Each resource the index did not see as exempt is read again
			// before acting, once whatever its rules: the two late ones and
			// open. Tagging open uses the tags of that re-read (no other
			// notebook rule tags it), in a dry run as in enforce.
			if got := res.Summary.Calls["sagemaker:ListTags"]; got != 3 {
				t.Errorf("ListTags calls %d; want 3 (one re-read before acting per non-compliant resource, none more to tag)", got)
			}
			if got, want := res.Summary.Calls["sagemaker:StopNotebookInstance"], map[bool]int64{false: 1, true: 0}[dryRun]; got != want {
				t.Errorf("StopNotebookInstance calls %d; want %d (open only)", got, want)
			}
		})
	}
}

// TestTagIndexRefusedFallsBackToListTags: where the Resource Groups Tagging
// API is denied, each non-compliant resource's tags are read instead, and
// the findings are the same.
func TestTagIndexRefusedFallsBackToListTags(t *testing.T) {
	e := newEnv(t, failOn(func(_ context.Context, in any) bool {
		_, ok := in.(*tagging.GetResourcesInput)
		return ok
	}))
	mixed(t, e.seed("us-east-1"), "us-east-1")
	res := e.run(t, mode.Report, backfill.Options{Regions: []string{"us-east-1"}})
	got := map[string]finding.Status{}
	for _, f := range res.Findings {
		got[f.Rule+" "+f.ResourceName] = f.Status
	}
	for name, want := range map[string]finding.Status{
		modelRule + " no-vpc": finding.NonCompliant, modelRule + " no-vpc-exempt": finding.NotApplicable,
		notebookRule + " internet-enabled": finding.NonCompliant, modelRule + " in-vpc": finding.Compliant,
		isolatedRule + " in-vpc": finding.NonCompliant, isolatedRule + " no-vpc-exempt": finding.NotApplicable,
	} {
		if got[name] != want {
			t.Errorf("%s: got %s; want %s", name, got[name], want)
		}
	}
	// The refused query is made once; then no-vpc, no-vpc-exempt, in-vpc
	// (not isolated) and the two internet notebooks have their tags read one
	// by one, once per resource whatever its rules.
	if g, l := res.Summary.Calls["resourcegroupstaggingapi:GetResources"], res.Summary.Calls["sagemaker:ListTags"]; g != 0 || l != 5 {
		t.Errorf("calls GetResources %d (refused before sending), ListTags %d; want 0 and 5", g, l)
	}
	if len(res.Summary.Errors) != 0 {
		t.Errorf("errors %v; want none: the fallback is not a failure", res.Summary.Errors)
	}
}

// TestContainment: after an enforce-mode backfill the non-compliant
// notebooks are contained (stopped, tagged) and the model tagged; a later
// report-mode backfill still finds the stopped notebooks contained, and the
// summary counts them.
func TestContainment(t *testing.T) {
	e := newEnv(t)
	mixed(t, e.seed("us-east-1"), "us-east-1")
	enforced := e.run(t, mode.Enforce, backfill.Options{Regions: []string{"us-east-1"}})
	reported := e.run(t, mode.Report, backfill.Options{Regions: []string{"us-east-1"}})
	for _, tt := range []struct {
		res  backfill.Result
		name string
		want map[string]string // resource (and rule, for a model's other rules) -> containment
	}{
		{enforced, "enforce", map[string]string{"internet-enabled": "stopped tagged", "internet-omitted": "stopped tagged", "no-vpc": "tagged", "endpoint": "fixed tagged",
			isolatedRule + " in-vpc": "tagged", isolatedRule + " no-vpc": "tagged"}},
		{reported, "report afterwards", map[string]string{"internet-enabled": "stopped", "internet-omitted": "stopped", "no-vpc": "",
			isolatedRule + " in-vpc": "", isolatedRule + " no-vpc": ""}},
	} {
		for _, f := range tt.res.Findings {
			name := f.ResourceName
			if f.Rule == endpointRule && f.Status == finding.NonCompliant {
				name = "endpoint" // api and notebook, private DNS off
			}
			switch f.Rule {
			case isolatedRule:
				name = f.Rule + " " + name
			case multiAZRule, pathRule:
				name = f.Rule + " " + name // ticket only: never contained
			}
			want, ok := tt.want[name]
			if !ok {
				if f.Contained {
					t.Errorf("%s: %s is contained (%v); want not", tt.name, f.ResourceName, f.Containment)
				}
				continue
			}
			var got []string
			for _, m := range f.Containment {
				got = append(got, string(m))
			}
			if strings.Join(got, " ") != want || f.Contained != (want != "") || f.Status != finding.NonCompliant {
				t.Errorf("%s: %s %s contained %v %q; want NON_COMPLIANT contained %v %q", tt.name, f.ResourceName, f.Status, f.Contained, got, want != "", want)
			}
		}
	}
	if got := reported.Summary.Contained[notebookRule]; got != 2 {
		t.Errorf("report afterwards: summary contained %s = %d; want 2", notebookRule, got)
	}
	if got := enforced.Summary.Contained[modelRule]; got != 1 {
		t.Errorf("enforce: summary contained %s = %d; want 1", modelRule, got)
	}
	if got := enforced.Summary.Contained[isolatedRule]; got != 2 {
		t.Errorf("enforce: summary contained %s = %d; want 2", isolatedRule, got)
	}
}

// TestFindingsStreamAndAccountsReport: every finding is handed on once as it
// completes, the account is reported done once with its counts, and a
// finding that cannot be handed on ends the run with the error.
func TestFindingsStreamAndAccountsReport(t *testing.T) {
	e := newEnv(t)
	mixed(t, e.seed("us-east-1"), "us-east-1")
	var streamed []finding.Finding
	var done []backfill.AccountSummary
	opts := backfill.Options{Regions: []string{"us-east-1"},
		Findings:    func(f finding.Finding) error { streamed = append(streamed, f); return nil },
		AccountDone: func(s backfill.AccountSummary) { done = append(done, s) }}
	res := e.run(t, mode.Report, opts)
	// 3 models under 3 rules, 3 notebooks, 3 endpoints, 2 VPCs (ml-platform, default).
	if len(streamed) != 17 || res.Summary.Resources != 11 {
		t.Errorf("streamed %d findings, %d resources; want 17 and 11", len(streamed), res.Summary.Resources)
	}
	if len(done) != 1 || done[0].Account != testenv.Account || done[0].Resources != 11 || done[0].ByRule[modelRule][finding.NonCompliant] != 1 {
		t.Errorf("accounts done %+v; want %s once, with 11 resources and 1 non-compliant model", done, testenv.Account)
	}

	stop := errors.New("disk full")
	n := 0
	cfg := config.Default()
	cfg.Mode, cfg.Sinks = mode.Report, nil
	o := guards.Backfill(e.accounts, backfill.Options{Regions: []string{"us-east-1"}, Concurrency: 1,
		Findings: func(finding.Finding) error { n++; return stop }})
	o.Guard = setup.Guard(cfg, e.accounts, rules.All(), nil, guards.Kinds...)
	_, err := backfill.Run(context.Background(), o)
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Run with a failing output: err %v after %d findings; want the output's error after the first", err, n)
	}
}

// TestModelsReadOnceForVPCs: a VPC lacking the endpoints models need makes
// the VPC listing look for the models it hosts. Where Search is refused
// (moto), that read is the model listing's: one DescribeModel a model, not
// two. A run of the VPC rule alone scans the models itself, and one listing
// the VPC rule before the model rules, one listing at a time, does too
// rather than wait for a model listing that comes after it: the VPC
// findings are the same in every run.
func TestModelsReadOnceForVPCs(t *testing.T) {
	e := newEnv(t)
	c := e.seed("us-east-1")
	ctx := context.Background()
	net, err := c.NewNetwork(ctx, "us-east-1")
	must(t, err)
	for _, name := range []string{"hosted-a", "hosted-b", "hosted-c"} {
		must(t, c.Model(ctx, name, net, nil))
	}
	must(t, c.Model(ctx, "no-vpc", nil, nil))
	pathFindings := func(res backfill.Result) map[string]string {
		out := map[string]string{}
		for _, f := range res.Findings {
			if f.Rule == pathRule {
				out[f.ResourceName] = string(f.Status) + ": " + f.Reason
			}
		}
		return out
	}
	vpcFirst := append([]rules.Rule{rules.VPCPrivatePathComplete{}}, slices.DeleteFunc(rules.All(), func(r rules.Rule) bool { return r.Name() == pathRule })...)
	runs := []struct {
		name          string
		opts          backfill.Options
		describeModel int64
	}{
		{"every rule", backfill.Options{}, 4},
		{"the VPC rule alone", backfill.Options{Rules: []rules.Rule{rules.VPCPrivatePathComplete{}}}, 4},
		{"the VPC rule first, one listing at a time", backfill.Options{Rules: vpcFirst, Concurrency: 1}, 8},
	}
	var want map[string]string
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			run.opts.Regions = []string{"us-east-1"}
			before := e.calls.Snapshot()
			res := e.run(t, mode.Report, run.opts)
			got := pathFindings(res)
			if !strings.HasPrefix(got[net.VPC], string(finding.NonCompliant)) || !strings.Contains(got[net.VPC], "runtime") {
				t.Errorf("%s: got %q; want NON_COMPLIANT, hosting models without a sagemaker.runtime endpoint", net.VPC, got[net.VPC])
			}
			if want == nil {
				want = got
			} else if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("VPC findings: got %v; want %v, as with every rule", got, want)
			}
			if n := res.Summary.Calls["sagemaker:DescribeModel"]; n != run.describeModel {
				t.Errorf("DescribeModel calls: got %d; want %d (calls before: %v)", n, run.describeModel, before)
			}
			if len(res.Summary.Errors) != 0 {
				t.Errorf("errors: %v; want none", res.Summary.Errors)
			}
		})
	}
}
