package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// EC2API is what the endpoint remediations need of EC2 (ec2api over an EC2
// client). Errors are the SDK's, for awserr to classify.
type EC2API interface {
	// VpcAttribute reads "enableDnsSupport" or "enableDnsHostnames".
	VpcAttribute(ctx context.Context, vpc, attr string) (bool, error)
	EnablePrivateDNS(ctx context.Context, endpointID string) error
	SetEndpointPolicy(ctx context.Context, endpointID, policy string) error
	Tag(ctx context.Context, id, key, value string) error
}

// The VPC attributes private DNS needs on.
const (
	attrDNSSupport   = "enableDnsSupport"
	attrDNSHostnames = "enableDnsHostnames"
)

const actionPrivateDNS = "enable-private-dns"

// privateDNSTimeout bounds the ModifyVpcEndpoint call: under narrow IAM
// policies it has been reported to hang instead of failing (boto3 #2554),
// which would run the Lambda into its timeout with nothing recorded.
const privateDNSTimeout = 20 * time.Second

// enablePrivateDNS turns private DNS on, after checking the VPC can resolve
// it: without enableDnsSupport and enableDnsHostnames AWS refuses, and the
// owner has a VPC-wide decision to make that vpcguard must not make for them.
func (r *Remediator) enablePrivateDNS(ctx context.Context, api API, res *evaluate.Result) error {
	f := &res.Finding
	id := res.State.ID
	vpc := ""
	if res.State.Endpoint != nil {
		vpc = res.State.Endpoint.VPCID
	}
	if vpc == "" {
		f.AddAction(finding.Action{Type: actionPrivateDNS, Target: id, Outcome: finding.Skipped, Detail: "the endpoint's VPC is unknown"})
		return nil
	}
	for _, attr := range []string{attrDNSSupport, attrDNSHostnames} {
		on, err := api.EC2.VpcAttribute(ctx, vpc, attr)
		if err != nil {
			return outcome(f, actionPrivateDNS, id, fmt.Errorf("read %s of %s: %w", attr, vpc, err))
		}
		if !on {
			f.AddAction(finding.Action{Type: actionPrivateDNS, Target: id, Outcome: finding.Skipped,
				Detail: fmt.Sprintf("VPC %s has %s off; private DNS needs enableDnsSupport and enableDnsHostnames on", vpc, attr)})
			return nil
		}
	}
	if r.Config.DryRun {
		f.AddAction(finding.Action{Type: actionPrivateDNS, Target: id, Outcome: finding.DryRun, Detail: "would set PrivateDnsEnabled=true"})
		return nil
	}
	timeout := r.PrivateDNSTimeout
	if timeout <= 0 {
		timeout = privateDNSTimeout
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	err := api.EC2.EnablePrivateDNS(callCtx, id)
	cancel()
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("ModifyVpcEndpoint gave no answer in %s (reported when the caller lacks route53:AssociateVPCWithHostedZone): %w", timeout, err)
	}
	switch {
	case awserr.IsNotFound(err):
		f.AddAction(finding.Action{Type: actionPrivateDNS, Target: id, Outcome: finding.Skipped, Detail: "the endpoint no longer exists"})
		return nil
	case err != nil:
		// e.g. a private hosted zone for the same name already exists in
		// the VPC: recorded for the ticket; a retry would meet the same answer.
		return outcome(f, actionPrivateDNS, id, err)
	}
	f.AddAction(finding.Action{Type: actionPrivateDNS, Target: id, Outcome: finding.Done, Detail: "PrivateDnsEnabled=true"})
	f.Contain(finding.Fixed)
	return nil
}

// replaceEndpointPolicy swaps a full-access endpoint policy for the
// operator's, when one is configured (off by default).
func (r *Remediator) replaceEndpointPolicy(ctx context.Context, api API, res *evaluate.Result) error {
	if r.Config.EndpointPolicy == "" || res.State.Endpoint == nil || !IsFullAccessPolicy(res.State.Endpoint.Policy) {
		return nil
	}
	f := &res.Finding
	id := res.State.ID
	if r.Config.DryRun {
		f.AddAction(finding.Action{Type: "replace-endpoint-policy", Target: id, Outcome: finding.DryRun, Detail: "would replace the full-access policy"})
		return nil
	}
	err := api.EC2.SetEndpointPolicy(ctx, id, r.Config.EndpointPolicy)
	if err != nil {
		return outcome(f, "replace-endpoint-policy", id, err)
	}
	f.AddAction(finding.Action{Type: "replace-endpoint-policy", Target: id, Outcome: finding.Done, Detail: "full-access policy replaced"})
	return nil
}

// IsFullAccessPolicy reports whether an endpoint policy is AWS's default:
// one statement allowing every action on every resource to everyone.
func IsFullAccessPolicy(doc string) bool {
	if doc == "" {
		return true // no policy means full access
	}
	var p struct {
		Statement []struct {
			Effect    string
			Principal any
			Action    any
			Resource  any
			Condition any
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return false
	}
	for _, s := range p.Statement {
		if s.Effect == "Allow" && isStar(s.Action) && isStar(s.Resource) && isStar(s.Principal) && s.Condition == nil {
			return true
		}
	}
	return false
}

func isStar(v any) bool {
	switch x := v.(type) {
	case string:
		return x == "*"
	case []any:
		return len(x) == 1 && isStar(x[0])
	case map[string]any:
		aws, ok := x["AWS"]
		return ok && len(x) == 1 && isStar(aws)
	}
	return false
}

func (r *Remediator) tagEndpoint(ctx context.Context, api API, res *evaluate.Result) error {
	f := &res.Finding
	id := res.State.ID
	key := r.Config.FindingTagKey
	if res.State.Tags != nil && res.State.Tags[key] == f.Rule {
		f.AddAction(finding.Action{Type: "tag", Target: id, Outcome: finding.Skipped, Detail: "already tagged " + key + "=" + f.Rule})
		f.Contain(finding.Tagged)
		return nil
	}
	if r.Config.DryRun {
		f.AddAction(finding.Action{Type: "tag", Target: id, Outcome: finding.DryRun, Detail: "would tag " + key + "=" + f.Rule})
		return nil
	}
	err := api.EC2.Tag(ctx, id, key, f.Rule)
	if err != nil {
		return outcome(f, "tag", id, err)
	}
	f.AddAction(finding.Action{Type: "tag", Target: id, Outcome: finding.Done, Detail: key + "=" + f.Rule})
	f.Contain(finding.Tagged)
	return nil
}
