package evaluate

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"

	"github.com/vpcguard/vpcguard/internal/testenv"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/inventory/sagemakerstate"
	"github.com/vpcguard/vpcguard/shared/rules"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	region    = "us-east-1"
	execRole  = "arn:aws:iam::" + testenv.Account + ":role/SageMakerExecution"
	exemptKey = "vpcguard:exempt"
)

// newEnv is an account with a VPC, on moto.
func newEnv(t *testing.T) *testenv.Env {
	t.Helper()
	return testenv.New(t, testenv.Seed(testenv.Network))
}

// firstRules are the rules the tests of the online path below evaluate:
// one result per resource a sample event names, so findings compare one to
// one with the cases. The network rules (their VPC resource, their zones)
// are evaluated in network_test.go.
var firstRules = []rules.Rule{rules.ModelInVPC{}, rules.EndpointPrivateDNS{}, rules.NotebookNoDirectInternet{},
	rules.StudioDomainVPCOnly{}, rules.JobInVPC{}, rules.PresignedURLViaEndpoint{}}

// readers is the production readers over moto (testenv.Env.Readers), with
// an optional wrapper around the SageMaker client.
func readers(w *testenv.Env, sm sagemakerstate.API) Readers {
	return func(ctx context.Context, account, region string) (StateReader, error) {
		return w.Readers(sm), nil
	}
}

// countingSageMaker counts ListTags and DescribeModel calls and can fail describes.
type countingSageMaker struct {
	sagemakerstate.API
	listTags    atomic.Int32
	describes   atomic.Int32
	describeErr error
	listTagsErr error
}

func (c *countingSageMaker) ListTags(ctx context.Context, in *sagemaker.ListTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error) {
	c.listTags.Add(1)
	if c.listTagsErr != nil {
		return nil, c.listTagsErr
	}
	return c.API.ListTags(ctx, in, opts...)
}

func (c *countingSageMaker) DescribeModel(ctx context.Context, in *sagemaker.DescribeModelInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeModelOutput, error) {
	c.describes.Add(1)
	if c.describeErr != nil {
		return nil, c.describeErr
	}
	return c.API.DescribeModel(ctx, in, opts...)
}

func (c *countingSageMaker) DescribeNotebookInstance(ctx context.Context, in *sagemaker.DescribeNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error) {
	if c.describeErr != nil {
		return nil, c.describeErr
	}
	return c.API.DescribeNotebookInstance(ctx, in, opts...)
}

// TestOnlineEvaluationDecidesOnCurrentState evaluates every sample event
// against a state seeded on moto that may disagree with the event: the
// current state wins, as it must for stale, reordered and replayed events.
func TestOnlineEvaluationDecidesOnCurrentState(t *testing.T) {
	type want struct {
		rule     string
		resource string // ResourceName
		status   finding.Status
	}
	tests := []struct {
		name  string
		event string
		// seed creates the current state and returns replacements for the
		// sample event's fixed ids.
		seed func(w *testenv.Env) []string
		want []want
	}{
		{name: "CreateModel without VPC, model as the event says", event: "model-create-no-vpc.json",
			seed: func(w *testenv.Env) []string { w.Model("churn-xgb-public", false, nil); return nil },
			want: []want{{"sagemaker-model-in-vpc", "churn-xgb-public", finding.NonCompliant}}},
		{name: "CreateModel without VPC, model deleted since", event: "model-create-no-vpc.json",
			seed: func(w *testenv.Env) []string { return nil },
			want: []want{{"sagemaker-model-in-vpc", "churn-xgb-public", finding.NotApplicable}}},
		{name: "CreateModel without VPC, but the model is in a VPC", event: "model-create-no-vpc.json",
			seed: func(w *testenv.Env) []string { w.Model("churn-xgb-public", true, nil); return nil },
			want: []want{{"sagemaker-model-in-vpc", "churn-xgb-public", finding.Compliant}}},
		{name: "CreateModel in VPC, but the model is not", event: "model-create-in-vpc.json",
			seed: func(w *testenv.Env) []string { w.Model("churn-xgb-private", false, nil); return nil },
			want: []want{{"sagemaker-model-in-vpc", "churn-xgb-private", finding.NonCompliant}}},
		{name: "CreateModel in VPC, model in VPC", event: "model-create-in-vpc.json",
			seed: func(w *testenv.Env) []string { w.Model("churn-xgb-private", true, nil); return nil },
			want: []want{{"sagemaker-model-in-vpc", "churn-xgb-private", finding.Compliant}}},
		{name: "CreateModel with empty subnets", event: "model-create-empty-subnets.json",
			seed: func(w *testenv.Env) []string { w.Model("fraud-empty-subnets", false, nil); return nil },
			want: []want{{"sagemaker-model-in-vpc", "fraud-empty-subnets", finding.NonCompliant}}},
		{name: "DeleteModel of a model that is gone", event: "model-delete.json",
			seed: func(w *testenv.Env) []string { return nil },
			want: []want{{"sagemaker-model-in-vpc", "churn-xgb-public", finding.NotApplicable}}},
		{name: "DeleteModel replayed after the model was recreated without VPC", event: "model-delete.json",
			seed: func(w *testenv.Env) []string { w.Model("churn-xgb-public", false, nil); return nil },
			want: []want{{"sagemaker-model-in-vpc", "churn-xgb-public", finding.NonCompliant}}},
		{name: "failed CreateModel yields nothing", event: "model-create-denied.json",
			seed: func(w *testenv.Env) []string { w.Model("denied-model", false, nil); return nil }},
		{name: "CreateNotebookInstance with internet", event: "notebook-create-internet-enabled.json",
			seed: func(w *testenv.Env) []string {
				w.Notebook("research-open", smtypes.DirectInternetAccessEnabled, true)
				return nil
			},
			want: []want{{"sagemaker-notebook-no-direct-internet-access", "research-open", finding.NonCompliant}}},
		{name: "CreateNotebookInstance omitting the setting", event: "notebook-create-internet-omitted.json",
			seed: func(w *testenv.Env) []string { w.Notebook("quickstart-default", "", false); return nil },
			want: []want{{"sagemaker-notebook-no-direct-internet-access", "quickstart-default", finding.NonCompliant}}},
		{name: "CreateNotebookInstance private, but the instance has internet", event: "notebook-create-private.json",
			seed: func(w *testenv.Env) []string {
				w.Notebook("research-private", smtypes.DirectInternetAccessEnabled, true)
				return nil
			},
			want: []want{{"sagemaker-notebook-no-direct-internet-access", "research-private", finding.NonCompliant}}},
		{name: "CreateNotebookInstance private, instance private", event: "notebook-create-private.json",
			seed: func(w *testenv.Env) []string {
				w.Notebook("research-private", smtypes.DirectInternetAccessDisabled, true)
				return nil
			},
			want: []want{{"sagemaker-notebook-no-direct-internet-access", "research-private", finding.Compliant}}},
		{name: "StartNotebookInstance is decided on the instance", event: "notebook-start.json",
			seed: func(w *testenv.Env) []string {
				w.Notebook("research-open", smtypes.DirectInternetAccessEnabled, true)
				return nil
			},
			want: []want{{"sagemaker-notebook-no-direct-internet-access", "research-open", finding.NonCompliant}}},
		{name: "StartNotebookInstance of a deleted instance", event: "notebook-start.json",
			seed: func(w *testenv.Env) []string { return nil },
			want: []want{{"sagemaker-notebook-no-direct-internet-access", "research-open", finding.NotApplicable}}},
		{name: "CreateVpcEndpoint sagemaker.api private DNS off", event: "endpoint-create-api-private-dns-off.json",
			seed: func(w *testenv.Env) []string {
				id := w.Endpoint("com.amazonaws.us-east-1.sagemaker.api", aws.Bool(false))
				return []string{"vpce-0a1b2c3d4e5f60001", id}
			},
			want: []want{{"sagemaker-vpc-endpoint-private-dns", "", finding.NonCompliant}}},
		{name: "CreateVpcEndpoint private DNS off, since turned on", event: "endpoint-create-api-private-dns-off.json",
			seed: func(w *testenv.Env) []string {
				id := w.Endpoint("com.amazonaws.us-east-1.sagemaker.api", aws.Bool(true))
				return []string{"vpce-0a1b2c3d4e5f60001", id}
			},
			want: []want{{"sagemaker-vpc-endpoint-private-dns", "", finding.Compliant}}},
		{name: "CreateVpcEndpoint of an endpoint deleted since", event: "endpoint-create-api-private-dns-off.json",
			seed: func(w *testenv.Env) []string { return nil },
			want: []want{{"sagemaker-vpc-endpoint-private-dns", "vpce-0a1b2c3d4e5f60001", finding.NotApplicable}}},
		{name: "CreateVpcEndpoint notebook service, strings for booleans", event: "endpoint-create-notebook-private-dns-off.json",
			seed: func(w *testenv.Env) []string {
				id := w.Endpoint("aws.sagemaker.us-east-1.notebook", aws.Bool(false))
				return []string{"vpce-0a1b2c3d4e5f60003", id}
			},
			want: []want{{"sagemaker-vpc-endpoint-private-dns", "", finding.NonCompliant}}},
		{name: "CreateVpcEndpoint runtime with the default", event: "endpoint-create-runtime-private-dns-default.json",
			seed: func(w *testenv.Env) []string {
				id := w.Endpoint("com.amazonaws.us-east-1.sagemaker.runtime", nil)
				return []string{"vpce-0a1b2c3d4e5f60002", id}
			},
			want: []want{{"sagemaker-vpc-endpoint-private-dns", "", finding.Compliant}}},
		{name: "CreateVpcEndpoint S3 gateway", event: "endpoint-create-s3-gateway.json",
			seed: func(w *testenv.Env) []string {
				id := w.Gateway("com.amazonaws.us-east-1.s3")
				return []string{"vpce-0a1b2c3d4e5f60004", id}
			},
			want: []want{{"sagemaker-vpc-endpoint-private-dns", "", finding.NotApplicable}}},
		{name: "CreateVpcEndpoint to SSM", event: "endpoint-create-ssm-private-dns-off.json",
			seed: func(w *testenv.Env) []string {
				id := w.Endpoint("com.amazonaws.us-east-1.ssm", aws.Bool(false))
				return []string{"vpce-0a1b2c3d4e5f60005", id}
			},
			want: []want{{"sagemaker-vpc-endpoint-private-dns", "", finding.NotApplicable}}},
		{name: "ModifyVpcEndpoint private DNS off, decided on the endpoint", event: "endpoint-modify-private-dns-off.json",
			seed: func(w *testenv.Env) []string {
				id := w.Endpoint("com.amazonaws.us-east-1.sagemaker.runtime", aws.Bool(false))
				return []string{"vpce-0a1b2c3d4e5f60002", id}
			},
			want: []want{{"sagemaker-vpc-endpoint-private-dns", "", finding.NonCompliant}}},
		{name: "ModifyVpcEndpoint private DNS off, already back on", event: "endpoint-modify-private-dns-off.json",
			seed: func(w *testenv.Env) []string {
				id := w.Endpoint("com.amazonaws.us-east-1.sagemaker.runtime", aws.Bool(true))
				return []string{"vpce-0a1b2c3d4e5f60002", id}
			},
			want: []want{{"sagemaker-vpc-endpoint-private-dns", "", finding.Compliant}}},
		{name: "DeleteVpcEndpoints", event: "endpoint-delete.json",
			seed: func(w *testenv.Env) []string {
				id := w.Endpoint("com.amazonaws.us-east-1.sagemaker.api", aws.Bool(false))
				if _, err := w.EC2.DeleteVpcEndpoints(context.Background(), &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: []string{id}}); err != nil {
					w.T.Fatalf("delete endpoint: %v", err)
				}
				return []string{"vpce-0a1b2c3d4e5f60001", id}
			},
			want: []want{{"sagemaker-vpc-endpoint-private-dns", "", finding.NotApplicable}}},
		{name: "CreateDomain PublicInternetOnly, domain as the event says", event: "domain-create-public.json",
			seed: func(w *testenv.Env) []string {
				return []string{"d-4hzp1c9r6tye", w.Domain("studio-research", "PublicInternetOnly")}
			},
			want: []want{{"sagemaker-studio-domain-vpc-only", "", finding.NonCompliant}}},
		{name: "CreateDomain omitting the setting: moto, as AWS, made it public", event: "domain-create-network-omitted.json",
			seed: func(w *testenv.Env) []string { return []string{"d-7wq2m5ks0bxa", w.Domain("studio-sandbox", "")} },
			want: []want{{"sagemaker-studio-domain-vpc-only", "", finding.NonCompliant}}},
		{name: "CreateDomain VpcOnly, domain VpcOnly", event: "domain-create-vpc-only.json",
			seed: func(w *testenv.Env) []string { return []string{"d-8n3kq7x2v5wm", w.Domain("studio-prod", "VpcOnly")} },
			want: []want{{"sagemaker-studio-domain-vpc-only", "", finding.Compliant}}},
		{name: "UpdateDomain of other settings is decided on the domain", event: "domain-update-settings.json",
			seed: func(w *testenv.Env) []string { return []string{"d-8n3kq7x2v5wm", w.Domain("studio-prod", "VpcOnly")} },
			want: []want{{"sagemaker-studio-domain-vpc-only", "", finding.Compliant}}},
		{name: "CreateDomain of a domain deleted since", event: "domain-create-public.json",
			seed: func(w *testenv.Env) []string { return nil },
			want: []want{{"sagemaker-studio-domain-vpc-only", "d-4hzp1c9r6tye", finding.NotApplicable}}},
		{name: "CreateTrainingJob without VPC, job as the event says", event: "job-training-no-vpc.json",
			seed: func(w *testenv.Env) []string { w.TrainingJob("churn-train-public", false); return nil },
			want: []want{{"sagemaker-job-in-vpc", "training-job/churn-train-public", finding.NonCompliant}}},
		{name: "CreateTrainingJob in VPC, but the job is not", event: "job-training-in-vpc.json",
			seed: func(w *testenv.Env) []string { w.TrainingJob("churn-train-private", false); return nil },
			want: []want{{"sagemaker-job-in-vpc", "training-job/churn-train-private", finding.NonCompliant}}},
		{name: "CreateTrainingJob in VPC, job in VPC", event: "job-training-in-vpc.json",
			seed: func(w *testenv.Env) []string { w.TrainingJob("churn-train-private", true); return nil },
			want: []want{{"sagemaker-job-in-vpc", "training-job/churn-train-private", finding.Compliant}}},
		{name: "training job SageMaker started for a tuning job", event: "job-training-tuning-child.json",
			seed: func(w *testenv.Env) []string { w.TrainingJob("churn-hpo-001-6f3c2a1b", false); return nil },
			want: []want{{"sagemaker-job-in-vpc", "training-job/churn-hpo-001-6f3c2a1b", finding.NonCompliant}}},
		{name: "tuning job with a definition outside the VPC", event: "job-tuning-definition-without-vpc.json",
			seed: func(w *testenv.Env) []string { w.TuningJob("churn-hpo", true, false); return nil },
			want: []want{{"sagemaker-job-in-vpc", "hyper-parameter-tuning-job/churn-hpo", finding.NonCompliant}}},
		{name: "pipeline step's processing job", event: "job-processing-pipeline-step.json",
			seed: func(w *testenv.Env) []string {
				w.ProcessingJob("pipelines-x7k2m9-preprocess-4d1e8b", false, nil)
				return nil
			},
			want: []want{{"sagemaker-job-in-vpc", "processing-job/pipelines-x7k2m9-preprocess-4d1e8b", finding.NonCompliant}}},
		{name: "AutoML V2 job without VPC", event: "job-automl-v2-no-vpc.json",
			seed: func(w *testenv.Env) []string { w.AutoMLJob("churn-autopilot", false); return nil },
			want: []want{{"sagemaker-job-in-vpc", "automl-job/churn-autopilot", finding.NonCompliant}}},
		{name: "AutoML V1 job in VPC, described with DescribeAutoMLJobV2", event: "job-automl-in-vpc.json",
			seed: func(w *testenv.Env) []string { w.AutoMLJob("fraud-autopilot", true); return nil },
			want: []want{{"sagemaker-job-in-vpc", "automl-job/fraud-autopilot", finding.Compliant}}},
		{name: "CreateTrainingJob of a job that does not exist", event: "job-training-no-vpc.json",
			seed: func(w *testenv.Env) []string { return nil },
			want: []want{{"sagemaker-job-in-vpc", "training-job/churn-train-public", finding.NotApplicable}}},
		{name: "presigned URL from a public address: decided from the event, nothing read", event: "presigned-domain-url-public-ip.json",
			seed: func(w *testenv.Env) []string { return nil },
			want: []want{{"sagemaker-presigned-url-via-vpc-endpoint", "user-profile/d-4hzp1c9r6tye/dave", finding.NonCompliant}}},
		{name: "presigned URL through an endpoint", event: "presigned-domain-url-via-endpoint.json",
			seed: func(w *testenv.Env) []string { return nil },
			want: []want{{"sagemaker-presigned-url-via-vpc-endpoint", "user-profile/d-8n3kq7x2v5wm/alice", finding.Compliant}}},
		{name: "CloudTrail log file, three records", event: "cloudtrail-log-file.json",
			seed: func(w *testenv.Env) []string {
				w.Model("churn-xgb-public", false, nil)
				w.Notebook("research-private", smtypes.DirectInternetAccessDisabled, true)
				return nil
			},
			want: []want{
				{"sagemaker-model-in-vpc", "churn-xgb-public", finding.NonCompliant},
				{"sagemaker-notebook-no-direct-internet-access", "research-private", finding.Compliant},
				// the S3 gateway endpoint does not exist on moto
				{"sagemaker-vpc-endpoint-private-dns", "vpce-0a1b2c3d4e5f60004", finding.NotApplicable},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newEnv(t)
			replace := tt.seed(w)
			evs := testenv.SampleEvents(t, tt.event, replace...)
			e := &Evaluator{Rules: firstRules, Readers: readers(w, nil), ExemptTagKey: exemptKey}
			var got []Result
			for i := range evs {
				rs, err := e.Event(context.Background(), &evs[i])
				if err != nil {
					t.Fatalf("Event %s: %v", evs[i].Name, err)
				}
				got = append(got, rs...)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d results; want %d: %+v", len(got), len(tt.want), got)
			}
			for i, wnt := range tt.want {
				f := got[i].Finding
				name := wnt.resource
				if name == "" && len(replace) == 2 {
					name = replace[1]
				}
				if f.Rule != wnt.rule || f.ResourceName != name || f.Status != wnt.status {
					t.Errorf("finding %d = (%s, %s, %s); want (%s, %s, %s); reason: %s", i, f.Rule, f.ResourceName, f.Status, wnt.rule, name, wnt.status, f.Reason)
				}
				if f.Evaluation != "online" {
					t.Errorf("finding %d Evaluation = %q; want online", i, f.Evaluation)
				}
				if f.Account != testenv.Account || f.Region != region {
					t.Errorf("finding %d account/region = %s/%s; want %s/%s", i, f.Account, f.Region, testenv.Account, region)
				}
				if f.EventID != evs[0].ID && len(evs) == 1 {
					t.Errorf("finding %d EventID = %q; want %q", i, f.EventID, evs[0].ID)
				}
				if (f.Status == finding.NonCompliant) != (f.Severity != "") {
					t.Errorf("finding %d Severity = %q with status %s; want a severity exactly when NON_COMPLIANT", i, f.Severity, f.Status)
				}
				if f.Reason == "" {
					t.Errorf("finding %d has no reason", i)
				}
			}
		})
	}
}

// TestFindingCarriesTheEvent: the finding names the event and the IAM
// principal behind the session, and the resource by its ARN.
func TestFindingCarriesTheEvent(t *testing.T) {
	w := newEnv(t)
	w.Model("churn-xgb-public", false, nil)
	ev := testenv.SampleEvents(t, "model-create-no-vpc.json")[0]
	e := &Evaluator{Rules: firstRules, Readers: readers(w, nil), ExemptTagKey: exemptKey}
	rs, err := e.Event(context.Background(), &ev)
	if err != nil || len(rs) != 1 {
		t.Fatalf("Event: %d results, %v; want 1, nil", len(rs), err)
	}
	f := rs[0].Finding
	checks := []struct{ field, got, want string }{
		{"ResourceID", f.ResourceID, "arn:aws:sagemaker:us-east-1:123456789012:model/churn-xgb-public"},
		{"ResourceType", f.ResourceType, "AWS::SageMaker::Model"},
		{"EventID", f.EventID, ev.ID},
		{"EventName", f.EventName, "CreateModel"},
		{"EventTime", f.EventTime, "2026-11-20T10:01:00Z"},
		{"Principal", f.Principal, "arn:aws:iam::123456789012:role/MLEngineer"},
		{"Severity", f.Severity, "HIGH"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.field, c.got, c.want)
		}
	}
	if rs[0].State.Model == nil {
		t.Errorf("Result.State.Model = nil; want the state the decision was made on")
	}
}

// TestDescribeFailureIsInsufficientData: when the state cannot be read
// nothing is decided, the resource is still listed, and the error is
// returned so a Lambda retries.
func TestDescribeFailureIsInsufficientData(t *testing.T) {
	w := newEnv(t)
	w.Model("churn-xgb-public", false, nil)
	w.Notebook("research-open", smtypes.DirectInternetAccessEnabled, true)
	throttled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	tests := []struct {
		name    string
		event   string
		readers func() Readers
	}{
		{name: "DescribeModel throttled", event: "model-create-no-vpc.json", readers: func() Readers {
			return readers(w, &countingSageMaker{API: w.SageMaker, describeErr: throttled})
		}},
		{name: "DescribeNotebookInstance throttled", event: "notebook-start.json", readers: func() Readers {
			return readers(w, &countingSageMaker{API: w.SageMaker, describeErr: throttled})
		}},
		{name: "no clients for the account", event: "model-create-no-vpc.json", readers: func() Readers {
			return func(context.Context, string, string) (StateReader, error) {
				return nil, errors.New("assume role in 123456789012: AccessDenied")
			}
		}},
		{name: "exemption tag unreadable for a non-compliant model", event: "model-create-no-vpc.json", readers: func() Readers {
			return readers(w, &countingSageMaker{API: w.SageMaker, listTagsErr: throttled})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := testenv.SampleEvents(t, tt.event)[0]
			e := &Evaluator{Rules: firstRules, Readers: tt.readers(), ExemptTagKey: exemptKey}
			rs, err := e.Event(context.Background(), &ev)
			if err == nil {
				t.Errorf("Event: got nil error; want the read failure for a retry")
			}
			if len(rs) != 1 {
				t.Fatalf("got %d results; want 1", len(rs))
			}
			f := rs[0].Finding
			if f.Status != finding.InsufficientData {
				t.Errorf("Status = %s; want %s", f.Status, finding.InsufficientData)
			}
			if f.EventID != ev.ID || f.Principal == "" {
				t.Errorf("EventID = %q, Principal = %q; want the event's id and principal", f.EventID, f.Principal)
			}
			if f.Severity != "" {
				t.Errorf("Severity = %q; want none for INSUFFICIENT_DATA", f.Severity)
			}
		})
	}
}

// TestExemptionAndTagReads: a resource tagged with the exemption key is
// NOT_APPLICABLE and says why; tags are read (a ListTags call) only when the
// decision is NON_COMPLIANT, since that is the only outcome they change.
func TestExemptionAndTagReads(t *testing.T) {
	tests := []struct {
		name         string
		event        string
		seed         func(w *testenv.Env)
		wantStatus   finding.Status
		wantListTags int32
		wantReason   string
	}{
		{name: "non-compliant model tagged exempt", event: "model-create-no-vpc.json",
			seed: func(w *testenv.Env) {
				w.Model("churn-xgb-public", false, map[string]string{exemptKey: "lab, ticket SEC-12"})
			},
			wantStatus: finding.NotApplicable, wantListTags: 1, wantReason: `exempt: tagged vpcguard:exempt="lab, ticket SEC-12"`},
		{name: "non-compliant model with other tags", event: "model-create-no-vpc.json",
			seed:       func(w *testenv.Env) { w.Model("churn-xgb-public", false, map[string]string{"team": "ml"}) },
			wantStatus: finding.NonCompliant, wantListTags: 1},
		{name: "compliant model: tags not read", event: "model-create-in-vpc.json",
			seed:       func(w *testenv.Env) { w.Model("churn-xgb-private", true, map[string]string{exemptKey: "yes"}) },
			wantStatus: finding.Compliant, wantListTags: 0},
		{name: "missing model: tags not read", event: "model-create-no-vpc.json",
			seed:       func(w *testenv.Env) {},
			wantStatus: finding.NotApplicable, wantListTags: 0},
		{name: "non-compliant notebook without tags", event: "notebook-create-internet-enabled.json",
			seed:       func(w *testenv.Env) { w.Notebook("research-open", smtypes.DirectInternetAccessEnabled, true) },
			wantStatus: finding.NonCompliant, wantListTags: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newEnv(t)
			tt.seed(w)
			counter := &countingSageMaker{API: w.SageMaker}
			e := &Evaluator{Rules: firstRules, Readers: readers(w, counter), ExemptTagKey: exemptKey}
			ev := testenv.SampleEvents(t, tt.event)[0]
			rs, err := e.Event(context.Background(), &ev)
			if err != nil || len(rs) != 1 {
				t.Fatalf("Event: %d results, %v; want 1, nil", len(rs), err)
			}
			f := rs[0].Finding
			if f.Status != tt.wantStatus {
				t.Errorf("Status = %s; want %s (reason: %s)", f.Status, tt.wantStatus, f.Reason)
			}
			if got := counter.listTags.Load(); got != tt.wantListTags {
				t.Errorf("ListTags calls = %d; want %d", got, tt.wantListTags)
			}
			if tt.wantReason != "" && !strings.Contains(f.Reason, tt.wantReason) {
				t.Errorf("Reason = %q; want it to contain %q", f.Reason, tt.wantReason)
			}
		})
	}

	t.Run("exempt endpoint: tags come with the describe", func(t *testing.T) {
		w := newEnv(t)
		id := w.Endpoint("com.amazonaws.us-east-1.sagemaker.api", aws.Bool(false))
		if _, err := w.EC2.CreateTags(context.Background(), &ec2.CreateTagsInput{Resources: []string{id},
			Tags: []ec2types.Tag{{Key: aws.String(exemptKey), Value: aws.String("shared services VPC")}}}); err != nil {
			t.Fatalf("tag endpoint: %v", err)
		}
		counter := &countingSageMaker{API: w.SageMaker}
		e := &Evaluator{Rules: firstRules, Readers: readers(w, counter), ExemptTagKey: exemptKey}
		ev := testenv.SampleEvents(t, "endpoint-create-api-private-dns-off.json", "vpce-0a1b2c3d4e5f60001", id)[0]
		rs, err := e.Event(context.Background(), &ev)
		if err != nil || len(rs) != 1 {
			t.Fatalf("Event: %d results, %v; want 1, nil", len(rs), err)
		}
		if f := rs[0].Finding; f.Status != finding.NotApplicable || !strings.Contains(f.Reason, "shared services VPC") {
			t.Errorf("finding = %s %q; want NOT_APPLICABLE naming the exemption", f.Status, f.Reason)
		}
		if got := counter.listTags.Load(); got != 0 {
			t.Errorf("ListTags calls = %d; want 0", got)
		}
	})
}

// TestEventOnlyRuleDecidesTheSameOnlineAndOffline: a presigned URL call is
// judged from its record alone. Online, with readers that fail every read,
// every sample decides as offline, and no reader is asked.
func TestEventOnlyRuleDecidesTheSameOnlineAndOffline(t *testing.T) {
	asked := 0
	failing := func(context.Context, string, string) (StateReader, error) {
		asked++
		return nil, errors.New("no AWS here")
	}
	rule := []rules.Rule{rules.PresignedURLViaEndpoint{}}
	online, offline := &Evaluator{Rules: rule, Readers: failing, ExemptTagKey: exemptKey}, &Evaluator{Rules: rule}
	for _, name := range []string{"presigned-domain-url-public-ip.json", "presigned-domain-url-via-endpoint.json", "presigned-domain-url-sso-role.json",
		"presigned-notebook-url-private-ip.json", "presigned-notebook-url-public-ip.json"} {
		ev := testenv.SampleEvents(t, name)[0]
		on, err := online.Event(context.Background(), &ev)
		if err != nil {
			t.Fatalf("%s online: %v", name, err)
		}
		off, _ := offline.Event(context.Background(), &ev)
		if len(on) != 1 || len(off) != 1 || on[0].Finding.Status != off[0].Finding.Status || on[0].Finding.Reason != off[0].Finding.Reason {
			t.Errorf("%s: online %+v; offline %+v; want the same decision", name, on, off)
		}
		// Nothing to read again before acting: a call has no tags.
		before := on[0].Finding
		if err := online.Reconfirm(context.Background(), &on[0]); err != nil || on[0].Finding.Status != before.Status {
			t.Errorf("%s: Reconfirm: %v, status %s; want nothing read and %s kept", name, err, on[0].Finding.Status, before.Status)
		}
	}
	if asked != 0 {
		t.Errorf("readers asked %d times; want none", asked)
	}
}
