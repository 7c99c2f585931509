package rules

import (
	"fmt"
	"strings"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// JobInVPC: a SageMaker training, processing, hyperparameter tuning or
// AutoML job must run in VPC subnets; without them its containers reach
// the internet (and whatever data they hold leaves) through SageMaker's
// network.
type JobInVPC struct{}

func (JobInVPC) Name() string        { return "sagemaker-job-in-vpc" }
func (JobInVPC) Kind() resource.Kind { return resource.Job }
func (JobInVPC) Severity() string    { return "HIGH" }

func (JobInVPC) DefaultMode() mode.Mode { return mode.Ticket }

// jobCalls maps each create call to the type of job it makes.
var jobCalls = map[string]string{
	"CreateTrainingJob":             resource.TrainingJob,
	"CreateProcessingJob":           resource.ProcessingJob,
	"CreateHyperParameterTuningJob": resource.TuningJob,
	"CreateAutoMLJob":               resource.AutoMLJob,
	"CreateAutoMLJobV2":             resource.AutoMLJob,
}

func (JobInVPC) Triggers() []Trigger {
	return []Trigger{{Source: sageMaker, Names: []string{
		"CreateTrainingJob", "CreateProcessingJob", "CreateHyperParameterTuningJob", "CreateAutoMLJob", "CreateAutoMLJobV2",
	}}}
}

// Guardrail denies creating any of these jobs without VPC subnets: every
// one of the calls carries sagemaker:VpcSubnets when the request names
// subnets (for a tuning job, those of its training job definitions).
func (JobInVPC) Guardrail() []guardrail.Statement {
	return []guardrail.Statement{{
		Sid: "DenyJobWithoutVpc",
		Actions: []string{"sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob", "sagemaker:CreateHyperParameterTuningJob",
			"sagemaker:CreateAutoMLJob", "sagemaker:CreateAutoMLJobV2"},
		Conditions: []guardrail.Condition{{Operator: "Null", Key: "sagemaker:VpcSubnets", Values: []string{"true"}}},
	}}
}

func (JobInVPC) Remedies() []Remedy { return []Remedy{StopJob, Tag} }

func (JobInVPC) Doc() Doc {
	return Doc{
		Breaks: "`CreateTrainingJob`, `CreateProcessingJob`, `CreateHyperParameterTuningJob` (any training job definition), " +
			"`CreateAutoMLJob` or `CreateAutoMLJobV2` without VPC subnets",
		Enforce: "stops the job if it still runs, tags it, attaches the guardrail to the caller " +
			"(never to the execution role of a job SageMaker started for a tuning job, AutoML job or pipeline)",
	}
}

func (r JobInVPC) FromEvent(ev *cloudtrail.Event) []resource.State {
	typ, ok := jobCalls[ev.Name]
	if !ok {
		return nil
	}
	req := ev.Request
	var name, arn, role string
	var networks []resource.JobNetwork
	switch ev.Name {
	case "CreateTrainingJob":
		name, arn, role = req.Get("trainingJobName").String(), ev.Response.Get("trainingJobArn").String(), req.Get("roleArn").String()
		networks = []resource.JobNetwork{{Subnets: req.Get("vpcConfig", "subnets").Strings()}}
	case "CreateProcessingJob":
		name, arn, role = req.Get("processingJobName").String(), ev.Response.Get("processingJobArn").String(), req.Get("roleArn").String()
		networks = []resource.JobNetwork{{Subnets: req.Get("networkConfig", "vpcConfig", "subnets").Strings()}}
	case "CreateHyperParameterTuningJob":
		name, arn = req.Get("hyperParameterTuningJobName").String(), ev.Response.Get("hyperParameterTuningJobArn").String()
		networks = tuningNetworks(req.Get("trainingJobDefinition"), req.Get("trainingJobDefinitions").List())
		role = req.Get("trainingJobDefinition", "roleArn").String()
	case "CreateAutoMLJob":
		name, arn, role = req.Get("autoMLJobName").String(), ev.Response.Get("autoMLJobArn").String(), req.Get("roleArn").String()
		networks = []resource.JobNetwork{{Subnets: req.Get("autoMLJobConfig", "securityConfig", "vpcConfig", "subnets").Strings()}}
	case "CreateAutoMLJobV2":
		name, arn, role = req.Get("autoMLJobName").String(), ev.Response.Get("autoMLJobArn").String(), req.Get("roleArn").String()
		networks = []resource.JobNetwork{{Subnets: req.Get("securityConfig", "vpcConfig", "subnets").Strings()}}
	}
	if name == "" {
		return nil
	}
	id := resource.JobID(typ, name)
	if arn == "" {
		arn = resource.SageMakerARN(ev.Region, ev.Account, id)
	}
	return []resource.State{{Ref: ref(r.Kind(), id, ev), ARN: arn,
		Job: &resource.JobConfig{Type: typ, Networks: networks, ExecutionRole: role, Parent: pipelineTag(req.Get("tags").List())}}}
}

// PipelineExecutionTag is the tag SageMaker Pipelines puts on the jobs of
// its steps, naming the pipeline execution.
const PipelineExecutionTag = "sagemaker:pipeline-execution-arn"

// pipelineTag finds PipelineExecutionTag among a request's tags
// ({"key": ..., "value": ...}).
func pipelineTag(tags []cloudtrail.Value) string {
	for _, t := range tags {
		if t.Get("key").String() == PipelineExecutionTag {
			return t.Get("value").String()
		}
	}
	return ""
}

// tuningNetworks reads a tuning job's training job definitions: the one
// (trainingJobDefinition) or the several (trainingJobDefinitions); a request
// has one form or the other. A record with neither names no VPC.
func tuningNetworks(single cloudtrail.Value, many []cloudtrail.Value) []resource.JobNetwork {
	var out []resource.JobNetwork
	if single.Exists() {
		out = append(out, resource.JobNetwork{Name: single.Get("definitionName").String(), Subnets: single.Get("vpcConfig", "subnets").Strings()})
	}
	for i, d := range many {
		name := d.Get("definitionName").String()
		if name == "" {
			name = fmt.Sprintf("trainingJobDefinitions[%d]", i)
		}
		out = append(out, resource.JobNetwork{Name: name, Subnets: d.Get("vpcConfig", "subnets").Strings()})
	}
	if len(out) == 0 {
		out = []resource.JobNetwork{{}}
	}
	return out
}

func (JobInVPC) Decide(s resource.State) Decision {
	switch {
	case s.Missing:
		return gone(s)
	case s.Job == nil:
		return unknown("the job's VPC settings")
	}
	j := s.Job
	what := jobWords(j.Type) + " " + jobName(s.ID)
	var outside, subnets []string
	for _, n := range j.Networks {
		if len(n.Subnets) == 0 {
			outside = append(outside, n.Name)
		}
		subnets = append(subnets, n.Subnets...)
	}
	if len(j.Networks) == 0 {
		outside = append(outside, "")
	}
	if len(outside) == 0 {
		return Decision{finding.Compliant, fmt.Sprintf("%s runs in VPC subnets %s", what, strings.Join(dedupe(subnets), ", "))}
	}
	where := "has no VPC subnets"
	if named := nonEmpty(outside); len(named) > 0 {
		where = "has training job definitions without VPC subnets: " + strings.Join(named, ", ")
	}
	// The reason leaves the job's status out: it changes while the job
	// runs (and when enforce mode stops it), and a ticket must not be
	// updated for that. The stop action says what became of the job.
	reason := fmt.Sprintf("%s %s, so its containers reach the internet through SageMaker's network; "+
		"a job's VPC settings cannot be changed: run it again with VpcConfig subnets and security groups", what, where)
	if j.Parent != "" {
		reason += fmt.Sprintf(" (SageMaker started it for %s: fix that, and the jobs it starts follow)", j.Parent)
	}
	return Decision{finding.NonCompliant, reason}
}

// RefuseGuardrail keeps the guardrail off the roles jobs run as. A job
// SageMaker created itself (a tuning job's trials, an AutoML job's
// candidates, a pipeline's steps) is recorded with SageMaker as the caller,
// or as a session of the execution role the parent runs with: a guardrail
// there would break every later job of the pipeline or tuning job, and no
// SageMaker API says who started the parent. The parent's own Create call,
// when it is one this rule judges (tuning, AutoML), puts the guardrail on
// the person who made it; for a pipeline, the step's definition is what to
// fix.
func (JobInVPC) RefuseGuardrail(caller cloudtrail.Identity, principal string, s resource.State) string {
	parent := s.Tags[PipelineExecutionTag]
	if s.Job != nil && s.Job.Parent != "" {
		parent = s.Job.Parent
	}
	switch {
	// A creator a backfill found in CloudTrail's history comes as its
	// principal alone: SageMaker's own name there means the same.
	case caller.Type == "AWSService" || strings.EqualFold(caller.InvokedBy, sageMaker) || strings.EqualFold(principal, sageMaker):
		if parent != "" {
			return "SageMaker created this job for " + parent + ", as the execution role every such job runs as; " + parentAdvice(parent)
		}
		return "SageMaker created this job itself (for a tuning job, AutoML job or pipeline), as an execution role; " +
			"SageMaker does not say who started the parent, and a guardrail on the execution role would break every job it runs"
	case s.Job != nil && s.Job.ExecutionRole != "" && principal != "" && sameRole(principal, s.Job.ExecutionRole):
		return "the caller is the job's own execution role " + s.Job.ExecutionRole + ": a guardrail on it would break every job that runs as it"
	case parent != "":
		return "SageMaker created this job for " + parent + "; " + parentAdvice(parent)
	}
	return ""
}

// parentAdvice says where the guardrail goes instead, by the parent's type.
func parentAdvice(parentARN string) string {
	switch {
	case strings.Contains(parentARN, ":hyper-parameter-tuning-job/"):
		return "the guardrail goes on whoever created the tuning job, from its own CreateHyperParameterTuningJob event"
	case strings.Contains(parentARN, ":automl-job/"):
		return "the guardrail goes on whoever created the AutoML job, from its own CreateAutoMLJob event"
	case strings.Contains(parentARN, ":pipeline/"):
		return "the job's network comes from the pipeline's step definition: fix the pipeline (a guardrail on whoever " +
			"started the execution would not stop the pipeline's role, and one on that role would break the pipeline)"
	case strings.Contains(parentARN, ":monitoring-schedule/"):
		return "the job's network comes from the monitoring schedule: fix its NetworkConfig"
	}
	return "a guardrail on the role its jobs run as would break them"
}

// sameRole compares two role ARNs, ignoring the role's path: an execution
// role ARN may carry one (role/service-role/X) that a caller's ARN, built
// from an assumed-role session, does not.
func sameRole(a, b string) bool {
	name := func(arn string) string {
		if i := strings.LastIndex(arn, "/"); i >= 0 && strings.Contains(arn, ":role/") {
			return arn[:strings.Index(arn, ":role/")] + "|" + arn[i+1:]
		}
		return arn
	}
	return name(a) == name(b)
}

func jobWords(typ string) string {
	switch typ {
	case resource.TrainingJob:
		return "training job"
	case resource.ProcessingJob:
		return "processing job"
	case resource.TuningJob:
		return "hyperparameter tuning job"
	case resource.AutoMLJob:
		return "AutoML job"
	}
	return "job"
}

func jobName(id string) string {
	if _, name, ok := resource.ParseJobID(id); ok {
		return name
	}
	return id
}

func nonEmpty(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func dedupe(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
