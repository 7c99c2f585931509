package remediate

import (
	"context"
	"fmt"
	"strings"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
)

const actionSwitchDomain = "switch-domain-to-vpc-only"

// switchDomainToVPCOnly switches a Studio domain to VpcOnly in its own VPC
// and subnets, when the operator opted in: it changes how every user's apps
// reach the network. AWS refuses the change while the domain has apps
// InService, Pending or Deleting; that refusal is recorded on the finding
// (and so in the ticket) and not retried: retrying cannot stop the apps,
// and stopping users' apps is the owner's call.
func (r *Remediator) switchDomainToVPCOnly(ctx context.Context, api API, res *evaluate.Result) error {
	if !r.Config.SwitchDomainsToVPCOnly {
		return nil
	}
	f := &res.Finding
	id := res.State.ID
	d := res.State.Domain
	switch {
	case d == nil:
		f.AddAction(finding.Action{Type: actionSwitchDomain, Target: id, Outcome: finding.Skipped, Detail: "the domain's settings are unknown"})
		return nil
	case d.Status != "" && d.Status != "InService":
		f.AddAction(finding.Action{Type: actionSwitchDomain, Target: id, Outcome: finding.Skipped, Detail: "the domain is " + d.Status})
		return nil
	case d.VPCID == "" || len(d.SubnetIDs) == 0:
		f.AddAction(finding.Action{Type: actionSwitchDomain, Target: id, Outcome: finding.Skipped,
			Detail: "VpcOnly needs a VPC and subnets, and the domain names none: choose them and switch it by hand"})
		return nil
	}
	where := fmt.Sprintf("VPC %s, subnets %s", d.VPCID, strings.Join(d.SubnetIDs, ", "))
	if r.Config.DryRun {
		f.AddAction(finding.Action{Type: actionSwitchDomain, Target: id, Outcome: finding.DryRun, Detail: "would switch to VpcOnly in " + where})
		return nil
	}
	err := api.Domains.SwitchDomainToVPCOnly(ctx, id, d.VPCID, d.SubnetIDs)
	switch {
	case awserr.IsNotFound(err):
		f.AddAction(finding.Action{Type: actionSwitchDomain, Target: id, Outcome: finding.Skipped, Detail: "the domain no longer exists"})
		return nil
	case awserr.IsConflict(err) || awserr.Code(err) == "ValidationException":
		// Which code AWS answers while apps run is not documented
		// (ResourceInUse is the likelier, ValidationException possible).
		f.AddAction(finding.Action{Type: actionSwitchDomain, Target: id, Outcome: finding.Failed, Detail: fmt.Sprintf(
			"AWS refused the switch, which it does while the domain has apps InService, Pending or Deleting: delete them, "+
				"then switch it (not retried; %s=true tries again on the next event): %v", config.EnvSwitchDomainsToVPCOnly, err)})
		return nil
	case err != nil:
		return outcome(f, actionSwitchDomain, id, err)
	}
	f.AddAction(finding.Action{Type: actionSwitchDomain, Target: id, Outcome: finding.Done, Detail: "switched to VpcOnly in " + where})
	f.Contain(finding.Fixed) // the next evaluation reads COMPLIANT
	return nil
}
