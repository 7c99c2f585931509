package rules

import (
	"fmt"
	"strings"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/guardrail"
	"github.com/vpcguard/vpcguard/shared/mode"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// NotebookNoDirectInternet: a notebook instance must run in a VPC subnet with
// DirectInternetAccess Disabled. AWS enables direct access when the create
// call omits the field, and the setting cannot be changed afterwards.
type NotebookNoDirectInternet struct{}

func (NotebookNoDirectInternet) Name() string        { return "sagemaker-notebook-no-direct-internet-access" }
func (NotebookNoDirectInternet) Kind() resource.Kind { return resource.Notebook }
func (NotebookNoDirectInternet) Severity() string    { return "HIGH" }

func (NotebookNoDirectInternet) DefaultMode() mode.Mode { return mode.Ticket }

func (NotebookNoDirectInternet) Triggers() []Trigger {
	return []Trigger{{Source: sageMaker, Names: []string{
		"CreateNotebookInstance", "StartNotebookInstance", "UpdateNotebookInstance", "DeleteNotebookInstance",
	}}}
}

// Guardrail denies notebook instances with direct internet access, or
// outside a VPC (without a subnet SageMaker gives the notebook internet
// access regardless). StringNotEquals also holds when the create call
// omits DirectInternetAccess, which AWS then enables.
func (NotebookNoDirectInternet) Guardrail() []guardrail.Statement {
	return []guardrail.Statement{{
		Sid:        "DenyNotebookDirectInternet",
		Actions:    []string{"sagemaker:CreateNotebookInstance"},
		Conditions: []guardrail.Condition{{Operator: "StringNotEquals", Key: "sagemaker:DirectInternetAccess", Values: []string{"Disabled"}}},
	}, {
		Sid:        "DenyNotebookWithoutVpc",
		Actions:    []string{"sagemaker:CreateNotebookInstance"},
		Conditions: []guardrail.Condition{{Operator: "Null", Key: "sagemaker:VpcSubnets", Values: []string{"true"}}},
	}}
}

func (NotebookNoDirectInternet) Remedies() []Remedy { return []Remedy{StopNotebook, Tag} }

func (NotebookNoDirectInternet) Doc() Doc {
	return Doc{
		Breaks: "`CreateNotebookInstance` with `DirectInternetAccess` Enabled, **or omitted** (AWS's default), or without a subnet; " +
			"`Start`/`UpdateNotebookInstance` of such an instance",
		Enforce: "stops the instance (re-checking a `Pending` one until it can be stopped), tags it, attaches the guardrail to the caller",
	}
}

func (r NotebookNoDirectInternet) FromEvent(ev *cloudtrail.Event) []resource.State {
	name := ev.Request.Get("notebookInstanceName").String()
	if name == "" {
		return nil
	}
	s := resource.State{Ref: ref(r.Kind(), name, ev), ARN: ev.Response.Get("notebookInstanceArn").String()}
	switch ev.Name {
	case "DeleteNotebookInstance":
		s.Missing = true
	case "CreateNotebookInstance":
		s.Notebook = &resource.NotebookConfig{
			DirectInternetAccess: ev.Request.Get("directInternetAccess").String(),
			SubnetID:             ev.Request.Get("subnetId").String(),
		}
	}
	// Start and Update do not carry the network settings: online evaluation
	// reads them from the instance.
	return []resource.State{s}
}

func (NotebookNoDirectInternet) Decide(s resource.State) Decision {
	switch {
	case s.Missing:
		return gone(s)
	case s.Notebook == nil:
		return unknown("the notebook's network settings")
	case s.Notebook.Status == "Deleting":
		return Decision{finding.NotApplicable, "notebook instance " + s.ID + " is being deleted"}
	}
	var problems []string
	switch dia := s.Notebook.DirectInternetAccess; {
	case dia == "":
		problems = append(problems, "DirectInternetAccess was omitted, so AWS enabled it")
	case !strings.EqualFold(dia, "Disabled"):
		problems = append(problems, "DirectInternetAccess is "+dia)
	}
	if s.Notebook.SubnetID == "" {
		problems = append(problems, "it has no VPC subnet")
	}
	if len(problems) > 0 {
		return Decision{finding.NonCompliant, fmt.Sprintf(
			"notebook instance %s reaches the internet directly: %s; the setting cannot be changed: "+
				"recreate it with SubnetId and DirectInternetAccess=Disabled", s.ID, strings.Join(problems, " and "))}
	}
	return Decision{finding.Compliant, fmt.Sprintf("notebook instance %s runs in subnet %s without direct internet access", s.ID, s.Notebook.SubnetID)}
}
