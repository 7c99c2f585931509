package remediate

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/inventory/sagemakerstate"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/remediate/ec2api"
	"github.com/vpcguard/vpcguard/shared/remediate/iamapi"
	"github.com/vpcguard/vpcguard/shared/remediate/sagemakerapi"
	"github.com/vpcguard/vpcguard/shared/remediate/sqsapi"
	"github.com/vpcguard/vpcguard/shared/rules"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	region     = testenv.Region
	acct       = testenv.Account
	apiService = "com.amazonaws.us-east-1.sagemaker.api"
)

// newEnv is an account with what every remediation needs: a VPC (with
// enableDnsHostnames off, as AWS starts one), the guardrail policies and a
// re-check queue. Each test creates the callers it needs.
func newEnv(t *testing.T) *testenv.Env {
	t.Helper()
	return testenv.New(t, testenv.Seed(testenv.Network|testenv.Guardrails|testenv.RecheckQueue), testenv.DNSHostnames(false))
}

const trustSageMaker = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func role(e *testenv.Env, path, name string) {
	e.T.Helper()
	if _, err := e.IAM.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(trustSageMaker)}); err != nil {
		e.T.Fatalf("create role %s: %v", name, err)
	}
}

func user(e *testenv.Env, name string) {
	e.T.Helper()
	if _, err := e.IAM.CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		e.T.Fatalf("create user %s: %v", name, err)
	}
}

// enforceConfig is enforce mode with the guardrails and the re-check queue set.
func enforceConfig(e *testenv.Env) config.Config { return e.GuardConfig(mode.Enforce) }

// remediator remediates with the env's clients; sm and q replace the
// SageMaker and SQS clients when set.
func remediator(e *testenv.Env, cfg config.Config, sm sagemakerapi.Client, q sqsapi.Client) *Remediator {
	if sm == nil {
		sm = e.SageMaker
	}
	if q == nil {
		q = e.SQS
	}
	// Jobs and domains go through sm too when it has their calls.
	var jobs sagemakerapi.JobsClient = e.SageMaker
	if j, ok := sm.(sagemakerapi.JobsClient); ok {
		jobs = j
	}
	var domains sagemakerapi.DomainsClient = e.SageMaker
	if d, ok := sm.(sagemakerapi.DomainsClient); ok {
		domains = d
	}
	return &Remediator{Config: cfg, APIs: func(context.Context, string, string) (API, error) {
		return API{IAM: iamapi.New(e.IAM), SageMaker: sagemakerapi.New(sm), EC2: ec2api.New(e.EC2), SQS: sqsapi.New(q),
			Jobs: sagemakerapi.NewJobs(jobs), Domains: sagemakerapi.NewDomains(domains)}, nil
	}}
}

// remediating are the rules whose remediation these tests exercise, one
// for each kind of resource a sample event names (evaluateOne expects one
// result); TestNetworkIsolationRemediation and TestTicketOnlyRules evaluate
// the others.
var remediating = []rules.Rule{rules.ModelInVPC{}, rules.EndpointPrivateDNS{}, rules.NotebookNoDirectInternet{},
	rules.StudioDomainVPCOnly{}, rules.JobInVPC{}, rules.PresignedURLViaEndpoint{}}

// evaluator reads state online from moto; sm replaces the SageMaker client.
// rs are the rules evaluated: remediating when none.
func evaluator(e *testenv.Env, cfg config.Config, sm sagemakerstate.API, rs ...rules.Rule) *evaluate.Evaluator {
	if len(rs) == 0 {
		rs = remediating
	}
	return &evaluate.Evaluator{Rules: rs, ExemptTagKey: cfg.ExemptTagKey,
		Readers: func(context.Context, string, string) (evaluate.StateReader, error) {
			return e.Readers(sm), nil
		}}
}

// evaluateOne evaluates the sample event events/<name> (after replacing its
// fixed ids) online and expects exactly one result.
func evaluateOne(e *testenv.Env, ev *evaluate.Evaluator, name string, replace ...string) evaluate.Result {
	e.T.Helper()
	event := testenv.SampleEvent(e.T, name, replace...)
	rs, err := ev.Event(context.Background(), &event)
	if err != nil {
		e.T.Fatalf("evaluate %s: %v", name, err)
	}
	if len(rs) != 1 {
		e.T.Fatalf("evaluate %s: got %d results; want 1", name, len(rs))
	}
	return rs[0]
}

// action returns the finding's only action of type typ.
func action(t *testing.T, f finding.Finding, typ string) finding.Action {
	t.Helper()
	var found []finding.Action
	for _, a := range f.Actions {
		if a.Type == typ {
			found = append(found, a)
		}
	}
	if len(found) != 1 {
		t.Fatalf("actions of type %s: got %d; want 1 (all actions: %+v)", typ, len(found), f.Actions)
	}
	return found[0]
}

func hasAction(f finding.Finding, typ string) bool {
	for _, a := range f.Actions {
		if a.Type == typ {
			return true
		}
	}
	return false
}

// sentMessages keeps the SendMessage inputs and passes them on to moto.
type sentMessages struct {
	sqsapi.Client
	mu   sync.Mutex
	sent []*sqs.SendMessageInput
}

func (s *sentMessages) SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	s.mu.Lock()
	s.sent = append(s.sent, in)
	s.mu.Unlock()
	return s.Client.SendMessage(ctx, in, opts...)
}
