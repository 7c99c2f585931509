package stack

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// The organization deployment, synthesized in TestMain's app beside the
// one-account stacks: every rule enforced (so the member guardrail exists),
// every ticket sink, two governed Regions.
var (
	orgStacks                          *OrganizationStacks
	orgCentral, orgGlobal, orgRegional *synthesized
)

const (
	testOrgID      = "o-a1b2c3d4e5"
	testManagement = "111111111111"
	testCentral    = "222222222222"
	testOU         = "ou-ab12-cdef3456"
	testHome       = "us-east-1"
	testAggregator = "org-aggregator"
)

var testGoverned = []string{"us-east-1", "eu-west-1"}

func testOrganization() Organization {
	o := DefaultOrganization()
	o.ID = testOrgID
	o.ManagementAccount = testManagement
	o.CentralAccount = testCentral
	o.HomeRegion = testHome
	o.GovernedRegions = testGoverned
	o.TargetOUs = []string{testOU}
	return o
}

func synthesizeOrganization(app awscdk.App, base Config) ([]*synthesized, error) {
	c := base
	c.StackName = "Central"
	c.Mode = "enforce"
	c.Sinks = []string{"securityhub", "opscenter", "sns"}
	c.Organization = testOrganization()
	c.LookupCreators = true // the backfill looks creators up in every member account
	c.BackfillSchedule = testSchedule
	c.ConfigAggregator, c.ConfigAggregatorARN = testAggregator, testAggregatorARN
	c.BackfillMaxConcurrency, c.BackfillToleratedFailurePercent = testMaxConcurrency, testToleratedFailures
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var err error
	orgStacks, err = NewOrganizationStacks(app, nil, c, rules.Guards())
	if err != nil {
		return nil, err
	}
	orgCentral = &synthesized{name: "orgCentral", stack: orgStacks.Central}
	orgGlobal = &synthesized{name: "orgMemberGlobal", st: orgStacks.MemberGlobal.Stack}
	orgRegional = &synthesized{name: "orgMemberRegional", st: orgStacks.MemberRegional.Stack}
	return organization(), nil
}

func organization() []*synthesized { return []*synthesized{orgCentral, orgGlobal, orgRegional} }

func sub(pattern string) map[string]any { return map[string]any{"Fn::Sub": pattern} }

// --- central stack ---------------------------------------------------------------------

// TestOrgCentralBus: the guards' rules are on a custom bus whose policy lets
// the organization, and nothing else, put events.
func TestOrgCentralBus(t *testing.T) {
	s := orgCentral
	bus := s.stack.Bus
	if bus == nil {
		t.Fatal("central stack: no bus")
	}
	assertEqual(t, "bus name", s.props(t, bus)["Name"], "vpcguard")
	policies := s.resourcesOfType("AWS::Events::EventBusPolicy")
	if len(policies) != 1 {
		t.Fatalf("got %d bus policies; want 1", len(policies))
	}
	for _, p := range policies {
		props := p["Properties"].(map[string]any)
		assertEqual(t, "bus policy bus", props["EventBusName"], ref(s.logicalID(bus)))
		assertEqual(t, "bus policy statement", props["Statement"], map[string]any{
			"Sid":       "cdk-PutEventsFromTheOrganizationOnly",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": "*"},
			"Action":    "events:PutEvents",
			"Resource":  getAtt(s.logicalID(bus)),
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": testOrgID}},
		})
	}
	if defaults.stack.Bus != nil || len(defaults.resourcesOfType("AWS::Events::EventBus")) != 0 {
		t.Error("one-account stack: has a custom bus; want the default bus only")
	}
}

// TestOrgCentralRulesOnTheBus: the central guards' rules are the one-account
// stack's rules (catalogue patterns, targets, DLQs, retries), on the central bus.
func TestOrgCentralRulesOnTheBus(t *testing.T) {
	s := orgCentral
	for _, fn := range rules.Guards() {
		g := s.stack.Guard(fn.Name)
		triggers := rules.Triggers(fn.Rules)
		if len(g.Rules) != len(triggers) {
			t.Fatalf("%s: %d rules; want %d", fn.Name, len(g.Rules), len(triggers))
		}
		for i, tr := range triggers {
			p := s.props(t, g.Rules[i])
			assertEqual(t, fn.Name+" EventPattern", p["EventPattern"], patternOf(tr))
			assertEqual(t, fn.Name+" EventBusName", p["EventBusName"], ref(s.logicalID(s.stack.Bus)))
			assertTargets(t, s, g, g.Rules[i])
		}
	}
}

// TestOrgCentralRoles: the central functions have named roles (the member
// role trusts them by ARN); in their own account they make their rules'
// calls themselves, in every governed Region, as in one account; in other
// accounts they assume the member role, by name, within the organization.
func TestOrgCentralRoles(t *testing.T) {
	s := orgCentral
	logs := []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	failureDLQ := []string{"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
	ticket := []string{"securityhub:BatchImportFindings", "securityhub:GetFindings",
		"ssm:CreateOpsItem", "ssm:DescribeOpsItems", "ssm:UpdateOpsItem", "sns:Publish", "kms:Decrypt", "kms:GenerateDataKey"}
	consume := []string{"sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage"}
	attach := []string{"iam:ListAttachedRolePolicies", "iam:ListAttachedUserPolicies", "iam:AttachRolePolicy", "iam:AttachUserPolicy"}
	model := []string{"sagemaker:DescribeModel", "sagemaker:ListTags", "sagemaker:AddTags"}
	notebook := []string{"sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance", "sagemaker:ListTags", "sagemaker:AddTags"}
	endpoint := []string{"ec2:DescribeVpcEndpoints", "ec2:DescribeVpcAttribute", "ec2:ModifyVpcEndpoint", "ec2:CreateTags", "route53:AssociateVPCWithHostedZone"}
	domain := []string{"sagemaker:DescribeDomain", "sagemaker:ListTags", "sagemaker:AddTags"}
	job := []string{"sagemaker:DescribeTrainingJob", "sagemaker:DescribeProcessingJob", "sagemaker:DescribeHyperParameterTuningJob",
		"sagemaker:DescribeAutoMLJobV2", "sagemaker:ListTags", "sagemaker:AddTags", "sagemaker:StopTrainingJob", "sagemaker:StopProcessingJob",
		"sagemaker:StopHyperParameterTuningJob", "sagemaker:StopAutoMLJob"}
	network := []string{"sagemaker:DescribeModel", "sagemaker:ListTags", "ec2:DescribeSubnets",
		"ec2:DescribeVpcs", "ec2:DescribeVpcEndpoints", "sagemaker:Search", "sagemaker:ListModels"}
	common := slices.Concat(logs, failureDLQ, ticket, []string{"sts:AssumeRole"})
	want := map[string][]string{
		modelGuard:     slices.Concat(common, model, attach),
		endpointGuard:  slices.Concat(common, endpoint),
		notebookGuard:  slices.Concat(common, notebook, attach, consume),
		networkGuard:   slices.Concat(common, network),
		domainGuard:    slices.Concat(common, domain, attach),
		jobGuard:       slices.Concat(common, job, attach),
		presignedGuard: slices.Concat(common, attach), // it reads nothing
		BackfillName: slices.Concat(common, model, notebook, endpoint, network, domain, job,
			[]string{"sagemaker:Search", "sagemaker:ListModels", "sagemaker:ListNotebookInstances", "ec2:DescribeRegions",
				"sagemaker:ListDomains", "sagemaker:ListTrainingJobs", "sagemaker:ListProcessingJobs", "sagemaker:ListHyperParameterTuningJobs",
				"sagemaker:ListAutoMLJobs", "cloudtrail:LookupEvents", "tag:GetResources"}),
	}
	regional := map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": testGoverned}}
	guardrail := map[string]any{"ArnEquals": map[string]any{"iam:PolicyARN": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/VpcGuardMemberGuardrail")}}
	for _, g := range s.stack.Guards {
		assertEqual(t, g.Name+" role name", s.props(t, g.Fn.Role)["RoleName"], "Central-"+g.Name)
		got := map[string]bool{}
		for _, st := range roleStatements(s, g) {
			res := strings.Join(st.Resource, ",")
			for _, a := range st.Action {
				got[a] = true
				switch {
				case a == "sts:AssumeRole":
					assertEqual(t, g.Name+" sts:AssumeRole resource", st.Resource, []string{asJSON(sub("arn:${AWS::Partition}:iam::*:role/VpcGuardMember"))})
					assertEqual(t, g.Name+" sts:AssumeRole condition", st.Condition,
						map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": testOrgID}})
				case strings.HasPrefix(a, "iam:Attach"):
					assertEqual(t, g.Name+" "+a+" condition", st.Condition, guardrail)
				case strings.HasPrefix(a, "sagemaker:"), strings.HasPrefix(a, "ec2:"), strings.HasPrefix(a, "securityhub:"), strings.HasPrefix(a, "ssm:"):
					assertEqual(t, g.Name+" "+a+" condition", st.Condition, regional)
					if res != `"*"` && !strings.Contains(res, ":*:${AWS::AccountId}:") {
						t.Errorf("%s %s: resource %s; want any Region of this account", g.Name, a, res)
					}
				}
			}
		}
		wantSet := map[string]bool{}
		for _, a := range want[g.Name] {
			wantSet[a] = true
		}
		assertEqual(t, g.Name+" role actions", sortedKeys(got), sortedKeys(wantSet))
	}
	if s.stack.Guardrail != nil || len(s.resourcesOfType("AWS::IAM::ManagedPolicy")) != 0 {
		t.Error("central stack: a guardrail policy; want none (the member-global stack's, in every account)")
	}
}

// TestOrgCentralEnvironment: every function assumes the member role, and the
// member role is protected (a guard never acts on vpcguard's own calls).
func TestOrgCentralEnvironment(t *testing.T) {
	s := orgCentral
	for _, g := range s.stack.Guards {
		env := s.props(t, g.Fn.Function)["Environment"].(map[string]any)["Variables"].(map[string]any)
		assertEqual(t, g.Name+" "+config.EnvAssumeRoleName, env[config.EnvAssumeRoleName], "VpcGuardMember")
		// The functions find the guardrail by this ARN's name in the event's account.
		assertEqual(t, g.Name+" "+config.EnvGuardrailARN, env[config.EnvGuardrailARN],
			sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/VpcGuardMemberGuardrail"))
		protected := asJSON(env[config.EnvProtectedPrincipals])
		if !strings.Contains(protected, asJSON(sub("arn:${AWS::Partition}:iam::*:role/VpcGuardMember"))) {
			t.Errorf("%s: protected principals %s lack the member role", g.Name, protected)
		}
	}
	outputs := s.raw["Outputs"].(map[string]any)
	for _, k := range []string{"CentralBusArn", "MemberRoleName"} {
		if outputs[k] == nil {
			t.Errorf("central stack: no output %s", k)
		}
	}
}

// TestOrgStackSets: both member stacks as service-managed StackSets that
// deploy automatically to the target OUs, with the member stacks' own
// templates as their TemplateBody.
func TestOrgStackSets(t *testing.T) {
	s := orgCentral
	sets := s.resourcesOfType("AWS::CloudFormation::StackSet")
	if len(sets) != 2 {
		t.Fatalf("got %d StackSets; want 2", len(sets))
	}
	tests := []struct {
		set     any
		name    string
		regions []string
		member  *synthesized
	}{
		{orgStacks.GlobalStackSet, "Central-member-global", []string{testHome}, orgGlobal},
		{orgStacks.RegionalStackSet, "Central-member-regional", testGoverned, orgRegional},
	}
	for _, tt := range tests {
		r := s.raw["Resources"].(map[string]any)[*s.st.GetLogicalId(tt.set.(awscdk.CfnElement))].(map[string]any)
		p := r["Properties"].(map[string]any)
		body := p["TemplateBody"].(string)
		delete(p, "TemplateBody")
		delete(p, "Description")
		delete(p, "OperationPreferences")
		assertEqual(t, tt.name+" properties", p, map[string]any{
			"StackSetName":     tt.name,
			"PermissionModel":  "SERVICE_MANAGED",
			"CallAs":           "DELEGATED_ADMIN",
			"AutoDeployment":   map[string]any{"Enabled": true, "RetainStacksOnAccountRemoval": false},
			"Capabilities":     []any{"CAPABILITY_NAMED_IAM"},
			"ManagedExecution": map[string]any{"Active": true},
			"StackInstancesGroup": []any{map[string]any{
				"DeploymentTargets": map[string]any{"OrganizationalUnitIds": []any{testOU}},
				"Regions":           tt.regions,
			}},
		})
		if len(body) > MaxTemplateBody {
			t.Errorf("%s TemplateBody: %d bytes; CloudFormation takes at most %d", tt.name, len(body), MaxTemplateBody)
		}
		t.Logf("%s TemplateBody: %d bytes", tt.name, len(body))
		var got any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%s TemplateBody: %v", tt.name, err)
		}
		if !reflect.DeepEqual(got, tt.member.raw) {
			t.Errorf("%s TemplateBody is not the %s stack's template", tt.name, tt.member.name)
		}
	}
	// IAM refuses a trust policy naming a role that does not exist yet.
	deps := asList(s.raw["Resources"].(map[string]any)[*s.st.GetLogicalId(orgStacks.GlobalStackSet)].(map[string]any)["DependsOn"])
	for _, g := range s.stack.Guards {
		if !slices.Contains(deps, any(s.logicalID(g.Fn.Role))) {
			t.Errorf("member-global StackSet does not depend on %s's role (DependsOn %v)", g.Name, deps)
		}
	}
}

// --- member stacks -----------------------------------------------------------------------

// TestMemberTemplatesNeedNothingOfTheAccount: what a StackSet deploys to an
// account that was never CDK-bootstrapped: no parameters (BootstrapVersion),
// no rules (CheckBootstrapVersion), no assets, no code, no custom resources.
func TestMemberTemplatesNeedNothingOfTheAccount(t *testing.T) {
	asm := awscdk.Stage_Of(orgGlobal.st).Synth(nil)
	for _, s := range []*synthesized{orgGlobal, orgRegional} {
		for _, section := range []string{"Parameters", "Rules", "Conditions", "Transform"} {
			if s.raw[section] != nil {
				t.Errorf("%s: has %s %v; want none", s.name, section, s.raw[section])
			}
		}
		for id, r := range s.raw["Resources"].(map[string]any) {
			typ := r.(map[string]any)["Type"].(string)
			if strings.HasPrefix(typ, "AWS::Lambda::") || strings.HasPrefix(typ, "Custom::") ||
				typ == "AWS::CloudFormation::CustomResource" || typ == "AWS::CDK::Metadata" {
				t.Errorf("%s: resource %s of type %s", s.name, id, typ)
			}
		}
		if b := asJSON(s.raw); strings.Contains(b, "cdk-hnb659fds") || strings.Contains(b, "/cdk-bootstrap/") {
			t.Errorf("%s: refers to the CDK bootstrap stack", s.name)
		}
		art := asm.GetStackArtifact(s.st.ArtifactId())
		if n := len(*art.Assets()); n != 0 {
			t.Errorf("%s: %d assets; want none", s.name, n)
		}
		for _, dep := range *art.Dependencies() {
			t.Errorf("%s: depends on artifact %s (asset manifest?); want none", s.name, *dep.Id())
		}
	}
}

// TestMemberRole: trusted by the central functions' roles, by ARN, within the
// organization only; allowed exactly the calls the guards and the backfill
// make in a member account (the catalogue's kinds, tickets filed there,
// attaching the member's guardrail), in the governed Regions.
func TestMemberRole(t *testing.T) {
	s := orgGlobal
	role := orgStacks.MemberGlobal.Role
	p := s.props(t, role)
	assertEqual(t, "member role name", p["RoleName"], "VpcGuardMember")
	var trust []any
	for _, fn := range FunctionNames() {
		trust = append(trust, map[string]any{
			"Action":    "sts:AssumeRole",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": sub("arn:${AWS::Partition}:iam::" + testCentral + ":role/Central-" + fn)},
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": testOrgID}},
		})
	}
	assertEqual(t, "member role trust", p["AssumeRolePolicyDocument"].(map[string]any)["Statement"], trust)

	roleRef := asJSON(ref(s.logicalID(role)))
	regional := map[string]any{"StringEquals": map[string]any{"aws:RequestedRegion": testGoverned}}
	guardrail := ref(s.logicalID(orgStacks.MemberGlobal.Guardrail))
	want := map[string]string{ // action -> resource
		"sagemaker:DescribeModel":                   "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:model/*",
		"sagemaker:AddTags":                         "", // models, notebooks, domains, jobs
		"sagemaker:ListTags":                        "",
		"sagemaker:DescribeDomain":                  "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:domain/*",
		"sagemaker:ListDomains":                     "*",
		"sagemaker:DescribeTrainingJob":             "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:training-job/*",
		"sagemaker:StopTrainingJob":                 "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:training-job/*",
		"sagemaker:DescribeProcessingJob":           "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:processing-job/*",
		"sagemaker:StopProcessingJob":               "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:processing-job/*",
		"sagemaker:DescribeHyperParameterTuningJob": "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:hyper-parameter-tuning-job/*",
		"sagemaker:StopHyperParameterTuningJob":     "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:hyper-parameter-tuning-job/*",
		"sagemaker:DescribeAutoMLJobV2":             "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:automl-job/*",
		"sagemaker:StopAutoMLJob":                   "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:automl-job/*",
		"sagemaker:ListTrainingJobs":                "*", "sagemaker:ListProcessingJobs": "*", "sagemaker:ListHyperParameterTuningJobs": "*",
		"sagemaker:ListAutoMLJobs": "*",
		"sagemaker:Search":         "*", "sagemaker:ListModels": "*", "sagemaker:ListNotebookInstances": "*",
		"sagemaker:DescribeNotebookInstance": "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:notebook-instance/*",
		"sagemaker:StopNotebookInstance":     "arn:${AWS::Partition}:sagemaker:*:${AWS::AccountId}:notebook-instance/*",
		"ec2:DescribeVpcEndpoints":           "*", "ec2:DescribeVpcAttribute": "*", "ec2:DescribeRegions": "*",
		"ec2:DescribeSubnets": "*", "ec2:DescribeVpcs": "*",
		"ec2:ModifyVpcEndpoint":              "arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:vpc-endpoint/*",
		"ec2:CreateTags":                     "arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:vpc-endpoint/*",
		"route53:AssociateVPCWithHostedZone": "arn:${AWS::Partition}:route53:::hostedzone/*",
		"securityhub:BatchImportFindings":    "arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:product/${AWS::AccountId}/default",
		"securityhub:GetFindings":            "arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}:hub/default",
		"ssm:CreateOpsItem":                  "*", "ssm:DescribeOpsItems": "*",
		"ssm:UpdateOpsItem":            "arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:opsitem/*",
		"iam:ListAttachedRolePolicies": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*",
		"iam:ListAttachedUserPolicies": "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*",
		"iam:AttachRolePolicy":         "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*",
		"iam:AttachUserPolicy":         "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*",
		"cloudtrail:LookupEvents":      "*", // lookupCreators
		"tag:GetResources":             "*", // the backfill's exemption-tag query
	}
	got := map[string]bool{}
	for _, r := range s.resourcesOfType("AWS::IAM::Policy") {
		props := r["Properties"].(map[string]any)
		if asJSON(asList(props["Roles"])[0]) != roleRef {
			continue
		}
		for _, st := range statements(props["PolicyDocument"]) {
			for _, a := range st.Action {
				got[a] = true
				if w := want[a]; w == "*" {
					assertEqual(t, a+" resource", st.Resource, []string{`"*"`})
				} else if w != "" {
					assertEqual(t, a+" resource", st.Resource, []string{asJSON(sub(w))})
				}
				switch {
				case strings.HasPrefix(a, "iam:Attach"):
					assertEqual(t, a+" condition", st.Condition, map[string]any{"ArnEquals": map[string]any{"iam:PolicyARN": guardrail}})
				case strings.HasPrefix(a, "iam:"), strings.HasPrefix(a, "route53:"):
					assertEqual(t, a+" condition", st.Condition, nil)
				default:
					assertEqual(t, a+" condition", st.Condition, regional)
				}
			}
		}
	}
	wantSet := map[string]bool{}
	for a := range want {
		wantSet[a] = true
	}
	assertEqual(t, "member role actions", sortedKeys(got), sortedKeys(wantSet))

	gp := s.props(t, orgStacks.MemberGlobal.Guardrail)
	assertEqual(t, "member guardrail name", gp["ManagedPolicyName"], "VpcGuardMemberGuardrail")
	enforced, _ := rules.GuardrailPolicy(rules.All())
	if n := len(statements(gp["PolicyDocument"])); n != len(enforced.Statements) {
		t.Errorf("member guardrail: %d statements; want the %d of the enforced rules", n, len(enforced.Statements))
	}
}

// TestMemberRegional: one forwarding rule per event source of the
// catalogue, with the guards' pattern, to the central bus through a role
// named for the Region, undeliverable events in a DLQ.
func TestMemberRegional(t *testing.T) {
	s := orgRegional
	m := orgStacks.MemberRegional
	busARN := sub("arn:${AWS::Partition}:events:" + testHome + ":" + testCentral + ":event-bus/vpcguard")
	triggers := rules.Triggers(allRules(rules.Guards()))
	if len(m.Rules) != len(triggers) || len(s.resourcesOfType("AWS::Events::Rule")) != len(triggers) {
		t.Fatalf("%d forwarding rules; want one per event source, %d", len(m.Rules), len(triggers))
	}
	seen := map[string]bool{}
	for i, tr := range triggers {
		p := s.props(t, m.Rules[i])
		assertEqual(t, tr.Source+" pattern", p["EventPattern"], patternOf(tr))
		assertEqual(t, tr.Source+" bus (default)", p["EventBusName"], nil)
		wantState := "ENABLED"
		if tr.AllManagementEvents {
			wantState = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" // read-only events are forwarded only so
		}
		assertEqual(t, tr.Source+" state", p["State"], wantState)
		assertEqual(t, tr.Source+" targets", p["Targets"], []any{map[string]any{
			"Id":               "Target0",
			"Arn":              busARN,
			"RoleArn":          getAtt(s.logicalID(m.ForwarderRole)),
			"DeadLetterConfig": map[string]any{"Arn": getAtt(s.logicalID(m.DLQ))},
		}})
		for _, n := range tr.Names {
			if seen[tr.Source+n] {
				t.Errorf("%s %s forwarded by two rules: the central guards would get it twice", tr.Source, n)
			}
			seen[tr.Source+n] = true
		}
	}
	rp := s.props(t, m.ForwarderRole)
	assertEqual(t, "forwarder role name", rp["RoleName"], map[string]any{"Fn::Join": []any{"", []any{"VpcGuardMemberForwarder-", ref("AWS::Region")}}})
	assertEqual(t, "forwarder trust", rp["AssumeRolePolicyDocument"].(map[string]any)["Statement"], []any{map[string]any{
		"Action":    "sts:AssumeRole",
		"Effect":    "Allow",
		"Principal": map[string]any{"Service": "events.amazonaws.com"},
		"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")}},
	}})
	for _, r := range s.resourcesOfType("AWS::IAM::Policy") {
		assertEqual(t, "forwarder policy", statements(r["Properties"].(map[string]any)["PolicyDocument"]),
			[]statement{{Effect: "Allow", Action: []string{"events:PutEvents"}, Resource: []string{asJSON(busARN)}}})
	}
	if got := ForwarderRoleName(testOrganization(), "ap-southeast-2"); got != "VpcGuardMemberForwarder-ap-southeast-2" {
		t.Errorf("ForwarderRoleName: got %q", got)
	}
}

// --- configuration ----------------------------------------------------------------------

func TestOrganizationContext(t *testing.T) {
	valid := map[string]any{
		"organizationId": testOrgID, "managementAccount": testManagement, "centralAccount": testCentral,
		"homeRegion": testHome, "governedRegions": "us-east-1, eu-west-1", "targetOUs": testOU,
	}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range valid {
			m[k] = v
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		context map[string]any
		wantErr string
	}{
		{"valid", valid, ""},
		{"root as target", with("targetOUs", "r-ab12"), ""},
		{"bad organization id", with("organizationId", "org-1"), "context organizationId"},
		{"no central account", with("centralAccount", nil), "context centralAccount"},
		{"no management account", with("managementAccount", nil), "context managementAccount"},
		{"no home region", with("homeRegion", nil), "context homeRegion"},
		{"bad governed region", with("governedRegions", "us-east-1,mars"), "context governedRegions"},
		{"no target OUs", with("targetOUs", nil), "context targetOUs"},
		{"account id as OU", with("targetOUs", testCentral), "context targetOUs"},
		{"member role too long", with("memberRoleName", strings.Repeat("r", maxMemberRoleName+1)), "context memberRoleName"},
		{"default bus", with("centralBusName", "default"), "context centralBusName"},
		{"assume role differs", with("assumeRoleName", "Other"), "context assumeRoleName"},
		{"account trail", with("createTrail", true), "context createTrail"},
		{"stack name too long for role names", with("stackName", strings.Repeat("S", 50)), "context stackName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := awscdk.NewApp(&awscdk.AppProps{Context: &tt.context})
			c, err := ConfigFromContext(app.Node())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v; want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got error %v; want one naming %q", err, tt.wantErr)
			}
			if tt.name == "valid" {
				assertEqual(t, "governed regions", c.Organization.Regions(), testGoverned)
				assertEqual(t, "member role", c.Organization.MemberRoleName, "VpcGuardMember")
			}
		})
	}
	o := testOrganization()
	o.GovernedRegions = nil
	assertEqual(t, "default governed regions", o.Regions(), []string{testHome})
}
