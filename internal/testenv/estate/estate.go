// Package estate seeds SageMaker estates on an AWS API emulator (moto) for
// the backfill's tests, benchmarks and demo: a VPC that looks real, and
// models, notebooks and endpoints, compliant and not.
package estate

import (
	"context"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

// ExecutionRole is the role models and notebooks are created with.
const ExecutionRole = "arn:aws:iam::123456789012:role/SageMakerExecution"

const image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"

// Network is a VPC with DNS support and hostnames on (private DNS needs
// both), a subnet in each of two zones, a second subnet in the first zone
// (for a model whose subnets are all in one zone), and a security group.
type Network struct {
	Region        string
	VPC           string
	Subnets       []string // one per zone: a, b
	SameZone      string   // a second subnet in Subnets[0]'s zone; "" in a sandbox
	SecurityGroup string
}

// Clients are the two clients seeding needs.
type Clients struct {
	SageMaker *sagemaker.Client
	EC2       *ec2.Client
}

// New builds the clients from cfg.
func New(cfg aws.Config) Clients {
	return Clients{SageMaker: sagemaker.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg)}
}

// NewNetwork creates the ml-platform VPC (10.20.0.0/16), its subnets and
// security group.
func (c Clients) NewNetwork(ctx context.Context, region string) (*Network, error) {
	n, err := c.newVPC(ctx, region, "ml-platform", "10.20", "sagemaker-private", "a", "b")
	if err != nil {
		return nil, err
	}
	if n.SameZone, err = c.subnet(ctx, n.VPC, "10.20.3.0/24", region+"a"); err != nil {
		return nil, err
	}
	return n, nil
}

// NewSandbox creates the ml-sandbox VPC (10.30.0.0/16): one subnet, in
// zone a, and a security group; no VPC endpoint.
func (c Clients) NewSandbox(ctx context.Context, region string) (*Network, error) {
	return c.newVPC(ctx, region, "ml-sandbox", "10.30", "sandbox", "a")
}

// newVPC creates a VPC named name with DNS support and hostnames on, a
// subnet prefix.N.0/24 in each zone, and a security group.
func (c Clients) newVPC(ctx context.Context, region, name, prefix, group string, zones ...string) (*Network, error) {
	vpc, err := c.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(prefix + ".0.0/16"),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpc, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String(name)}}}}})
	if err != nil {
		return nil, fmt.Errorf("create vpc: %w", err)
	}
	n := &Network{Region: region, VPC: aws.ToString(vpc.Vpc.VpcId)}
	for _, attr := range []*ec2.ModifyVpcAttributeInput{
		{VpcId: vpc.Vpc.VpcId, EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}},
		{VpcId: vpc.Vpc.VpcId, EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}},
	} {
		if _, err := c.EC2.ModifyVpcAttribute(ctx, attr); err != nil {
			return nil, fmt.Errorf("modify vpc attribute: %w", err)
		}
	}
	for i, az := range zones {
		id, err := c.subnet(ctx, n.VPC, fmt.Sprintf("%s.%d.0/24", prefix, i+1), region+az)
		if err != nil {
			return nil, err
		}
		n.Subnets = append(n.Subnets, id)
	}
	sg, err := c.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: vpc.Vpc.VpcId,
		GroupName: aws.String(group), Description: aws.String("SageMaker models, notebooks and endpoints")})
	if err != nil {
		return nil, fmt.Errorf("create security group: %w", err)
	}
	n.SecurityGroup = aws.ToString(sg.GroupId)
	return n, nil
}

// subnet creates a subnet and returns its id. On a loaded machine the SDK
// may retry a CreateSubnet whose first attempt moto carried out; the retry
// then conflicts with that subnet, which is the one wanted when it is in
// the zone asked for.
func (c Clients) subnet(ctx context.Context, vpc, cidr, zone string) (string, error) {
	sn, err := c.EC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: aws.String(vpc), CidrBlock: aws.String(cidr), AvailabilityZone: aws.String(zone)})
	if err == nil {
		return aws.ToString(sn.Subnet.SubnetId), nil
	}
	out, derr := c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		{Name: aws.String("vpc-id"), Values: []string{vpc}}, {Name: aws.String("cidr-block"), Values: []string{cidr}}}})
	if derr == nil && len(out.Subnets) == 1 && aws.ToString(out.Subnets[0].AvailabilityZone) == zone {
		return aws.ToString(out.Subnets[0].SubnetId), nil
	}
	return "", fmt.Errorf("create subnet %s in %s: %w", cidr, zone, err)
}

// Model creates a model, in net's subnets when net is not nil.
func (c Clients) Model(ctx context.Context, name string, net *Network, tags map[string]string) error {
	spec := ModelSpec{Tags: tags}
	if net != nil {
		spec.Subnets, spec.SecurityGroups = net.Subnets, []string{net.SecurityGroup}
	}
	return c.CreateModel(ctx, name, spec)
}

// ModelSpec is what a model is created with besides its container.
type ModelSpec struct {
	Subnets, SecurityGroups []string // no subnets: no VpcConfig
	// Isolated sets EnableNetworkIsolation, which moto 5.2.1 ignores: it
	// reads back false unless the clients carry the isolation fake
	// (internal/testenv/isolation).
	Isolated bool
	Tags     map[string]string
}

// CreateModel creates a model as spec says.
func (c Clients) CreateModel(ctx context.Context, name string, spec ModelSpec) error {
	in := &sagemaker.CreateModelInput{
		ModelName:        aws.String(name),
		ExecutionRoleArn: aws.String(ExecutionRole),
		PrimaryContainer: &smtypes.ContainerDefinition{Image: aws.String(image), ModelDataUrl: aws.String("s3://ml-artifacts-123456789012/" + name + "/model.tar.gz")},
		Tags:             smTags(spec.Tags),
	}
	if len(spec.Subnets) > 0 {
		in.VpcConfig = &smtypes.VpcConfig{Subnets: spec.Subnets, SecurityGroupIds: spec.SecurityGroups}
	}
	if spec.Isolated {
		in.EnableNetworkIsolation = aws.Bool(true)
	}
	if _, err := c.SageMaker.CreateModel(ctx, in); err != nil {
		return fmt.Errorf("create model %s: %w", name, err)
	}
	return nil
}

// Notebook creates a notebook instance. internet is "Enabled", "Disabled",
// or "" to omit it (AWS then enables it); subnet may be "".
func (c Clients) Notebook(ctx context.Context, name, internet, subnet string, net *Network) error {
	in := &sagemaker.CreateNotebookInstanceInput{
		NotebookInstanceName: aws.String(name),
		InstanceType:         smtypes.InstanceTypeMlT3Medium,
		RoleArn:              aws.String(ExecutionRole),
		DirectInternetAccess: smtypes.DirectInternetAccess(internet),
	}
	if subnet != "" {
		in.SubnetId = aws.String(subnet)
		if net != nil {
			in.SecurityGroupIds = []string{net.SecurityGroup}
		}
	}
	if _, err := c.SageMaker.CreateNotebookInstance(ctx, in); err != nil {
		return fmt.Errorf("create notebook instance %s: %w", name, err)
	}
	return nil
}

// Endpoint creates an interface endpoint to service in net; privateDNS nil
// leaves the API default (on).
func (c Clients) Endpoint(ctx context.Context, net *Network, service string, privateDNS *bool, name string) (string, error) {
	in := &ec2.CreateVpcEndpointInput{
		VpcId:             aws.String(net.VPC),
		ServiceName:       aws.String(service),
		VpcEndpointType:   ec2types.VpcEndpointTypeInterface,
		SubnetIds:         net.Subnets,
		SecurityGroupIds:  []string{net.SecurityGroup},
		PrivateDnsEnabled: privateDNS,
	}
	if name != "" {
		in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcEndpoint, Tags: []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String(name)}}}}
	}
	out, err := c.EC2.CreateVpcEndpoint(ctx, in)
	if err != nil {
		return "", fmt.Errorf("create vpc endpoint to %s: %w", service, err)
	}
	return aws.ToString(out.VpcEndpoint.VpcEndpointId), nil
}

// Gateway creates a gateway endpoint (S3), which no rule judges.
func (c Clients) Gateway(ctx context.Context, net *Network, service string) (string, error) {
	out, err := c.EC2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{VpcId: aws.String(net.VPC), ServiceName: aws.String(service), VpcEndpointType: ec2types.VpcEndpointTypeGateway})
	if err != nil {
		return "", fmt.Errorf("create gateway endpoint to %s: %w", service, err)
	}
	return aws.ToString(out.VpcEndpoint.VpcEndpointId), nil
}

// Bulk seeds n of each kind in net's region, every other one non-compliant:
// models in and out of the VPC, notebooks with internet on and off,
// SageMaker API endpoints with private DNS off and on, plus n/10 endpoints
// to other services that the backfill must ignore. It returns how many of
// each kind are non-compliant.
func (c Clients) Bulk(ctx context.Context, net *Network, n, workers int) (nonCompliant int, err error) {
	sagemakerServices := []string{"sagemaker.api", "sagemaker.runtime", "sagemaker.featurestore-runtime"}
	var jobs []func() error
	for i := range n {
		bad := i%2 == 0
		jobs = append(jobs, func() error {
			var in *Network
			if !bad {
				in = net
			}
			return c.Model(ctx, fmt.Sprintf("bulk-model-%05d", i), in, nil)
		})
		jobs = append(jobs, func() error {
			if bad {
				return c.Notebook(ctx, fmt.Sprintf("bulk-notebook-%05d", i), "Enabled", "", nil)
			}
			return c.Notebook(ctx, fmt.Sprintf("bulk-notebook-%05d", i), "Disabled", net.Subnets[i%2], net)
		})
		jobs = append(jobs, func() error {
			svc := fmt.Sprintf("com.amazonaws.%s.%s", net.Region, sagemakerServices[i%len(sagemakerServices)])
			_, err := c.Endpoint(ctx, net, svc, aws.Bool(!bad), "")
			return err
		})
		if i%10 == 0 {
			jobs = append(jobs, func() error {
				_, err := c.Endpoint(ctx, net, fmt.Sprintf("com.amazonaws.%s.ssm", net.Region), aws.Bool(false), "")
				return err
			})
		}
	}
	if err := parallel(workers, jobs); err != nil {
		return 0, err
	}
	return (n + 1) / 2, nil
}

func parallel(workers int, jobs []func() error) error {
	ch := make(chan func() error)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range max(workers, 1) {
		wg.Go(func() {
			for job := range ch {
				if err := job(); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	return first
}

func smTags(tags map[string]string) []smtypes.Tag {
	var out []smtypes.Tag
	for k, v := range tags {
		out = append(out, smtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return out
}
