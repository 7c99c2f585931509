package remediate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/rules"
)

// IAMAPI is what guardrails need of IAM (iamapi over an IAM client). kind
// is "role" or "user". Errors are the SDK's, for awserr to classify.
type IAMAPI interface {
	HasAttachedPolicy(ctx context.Context, kind, name, policyARN string) (bool, error)
	AttachPolicy(ctx context.Context, kind, name, policyARN string) error
}

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

// inAccount is the guardrail policy of account: the same path and name in
// every account (an organization's member stacks create it there), since
// IAM attaches only a policy of the principal's own account. The configured
// ARN is the home account's.
func inAccount(policyARN, account string) string {
	parts := strings.SplitN(policyARN, ":", 6)
	if len(parts) != 6 || account == "" {
		return policyARN
	}
	parts[4] = account
	return strings.Join(parts, ":")
}

// refusal says why a guardrail must not go on this principal, or "".
func (r *Remediator) refusal(p Principal, account string) string {
	switch {
	case p.ARN == "":
		return "the caller is unknown (no CloudTrail event: backfill; " + config.EnvCreatorLookup + " looks creators up)"
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

// pastCreator says why a guardrail must not go on the creator a backfill
// found in CloudTrail's history, or "". Such a caller broke the rule
// before anyone watched: a guardrail on them is opt-in, and only for calls
// recent enough that they are likely still the one to stop.
func (r *Remediator) pastCreator(res *evaluate.Result) string {
	c := res.Creator
	if c == nil {
		return ""
	}
	if !r.Config.CreatorGuardrails {
		return fmt.Sprintf("the caller created the resource before this backfill (found in %s); guardrails on past creators are off (%s)",
			c.Source, config.EnvCreatorGuardrails)
	}
	if maxAge := time.Duration(r.Config.CreatorMaxAgeDays) * 24 * time.Hour; c.Age > maxAge {
		return fmt.Sprintf("the creating call is %.0f days old, older than %s=%d", c.Age.Hours()/24, config.EnvCreatorMaxAgeDays, r.Config.CreatorMaxAgeDays)
	}
	return ""
}

// attachGuardrail attaches the guardrail policy to the IAM principal that
// made the call, so the same mistake is refused next time. Rules without
// guardrail statements attach nothing.
func (r *Remediator) attachGuardrail(ctx context.Context, api API, res *evaluate.Result) error {
	if res.Rule == nil || len(res.Rule.Guardrail()) == 0 {
		return nil
	}
	f := &res.Finding
	p := ParsePrincipal(f.Principal)
	target := f.Principal
	if target == "" {
		target = "caller"
	}
	policyARN := inAccount(r.Config.GuardrailARN, f.Account)
	if policyARN == "" {
		f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.Skipped, Detail: "no guardrail policy configured (" + config.EnvGuardrailARN + ")"})
		return nil
	}
	if why := r.pastCreator(res); why != "" {
		f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.Skipped, Detail: why})
		return nil
	}
	// The rule's own reason first: it says more than "not an IAM entity"
	// about a job SageMaker started itself.
	if refuser, ok := res.Rule.(rules.GuardrailRefuser); ok {
		if why := refuser.RefuseGuardrail(res.Caller, f.Principal, res.State); why != "" {
			f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.Skipped, Detail: why})
			return nil
		}
	}
	if why := r.refusal(p, f.Account); why != "" {
		f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.Skipped, Detail: why})
		return nil
	}
	attached, err := api.IAM.HasAttachedPolicy(ctx, p.Kind, p.Name, policyARN)
	if awserr.IsNotFound(err) {
		f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.Skipped, Detail: "the caller no longer exists"})
		return nil
	}
	if err != nil {
		return outcome(f, actionAttach, target, err)
	}
	if attached {
		f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.Skipped, Detail: "already attached: " + policyARN})
		f.Contain(finding.GuardrailAttached)
		return nil
	}
	if r.Config.DryRun {
		f.AddAction(finding.Action{Type: actionAttach, Target: target, Outcome: finding.DryRun, Detail: "would attach " + policyARN})
		return nil
	}
	err = api.IAM.AttachPolicy(ctx, p.Kind, p.Name, policyARN)
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
	f.Contain(finding.GuardrailAttached)
	return nil
}
