package grants

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"

	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/jsii-runtime-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpcguard/vpcguard/infra/stack"
	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/internal/testenv/recorder"
	"github.com/vpcguard/vpcguard/internal/testenv/trail"
	"github.com/vpcguard/vpcguard/internal/testenv/world"
	"github.com/vpcguard/vpcguard/reliability/faults"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/creators"
)

func TestMain(m *testing.M) {
	os.Setenv("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
	os.Setenv("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
	testenv.Main(m)
}

const otherAccount = "210987654321"

// trailBucket holds the trail's log files the backfill reads for creators.
const trailBucket = "vpcguard-trail-logs"

// stackConfig switches on everything that adds a grant: every ticket sink,
// every rule enforced, the opt-in model deletion and domain switch, backfill
// across accounts, the creators looked up in the event history and the
// trail bucket.
func stackConfig(assets string) stack.Config {
	c := stack.DefaultConfig()
	c.AssetDir = assets
	c.Mode = "enforce"
	c.Sinks = config.Sinks
	c.DeleteNoncompliantModels = true
	c.SwitchDomainsToVPCOnly = true
	c.AssumeRoleName = "VpcGuardAudit"
	c.LookupCreators, c.TrailBucket, c.CreatorGuardrails = true, "s3://"+trailBucket, true
	return c
}

// TestGrantsAreTheCallsEachFunctionMakes: for every function the stack
// deploys, the AWS calls it makes on moto equal the actions its role is
// granted, less the permissions AWS uses on its behalf.
func TestGrantsAreTheCallsEachFunctionMakes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every function on moto and synthesizes the stack")
	}
	called := record(t)
	called[stack.OrchestratorName] = recordOrchestrator(t)
	granted := synthesize(t)
	dependent := map[string]bool{}
	for _, k := range rules.Kinds() {
		for _, op := range allOps(k) {
			if op.Dependent {
				dependent[op.Action] = true
			}
		}
	}
	for _, name := range stack.AllFunctionNames() {
		t.Run(name, func(t *testing.T) {
			calls, grants := called[name], granted[name]
			if len(calls) == 0 {
				t.Fatalf("no calls recorded: the scenario did not run %s", name)
			}
			for _, c := range sortedKeys(calls) {
				if !grants[c] {
					t.Errorf("%s calls %s, which its role is not granted: it would be AccessDenied on AWS", name, c)
				}
			}
			for _, g := range sortedKeys(grants) {
				if !calls[g] && !dependent[g] {
					t.Errorf("%s is granted %s, which it never calls: a grant nothing uses (remove it, or name why AWS needs it)", name, g)
				}
			}
		})
	}
}

func allOps(k rules.KindOps) []rules.Op {
	ops := slices.Concat(k.Read, k.List)
	for _, r := range k.Remedies {
		ops = append(ops, r...)
	}
	return ops
}

// record runs every function on moto and returns the IAM actions each
// called ("sagemaker:DescribeModel"). The guards get every sample event, in
// order, twice (a second delivery updates tickets), then the events that
// resolve tickets and re-check a Pending notebook; the backfill runs twice on
// a fresh account (a scheduled backfill's second run updates its tickets).
func record(t *testing.T) map[string]map[string]bool {
	t.Helper()
	ops := testenv.NewOpsCenter(t)
	rec := &recorder.Recorder{}
	pending := &pendingOnce{}
	ctx := context.Background()

	e, w := freshAccount(t)
	t.Setenv("AWS_ENDPOINT_URL_SSM", ops.URL()) // moto has no OpsCenter
	// moto's training, processing and tuning jobs are Completed at once, it
	// has no Stop*Job and no UpdateDomain: the SageMakerGaps fake (testenv)
	// keeps these three jobs running until stopped and answers the switch.
	gaps := testenv.NewSageMakerGaps(t, e.Server.URL)
	t.Setenv("AWS_ENDPOINT_URL_SAGEMAKER", gaps.URL())
	gaps.Running("TrainingJob", "churn-train-public")
	gaps.Running("ProcessingJob", "pipelines-x7k2m9-preprocess-4d1e8b")
	gaps.Running("HyperParameterTuningJob", "churn-hpo")
	history, err := trail.NewHistory() // nor LookupEvents: a fake
	if err != nil {
		t.Fatal(err)
	}
	defer history.Close()
	t.Setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", history.URL)
	base, err := awsclients.Load(ctx, testenv.Region, awsclients.WithMaxBackoff(1))
	if err != nil {
		t.Fatal(err)
	}
	base.APIOptions = append(base.APIOptions, rec.Option, pending.option)
	cfg := config.Default()
	cfg.Mode = "enforce"
	cfg.Sinks = config.Sinks
	cfg.SNSTopicARN = w.Topic
	cfg.GuardrailARN = w.Guardrail
	cfg.DeleteNoncompliantModels = true
	cfg.SwitchDomainsToVPCOnly = true
	cfg.RecheckQueueURL, cfg.RecheckDelaySeconds, cfg.RecheckMaxAttempts = e.RecheckQueueURL, 0, 3
	cfg.AssumeRoleName = "VpcGuardAudit"
	// One LookupEvents call, then the trail's log files: both are read.
	cfg.CreatorLookup, cfg.CreatorLookupMax, cfg.TrailBucket, cfg.CreatorGuardrails = true, 1, "s3://"+trailBucket, true
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	accounts := awsclients.NewAccounts(base, cfg.AssumeRoleName)
	accounts.SetHomeAccount(testenv.Account)

	// Every sample event, in the order it happened, to every guard, as
	// EventBridge delivers it (each guard skips what is not its own).
	handlers := map[string]*guard.Handler{}
	for _, fn := range rules.Guards() {
		handlers[fn.Name] = &guard.Handler{Guard: setup.Guard(cfg, accounts, fn.Rules, nil, kindsOf(t, fn)...)}
	}
	deliver := func(raw []byte) {
		for _, fn := range rules.Guards() {
			rec.SetLabel(fn.Name)
			for range 2 { // the second delivery updates the tickets the first opened
				_, _ = handlers[fn.Name].Handle(ctx, raw)
			}
		}
		rec.SetLabel("")
	}
	for _, step := range faults.Steps {
		// Each step finds no caller with the guardrail, so every guard that
		// judges it non-compliant attaches it (the calls and grants of
		// attaching are then every guard's, not only the first's).
		detachGuardrail(t, e, w.Guardrail)
		// Enforce mode with model deletion on may have deleted what a step
		// deletes: the event still comes.
		if step.Before != nil {
			if err := step.Before(ctx, w); err != nil {
				t.Logf("before %s: %v", step.File, err)
			}
		}
		deliver(w.Rewrite(testenv.Sample(t, step.File)))
	}
	// The tuning job is deleted: its ticket resolves. A presigned URL to
	// research-open is created through the VPC: that ticket resolves too.
	if _, err := e.SageMaker.DeleteHyperParameterTuningJob(ctx, &sagemaker.DeleteHyperParameterTuningJobInput{HyperParameterTuningJobName: aws.String("churn-hpo")}); err != nil {
		t.Fatalf("delete tuning job: %v", err)
	}
	deliver(w.Rewrite(testenv.Sample(t, "job-tuning-definition-without-vpc.json")))
	deliver(w.Rewrite(testenv.Sample(t, "presigned-notebook-url-private-ip.json", "research-private", "research-open")))
	// research-open, stopped by the guard, is deleted: its tickets resolve.
	if _, err := e.SageMaker.DeleteNotebookInstance(ctx, &sagemaker.DeleteNotebookInstanceInput{NotebookInstanceName: aws.String("research-open")}); err != nil {
		t.Fatalf("delete notebook: %v", err)
	}
	deliver(w.Rewrite([]byte(strings.ReplaceAll(string(testenv.Sample(t, "notebook-start.json")), "StartNotebookInstance", "DeleteNotebookInstance"))))
	// sandbox-scoring, ticketed by network-guard for its one zone, is
	// deleted: its tickets resolve.
	if _, err := e.SageMaker.DeleteModel(ctx, &sagemaker.DeleteModelInput{ModelName: aws.String("sandbox-scoring")}); err != nil {
		t.Fatalf("delete model: %v", err)
	}
	deliver(w.Rewrite([]byte(strings.ReplaceAll(string(testenv.Sample(t, "model-delete.json")), "churn-xgb-public", "sandbox-scoring"))))
	for _, fn := range rules.Guards() {
		if fn.Rechecks {
			rec.SetLabel(fn.Name)
			recheck(t, e, handlers[fn.Name], pending)
			rec.SetLabel("")
		}
	}

	e, w = freshAccount(t)
	gaps.Reset() // moto was: the jobs run again, no domain was switched
	gaps.Running("TrainingJob", "churn-train-public")
	gaps.Running("ProcessingJob", "pipelines-x7k2m9-preprocess-4d1e8b")
	gaps.Running("HyperParameterTuningJob", "churn-hpo")
	cfg.SNSTopicARN, cfg.GuardrailARN, cfg.RecheckQueueURL = w.Topic, w.Guardrail, e.RecheckQueueURL
	pending.set("team-sandbox") // found Pending by the backfill: a re-check is sent
	opts := setup.BackfillOptions(cfg, accounts, nil, guards.BackfillOnly, guards.Kinds...)
	opts.Accounts, opts.Regions = []string{testenv.Account, otherAccount}, []string{backfill.AllRegions}
	opts.Guard = setup.Guard(cfg, accounts, rules.All(), nil, guards.Kinds...)
	s3c := trail.S3(e.Config)
	if err := trail.NewBucket(ctx, s3c, trailBucket); err != nil {
		t.Fatal(err)
	}
	// The creators of two of the sample resources, a role's and a user's,
	// in the event history and in the trail's log files.
	now := time.Now()
	made := []trail.Record{trail.MustSample("model-create-no-vpc.json").At(now), trail.MustSample("notebook-create-internet-omitted.json").At(now)}
	history.Add(made...)
	if err := trail.Put(ctx, s3c, trailBucket, trail.Key("", "", testenv.Account, testenv.Region, now, "aaaaaaaaaaaaaaaa"),
		trail.Gzip(trail.LogFile(made...))); err != nil {
		t.Fatal(err)
	}
	rec.SetLabel(stack.BackfillName)
	run := func() {
		t.Helper()
		if opts.Creators, err = creators.Wiring(ctx, cfg, accounts, nil); err != nil {
			t.Fatalf("creators: %v", err)
		}
		if _, err := backfill.Run(ctx, opts); err != nil {
			t.Fatalf("backfill: %v", err)
		}
	}
	run()
	// Between two scheduled runs an owner exempts the api endpoint: the
	// second run resolves its tickets.
	rec.SetLabel("")
	if _, err := e.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{w.Endpoints[world.VpceAPI]},
		Tags: []ec2types.Tag{{Key: aws.String(cfg.ExemptTagKey), Value: aws.String("lab")}}}); err != nil {
		t.Fatalf("exempt the api endpoint: %v", err)
	}
	rec.SetLabel(stack.BackfillName)
	run()

	out := map[string]map[string]bool{}
	for _, c := range rec.Since(0) {
		if c.Label == "" {
			continue
		}
		if out[c.Label] == nil {
			out[c.Label] = map[string]bool{}
		}
		out[c.Label][iamAction(c)] = true
	}
	return out
}

// detachGuardrail takes the guardrail off every role and user that has it.
func detachGuardrail(t *testing.T, e *testenv.Env, policyARN string) {
	t.Helper()
	ctx := context.Background()
	out, err := e.IAM.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(policyARN)})
	if err != nil {
		t.Fatalf("list the guardrail's attachments: %v", err)
	}
	for _, r := range out.PolicyRoles {
		if _, err := e.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: r.RoleName, PolicyArn: aws.String(policyARN)}); err != nil {
			t.Fatalf("detach from role %s: %v", aws.ToString(r.RoleName), err)
		}
	}
	for _, u := range out.PolicyUsers {
		if _, err := e.IAM.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: u.UserName, PolicyArn: aws.String(policyARN)}); err != nil {
			t.Fatalf("detach from user %s: %v", aws.ToString(u.UserName), err)
		}
	}
}

// freshAccount resets moto and seeds the sample account with its resources,
// plus an endpoint configuration serving fraud-empty-subnets (a model outside
// a VPC), which opt-in model deletion must look up and then leave alone.
func freshAccount(t *testing.T) (*testenv.Env, *world.World) {
	t.Helper()
	e := testenv.New(t, testenv.Seed(testenv.SampleAccount|testenv.SampleResources))
	e.Setenv("")
	if _, err := e.SageMaker.CreateEndpointConfig(context.Background(), &sagemaker.CreateEndpointConfigInput{
		EndpointConfigName: aws.String("serving-fraud"),
		ProductionVariants: []smtypes.ProductionVariant{{VariantName: aws.String("main"), ModelName: aws.String("fraud-empty-subnets"),
			InstanceType: smtypes.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}},
	}); err != nil {
		t.Fatalf("create endpoint config: %v", err)
	}
	return e, e.World()
}

// iamAction names a recorded call as IAM does: the SDK's service id
// ("SecurityHub") lowercased, and the operation, but for the operations IAM
// authorizes under another action's name (Service Authorization Reference:
// S3's HeadBucket and ListObjectsV2 are s3:ListBucket; the Resource Groups
// Tagging API's prefix is tag).
func iamAction(c recorder.Call) string {
	a := strings.ToLower(strings.ReplaceAll(c.Service, " ", "")) + ":" + c.Op
	if renamed, ok := iamNames[a]; ok {
		return renamed
	}
	return a
}

var iamNames = map[string]string{"s3:HeadBucket": "s3:ListBucket", "s3:ListObjectsV2": "s3:ListBucket",
	"resourcegroupstaggingapi:GetResources":       "tag:GetResources",
	"configservice:SelectAggregateResourceConfig": "config:SelectAggregateResourceConfig"}

// recheck makes a notebook instance that is still Pending when its create
// call is evaluated (moto makes them InService at once; pendingOnce answers
// Pending once), then delivers the re-check message the guard sent.
func recheck(t *testing.T, e *testenv.Env, h *guard.Handler, pending *pendingOnce) {
	t.Helper()
	ctx := context.Background()
	e.Notebook("pending-one", smtypes.DirectInternetAccessEnabled, true)
	pending.set("pending-one")
	ev := strings.ReplaceAll(string(testenv.Sample(t, "notebook-create-internet-enabled.json")), "research-open", "pending-one")
	if _, err := h.Handle(ctx, json.RawMessage(ev)); err != nil {
		t.Fatalf("pending notebook event: %v", err)
	}
	msgs := e.Drain(e.RecheckQueueURL)
	if len(msgs) == 0 {
		t.Fatalf("no re-check was sent for a Pending notebook")
	}
	batch := events.SQSEvent{}
	for i, m := range msgs {
		batch.Records = append(batch.Records, events.SQSMessage{MessageId: string(rune('a' + i)), Body: m, EventSource: "aws:sqs"})
	}
	raw, _ := json.Marshal(batch)
	if _, err := h.Handle(ctx, raw); err != nil {
		t.Fatalf("re-check: %v", err)
	}
	var msg remediate.Recheck
	_ = json.Unmarshal([]byte(msgs[0]), &msg)
	if msg.Name != "pending-one" {
		t.Errorf("re-check message %+v; want pending-one", msg)
	}
}

// pendingOnce is SDK middleware that answers DescribeNotebookInstance for
// one named instance with status Pending, once: moto creates instances
// InService, and a Pending one is what makes the guard schedule a re-check.
type pendingOnce struct{ name string }

func (p *pendingOnce) set(name string) { p.name = name }

func (p *pendingOnce) option(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("grants/pending",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if awsmiddleware.GetOperationName(ctx) != "DescribeNotebookInstance" || err != nil || p.name == "" {
				return out, md, err
			}
			if o, ok := out.Result.(*sagemaker.DescribeNotebookInstanceOutput); ok && aws.ToString(o.NotebookInstanceName) == p.name {
				o.NotebookInstanceStatus = smtypes.NotebookInstanceStatusPending
				p.name = ""
			}
			return out, md, err
		}), middleware.Before) // outside the deserializer: the result is decoded
}

// kindsOf is the kinds a guard function is made of, as
// functions/<name>/main.go wires them (guards.FunctionKinds, checked below):
// one for each of its rules' kinds.
func kindsOf(t *testing.T, fn rules.Function) []setup.Kind {
	t.Helper()
	out, ok := guards.FunctionKinds[fn.Name]
	if !ok {
		t.Fatalf("%s: no kinds in guards.FunctionKinds", fn.Name)
	}
	for _, r := range fn.Rules {
		if !slices.ContainsFunc(out, func(k setup.Kind) bool { return k.Kind == r.Kind() }) {
			t.Fatalf("%s: no kind wiring for %s's %s", fn.Name, r.Name(), r.Kind())
		}
	}
	return out
}

// synthesize builds the stack with everything on and returns, per function,
// the actions its role is granted, less those AWS uses on its behalf: the
// Lambda service writes its logs, sends failed invocations to its DLQ, polls
// the re-check queue for it and writes X-Ray segments; SNS uses the topic's
// KMS key for the publisher.
func synthesize(t *testing.T) map[string]map[string]bool {
	t.Helper()
	dir := t.TempDir()
	for _, name := range stack.AllFunctionNames() {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "bootstrap"), []byte("placeholder"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(dir, "cdk.out"))})
	st := stack.NewVpcGuardStack(app, "Grants", nil, stackConfig(dir), rules.Guards())
	// The orchestrator is only in an organization's central stack.
	oc := orgStackConfig(dir)
	if err := oc.Validate(); err != nil {
		t.Fatal(err)
	}
	org, err := stack.NewOrganizationStacks(app, nil, oc, rules.Guards())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	resources := templateResources(t, st.Stack)
	for _, g := range st.Guards {
		out[g.Name] = grantsOf(resources, *st.GetLogicalId(g.Fn.Role.Node().DefaultChild().(awscdk.CfnElement)))
	}
	central := org.Central
	role := central.OrgBackfill.Orchestrator.Fn.Role
	out[stack.OrchestratorName] = grantsOf(templateResources(t, central.Stack), *central.GetLogicalId(role.Node().DefaultChild().(awscdk.CfnElement)))
	jsii.Close()
	return out
}

func templateResources(t *testing.T, st awscdk.Stack) map[string]any {
	t.Helper()
	var tmpl map[string]any
	b, _ := json.Marshal(assertions.Template_FromStack(st, nil).ToJSON())
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	return tmpl["Resources"].(map[string]any)
}

// grantsOf is the actions the identity policies of a role (by logical id)
// grant, less those AWS uses on the function's behalf.
func grantsOf(resources map[string]any, role string) map[string]bool {
	grants := map[string]bool{}
	for _, r := range resources {
		r := r.(map[string]any)
		if r["Type"] != "AWS::IAM::Policy" {
			continue
		}
		p := r["Properties"].(map[string]any)
		if !refersTo(p["Roles"], role) {
			continue
		}
		for _, s := range list(p["PolicyDocument"].(map[string]any)["Statement"]) {
			s := s.(map[string]any)
			if awsOnBehalf(s) {
				continue
			}
			for _, a := range list(s["Action"]) {
				grants[a.(string)] = true
			}
		}
	}
	return grants
}

// awsOnBehalf reports whether a statement grants what AWS uses for the
// function rather than what its code calls.
func awsOnBehalf(s map[string]any) bool {
	for _, a := range list(s["Action"]) {
		switch a := a.(string); {
		case strings.HasPrefix(a, "logs:"), strings.HasPrefix(a, "xray:"), strings.HasPrefix(a, "kms:"):
		case a == "sqs:ReceiveMessage", a == "sqs:ChangeMessageVisibility", a == "sqs:DeleteMessage",
			a == "sqs:GetQueueAttributes", a == "sqs:GetQueueUrl":
		case a == "sqs:SendMessage" && strings.Contains(mustJSON(s["Resource"]), "FailureDLQ"):
		default:
			return false
		}
	}
	return true
}

func refersTo(roles any, logicalID string) bool {
	for _, r := range list(roles) {
		if m, ok := r.(map[string]any); ok && m["Ref"] == logicalID {
			return true
		}
	}
	return false
}

func list(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case nil:
		return nil
	}
	return []any{v}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestMainsAreMadeOfTheirRulesKinds: each guard's main wires exactly the
// kind packages kindsOf assumes above: the packages of guards.FunctionKinds'
// readers (setup/models, setup/networks, ...).
func TestMainsAreMadeOfTheirRulesKinds(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	const setupPkg = "github.com/vpcguard/vpcguard/shared/setup/"
	for _, fn := range rules.Guards() {
		cmd := exec.Command("go", "list", "-f", "{{join .Imports \" \"}}", "./functions/"+fn.Name)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", fn.Name, err)
		}
		var got, want []string
		for _, p := range strings.Fields(string(out)) {
			if kind, ok := strings.CutPrefix(p, setupPkg); ok && kind != "regions" {
				got = append(got, kind)
			}
		}
		for _, k := range kindsOf(t, fn) {
			// The package whose code reads the kind: the Reader func's (the
			// Remediation's for a kind nothing reads: presigned URL calls).
			var fn any = k.Reader
			if k.Reader == nil {
				fn = k.Remediation
			}
			name := runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
			pkg, _, _ := strings.Cut(strings.TrimPrefix(name, setupPkg), ".")
			if !slices.Contains(want, pkg) {
				want = append(want, pkg)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("functions/%s wires the kinds of %v; guards.FunctionKinds says %v", fn.Name, got, want)
		}
	}
}
