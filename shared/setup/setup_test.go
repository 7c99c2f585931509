package setup_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/endpoints"
	"github.com/vpcguard/vpcguard/shared/setup/models"
	"github.com/vpcguard/vpcguard/shared/setup/notebooks"
)

// TestGuardWiring: offline (no accounts) touches no AWS API; online wires the reader,
// the remediator and, only when sinks are configured, the tickets.
func TestGuardWiring(t *testing.T) {
	srv := motoserver.Require(t)
	accounts := awsclients.NewAccounts(srv.Config(region), "")
	accounts.SetHomeAccount(motoserver.Account)
	withSinks := config.Default()
	noSinks := config.Default()
	noSinks.Sinks = nil
	tests := []struct {
		name                         string
		cfg                          config.Config
		accounts                     *awsclients.Accounts
		readers, remediates, tickets bool
	}{
		{name: "offline: no accounts", cfg: withSinks, accounts: nil},
		{name: "online with sinks", cfg: withSinks, accounts: accounts, readers: true, remediates: true, tickets: true},
		{name: "online without sinks", cfg: noSinks, accounts: accounts, readers: true, remediates: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := setup.Guard(tt.cfg, tt.accounts, rules.All(), nil, models.Wiring, notebooks.Wiring, endpoints.Wiring)
			if got := g.Evaluator.Readers != nil; got != tt.readers {
				t.Errorf("Readers set = %v; want %v", got, tt.readers)
			}
			if got := g.Remediator != nil; got != tt.remediates {
				t.Errorf("Remediator set = %v; want %v", got, tt.remediates)
			}
			if got := g.Tickets != nil; got != tt.tickets {
				t.Errorf("Tickets set = %v; want %v", got, tt.tickets)
			}
			if g.Evaluator.ExemptTagKey != tt.cfg.ExemptTagKey {
				t.Errorf("ExemptTagKey = %q; want %q", g.Evaluator.ExemptTagKey, tt.cfg.ExemptTagKey)
			}
		})
	}
}

// TestGuardHandlerFromEnvironment builds a guard Lambda's handler the way
// main does, from environment variables pointing at moto, and runs an event
// through it: the finding is ticketed in Security Hub.
func TestGuardHandlerFromEnvironment(t *testing.T) {
	srv := motoserver.Require(t)
	for _, kv := range srv.Env(region) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("VPCGUARD_MODE", "enforce")
	t.Setenv("VPCGUARD_SINKS", "securityhub")
	ctx := context.Background()

	h, err := setup.GuardHandler(ctx, nil, "model-guard", models.Wiring)
	if err != nil {
		t.Fatalf("GuardHandler: %v", err)
	}

	cfg := srv.Config(region)
	if _, err := sagemaker.NewFromConfig(cfg).CreateModel(ctx, &sagemaker.CreateModelInput{ModelName: aws.String("churn-xgb-public"),
		ExecutionRoleArn: aws.String("arn:aws:iam::" + motoserver.Account + ":role/SageMakerExecution"),
		PrimaryContainer: &smtypes.ContainerDefinition{Image: aws.String("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")}}); err != nil {
		t.Fatalf("create model: %v", err)
	}
	ev := `{"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail","source":"aws.sagemaker","account":"123456789012","region":"us-east-1",
	  "detail":{"eventID":"e-1","eventTime":"2026-11-22T10:00:00Z","eventSource":"sagemaker.amazonaws.com","eventName":"CreateModel","awsRegion":"us-east-1",
	  "recipientAccountId":"123456789012","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/carol","userName":"carol"},
	  "requestParameters":{"modelName":"churn-xgb-public"},"responseElements":{"modelArn":"arn:aws:sagemaker:us-east-1:123456789012:model/churn-xgb-public"}}}`
	out, err := h.Handle(ctx, json.RawMessage(ev))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	// model-guard's rules: the model is outside a VPC and not isolated.
	resp := out.(guard.Response)
	if len(resp.Findings) != 2 || resp.Findings[0].Status != finding.NonCompliant || resp.Findings[1].Status != finding.NonCompliant {
		t.Fatalf("findings = %+v; want two NON_COMPLIANT", resp.Findings)
	}
	hub, err := securityhub.NewFromConfig(cfg).GetFindings(ctx, &securityhub.GetFindingsInput{})
	if err != nil {
		t.Fatalf("get findings: %v", err)
	}
	if len(hub.Findings) != 2 {
		t.Errorf("Security Hub findings = %d; want 2", len(hub.Findings))
	}
}

// TestGuardHandlerRefusesBadConfiguration: a misconfigured function fails
// its init, naming the variable, instead of running half-configured.
func TestGuardHandlerRefusesBadConfiguration(t *testing.T) {
	t.Setenv("VPCGUARD_MODE", "fix-everything")
	_, err := setup.GuardHandler(context.Background(), nil, "model-guard", models.Wiring)
	if err == nil || !strings.Contains(err.Error(), "VPCGUARD_MODE") {
		t.Errorf("GuardHandler error = %v; want one naming VPCGUARD_MODE", err)
	}
}

// TestTicketsForAnotherAccount: a finding in an account the guard cannot
// reach records a failed ticket action and returns the error for a retry.
func TestTicketsForAnotherAccount(t *testing.T) {
	srv := motoserver.Require(t)
	accounts := awsclients.NewAccounts(srv.Config(region), "")
	accounts.SetHomeAccount(motoserver.Account)
	tk := setup.Tickets(config.Default(), accounts)
	f := &finding.Finding{Rule: "sagemaker-model-in-vpc", ResourceID: "arn:aws:sagemaker:us-east-1:210987654321:model/m",
		Status: finding.NonCompliant, Account: "210987654321", Region: region}
	err := tk.Sync(context.Background(), f)
	if err == nil || !strings.Contains(err.Error(), "VPCGUARD_ASSUME_ROLE_NAME") {
		t.Errorf("Sync error = %v; want one naming VPCGUARD_ASSUME_ROLE_NAME", err)
	}
	if len(f.Actions) != 1 || f.Actions[0].Type != "ticket" || f.Actions[0].Outcome != finding.Failed {
		t.Errorf("actions = %+v; want one failed ticket action", f.Actions)
	}
}
