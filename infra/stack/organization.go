package stack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudformation"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/vpcguard/vpcguard/shared/rules"
)

// OrganizationStacks is the organization deployment: the central stack with
// the member StackSets, and the member stacks themselves, which the app also
// holds as plain stacks for the management account (service-managed
// StackSets never deploy to it).
type OrganizationStacks struct {
	Central        *VpcGuardStack
	MemberGlobal   *MemberGlobalStack
	MemberRegional *MemberRegionalStack
	// The StackSets in the central stack; their TemplateBody is the member
	// stacks' template.
	GlobalStackSet   awscloudformation.CfnStackSet
	RegionalStackSet awscloudformation.CfnStackSet
	GlobalTemplate   string
	RegionalTemplate string
}

// NewOrganizationStacks builds the organization deployment in scope. The
// central stack is NewVpcGuardStack with cfg.Organization set: the guards'
// rules are on the central bus, and the functions act in accounts through the
// member role. props' Env is set to the central account and home Region.
//
// The organization backfill's orchestration (issue 13: a Step Functions state
// machine running one backfill per (account, Region) shard) belongs in the
// central stack too; it is not built yet.
func NewOrganizationStacks(scope constructs.Construct, props *awscdk.StackProps, cfg Config, guards []rules.Function) (*OrganizationStacks, error) {
	if !cfg.Organization.Enabled() {
		return nil, fmt.Errorf("context organizationId: not set; the one-account stack is NewVpcGuardStack")
	}
	global, regional, err := MemberTemplates(cfg, guards)
	if err != nil {
		return nil, err
	}
	p := awscdk.StackProps{}
	if props != nil {
		p = *props
	}
	p.Env = cfg.Organization.CentralEnv()
	o := &OrganizationStacks{GlobalTemplate: global, RegionalTemplate: regional}
	o.Central = NewVpcGuardStack(scope, cfg.StackName, &p, cfg, guards)
	o.GlobalStackSet, o.RegionalStackSet = addMemberStackSets(o.Central, global, regional)
	o.MemberGlobal = NewMemberGlobalStack(scope, cfg, guards)
	o.MemberRegional = NewMemberRegionalStack(scope, cfg, guards)
	return o, nil
}

// MemberTemplates synthesizes the member stacks in an app of their own and
// returns their templates as JSON: the StackSets' TemplateBody. They are the
// templates of the member stacks NewOrganizationStacks adds to the app.
func MemberTemplates(cfg Config, guards []rules.Function) (global, regional string, err error) {
	dir, err := os.MkdirTemp("", "vpcguard-member-templates")
	if err != nil {
		return "", "", fmt.Errorf("synthesize the member templates: %w", err)
	}
	defer os.RemoveAll(dir)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir)})
	NewMemberGlobalStack(app, cfg, guards)
	NewMemberRegionalStack(app, cfg, guards)
	assembly := app.Synth(nil)
	template := func(name string) (string, error) {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(assembly.GetStackByName(jsii.String(name)).Template()); err != nil {
			return "", fmt.Errorf("encode the %s template: %w", name, err)
		}
		return string(bytes.TrimSpace(b.Bytes())), nil
	}
	if global, err = template(MemberGlobalName(cfg)); err != nil {
		return "", "", err
	}
	if regional, err = template(MemberRegionalName(cfg)); err != nil {
		return "", "", err
	}
	return global, regional, nil
}

// MaxTemplateBody is CloudFormation's limit on a template passed in the
// request (TemplateBody), in bytes.
const MaxTemplateBody = 51200

// addMemberStackSets adds the member StackSets to the central stack:
// service-managed (CloudFormation creates the execution roles in member
// accounts), deployed automatically to every account that joins a target OU,
// and removed from an account that leaves.
func addMemberStackSets(central *VpcGuardStack, global, regional string) (awscloudformation.CfnStackSet, awscloudformation.CfnStackSet) {
	o := central.Config.Organization
	// The management account creates service-managed StackSets as itself; any
	// other central account must be a delegated administrator of StackSets.
	callAs := "DELEGATED_ADMIN"
	if o.CentralAccount == o.ManagementAccount {
		callAs = "SELF"
	}
	stackSet := func(id, name, description, body string, regions []string) awscloudformation.CfnStackSet {
		return awscloudformation.NewCfnStackSet(central.Stack, jsii.String(id), &awscloudformation.CfnStackSetProps{
			StackSetName:    jsii.String(name),
			Description:     jsii.String(description),
			PermissionModel: jsii.String("SERVICE_MANAGED"),
			CallAs:          jsii.String(callAs),
			AutoDeployment: &awscloudformation.CfnStackSet_AutoDeploymentProperty{
				Enabled:                      jsii.Bool(true),
				RetainStacksOnAccountRemoval: jsii.Bool(false),
			},
			Capabilities: jsii.Strings("CAPABILITY_NAMED_IAM"),
			// Operations on different stack sets run at once, and one queues
			// behind another on the same stack set instead of failing.
			ManagedExecution: map[string]interface{}{"Active": true},
			OperationPreferences: &awscloudformation.CfnStackSet_OperationPreferencesProperty{
				// An account that refuses (a role name taken, say) must not
				// hold back the rest of the organization; the failure is on
				// its stack instance.
				FailureTolerancePercentage: jsii.Number(10),
				MaxConcurrentPercentage:    jsii.Number(25),
				RegionConcurrencyType:      jsii.String("PARALLEL"),
			},
			StackInstancesGroup: []interface{}{&awscloudformation.CfnStackSet_StackInstancesProperty{
				DeploymentTargets: &awscloudformation.CfnStackSet_DeploymentTargetsProperty{
					OrganizationalUnitIds: jsii.Strings(o.TargetOUs...),
				},
				Regions: jsii.Strings(regions...),
			}},
			TemplateBody: jsii.String(body),
		})
	}
	g := stackSet("MemberGlobalStackSet", central.Config.StackName+"-member-global",
		"vpcguard member (global), once per account: the member role and the guardrail policy", global, []string{o.HomeRegion})
	// IAM refuses a trust policy naming a role that does not exist yet: the
	// member role trusts the central functions' roles by ARN.
	for _, fn := range central.Guards {
		g.AddResourceDependency(fn.Fn.Role.Node().DefaultChild().(awscdk.CfnResource), jsii.String("the member role trusts this role by ARN"))
	}
	r := stackSet("MemberRegionalStackSet", central.Config.StackName+"-member-regional",
		"vpcguard member (regional), every governed Region: forwards CloudTrail events to the central bus", regional, o.Regions())
	// Forwarded events are refused until the bus and its policy exist.
	r.Node().AddDependency(central.Bus)
	return g, r
}
