package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/vpcguard/vpcguard/shared/ticket"
)

// endState is what a person sees in the account after the guards ran.
type endState struct {
	Models      map[string]map[string]string // model that exists -> its tags
	Notebooks   map[string]string            // notebook -> status and tags
	Endpoints   map[string]string            // endpoint label -> private DNS, state and tags
	Domains     map[string]string            // Studio domain name -> network access and tags
	Jobs        map[string]string            // job (training-job/NAME, ...) -> status and tags
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
		Domains: map[string]string{}, Jobs: map[string]string{},
		Policies: map[string][]string{}, Hub: map[string]string{}, HubFindings: map[string]int{}, SNS: map[string]int{}, Writes: map[string]int{}}

	models, err := w.clients.SageMaker.ListModels(ctx, &sagemaker.ListModelsInput{})
	fail("models", err)
	for _, m := range models.Models {
		s.Models[aws.ToString(m.ModelName)] = w.SageMakerTags(aws.ToString(m.ModelArn))
	}
	nbs, err := w.clients.SageMaker.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{})
	fail("notebooks", err)
	for _, nb := range nbs.NotebookInstances {
		s.Notebooks[aws.ToString(nb.NotebookInstanceName)] = fmt.Sprintf("%s %v", nb.NotebookInstanceStatus, w.SageMakerTags(aws.ToString(nb.NotebookInstanceArn)))
	}
	domains, err := w.clients.SageMaker.ListDomains(ctx, &sagemaker.ListDomainsInput{})
	fail("domains", err)
	for _, d := range domains.Domains {
		out, err := w.clients.SageMaker.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: d.DomainId})
		fail("domain", err)
		s.Domains[aws.ToString(d.DomainName)] = fmt.Sprintf("%s %v", out.AppNetworkAccessType, w.SageMakerTags(aws.ToString(d.DomainArn)))
	}
	w.captureJobs(ctx, s.Jobs, fail)
	eps, err := w.clients.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	fail("endpoints", err)
	labels := map[string]string{} // endpoint id -> its label
	names := map[string]string{}  // id -> how findings and writes name it
	for sample, id := range w.ids {
		labels[id] = endpointLabels[sample]
		names[id] = "vpce:" + endpointLabels[sample]
	}
	names[w.Net.VPC], names[w.sandbox.VPC] = "vpc:ml-platform", "vpc:ml-sandbox"
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

	roles, err := w.IAM.ListRoles(ctx, &iam.ListRolesInput{})
	fail("roles", err)
	for _, r := range roles.Roles {
		out, err := w.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: r.RoleName})
		fail("role policies", err)
		for _, p := range out.AttachedPolicies {
			s.Policies["role/"+aws.ToString(r.RoleName)] = append(s.Policies["role/"+aws.ToString(r.RoleName)], aws.ToString(p.PolicyName))
		}
	}
	users, err := w.IAM.ListUsers(ctx, &iam.ListUsersInput{})
	fail("users", err)
	for _, u := range users.Users {
		out, err := w.IAM.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: u.UserName})
		fail("user policies", err)
		for _, p := range out.AttachedPolicies {
			s.Policies["user/"+aws.ToString(u.UserName)] = append(s.Policies["user/"+aws.ToString(u.UserName)], aws.ToString(p.PolicyName))
		}
	}
	for _, ps := range s.Policies {
		sort.Strings(ps)
	}

	// moto ignores GetFindings filters and returns every finding.
	pages := securityhub.NewGetFindingsPaginator(w.SecurityHub, &securityhub.GetFindingsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		fail("security hub findings", err)
		for _, f := range page.Findings {
			res := ""
			if len(f.Resources) > 0 {
				res = aws.ToString(f.Resources[0].Id)
			}
			key := aws.ToString(f.GeneratorId) + " " + shortResource(res, names)
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
		s.SNS[change+" "+rule+" "+shortResource(res, names)]++
	}
	for _, c := range writes {
		s.Writes[c.op+" "+writeTarget(c, names)]++
	}
	return s
}

// shortResource names a resource by its name, or by what names says (an
// endpoint by its label, a VPC by its Name), so states of different moto
// runs compare.
func shortResource(arn string, names map[string]string) string {
	i := strings.LastIndexAny(arn, "/:")
	name := arn[i+1:]
	if l, ok := names[name]; ok {
		return l
	}
	return name
}

// captureJobs reads every job's status and tags.
func (w *world) captureJobs(ctx context.Context, jobs map[string]string, fail func(string, error)) {
	sm := w.clients.SageMaker
	training, err := sm.ListTrainingJobs(ctx, &sagemaker.ListTrainingJobsInput{})
	fail("training jobs", err)
	for _, j := range training.TrainingJobSummaries {
		jobs["training-job/"+aws.ToString(j.TrainingJobName)] = fmt.Sprintf("%s %v", j.TrainingJobStatus, w.SageMakerTags(aws.ToString(j.TrainingJobArn)))
	}
	processing, err := sm.ListProcessingJobs(ctx, &sagemaker.ListProcessingJobsInput{})
	fail("processing jobs", err)
	for _, j := range processing.ProcessingJobSummaries {
		jobs["processing-job/"+aws.ToString(j.ProcessingJobName)] = fmt.Sprintf("%s %v", j.ProcessingJobStatus, w.SageMakerTags(aws.ToString(j.ProcessingJobArn)))
	}
	tuning, err := sm.ListHyperParameterTuningJobs(ctx, &sagemaker.ListHyperParameterTuningJobsInput{})
	fail("tuning jobs", err)
	for _, j := range tuning.HyperParameterTuningJobSummaries {
		jobs["hyper-parameter-tuning-job/"+aws.ToString(j.HyperParameterTuningJobName)] = fmt.Sprintf("%s %v", j.HyperParameterTuningJobStatus,
			w.SageMakerTags(aws.ToString(j.HyperParameterTuningJobArn)))
	}
	automl, err := sm.ListAutoMLJobs(ctx, &sagemaker.ListAutoMLJobsInput{})
	fail("AutoML jobs", err)
	for _, j := range automl.AutoMLJobSummaries {
		jobs["automl-job/"+aws.ToString(j.AutoMLJobName)] = fmt.Sprintf("%s %v", j.AutoMLJobStatus, w.SageMakerTags(aws.ToString(j.AutoMLJobArn)))
	}
}

func writeTarget(c call, labels map[string]string) string {
	switch in := c.in.(type) {
	case *sagemaker.StopAutoMLJobInput:
		return aws.ToString(in.AutoMLJobName)
	case *sagemaker.StopTrainingJobInput:
		return aws.ToString(in.TrainingJobName)
	case *sagemaker.UpdateDomainInput:
		return aws.ToString(in.DomainId)
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
	var got []string
	for _, n := range w.Inbox() {
		got = append(got, w.messageKey(n.MessageAttributes["change"].Value, n.Message))
	}
	return got
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
	cmp("Domains", want.Domains, got.Domains)
	cmp("Jobs", want.Jobs, got.Jobs)
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
