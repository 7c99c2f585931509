package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/vpcguard/vpcguard/events"
	"github.com/vpcguard/vpcguard/internal/testenv/estate"
	"github.com/vpcguard/vpcguard/internal/testenv/isolation"
	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/internal/testenv/recorder"
	"github.com/vpcguard/vpcguard/internal/testenv/trail"
	"github.com/vpcguard/vpcguard/internal/testenv/world"
	"github.com/vpcguard/vpcguard/shared/awsclients"
	"github.com/vpcguard/vpcguard/shared/backfill"
	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guard"
	"github.com/vpcguard/vpcguard/shared/history"
	"github.com/vpcguard/vpcguard/shared/inventory/tagindex"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/report"
	"github.com/vpcguard/vpcguard/shared/rules"
	"github.com/vpcguard/vpcguard/shared/setup"
)

const demoRegion = world.Region

// replay is the order the sample events are replayed in, as they happened.
// Deletions are left out: the demo's resources still exist.
var replay = []string{
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
	"endpoint-create-ssm-private-dns-off.json",
	"endpoint-modify-private-dns-off.json",
	"model-create-network-isolation.json",
	"model-create-one-subnet.json",
	"model-create-one-az.json",
	"endpoint-create-notebook-no-api.json",
	"domain-create-vpc-only.json",
	"domain-create-public.json",
	"job-training-no-vpc.json",
	"job-automl-v2-no-vpc.json",
	"job-training-tuning-child.json",
	"presigned-domain-url-public-ip.json",
	"presigned-domain-url-via-endpoint.json",
	"presigned-domain-url-sso-role.json",
}

type demo struct {
	out     io.Writer
	clients estate.Clients
	iam     *iam.Client
	base    aws.Config
	world   *world.World

	sent *recorder.Recorder // every request, for the ModifyVpcEndpoint ones

	guardrail, topic string
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "Usage: vpcguard demo\n\nRuns vpcguard's main job on moto_server, a local AWS emulator; no AWS account is touched.")
		return exitBadInput
	}
	start := time.Now()
	fmt.Fprintln(stdout, `vpcguard demo: keeping Amazon SageMaker private, on a local AWS emulator.

vpcguard enforces the rules of its catalogue (vpcguard rules): models run in a
VPC, network-isolated, with subnets in two Availability Zones; jobs and Studio
domains run in a VPC; notebook instances have no direct internet access;
interface VPC endpoints to SageMaker have private DNS on; a VPC that uses
SageMaker has every endpoint its private path needs; and presigned Studio and
notebook URLs are created through a VPC endpoint. This demo starts
moto_server (an AWS API emulator) on 127.0.0.1, seeds an account that looks
real, and then:
  1. backfills in report mode: finds what already exists, changes nothing;
  2. replays the sample CloudTrail events (events/*.json) through the guards
     in enforce mode: stop notebooks and jobs, attach the guardrail policy to
     the callers, turn on private DNS, tag, and file Security Hub findings and
     SNS messages;
  3. backfills again to show what changed;
  4. backfills in enforce mode with --lookup-creators --creator-guardrails: finds
     who created what predates vpcguard in CloudTrail's event history (a fake
     serving the sample events: moto has no LookupEvents) and guards them too;
  5. makes the account the management account of an organization of three
     members: a member's CreateModel is handled centrally through the member
     role (the guardrail lands in the member's IAM, the Security Hub finding in
     the member's account), then the organization is backfilled by account.
Nothing here talks to a real AWS account.`)

	srv, err := motoserver.Start()
	if err != nil {
		fmt.Fprintf(stderr, "vpcguard demo: %v\n", err)
		return exitFailed
	}
	defer func() {
		srv.Stop()
		fmt.Fprintf(stdout, "\nmoto_server stopped. The demo took %.1fs.\n", time.Since(start).Seconds())
	}()
	fmt.Fprintf(stdout, "\nmoto_server is listening on %s (account %s, region %s).\n", srv.URL, motoserver.Account, demoRegion)

	d := &demo{out: stdout, sent: &recorder.Recorder{}}
	d.base = srv.Config(demoRegion)
	d.base.Retryer = awsclients.NewRetryer
	// moto accepts ModifyVpcEndpoint but ignores PrivateDnsEnabled, so the
	// requests are what the demo can show. moto also ignores
	// EnableNetworkIsolation on CreateModel: the isolation fake puts what
	// CreateModel sent on DescribeModel's answer, as AWS would.
	d.base.APIOptions = append(d.base.APIOptions, d.sent.Option, (&isolation.Models{}).Option)
	d.clients = estate.New(d.base)
	d.iam = iam.NewFromConfig(d.base)
	if err := d.seed(ctx); err != nil {
		fmt.Fprintf(stderr, "vpcguard demo: seed the account: %v\n", err)
		return exitFailed
	}

	d.step("1. Backfill in report mode: what exists today (nothing is changed)")
	if err := d.backfill(ctx); err != nil {
		fmt.Fprintf(stderr, "vpcguard demo: %v\n", err)
		return exitFailed
	}

	d.step("2. Replay the sample CloudTrail events through the guards in enforce mode")
	if err := d.replay(ctx, stderr); err != nil {
		fmt.Fprintf(stderr, "vpcguard demo: %v\n", err)
		return exitFailed
	}

	d.step("3. Backfill again (report mode): what changed")
	if err := d.backfill(ctx); err != nil {
		fmt.Fprintf(stderr, "vpcguard demo: %v\n", err)
		return exitFailed
	}
	if err := d.changes(ctx); err != nil {
		fmt.Fprintf(stderr, "vpcguard demo: %v\n", err)
		return exitFailed
	}

	d.step("4. Backfill in enforce mode, guarding the creators of what predates vpcguard")
	if err := d.creators(ctx); err != nil {
		fmt.Fprintf(stderr, "vpcguard demo: %v\n", err)
		return exitFailed
	}

	d.step("5. An organization: a member's event handled centrally, then the organization backfilled")
	if err := d.organization(ctx, stderr); err != nil {
		fmt.Fprintf(stderr, "vpcguard demo: %v\n", err)
		return exitFailed
	}
	return exitOK
}

func (d *demo) step(title string) {
	fmt.Fprintf(d.out, "\n%s\n%s\n", title, strings.Repeat("=", len([]rune(title))))
}

// seed creates the account the sample events talk about, plus what existed
// before vpcguard was deployed.
func (d *demo) seed(ctx context.Context) error {
	w, err := world.Seed(ctx, d.base, world.Options{})
	if err != nil {
		return err
	}
	d.world = w
	d.guardrail, d.topic = w.Guardrail, w.Topic
	net, ids := w.Net, w.Endpoints
	fmt.Fprintf(d.out, `
Seeded account %s in %s:
  network    ml-platform %s (DNS support and hostnames on), subnets %s in two zones
             and %s (a second one in %sa), security group %s;
             ml-sandbox %s, one subnet %s
  IAM        roles MLEngineer, DataScientist, NetworkAdmin, PlatformAdmin, SageMakerExecution (the
             jobs' execution role); users bob, carol; the guardrail policy
             vpcguard-guardrail (every rule's deny statements, as the CDK stack creates it)
  models     churn-xgb-public (no VPC), churn-xgb-private (VPC), fraud-empty-subnets (no subnets),
             legacy-scoring (no VPC, predates vpcguard), forecast-prod (VPC), fraud-isolated (VPC,
             network isolation on), forecast-one-az (two subnets, one zone), sandbox-scoring
             (ml-sandbox's one subnet); none isolated but fraud-isolated
  notebooks  research-open (internet on), quickstart-default (internet omitted = on, no subnet),
             research-private (internet off, in VPC), team-sandbox (internet on, predates vpcguard)
  endpoints  in ml-platform: %s sagemaker.api (private DNS off), %s sagemaker.runtime (on),
             %s notebook (off), %s ssm (off: not SageMaker, must be left alone),
             %s s3 gateway (not an interface endpoint: private DNS does not apply);
             in ml-sandbox: %s notebook (on), and no API, runtime or S3 endpoint
  Studio     domains %s studio-prod (VpcOnly), %s studio-research (PublicInternetOnly),
             %s studio-sandbox (network setting omitted = public), %s studio-finance (public)
  jobs       training churn-train-public (no VPC), churn-train-private (VPC), churn-hpo-001-6f3c2a1b
             (no VPC, started by SageMaker for the tuning job churn-hpo), nightly-retrain (no VPC,
             predates vpcguard); tuning churn-hpo (one definition outside the VPC); AutoML
             churn-autopilot (no VPC, running), fraud-autopilot (VPC, running). moto finishes
             training, processing and tuning jobs at once: they read Completed.
  (moto ignores EnableNetworkIsolation: a fake keeps what CreateModel sent, so fraud-isolated
  reads isolated, as on AWS)
`, motoserver.Account, demoRegion, net.VPC, strings.Join(net.Subnets, ", "), net.SameZone, demoRegion, net.SecurityGroup,
		w.Sandbox.VPC, w.Sandbox.Subnets[0],
		ids[world.VpceAPI], ids[world.VpceRuntime], ids[world.VpceNotebook], ids[world.VpceSSM], ids[world.VpceS3], ids[world.VpceSandboxNotebook],
		w.Domains[world.DomainProd], w.Domains[world.DomainResearch], w.Domains[world.DomainSandbox], w.Domains[world.DomainFinance])
	return nil
}

func (d *demo) backfill(ctx context.Context) error {
	base := d.base.Copy()
	calls := backfill.NewCalls()
	calls.Instrument(&base)
	accounts := awsclients.NewAccounts(base, "")
	cfg := config.Default()
	cfg.Mode = mode.Report
	opts := setup.BackfillOptions(cfg, accounts, nil, setup.BackfillOnly{TagIndex: tagindex.New}, kinds...)
	opts.Calls, opts.Regions = calls, []string{demoRegion}
	opts.Guard = setup.Guard(cfg, accounts, rules.All(), nil, kinds...)
	res, err := backfill.Collect(ctx, opts) // a small estate: sorted for the reader
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	fmt.Fprintf(d.out, "$ vpcguard backfill --regions %s --format table\n\n", demoRegion)
	if err := report.WriteTable(d.out, res.Findings, false); err != nil {
		return err
	}
	fmt.Fprintln(d.out)
	writeBackfillSummary(d.out, cfg, res.Summary)
	fmt.Fprintf(d.out, "(The ssm endpoint %s and the s3 gateway are not in the table: they are not SageMaker interface endpoints.)\n", d.world.Endpoints[world.VpceSSM])
	return nil
}

func (d *demo) replay(ctx context.Context, stderr io.Writer) error {
	cfg := config.Default()
	cfg.Mode = mode.Enforce
	cfg.Sinks = []string{config.SinkSecurityHub, config.SinkSNS}
	cfg.SNSTopicARN = d.topic
	cfg.GuardrailARN = d.guardrail
	accounts := awsclients.NewAccounts(d.base, "")
	g := setup.Guard(cfg, accounts, rules.All(), slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError})), kinds...)
	h := &guard.Handler{Guard: g}

	fmt.Fprintf(d.out, `Mode enforce for every rule, tickets to Security Hub and SNS (%s).
The sample events carry made-up vpce, VPC, subnet and Studio domain ids; moto
assigns its own, so each event is rewritten to the seeded ids before replay.
Presigned URL calls are judged from the event alone: moto has no such call, and
nothing is read.
`, d.topic)
	for _, name := range replay {
		raw, err := events.FS.ReadFile(name)
		if err != nil {
			return err
		}
		note := ""
		for _, ids := range []map[string]string{d.world.Endpoints, d.world.Domains} {
			for sample, seeded := range ids {
				if strings.Contains(string(raw), sample) {
					note += fmt.Sprintf(" (%s rewritten to %s)", sample, seeded)
				}
			}
		}
		raw = d.world.Rewrite(raw)
		evs, err := cloudtrail.Parse(raw)
		if err != nil || len(evs) == 0 {
			return fmt.Errorf("events/%s: %v", name, err)
		}
		ev := evs[0]
		if name == "notebook-start.json" {
			// The event says dave started research-open again after the
			// guard stopped it; make it so, then replay.
			if _, err := d.clients.SageMaker.StartNotebookInstance(ctx, &sagemaker.StartNotebookInstanceInput{NotebookInstanceName: aws.String("research-open")}); err != nil {
				return fmt.Errorf("start research-open: %w", err)
			}
			note += " (research-open was started again first, as the event says)"
		}
		fmt.Fprintf(d.out, "\n▶ events/%s: %s by %s%s\n", name, ev.Name, principalName(ev.Identity.Principal()), note)
		out, err := h.Handle(ctx, json.RawMessage(raw))
		resp, _ := out.(guard.Response)
		for _, s := range resp.Skipped {
			fmt.Fprintf(d.out, "  skipped: %s\n", s.Reason)
		}
		if len(resp.Findings) > 0 {
			var b strings.Builder
			if werr := report.WriteTable(&b, resp.Findings, false); werr != nil {
				return werr
			}
			for line := range strings.SplitSeq(strings.TrimRight(b.String(), "\n"), "\n") {
				fmt.Fprintln(d.out, "  "+line)
			}
		}
		if err != nil {
			fmt.Fprintf(d.out, "  the guard returned an error (Lambda would retry): %v\n", err)
		}
	}
	return nil
}

// pastCreator made legacy-scoring and team-sandbox, long before vpcguard.
const pastCreator = "dana"

// creators runs an enforce-mode backfill that looks up, in a fake of
// CloudTrail's event history serving the sample events' creating calls,
// who created each NON_COMPLIANT resource, and attaches the guardrail to
// them: dana's two resources had no event for a guard to act on.
func (d *demo) creators(ctx context.Context) error {
	if _, err := d.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(pastCreator)}); err != nil {
		return fmt.Errorf("create user %s: %w", pastCreator, err)
	}
	created, err := d.creationTimes(ctx)
	if err != nil {
		return err
	}
	dana := map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLEDANA", "arn": "arn:aws:iam::" + motoserver.Account + ":user/" + pastCreator,
		"accountId": motoserver.Account, "userName": pastCreator}
	var records []trail.Record
	for _, name := range replay {
		rec := trail.MustSample(name)
		if strings.HasPrefix(rec["eventName"].(string), "Create") {
			records = append(records, rec)
		}
	}
	records = append(records,
		trail.MustSample("model-create-no-vpc.json").With(map[string]any{"eventID": "legacy-scoring-create", "userIdentity": dana,
			"requestParameters.modelName": "legacy-scoring", "responseElements": map[string]any{}}),
		trail.MustSample("notebook-create-internet-enabled.json").With(map[string]any{"eventID": "team-sandbox-create", "userIdentity": dana,
			"requestParameters.notebookInstanceName": "team-sandbox", "responseElements": map[string]any{}}),
		// Two jobs whose creating calls no guard saw: alice's tuning job,
		// and a pipeline's step, started by its execution role.
		trail.MustSample("job-tuning-definition-without-vpc.json"),
		trail.MustSample("job-processing-pipeline-step.json"),
	)
	// Each call names the seeded endpoint ids, and is dated a second
	// before moto stamped its resource.
	for i, rec := range records {
		raw, _ := json.Marshal(rec)
		raw = d.world.Rewrite(raw)
		var seeded trail.Record
		if err := json.Unmarshal(raw, &seeded); err != nil {
			return err
		}
		records[i] = seeded
		for name, at := range created {
			if strings.Contains(string(raw), `"`+name+`"`) {
				records[i] = seeded.At(at.Add(-time.Second))
			}
		}
	}
	h, err := trail.NewHistory(records...)
	if err != nil {
		return err
	}
	defer h.Close()

	cfg := config.Default()
	cfg.Mode = mode.Enforce
	cfg.Sinks = nil
	cfg.GuardrailARN = d.guardrail
	cfg.CreatorLookup, cfg.CreatorGuardrails = true, true
	accounts := awsclients.NewAccounts(d.base, "")
	opts := setup.BackfillOptions(cfg, accounts, nil, setup.BackfillOnly{TagIndex: tagindex.New}, kinds...)
	opts.Regions = []string{demoRegion}
	opts.Guard = setup.Guard(cfg, accounts, rules.All(), nil, kinds...)
	finder := &history.Finder{
		History:    func(context.Context, string, string) (history.LookupAPI, error) { return h.Client(d.base), nil },
		MaxLookups: cfg.CreatorLookupMax,
	}
	opts.Creators = finder
	res, err := backfill.Collect(ctx, opts) // a small estate: sorted for the reader
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	fmt.Fprintf(d.out, `CloudTrail's event history is a FAKE here (moto has no LookupEvents): it
serves the sample events' creating calls, and dana's, who created
legacy-scoring and team-sandbox before vpcguard was deployed, and the calls
that created the tuning job churn-hpo (alice) and a pipeline's step (its
execution role: never guarded). The Studio domains d-studio-sandbox and
d-studio-finance and the job nightly-retrain have no creating call in it:
"not found", and no guardrail.

$ vpcguard backfill --regions %s --mode enforce --lookup-creators --creator-guardrails

`, demoRegion)
	var noncompliant []finding.Finding
	for _, f := range res.Findings {
		if f.Status == finding.NonCompliant {
			noncompliant = append(noncompliant, f)
		}
	}
	if err := report.WriteTable(d.out, noncompliant, false); err != nil {
		return err
	}
	outcomes := map[finding.Outcome]int{}
	for _, f := range res.Findings {
		for _, a := range f.Actions {
			if a.Type == history.ActionFind {
				outcomes[a.Outcome]++
			}
		}
	}
	writeCreatorSummary(d.out, outcomes, finder)
	p, err := d.iam.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(pastCreator)})
	if err != nil {
		return fmt.Errorf("list policies of %s: %w", pastCreator, err)
	}
	nb, err := d.clients.SageMaker.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("team-sandbox")})
	if err != nil {
		return fmt.Errorf("describe team-sandbox: %w", err)
	}
	fmt.Fprintf(d.out, "\nuser %s: %s; team-sandbox %s\n", pastCreator, policyNames(p.AttachedPolicies), nb.NotebookInstanceStatus)
	return nil
}

// creationTimes are moto's CreationTime of every model, notebook instance,
// VPC endpoint, Studio domain and job.
func (d *demo) creationTimes(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	models, err := d.clients.SageMaker.ListModels(ctx, &sagemaker.ListModelsInput{})
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	for _, m := range models.Models {
		out[aws.ToString(m.ModelName)] = aws.ToTime(m.CreationTime)
	}
	nbs, err := d.clients.SageMaker.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{})
	if err != nil {
		return nil, fmt.Errorf("list notebooks: %w", err)
	}
	for _, nb := range nbs.NotebookInstances {
		out[aws.ToString(nb.NotebookInstanceName)] = aws.ToTime(nb.CreationTime)
	}
	eps, err := ec2.NewFromConfig(d.base).DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		return nil, fmt.Errorf("describe endpoints: %w", err)
	}
	for _, ep := range eps.VpcEndpoints {
		out[aws.ToString(ep.VpcEndpointId)] = aws.ToTime(ep.CreationTimestamp)
	}
	domains, err := d.clients.SageMaker.ListDomains(ctx, &sagemaker.ListDomainsInput{})
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	for _, dm := range domains.Domains {
		out[aws.ToString(dm.DomainId)] = aws.ToTime(dm.CreationTime)
	}
	training, err := d.clients.SageMaker.ListTrainingJobs(ctx, &sagemaker.ListTrainingJobsInput{})
	if err != nil {
		return nil, fmt.Errorf("list training jobs: %w", err)
	}
	for _, j := range training.TrainingJobSummaries {
		out[aws.ToString(j.TrainingJobName)] = aws.ToTime(j.CreationTime)
	}
	processing, err := d.clients.SageMaker.ListProcessingJobs(ctx, &sagemaker.ListProcessingJobsInput{})
	if err != nil {
		return nil, fmt.Errorf("list processing jobs: %w", err)
	}
	for _, j := range processing.ProcessingJobSummaries {
		out[aws.ToString(j.ProcessingJobName)] = aws.ToTime(j.CreationTime)
	}
	tuning, err := d.clients.SageMaker.ListHyperParameterTuningJobs(ctx, &sagemaker.ListHyperParameterTuningJobsInput{})
	if err != nil {
		return nil, fmt.Errorf("list tuning jobs: %w", err)
	}
	for _, j := range tuning.HyperParameterTuningJobSummaries {
		out[aws.ToString(j.HyperParameterTuningJobName)] = aws.ToTime(j.CreationTime)
	}
	automl, err := d.clients.SageMaker.ListAutoMLJobs(ctx, &sagemaker.ListAutoMLJobsInput{})
	if err != nil {
		return nil, fmt.Errorf("list AutoML jobs: %w", err)
	}
	for _, j := range automl.AutoMLJobSummaries {
		out[aws.ToString(j.AutoMLJobName)] = aws.ToTime(j.CreationTime)
	}
	return out, nil
}

func principalName(arn string) string {
	if i := strings.Index(arn, ":role/"); i >= 0 {
		return "role " + arn[i+6:]
	}
	if i := strings.Index(arn, ":user/"); i >= 0 {
		return "user " + arn[i+6:]
	}
	if arn == "" {
		return "unknown"
	}
	return arn
}

// changes reads back what the enforce replay did.
func (d *demo) changes(ctx context.Context) error {
	fmt.Fprintln(d.out, `
The statuses match step 1, and that is expected: a model's or a job's VPC
settings, a model's network isolation and a notebook's internet access cannot
be changed after creation, so the guards contain them (stop, guardrail on the
caller, tag, ticket) until their owners recreate them. The one-zone models and
the VPC missing endpoints are ticketed only: their owners choose subnets and
endpoints.`)
	fmt.Fprintln(d.out, "\nWhat changed:")
	out, err := d.clients.SageMaker.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{})
	if err != nil {
		return fmt.Errorf("list notebooks: %w", err)
	}
	var nbs []string
	for _, nb := range out.NotebookInstances {
		nbs = append(nbs, fmt.Sprintf("%s %s", aws.ToString(nb.NotebookInstanceName), nb.NotebookInstanceStatus))
	}
	slices.Sort(nbs)
	fmt.Fprintf(d.out, "  notebooks   %s\n", strings.Join(nbs, ", "))
	fmt.Fprintln(d.out, "              (direct internet access cannot be turned off on an existing instance: the guard stops it;")
	fmt.Fprintln(d.out, "              team-sandbox predates vpcguard and had no event: step 4's backfill in enforce mode stops it)")

	var attached []string
	for _, role := range []string{"MLEngineer", "DataScientist", "NetworkAdmin", "PlatformAdmin", "SageMakerExecution"} {
		p, err := d.iam.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
		if err != nil {
			return fmt.Errorf("list policies of %s: %w", role, err)
		}
		attached = append(attached, "role "+role+": "+policyNames(p.AttachedPolicies))
	}
	for _, user := range []string{"bob", "carol"} {
		p, err := d.iam.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(user)})
		if err != nil {
			return fmt.Errorf("list policies of %s: %w", user, err)
		}
		attached = append(attached, "user "+user+": "+policyNames(p.AttachedPolicies))
	}
	fmt.Fprintf(d.out, "  guardrails  %s\n", strings.Join(attached, "; "))
	fmt.Fprintln(d.out, "              (never on SageMakerExecution, the role the tuning job's trial ran as; never on grace's")
	fmt.Fprintln(d.out, "              IAM Identity Center role, which IAM does not let anyone change)")

	jobs, err := d.clients.SageMaker.ListAutoMLJobs(ctx, &sagemaker.ListAutoMLJobsInput{})
	if err != nil {
		return fmt.Errorf("list AutoML jobs: %w", err)
	}
	var automl []string
	for _, j := range jobs.AutoMLJobSummaries {
		automl = append(automl, fmt.Sprintf("%s %s", aws.ToString(j.AutoMLJobName), j.AutoMLJobStatus))
	}
	slices.Sort(automl)
	fmt.Fprintf(d.out, "  jobs        %s\n", strings.Join(automl, ", "))
	fmt.Fprintln(d.out, "              (churn-autopilot ran outside the VPC: the guard stopped it; churn-train-public had already")
	fmt.Fprintln(d.out, "              finished, so it is tagged and ticketed, not stopped)")

	var domainTags []string
	for _, name := range []string{"studio-research", "studio-prod"} {
		tags, err := d.clients.SageMaker.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String("arn:aws:sagemaker:us-east-1:123456789012:domain/" + d.world.Domains[domainID(name)])})
		if err != nil {
			return fmt.Errorf("list tags of %s: %w", name, err)
		}
		domainTags = append(domainTags, name+" "+tagList(tags.Tags))
	}
	fmt.Fprintf(d.out, "  domains     %s\n", strings.Join(domainTags, "; "))
	fmt.Fprintln(d.out, "              (switching a domain to VpcOnly is opt-in: VPCGUARD_SWITCH_DOMAINS_TO_VPC_ONLY, and AWS refuses it")
	fmt.Fprintln(d.out, "              while apps run)")

	var tagged []string
	for _, m := range []string{"churn-xgb-public", "fraud-empty-subnets", "legacy-scoring", "fraud-isolated", "forecast-one-az"} {
		tags, err := d.clients.SageMaker.ListTags(ctx, &sagemaker.ListTagsInput{ResourceArn: aws.String("arn:aws:sagemaker:us-east-1:123456789012:model/" + m)})
		if err != nil {
			return fmt.Errorf("list tags of %s: %w", m, err)
		}
		tagged = append(tagged, m+" "+tagList(tags.Tags))
	}
	fmt.Fprintf(d.out, "  model tags  %s\n", strings.Join(tagged, "; "))

	var sent []string
	for _, in := range d.sent.Inputs("ModifyVpcEndpoint") {
		if m := in.(*ec2.ModifyVpcEndpointInput); m.PrivateDnsEnabled != nil {
			sent = append(sent, fmt.Sprintf("%s PrivateDnsEnabled=%t", aws.ToString(m.VpcEndpointId), aws.ToBool(m.PrivateDnsEnabled)))
		}
	}
	fmt.Fprintf(d.out, "  private DNS ModifyVpcEndpoint sent: %s\n", orNone(sent))
	fmt.Fprintln(d.out, "              moto accepts ModifyVpcEndpoint but ignores PrivateDnsEnabled, so those endpoints still")
	fmt.Fprintln(d.out, "              read private DNS off above; on AWS they would now be COMPLIANT. The ssm endpoint was not touched.")

	findings, err := securityhub.NewFromConfig(d.base).GetFindings(ctx, &securityhub.GetFindingsInput{})
	if err != nil {
		return fmt.Errorf("read Security Hub findings: %w", err)
	}
	active := 0
	for _, f := range findings.Findings {
		if f.RecordState == "ACTIVE" {
			active++
		}
	}
	fmt.Fprintf(d.out, "  tickets     %d Security Hub findings (%d active); one SNS message per ticketed finding to %s\n", len(findings.Findings), active, d.topic)
	return nil
}

// domainID is the sample id of the Studio domain named name.
func domainID(name string) string {
	for _, d := range world.Domains {
		if d.Name == name {
			return d.ID
		}
	}
	return ""
}

func policyNames(ps []iamtypes.AttachedPolicy) string {
	var names []string
	for _, p := range ps {
		names = append(names, aws.ToString(p.PolicyName))
	}
	return orNone(names)
}

// tagList shows tags as SageMaker holds them: one value a key, the last
// written (moto 5.2.1's AddTags appends a second tag with the same key where
// AWS overwrites the first).
func tagList(tags []smtypes.Tag) string {
	byKey := map[string]string{}
	for _, t := range tags {
		byKey[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	var out []string
	for k, v := range byKey {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return "[" + strings.Join(out, ", ") + "]"
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}
