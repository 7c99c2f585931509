package stack

import (
	"fmt"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/vpcguard/vpcguard/shared/config"
)

// Organization is the organization deployment (issue 13): a central stack in
// one account and home Region, and member stacks in every account of the
// target OUs. The zero value (no organizationId) deploys today's one-account
// stack. Field comments name the context key.
type Organization struct {
	ID                string   // organizationId: o-...; empty deploys the one-account stack
	ManagementAccount string   // managementAccount: where the StackSets are administered from
	CentralAccount    string   // centralAccount: the security or tooling account the central stack goes to
	HomeRegion        string   // homeRegion: the central stack's Region (the central bus, the guards)
	GovernedRegions   []string // governedRegions: where member accounts forward events from; default homeRegion
	TargetOUs         []string // targetOUs: OU (or root) ids the member StackSets deploy to
	MemberRoleName    string   // memberRoleName: the role the central functions assume in every account
	BusName           string   // centralBusName: the central custom event bus
}

// DefaultOrganization is what cdk.json ships: no organization, and the names
// an organization deployment uses unless told otherwise.
func DefaultOrganization() Organization {
	return Organization{MemberRoleName: "VpcGuardMember", BusName: "vpcguard"}
}

// Enabled reports whether the configuration deploys to an organization.
func (o Organization) Enabled() bool { return o.ID != "" }

var (
	orgIDPattern   = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	accountPattern = regexp.MustCompile(`^\d{12}$`)
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	ouPattern      = regexp.MustCompile(`^(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$`)
	busNamePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,256}$`)
)

// maxMemberRoleName leaves room in IAM's 64 characters for the forwarder
// role's name, the member role's name plus "Forwarder-" plus the longest
// Region name (14 characters, e.g. ap-southeast-5).
const maxMemberRoleName = 64 - len("Forwarder-") - 14

func (o Organization) validate(c Config) error {
	if !o.Enabled() {
		return nil
	}
	if !orgIDPattern.MatchString(o.ID) {
		return fmt.Errorf("context organizationId: %q is not an organization id (o-...)", o.ID)
	}
	for key, acct := range map[string]string{"managementAccount": o.ManagementAccount, "centralAccount": o.CentralAccount} {
		if !accountPattern.MatchString(acct) {
			return fmt.Errorf("context %s: %q is not a 12-digit account id (required with organizationId)", key, acct)
		}
	}
	if !regionPattern.MatchString(o.HomeRegion) {
		return fmt.Errorf("context homeRegion: %q is not a Region name (required with organizationId)", o.HomeRegion)
	}
	for _, r := range o.GovernedRegions {
		if !regionPattern.MatchString(r) {
			return fmt.Errorf("context governedRegions: %q is not a Region name", r)
		}
	}
	if len(o.TargetOUs) == 0 {
		return fmt.Errorf("context targetOUs: name the OUs (ou-...) or the root (r-...) the member StackSets deploy to (required with organizationId)")
	}
	for _, ou := range o.TargetOUs {
		if !ouPattern.MatchString(ou) {
			return fmt.Errorf("context targetOUs: %q is not an OU id (ou-...) or root id (r-...)", ou)
		}
	}
	if !roleNamePattern.MatchString(o.MemberRoleName) || len(o.MemberRoleName) > maxMemberRoleName {
		return fmt.Errorf("context memberRoleName: %q is not an IAM role name of at most %d characters (the forwarder role's name adds the Region to it)", o.MemberRoleName, maxMemberRoleName)
	}
	if !busNamePattern.MatchString(o.BusName) || o.BusName == "default" {
		return fmt.Errorf("context centralBusName: %q is not a custom event bus name", o.BusName)
	}
	if c.AssumeRoleName != "" && c.AssumeRoleName != o.MemberRoleName {
		return fmt.Errorf("context assumeRoleName: %q differs from memberRoleName %q; in an organization the functions assume memberRoleName, leave assumeRoleName empty", c.AssumeRoleName, o.MemberRoleName)
	}
	if c.CreateTrail {
		return fmt.Errorf("context createTrail: an organization needs an organization trail (see the README), not the one-account trail createTrail makes")
	}
	for _, fn := range FunctionNames() {
		if name := CentralRoleName(c.StackName, fn); !roleNamePattern.MatchString(name) {
			return fmt.Errorf("context stackName: %q makes the central role name %q longer than IAM's 64 characters", c.StackName, name)
		}
	}
	return nil
}

// Regions is where member accounts forward events from: governedRegions, or
// the home Region alone.
func (o Organization) Regions() []string {
	if len(o.GovernedRegions) > 0 {
		return o.GovernedRegions
	}
	return []string{o.HomeRegion}
}

// CentralRoleName is the name of a central function's role. Member roles
// trust these roles by ARN, so they cannot have generated names.
func CentralRoleName(stackName, function string) string {
	return stackName + "-" + function
}

// CentralRoleARNs are the ARNs of the central roles that may assume the
// member role: every function's (the guards and the backfill), in the
// member's partition. The organization backfill's shards run as the
// backfill function; a new function that acts in member accounts joins
// FunctionNames and is trusted from here.
func CentralRoleARNs(c Config) []string {
	var out []string
	for _, fn := range FunctionNames() {
		out = append(out, arn("arn:${AWS::Partition}:iam::"+c.Organization.CentralAccount+":role/"+CentralRoleName(c.StackName, fn)))
	}
	return out
}

// MemberGuardrailName is the name of the guardrail policy in every member
// account: the central functions attach it by ARN
// (arn:<partition>:iam::<member>:policy/<name>), so it cannot be generated.
func MemberGuardrailName(o Organization) string { return o.MemberRoleName + "Guardrail" }

// ForwarderRoleName is the name of the role EventBridge uses in a member
// account to put events on the central bus, one per Region (IAM is global).
func ForwarderRoleName(o Organization, region string) string {
	return o.MemberRoleName + "Forwarder-" + region
}

// CentralBusARN is the central bus's ARN, in the partition of the template it
// appears in.
func CentralBusARN(o Organization) string {
	return arn("arn:${AWS::Partition}:events:" + o.HomeRegion + ":" + o.CentralAccount + ":event-bus/" + o.BusName)
}

// memberRolePattern matches the member role in every account: the protected
// principals include it, so a guard never acts on vpcguard's own calls made
// through it.
func memberRolePattern(o Organization) string {
	return arn("arn:${AWS::Partition}:iam::*:role/" + o.MemberRoleName)
}

// newCentralBus is the custom bus member accounts forward their CloudTrail
// events to. Its policy lets principals of the organization put events, and
// nothing outside it: the members' forwarder roles, and any principal a
// member account itself allows events:PutEvents (the README says what a
// member account can make of that: the guards act only in the account an
// event is from).
func newCentralBus(scope constructs.Construct, o Organization) awsevents.EventBus {
	bus := awsevents.NewEventBus(scope, jsii.String("CentralBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(o.BusName),
		Description:  jsii.String("vpcguard: CloudTrail events forwarded by the organization's accounts"),
	})
	bus.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("PutEventsFromTheOrganizationOnly"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("events:PutEvents"),
		Resources:  &[]*string{bus.EventBusArn()},
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:PrincipalOrgID": o.ID},
		},
	}))
	return bus
}

// grantAssumeMemberRole lets a central function assume the member role, by
// name, in accounts of the organization only: aws:ResourceOrgID is the
// organization of the account that owns the role.
func grantAssumeMemberRole(g *guardFunction, o Organization) {
	g.allow([]string{"sts:AssumeRole"}, []string{arn("arn:${AWS::Partition}:iam::*:role/" + o.MemberRoleName)},
		map[string]interface{}{"StringEquals": map[string]interface{}{"aws:ResourceOrgID": o.ID}})
	g.suppressWildcards("The member role has the same name in every account of the organization; which account an event or backfill shard is about is only known at run time, and aws:ResourceOrgID keeps the role to accounts of the organization.",
		"Resource::arn:<AWS::Partition>:iam::*:role/"+o.MemberRoleName)
}

// centralEnv is the organization deployment's part of every central
// function's environment: the role to act through in each account.
func centralEnv(env map[string]*string, o Organization) {
	env[config.EnvAssumeRoleName] = jsii.String(o.MemberRoleName)
}

// CentralEnv pins the central stack to the central account and home Region,
// so `cdk deploy` with another account's credentials fails instead of
// deploying a central bus no member forwards to.
func (o Organization) CentralEnv() *awscdk.Environment {
	return &awscdk.Environment{Account: jsii.String(o.CentralAccount), Region: jsii.String(o.HomeRegion)}
}
