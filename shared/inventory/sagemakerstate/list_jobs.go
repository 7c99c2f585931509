package sagemakerstate

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/vpcguard/vpcguard/shared/resource"
)

// JobListAPI is the part of the SageMaker client the job listings call.
type JobListAPI interface {
	ListTrainingJobs(ctx context.Context, in *sagemaker.ListTrainingJobsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTrainingJobsOutput, error)
	ListProcessingJobs(ctx context.Context, in *sagemaker.ListProcessingJobsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListProcessingJobsOutput, error)
	ListHyperParameterTuningJobs(ctx context.Context, in *sagemaker.ListHyperParameterTuningJobsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListHyperParameterTuningJobsOutput, error)
	ListAutoMLJobs(ctx context.Context, in *sagemaker.ListAutoMLJobsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListAutoMLJobsOutput, error)
}

var _ JobListAPI = (*sagemaker.Client)(nil)

// Jobs lists training, processing, tuning and AutoML jobs for the backfill:
// every job still running, which enforce mode can stop, and the jobs that
// changed within Lookback, which are reported (a finished job cannot be
// changed; older ones are history, and SageMaker keeps jobs forever, so
// listing them all would grow without bound).
type Jobs struct {
	SageMaker JobListAPI
	Lookback  time.Duration    // 0: running jobs only
	Now       func() time.Time // nil: time.Now
}

// jobSummary is one listing's summary, whatever the job type.
type jobSummary struct{ name, arn string }

// List emits each job once, its configuration unknown (the listings carry
// no VPC settings).
func (l Jobs) List(ctx context.Context, account, region string, pageSize int32, emit func(resource.State, bool) bool) error {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	var since *time.Time
	if l.Lookback > 0 {
		since = aws.Time(now().Add(-l.Lookback))
	}
	for _, typ := range []string{resource.TrainingJob, resource.ProcessingJob, resource.TuningJob, resource.AutoMLJob} {
		seen := map[string]bool{}
		more := true
		each := func(j jobSummary) bool {
			if seen[j.name] {
				return true
			}
			seen[j.name] = true
			s := resource.State{Ref: resource.Ref{Kind: resource.Job, ID: resource.JobID(typ, j.name), Account: account, Region: region}, ARN: j.arn}
			more = emit(s, false)
			return more
		}
		// The running ones, however old, then the recent ones (a running
		// job that changed lately comes twice, and is emitted once).
		if err := l.list(ctx, typ, pageSize, nil, each); err != nil || !more {
			return err
		}
		if since != nil {
			if err := l.list(ctx, typ, pageSize, since, each); err != nil || !more {
				return err
			}
		}
	}
	return nil
}

// list pages through one type's listing: the InProgress jobs when since is
// nil, else those modified after since. It stops when each returns false.
// moto pages before it filters, so a page may be empty with more to come:
// the paginators follow NextToken until there is none.
func (l Jobs) list(ctx context.Context, typ string, pageSize int32, since *time.Time, each func(jobSummary) bool) error {
	limit := aws.Int32(pageSize)
	switch typ {
	case resource.TrainingJob:
		in := &sagemaker.ListTrainingJobsInput{MaxResults: limit, LastModifiedTimeAfter: since}
		if since == nil {
			in.StatusEquals = smtypes.TrainingJobStatusInProgress
		}
		p := sagemaker.NewListTrainingJobsPaginator(l.SageMaker, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list training jobs: %w", err)
			}
			for _, j := range page.TrainingJobSummaries {
				if !each(jobSummary{aws.ToString(j.TrainingJobName), aws.ToString(j.TrainingJobArn)}) {
					return nil
				}
			}
		}
	case resource.ProcessingJob:
		in := &sagemaker.ListProcessingJobsInput{MaxResults: limit, LastModifiedTimeAfter: since}
		if since == nil {
			in.StatusEquals = smtypes.ProcessingJobStatusInProgress
		}
		p := sagemaker.NewListProcessingJobsPaginator(l.SageMaker, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list processing jobs: %w", err)
			}
			for _, j := range page.ProcessingJobSummaries {
				if !each(jobSummary{aws.ToString(j.ProcessingJobName), aws.ToString(j.ProcessingJobArn)}) {
					return nil
				}
			}
		}
	case resource.TuningJob:
		// Tuning jobs list at most 100 a page.
		in := &sagemaker.ListHyperParameterTuningJobsInput{MaxResults: aws.Int32(min(pageSize, 100)), LastModifiedTimeAfter: since}
		if since == nil {
			in.StatusEquals = smtypes.HyperParameterTuningJobStatusInProgress
		}
		p := sagemaker.NewListHyperParameterTuningJobsPaginator(l.SageMaker, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list hyperparameter tuning jobs: %w", err)
			}
			for _, j := range page.HyperParameterTuningJobSummaries {
				if !each(jobSummary{aws.ToString(j.HyperParameterTuningJobName), aws.ToString(j.HyperParameterTuningJobArn)}) {
					return nil
				}
			}
		}
	case resource.AutoMLJob:
		in := &sagemaker.ListAutoMLJobsInput{MaxResults: aws.Int32(min(pageSize, 100)), LastModifiedTimeAfter: since}
		if since == nil {
			in.StatusEquals = smtypes.AutoMLJobStatusInProgress
		}
		p := sagemaker.NewListAutoMLJobsPaginator(l.SageMaker, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("list AutoML jobs: %w", err)
			}
			for _, j := range page.AutoMLJobSummaries {
				if !each(jobSummary{aws.ToString(j.AutoMLJobName), aws.ToString(j.AutoMLJobArn)}) {
					return nil
				}
			}
		}
	}
	return nil
}
