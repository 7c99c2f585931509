package remediate

import (
	"context"

	"github.com/vpcguard/vpcguard/shared/awserr"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/finding"
	"github.com/vpcguard/vpcguard/shared/resource"
)

const actionStopJob = "stop-job"

// stopJob stops a job that runs outside a VPC: its VPC settings cannot be
// changed, and every minute it runs it can reach the internet. A job that
// has finished is left as it is, and the finding says so.
func (r *Remediator) stopJob(ctx context.Context, api API, res *evaluate.Result) error {
	f := &res.Finding
	j := res.State.Job
	target := res.State.ID
	if j == nil {
		f.AddAction(finding.Action{Type: actionStopJob, Target: target, Outcome: finding.Skipped, Detail: "the job's status is unknown"})
		return nil
	}
	_, name, ok := resource.ParseJobID(res.State.ID)
	switch {
	case !ok:
		f.AddAction(finding.Action{Type: actionStopJob, Target: target, Outcome: finding.Skipped, Detail: "not a job id: " + res.State.ID})
		return nil
	case j.Status == "InProgress":
	case j.Status == "":
		f.AddAction(finding.Action{Type: actionStopJob, Target: target, Outcome: finding.Skipped, Detail: "the job's status is unknown"})
		return nil
	default:
		f.AddAction(finding.Action{Type: actionStopJob, Target: target, Outcome: finding.Skipped, Detail: "already " + j.Status})
		f.Contain(finding.Stopped) // no longer running: found in place
		return nil
	}
	if r.Config.DryRun {
		f.AddAction(finding.Action{Type: actionStopJob, Target: target, Outcome: finding.DryRun, Detail: "would stop the running job"})
		return nil
	}
	err := api.Jobs.StopJob(ctx, j.Type, name)
	switch {
	case awserr.IsNotFound(err):
		f.AddAction(finding.Action{Type: actionStopJob, Target: target, Outcome: finding.Skipped, Detail: "the job no longer exists"})
		return nil
	case awserr.IsConflict(err):
		// It finished (or began stopping) since it was read.
		f.AddAction(finding.Action{Type: actionStopJob, Target: target, Outcome: finding.Skipped, Detail: "no longer running: " + err.Error()})
		f.Contain(finding.Stopped)
		return nil
	case err != nil:
		return outcome(f, actionStopJob, target, err)
	}
	f.AddAction(finding.Action{Type: actionStopJob, Target: target, Outcome: finding.Done, Detail: "stopped"})
	f.Contain(finding.Stopped)
	return nil
}
