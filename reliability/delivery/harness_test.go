package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpcguard/vpcguard/events"
	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/internal/testenv/estate"
	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/internal/testenv/isolation"
	"github.com/vpcguard/vpcguard/internal/testenv/recorder"
	sampleworld "github.com/vpcguard/vpcguard/internal/testenv/world" // the type world is this harness's
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/rules"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	region = sampleworld.Region
	acct   = testenv.Account
)

// long is the `make reliability` form: more shuffled orders.
func long() bool { return os.Getenv("VPCGUARD_RELIABILITY") == "long" }

// timeline is every sample event in the order its call happened. The S3
// log file comes last: it repeats calls made earlier, as log files do.
var timeline = []string{
	"model-create-no-vpc.json",
	"model-create-in-vpc.json",
	"model-create-empty-subnets.json",
	"model-create-denied.json",
	"notebook-create-internet-enabled.json",
	"notebook-create-internet-omitted.json",
	"notebook-create-private.json",
	"notebook-start.json",
	"endpoint-create-api-private-dns-off.json",
	"endpoint-create-runtime-private-dns-default.json",
	"endpoint-create-notebook-private-dns-off.json",
	"endpoint-create-s3-gateway.json",
	"endpoint-create-ssm-private-dns-off.json",
	"endpoint-modify-private-dns-off.json",
	"endpoint-delete.json",
	"model-delete.json",
	"model-create-network-isolation.json",
	"model-create-one-subnet.json",
	"model-create-one-az.json",
	"endpoint-create-notebook-no-api.json",
	"cloudtrail-log-file.json",
	"domain-create-vpc-only.json",
	"domain-create-public.json",
	"domain-create-network-omitted.json",
	"domain-update-public.json",
	"domain-update-settings.json",
	"job-training-no-vpc.json",
	"job-training-in-vpc.json",
	"job-tuning-definition-without-vpc.json",
	"job-training-tuning-child.json",
	"job-processing-pipeline-step.json",
	"job-automl-v2-no-vpc.json",
	"job-automl-in-vpc.json",
	"presigned-domain-url-public-ip.json",
	"presigned-domain-url-via-endpoint.json",
	"presigned-domain-url-sso-role.json",
	"presigned-notebook-url-public-ip.json",
	"presigned-notebook-url-private-ip.json",
}

// The vpce ids the sample events carry, and the label of the endpoint each
// stands for; moto makes up its own ids, so the events are rewritten.
const (
	vpceAPI      = sampleworld.VpceAPI      // sagemaker.api, private DNS off, then deleted
	vpceRuntime  = sampleworld.VpceRuntime  // sagemaker.runtime, default on, then turned off
	vpceNotebook = sampleworld.VpceNotebook // notebook, private DNS off
	vpceS3       = sampleworld.VpceS3       // s3 gateway
	vpceSSM      = sampleworld.VpceSSM      // ssm, not SageMaker
	// the sandbox VPC's notebook endpoint (private DNS on; no API endpoint there)
	vpceSandboxNotebook = sampleworld.VpceSandboxNotebook
)

var endpointLabels = func() map[string]string {
	labels := map[string]string{}
	for _, ep := range sampleworld.Endpoints {
		labels[ep.ID] = ep.Label
	}
	return labels
}()

// guardFn is one guard Lambda, as functions/<name>/main.go builds it (its
// row of rules.Guards, its kinds), and its execution role, named the way CDK
// names a function's role.
type guardFn struct {
	name string
	role string
	h    *guard.Handler
}

func (g *guardFn) roleARN() string { return "arn:aws:iam::" + acct + ":role/" + g.role }

func guardFns() []*guardFn {
	var out []*guardFn
	for i, fn := range rules.Guards() {
		out = append(out, &guardFn{name: fn.Name, role: fmt.Sprintf("vpcguard-%sHandlerServiceRole%08X-%d", strings.ReplaceAll(fn.Name, "-", ""), i*2654435761, i)})
	}
	return out
}

// remediationWrites are the writes that change a resource or a principal,
// as opposed to a ticket.
var remediationWrites = []string{
	"AttachRolePolicy", "AttachUserPolicy", "StopNotebookInstance", "AddTags", "DeleteModel",
	"ModifyVpcEndpoint", "CreateTags", "SendMessage",
	"StopTrainingJob", "StopProcessingJob", "StopHyperParameterTuningJob", "StopAutoMLJob", "UpdateDomain",
}

// call is one write a guard sent.
type call struct {
	guard string
	op    string
	in    any
}

// since are the writes the guards sent after mark (w.Recorder.Mark).
func (w *world) since(mark int) []call {
	var out []call
	for _, c := range recorder.WritesOf(w.Recorder.Since(mark)) {
		out = append(out, call{guard: c.Label, op: c.Op, in: c.Input})
	}
	return out
}

// privateDNS makes moto keep what ModifyVpcEndpoint says about private DNS:
// moto 5.2.1 accepts the parameter and ignores it. The value last sent for
// an endpoint is put on DescribeVpcEndpoints answers, as AWS would report
// it. Nothing else about the endpoint is faked.
type privateDNS struct {
	mu  sync.Mutex
	set map[string]bool
}

func (p *privateDNS) option(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("delivery/fake-private-dns",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if err != nil {
				return out, md, err
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			switch v := in.Parameters.(type) {
			case *ec2.ModifyVpcEndpointInput:
				if v.PrivateDnsEnabled != nil {
					p.set[aws.ToString(v.VpcEndpointId)] = *v.PrivateDnsEnabled
				}
			case *ec2.DescribeVpcEndpointsInput:
				if o, ok := out.Result.(*ec2.DescribeVpcEndpointsOutput); ok {
					for i := range o.VpcEndpoints {
						if on, ok := p.set[aws.ToString(o.VpcEndpoints[i].VpcEndpointId)]; ok {
							o.VpcEndpoints[i].PrivateDnsEnabled = aws.Bool(on)
						}
					}
				}
			}
			return out, md, err
		}), middleware.After)
}

// world is a moto account in which the calls of the sample events were
// made, and the three guards, in enforce mode with Security Hub and SNS
// tickets, on the env's clients, whose requests the env's Recorder keeps
// with the guard that sent them.
type world struct {
	*testenv.Env
	t       *testing.T
	actor   aws.Config // the people making the sample calls: not recorded
	clients estate.Clients
	ids     map[string]string // sample vpce id -> moto's id
	domains map[string]string // sample Studio domain id -> moto's id
	network map[string]string // sample VPC and subnet ids -> moto's
	sandbox *estate.Network   // the VPC with a notebook endpoint and nothing else
	guards  []*guardFn
	seq     int  // feedback event ids
	noFeed  bool // run delivers no feedback events
}

type worldOptions struct {
	deleteModels bool // VPCGUARD_DELETE_NONCOMPLIANT_MODELS
}

// newWorld resets moto and seeds the account the sample events talk about
// (testenv.SampleAccount, and the sandbox VPC) and the guards' own roles.
// No sample call is made yet. Every client, the people's and the guards',
// sees private DNS and models' network isolation as AWS would (moto
// ignores both: privateDNS and isolation.Models are fakes for that).
func newWorld(t *testing.T, opts worldOptions) *world {
	t.Helper()
	dns := &privateDNS{set: map[string]bool{}}
	iso := &isolation.Models{}
	fns := guardFns()
	var roles []string
	for _, g := range fns {
		roles = append(roles, g.role)
	}
	e := testenv.New(t, testenv.Roles(roles...), testenv.APIOptions(dns.option, iso.Option))
	w := &world{Env: e, t: t, ids: map[string]string{}, domains: map[string]string{}, guards: fns}
	w.actor = e.Server.Config(region)
	w.actor.APIOptions = append(w.actor.APIOptions, dns.option, iso.Option)
	w.clients = estate.New(w.actor)
	sandbox, err := w.clients.NewSandbox(context.Background(), region)
	if err != nil {
		t.Fatalf("seed the sandbox VPC: %v", err)
	}
	w.sandbox, w.network = sandbox, sampleworld.NetworkIDs(e.Net, sandbox)

	// The guards, built as the Lambdas build them.
	c := e.GuardConfig(mode.Enforce)
	c.DeleteNoncompliantModels = opts.deleteModels
	for _, g := range w.guards { // as infra/stack/stack.go protects the guards' own roles
		c.ProtectedPrincipals = append(c.ProtectedPrincipals, g.roleARN())
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	for _, g := range w.guards {
		h, err := guards.Function(c, e.Config, g.name)
		if err != nil {
			t.Fatal(err)
		}
		g.h = h
	}
	return w
}

// makeCalls makes the call each named sample event records, as the person
// in the event did.
func (w *world) makeCalls(names ...string) {
	w.t.Helper()
	for _, name := range names {
		if err := w.makeCall(name); err != nil {
			w.t.Fatalf("make the call of %s: %v", name, err)
		}
	}
}

func (w *world) makeCall(name string) error {
	ctx := context.Background()
	c, net := w.clients, w.Net
	endpoint := func(sample, service string, privateDNS *bool) error {
		id, err := c.Endpoint(ctx, net, service, privateDNS, endpointLabels[sample])
		w.ids[sample] = id
		return err
	}
	switch name {
	case "model-create-no-vpc.json":
		return c.Model(ctx, "churn-xgb-public", nil, nil)
	case "model-create-in-vpc.json":
		return c.Model(ctx, "churn-xgb-private", net, nil)
	case "model-create-empty-subnets.json":
		return c.Model(ctx, "fraud-empty-subnets", nil, nil)
	case "model-delete.json":
		_, err := c.SageMaker.DeleteModel(ctx, &sagemaker.DeleteModelInput{ModelName: aws.String("churn-xgb-public")})
		return err
	case "notebook-create-internet-enabled.json":
		return c.Notebook(ctx, "research-open", "Enabled", net.Subnets[0], net)
	case "notebook-create-internet-omitted.json":
		return c.Notebook(ctx, "quickstart-default", "", "", nil)
	case "notebook-create-private.json":
		return c.Notebook(ctx, "research-private", "Disabled", net.Subnets[0], net)
	case "notebook-start.json":
		// Starting an instance that runs already is refused; dave's start
		// matters only after a stop.
		if w.notebookStatus("research-open") != "Stopped" {
			return nil
		}
		_, err := c.SageMaker.StartNotebookInstance(ctx, &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String("research-open")})
		return err
	case "endpoint-create-api-private-dns-off.json":
		return endpoint(vpceAPI, "com.amazonaws.us-east-1.sagemaker.api", aws.Bool(false))
	case "endpoint-create-runtime-private-dns-default.json":
		return endpoint(vpceRuntime, "com.amazonaws.us-east-1.sagemaker.runtime", nil)
	case "endpoint-create-notebook-private-dns-off.json":
		return endpoint(vpceNotebook, "aws.sagemaker.us-east-1.notebook", aws.Bool(false))
	case "endpoint-create-ssm-private-dns-off.json":
		return endpoint(vpceSSM, "com.amazonaws.us-east-1.ssm", aws.Bool(false))
	case "endpoint-create-s3-gateway.json":
		id, err := c.Gateway(ctx, net, "com.amazonaws.us-east-1.s3")
		w.ids[vpceS3] = id
		return err
	case "endpoint-modify-private-dns-off.json":
		_, err := c.EC2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(w.ids[vpceRuntime]), PrivateDnsEnabled: aws.Bool(false)})
		return err
	case "endpoint-delete.json":
		_, err := c.EC2.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{w.ids[vpceAPI]}})
		return err
	case "model-create-network-isolation.json":
		return c.CreateModel(ctx, "fraud-isolated", estate.ModelSpec{Subnets: net.Subnets, SecurityGroups: []string{net.SecurityGroup}, Isolated: true})
	case "model-create-one-subnet.json":
		return c.CreateModel(ctx, "sandbox-scoring", estate.ModelSpec{Subnets: w.sandbox.Subnets, SecurityGroups: []string{w.sandbox.SecurityGroup}})
	case "model-create-one-az.json":
		return c.CreateModel(ctx, "forecast-one-az", estate.ModelSpec{Subnets: []string{net.Subnets[0], net.SameZone}, SecurityGroups: []string{net.SecurityGroup}})
	case "endpoint-create-notebook-no-api.json":
		id, err := c.Endpoint(ctx, w.sandbox, "aws.sagemaker.us-east-1.notebook", aws.Bool(true), endpointLabels[vpceSandboxNotebook])
		w.ids[vpceSandboxNotebook] = id
		return err
	case "model-create-denied.json", "cloudtrail-log-file.json":
		return nil // a refused call changes nothing; the log file repeats earlier calls
	case "domain-create-vpc-only.json", "domain-create-public.json", "domain-create-network-omitted.json", "domain-update-public.json":
		// moto has no UpdateDomain: studio-finance is made as its update
		// left it (sampleworld.Domains says how each ends).
		for _, d := range sampleworld.Domains {
			if strings.Contains(string(w.raw(name)), d.ID) {
				id, err := c.Domain(ctx, d.Name, d.Access, net, nil)
				w.domains[d.ID] = id
				return err
			}
		}
		return fmt.Errorf("%s names no sample domain", name)
	case "domain-update-settings.json":
		return nil // studio-prod's users' settings: nothing vpcguard reads
	case "job-training-no-vpc.json":
		return c.TrainingJob(ctx, "churn-train-public", nil)
	case "job-training-in-vpc.json":
		return c.TrainingJob(ctx, "churn-train-private", net)
	case "job-training-tuning-child.json":
		return c.TrainingJob(ctx, "churn-hpo-001-6f3c2a1b", nil)
	case "job-tuning-definition-without-vpc.json":
		return c.TuningJob(ctx, "churn-hpo", net, true, false)
	case "job-processing-pipeline-step.json":
		return c.ProcessingJob(ctx, "pipelines-x7k2m9-preprocess-4d1e8b", nil, map[string]string{"sagemaker:pipeline-execution-arn": sampleworld.PipelineExecution})
	case "job-automl-v2-no-vpc.json":
		return c.AutoMLJob(ctx, "churn-autopilot", nil)
	case "job-automl-in-vpc.json":
		// moto has no CreateAutoMLJob (V1); V2 makes the same job.
		return c.AutoMLJob(ctx, "fraud-autopilot", net)
	case "presigned-domain-url-public-ip.json", "presigned-domain-url-via-endpoint.json", "presigned-domain-url-sso-role.json",
		"presigned-notebook-url-public-ip.json", "presigned-notebook-url-private-ip.json":
		return nil // a presigned URL changes nothing in the account (and moto has no such call)
	}
	return fmt.Errorf("no call known for %s", name)
}

// raw is events/<name> as it is.
func (w *world) raw(name string) []byte {
	w.t.Helper()
	raw, err := events.FS.ReadFile(name)
	if err != nil {
		w.t.Fatalf("read events/%s: %v", name, err)
	}
	return raw
}

// sample is events/<name> with the sample vpce, VPC, subnet and domain ids
// replaced by moto's.
func (w *world) sample(name string) json.RawMessage {
	w.t.Helper()
	s := string(w.raw(name))
	for _, ids := range []map[string]string{w.ids, w.network, w.domains} {
		for sample, id := range ids {
			s = strings.ReplaceAll(s, sample, id)
		}
	}
	return json.RawMessage(s)
}

// delivery is one event handed to the guards.
type delivery struct {
	name string // the sample's file name, or what the feedback event is
	raw  json.RawMessage
}

// outcome is what one delivery did: the findings of every guard, and the
// writes each guard sent.
type outcome struct {
	findings []finding.Finding
	writes   []call
}

// deliver hands raw to every guard, as EventBridge would to each guard's
// rule that matches it (a guard skips what it does not evaluate).
func (w *world) deliver(d delivery) (outcome, error) {
	var out outcome
	var errs []string
	for _, g := range w.guards {
		w.Recorder.SetLabel(g.name)
		mark := w.Recorder.Mark()
		res, err := g.h.Handle(context.Background(), d.raw)
		if err != nil {
			errs = append(errs, g.name+": "+err.Error())
		}
		if r, ok := res.(guard.Response); ok {
			out.findings = append(out.findings, r.Findings...)
		}
		out.writes = append(out.writes, w.since(mark)...)
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%s: %s", d.name, strings.Join(errs, "; "))
	}
	return out, nil
}

// maxFeedbackRounds bounds how many generations of feedback events a run
// may cause before it is called a loop.
const maxFeedbackRounds = 5

// run delivers queue, feeding back the CloudTrail event of every write the
// guards make, until nothing is left: with rng nil, each feedback event is
// delivered right after the delivery that caused it; otherwise at a random
// later point. It fails the test if a feedback event causes writes of its
// own generation after generation (a loop). It returns the deliveries in
// the order made.
func (w *world) run(label string, queue []delivery, rng *rand.Rand) []string {
	w.t.Helper()
	type item struct {
		delivery
		gen int
	}
	q := make([]item, 0, len(queue))
	for _, d := range queue {
		q = append(q, item{delivery: d})
	}
	var order []string
	for len(q) > 0 {
		it := q[0]
		q = q[1:]
		order = append(order, it.name)
		out, err := w.deliver(it.delivery)
		if err != nil {
			w.t.Errorf("%s: deliver %s: %v", label, it.name, err)
		}
		var fb []item
		for _, c := range out.writes {
			if w.noFeed {
				break
			}
			if d, ok := w.feedback(c); ok {
				fb = append(fb, item{delivery: d, gen: it.gen + 1})
			}
		}
		if len(fb) > 0 && it.gen+1 > maxFeedbackRounds {
			w.t.Fatalf("%s: feedback generation %d still writes (%s caused %d writes): vpcguard acts on its own changes in a loop", label, it.gen, it.name, len(out.writes))
		}
		if rng == nil {
			q = append(fb, q...)
			continue
		}
		for _, f := range fb {
			i := rng.IntN(len(q) + 1)
			q = slices.Insert(q, i, f)
		}
	}
	return order
}

// notebookStatus is a notebook's status, or "" when it cannot be read.
func (w *world) notebookStatus(name string) string {
	out, err := w.clients.SageMaker.DescribeNotebookInstance(context.Background(), &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	if err != nil {
		return ""
	}
	return string(out.NotebookInstanceStatus)
}

// settled checks that no notebook re-check is queued: one would mean a
// notebook was still Pending and the state read now not the end state.
// Nothing is waited for: moto applies every call before it answers.
func (w *world) settled(label string) {
	w.t.Helper()
	out, err := w.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(w.RecheckQueueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed, sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		w.t.Fatalf("%s: re-check queue: %v", label, err)
	}
	for k, v := range out.Attributes {
		if v != "0" {
			w.t.Errorf("%s: re-check queue %s = %s; want no re-check pending", label, k, v)
		}
	}
}

// primary is every sample event delivered copies times, in timeline order.
func (w *world) primary(copies int) []delivery {
	var out []delivery
	for _, name := range timeline {
		for range copies {
			out = append(out, delivery{name: name, raw: w.sample(name)})
		}
	}
	return out
}

func shuffled(ds []delivery, rng *rand.Rand) []delivery {
	out := slices.Clone(ds)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func index(order []string, name string) int { return slices.Index(order, name) }
