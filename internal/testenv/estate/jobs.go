package estate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// Studio domains and jobs, as moto keeps them: a domain is InService at once
// and its id is d-NAME; training, processing and tuning jobs are Completed at
// once, AutoML jobs (V2) InProgress. Every one is created with tags: moto
// answers ListTags, AddTags and the tagging API with HTTP 500 for a domain
// or tuning job created without any, for the whole account.

// defaultTags are the tags of what is created without any.
var defaultTags = map[string]string{"team": "ml-platform"}

func tagsOr(tags map[string]string) []smtypes.Tag {
	if len(tags) == 0 {
		tags = defaultTags
	}
	return smTags(tags)
}

// Domain creates a Studio domain in net (its VPC and subnets). access is
// "VpcOnly", "PublicInternetOnly", or "" to omit it (AWS then uses
// PublicInternetOnly). It returns the domain's id.
func (c Clients) Domain(ctx context.Context, name, access string, net *Network, tags map[string]string) (string, error) {
	out, err := c.SageMaker.CreateDomain(ctx, &sagemaker.CreateDomainInput{
		DomainName:           aws.String(name),
		AuthMode:             smtypes.AuthModeIam,
		DefaultUserSettings:  &smtypes.UserSettings{ExecutionRole: aws.String(ExecutionRole), SecurityGroups: []string{net.SecurityGroup}},
		VpcId:                aws.String(net.VPC),
		SubnetIds:            net.Subnets,
		AppNetworkAccessType: smtypes.AppNetworkAccessType(access),
		Tags:                 tagsOr(tags),
	})
	if err != nil {
		return "", fmt.Errorf("create domain %s: %w", name, err)
	}
	arn := aws.ToString(out.DomainArn)
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == '/' {
			return arn[i+1:], nil
		}
	}
	return "", fmt.Errorf("create domain %s: no id in ARN %q", name, arn)
}

// vpc is net as a job's VpcConfig, nil without a network.
func vpc(net *Network) *smtypes.VpcConfig {
	if net == nil {
		return nil
	}
	return &smtypes.VpcConfig{Subnets: net.Subnets, SecurityGroupIds: []string{net.SecurityGroup}}
}

var (
	trainingResources = &smtypes.ResourceConfig{InstanceType: smtypes.TrainingInstanceTypeMlM5Xlarge, InstanceCount: aws.Int32(1), VolumeSizeInGB: aws.Int32(30)}
	stopping          = &smtypes.StoppingCondition{MaxRuntimeInSeconds: aws.Int32(3600)}
	algorithm         = &smtypes.AlgorithmSpecification{TrainingImage: aws.String(image), TrainingInputMode: smtypes.TrainingInputModeFile}
)

func output(name string) *smtypes.OutputDataConfig {
	return &smtypes.OutputDataConfig{S3OutputPath: aws.String("s3://ml-artifacts-123456789012/" + name + "/")}
}

// TrainingJob creates a training job, in net's subnets when net is not nil.
func (c Clients) TrainingJob(ctx context.Context, name string, net *Network) error {
	_, err := c.SageMaker.CreateTrainingJob(ctx, &sagemaker.CreateTrainingJobInput{
		TrainingJobName: aws.String(name), RoleArn: aws.String(ExecutionRole), AlgorithmSpecification: algorithm,
		OutputDataConfig: output(name), ResourceConfig: trainingResources, StoppingCondition: stopping,
		VpcConfig: vpc(net), Tags: tagsOr(nil),
	})
	if err != nil {
		return fmt.Errorf("create training job %s: %w", name, err)
	}
	return nil
}

// ProcessingJob creates a processing job, in net's subnets when net is not
// nil, with tags (a pipeline step carries sagemaker:pipeline-execution-arn).
func (c Clients) ProcessingJob(ctx context.Context, name string, net *Network, tags map[string]string) error {
	in := &sagemaker.CreateProcessingJobInput{
		ProcessingJobName: aws.String(name), RoleArn: aws.String(ExecutionRole),
		ProcessingResources: &smtypes.ProcessingResources{ClusterConfig: &smtypes.ProcessingClusterConfig{
			InstanceCount: aws.Int32(1), InstanceType: smtypes.ProcessingInstanceTypeMlM5Xlarge, VolumeSizeInGB: aws.Int32(30)}},
		AppSpecification: &smtypes.AppSpecification{ImageUri: aws.String(image)},
		Tags:             tagsOr(tags),
	}
	if net != nil {
		in.NetworkConfig = &smtypes.NetworkConfig{VpcConfig: vpc(net)}
	}
	if _, err := c.SageMaker.CreateProcessingJob(ctx, in); err != nil {
		return fmt.Errorf("create processing job %s: %w", name, err)
	}
	return nil
}

// TuningJob creates a hyperparameter tuning job with one training job
// definition per entry of inVPC, named def-0, def-1, ..., each in net's
// subnets when its entry is true.
func (c Clients) TuningJob(ctx context.Context, name string, net *Network, inVPC ...bool) error {
	in := &sagemaker.CreateHyperParameterTuningJobInput{
		HyperParameterTuningJobName: aws.String(name),
		HyperParameterTuningJobConfig: &smtypes.HyperParameterTuningJobConfig{Strategy: smtypes.HyperParameterTuningJobStrategyTypeBayesian,
			ResourceLimits: &smtypes.ResourceLimits{MaxNumberOfTrainingJobs: aws.Int32(4), MaxParallelTrainingJobs: aws.Int32(2)}},
		Tags: tagsOr(nil),
	}
	for i, withVPC := range inVPC {
		d := smtypes.HyperParameterTrainingJobDefinition{DefinitionName: aws.String(fmt.Sprintf("def-%d", i)),
			AlgorithmSpecification: &smtypes.HyperParameterAlgorithmSpecification{TrainingImage: aws.String(image), TrainingInputMode: smtypes.TrainingInputModeFile},
			RoleArn:                aws.String(ExecutionRole), OutputDataConfig: output(name), ResourceConfig: trainingResources, StoppingCondition: stopping}
		if withVPC {
			d.VpcConfig = vpc(net)
		}
		in.TrainingJobDefinitions = append(in.TrainingJobDefinitions, d)
	}
	if _, err := c.SageMaker.CreateHyperParameterTuningJob(ctx, in); err != nil {
		return fmt.Errorf("create tuning job %s: %w", name, err)
	}
	return nil
}

// AutoMLJob creates an AutoML job with CreateAutoMLJobV2 (moto has no V1
// call; DescribeAutoMLJobV2 reads jobs of both versions), in net's subnets
// when net is not nil. moto keeps it InProgress until StopAutoMLJob.
func (c Clients) AutoMLJob(ctx context.Context, name string, net *Network) error {
	in := &sagemaker.CreateAutoMLJobV2Input{
		AutoMLJobName: aws.String(name), RoleArn: aws.String(ExecutionRole),
		AutoMLJobInputDataConfig: []smtypes.AutoMLJobChannel{{ChannelType: smtypes.AutoMLChannelTypeTraining,
			DataSource: &smtypes.AutoMLDataSource{S3DataSource: &smtypes.AutoMLS3DataSource{S3DataType: smtypes.AutoMLS3DataTypeS3Prefix,
				S3Uri: aws.String("s3://ml-data-123456789012/" + name + "/train.csv")}}}},
		OutputDataConfig: &smtypes.AutoMLOutputDataConfig{S3OutputPath: aws.String("s3://ml-artifacts-123456789012/" + name + "/")},
		// moto needs ProblemType and CompletionCriteria (KeyError, HTTP 500, without).
		AutoMLProblemTypeConfig: &smtypes.AutoMLProblemTypeConfigMemberTabularJobConfig{Value: smtypes.TabularJobConfig{
			TargetAttributeName: aws.String("label"), ProblemType: smtypes.ProblemTypeBinaryClassification,
			CompletionCriteria: &smtypes.AutoMLJobCompletionCriteria{MaxCandidates: aws.Int32(4)}}},
		Tags: tagsOr(nil),
	}
	if net != nil {
		in.SecurityConfig = &smtypes.AutoMLSecurityConfig{VpcConfig: vpc(net)}
	}
	if _, err := c.SageMaker.CreateAutoMLJobV2(ctx, in); err != nil {
		return fmt.Errorf("create AutoML job %s: %w", name, err)
	}
	return nil
}
