package remediate

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// IAMAPI is the part of the IAM client guardrails need.
type IAMAPI interface {
	AttachRolePolicy(ctx context.Context, in *iam.AttachRolePolicyInput, opts ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	AttachUserPolicy(ctx context.Context, in *iam.AttachUserPolicyInput, opts ...func(*iam.Options)) (*iam.AttachUserPolicyOutput, error)
	ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, opts ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, opts ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
}

var _ IAMAPI = (*iam.Client)(nil)

const actionAttach = "attach-guardrail"

// Principal is an IAM entity parsed from its ARN.
type Principal struct {
	ARN     string
	Account string
	Kind    string // "role", "user", "root", or "" when not an IAM entity
	Name    string // the role or user name, without its path
	Path    string // e.g. "/aws-service-role/sagemaker.amazonaws.com/"
}

// ParsePrincipal reads an IAM role, user or root ARN.
func ParsePrincipal(arn string) Principal {
	p := Principal{ARN: arn}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" {
		return p
	}
	p.Account = parts[4]
	res := parts[5]
	if res == "root" {
		p.Kind = "root"
		return p
	}
	kind, rest, ok := strings.Cut(res, "/")
	if !ok || (kind != "role" && kind != "user") {
		return p
	}
	p.Kind = kind
	i := strings.LastIndex(rest, "/")
	p.Name = rest[i+1:]
	p.Path = "/" + rest[:i+1]
	return p
}

// refusal says why a guardrail must not go on this principal, or "".
func (r *Remediator) refusal(p Principal, account string) string {
	switch {
	case p.ARN == "":
		return "the caller is unknown (no CloudTrail event: backfill)"
	case p.Kind == "root":
		return "the caller is the account's root user, which no IAM policy can restrict; use an SCP"
	case p.Kind == "":
		return "the caller " + p.ARN + " is not an IAM user or role"
	case p.Account != "" && account != "" && p.Account != account:
		return "the caller belongs to account " + p.Account + ", not " + account
	case strings.HasPrefix(p.Path, "/aws-service-role/"):
		return "the caller is a service-linked role, which cannot be changed"
	case strings.HasPrefix(p.Name, "AWSReservedSSO_"):
		return "the caller is an IAM Identity Center role, which cannot be changed; add the deny to its permission set"
	}
	if pattern, ok := r.Config.Protected(p.ARN); ok {
		return "the caller is protected (matches " + pattern + ")"
	}
	return ""
}

// attachGuardrail attaches the deny policy to the IAM principal that made the
// call, so the same mistake is refused next time.
func (r *Remediator) attachGuardrail(ctx context.Context, api API, f *finding.Finding, policyARN, envName string) error {
	p := ParsePrincipal(f.Principal)
	target := f.Principal
	if target == "" {
		target = "caller"
	}
	if policyARN == "" {
		f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.Skipped, Detail: "no guardrail policy configured (" + envName + ")"})
		return nil
	}
	if why := r.refusal(p, f.Account); why != "" {
		f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.Skipped, Detail: why})
		return nil
	}
	attached, err := r.isAttached(ctx, api.IAM, p, policyARN)
	if awserr.IsNotFound(err) {
		f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.Skipped, Detail: "the caller no longer exists"})
		return nil
	}
	if err != nil {
		return outcome(f, actionAttach, target, err)
	}
	if attached {
		f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.Skipped, Detail: "already attached: " + policyARN})
		return nil
	}
	if r.Config.DryRun {
		f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.DryRun, Detail: "would attach " + policyARN})
		return nil
	}
	if p.Kind == "role" {
		_, err = api.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(p.Name), PolicyArn: aws.String(policyARN)})
	} else {
		_, err = api.IAM.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(p.Name), PolicyArn: aws.String(policyARN)})
	}
	switch {
	case awserr.IsUnmodifiable(err):
		f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.Skipped, Detail: "IAM refuses to change this principal (UnmodifiableEntity)"})
		return nil
	case awserr.IsNotFound(err):
		f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.Skipped, Detail: "the caller no longer exists"})
		return nil
	case err != nil:
		return outcome(f, actionAttach, target, err)
	}
	f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.Done, Detail: "attached " + policyARN})
	return nil
}

func (r *Remediator) isAttached(ctx context.Context, api IAMAPI, p Principal, policyARN string) (bool, error) {
	var marker *string
	for {
		var policies []string
		var next *string
		if p.Kind == "role" {
			out, err := api.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(p.Name), Marker: marker})
			if err != nil {
				return false, fmt.Errorf("list policies of role %s: %w", p.Name, err)
			}
			for _, ap := range out.AttachedPolicies {
				policies = append(policies, aws.ToString(ap.PolicyArn))
			}
			if out.IsTruncated {
				next = out.Marker
			}
		} else {
			out, err := api.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(p.Name), Marker: marker})
			if err != nil {
				return false, fmt.Errorf("list policies of user %s: %w", p.Name, err)
			}
			for _, ap := range out.AttachedPolicies {
				policies = append(policies, aws.ToString(ap.PolicyArn))
			}
			if out.IsTruncated {
				next = out.Marker
			}
		}
		for _, a := range policies {
			if a == policyARN {
				return true, nil
			}
		}
		if next == nil {
			return false, nil
		}
		marker = next
	}
}
