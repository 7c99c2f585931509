// Package awsclients builds AWS SDK clients once per region from one
// aws.Config and hands them out; Lambdas build the set in main, never per call.
package awsclients

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// MaxAttempts bounds the SDK's retries of throttled and transient failures.
const MaxAttempts = 8

// Load builds the base aws.Config from the environment (AWS_ENDPOINT_URL
// points every client at a local emulator) with the adaptive retryer, so
// throttling slows the client down instead of failing it.
func Load(ctx context.Context, region string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(NewRetryer),
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// NewRetryer is the adaptive retryer vpcguard uses everywhere.
func NewRetryer() aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = MaxAttempts
			so.MaxBackoff = 5 * time.Second
		})
	})
}

// Clients is every client vpcguard uses, for one region.
type Clients struct {
	Region      string
	SageMaker   *sagemaker.Client
	EC2         *ec2.Client
	IAM         *iam.Client
	SecurityHub *securityhub.Client
	SSM         *ssm.Client
	SNS         *sns.Client
	SQS         *sqs.Client
}

// New builds the clients for cfg's region.
func New(cfg aws.Config) *Clients {
	return &Clients{
		Region:      cfg.Region,
		SageMaker:   sagemaker.NewFromConfig(cfg),
		EC2:         ec2.NewFromConfig(cfg),
		IAM:         iam.NewFromConfig(cfg),
		SecurityHub: securityhub.NewFromConfig(cfg),
		SSM:         ssm.NewFromConfig(cfg),
		SNS:         sns.NewFromConfig(cfg),
		SQS:         sqs.NewFromConfig(cfg),
	}
}

// Regional hands out one Clients per region, built on first use.
type Regional struct {
	base aws.Config
	mu   sync.Mutex
	by   map[string]*Clients
}

// NewRegional wraps a base configuration.
func NewRegional(base aws.Config) *Regional {
	return &Regional{base: base, by: map[string]*Clients{}}
}

// Base returns the configuration clients are built from.
func (r *Regional) Base() aws.Config { return r.base }

// For returns the clients of region ("" means the base configuration's).
func (r *Regional) For(region string) *Clients {
	if region == "" {
		region = r.base.Region
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.by[region]; ok {
		return c
	}
	cfg := r.base.Copy()
	cfg.Region = region
	c := New(cfg)
	r.by[region] = c
	return c
}
