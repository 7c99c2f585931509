// Package inventory reads the current state of the resources vpcguard
// guards. Online evaluation decides on this, never on the event alone, so
// stale, reordered and replayed events decide correctly.
package inventory

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// SageMakerAPI is the part of the SageMaker client the reader calls.
type SageMakerAPI interface {
	DescribeModel(ctx context.Context, in *sagemaker.DescribeModelInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeModelOutput, error)
	DescribeNotebookInstance(ctx context.Context, in *sagemaker.DescribeNotebookInstanceInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error)
	ListTags(ctx context.Context, in *sagemaker.ListTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
}

// EC2API is the part of the EC2 client the reader calls.
type EC2API interface {
	DescribeVpcEndpoints(ctx context.Context, in *ec2.DescribeVpcEndpointsInput, opts ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
}

var (
	_ SageMakerAPI = (*sagemaker.Client)(nil)
	_ EC2API       = (*ec2.Client)(nil)
)

// Reader reads resources in one account and region.
type Reader struct {
	SageMaker SageMakerAPI
	EC2       EC2API
}

// Read returns the current state of ref. A resource that does not exist is
// returned with Missing set and no error; an error means the state could not
// be read and nothing should be decided.
func (r *Reader) Read(ctx context.Context, ref resource.Ref) (resource.State, error) {
	s := resource.State{Ref: ref}
	switch ref.Kind {
	case resource.Model:
		out, err := r.SageMaker.DescribeModel(ctx, &sagemaker.DescribeModelInput{ModelName: aws.String(ref.ID)})
		if awserr.IsNotFound(err) {
			s.Missing = true
			s.ARN = sageMakerARN(ref, "model")
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("describe model %s: %w", ref.ID, err)
		}
		s.ARN = aws.ToString(out.ModelArn)
		s.Model = &resource.ModelConfig{}
		// moto answers "VpcConfig": {} for a model without a VPC; AWS omits it.
		if out.VpcConfig != nil {
			s.Model.Subnets = out.VpcConfig.Subnets
			s.Model.SecurityGroups = out.VpcConfig.SecurityGroupIds
		}
	case resource.Notebook:
		out, err := r.SageMaker.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(ref.ID)})
		if awserr.IsNotFound(err) {
			s.Missing = true
			s.ARN = sageMakerARN(ref, "notebook-instance")
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("describe notebook instance %s: %w", ref.ID, err)
		}
		s.ARN = aws.ToString(out.NotebookInstanceArn)
		s.Notebook = &resource.NotebookConfig{
			DirectInternetAccess: string(out.DirectInternetAccess),
			SubnetID:             aws.ToString(out.SubnetId),
			Status:               string(out.NotebookInstanceStatus),
		}
	case resource.VPCEndpoint:
		out, err := r.EC2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{ref.ID}})
		if awserr.IsNotFound(err) {
			s.Missing = true
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("describe vpc endpoint %s: %w", ref.ID, err)
		}
		if len(out.VpcEndpoints) == 0 {
			s.Missing = true
			return s, nil
		}
		return EndpointState(ref.Account, ref.Region, out.VpcEndpoints[0]), nil
	default:
		return s, fmt.Errorf("unknown resource kind %q", ref.Kind)
	}
	return s, nil
}

// sageMakerARN builds the ARN of a SageMaker resource that no longer exists,
// so its finding keeps the resource id (and ticket id) it had while it
// existed: DeleteModel and StartNotebookInstance events carry no ARN, and
// without one the ticket opened under the ARN would never be resolved.
// SageMaker lowercases names in ARNs. "" when the account or region is unknown.
func sageMakerARN(ref resource.Ref, typ string) string {
	if ref.Account == "" || ref.Region == "" {
		return ""
	}
	return fmt.Sprintf("arn:%s:sagemaker:%s:%s:%s/%s", resource.Partition(ref.Region), ref.Region, ref.Account, typ, strings.ToLower(ref.ID))
}

// Tags reads a resource's tags. Endpoints carry theirs in the describe
// answer; SageMaker resources need a ListTags call, made only when a
// decision depends on them.
func (r *Reader) Tags(ctx context.Context, s resource.State) (map[string]string, error) {
	if s.Tags != nil {
		return s.Tags, nil
	}
	switch s.Kind {
	case resource.Model, resource.Notebook:
		if s.ARN == "" {
			return nil, fmt.Errorf("list tags of %s: ARN unknown", s.ID)
		}
		tags := map[string]string{}
		p := sagemaker.NewListTagsPaginator(r.SageMaker, &sagemaker.ListTagsInput{ResourceArn: aws.String(s.ARN)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list tags of %s: %w", s.ARN, err)
			}
			for _, t := range page.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
		return tags, nil
	case resource.VPCEndpoint:
		st, err := r.Read(ctx, s.Ref)
		if err != nil {
			return nil, err
		}
		if st.Tags == nil {
			return map[string]string{}, nil
		}
		return st.Tags, nil
	}
	return map[string]string{}, nil
}

// EndpointState converts a described VPC endpoint.
func EndpointState(account, region string, ep ec2types.VpcEndpoint) resource.State {
	id := aws.ToString(ep.VpcEndpointId)
	if owner := aws.ToString(ep.OwnerId); owner != "" && account == "" {
		account = owner
	}
	s := resource.State{
		Ref: resource.Ref{Kind: resource.VPCEndpoint, ID: id, Account: account, Region: region},
		ARN: resource.EndpointARN(region, account, id),
		Endpoint: &resource.EndpointConfig{
			ServiceName: aws.ToString(ep.ServiceName),
			Type:        string(ep.VpcEndpointType),
			PrivateDNS:  ep.PrivateDnsEnabled,
			VPCID:       aws.ToString(ep.VpcId),
			State:       string(ep.State),
			Policy:      aws.ToString(ep.PolicyDocument),
		},
		Tags: map[string]string{},
	}
	if strings.EqualFold(s.Endpoint.State, "deleted") {
		s.Missing = true
	}
	for _, t := range ep.Tags {
		s.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return s
}
