package stack

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/vpcguard/vpcguard/shared/rules"
)

// arn builds an ARN in the stack's partition, region and account from a pattern using
// ${AWS::Partition}, ${AWS::Region} and ${AWS::AccountId}.
func arn(pattern string) string {
	return *awscdk.Fn_Sub(jsii.String(pattern), nil)
}

var (
	iamRoleARN            = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"
	iamUserARN            = "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/*"
	securityHubProductARN = "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:product/${AWS::AccountId}/default"
	securityHubHubARN     = "arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:hub/default"
	opsItemARN            = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:opsitem/*"
)

// Reasons for each kind of wildcard resource, shown next to the cdk-nag suppression.
const (
	reasonResourceTypeWildcard = "The function acts on resources created at any time by anyone in this account and region; the resource is narrowed to the one resource type (and for iam:Attach* to the guardrail policy by the iam:PolicyARN condition), which is as narrow as an event-driven guard can know in advance."
	reasonNoResourceLevel      = "This action does not support resource-level permissions (Service Authorization Reference: no resource type), so IAM requires Resource \"*\"."
	reasonAnyGovernedRegion    = " The role is global and acts in every governed Region of the organization: the ARN names any Region, and aws:RequestedRegion limits the statement to the governed ones."
)

// grantTicketing lets a function open and update tickets in the configured
// sinks only. In an organization, Security Hub findings and OpsItems of
// another account are filed there through its member role (TicketGrants
// there); SNS is always published from the function's account.
func grantTicketing(g *guardFunction, s *shared) {
	allowGrants(g.Role, TicketGrants(s.config), s.regions)
	if s.config.HasSink("sns") {
		grantPublish(g, s)
	}
}

// TicketGrants is what filing tickets calls in the account of the resource:
// Security Hub and OpsCenter, as configured (SNS is the home account's topic).
func TicketGrants(c Config) []Grant {
	var out []Grant
	if c.HasSink("securityhub") {
		out = append(out,
			Grant{Actions: []string{"securityhub:BatchImportFindings"}, Resource: securityHubProductARN},
			Grant{Actions: []string{"securityhub:GetFindings"}, Resource: securityHubHubARN})
	}
	if c.HasSink("opscenter") {
		// CreateOpsItem has no ARN before it exists and DescribeOpsItems is a search.
		out = append(out,
			Grant{Actions: []string{"ssm:CreateOpsItem", "ssm:DescribeOpsItems"}, Resource: "*"},
			Grant{Actions: []string{"ssm:UpdateOpsItem"}, Resource: opsItemARN})
	}
	return out
}

// grantPublish allows sns:Publish to the notification topic and the KMS calls SNS makes
// on the publisher's behalf for an encrypted topic.
func grantPublish(g *guardFunction, s *shared) {
	g.allow([]string{"sns:Publish"}, []string{*s.notificationTopic.TopicArn()}, nil)
	g.allow([]string{"kms:Decrypt", "kms:GenerateDataKey"}, []string{*s.topicKey.KeyArn()}, nil)
}

// grantGuardrailAttach lets a role see and attach exactly the guardrail policy:
// the iam:PolicyARN condition is what keeps a compromised function from attaching
// AdministratorAccess to itself.
func grantGuardrailAttach(role awsiam.Role, guardrailARN *string) {
	allow(role, []string{"iam:ListAttachedRolePolicies"}, []string{arn(iamRoleARN)}, nil)
	allow(role, []string{"iam:ListAttachedUserPolicies"}, []string{arn(iamUserARN)}, nil)
	condition := map[string]interface{}{"ArnEquals": map[string]interface{}{"iam:PolicyARN": guardrailARN}}
	allow(role, []string{"iam:AttachRolePolicy"}, []string{arn(iamRoleARN)}, condition)
	allow(role, []string{"iam:AttachUserPolicy"}, []string{arn(iamUserARN)}, condition)
	suppressWildcards(role, reasonResourceTypeWildcard,
		"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/*",
		"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:user/*")
}

// Grant is one statement of the ops the catalogue declares: actions on one
// resource, an ARN pattern in ${AWS::...} pseudo parameters, or "*".
type Grant struct {
	Actions  []string
	Resource string
}

// KindGrants is what the catalogue (rules.Kinds) says vpcguard calls on the
// kinds rs judge: reading them, listing them for the backfill, and each of
// rs's remedies, plus the ops of the details rs decide on (rules.DetailOps:
// the zones of a model's subnets). An op behind a setting is granted only
// with the setting on. Ops on the same resource share a statement. The
// central functions of the one-account stack and the member role of an
// organization are both granted from here.
func KindGrants(rs []rules.Rule, list bool, c Config) []Grant {
	return kindGrants(rs, func(rules.Rule) bool { return true }, list, c)
}

// kindGrants is KindGrants with the remedies of only the rules remedied
// says: a guard's mode is fixed when it is deployed, so a rule it only
// reports or tickets needs no remedy (the backfill's mode is chosen per
// invocation, and the member role serves it: they keep every remedy).
func kindGrants(rs []rules.Rule, remedied func(rules.Rule) bool, list bool, c Config) []Grant {
	enabled := map[string]bool{
		"":                       true,
		rules.WhenDeleteModels:   c.DeleteNoncompliantModels,
		rules.WhenEndpointPolicy: false, // the stack sets no VPCGUARD_ENDPOINT_POLICY
		rules.WhenSwitchDomains:  c.SwitchDomainsToVPCOnly,
	}
	var out []Grant
	add := func(ops []rules.Op) {
		for _, op := range ops {
			if !enabled[op.When] {
				continue
			}
			i := slices.IndexFunc(out, func(g Grant) bool { return g.Resource == op.Resource })
			if i < 0 {
				out = append(out, Grant{Resource: op.Resource})
				i = len(out) - 1
			}
			if !slices.Contains(out[i].Actions, op.Action) {
				out[i].Actions = append(out[i].Actions, op.Action)
			}
		}
	}
	for _, r := range rs {
		ops, ok := rules.OpsOf(r.Kind())
		if !ok {
			panic("stack: the catalogue declares no ops for " + string(r.Kind()))
		}
		add(ops.Read)
		if list {
			add(ops.List)
		}
		if remedied(r) {
			for _, remedy := range r.Remedies() {
				add(ops.Remedies[remedy])
			}
		}
		for _, d := range rules.DetailsOf(r) {
			add(rules.DetailOps(d))
		}
	}
	return out
}

// grantKindOps grants a function the ops of the kinds rs judge (KindGrants):
// a guard (list false) the remedies of its enforced rules only, the
// backfill (list) every remedy, since its mode is chosen per invocation.
func grantKindOps(g *guardFunction, rs []rules.Rule, list bool, s *shared) {
	remedied := func(rules.Rule) bool { return true }
	if !list {
		remedied = func(r rules.Rule) bool { return s.config.Functions().ModeFor(r).Remediates() }
	}
	allowGrants(g.Role, kindGrants(rs, remedied, list, s.config), s.regions)
}

// allowGrants adds gs to role, each with the reason its wildcard resource is
// as narrow as it can be. With regions, the role acts in every Region of an
// organization (IAM is global): Region-scoped resources name any Region, and
// the statements of regional services are limited to regions by
// aws:RequestedRegion.
func allowGrants(role awsiam.Role, gs []Grant, regions []string) {
	for _, gr := range gs {
		resource, reason := gr.Resource, reasonResourceTypeWildcard
		var condition map[string]interface{}
		if regions != nil && (resource == "*" || strings.Contains(resource, "${AWS::Region}")) {
			resource = strings.ReplaceAll(resource, "${AWS::Region}", "*")
			condition = map[string]interface{}{"StringEquals": map[string]interface{}{"aws:RequestedRegion": regions}}
			reason += reasonAnyGovernedRegion
		}
		if resource == "*" {
			allow(role, gr.Actions, []string{"*"}, condition)
			suppressWildcards(role, reasonNoResourceLevel+" ("+strings.Join(gr.Actions, ", ")+")", "Resource::*")
			continue
		}
		allow(role, gr.Actions, []string{arn(resource)}, condition)
		if strings.Contains(resource, "*") {
			suppressWildcards(role, reason, "Resource::"+nagPattern(resource))
		}
	}
}

// nagPattern is an ARN pattern as cdk-nag prints it: ${AWS::Region} becomes <AWS::Region>.
func nagPattern(pattern string) string {
	return strings.NewReplacer("${", "<", "}", ">").Replace(pattern)
}
