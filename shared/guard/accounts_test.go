package guard_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/internal/testenv/world"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/rules"
)

const (
	memberRole = "VpcGuardMember"
	member     = "111111111111" // has the role
	refusing   = "222222222222" // its role refuses vpcguard
)

// TestEventsFromMemberAccounts: an event from a member account is evaluated,
// remediated and ticketed in that account through the member role, assumed
// once however many events come; an account whose role refuses sends its
// event to retry with an error naming the account and the role, and the
// other accounts' events are unaffected.
//
// moto's AssumeRole succeeds even for a role that does not exist, so the
// refusal is injected: SDK middleware answers AssumeRole into the refusing
// account with AccessDenied, as STS would.
func TestEventsFromMemberAccounts(t *testing.T) {
	e := testenv.New(t)
	ctx := context.Background()
	memberCfg := assumedConfig(t, e, member)
	seedMember(t, memberCfg)

	base := e.Server.Config(region)
	assumes := map[string]int{}
	base.APIOptions = append(base.APIOptions, refuseAssumeRole(refusing, assumes))
	accounts := awsclients.NewAccounts(base, memberRole)
	accounts.SetHomeAccount(acct)
	cfg := e.GuardConfig(mode.Enforce)
	cfg.AssumeRoleName = memberRole
	h := guards.ForAccounts(cfg, accounts, rules.ModelInVPC{})

	event := func(account string) json.RawMessage {
		return json.RawMessage(strings.ReplaceAll(string(testenv.Sample(t, "model-create-no-vpc.json")), acct, account))
	}
	for range 3 {
		resp, err := handle(t, h, event(member))
		if err != nil {
			t.Fatalf("member event: %v", err)
		}
		if f := only(t, resp); f.Status != finding.NonCompliant || f.Account != member {
			t.Errorf("member finding: %s in %s; want NON_COMPLIANT in %s", f.Status, f.Account, member)
		}
	}
	if assumes[member] != 1 {
		t.Errorf("AssumeRole into %s: %d calls for 3 events; want 1 (credentials are cached per account)", member, assumes[member])
	}
	// The guardrail is the member's own policy, on the member's role.
	got, err := iam.NewFromConfig(memberCfg).ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("MLEngineer")})
	if err != nil {
		t.Fatal(err)
	}
	wantPolicy := "arn:aws:iam::" + member + ":policy/" + world.GuardrailName
	if len(got.AttachedPolicies) != 1 || aws.ToString(got.AttachedPolicies[0].PolicyArn) != wantPolicy {
		t.Errorf("member MLEngineer policies: %+v; want %s", got.AttachedPolicies, wantPolicy)
	}
	if home := e.RolePolicies("MLEngineer"); len(home) != 0 {
		t.Errorf("home MLEngineer policies: %v; want none", home)
	}
	// The Security Hub finding was filed with the member's credentials:
	// moto keeps findings per calling account (it does not check AwsAccountId).
	memberHub := testenv.HubFindings(t, securityhub.NewFromConfig(memberCfg))
	if len(memberHub) != 1 || aws.ToString(memberHub[0].AwsAccountId) != member {
		t.Errorf("member's Security Hub: %d findings; want 1 for account %s", len(memberHub), member)
	}
	if home := e.HubFindings(); len(home) != 0 {
		t.Errorf("home Security Hub: %d findings; want none", len(home))
	}

	resp, err := handle(t, h, event(refusing))
	if err == nil || !strings.Contains(err.Error(), "account "+refusing) || !strings.Contains(err.Error(), "role/"+memberRole) {
		t.Errorf("refusing account: error %v; want one naming account %s and role %s (Lambda retries, then the DLQ keeps it)", err, refusing, memberRole)
	}
	if f := only(t, resp); f.Status != finding.InsufficientData {
		t.Errorf("refusing account finding: %s; want INSUFFICIENT_DATA", f.Status)
	}
	if _, err := handle(t, h, event(member)); err != nil {
		t.Errorf("member event after the refusal: %v; want it handled", err)
	}
}

// assumedConfig is moto's config with the credentials of a role assumed in
// account (moto acts in the account the credentials name).
func assumedConfig(t *testing.T, e *testenv.Env, account string) aws.Config {
	t.Helper()
	out, err := sts.NewFromConfig(e.Server.Config(region)).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + account + ":role/" + memberRole), RoleSessionName: aws.String("test")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.Server.Config(region)
	c := out.Credentials
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return cfg
}

// seedMember creates what a member account holds: the caller, the guardrail
// policy its member stack deploys, and a model outside a VPC.
func seedMember(t *testing.T, cfg aws.Config) {
	t.Helper()
	ctx := context.Background()
	im := iam.NewFromConfig(cfg)
	if err := world.SeedCallers(ctx, im); err != nil {
		t.Fatal(err)
	}
	if _, err := world.SeedGuardrail(ctx, im); err != nil {
		t.Fatal(err)
	}
	if _, err := sagemaker.NewFromConfig(cfg).CreateModel(ctx, &sagemaker.CreateModelInput{ModelName: aws.String("churn-xgb-public"),
		ExecutionRoleArn: aws.String("arn:aws:iam::" + member + ":role/SageMakerExecution"),
		PrimaryContainer: &smtypes.ContainerDefinition{Image: aws.String("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")}}); err != nil {
		t.Fatal(err)
	}
}

// refuseAssumeRole answers AssumeRole into account with AccessDenied and
// counts every AssumeRole by account.
func refuseAssumeRole(account string, count map[string]int) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("test/refuse-assume-role",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if awsmiddleware.GetOperationName(ctx) == "AssumeRole" {
					arn := aws.ToString(in.Parameters.(*sts.AssumeRoleInput).RoleArn)
					target := strings.Split(arn, ":")[4]
					count[target]++
					if target == account {
						return middleware.InitializeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{Code: "AccessDenied",
							Message: "User: arn:aws:sts::" + acct + ":assumed-role/vpcguard/x is not authorized to perform: sts:AssumeRole on resource: " + arn}
					}
				}
				return next.HandleInitialize(ctx, in)
			}), middleware.Before)
	}
}
