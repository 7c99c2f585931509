package testenv

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/vpcguard/vpcguard/internal/testenv/world"
	"github.com/vpcguard/vpcguard/shared/mode"
)

func TestMain(m *testing.M) { Main(m) }

// TestNewSeedsTheSampleAccount: the default account has what a guard needs,
// and the recorder starts empty.
func TestNewSeedsTheSampleAccount(t *testing.T) {
	e := New(t)
	if e.VPC == "" || e.Subnet == "" || e.SecurityGroup == "" || len(e.Net.Subnets) != 2 {
		t.Errorf("network %+v; want a VPC, two subnets and a security group", e.Net)
	}
	if n := e.Recorder.Mark(); n != 0 {
		t.Errorf("recorder holds %d calls after New; want 0 (seeding is not recorded)", n)
	}
	for _, role := range world.CallerRoles {
		if got := e.RolePolicies(role); len(got) != 0 {
			t.Errorf("role %s has policies %v; want none", role, got)
		}
	}
	c := e.GuardConfig(mode.Enforce)
	if c.GuardrailARN == "" || c.RecheckQueueURL == "" || c.SNSTopicARN == "" {
		t.Errorf("config %+v; want guardrails, re-check queue and topic set", c)
	}
	if _, err := e.SNS.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(e.TopicARN), Subject: aws.String("hello"), Message: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	if got := Subjects(e.Inbox()); !slices.Equal(got, []string{"hello"}) {
		t.Errorf("inbox %q; want [hello]", got)
	}
	if got := e.Recorder.Inputs("Publish"); len(got) != 1 {
		t.Errorf("recorded Publish calls %d; want 1", len(got))
	}
}

// TestSeedingAgainIsTheSame: seeding what exists already, as it would be
// made, succeeds (an SDK retry of a create that had succeeded); a thing of
// the same name made otherwise is an error.
func TestSeedingAgainIsTheSame(t *testing.T) {
	e := New(t)
	ctx := context.Background()
	if err := world.SeedCallers(ctx, e.IAM); err != nil {
		t.Errorf("callers again: %v", err)
	}
	gr, err := world.SeedGuardrail(ctx, e.IAM)
	if err != nil || gr != e.Guardrail {
		t.Errorf("guardrail again: %s, %v; want %s", gr, err, e.Guardrail)
	}

	other := New(t, Seed(0))
	if _, err := other.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("MLEngineer"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if err := world.SeedCallers(ctx, other.IAM); err == nil || !strings.Contains(err.Error(), "another trust policy") {
		t.Errorf("callers over a different MLEngineer: %v; want an error naming the other trust policy", err)
	}
}
