package rules

import "github.com/vpcguard/vpcguard/shared/resource"

// Op is one AWS call vpcguard makes, as IAM names it, on the resources IAM
// authorizes it on. The CDK stack grants exactly the ops of the kinds a
// function's rules judge, and a test records the calls each function makes
// and compares them with the grants.
type Op struct {
	Action string // IAM action, e.g. sagemaker:DescribeModel
	// Resource is an ARN pattern (${AWS::Partition}, ${AWS::Region} and
	// ${AWS::AccountId} are the function's own), or "*" for an action with
	// no resource type in the Service Authorization Reference.
	Resource string
	// When names the setting that turns the op on ("" always): an op only
	// an opt-in remediation makes is granted only with the opt-in.
	When string
	// Dependent marks a permission IAM checks on vpcguard's behalf during
	// another call; no code calls it, so no recording sees it.
	Dependent bool
}

// Settings that turn ops on (Op.When).
const (
	WhenDeleteModels   = "deleteNoncompliantModels"
	WhenEndpointPolicy = "endpointPolicy"
	WhenSwitchDomains  = "switchDomainsToVpcOnly"
)

// Remedy is one thing enforce mode does to a resource (package remediate
// implements each); a rule lists its own (Rule.Remedies).
type Remedy string

const (
	Tag                   Remedy = "tag"                       // mark the resource with the rule it broke
	StopNotebook          Remedy = "stop-notebook"             // stop it (re-checking one still Pending)
	DeleteModel           Remedy = "delete-model"              // opt-in: delete it unless an endpoint config uses it
	EnablePrivateDNS      Remedy = "enable-private-dns"        // turn the endpoint's private DNS on
	ReplaceEndpointPolicy Remedy = "replace-endpoint-policy"   // opt-in: replace a full-access endpoint policy
	SwitchDomainToVPCOnly Remedy = "switch-domain-to-vpc-only" // opt-in: UpdateDomain AppNetworkAccessType=VpcOnly
	StopJob               Remedy = "stop-job"                  // stop a job that still runs (the matching Stop* call)
)

// Detail is something a rule decides on beyond its kind's own state, read
// from another service: the Availability Zones of a model's subnets come
// from EC2, not SageMaker. A function that runs the rule reads it (its
// setup.Kind says so) and is granted its ops (DetailOps); one that does
// not run the rule neither links nor is granted them.
type Detail string

// SubnetZones is the Availability Zone of each of a model's subnets.
const SubnetZones Detail = "subnet-zones"

// DetailReader is implemented by a rule that decides on details beyond its
// kind's own state.
type DetailReader interface {
	Details() []Detail
}

// DetailsOf returns the details r decides on; none for most rules.
func DetailsOf(r Rule) []Detail {
	if d, ok := r.(DetailReader); ok {
		return d.Details()
	}
	return nil
}

// DetailOps returns the ops reading d.
func DetailOps(d Detail) []Op {
	switch d {
	case SubnetZones:
		// Describe calls have no resource type in the Service Authorization Reference.
		return []Op{{Action: "ec2:DescribeSubnets", Resource: "*"}}
	}
	return nil
}

// KindOps is what vpcguard calls on one kind of resource: to read its
// current state (every function that judges it), to list it (the
// backfill), and each remedy's calls (enforce mode).
type KindOps struct {
	Kind resource.Kind
	// TagType is the kind's resource type in the Resource Groups Tagging
	// API (GetResources' ResourceTypeFilters), "" when the API does not
	// know it. A backfill asks that API once per account and region for the
	// resources carrying the exemption tag, instead of reading each
	// resource's tags.
	TagType  string
	Read     []Op
	List     []Op
	Remedies map[Remedy][]Op
}

// ARN patterns of the resources the ops name.
const (
	arnModel          = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model/*"
	arnEndpointConfig = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint-config/*"
	arnNotebook       = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:notebook-instance/*"
	arnVPCEndpoint    = "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc-endpoint/*"
	arnHostedZone     = "arn:${AWS::Partition}:route53:::hostedzone/*"
	arnDomain         = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:domain/*"
	arnTrainingJob    = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:training-job/*"
	arnProcessingJob  = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:processing-job/*"
	arnTuningJob      = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:hyper-parameter-tuning-job/*"
	arnAutoMLJob      = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:automl-job/*"
)

// jobOps is one action on every type of job, each on its own ARNs.
func jobOps(action func(jobType string) string, when string) []Op {
	var out []Op
	for _, j := range []struct{ typ, arn string }{
		{"TrainingJob", arnTrainingJob}, {"ProcessingJob", arnProcessingJob},
		{"HyperParameterTuningJob", arnTuningJob}, {"AutoMLJob", arnAutoMLJob},
	} {
		out = append(out, Op{Action: "sagemaker:" + action(j.typ), Resource: j.arn, When: when})
	}
	return out
}

var allJobs = []string{arnTrainingJob, arnProcessingJob, arnTuningJob, arnAutoMLJob}

// opTagIndex is the backfill's one query per account and region for the
// resources carrying the exemption tag, across every kind with a TagType.
// GetResources has no resource type in the Service Authorization Reference:
// IAM requires Resource "*".
var opTagIndex = Op{Action: "tag:GetResources", Resource: "*"}

// Kinds declares the ops of every kind of resource the rules judge.
func Kinds() []KindOps {
	return []KindOps{{
		Kind:    resource.Model,
		TagType: "sagemaker:model",
		Read:    []Op{{Action: "sagemaker:DescribeModel", Resource: arnModel}, {Action: "sagemaker:ListTags", Resource: arnModel}},
		List:    []Op{{Action: "sagemaker:Search", Resource: "*"}, {Action: "sagemaker:ListModels", Resource: "*"}, opTagIndex},
		Remedies: map[Remedy][]Op{
			// The finding tag lists every rule the model broke: read, then written.
			Tag: {{Action: "sagemaker:ListTags", Resource: arnModel}, {Action: "sagemaker:AddTags", Resource: arnModel}},
			DeleteModel: {
				// A model an endpoint configuration uses is reported, not deleted.
				{Action: "sagemaker:ListEndpointConfigs", Resource: "*", When: WhenDeleteModels},
				{Action: "sagemaker:DescribeEndpointConfig", Resource: arnEndpointConfig, When: WhenDeleteModels},
				{Action: "sagemaker:DeleteModel", Resource: arnModel, When: WhenDeleteModels},
			},
		},
	}, {
		Kind:    resource.Notebook,
		TagType: "sagemaker:notebook-instance",
		Read:    []Op{{Action: "sagemaker:DescribeNotebookInstance", Resource: arnNotebook}, {Action: "sagemaker:ListTags", Resource: arnNotebook}},
		List:    []Op{{Action: "sagemaker:ListNotebookInstances", Resource: "*"}, opTagIndex},
		Remedies: map[Remedy][]Op{
			StopNotebook: {{Action: "sagemaker:StopNotebookInstance", Resource: arnNotebook}},
			Tag:          {{Action: "sagemaker:ListTags", Resource: arnNotebook}, {Action: "sagemaker:AddTags", Resource: arnNotebook}},
		},
	}, {
		Kind:    resource.VPCEndpoint,
		TagType: "ec2:vpc-endpoint",
		// Describes return the tags too.
		Read: []Op{{Action: "ec2:DescribeVpcEndpoints", Resource: "*"}},
		List: []Op{{Action: "ec2:DescribeVpcEndpoints", Resource: "*"}},
		Remedies: map[Remedy][]Op{
			EnablePrivateDNS: {
				// Private DNS needs the VPC's DNS support and hostnames on.
				{Action: "ec2:DescribeVpcAttribute", Resource: "*"},
				{Action: "ec2:ModifyVpcEndpoint", Resource: arnVPCEndpoint},
				// Turning private DNS on associates the VPC with the private
				// hosted zone AWS manages for the endpoint. AWS's documentation
				// does not list this permission for ModifyVpcEndpoint; field
				// reports (boto3 #2554: the call hangs without it under narrow
				// policies) do. See the README.
				{Action: "route53:AssociateVPCWithHostedZone", Resource: arnHostedZone, Dependent: true},
			},
			ReplaceEndpointPolicy: {{Action: "ec2:ModifyVpcEndpoint", Resource: arnVPCEndpoint, When: WhenEndpointPolicy}},
			Tag:                   {{Action: "ec2:CreateTags", Resource: arnVPCEndpoint}},
		},
	}, {
		Kind: resource.VPC,
		// A VPC's state is the VPC (its tags), its endpoints and the models
		// hosted in it: models whose VpcConfig subnets are the VPC's. Reading
		// it looks for such models (Search, else ListModels and a describe
		// each) only when the VPC lacks an endpoint that models need.
		Read: vpcOps,
		List: vpcOps,
	}, {
		Kind: resource.StudioDomain,
		Read: []Op{{Action: "sagemaker:DescribeDomain", Resource: arnDomain}, {Action: "sagemaker:ListTags", Resource: arnDomain}},
		List: []Op{{Action: "sagemaker:ListDomains", Resource: "*"}},
		Remedies: map[Remedy][]Op{
			Tag: {{Action: "sagemaker:AddTags", Resource: arnDomain}},
			// UpdateDomain passes no role here, so iam:PassRole (its
			// dependent action for execution roles) is not needed.
			SwitchDomainToVPCOnly: {{Action: "sagemaker:UpdateDomain", Resource: arnDomain, When: WhenSwitchDomains}},
		},
	}, {
		Kind: resource.Job,
		// DescribeAutoMLJobV2 describes AutoML jobs of both API versions.
		Read: append(jobOps(func(t string) string {
			if t == "AutoMLJob" {
				return "DescribeAutoMLJobV2"
			}
			return "Describe" + t
		}, ""), tagOps("sagemaker:ListTags")...),
		List: []Op{{Action: "sagemaker:ListTrainingJobs", Resource: "*"}, {Action: "sagemaker:ListProcessingJobs", Resource: "*"},
			{Action: "sagemaker:ListHyperParameterTuningJobs", Resource: "*"}, {Action: "sagemaker:ListAutoMLJobs", Resource: "*"}},
		Remedies: map[Remedy][]Op{
			StopJob: jobOps(func(t string) string { return "Stop" + t }, ""),
			Tag:     tagOps("sagemaker:AddTags"),
		},
	}, {
		// A presigned URL call is judged from its event alone: nothing is
		// read, listed or changed, only the guardrail attached.
		Kind: resource.PresignedURL,
	}}
}

// tagOps is a tagging action on every type of job.
func tagOps(action string) []Op {
	out := make([]Op, len(allJobs))
	for i, arn := range allJobs {
		out[i] = Op{Action: action, Resource: arn}
	}
	return out
}

// vpcOps reads and lists VPCs: EC2's describes have no resource type in the
// Service Authorization Reference; SageMaker's Search and ListModels neither.
var vpcOps = []Op{
	{Action: "ec2:DescribeVpcs", Resource: "*"},
	{Action: "ec2:DescribeVpcEndpoints", Resource: "*"},
	{Action: "ec2:DescribeSubnets", Resource: "*"},
	{Action: "sagemaker:Search", Resource: "*"},
	{Action: "sagemaker:ListModels", Resource: "*"},
	{Action: "sagemaker:DescribeModel", Resource: arnModel},
}

// OpsOf returns the ops of kind, or false.
func OpsOf(kind resource.Kind) (KindOps, bool) {
	for _, k := range Kinds() {
		if k.Kind == kind {
			return k, true
		}
	}
	return KindOps{}, false
}
