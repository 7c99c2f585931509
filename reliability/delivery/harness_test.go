package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/vpcguard/vpcguard/events"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill/estate"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/motoserver"
	"github.com/vpcguard/vpcguard/shared/remediate"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/ticket"
)

func TestMain(m *testing.M) { motoserver.Main(m.Run) }

const (
	region = "us-east-1"
	acct   = motoserver.Account
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
	"cloudtrail-log-file.json",
}

// The vpce ids the sample events carry, and the label of the endpoint each
// stands for; moto makes up its own ids, so the events are rewritten.
const (
	vpceAPI      = "vpce-0a1b2c3d4e5f60001" // sagemaker.api, private DNS off, then deleted
	vpceRuntime  = "vpce-0a1b2c3d4e5f60002" // sagemaker.runtime, default on, then turned off
	vpceNotebook = "vpce-0a1b2c3d4e5f60003" // notebook, private DNS off
	vpceS3       = "vpce-0a1b2c3d4e5f60004" // s3 gateway
	vpceSSM      = "vpce-0a1b2c3d4e5f60005" // ssm, not SageMaker
)

var endpointLabels = map[string]string{
	vpceAPI: "sagemaker.api", vpceRuntime: "sagemaker.runtime", vpceNotebook: "notebook", vpceS3: "s3", vpceSSM: "ssm",
}

// guardFn is one guard Lambda: its rule, as functions/<name>/main.go has it,
// and its execution role, named as CDK names a function's role.
type guardFn struct {
	name string
	role string
	rule rules.Rule
	h    *guard.Handler
}

func (g *guardFn) roleARN() string { return "arn:aws:iam::" + acct + ":role/" + g.role }

func guardFns() []*guardFn {
	return []*guardFn{
		{name: "model-guard", role: "vpcguard-ModelGuardHandlerServiceRoleA1B2C3D4-1QWERTY", rule: rules.ModelInVPC{}},
		{name: "endpoint-guard", role: "vpcguard-EndpointGuardHandlerServiceRoleE5F6A7B8-2ASDFGH", rule: rules.EndpointPrivateDNS{}},
		{name: "notebook-guard", role: "vpcguard-NotebookGuardHandlerServiceRoleC9D0E1F2-3ZXCVBN", rule: rules.NotebookNoDirectInternet{}},
	}
}

// writes are the operations that change something in AWS.
var writes = []string{
	"AttachRolePolicy", "AttachUserPolicy", "StopNotebookInstance", "AddTags", "DeleteModel",
	"ModifyVpcEndpoint", "CreateTags", "SendMessage", "BatchImportFindings", "Publish",
}

// remediationWrites are the writes that change a resource or a principal,
// as opposed to a ticket.
var remediationWrites = []string{
	"AttachRolePolicy", "AttachUserPolicy", "StopNotebookInstance", "AddTags", "DeleteModel",
	"ModifyVpcEndpoint", "CreateTags", "SendMessage",
}

// recorder is smithy middleware on the guards' clients that keeps every
// write request, its input and the guard that sent it.
type recorder struct {
	mu      sync.Mutex
	current string
	calls   []call
}

type call struct {
	guard string
	op    string
	in    any
}

func (r *recorder) option(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("delivery/record",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			op := awsmiddleware.GetOperationName(ctx)
			if slices.Contains(writes, op) {
				r.mu.Lock()
				r.calls = append(r.calls, call{guard: r.current, op: op, in: in.Parameters})
				r.mu.Unlock()
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

func (r *recorder) setGuard(name string) {
	r.mu.Lock()
	r.current = name
	r.mu.Unlock()
}

func (r *recorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func (r *recorder) since(mark int) []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls[mark:])
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
// tickets, on clients that record their writes.
type world struct {
	t        *testing.T
	srv      *motoserver.Server
	rec      *recorder
	actor    aws.Config // the people making the sample calls: not recorded
	clients  estate.Clients
	iam      *iam.Client
	sqs      *sqs.Client
	hub      *securityhub.Client
	net      *estate.Network
	ids      map[string]string // sample vpce id -> moto's id
	guards   []*guardFn
	modelGR  string
	nbGR     string
	topic    string
	inboxURL string
	queueURL string
	seq      int  // feedback event ids
	noFeed   bool // run delivers no feedback events
}

type worldOptions struct {
	deleteModels bool // VPCGUARD_DELETE_NONCOMPLIANT_MODELS
}

// newWorld resets moto and seeds the account the sample events talk about:
// a VPC, the callers, the guardrail policies, the SNS topic with an SQS
// inbox subscribed, the re-check queue, and the guards' own roles. No
// sample call is made yet.
func newWorld(t *testing.T, opts worldOptions) *world {
	t.Helper()
	srv := motoserver.Require(t)
	dns := &privateDNS{set: map[string]bool{}}
	w := &world{t: t, srv: srv, rec: &recorder{}, ids: map[string]string{}, guards: guardFns()}
	w.actor = srv.Config(region)
	w.actor.APIOptions = append(w.actor.APIOptions, dns.option)
	w.clients = estate.New(w.actor)
	w.iam, w.sqs, w.hub = iam.NewFromConfig(w.actor), sqs.NewFromConfig(w.actor), securityhub.NewFromConfig(w.actor)
	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed: %s: %v", what, err)
		}
	}
	net, err := w.clients.NewNetwork(ctx, region)
	must("network", err)
	w.net = net
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	roles := []string{"MLEngineer", "DataScientist", "NetworkAdmin", "SageMakerExecution"}
	for _, g := range w.guards {
		roles = append(roles, g.role)
	}
	for _, name := range roles {
		_, err := w.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
		must("role "+name, err)
	}
	for _, name := range []string{"bob", "carol"} {
		_, err := w.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
		must("user "+name, err)
	}
	for name, arn := range map[string]*string{"vpcguard-model-guardrail": &w.modelGR, "vpcguard-notebook-guardrail": &w.nbGR} {
		out, err := w.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sagemaker:CreateModel","Resource":"*"}]}`)})
		must("policy "+name, err)
		*arn = aws.ToString(out.Policy.Arn)
	}
	q, err := w.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("vpcguard-rechecks")})
	must("re-check queue", err)
	w.queueURL = aws.ToString(q.QueueUrl)
	topic, err := sns.NewFromConfig(w.actor).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("vpcguard-findings")})
	must("topic", err)
	w.topic = aws.ToString(topic.TopicArn)
	inbox, err := w.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("vpcguard-inbox")})
	must("inbox", err)
	w.inboxURL = aws.ToString(inbox.QueueUrl)
	attrs, err := w.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: inbox.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	must("inbox arn", err)
	_, err = sns.NewFromConfig(w.actor).Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"])})
	must("subscribe inbox", err)

	// The guards, built as the Lambdas build them (setup.Guard), on
	// clients that record their writes and see private DNS as AWS would.
	c := config.Default()
	c.Mode = config.Enforce
	c.Sinks = []string{config.SinkSecurityHub, config.SinkSNS}
	c.SNSTopicARN = w.topic
	c.ModelGuardrailARN, c.NotebookGuardrailARN = w.modelGR, w.nbGR
	c.RecheckQueueURL, c.RecheckDelaySeconds, c.RecheckMaxAttempts = w.queueURL, 60, 3
	c.DeleteNoncompliantModels = opts.deleteModels
	for _, g := range w.guards { // as infra/stack/stack.go protects the guards' own roles
		c.ProtectedPrincipals = append(c.ProtectedPrincipals, g.roleARN())
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	gcfg := srv.Config(region)
	gcfg.APIOptions = append(gcfg.APIOptions, dns.option, w.rec.option)
	accounts := awsclients.NewAccounts(gcfg, "")
	accounts.SetHomeAccount(acct)
	for _, g := range w.guards {
		gd := setup.Guard(c, accounts, []rules.Rule{g.rule}, false, nil)
		g.h = &guard.Handler{Guard: gd}
		if rem, ok := gd.Remediator.(*remediate.Remediator); ok {
			g.h.Rechecker = rem
		}
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
	c, net := w.clients, w.net
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
	case "model-create-denied.json", "cloudtrail-log-file.json":
		return nil // a refused call changes nothing; the log file repeats earlier calls
	}
	return fmt.Errorf("no call known for %s", name)
}

// sample is events/<name> with the sample vpce ids replaced by moto's.
func (w *world) sample(name string) json.RawMessage {
	w.t.Helper()
	raw, err := events.FS.ReadFile(name)
	if err != nil {
		w.t.Fatalf("read events/%s: %v", name, err)
	}
	s := string(raw)
	for sample, id := range w.ids {
		s = strings.ReplaceAll(s, sample, id)
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
		w.rec.setGuard(g.name)
		mark := w.rec.mark()
		res, err := g.h.Handle(context.Background(), d.raw)
		if err != nil {
			errs = append(errs, g.name+": "+err.Error())
		}
		if r, ok := res.(guard.Response); ok {
			out.findings = append(out.findings, r.Findings...)
		}
		out.writes = append(out.writes, w.rec.since(mark)...)
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

// feedback is the CloudTrail event (as EventBridge delivers it) that AWS
// records for a write a guard made, with the guard's role as the caller.
// SNS Publish and SQS SendMessage are data events, which EventBridge does
// not carry from CloudTrail unless a trail logs them; they are built all
// the same, so the guards are shown to ignore them.
func (w *world) feedback(c call) (delivery, bool) {
	w.seq++
	var role string
	for _, g := range w.guards {
		if g.name == c.guard {
			role = g.role
		}
	}
	var source, name string
	var req, resp any
	switch in := c.in.(type) {
	case *iam.AttachRolePolicyInput:
		source, name = "iam", c.op
		req = map[string]any{"roleName": aws.ToString(in.RoleName), "policyArn": aws.ToString(in.PolicyArn)}
	case *iam.AttachUserPolicyInput:
		source, name = "iam", c.op
		req = map[string]any{"userName": aws.ToString(in.UserName), "policyArn": aws.ToString(in.PolicyArn)}
	case *sagemaker.StopNotebookInstanceInput:
		source, name = "sagemaker", c.op
		req = map[string]any{"notebookInstanceName": aws.ToString(in.NotebookInstanceName)}
	case *sagemaker.AddTagsInput:
		source, name = "sagemaker", c.op
		var tags []map[string]string
		for _, t := range in.Tags {
			tags = append(tags, map[string]string{"key": aws.ToString(t.Key), "value": aws.ToString(t.Value)})
		}
		req = map[string]any{"resourceArn": aws.ToString(in.ResourceArn), "tags": tags}
		resp = map[string]any{"tags": tags}
	case *sagemaker.DeleteModelInput:
		source, name = "sagemaker", c.op
		req = map[string]any{"modelName": aws.ToString(in.ModelName)}
	case *ec2.ModifyVpcEndpointInput:
		source, name = "ec2", c.op
		r := map[string]any{"VpcEndpointId": aws.ToString(in.VpcEndpointId)}
		if in.PrivateDnsEnabled != nil {
			r["PrivateDnsEnabled"] = *in.PrivateDnsEnabled
		}
		if in.PolicyDocument != nil {
			r["PolicyDocument"] = aws.ToString(in.PolicyDocument)
		}
		req = map[string]any{"ModifyVpcEndpointRequest": r}
		resp = map[string]any{"ModifyVpcEndpointResponse": map[string]any{"xmlns": "http://ec2.amazonaws.com/doc/2016-11-15/", "return": true}}
	case *ec2.CreateTagsInput:
		source, name = "ec2", c.op
		var res, tags []map[string]string
		for _, id := range in.Resources {
			res = append(res, map[string]string{"resourceId": id})
		}
		for _, t := range in.Tags {
			tags = append(tags, map[string]string{"key": aws.ToString(t.Key), "value": aws.ToString(t.Value)})
		}
		req = map[string]any{"resourcesSet": map[string]any{"items": res}, "tagSet": map[string]any{"items": tags}}
		resp = map[string]any{"_return": true}
	case *securityhub.BatchImportFindingsInput:
		source, name = "securityhub", c.op
		var ids []map[string]string
		for _, f := range in.Findings {
			ids = append(ids, map[string]string{"id": aws.ToString(f.Id), "productArn": aws.ToString(f.ProductArn)})
		}
		req = map[string]any{"findings": ids}
		resp = map[string]any{"failedCount": 0, "successCount": len(ids), "failedFindings": []any{}}
	case *sns.PublishInput:
		source, name = "sns", c.op
		req = map[string]any{"topicArn": aws.ToString(in.TopicArn), "subject": aws.ToString(in.Subject)}
		resp = map[string]any{"messageId": "m-" + strconv.Itoa(w.seq)}
	case *sqs.SendMessageInput:
		source, name = "sqs", c.op
		req = map[string]any{"queueUrl": aws.ToString(in.QueueUrl), "delaySeconds": in.DelaySeconds}
	default:
		w.t.Errorf("no feedback event for %s (%T)", c.op, c.in)
		return delivery{}, false
	}
	return delivery{name: fmt.Sprintf("feedback %s by %s", name, c.guard), raw: w.cloudTrailEvent(source, name, role, req, resp)}, true
}

// cloudTrailEvent builds an EventBridge "AWS API Call via CloudTrail" event
// for a call made by an assumed-role session of role, shaped as the
// samples in events/ are.
func (w *world) cloudTrailEvent(service, eventName, role string, req, resp any) json.RawMessage {
	w.t.Helper()
	id := fmt.Sprintf("%012d", w.seq)
	ev := map[string]any{
		"version": "0", "id": "feedback-" + id, "detail-type": "AWS API Call via CloudTrail",
		"source": "aws." + service, "account": acct, "time": "2026-11-20T11:00:00Z", "region": region, "resources": []any{},
		"detail": map[string]any{
			"eventVersion": "1.09",
			"userIdentity": map[string]any{
				"type": "AssumedRole", "principalId": "AROAVPCGUARD:" + role,
				"arn":       "arn:aws:sts::" + acct + ":assumed-role/" + role + "/" + role + "-session",
				"accountId": acct, "accessKeyId": "ASIAVPCGUARD",
				"sessionContext": map[string]any{
					"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROAVPCGUARD", "arn": "arn:aws:iam::" + acct + ":role/" + role,
						"accountId": acct, "userName": role},
					"attributes": map[string]any{"creationDate": "2026-11-20T10:59:00Z", "mfaAuthenticated": "false"},
				},
				"invokedBy": "lambda.amazonaws.com",
			},
			"eventTime": "2026-11-20T11:00:00Z", "eventSource": service + ".amazonaws.com", "eventName": eventName,
			"awsRegion": region, "sourceIPAddress": "198.51.100.7", "userAgent": "aws-sdk-go-v2/1.47.7",
			"requestParameters": req, "responseElements": resp,
			"requestID": "req-" + id, "eventID": "00000000-0000-0000-0000-" + id,
			"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
			"recipientAccountId": acct, "eventCategory": "Management",
		},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		w.t.Fatalf("marshal feedback event: %v", err)
	}
	return b
}

// endState is what a person sees in the account after the guards ran.
type endState struct {
	Models      map[string]map[string]string // model that exists -> its tags
	Notebooks   map[string]string            // notebook -> status and tags
	Endpoints   map[string]string            // endpoint label -> private DNS, state and tags
	Policies    map[string][]string          // role/user -> attached managed policies
	Hub         map[string]string            // rule and resource -> record state, workflow, compliance, severity
	HubFindings map[string]int               // rule and resource -> Security Hub findings
	SNS         map[string]int               // change, rule and resource -> messages delivered
	Writes      map[string]int               // write request and its target -> requests sent
}

func (s endState) String() string {
	b, _ := json.MarshalIndent(s, "", "  ")
	return string(b)
}

// capture reads the end state from moto; writes are the guards' write
// requests since the world was built. It drains the SNS inbox.
func (w *world) capture(writes []call) endState {
	w.t.Helper()
	ctx := context.Background()
	fail := func(what string, err error) {
		w.t.Helper()
		if err != nil {
			w.t.Fatalf("capture %s: %v", what, err)
		}
	}
	s := endState{Models: map[string]map[string]string{}, Notebooks: map[string]string{}, Endpoints: map[string]string{},
		Policies: map[string][]string{}, Hub: map[string]string{}, HubFindings: map[string]int{}, SNS: map[string]int{}, Writes: map[string]int{}}

	models, err := w.clients.SageMaker.ListModels(ctx, &sagemaker.ListModelsInput{})
	fail("models", err)
	for _, m := range models.Models {
		s.Models[aws.ToString(m.ModelName)] = w.sageMakerTags(aws.ToString(m.ModelArn))
	}
	nbs, err := w.clients.SageMaker.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{})
	fail("notebooks", err)
	for _, nb := range nbs.NotebookInstances {
		s.Notebooks[aws.ToString(nb.NotebookInstanceName)] = fmt.Sprintf("%s %v", nb.NotebookInstanceStatus, w.sageMakerTags(aws.ToString(nb.NotebookInstanceArn)))
	}
	eps, err := w.clients.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	fail("endpoints", err)
	labels := map[string]string{}
	for sample, id := range w.ids {
		labels[id] = endpointLabels[sample]
	}
	for _, ep := range eps.VpcEndpoints {
		tags := map[string]string{}
		for _, t := range ep.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		label := labels[aws.ToString(ep.VpcEndpointId)]
		if label == "" {
			label = aws.ToString(ep.VpcEndpointId)
		}
		s.Endpoints[label] = fmt.Sprintf("privateDNS=%v state=%s %v", aws.ToBool(ep.PrivateDnsEnabled), ep.State, tags)
	}

	roles, err := w.iam.ListRoles(ctx, &iam.ListRolesInput{})
	fail("roles", err)
	for _, r := range roles.Roles {
		out, err := w.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: r.RoleName})
		fail("role policies", err)
		for _, p := range out.AttachedPolicies {
			s.Policies["role/"+aws.ToString(r.RoleName)] = append(s.Policies["role/"+aws.ToString(r.RoleName)], aws.ToString(p.PolicyName))
		}
	}
	users, err := w.iam.ListUsers(ctx, &iam.ListUsersInput{})
	fail("users", err)
	for _, u := range users.Users {
		out, err := w.iam.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: u.UserName})
		fail("user policies", err)
		for _, p := range out.AttachedPolicies {
			s.Policies["user/"+aws.ToString(u.UserName)] = append(s.Policies["user/"+aws.ToString(u.UserName)], aws.ToString(p.PolicyName))
		}
	}
	for _, ps := range s.Policies {
		sort.Strings(ps)
	}

	// moto ignores GetFindings filters and returns every finding.
	pages := securityhub.NewGetFindingsPaginator(w.hub, &securityhub.GetFindingsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		fail("security hub findings", err)
		for _, f := range page.Findings {
			res := ""
			if len(f.Resources) > 0 {
				res = aws.ToString(f.Resources[0].Id)
			}
			key := aws.ToString(f.GeneratorId) + " " + shortResource(res, labels)
			s.HubFindings[key]++
			wf, comp, sev := "", "", ""
			if f.Workflow != nil {
				wf = string(f.Workflow.Status)
			}
			if f.Compliance != nil {
				comp = string(f.Compliance.Status)
			}
			if f.Severity != nil {
				sev = string(f.Severity.Label)
			}
			s.Hub[key] = fmt.Sprintf("%s %s %s %s", f.RecordState, wf, comp, sev)
		}
	}
	for _, key := range w.inbox() {
		change, rest, _ := strings.Cut(key, " ")
		rule, res, _ := strings.Cut(rest, " ")
		s.SNS[change+" "+rule+" "+shortResource(res, labels)]++
	}
	for _, c := range writes {
		s.Writes[c.op+" "+writeTarget(c, labels)]++
	}
	return s
}

// shortResource names a resource by its name, or an endpoint by its label,
// so states of different moto runs compare.
func shortResource(arn string, labels map[string]string) string {
	i := strings.LastIndexAny(arn, "/:")
	name := arn[i+1:]
	if l, ok := labels[name]; ok {
		return "vpce:" + l
	}
	return name
}

func writeTarget(c call, labels map[string]string) string {
	switch in := c.in.(type) {
	case *iam.AttachRolePolicyInput:
		return "role/" + aws.ToString(in.RoleName) + " " + shortResource(aws.ToString(in.PolicyArn), labels)
	case *iam.AttachUserPolicyInput:
		return "user/" + aws.ToString(in.UserName) + " " + shortResource(aws.ToString(in.PolicyArn), labels)
	case *sagemaker.StopNotebookInstanceInput:
		return aws.ToString(in.NotebookInstanceName)
	case *sagemaker.AddTagsInput:
		return shortResource(aws.ToString(in.ResourceArn), labels)
	case *sagemaker.DeleteModelInput:
		return aws.ToString(in.ModelName)
	case *ec2.ModifyVpcEndpointInput:
		return fmt.Sprintf("%s PrivateDnsEnabled=%v", shortResource(aws.ToString(in.VpcEndpointId), labels), aws.ToBool(in.PrivateDnsEnabled))
	case *ec2.CreateTagsInput:
		var ids []string
		for _, id := range in.Resources {
			ids = append(ids, shortResource(id, labels))
		}
		return strings.Join(ids, ",")
	case *securityhub.BatchImportFindingsInput:
		var out []string
		for _, f := range in.Findings {
			res := ""
			if len(f.Resources) > 0 {
				res = aws.ToString(f.Resources[0].Id)
			}
			out = append(out, fmt.Sprintf("%s %s %s", aws.ToString(f.GeneratorId), shortResource(res, labels), f.RecordState))
		}
		return strings.Join(out, ",")
	case *sns.PublishInput:
		change := ""
		if a, ok := in.MessageAttributes["change"]; ok {
			change = aws.ToString(a.StringValue)
		}
		f, err := ticket.FindingFromMessage(aws.ToString(in.Message))
		if err != nil {
			return change + " ?"
		}
		return change + " " + f.Rule + " " + shortResource(f.ResourceID, labels)
	case *sqs.SendMessageInput:
		return aws.ToString(in.MessageBody)
	}
	return fmt.Sprintf("%T", c.in)
}

func (w *world) sageMakerTags(arn string) map[string]string {
	w.t.Helper()
	out, err := w.clients.SageMaker.ListTags(context.Background(), &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	if err != nil {
		w.t.Fatalf("list tags of %s: %v", arn, err)
	}
	tags := map[string]string{}
	for _, t := range out.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags
}

func (w *world) notebookStatus(name string) string {
	out, err := w.clients.SageMaker.DescribeNotebookInstance(context.Background(), &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(name)})
	if err != nil {
		return ""
	}
	return string(out.NotebookInstanceStatus)
}

// messageKey names an SNS message by its change and the finding it
// carries: "<change> <rule> <resource id>". (The subject is cut at 100
// characters, so it does not name every resource whole.)
func (w *world) messageKey(change, message string) string {
	f, err := ticket.FindingFromMessage(message)
	if err != nil {
		w.t.Errorf("SNS message without a finding: %v", err)
		return change + " ?"
	}
	return change + " " + f.Rule + " " + f.ResourceID
}

// inbox drains the SNS subscription's queue: the messages delivered, by
// messageKey.
func (w *world) inbox() []string {
	w.t.Helper()
	ctx := context.Background()
	var got []string
	for {
		out, err := w.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(w.inboxURL), MaxNumberOfMessages: 10})
		if err != nil {
			w.t.Fatalf("receive: %v", err)
		}
		if len(out.Messages) == 0 {
			return got
		}
		for _, m := range out.Messages {
			var n struct {
				Message           string
				MessageAttributes map[string]struct{ Value string }
			}
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &n); err != nil {
				w.t.Fatalf("decode sns envelope: %v", err)
			}
			got = append(got, w.messageKey(n.MessageAttributes["change"].Value, n.Message))
			if _, err := w.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(w.inboxURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				w.t.Fatalf("delete message: %v", err)
			}
		}
	}
}

// diff lists the keys on which two end states differ, one line each.
func diff(want, got endState) string {
	var lines []string
	cmp := func(field string, a, b map[string]string) {
		for _, k := range unionKeys(a, b) {
			if a[k] != b[k] {
				lines = append(lines, fmt.Sprintf("  %s[%s]: want %q, got %q", field, k, a[k], b[k]))
			}
		}
	}
	cmpN := func(field string, a, b map[string]int) {
		for _, k := range unionKeys(a, b) {
			if a[k] != b[k] {
				lines = append(lines, fmt.Sprintf("  %s[%s]: want %d, got %d", field, k, a[k], b[k]))
			}
		}
	}
	str := func(m map[string]map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = fmt.Sprint(v)
		}
		return out
	}
	strs := func(m map[string][]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = strings.Join(v, ",")
		}
		return out
	}
	cmp("Models", str(want.Models), str(got.Models))
	cmp("Notebooks", want.Notebooks, got.Notebooks)
	cmp("Endpoints", want.Endpoints, got.Endpoints)
	cmp("Policies", strs(want.Policies), strs(got.Policies))
	cmp("Hub", want.Hub, got.Hub)
	cmpN("HubFindings", want.HubFindings, got.HubFindings)
	cmpN("SNS", want.SNS, got.SNS)
	cmpN("Writes", want.Writes, got.Writes)
	return strings.Join(lines, "\n")
}

func unionKeys[V any](a, b map[string]V) []string {
	keys := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// settled waits for nothing: moto applies every call before answering, so
// the state read right after the last delivery is the end state. It only
// checks that no re-check was queued, which would mean a notebook was
// still Pending and the end state not final.
func (w *world) settled(label string) {
	w.t.Helper()
	out, err := w.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(w.queueURL),
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
