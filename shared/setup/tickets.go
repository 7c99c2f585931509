package setup

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/ticket"
)

// Tickets builds the configured ticket sinks. A finding's tickets are filed
// in its own account and region (Security Hub is regional), so the sinks are
// bound to that account's clients per finding; building them only stores
// the clients. The sinks' clients are built on first use, so a function
// that files no ticket never builds one.
func Tickets(cfg config.Config, accounts *awsclients.Accounts) guard.Tickets {
	if len(cfg.Sinks) == 0 {
		return nil
	}
	return &regionalTickets{cfg: cfg, accounts: accounts}
}

type regionalTickets struct {
	cfg      config.Config
	accounts *awsclients.Accounts
}

func (t *regionalTickets) Sync(ctx context.Context, f *finding.Finding) error {
	c, err := t.accounts.For(ctx, f.Account, f.Region)
	if err != nil {
		f.AddAction(finding.Action{Type: "ticket", Target: f.ResourceID, Outcome: finding.Failed, Detail: err.Error()})
		return err
	}
	var sinks []ticket.Sink
	if slices.Contains(t.cfg.Sinks, config.SinkSecurityHub) {
		s := ticket.NewSecurityHub(awsclients.Service(c, securityhub.NewFromConfig))
		s.ExemptTagKey = t.cfg.ExemptTagKey
		sinks = append(sinks, s)
	}
	if slices.Contains(t.cfg.Sinks, config.SinkOpsCenter) {
		s := ticket.NewOpsCenter(awsclients.Service(c, ssm.NewFromConfig))
		s.ExemptTagKey = t.cfg.ExemptTagKey
		sinks = append(sinks, s)
	}
	if slices.Contains(t.cfg.Sinks, config.SinkSNS) && t.cfg.SNSTopicARN != "" {
		s := ticket.NewSNS(awsclients.Service(c, sns.NewFromConfig), t.cfg.SNSTopicARN)
		s.ExemptTagKey = t.cfg.ExemptTagKey
		sinks = append(sinks, s)
	}
	return ticket.NewTickets(t.cfg.DryRun, sinks...).Sync(ctx, f)
}
