// Package orgdeploy deploys vpcguard's organization templates (infra/stack,
// -c organizationId=...) on moto_server, as an operator would on AWS: an
// organization with a workloads OU of three member accounts and a security
// account; the member templates as service-managed StackSets to the OU; the
// central template, with its assets published as cdk deploy publishes them,
// to the security account; the member templates as plain stacks to the
// management account. Then a CloudTrail-shaped event put on a member's
// default bus, in each governed Region, arrives on the central bus.
//
// What moto 5.2.1 cannot do, and what the test does instead (each is said
// where it happens):
//   - its CloudFormation has no AWS::CloudFormation::StackSet: the test makes
//     the StackSet calls CloudFormation would make, with the resource's
//     properties from the central template;
//   - it skips some resource types with a warning: the test lists them and
//     checks the list (skippedTypes);
//   - an AWS::Events::Rule whose EventBusName is a Ref to an
//     AWS::Events::EventBus of the same template fails the stack with HTTP
//     500 (moto resolves the Ref to its bus object, not the name): the test
//     writes the bus name in, which is what the Ref resolves to on AWS;
//   - Lambda targets are not implemented (a matched one makes PutEvents fail
//     with HTTP 500): the test moves the central rules' targets to an SQS
//     queue it owns, so it observes what the guards would receive;
//   - forwarding between buses rewrites the envelope's account, region and
//     time to the receiver's and drops resources (AWS keeps the sender's):
//     the test checks the CloudTrail detail, which carries the account
//     (recipientAccountId) and Region (awsRegion), and logs the envelope;
//   - StackSet auto-deployment is not implemented (an account that joins the
//     OU later gets nothing), and bus and queue policies are not enforced.
package orgdeploy

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/jsii-runtime-go"

	"github.com/vpcguard/vpcguard/events"
	"github.com/vpcguard/vpcguard/infra/stack"
	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/shared/rules"
)

const home = "us-east-1"

var governed = []string{"us-east-1", "eu-west-1"}

func TestMain(m *testing.M) {
	os.Setenv("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
	os.Setenv("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
	motoserver.Main(func() int {
		code := m.Run()
		jsii.Close()
		return code
	})
}

// skippedTypes are the resource types moto 5.2.1's CloudFormation does not
// create (it logs "No Moto CloudFormation support" and goes on), per
// template. On AWS every one of them is created.
var skippedTypes = map[string][]string{
	"central": {
		"AWS::CloudFormation::StackSet", // made by the test from its properties
		"AWS::CloudWatch::Alarm",
		"AWS::Events::EventBusPolicy", // moto does not enforce bus policies anyway
		"AWS::Lambda::EventInvokeConfig",
		"AWS::S3::BucketPolicy", // the organization backfill's runs bucket (TLS only)
		"AWS::SNS::TopicPolicy",
		"AWS::SQS::QueuePolicy",
	},
	"member-global":   nil,
	"member-regional": {"AWS::SQS::QueuePolicy"},
}

func TestOrganizationDeploysOnMoto(t *testing.T) {
	ctx := context.Background()
	srv := motoserver.Require(t)
	mgmt := srv.Config(home)
	mgmt.RetryMaxAttempts = 1 // moto answers what it lacks with HTTP 500

	o := newOrganization(ctx, t, mgmt)
	t.Logf("organization %s: members %v in %s, central %s in %s, management %s",
		o.id, o.members, o.workloads, o.central, o.security, motoserver.Account)

	cfg := stack.DefaultConfig()
	cfg.AssetDir = placeholderAssets(t)
	cfg.Mode = "enforce" // the member guardrail policy exists
	cfg.Organization.ID = o.id
	cfg.Organization.ManagementAccount = motoserver.Account
	cfg.Organization.CentralAccount = o.central
	cfg.Organization.HomeRegion = home
	cfg.Organization.GovernedRegions = governed
	cfg.Organization.TargetOUs = []string{o.workloads}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "cdk.out")
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out)})
	stacks, err := stack.NewOrganizationStacks(app, nil, cfg, rules.Guards())
	if err != nil {
		t.Fatal(err)
	}
	app.Synth(nil)
	central := readTemplate(t, out, cfg.StackName)

	t.Run("member StackSets", func(t *testing.T) {
		deployStackSets(ctx, t, mgmt, central, len(o.members))
		for _, acct := range o.members {
			checkMember(ctx, t, o.config(ctx, t, acct, home), acct, cfg)
		}
	})
	t.Run("central stack", func(t *testing.T) {
		c := o.config(ctx, t, o.central, home)
		deployCentral(ctx, t, c, out, cfg.StackName, central)
		checkCentral(ctx, t, c, cfg, stacks)
	})
	t.Run("management account stacks", func(t *testing.T) {
		// Service-managed StackSets skip the management account: the README
		// deploys the same member templates there as plain stacks.
		for _, r := range governed {
			c := mgmt
			c.Region = r
			if r == home {
				deployStack(ctx, t, c, "member-global", stack.MemberGlobalName(cfg), readTemplate(t, out, stack.MemberGlobalName(cfg)))
			}
			deployStack(ctx, t, c, "member-regional", stack.MemberRegionalName(cfg), readTemplate(t, out, stack.MemberRegionalName(cfg)))
		}
		checkMember(ctx, t, mgmt, motoserver.Account, cfg)
	})
	if t.Failed() {
		return
	}
	t.Run("events reach the central bus", func(t *testing.T) {
		forwardEvents(ctx, t, o, cfg)
	})
}

// --- the organization ---------------------------------------------------------------

type organization struct {
	mgmt      aws.Config
	id        string
	workloads string   // the OU the member StackSets target
	security  string   // the central account's OU, not targeted
	members   []string // in workloads
	central   string
}

func newOrganization(ctx context.Context, t *testing.T, mgmt aws.Config) *organization {
	t.Helper()
	c := organizations.NewFromConfig(mgmt)
	created, err := c.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	if err != nil {
		t.Fatalf("create organization: %v", err)
	}
	o := &organization{mgmt: mgmt, id: aws.ToString(created.Organization.Id)}
	roots, err := c.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		t.Fatalf("list roots: %v", err)
	}
	root := aws.ToString(roots.Roots[0].Id)
	ou := func(name string) string {
		out, err := c.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: &root, Name: &name})
		if err != nil {
			t.Fatalf("create OU %s: %v", name, err)
		}
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	o.workloads, o.security = ou("Workloads"), ou("Security")
	account := func(name, parent string) string {
		out, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: &name, Email: aws.String(name + "@example.com")})
		if err != nil {
			t.Fatalf("create account %s: %v", name, err)
		}
		id := aws.ToString(out.CreateAccountStatus.AccountId)
		if _, err := c.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: &id, SourceParentId: &root, DestinationParentId: &parent}); err != nil {
			t.Fatalf("move account %s: %v", name, err)
		}
		return id
	}
	for _, name := range []string{"ml-team-a", "ml-team-b", "ml-team-c"} {
		o.members = append(o.members, account(name, o.workloads))
	}
	o.central = account("security-tooling", o.security)
	return o
}

// config is acct's credentials in region, from the management account's
// OrganizationAccountAccessRole: moto acts as the account the assumed
// credentials belong to.
func (o *organization) config(ctx context.Context, t *testing.T, acct, region string) aws.Config {
	t.Helper()
	if acct == motoserver.Account {
		c := o.mgmt
		c.Region = region
		return c
	}
	out, err := sts.NewFromConfig(o.mgmt).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::" + acct + ":role/OrganizationAccountAccessRole"),
		RoleSessionName: aws.String("vpcguard-deploy-test"),
	})
	if err != nil {
		t.Fatalf("assume a role in %s: %v", acct, err)
	}
	c := o.mgmt.Copy()
	c.Region = region
	cr := out.Credentials
	c.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	return c
}

// --- templates and assets ------------------------------------------------------------

func placeholderAssets(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	// Every function's asset: the central stack adds the organization
	// backfill's orchestrator to the functions that act in accounts.
	for _, name := range stack.AllFunctionNames() {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "bootstrap"), []byte("placeholder"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type template struct {
	Resources map[string]struct {
		Type       string
		Properties map[string]any
	}
	raw map[string]any
}

func readTemplate(t *testing.T, out, stackName string) template {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, stackName+".template.json"))
	if err != nil {
		t.Fatalf("read the synthesized template: %v", err)
	}
	var tmpl template
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &tmpl.raw); err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func (tm template) body(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(tm.raw)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// --- StackSets -----------------------------------------------------------------------

// deployStackSets creates the central template's AWS::CloudFormation::StackSet
// resources with the StackSet API, as CloudFormation does on AWS (moto's
// CloudFormation skips that type), as the management account.
func deployStackSets(ctx context.Context, t *testing.T, mgmt aws.Config, central template, members int) {
	cf := cloudformation.NewFromConfig(mgmt)
	n := 0
	for id, r := range central.Resources {
		if r.Type != "AWS::CloudFormation::StackSet" {
			continue
		}
		n++
		var p struct {
			StackSetName, TemplateBody, PermissionModel, Description string
			Capabilities                                             []cfntypes.Capability
			AutoDeployment                                           struct{ Enabled, RetainStacksOnAccountRemoval bool }
			StackInstancesGroup                                      []struct {
				DeploymentTargets struct{ OrganizationalUnitIds []string }
				Regions           []string
			}
		}
		remarshal(t, r.Properties, &p)
		if _, err := cf.CreateStackSet(ctx, &cloudformation.CreateStackSetInput{
			StackSetName:    &p.StackSetName,
			Description:     &p.Description,
			TemplateBody:    &p.TemplateBody,
			PermissionModel: cfntypes.PermissionModels(p.PermissionModel),
			Capabilities:    p.Capabilities,
			AutoDeployment: &cfntypes.AutoDeployment{
				Enabled:                      &p.AutoDeployment.Enabled,
				RetainStacksOnAccountRemoval: &p.AutoDeployment.RetainStacksOnAccountRemoval,
			},
		}); err != nil {
			t.Fatalf("%s: create StackSet: %v", id, err)
		}
		want := 0
		for _, g := range p.StackInstancesGroup {
			op, err := cf.CreateStackInstances(ctx, &cloudformation.CreateStackInstancesInput{
				StackSetName:      &p.StackSetName,
				DeploymentTargets: &cfntypes.DeploymentTargets{OrganizationalUnitIds: g.DeploymentTargets.OrganizationalUnitIds},
				Regions:           g.Regions,
			})
			if err != nil {
				t.Fatalf("%s: create stack instances: %v", id, err)
			}
			st, err := cf.DescribeStackSetOperation(ctx, &cloudformation.DescribeStackSetOperationInput{StackSetName: &p.StackSetName, OperationId: op.OperationId})
			if err != nil {
				t.Fatalf("%s: describe operation: %v", id, err)
			}
			if st.StackSetOperation.Status != cfntypes.StackSetOperationStatusSucceeded {
				t.Errorf("%s: operation %s; want SUCCEEDED", id, st.StackSetOperation.Status)
			}
			want += members * len(g.Regions)
		}
		list, err := cf.ListStackInstances(ctx, &cloudformation.ListStackInstancesInput{StackSetName: &p.StackSetName})
		if err != nil {
			t.Fatalf("%s: list stack instances: %v", id, err)
		}
		current := 0
		for _, s := range list.Summaries {
			if s.Status == cfntypes.StackInstanceStatusCurrent {
				current++
			}
		}
		if current != want {
			t.Errorf("%s: %d current stack instances; want %d (%d accounts × %d Regions)", p.StackSetName, current, want, members, want/members)
		}
	}
	if n != 2 {
		t.Fatalf("central template: %d StackSets; want 2", n)
	}
}

func remarshal(t *testing.T, from, to any) {
	t.Helper()
	b, err := json.Marshal(from)
	if err == nil {
		err = json.Unmarshal(b, to)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// checkMember reads what the member stacks made in acct: the member role
// (trusting the central roles), the guardrail policy, and in each governed
// Region the forwarder role and the rules forwarding to the central bus.
func checkMember(ctx context.Context, t *testing.T, c aws.Config, acct string, cfg stack.Config) {
	t.Helper()
	o := cfg.Organization
	i := iam.NewFromConfig(c)
	role, err := i.GetRole(ctx, &iam.GetRoleInput{RoleName: &o.MemberRoleName})
	if err != nil {
		t.Fatalf("%s: member role %s: %v", acct, o.MemberRoleName, err)
	}
	trust, err := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range stack.FunctionNames() {
		if want := "arn:aws:iam::" + o.CentralAccount + ":role/" + stack.CentralRoleName(cfg.StackName, fn); !strings.Contains(trust, want) {
			t.Errorf("%s: member role trust %s does not name %s", acct, trust, want)
		}
	}
	if !strings.Contains(trust, `"aws:PrincipalOrgID": "`+o.ID+`"`) && !strings.Contains(trust, `"aws:PrincipalOrgID":"`+o.ID+`"`) {
		t.Errorf("%s: member role trust %s lacks aws:PrincipalOrgID %s", acct, trust, o.ID)
	}
	guardrail := "arn:aws:iam::" + acct + ":policy/" + stack.MemberGuardrailName(o)
	if _, err := i.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: &guardrail}); err != nil {
		t.Errorf("%s: guardrail %s: %v", acct, guardrail, err)
	}
	bus := "arn:aws:events:" + o.HomeRegion + ":" + o.CentralAccount + ":event-bus/" + o.BusName
	for _, r := range o.Regions() {
		forwarder, err := i.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(stack.ForwarderRoleName(o, r))})
		if err != nil {
			t.Errorf("%s: forwarder role for %s: %v", acct, r, err)
			continue
		}
		rc := c
		rc.Region = r
		eb := eventbridge.NewFromConfig(rc)
		list, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{})
		if err != nil {
			t.Fatalf("%s %s: list rules: %v", acct, r, err)
		}
		var patterns []string
		for _, rule := range list.Rules {
			targets, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: rule.Name})
			if err != nil {
				t.Fatalf("%s %s: targets of %s: %v", acct, r, aws.ToString(rule.Name), err)
			}
			if len(targets.Targets) != 1 || aws.ToString(targets.Targets[0].Arn) != bus ||
				aws.ToString(targets.Targets[0].RoleArn) != aws.ToString(forwarder.Role.Arn) || targets.Targets[0].DeadLetterConfig == nil {
				t.Errorf("%s %s: rule %s targets %+v; want the central bus %s with role %s and a DLQ", acct, r, aws.ToString(rule.Name), targets.Targets, bus, aws.ToString(forwarder.Role.Arn))
			}
			patterns = append(patterns, aws.ToString(rule.EventPattern))
		}
		if want := len(rules.Triggers(allRules())); len(patterns) != want {
			t.Errorf("%s %s: %d forwarding rules; want %d (one per event source)", acct, r, len(patterns), want)
		}
		queues, err := sqs.NewFromConfig(rc).ListQueues(ctx, &sqs.ListQueuesInput{})
		if err != nil || len(queues.QueueUrls) != 1 {
			t.Errorf("%s %s: queues %v (%v); want the forwarding DLQ", acct, r, queues, err)
		}
	}
}

func allRules() []rules.Rule {
	var all []rules.Rule
	for _, fn := range rules.Guards() {
		all = append(all, fn.Rules...)
	}
	return all
}

// --- the central stack ---------------------------------------------------------------

// deployCentral does what cdk deploy does with the central stack: publishes
// its assets (each function's directory, zipped) to the bootstrap bucket,
// and creates the stack. moto needs the bootstrap version parameter the
// template's BootstrapVersion reads; `cdk bootstrap` makes it on AWS.
func deployCentral(ctx context.Context, t *testing.T, c aws.Config, out, stackName string, central template) {
	t.Helper()
	if _, err := ssm.NewFromConfig(c).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/cdk-bootstrap/hnb659fds/version"), Value: aws.String("30"), Type: ssmtypes.ParameterTypeString,
	}); err != nil {
		t.Fatalf("bootstrap version parameter: %v", err)
	}
	publishAssets(ctx, t, c, out, stackName)

	// moto fails a rule whose EventBusName is a Ref to a bus of the same
	// stack (it resolves the Ref to its bus object); on AWS the Ref is the
	// bus's name, which is what the test writes in.
	for id, r := range central.Resources {
		if r.Type != "AWS::Events::EventBus" {
			continue
		}
		name := r.Properties["Name"].(string)
		for _, other := range central.raw["Resources"].(map[string]any) {
			props, _ := other.(map[string]any)["Properties"].(map[string]any)
			if bus, ok := props["EventBusName"].(map[string]any); ok && bus["Ref"] == id {
				props["EventBusName"] = name
			}
		}
	}
	deployStack(ctx, t, c, "central", stackName, central)
}

func publishAssets(ctx context.Context, t *testing.T, c aws.Config, out, stackName string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, stackName+".assets.json"))
	if err != nil {
		t.Fatalf("asset manifest: %v", err)
	}
	var manifest struct {
		Files map[string]struct {
			Source       struct{ Path, Packaging string }
			Destinations map[string]struct{ BucketName, ObjectKey string }
		}
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	s := s3.NewFromConfig(c, func(o *s3.Options) { o.UsePathStyle = true })
	buckets := map[string]bool{}
	for _, f := range manifest.Files {
		body, err := assetBody(filepath.Join(out, f.Source.Path), f.Source.Packaging)
		if err != nil {
			t.Fatalf("asset %s: %v", f.Source.Path, err)
		}
		for _, d := range f.Destinations {
			if !buckets[d.BucketName] {
				if _, err := s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &d.BucketName}); err != nil {
					t.Fatalf("bootstrap bucket %s: %v", d.BucketName, err)
				}
				buckets[d.BucketName] = true
			}
			if _, err := s.PutObject(ctx, &s3.PutObjectInput{Bucket: &d.BucketName, Key: &d.ObjectKey, Body: bytes.NewReader(body)}); err != nil {
				t.Fatalf("publish %s: %v", d.ObjectKey, err)
			}
		}
	}
}

func assetBody(path, packaging string) ([]byte, error) {
	if packaging != "zip" {
		return os.ReadFile(path)
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(path, p)
		w, err := z.Create(rel)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if cerr := z.Close(); err == nil {
		err = cerr
	}
	return buf.Bytes(), err
}

// deployStack creates a stack and checks that moto created every resource
// except those of the types it is known to skip (skippedTypes[kind]).
func deployStack(ctx context.Context, t *testing.T, c aws.Config, kind, name string, tm template) {
	t.Helper()
	cf := cloudformation.NewFromConfig(c)
	if _, err := cf.CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    &name,
		TemplateBody: aws.String(tm.body(t)),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityIam, cfntypes.CapabilityCapabilityNamedIam},
	}); err != nil {
		t.Fatalf("create stack %s in %s: %v", name, c.Region, err)
	}
	made := map[string]bool{}
	p := cloudformation.NewListStackResourcesPaginator(cf, &cloudformation.ListStackResourcesInput{StackName: &name})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("list resources of %s: %v", name, err)
		}
		for _, r := range page.StackResourceSummaries {
			// moto also lists each resource it skipped, with no logical id.
			if id := aws.ToString(r.LogicalResourceId); id != "" && r.ResourceStatus == cfntypes.ResourceStatusCreateComplete {
				made[id] = true
			}
		}
	}
	skipped := map[string]bool{}
	for id, r := range tm.Resources {
		if !made[id] {
			skipped[r.Type] = true
		}
	}
	var got []string
	for typ := range skipped {
		got = append(got, typ)
	}
	sort.Strings(got)
	want := skippedTypes[kind]
	if !slices.Equal(got, want) {
		t.Errorf("%s (%s): moto did not create the types %v; want exactly %v", name, c.Region, got, want)
	}
	t.Logf("%s (%s): %d of %d resources created; moto skipped %v", name, c.Region, len(made), len(tm.Resources), got)
}

// checkCentral reads what the central stack made: the bus, and the guards'
// rules on it with the catalogue's patterns.
func checkCentral(ctx context.Context, t *testing.T, c aws.Config, cfg stack.Config, stacks *stack.OrganizationStacks) {
	t.Helper()
	eb := eventbridge.NewFromConfig(c)
	if _, err := eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: &cfg.Organization.BusName}); err != nil {
		t.Fatalf("central bus: %v", err)
	}
	list, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: &cfg.Organization.BusName})
	if err != nil {
		t.Fatalf("rules on the central bus: %v", err)
	}
	want := 0
	for _, fn := range rules.Guards() {
		want += len(rules.Triggers(fn.Rules))
	}
	if len(list.Rules) != want {
		t.Errorf("central bus: %d rules; want %d (one per guard and event source)", len(list.Rules), want)
	}
	for _, fn := range stack.FunctionNames() {
		if _, err := iam.NewFromConfig(c).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(stack.CentralRoleName(cfg.StackName, fn))}); err != nil {
			t.Errorf("central role of %s: %v", fn, err)
		}
	}
}

// --- events ----------------------------------------------------------------------------

// forwardEvents puts CloudTrail-shaped events on each member's default bus in
// each governed Region (and the management account's) and reads what the
// central guards' rules receive. On AWS, CloudTrail puts these events; a
// customer may not put an aws.* source, which moto does not check.
func forwardEvents(ctx context.Context, t *testing.T, o *organization, cfg stack.Config) {
	c := o.config(ctx, t, o.central, home)
	eb := eventbridge.NewFromConfig(c)
	q := sqs.NewFromConfig(c)
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("observed-by-the-guards")})
	if err != nil {
		t.Fatal(err)
	}
	queueARN := "arn:aws:sqs:" + home + ":" + o.central + ":observed-by-the-guards"
	bus := cfg.Organization.BusName
	list, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{EventBusName: &bus})
	if err != nil {
		t.Fatal(err)
	}
	// moto cannot deliver to Lambda (a matched Lambda target fails PutEvents
	// with HTTP 500): each guard rule delivers to the queue instead, with
	// its own input so the queue tells which rule matched.
	for _, r := range list.Rules {
		targets, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: r.Name, EventBusName: &bus})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, tg := range targets.Targets {
			if !strings.HasPrefix(aws.ToString(tg.Arn), "arn:aws:lambda:") {
				t.Errorf("rule %s: target %s; want the guard function", aws.ToString(r.Name), aws.ToString(tg.Arn))
			}
			ids = append(ids, aws.ToString(tg.Id))
		}
		if _, err := eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: r.Name, EventBusName: &bus, Ids: ids}); err != nil {
			t.Fatal(err)
		}
		if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: r.Name, EventBusName: &bus, Targets: []ebtypes.Target{{Id: aws.String("observe"), Arn: &queueARN}}}); err != nil {
			t.Fatal(err)
		}
	}

	type sent struct{ account, region, eventID string }
	var want []sent
	put := func(acct, region, sample string, failed bool) {
		t.Helper()
		source, detailType, detail := cloudTrailEvent(t, sample, acct, region, len(want))
		mc := o.config(ctx, t, acct, region)
		out, err := eventbridge.NewFromConfig(mc).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
			Source: &source, DetailType: &detailType, Detail: aws.String(string(detail)),
		}}})
		if err != nil || out.FailedEntryCount != 0 {
			t.Fatalf("%s %s: put %s: %v %+v", acct, region, sample, err, out)
		}
		if !failed {
			var d struct{ EventID, EventSource, EventName string }
			_ = json.Unmarshal(detail, &d)
			// Each guard whose rules evaluate the call gets it (a CreateModel:
			// model-guard and network-guard), once.
			for _, fn := range rules.Guards() {
				if slices.ContainsFunc(rules.Triggers(fn.Rules), func(tr rules.Trigger) bool {
					return tr.Source == d.EventSource && slices.Contains(tr.Names, d.EventName)
				}) {
					want = append(want, sent{acct, region, d.EventID})
				}
			}
		}
	}
	for _, acct := range append(slices.Clone(o.members), motoserver.Account) {
		for _, r := range governed {
			put(acct, r, "model-create-no-vpc.json", false)
		}
	}
	put(o.members[0], "eu-west-1", "endpoint-create-api-private-dns-off.json", false)
	put(o.members[1], home, "notebook-create-internet-enabled.json", false)
	// A failed call changed nothing: the forwarding rules leave it home.
	put(o.members[2], home, "model-create-denied.json", true)

	var got []sent
	rewritten := 0 // events whose envelope moto rewrote (or left without an account)
	shown := false
	for {
		msgs, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs.Messages) == 0 {
			break
		}
		for _, m := range msgs.Messages {
			var ev struct {
				Account, Region, Time string
				Detail                struct {
					EventID, RecipientAccountID, AwsRegion string
				}
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				t.Fatalf("delivered event: %v", err)
			}
			got = append(got, sent{ev.Detail.RecipientAccountID, ev.Detail.AwsRegion, ev.Detail.EventID})
			if ev.Region != ev.Detail.AwsRegion || ev.Account != ev.Detail.RecipientAccountID {
				rewritten++
				if ev.Detail.AwsRegion != home && !shown {
					shown = true
					t.Logf("moto's envelope of an event of %s in %s: account %q, region %q, time %s (AWS keeps the sender's account, Region and time)",
						ev.Detail.RecipientAccountID, ev.Detail.AwsRegion, ev.Account, ev.Region, ev.Time)
				}
			}
			if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: queue.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	less := func(a, b sent) int { return strings.Compare(a.eventID, b.eventID) }
	slices.SortFunc(got, less)
	slices.SortFunc(want, less)
	if !slices.Equal(got, want) {
		t.Errorf("events on the central bus (account, region, event id):\n got %v\nwant %v", got, want)
	}
	t.Logf("%d deliveries from %d accounts in %d Regions arrived on the central bus, once to each guard that evaluates them; moto rewrote the envelope of %d",
		len(got), len(o.members)+1, len(governed), rewritten)
}

// cloudTrailEvent is a sample event as it happened in acct and region: its
// account ids and Region rewritten, a unique event id, and no errorCode on a
// successful call (CloudTrail omits it; the samples carry "errorCode": null,
// which moto's exists:false does not match).
func cloudTrailEvent(t *testing.T, sample, acct, region string, n int) (source, detailType string, detail []byte) {
	t.Helper()
	b, err := events.FS.ReadFile(sample)
	if err != nil {
		t.Fatalf("sample %s: %v", sample, err)
	}
	s := strings.ReplaceAll(string(b), "123456789012", acct)
	s = strings.ReplaceAll(s, "us-east-1", region)
	var ev struct {
		Source     string         `json:"source"`
		DetailType string         `json:"detail-type"`
		Detail     map[string]any `json:"detail"`
	}
	if err := json.Unmarshal([]byte(s), &ev); err != nil {
		t.Fatalf("sample %s: %v", sample, err)
	}
	if ev.Detail["errorCode"] == nil {
		delete(ev.Detail, "errorCode")
	}
	ev.Detail["awsRegion"] = region
	ev.Detail["eventID"] = fmt.Sprintf("%s-%s-%d", acct, region, n)
	detail, err = json.Marshal(ev.Detail)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Source, ev.DetailType, detail
}
