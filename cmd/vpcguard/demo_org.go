package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/vpcguard/vpcguard/events"
	"github.com/vpcguard/vpcguard/internal/testenv/estate"
	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/internal/testenv/orgestate"
	"github.com/vpcguard/vpcguard/internal/testenv/world"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/inventory/tagindex"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
	"github.com/vpcguard/vpcguard/shared/report"
	"github.com/vpcguard/vpcguard/shared/resource"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/organization"
)

// demoMembers is how many member accounts the organization step creates.
const demoMembers = 3

// organization makes the demo's account the management account of an
// organization of three members, handles a member's CreateModel centrally
// through the member role, and backfills the organization by account.
func (d *demo) organization(ctx context.Context, stderr io.Writer) error {
	org, err := orgestate.Seed(ctx, d.base.Copy(), demoMembers, []string{demoRegion}, 4)
	if err != nil {
		return fmt.Errorf("seed the organization: %w", err)
	}
	member := org.Members[0]
	fmt.Fprintf(d.out, `Organizations on moto: organization %s, management account %s (this demo's
account, acting as the central account), members %s.
Each member has, in %s, a network, a model outside and one inside its VPC, a
notebook with and one without internet access, a sagemaker.api endpoint with
private DNS off and a runtime one with it on, and a Studio domain.
The member role %s is assumed in each member: moto's AssumeRole succeeds for
any role and its credentials act in the role's account, so the role is not
deployed here (go test ./infra/orgdeploy/ deploys the member StackSets on moto).
Nothing else is faked beyond the steps above (moto's Security Hub keeps findings
per calling account and does not check AwsAccountId: which credentials filed a
finding is what puts it in an account).
`, org.ID, org.Management, strings.Join(org.Members, ", "), demoRegion, orgestate.Role)

	// The member's own callers, guardrail policy (its member stack's) and
	// the model the event creates.
	memberCfg, err := orgestate.Config(ctx, d.base, member)
	if err != nil {
		return err
	}
	memberIAM := iam.NewFromConfig(memberCfg)
	if err := world.SeedCallers(ctx, memberIAM); err != nil {
		return fmt.Errorf("seed %s: %w", member, err)
	}
	if _, err := world.SeedGuardrail(ctx, memberIAM); err != nil {
		return fmt.Errorf("seed %s: %w", member, err)
	}
	if err := estate.New(memberCfg).Model(ctx, "churn-xgb-public", nil, nil); err != nil {
		return fmt.Errorf("seed %s: %w", member, err)
	}

	accounts := awsclients.NewAccounts(d.base, orgestate.Role)
	accounts.SetHomeAccount(motoserver.Account)
	if err := d.memberEvent(ctx, stderr, accounts, member, memberCfg); err != nil {
		return err
	}
	return d.orgBackfill(ctx, accounts)
}

// memberEvent hands a member's CreateModel to the central model guard.
func (d *demo) memberEvent(ctx context.Context, stderr io.Writer, accounts *awsclients.Accounts, member string, memberCfg aws.Config) error {
	homeHub, err := hubFindings(ctx, securityhub.NewFromConfig(d.base))
	if err != nil {
		return err
	}
	cfg := config.Default()
	cfg.Mode = mode.Enforce
	cfg.Sinks = []string{config.SinkSecurityHub}
	cfg.GuardrailARN = d.guardrail
	cfg.AssumeRoleName = orgestate.Role
	var modelRules []rules.Rule
	for _, r := range rules.All() {
		if r.Kind() == resource.Model {
			modelRules = append(modelRules, r)
		}
	}
	g := setup.Guard(cfg, accounts, modelRules, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError})), kinds...)
	raw, err := events.FS.ReadFile("model-create-no-vpc.json")
	if err != nil {
		return err
	}
	// The sample event, as the member's trail records it: its account,
	// recipientAccountId and ARNs are the member's.
	raw = []byte(strings.ReplaceAll(string(raw), motoserver.Account, member))
	fmt.Fprintf(d.out, `
▶ events/model-create-no-vpc.json as member %s sent it (account and recipientAccountId %s):
  CreateModel churn-xgb-public by role MLEngineer, handled by the central model guard (mode
  enforce, tickets to Security Hub) through arn:aws:iam::%s:role/%s
`, member, member, member, orgestate.Role)
	out, err := (&guard.Handler{Guard: g}).Handle(ctx, json.RawMessage(raw))
	if err != nil {
		return fmt.Errorf("the model guard on %s's event: %w", member, err)
	}
	resp, _ := out.(guard.Response)
	var b strings.Builder
	if err := report.WriteTable(&b, resp.Findings, false); err != nil {
		return err
	}
	for line := range strings.SplitSeq(strings.TrimRight(b.String(), "\n"), "\n") {
		fmt.Fprintln(d.out, "  "+line)
	}

	p, err := iam.NewFromConfig(memberCfg).ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("MLEngineer")})
	if err != nil {
		return fmt.Errorf("list %s's MLEngineer policies: %w", member, err)
	}
	var arns []string
	for _, a := range p.AttachedPolicies {
		arns = append(arns, aws.ToString(a.PolicyArn))
	}
	fmt.Fprintf(d.out, "\n  member %s, role MLEngineer: %s (the member's own guardrail policy)\n", member, orNone(arns))
	memberHub, err := hubFindings(ctx, securityhub.NewFromConfig(memberCfg))
	if err != nil {
		return err
	}
	var filed []string
	for _, f := range memberHub {
		filed = append(filed, fmt.Sprintf("%s for account %s", aws.ToString(f.GeneratorId), aws.ToString(f.AwsAccountId)))
	}
	homeAfter, err := hubFindings(ctx, securityhub.NewFromConfig(d.base))
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "  member %s, Security Hub (read with the member's credentials): %d findings: %s\n", member, len(memberHub), orNone(filed))
	fmt.Fprintf(d.out, "  central account %s, Security Hub: %d findings before the event, %d after\n", motoserver.Account, len(homeHub), len(homeAfter))
	return nil
}

// orgBackfill runs the organization backfill in process, as `vpcguard
// backfill --accounts org` does, and shows it by account.
func (d *demo) orgBackfill(ctx context.Context, accounts *awsclients.Accounts) error {
	cfg := config.Default()
	cfg.Mode = mode.Report
	cfg.AssumeRoleName = orgestate.Role
	calls := backfill.NewCalls()
	engine := setup.BackfillOptions(cfg, accounts, nil, setup.BackfillOnly{TagIndex: tagindex.New}, kinds...)
	engine.Calls = calls
	engine.Guard = setup.Guard(cfg, accounts, rules.All(), nil, kinds...)
	engine.Findings = func(finding.Finding) error { return nil } // counted by account below
	fmt.Fprintf(d.out, "\n$ vpcguard backfill --accounts org --regions %s --assume-role %s --format json > findings.json\n\n", demoRegion, orgestate.Role)
	local := &orgbackfill.Local{
		Planner: organization.Planner(cfg, accounts, kinds...),
		Engine:  engine,
		Forget:  accounts.Forget,
		AccountDone: func(a orgbackfill.AccountTally, done, total int) {
			writeAccountProgress(d.out, a, done, total)
		},
	}
	s, err := local.Run(ctx, orgbackfill.Request{Accounts: []string{orgbackfill.Organization}, Regions: []string{demoRegion}})
	if err != nil {
		return fmt.Errorf("organization backfill: %w", err)
	}
	fmt.Fprintf(d.out, "\nbackfill: %d resources in %s × %s = %s: %d succeeded, %d failed (mode report)\n\n",
		s.Resources, plural(s.Accounts, "account"), demoRegion, plural(s.Shards, "shard"), s.ShardsSucceeded, s.ShardsFailed)
	writeAccountTable(d.out, s.ByAccount, 0)
	fmt.Fprintf(d.out, "(The management account %s is this demo's account: steps 1 to 4 seeded it. Each member's\n"+
		"findings were read with its own credentials through %s; the same plan and shard code runs\n"+
		"on Step Functions in the central stack.)\n", motoserver.Account, orgestate.Role)
	return nil
}

func hubFindings(ctx context.Context, hub *securityhub.Client) ([]shtypes.AwsSecurityFinding, error) {
	var all []shtypes.AwsSecurityFinding
	in := &securityhub.GetFindingsInput{}
	for {
		page, err := hub.GetFindings(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("read Security Hub findings: %w", err)
		}
		all = append(all, page.Findings...)
		if aws.ToString(page.NextToken) == "" {
			return all, nil
		}
		in.NextToken = page.NextToken
	}
}
