// Package binaries runs vpcguard's real Lambda bootstraps, built for the
// host, under internal/testenv/runtimeapi (a loopback Lambda Runtime API) against
// moto_server: good events return their result, bad ones an error in the
// shape Lambda expects, the process keeps serving, and a function with a
// bad configuration reports an init error naming the variable.
package binaries

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/events"
	"github.com/vpcguard/vpcguard/infra/stack"
	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/estate"
	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/internal/testenv/runtimeapi"
	sampleworld "github.com/vpcguard/vpcguard/internal/testenv/world"
	"github.com/vpcguard/vpcguard/reliability/badinput"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

const region = "us-east-1"

// functions are every function the stack deploys (the organization
// backfill's orchestrator too); guardNames the catalogue's guards among
// them.
var (
	functions  = stack.AllFunctionNames()
	guardNames = func() []string {
		var names []string
		for _, fn := range rules.Guards() {
			names = append(names, fn.Name)
		}
		return names
	}()
)

// bootstrap is each function's binary by name, built once by TestMain.
var bootstrap = map[string]string{}

func TestMain(m *testing.M) { motoserver.Main(func() int { return run(m) }) }

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "vpcguard-binaries-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "make temp dir: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	// One go build for all of them, with the flags the Makefile deploys with
	// (the host's GOOS/GOARCH instead of linux/arm64).
	out := filepath.Join(dir, "bin") + string(filepath.Separator)
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", out, "github.com/vpcguard/vpcguard/functions/...")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build functions: %v\n%s", err, b)
		return 1
	}
	for _, fn := range functions {
		path := filepath.Join(dir, fn, "bootstrap")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := os.Rename(filepath.Join(dir, "bin", fn), path); err != nil {
			fmt.Fprintf(os.Stderr, "bootstrap for %s: %v\n", fn, err)
			return 1
		}
		bootstrap[fn] = path
	}
	return m.Run()
}

// testTimeout bounds each test so a hung runtime fails it instead of the
// run; it is a safety net, not an assertion on speed.
const testTimeout = 2 * time.Minute

// account is what one test seeds in moto: the callers, the guardrail policy,
// topic and re-check queue the stack would create, and the resources the
// sample events name.
type account struct {
	srv              *motoserver.Server
	cfg              aws.Config
	guardrail, topic string
	queueURL         string
	endpoints        map[string]string // sample vpce id -> seeded id
	domains          map[string]string // sample Studio domain id -> seeded id
	network          map[string]string // sample VPC and subnet ids -> seeded ids
}

func seed(t *testing.T, ctx context.Context) *account {
	t.Helper()
	e := testenv.New(t) // the callers, guardrails, topic and queue, as the stack would have them
	a := &account{srv: e.Server, cfg: e.Config, endpoints: map[string]string{}, domains: map[string]string{},
		guardrail: e.Guardrail, topic: e.TopicARN, queueURL: e.RecheckQueueURL}
	c, net := e.Estate(region), e.Net

	if err := c.Model(ctx, "churn-xgb-public", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Model(ctx, "churn-xgb-private", net, nil); err != nil {
		t.Fatal(err)
	}
	// Two subnets in one zone: network-guard's multi-AZ rule reads their zones.
	if err := c.CreateModel(ctx, "forecast-one-az", estate.ModelSpec{Subnets: []string{net.Subnets[0], net.SameZone}, SecurityGroups: []string{net.SecurityGroup}}); err != nil {
		t.Fatal(err)
	}
	a.network = sampleworld.NetworkIDs(net, nil)
	if err := c.Notebook(ctx, "research-open", "Enabled", net.Subnets[0], net); err != nil {
		t.Fatal(err)
	}
	if err := c.Notebook(ctx, "research-private", "Disabled", net.Subnets[0], net); err != nil {
		t.Fatal(err)
	}
	// The sample events carry made-up vpce ids; moto makes up its own.
	for sample, ep := range map[string]struct {
		service string
		dns     *bool
	}{
		"vpce-0a1b2c3d4e5f60001": {"com.amazonaws.us-east-1.sagemaker.api", aws.Bool(false)},
		"vpce-0a1b2c3d4e5f60002": {"com.amazonaws.us-east-1.sagemaker.runtime", nil},
	} {
		id, err := c.Endpoint(ctx, net, ep.service, ep.dns, "")
		if err != nil {
			t.Fatal(err)
		}
		a.endpoints[sample] = id
	}
	if _, err := c.Gateway(ctx, net, "com.amazonaws.us-east-1.s3"); err != nil {
		t.Fatal(err)
	}
	// Studio domains: moto makes the ids up (d-NAME).
	for sample, d := range map[string]struct{ name, access string }{
		"d-4hzp1c9r6tye": {"studio-research", "PublicInternetOnly"},
		"d-8n3kq7x2v5wm": {"studio-prod", "VpcOnly"},
	} {
		id, err := c.Domain(ctx, d.name, d.access, net, nil)
		if err != nil {
			t.Fatal(err)
		}
		a.domains[sample] = id
	}
	// AutoML jobs: moto keeps them InProgress (and can stop them).
	if err := c.AutoMLJob(ctx, "churn-autopilot", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.AutoMLJob(ctx, "fraud-autopilot", net); err != nil {
		t.Fatal(err)
	}
	return a
}

// env is the configuration infra/stack gives the function (stack.go
// environment(), addRecheckEnvironment, backfill.go), pointed at moto.
func (a *account) env(fn string, extra ...string) []string {
	env := append(a.srv.Env(region),
		"AWS_LAMBDA_LOG_FORMAT=JSON", // the stack's LoggingFormat JSON
		"VPCGUARD_MODE=enforce",
		"VPCGUARD_RULE_MODES=",
		"VPCGUARD_DRY_RUN=false",
		"VPCGUARD_SINKS=securityhub,sns",
		"VPCGUARD_SNS_TOPIC_ARN="+a.topic,
		"VPCGUARD_EXEMPT_TAG_KEY=vpcguard:exempt",
		"VPCGUARD_GUARDRAIL_ARN="+a.guardrail,
		"VPCGUARD_DELETE_NONCOMPLIANT_MODELS=false",
		"VPCGUARD_PROTECTED_PRINCIPALS=arn:aws:iam::123456789012:role/vpcguard-*",
		"VPCGUARD_SWITCH_DOMAINS_TO_VPC_ONLY=false",
		"VPCGUARD_JOB_LOOKBACK_DAYS=7",
		"VPCGUARD_PRESIGNED_URL_ALLOWED_SOURCES=",
	)
	if fn == "notebook-guard" || fn == "backfill" {
		env = append(env, "VPCGUARD_RECHECK_QUEUE_URL="+a.queueURL, "VPCGUARD_RECHECK_DELAY_SECONDS=120", "VPCGUARD_RECHECK_MAX_ATTEMPTS=10")
	}
	if fn == "backfill" {
		env = append(env, "VPCGUARD_ASSUME_ROLE_NAME=", "VPCGUARD_CONCURRENCY=4")
	}
	return append(env, extra...)
}

// start runs fn's bootstrap under a fresh Runtime API and waits for its
// first poll: the end of a successful init.
func start(t *testing.T, ctx context.Context, fn string, env []string) (*runtimeapi.Server, *runtimeapi.Process) {
	t.Helper()
	api, err := runtimeapi.Start()
	if err != nil {
		t.Fatalf("start runtime api: %v", err)
	}
	t.Cleanup(func() { api.Close() })
	p, err := api.Exec(ctx, bootstrap[fn], env)
	if err != nil {
		t.Fatalf("exec %s: %v", fn, err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s stdout:\n%s\nstderr:\n%s", fn, p.Stdout(), p.Stderr())
		}
	})
	return api, p
}

// sample reads a sample event, with its vpce, VPC, subnet and domain ids
// rewritten to the seeded ones.
func (a *account) sample(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := events.FS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, ids := range []map[string]string{a.endpoints, a.network, a.domains} {
		for from, to := range ids {
			s = strings.ReplaceAll(s, from, to)
		}
	}
	return []byte(s)
}

// checkAlive: the process that served the first invocation is still the
// one running.
func checkAlive(t *testing.T, p *runtimeapi.Process, pid int) {
	t.Helper()
	select {
	case <-p.Done():
		t.Fatalf("process %d exited (%v); want it still serving", pid, p.Err())
	default:
	}
	if p.Pid() != pid || syscall.Kill(pid, 0) != nil {
		t.Fatalf("process: got pid %d (alive: %v); want %d still running", p.Pid(), syscall.Kill(pid, 0) == nil, pid)
	}
}

// invokeGuard invokes and decodes a guard's successful response.
func invokeGuard(t *testing.T, ctx context.Context, api *runtimeapi.Server, payload []byte) guard.Response {
	t.Helper()
	res, err := api.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if res.Err != nil {
		t.Fatalf("Invoke: got function error %s: %s; want a result", res.Err.ErrorType, res.Err.ErrorMessage)
	}
	var resp guard.Response
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		t.Fatalf("response %s: %v", res.Payload, err)
	}
	return resp
}

// want is one finding a good event must produce.
type want struct {
	sample   string
	rule     string
	resource string // suffix of the resource id; "" with endpoint set
	endpoint string // sample vpce id, checked as the seeded endpoint's id
	status   finding.Status
	action   string // an action that must be done, "" for none
}

func checkFinding(t *testing.T, a *account, resp guard.Response, w want) {
	t.Helper()
	if w.endpoint != "" {
		w.resource = "vpc-endpoint/" + a.endpoints[w.endpoint]
	}
	// The guard's other rules may judge the resource too: its finding of w.rule.
	i := slices.IndexFunc(resp.Findings, func(f finding.Finding) bool { return f.Rule == w.rule })
	if i < 0 {
		t.Fatalf("%s: got findings %+v; want one of %s", w.sample, resp.Findings, w.rule)
	}
	f := resp.Findings[i]
	if f.Rule != w.rule || f.Status != w.status || !strings.HasSuffix(f.ResourceID, w.resource) || f.Evaluation != "online" {
		t.Errorf("%s: got %s %s %s (%s); want %s %s …%s (online)", w.sample, f.Rule, f.Status, f.ResourceID, f.Evaluation, w.rule, w.status, w.resource)
	}
	done := false
	for _, a := range f.Actions {
		if a.Outcome == finding.Failed {
			t.Errorf("%s: action %s on %s failed: %s", w.sample, a.Type, a.Target, a.Detail)
		}
		done = done || (a.Type == w.action && a.Outcome == finding.Done)
	}
	if w.action != "" && !done {
		t.Errorf("%s: actions %+v; want %s done", w.sample, f.Actions, w.action)
	}
}

// badEvents are valid JSON (Lambda's Invoke refuses anything else before a
// function sees it) that no guard can read. Each must come back as a
// function error naming the problem.
var badEvents = []struct{ name, payload, want string }{
	{"missing detail", `{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.sagemaker","account":"123456789012","region":"us-east-1"}`,
		"bad event: EventBridge event has no detail"},
	{"eventSource is an object", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.sagemaker","detail":{"eventName":"CreateModel","eventSource":{"s":1}}}`,
		"bad event: detail: field eventSource: got JSON object, want string"},
	{"unknown detail-type", `{"detail-type":"SageMaker Model State Change","source":"aws.sagemaker","detail":{}}`,
		`bad event: unsupported EventBridge detail-type "SageMaker Model State Change"`},
	{"a number", `42`, "bad event: not a CloudTrail event"},
}

// TestGuardBinaries: each guard's bootstrap, configured as the stack
// configures it (enforce, Security Hub and SNS), serves a good event with
// its finding and the remediation done in moto, answers each bad event with
// an error in Lambda's shape naming the problem (and logs it), and then
// serves another good event from the same process.
func TestGuardBinaries(t *testing.T) {
	tests := []struct {
		fn          string
		first, next want
		sideEffect  func(t *testing.T, ctx context.Context, a *account)
		// extra runs between the bad events and the second good one.
		extra func(t *testing.T, ctx context.Context, api *runtimeapi.Server)
	}{
		{
			fn: "model-guard",
			// Network isolation is model-guard's first rule: it attaches the guardrail.
			first: want{"model-create-no-vpc.json", "sagemaker-model-network-isolation", "model/churn-xgb-public", "", finding.NonCompliant, "attach-guardrail"},
			next:  want{"model-create-in-vpc.json", "sagemaker-model-in-vpc", "model/churn-xgb-private", "", finding.Compliant, ""},
			sideEffect: func(t *testing.T, ctx context.Context, a *account) {
				out, err := iam.NewFromConfig(a.cfg).ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("MLEngineer")})
				if err != nil {
					t.Fatal(err)
				}
				if len(out.AttachedPolicies) != 1 || aws.ToString(out.AttachedPolicies[0].PolicyArn) != a.guardrail {
					t.Errorf("MLEngineer policies: got %+v; want the guardrail %s", out.AttachedPolicies, a.guardrail)
				}
			},
		},
		{
			fn:    "endpoint-guard",
			first: want{"endpoint-create-api-private-dns-off.json", "sagemaker-vpc-endpoint-private-dns", "", "vpce-0a1b2c3d4e5f60001", finding.NonCompliant, "enable-private-dns"},
			next:  want{"endpoint-create-runtime-private-dns-default.json", "sagemaker-vpc-endpoint-private-dns", "", "vpce-0a1b2c3d4e5f60002", finding.Compliant, ""},
			// moto accepts ModifyVpcEndpoint but ignores PrivateDnsEnabled,
			// so the done action is all there is to see.
		},
		{
			// Tickets only: the finding is filed, nothing is changed.
			fn:    "network-guard",
			first: want{"model-create-one-az.json", "sagemaker-model-vpc-multi-az", "model/forecast-one-az", "", finding.NonCompliant, "ticket:securityhub"},
			next:  want{"model-create-in-vpc.json", "sagemaker-model-vpc-multi-az", "model/churn-xgb-private", "", finding.Compliant, ""},
			sideEffect: func(t *testing.T, ctx context.Context, a *account) {
				tags, err := sagemaker.NewFromConfig(a.cfg).ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String("arn:aws:sagemaker:us-east-1:123456789012:model/forecast-one-az")})
				if err != nil {
					t.Fatal(err)
				}
				if len(tags.Tags) != 0 {
					t.Errorf("forecast-one-az tags: got %+v; want none (a ticket-only rule)", tags.Tags)
				}
			},
		},
		{
			fn:    "notebook-guard",
			first: want{"notebook-create-internet-enabled.json", "sagemaker-notebook-no-direct-internet-access", "notebook-instance/research-open", "", finding.NonCompliant, "stop-notebook"},
			next:  want{"notebook-create-private.json", "sagemaker-notebook-no-direct-internet-access", "notebook-instance/research-private", "", finding.Compliant, ""},
			sideEffect: func(t *testing.T, ctx context.Context, a *account) {
				out, err := sagemaker.NewFromConfig(a.cfg).DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("research-open")})
				if err != nil {
					t.Fatal(err)
				}
				if s := string(out.NotebookInstanceStatus); s != "Stopping" && s != "Stopped" {
					t.Errorf("research-open: got %s; want Stopping or Stopped", s)
				}
			},
			// A re-check batch with a message that is not a re-check: a
			// partial batch response naming it, so SQS redelivers only it.
			// (The other guards have no re-check queue.)
			extra: func(t *testing.T, ctx context.Context, api *runtimeapi.Server) {
				res, err := api.Invoke(ctx, []byte(`{"Records":[{"messageId":"m-bad","eventSource":"aws:sqs","body":"not a re-check"}]}`))
				if err != nil {
					t.Fatalf("Invoke SQS batch: %v", err)
				}
				if res.Err != nil || string(res.Payload) != `{"batchItemFailures":[{"itemIdentifier":"m-bad"}]}` {
					t.Errorf("SQS batch: got %s, error %v; want batchItemFailures naming m-bad", res.Payload, res.Err)
				}
			},
		},
		{
			fn:    "domain-guard",
			first: want{"domain-create-public.json", "sagemaker-studio-domain-vpc-only", "domain/d-studio-research", "", finding.NonCompliant, "tag"},
			next:  want{"domain-create-vpc-only.json", "sagemaker-studio-domain-vpc-only", "domain/d-studio-prod", "", finding.Compliant, ""},
			sideEffect: func(t *testing.T, ctx context.Context, a *account) {
				out, err := iam.NewFromConfig(a.cfg).ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("PlatformAdmin")})
				if err != nil {
					t.Fatal(err)
				}
				if len(out.AttachedPolicies) != 1 || aws.ToString(out.AttachedPolicies[0].PolicyArn) != a.guardrail {
					t.Errorf("PlatformAdmin policies: got %+v; want the guardrail %s", out.AttachedPolicies, a.guardrail)
				}
			},
		},
		{
			fn:    "job-guard",
			first: want{"job-automl-v2-no-vpc.json", "sagemaker-job-in-vpc", "automl-job/churn-autopilot", "", finding.NonCompliant, "stop-job"},
			next:  want{"job-automl-in-vpc.json", "sagemaker-job-in-vpc", "automl-job/fraud-autopilot", "", finding.Compliant, ""},
			sideEffect: func(t *testing.T, ctx context.Context, a *account) {
				out, err := sagemaker.NewFromConfig(a.cfg).DescribeAutoMLJobV2(ctx, &sagemaker.DescribeAutoMLJobV2Input{AutoMLJobName: aws.String("churn-autopilot")})
				if err != nil {
					t.Fatal(err)
				}
				if out.AutoMLJobStatus != "Stopped" {
					t.Errorf("churn-autopilot: got %s; want Stopped", out.AutoMLJobStatus)
				}
			},
		},
		{
			// It reads nothing and links IAM only: the guardrail on carol.
			fn:    "presigned-url-guard",
			first: want{"presigned-notebook-url-public-ip.json", "sagemaker-presigned-url-via-vpc-endpoint", "notebook-instance/research-open", "", finding.NonCompliant, "attach-guardrail"},
			next:  want{"presigned-domain-url-via-endpoint.json", "sagemaker-presigned-url-via-vpc-endpoint", "user-profile/d-studio-prod/alice", "", finding.Compliant, ""},
			sideEffect: func(t *testing.T, ctx context.Context, a *account) {
				out, err := iam.NewFromConfig(a.cfg).ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("carol")})
				if err != nil {
					t.Fatal(err)
				}
				if len(out.AttachedPolicies) != 1 || aws.ToString(out.AttachedPolicies[0].PolicyArn) != a.guardrail {
					t.Errorf("carol's policies: got %+v; want the guardrail %s", out.AttachedPolicies, a.guardrail)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			a := seed(t, ctx)
			api, p := start(t, ctx, tt.fn, a.env(tt.fn))
			if err := api.WaitForNext(ctx); err != nil {
				t.Fatalf("WaitForNext: %v", err)
			}
			pid := p.Pid()
			checkFinding(t, a, invokeGuard(t, ctx, api, a.sample(t, tt.first.sample)), tt.first)
			if tt.sideEffect != nil {
				tt.sideEffect(t, ctx, a)
			}
			for _, bad := range badEvents {
				res, err := api.Invoke(ctx, []byte(bad.payload))
				if err != nil {
					t.Fatalf("%s: Invoke: %v", bad.name, err)
				}
				if res.Err == nil {
					t.Errorf("%s: got result %s; want a function error", bad.name, res.Payload)
					continue
				}
				if res.Err.ErrorType == "" || !strings.Contains(res.Err.ErrorMessage, bad.want) {
					t.Errorf("%s: got errorType %q errorMessage %q; want a type and a message saying %q", bad.name, res.Err.ErrorType, res.Err.ErrorMessage, bad.want)
				}
				checkAlive(t, p, pid)
			}
			if tt.extra != nil {
				tt.extra(t, ctx, api)
				checkAlive(t, p, pid)
			}
			checkFinding(t, a, invokeGuard(t, ctx, api, a.sample(t, tt.next.sample)), tt.next)
			checkAlive(t, p, pid)
			logs := p.Stdout() + p.Stderr()
			for _, bad := range badEvents {
				reason := strings.TrimPrefix(bad.want, "bad event: ")
				if !strings.Contains(logs, `"event rejected"`) || !strings.Contains(logs, jsonFragment(reason)) {
					t.Errorf("%s: the function's log does not say 'event rejected' with %q", bad.name, reason)
				}
			}
			if e := api.InitError(); e != nil {
				t.Errorf("InitError: got %v; want nil", e)
			}
		})
	}
}

// jsonFragment is s as it appears inside a JSON string in the logs.
func jsonFragment(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// TestBackfillBinary: the backfill bootstrap returns a summary whose counts
// match the seeded account, refuses a bad input with an error naming the
// field, and serves the next good input from the same process.
func TestBackfillBinary(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	a := seed(t, ctx)
	api, p := start(t, ctx, "backfill", a.env("backfill"))
	if err := api.WaitForNext(ctx); err != nil {
		t.Fatalf("WaitForNext: %v", err)
	}
	pid := p.Pid()
	// Seeded: models churn-xgb-public (no VPC), churn-xgb-private (zones a
	// and b) and forecast-one-az (two subnets in a), none network-isolated;
	// notebooks research-open (internet on) and research-private;
	// sagemaker.api (private DNS off) and sagemaker.runtime endpoints and an
	// s3 gateway in ml-platform, and moto's default VPC; Studio domains
	// studio-research (public) and studio-prod (VpcOnly); AutoML jobs
	// churn-autopilot (no VPC) and fraud-autopilot. The s3 gateway is not a
	// SageMaker interface endpoint.
	wantCounts := map[string]map[finding.Status]int{
		"sagemaker-model-in-vpc":                       {finding.NonCompliant: 1, finding.Compliant: 2},
		"sagemaker-model-network-isolation":            {finding.NonCompliant: 3},
		"sagemaker-model-vpc-multi-az":                 {finding.NonCompliant: 1, finding.Compliant: 1, finding.NotApplicable: 1},
		"sagemaker-notebook-no-direct-internet-access": {finding.NonCompliant: 1, finding.Compliant: 1},
		"sagemaker-vpc-endpoint-private-dns":           {finding.NonCompliant: 1, finding.Compliant: 1},
		"sagemaker-vpc-private-path-complete":          {finding.Compliant: 1, finding.NotApplicable: 1},
		"sagemaker-studio-domain-vpc-only":             {finding.NonCompliant: 1, finding.Compliant: 1},
		"sagemaker-job-in-vpc":                         {finding.NonCompliant: 1, finding.Compliant: 1},
	}
	good := []byte(`{"regions":["us-east-1"],"mode":"report"}`)
	check := func(label string) {
		t.Helper()
		res, err := api.Invoke(ctx, good)
		if err != nil {
			t.Fatalf("%s: Invoke: %v", label, err)
		}
		if res.Err != nil {
			t.Fatalf("%s: got function error %s: %s; want the summary", label, res.Err.ErrorType, res.Err.ErrorMessage)
		}
		var s backfill.Summary
		if err := json.Unmarshal(res.Payload, &s); err != nil {
			t.Fatalf("%s: summary %s: %v", label, res.Payload, err)
		}
		if s.Resources != 13 || len(s.Errors) != 0 || strings.Join(s.Regions, ",") != region {
			t.Errorf("%s: got %d resources, errors %v, regions %v; want 13, none, [%s]", label, s.Resources, s.Errors, s.Regions, region)
		}
		if strings.Join(s.NotListed, ",") != "sagemaker-presigned-url-via-vpc-endpoint" {
			t.Errorf("%s: not listed %v; want the presigned URL rule (calls, not resources)", label, s.NotListed)
		}
		for rule, counts := range wantCounts {
			for status, n := range counts {
				if got := s.ByRule[rule][status]; got != n {
					t.Errorf("%s: %s %s: got %d; want %d (summary %v)", label, rule, status, got, n, s.ByRule)
				}
			}
			if len(s.ByRule[rule]) != len(counts) {
				t.Errorf("%s: %s: got %v; want only %v", label, rule, s.ByRule[rule], counts)
			}
		}
	}
	check("first run")
	for _, bad := range []struct{ payload, want string }{
		{`{"regions": 5}`, "bad input"},
		{`{"regions": 5}`, "regions"},
		{`{"region": "us-east-1"}`, `unknown field "region"`},
		{`{"mode": "fix-everything"}`, `mode: "fix-everything" is not report, ticket or enforce`},
		{`[1,2]`, "bad input"},
	} {
		res, err := api.Invoke(ctx, []byte(bad.payload))
		if err != nil {
			t.Fatalf("%s: Invoke: %v", bad.payload, err)
		}
		if res.Err == nil || res.Err.ErrorType == "" || !strings.Contains(res.Err.ErrorMessage, bad.want) {
			t.Errorf("%s: got %+v (payload %s); want an error with a type, saying %q", bad.payload, res.Err, res.Payload, bad.want)
		}
		checkAlive(t, p, pid)
	}
	check("after the bad inputs")
	checkAlive(t, p, pid)
}

// TestInitErrorNamesTheVariable: started with an invalid configuration,
// every function reports an init error in Lambda's shape to
// /runtime/init/error naming the variable and its value, then exits; it
// never polls for work.
func TestInitErrorNamesTheVariable(t *testing.T) {
	srv := motoserver.Require(t)
	for _, fn := range functions {
		t.Run(fn, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			env := append(srv.Env(region), "VPCGUARD_MODE=bogus")
			api, p := start(t, ctx, fn, env)
			err := api.WaitForNext(ctx)
			if err == nil {
				t.Fatalf("WaitForNext: got nil; want the init to fail")
			}
			select {
			case <-p.Done():
			case <-ctx.Done():
				t.Fatalf("process: still running; want it exited after the init error")
			}
			e := api.InitError()
			if e == nil {
				t.Fatalf("InitError: got nil; want the configuration error")
			}
			if e.ErrorType != setup.InitErrorType || !strings.Contains(e.ErrorMessage, `VPCGUARD_MODE: "bogus" is not report, ticket or enforce`) {
				t.Errorf("InitError: got %q %q; want %q naming VPCGUARD_MODE and its value", e.ErrorType, e.ErrorMessage, setup.InitErrorType)
			}
			if p.Err() == nil {
				t.Errorf("exit: got status 0; want a failure")
			}
		})
	}
}

// TestLogLevel: the functions log at the level Lambda sets from the stack's
// logLevel context key (ApplicationLogLevel, as AWS_LAMBDA_LOG_LEVEL with
// the JSON log format): a compliant finding is logged at INFO, so it is in
// the logs at INFO and not at ERROR.
func TestLogLevel(t *testing.T) {
	a := seed(t, context.Background())
	for _, tt := range []struct {
		level string
		want  bool
	}{{"INFO", true}, {"ERROR", false}} {
		t.Run(tt.level, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			api, p := start(t, ctx, "model-guard", a.env("model-guard", "AWS_LAMBDA_LOG_LEVEL="+tt.level))
			if err := api.WaitForNext(ctx); err != nil {
				t.Fatalf("init: %v", err)
			}
			res, err := api.Invoke(ctx, a.sample(t, "model-create-in-vpc.json"))
			if err != nil || res.Err != nil {
				t.Fatalf("invoke: %v %v", err, res.Err)
			}
			p.Stop()
			logged := strings.Contains(p.Stdout()+p.Stderr(), `"message":"finding"`)
			if logged != tt.want {
				t.Errorf("AWS_LAMBDA_LOG_LEVEL=%s: the INFO finding logged = %v; want %v\nlogs:\n%s%s", tt.level, logged, tt.want, p.Stdout(), p.Stderr())
			}
		})
	}
}

// TestBadCorpusThroughTheBinary sends the reliability/badinput corpus to
// the real model-guard bootstrap (every guard in the long run), one process
// for all of it. Only cases
// that are JSON are sent: Lambda's Invoke refuses anything else before a
// function sees it. Each bad case is a function error in Lambda's shape
// saying what is wrong; each well-formed event no rule evaluates is a
// result listing it as skipped with its reason; the process serves all.
func TestBadCorpusThroughTheBinary(t *testing.T) {
	cases, err := badinput.Corpus(false)
	if err != nil {
		t.Fatal(err)
	}
	guards := []string{"model-guard"}
	if os.Getenv("VPCGUARD_RELIABILITY") == "long" {
		guards = guardNames
	}
	for _, fn := range guards {
		t.Run(fn, func(t *testing.T) { sendCorpus(t, fn, cases) })
	}
}

func sendCorpus(t *testing.T, fn string, cases []badinput.Case) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	srv := motoserver.Require(t)
	// Report mode, and nothing seeded: none of these may reach AWS.
	api, p := start(t, ctx, fn, append(srv.Env(region), "VPCGUARD_MODE=report", "VPCGUARD_SINKS="))
	if err := api.WaitForNext(ctx); err != nil {
		t.Fatalf("WaitForNext: %v", err)
	}
	pid := p.Pid()
	sent := 0
	for _, c := range cases {
		if c.Long || !json.Valid(c.Data) || len(c.Data) > runtimeapi.MaxResponseBytes {
			continue
		}
		sent++
		res, err := api.Invoke(ctx, c.Data)
		if err != nil {
			t.Fatalf("%s: Invoke: %v", c.Name, err)
		}
		if c.Skipped {
			var resp guard.Response
			if res.Err != nil || json.Unmarshal(res.Payload, &resp) != nil || len(resp.Skipped) != 1 || !strings.Contains(resp.Skipped[0].Reason, c.Want) {
				t.Errorf("%s: got %s, error %v; want a result skipping it because %q", c.Name, res.Payload, res.Err, c.Want)
			}
			continue
		}
		if res.Err == nil || res.Err.ErrorType == "" || !strings.Contains(res.Err.ErrorMessage, "bad event: ") || !strings.Contains(res.Err.ErrorMessage, c.Want) {
			t.Errorf("%s: got result %.200s, error %+v; want a function error saying %q", c.Name, res.Payload, res.Err, c.Want)
		}
	}
	checkAlive(t, p, pid)
	t.Logf("sent %d of %d cases to one %s process", sent, len(cases), fn)
	if sent < 60 {
		t.Errorf("sent %d cases; want the corpus's JSON cases (60 or more)", sent)
	}
}
