package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// VPCPrivatePathComplete: a VPC that uses SageMaker privately must have
// every endpoint that use needs, or some of its traffic still leaves for the
// internet. The notebook page says to create the sagemaker.api interface
// endpoint before the notebook one, so that CreatePresignedNotebookInstanceUrl
// goes through the VPC too (Studio's page says the same of its API calls);
// the hosted-models page says model containers reach S3 only through an S3
// endpoint, and hosted models are invoked through sagemaker.runtime. So a
// VPC is NON_COMPLIANT when it has a notebook or Studio interface endpoint
// and no sagemaker.api one, or hosts a model (a model whose VpcConfig
// subnets are the VPC's) and lacks a sagemaker.runtime interface endpoint or
// an S3 endpoint (gateway or interface).
//
// The resource judged is the VPC. An event names it directly
// (CreateVpcEndpoint) or only through something in it: a model's subnet
// (CreateModel), an endpoint's id (DeleteVpcEndpoints); the online reader
// resolves those to the VPC, so offline this rule can only say what it
// would read.
type VPCPrivatePathComplete struct{}

func (VPCPrivatePathComplete) Name() string        { return "sagemaker-vpc-private-path-complete" }
func (VPCPrivatePathComplete) Kind() resource.Kind { return resource.VPC }
func (VPCPrivatePathComplete) Severity() string    { return "MEDIUM" }

func (VPCPrivatePathComplete) DefaultMode() mode.Mode { return mode.Ticket }

// Triggers are the calls that can make a VPC need an endpoint it lacks (a
// model created in it, a notebook or Studio endpoint created) or lose one
// (an endpoint deleted), and the creation of an endpoint it lacked, which
// resolves its ticket. Two calls that change a VPC's endpoints or models
// are not triggers, and why:
//   - ModifyVpcEndpoint cannot add or remove an endpoint, and the verdict
//     depends only on which endpoints exist (private DNS is
//     sagemaker-vpc-endpoint-private-dns's business);
//   - DeleteModel names neither the VPC nor, once the model is gone, its
//     subnets: nothing can tell which VPC it left. Losing a model never
//     makes a VPC NON_COMPLIANT; a ticket it leaves stale (the VPC no longer
//     hosts models) is resolved by the next event in that VPC or backfill.
func (VPCPrivatePathComplete) Triggers() []Trigger {
	return []Trigger{
		{Source: sageMaker, Names: []string{"CreateModel"}},
		{Source: ec2, Names: []string{"CreateVpcEndpoint", "DeleteVpcEndpoints"}},
	}
}

// Guardrail: none. A missing endpoint is the absence of a call; no
// condition key on CreateModel or CreateVpcEndpoint tells what else the VPC
// holds.
func (VPCPrivatePathComplete) Guardrail() []guardrail.Statement { return nil }

// Remedies: none. Creating endpoints costs money and needs subnets,
// security groups and route tables only their owner can choose.
func (VPCPrivatePathComplete) Remedies() []Remedy { return nil }

func (VPCPrivatePathComplete) Doc() Doc {
	return Doc{
		Breaks: "a VPC with a SageMaker `notebook` or `studio` interface endpoint but no `sagemaker.api` one (create the API endpoint first), " +
			"or hosting a model (`VpcConfig` subnets in it) without a `sagemaker.runtime` interface endpoint or an S3 endpoint (gateway or interface)",
		Enforce: "opens a ticket naming the missing endpoints: creating one needs subnets, security groups and route tables only its owner can choose",
	}
}

func (r VPCPrivatePathComplete) FromEvent(ev *cloudtrail.Event) []resource.State {
	named := func(id string) resource.State {
		s := resource.State{Ref: ref(r.Kind(), id, ev)}
		if strings.HasPrefix(id, "vpc-") {
			s.ARN = resource.VPCARN(ev.Region, ev.Account, id)
		}
		return s
	}
	switch ev.Name {
	case "CreateModel":
		// A model without subnets is in no VPC of the account: nothing to judge.
		subnets := distinct(ev.Request.Get("vpcConfig", "subnets").Strings())
		if len(subnets) == 0 {
			return nil
		}
		// A VpcConfig's subnets are in one VPC (its security groups' VPC).
		return []resource.State{named(subnets[0])}
	case "CreateVpcEndpoint":
		req, resp := unwrap(ev.Request, ev.Name+"Request"), unwrap(ev.Response, ev.Name+"Response")
		ep := resp.Get("vpcEndpoint")
		if svc := firstString(ep.Get("serviceName"), req.Get("ServiceName")); svc != "" && endpointRole(svc) == "" {
			return nil // an endpoint no SageMaker path uses (ssm, ecr, ...) changes nothing here
		}
		id := firstString(ep.Get("vpcId"), req.Get("VpcId"), ep.Get("vpcEndpointId"))
		if id == "" {
			return nil
		}
		return []resource.State{named(id)}
	case "DeleteVpcEndpoints":
		// The event names the endpoints only; the online reader finds their
		// VPC (EC2 still describes a deleted endpoint for a while).
		var out []resource.State
		for _, id := range unwrap(ev.Request, ev.Name+"Request").Get("VpcEndpointId").Strings() {
			out = append(out, named(id))
		}
		return out
	}
	return nil
}

// unwrap steps into an EC2 request or response wrapper when there is one.
func unwrap(v cloudtrail.Value, wrapper string) cloudtrail.Value {
	if w := v.Get(wrapper); w.Exists() {
		return w
	}
	return v
}

// The endpoints a SageMaker private path is made of, by the service they
// connect to.
const (
	pathAPI      = "sagemaker.api"
	pathRuntime  = "sagemaker.runtime"
	pathNotebook = "notebook"
	pathStudio   = "studio"
	pathS3       = "s3"
)

// endpointRole says which part of the path an endpoint service is, or "":
// com.amazonaws.R.sagemaker.api(-fips), com.amazonaws.R.sagemaker.runtime(-fips),
// aws.sagemaker.R.notebook(-fips), aws.sagemaker.R.studio, com.amazonaws.R.s3,
// in any partition (cn.com.amazonaws.R.sagemaker.api).
func endpointRole(serviceName string) string {
	name := strings.ToLower(serviceName)
	last := strings.TrimSuffix(name[strings.LastIndex(name, ".")+1:], "-fips")
	if last == "s3" {
		return pathS3
	}
	if !IsSageMakerService(name) {
		return ""
	}
	switch last {
	case "api":
		return pathAPI
	case "runtime":
		return pathRuntime
	case "notebook":
		return pathNotebook
	case "studio":
		return pathStudio
	}
	return ""
}

// present reports whether an endpoint in this state carries traffic, or
// soon will: pending endpoints become available on their own.
func present(state string) bool {
	switch strings.ToLower(state) {
	case "deleting", "deleted", "rejected", "failed", "expired":
		return false
	}
	return true
}

// pathEndpoints maps each part of the path to the ids of the VPC's present
// endpoints that provide it. SageMaker's endpoints must be interface ones;
// S3's may be a gateway or an interface.
func pathEndpoints(cfg *resource.VPCConfig) map[string][]string {
	out := map[string][]string{}
	for _, ep := range cfg.Endpoints {
		role := endpointRole(ep.ServiceName)
		if role == "" || !present(ep.State) {
			continue
		}
		if role != pathS3 && ep.Type != "" && !strings.EqualFold(ep.Type, "Interface") {
			continue
		}
		out[role] = append(out[role], ep.ID)
	}
	return out
}

// ModelsMatter reports whether the models a VPC hosts can change its
// verdict: it lacks a sagemaker.runtime or an S3 endpoint. When it has both,
// the reader need not look for models (a scan of the region's models).
func ModelsMatter(cfg resource.VPCConfig) bool {
	have := pathEndpoints(&cfg)
	return len(have[pathRuntime]) == 0 || len(have[pathS3]) == 0
}

func (VPCPrivatePathComplete) Decide(s resource.State) Decision {
	switch {
	case s.Missing:
		return gone(s)
	case s.VPC == nil && !strings.HasPrefix(s.ID, "vpc-"):
		return unknown("which VPC " + s.ID + " is in, its endpoints or the models it hosts")
	case s.VPC == nil:
		return unknown("the VPC's other endpoints or the models it hosts")
	}
	cfg := s.VPC
	have := pathEndpoints(cfg)
	var missing []string
	if ui := slices.Concat(have[pathNotebook], have[pathStudio]); len(ui) > 0 && len(have[pathAPI]) == 0 {
		missing = append(missing, fmt.Sprintf(
			"a sagemaker.api interface endpoint: it has SageMaker notebook or Studio endpoints (%s), and without the API one "+
				"the presigned URLs that open them and the API calls are made over the internet (create the API endpoint first)", strings.Join(ui, ", ")))
	}
	hostingUnknown := false
	if len(have[pathRuntime]) == 0 || len(have[pathS3]) == 0 {
		switch {
		case !cfg.ModelsRead:
			hostingUnknown = true
		case len(cfg.Models) > 0:
			var lacks []string
			if len(have[pathRuntime]) == 0 {
				lacks = append(lacks, "a sagemaker.runtime interface endpoint")
			}
			if len(have[pathS3]) == 0 {
				lacks = append(lacks, "an S3 endpoint (gateway or interface), without which model containers reach S3 only through the internet")
			}
			missing = append(missing, fmt.Sprintf("%s: it hosts models (%s)", strings.Join(lacks, " and "), modelList(cfg.Models)))
		}
	}
	note := ""
	if cfg.ModelsNote != "" {
		note = " (" + cfg.ModelsNote + ")"
	}
	switch {
	case len(missing) > 0:
		reason := fmt.Sprintf("VPC %s lacks %s", s.ID, strings.Join(missing, "; and "))
		if hostingUnknown {
			reason += "; whether it hosts models, which would need sagemaker.runtime and S3 endpoints, is unknown" + note
		}
		return Decision{finding.NonCompliant, reason}
	case hostingUnknown:
		return Decision{finding.InsufficientData, fmt.Sprintf(
			"VPC %s has no sagemaker.runtime or no S3 endpoint, which models need, and whether it hosts models is unknown%s", s.ID, note)}
	case len(have[pathAPI])+len(have[pathRuntime])+len(have[pathNotebook])+len(have[pathStudio]) == 0 && len(cfg.Models) == 0:
		return Decision{finding.NotApplicable, fmt.Sprintf("VPC %s has no SageMaker interface endpoint and hosts no model", s.ID)}
	}
	var parts []string
	for _, p := range []string{pathAPI, pathRuntime, pathNotebook, pathStudio, pathS3} {
		if len(have[p]) > 0 {
			parts = append(parts, p)
		}
	}
	return Decision{finding.Compliant, fmt.Sprintf("VPC %s has the endpoints its SageMaker use needs (%s)", s.ID, strings.Join(parts, ", "))}
}

// modelList names up to three models.
func modelList(models []string) string {
	if len(models) <= 3 {
		return strings.Join(models, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(models[:3], ", "), len(models)-3)
}
