package grants

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vpcguard/vpcguard/infra/stack"
	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/configfake"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/internal/testenv/recorder"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/inventory/configindex"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/organization"
)

// The organization deployment the orchestrator's grants are synthesized
// in, and the names its run on moto uses.
const (
	orgID         = "o-a1b2c3d4e5"
	aggregator    = "org-aggregator"
	aggregatorARN = "arn:aws:config:" + testenv.Region + ":" + testenv.Account + ":config-aggregator/config-aggregator-7x1k2m3n"
	runsBucket    = "vpcguard-org-backfill-runs"
)

// orgStackConfig is stackConfig as an organization's central stack, with a
// Config aggregator (every grant the orchestrator can have).
func orgStackConfig(assets string) stack.Config {
	c := stackConfig(assets)
	c.StackName = "GrantsOrg"
	c.AssumeRoleName = "" // the member role, in an organization
	c.Organization = stack.DefaultOrganization()
	c.Organization.ID = orgID
	c.Organization.ManagementAccount = testenv.Account
	c.Organization.CentralAccount = testenv.Account
	c.Organization.HomeRegion = testenv.Region
	c.Organization.TargetOUs = []string{"ou-ab12-cdef3456"}
	c.ConfigAggregator, c.ConfigAggregatorARN = aggregator, aggregatorARN
	return c
}

// recordOrchestrator runs the backfill-orchestrator's two steps on moto as
// its main wires them (shared/setup/organization: OrchestratorHandler,
// built here from the same parts because it reads its clients from the
// environment, where the recorder cannot be added): a plan over every
// Region of the organization's accounts, asking the aggregator (the FAKE
// of SelectAggregateResourceConfig, internal/testenv/configfake: moto has
// none; it answers nothing, so every kind is listed), then the summary.
// It returns the IAM actions called.
func recordOrchestrator(t *testing.T) map[string]bool {
	t.Helper()
	ctx := context.Background()
	e := testenv.New(t)
	if _, err := organizations.NewFromConfig(e.Config).CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatalf("create organization: %v", err)
	}
	if _, err := s3.NewFromConfig(e.Config, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(runsBucket)}); err != nil {
		t.Fatalf("create the runs bucket: %v", err)
	}
	fake := configfake.New(aggregator, nil)
	t.Cleanup(fake.Close)

	rec := &recorder.Recorder{}
	base := e.Config.Copy()
	base.APIOptions = append(base.APIOptions, rec.Option)
	accounts := awsclients.NewAccounts(base, "")
	accounts.SetHomeAccount(testenv.Account)
	cfg := config.Default()
	cfg.BackfillRegions = []string{testenv.Region}
	cfg.ConfigAggregator, cfg.RunsBucket = aggregator, runsBucket
	planner := organization.Planner(cfg, accounts, guards.Kinds...)
	cc := base.Copy()
	cc.BaseEndpoint = aws.String(fake.URL)
	planner.Config = configindex.Index{Config: configservice.NewFromConfig(cc)}
	orch := &orgbackfill.Orchestrator{
		Planner: planner,
		Evaluator: func(orgbackfill.Options) (*evaluate.Evaluator, error) {
			return setup.Guard(cfg, nil, rules.All(), nil, guards.Kinds...).Evaluator, nil
		},
		Store:  organization.Store{S3: organization.NewS3(base), Bucket: runsBucket},
		Bucket: runsBucket,
		Calls:  backfill.NewCalls(),
	}
	rec.SetLabel(stack.OrchestratorName)
	for _, step := range []string{`{"plan": {"regions": ["all"]}, "run": "run-1"}`, `{"summarize": {"run": "run-1", "outcome": {}}}`} {
		if _, err := orch.Handle(ctx, []byte(step)); err != nil {
			t.Fatalf("orchestrator %s: %v", step, err)
		}
	}
	if fake.Calls() == 0 {
		t.Fatalf("the plan did not ask the Config aggregator")
	}
	out := map[string]bool{}
	for _, c := range rec.Since(0) {
		if c.Label == stack.OrchestratorName {
			out[iamAction(c)] = true
		}
	}
	return out
}
