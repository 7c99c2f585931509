package rules

import (
	"fmt"
	"strings"

	"github.com/vpcguard/vpcguard/shared/cloudtrail"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// NotebookNoDirectInternet: a notebook instance must run in a VPC subnet with
// DirectInternetAccess Disabled. AWS enables direct access when the create
// call omits the field, and the setting cannot be changed afterwards.
type NotebookNoDirectInternet struct{}

func (NotebookNoDirectInternet) Name() string        { return "sagemaker-notebook-no-direct-internet-access" }
func (NotebookNoDirectInternet) Kind() resource.Kind { return resource.Notebook }
func (NotebookNoDirectInternet) Severity() string    { return "HIGH" }

func (NotebookNoDirectInternet) Triggers() Trigger {
	return Trigger{EventSource: "sagemaker.amazonaws.com", EventNames: []string{
		"CreateNotebookInstance", "StartNotebookInstance", "UpdateNotebookInstance", "DeleteNotebookInstance",
	}}
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
