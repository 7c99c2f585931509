package sagemakerapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/shared/resource"
)

// JobsClient is the part of the SageMaker client the job remediations
// call: a function that remediates jobs links these operations, and only a
// function that does.
type JobsClient interface {
	StopTrainingJob(ctx context.Context, in *sagemaker.StopTrainingJobInput, opts ...func(*sagemaker.Options)) (*sagemaker.StopTrainingJobOutput, error)
	StopProcessingJob(ctx context.Context, in *sagemaker.StopProcessingJobInput, opts ...func(*sagemaker.Options)) (*sagemaker.StopProcessingJobOutput, error)
	StopHyperParameterTuningJob(ctx context.Context, in *sagemaker.StopHyperParameterTuningJobInput, opts ...func(*sagemaker.Options)) (*sagemaker.StopHyperParameterTuningJobOutput, error)
	StopAutoMLJob(ctx context.Context, in *sagemaker.StopAutoMLJobInput, opts ...func(*sagemaker.Options)) (*sagemaker.StopAutoMLJobOutput, error)
	AddTags(ctx context.Context, in *sagemaker.AddTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.AddTagsOutput, error)
	ListTags(ctx context.Context, in *sagemaker.ListTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
}

var _ JobsClient = (*sagemaker.Client)(nil)

// Jobs is remediate.JobAPI over a SageMaker client.
type Jobs struct{ Client JobsClient }

// NewJobs wraps c.
func NewJobs(c JobsClient) Jobs { return Jobs{Client: c} }

// StopJob stops the job name of jobType (resource.TrainingJob, ...) with
// the Stop call of its type; StopAutoMLJob stops AutoML jobs of both API
// versions.
func (j Jobs) StopJob(ctx context.Context, jobType, name string) error {
	var err error
	switch jobType {
	case resource.TrainingJob:
		_, err = j.Client.StopTrainingJob(ctx, &sagemaker.StopTrainingJobInput{TrainingJobName: aws.String(name)})
	case resource.ProcessingJob:
		_, err = j.Client.StopProcessingJob(ctx, &sagemaker.StopProcessingJobInput{ProcessingJobName: aws.String(name)})
	case resource.TuningJob:
		_, err = j.Client.StopHyperParameterTuningJob(ctx, &sagemaker.StopHyperParameterTuningJobInput{HyperParameterTuningJobName: aws.String(name)})
	case resource.AutoMLJob:
		_, err = j.Client.StopAutoMLJob(ctx, &sagemaker.StopAutoMLJobInput{AutoMLJobName: aws.String(name)})
	default:
		return fmt.Errorf("stop job %s: unknown job type %q", name, jobType)
	}
	return err
}

// AddTag tags the job arn with key=value.
func (j Jobs) AddTag(ctx context.Context, arn, key, value string) error {
	return addTag(ctx, j.Client, arn, key, value)
}

// TagValue reads the value of the tag key of the job arn ("" when unset).
func (j Jobs) TagValue(ctx context.Context, arn, key string) (string, error) {
	return tagValue(ctx, j.Client, arn, key)
}
