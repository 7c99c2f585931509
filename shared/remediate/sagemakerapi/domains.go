package sagemakerapi

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// DomainsClient is the part of the SageMaker client the Studio domain
// remediations call.
type DomainsClient interface {
	UpdateDomain(ctx context.Context, in *sagemaker.UpdateDomainInput, opts ...func(*sagemaker.Options)) (*sagemaker.UpdateDomainOutput, error)
	AddTags(ctx context.Context, in *sagemaker.AddTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.AddTagsOutput, error)
	ListTags(ctx context.Context, in *sagemaker.ListTagsInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
}

var _ DomainsClient = (*sagemaker.Client)(nil)

// Domains is remediate.DomainAPI over a SageMaker client.
type Domains struct{ Client DomainsClient }

// NewDomains wraps c.
func NewDomains(c DomainsClient) Domains { return Domains{Client: c} }

// SwitchDomainToVPCOnly updates the domain to VpcOnly. VpcId and SubnetIds
// go with it: AWS refuses the switch without them ("VpcId and Subnet IDs
// are required for updating domains to VpcOnly mode").
func (d Domains) SwitchDomainToVPCOnly(ctx context.Context, domainID, vpcID string, subnets []string) error {
	_, err := d.Client.UpdateDomain(ctx, &sagemaker.UpdateDomainInput{
		DomainId:             aws.String(domainID),
		AppNetworkAccessType: smtypes.AppNetworkAccessTypeVpcOnly,
		VpcId:                aws.String(vpcID),
		SubnetIds:            subnets,
	})
	return err
}

// AddTag tags the domain arn with key=value.
func (d Domains) AddTag(ctx context.Context, arn, key, value string) error {
	return addTag(ctx, d.Client, arn, key, value)
}

// TagValue reads the value of the tag key of the domain arn ("" when unset).
func (d Domains) TagValue(ctx context.Context, arn, key string) (string, error) {
	return tagValue(ctx, d.Client, arn, key)
}
