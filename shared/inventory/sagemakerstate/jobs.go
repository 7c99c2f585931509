package sagemakerstate

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// JobAPI is the part of the SageMaker client the job reader calls.
type JobAPI interface {
	DescribeTrainingJob(ctx context.Context, in *sagemaker.DescribeTrainingJobInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeTrainingJobOutput, error)
	DescribeProcessingJob(ctx context.Context, in *sagemaker.DescribeProcessingJobInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeProcessingJobOutput, error)
	DescribeHyperParameterTuningJob(ctx context.Context, in *sagemaker.DescribeHyperParameterTuningJobInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeHyperParameterTuningJobOutput, error)
	DescribeAutoMLJobV2(ctx context.Context, in *sagemaker.DescribeAutoMLJobV2Input, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeAutoMLJobV2Output, error)
	ListTags(ctx context.Context, in *sagemaker.ListTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
}

var _ JobAPI = (*sagemaker.Client)(nil)

// JobReader reads training, processing, tuning and AutoML jobs in one
// account and region.
type JobReader struct {
	SageMaker JobAPI
}

// Tags reads a job's tags with ListTags.
func (r *JobReader) Tags(ctx context.Context, s resource.State) (map[string]string, error) {
	return listTags(ctx, r.SageMaker, s)
}

// Read describes a job with the call of its type (the id says which).
// DescribeAutoMLJobV2 describes AutoML jobs of both API versions. A job that
// does not exist is returned with Missing set and no error.
func (r *JobReader) Read(ctx context.Context, ref resource.Ref) (resource.State, error) {
	s := resource.State{Ref: ref}
	if ref.Kind != resource.Job {
		return s, fmt.Errorf("the job reader cannot read %s resources", ref.Kind)
	}
	typ, name, ok := resource.ParseJobID(ref.ID)
	if !ok {
		return s, fmt.Errorf("read job %q: not a job id (training-job/NAME, processing-job/NAME, ...)", ref.ID)
	}
	j := &resource.JobConfig{Type: typ}
	var arn *string
	var created, modified *time.Time
	var err error
	switch typ {
	case resource.TrainingJob:
		var out *sagemaker.DescribeTrainingJobOutput
		out, err = r.SageMaker.DescribeTrainingJob(ctx, &sagemaker.DescribeTrainingJobInput{TrainingJobName: aws.String(name)})
		if err == nil {
			arn, created, modified = out.TrainingJobArn, out.CreationTime, out.LastModifiedTime
			j.Status, j.ExecutionRole = string(out.TrainingJobStatus), aws.ToString(out.RoleArn)
			j.Networks = []resource.JobNetwork{{Subnets: subnets(out.VpcConfig)}}
			j.Parent = first(out.TuningJobArn, out.AutoMLJobArn)
		}
	case resource.ProcessingJob:
		var out *sagemaker.DescribeProcessingJobOutput
		out, err = r.SageMaker.DescribeProcessingJob(ctx, &sagemaker.DescribeProcessingJobInput{ProcessingJobName: aws.String(name)})
		if err == nil {
			arn, created, modified = out.ProcessingJobArn, out.CreationTime, out.LastModifiedTime
			j.Status, j.ExecutionRole = string(out.ProcessingJobStatus), aws.ToString(out.RoleArn)
			var vpc *smtypes.VpcConfig
			if out.NetworkConfig != nil {
				vpc = out.NetworkConfig.VpcConfig
			}
			j.Networks = []resource.JobNetwork{{Subnets: subnets(vpc)}}
			// Model Monitor's jobs are processing jobs a schedule starts.
			j.Parent = first(out.AutoMLJobArn, out.MonitoringScheduleArn)
		}
	case resource.TuningJob:
		var out *sagemaker.DescribeHyperParameterTuningJobOutput
		out, err = r.SageMaker.DescribeHyperParameterTuningJob(ctx, &sagemaker.DescribeHyperParameterTuningJobInput{HyperParameterTuningJobName: aws.String(name)})
		if err == nil {
			arn, created, modified = out.HyperParameterTuningJobArn, out.CreationTime, out.LastModifiedTime
			j.Status = string(out.HyperParameterTuningJobStatus)
			defs := out.TrainingJobDefinitions
			if out.TrainingJobDefinition != nil {
				defs = append([]smtypes.HyperParameterTrainingJobDefinition{*out.TrainingJobDefinition}, defs...)
			}
			for i, d := range defs {
				n := aws.ToString(d.DefinitionName)
				if n == "" && len(defs) > 1 {
					n = fmt.Sprintf("trainingJobDefinitions[%d]", i)
				}
				j.Networks = append(j.Networks, resource.JobNetwork{Name: n, Subnets: subnets(d.VpcConfig)})
				if j.ExecutionRole == "" {
					j.ExecutionRole = aws.ToString(d.RoleArn)
				}
			}
		}
	case resource.AutoMLJob:
		var out *sagemaker.DescribeAutoMLJobV2Output
		out, err = r.SageMaker.DescribeAutoMLJobV2(ctx, &sagemaker.DescribeAutoMLJobV2Input{AutoMLJobName: aws.String(name)})
		if err == nil {
			arn, created, modified = out.AutoMLJobArn, out.CreationTime, out.LastModifiedTime
			j.Status, j.ExecutionRole = string(out.AutoMLJobStatus), aws.ToString(out.RoleArn)
			var vpc *smtypes.VpcConfig
			if out.SecurityConfig != nil {
				vpc = out.SecurityConfig.VpcConfig
			}
			j.Networks = []resource.JobNetwork{{Subnets: subnets(vpc)}}
		}
	}
	if awserr.IsNotFound(err) {
		s.Missing = true
		s.ARN = resource.SageMakerARN(ref.Region, ref.Account, ref.ID)
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("describe %s: %w", ref.ID, err)
	}
	s.ARN = aws.ToString(arn)
	s.Created = aws.ToTime(created)
	if modified != nil {
		j.LastModified = modified.UTC().Format(time.RFC3339)
	}
	s.Job = j
	return s, nil
}

func subnets(vpc *smtypes.VpcConfig) []string {
	if vpc == nil {
		return nil
	}
	return vpc.Subnets
}

func first(ss ...*string) string {
	for _, s := range ss {
		if v := aws.ToString(s); v != "" {
			return v
		}
	}
	return ""
}
