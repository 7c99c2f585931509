package sagemakerstate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// DomainAPI is the part of the SageMaker client the Studio domain reader
// calls.
type DomainAPI interface {
	DescribeDomain(ctx context.Context, in *sagemaker.DescribeDomainInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeDomainOutput, error)
	ListTags(ctx context.Context, in *sagemaker.ListTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
}

var _ DomainAPI = (*sagemaker.Client)(nil)

// DomainReader reads Studio domains in one account and region.
type DomainReader struct {
	SageMaker DomainAPI
}

// Read returns a Studio domain's network settings. One that does not exist
// is returned with Missing set and no error.
func (r *DomainReader) Read(ctx context.Context, ref resource.Ref) (resource.State, error) {
	s := resource.State{Ref: ref}
	if ref.Kind != resource.StudioDomain {
		return s, fmt.Errorf("the Studio domain reader cannot read %s resources", ref.Kind)
	}
	out, err := r.SageMaker.DescribeDomain(ctx, &sagemaker.DescribeDomainInput{DomainId: aws.String(ref.ID)})
	if awserr.IsNotFound(err) {
		s.Missing = true
		s.ARN = sageMakerARN(ref, "domain")
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("describe domain %s: %w", ref.ID, err)
	}
	s.ARN = aws.ToString(out.DomainArn)
	s.Created = aws.ToTime(out.CreationTime)
	s.Domain = &resource.DomainConfig{
		AppNetworkAccessType: string(out.AppNetworkAccessType),
		VPCID:                aws.ToString(out.VpcId),
		SubnetIDs:            out.SubnetIds,
		Status:               string(out.Status),
	}
	return s, nil
}

// Tags reads a domain's tags with ListTags.
func (r *DomainReader) Tags(ctx context.Context, s resource.State) (map[string]string, error) {
	return listTags(ctx, r.SageMaker, s)
}
