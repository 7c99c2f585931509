package endpointstate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/vpcguard/vpcguard/shared/resource"
)

// Endpoints lists interface VPC endpoints for the backfill.
type Endpoints struct {
	EC2 API
	// Keep says which service names are listed (rules.IsSageMakerService);
	// nil keeps every one.
	Keep func(serviceName string) bool
}

// List describes every interface endpoint and emits the ones Keep keeps.
// EC2 filters match service names exactly (wildcards are not documented for
// service-name), and SageMaker's names vary by service, partition and
// prefix (com.amazonaws.R.sagemaker.api, aws.sagemaker.R.notebook,
// cn.com.amazonaws.R.sagemaker.runtime, ...) and grow with new services, so a
// list of names would miss some: the type filter is server-side, the
// service test is Keep. Describes return whole endpoints with tags: no
// per-endpoint call. A page holds pageSize of them, not the 1,000 EC2 would
// give: a page is decoded whole and held while its endpoints are evaluated,
// so its size is what the backfill's memory grows by, and 100 a page (the
// SageMaker listings' size) costs one call per 100 endpoints.
func (l Endpoints) List(ctx context.Context, account, region string, pageSize int32, emit func(resource.State, bool) bool) error {
	p := ec2.NewDescribeVpcEndpointsPaginator(l.EC2, &ec2.DescribeVpcEndpointsInput{
		Filters:    []ec2types.Filter{{Name: aws.String("vpc-endpoint-type"), Values: []string{string(ec2types.VpcEndpointTypeInterface)}}},
		MaxResults: aws.Int32(min(max(pageSize, 5), 1000)), // EC2 takes 5 to 1,000
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("describe vpc endpoints: %w", err)
		}
		for _, ep := range page.VpcEndpoints {
			if l.Keep != nil && !l.Keep(aws.ToString(ep.ServiceName)) {
				continue
			}
			if !emit(State(account, region, ep), true) {
				return nil
			}
		}
	}
	return nil
}
