package delivery_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	sampleworld "github.com/vpcguard/vpcguard/internal/testenv/world"
	"github.com/vpcguard/vpcguard/shared/finding"
)

// checkFeedback fails the test for a finding that a feedback event of op
// must not produce: anything but COMPLIANT, except NOT_APPLICABLE for a
// DeleteModel (the model is gone), and any action but a ticket's.
func checkFeedback(t *testing.T, label, op string, fs []finding.Finding) {
	t.Helper()
	for _, f := range fs {
		ok := f.Status == finding.Compliant || (op == "DeleteModel" && f.Status == finding.NotApplicable)
		if !ok {
			t.Errorf("%s: feedback %s: %s %s is %s (%s); want COMPLIANT", label, op, f.Rule, f.ResourceID, f.Status, f.Reason)
		}
		for _, a := range f.Actions {
			if !strings.HasPrefix(a.Type, "ticket:") {
				t.Errorf("%s: feedback %s: action %+v; want no remediation", label, op, a)
			}
		}
	}
}

// TestOwnWritesFedBack runs every sample event once in enforce mode, then
// feeds the guards the CloudTrail event of every write they made (callers:
// the guards' own roles), as EventBridge would. No guard remediates again.
// The only writes the feedback causes are one resolution per ticket whose
// problem the guards fixed (ModifyVpcEndpoint with private DNS on: the
// endpoint now reads COMPLIANT; DeleteModel: the model is gone), and the
// events of those writes cause nothing: the loop ends after one round.
func TestOwnWritesFedBack(t *testing.T) {
	for _, tt := range []struct {
		name         string
		deleteModels bool
	}{
		{"defaults", false},
		{"deleting non-compliant models", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, worldOptions{deleteModels: tt.deleteModels})
			w.makeCalls(timeline...)
			w.noFeed = true
			w.run("enforce", w.primary(1), nil)
			own := w.since(0)

			want := []string{"AttachRolePolicy", "AttachUserPolicy", "StopNotebookInstance", "AddTags", "ModifyVpcEndpoint", "CreateTags", "BatchImportFindings", "Publish", "StopAutoMLJob"}
			if tt.deleteModels {
				want = append(want, "DeleteModel")
			}
			for _, op := range want {
				if !slices.ContainsFunc(own, func(c call) bool { return c.op == op }) {
					t.Fatalf("the enforce run sent no %s; the feedback would not cover it", op)
				}
			}

			// Round 1: the events of the guards' own writes.
			mark := w.Recorder.Mark()
			resolving := map[string]bool{} // resource ids whose ticket a feedback event may resolve
			for _, c := range own {
				d, ok := w.feedback(c)
				if !ok {
					continue
				}
				out, err := w.deliver(d)
				if err != nil {
					t.Errorf("deliver %s: %v", d.name, err)
				}
				checkFeedback(t, "round 1", c.op, out.findings)
				for _, f := range out.findings {
					if c.op == "ModifyVpcEndpoint" && f.Status != finding.Compliant {
						t.Errorf("ModifyVpcEndpoint(PrivateDnsEnabled=true) fed back: %s is %s; want COMPLIANT", f.ResourceID, f.Status)
					}
					resolving[f.ResourceID] = true
				}
				for _, wc := range out.writes {
					if slices.Contains(remediationWrites, wc.op) {
						t.Errorf("feedback %s made the guard send %s %s", c.op, wc.op, writeTarget(wc, nil))
					}
				}
			}
			round1 := w.since(mark)
			for _, c := range round1 {
				switch in := c.in.(type) {
				case *securityhub.BatchImportFindingsInput:
					for _, f := range in.Findings {
						if f.RecordState != shtypes.RecordStateArchived || !resolving[aws.ToString(f.Resources[0].Id)] {
							t.Errorf("round 1 imported %s %s as %s; want only resolutions of fixed resources", aws.ToString(f.GeneratorId), aws.ToString(f.Resources[0].Id), f.RecordState)
						}
					}
				case *sns.PublishInput:
					if ch := aws.ToString(in.MessageAttributes["change"].StringValue); ch != "resolved" {
						t.Errorf("round 1 published a %q message; want only resolutions", ch)
					}
				}
			}
			// The notebook endpoint's ticket: the guard turned its private DNS
			// on. (The runtime endpoint's was resolved already, by erin's
			// later ModifyVpcEndpoint event, which read it fixed.)
			wantResolved := 1
			if tt.deleteModels {
				wantResolved += 2 // fraud-empty-subnets, deleted: its model-in-vpc and network isolation tickets
			}
			if n := countOp(round1, "BatchImportFindings"); n != wantResolved {
				t.Errorf("round 1 resolved %d Security Hub findings; want %d", n, wantResolved)
			}
			if n := countOp(round1, "Publish"); n != wantResolved {
				t.Errorf("round 1 published %d messages; want %d", n, wantResolved)
			}

			// Round 2: the events of round 1's writes, and every round 1 event
			// again (duplicates): nothing at all.
			mark = w.Recorder.Mark()
			for _, c := range append(round1, own...) {
				d, ok := w.feedback(c)
				if !ok {
					continue
				}
				out, err := w.deliver(d)
				if err != nil {
					t.Errorf("deliver %s: %v", d.name, err)
				}
				checkFeedback(t, "round 2", c.op, out.findings)
			}
			if got := w.since(mark); len(got) != 0 {
				var ws []string
				for _, c := range got {
					ws = append(ws, c.op+" "+writeTarget(c, nil))
				}
				t.Errorf("round 2 sent %d writes; want none (a loop): %v", len(got), ws)
			}
		})
	}
}

func countOp(cs []call, op string) int {
	n := 0
	for _, c := range cs {
		if c.op == op {
			n++
		}
	}
	return n
}

// TestOwnWritesOnSettledAccount feeds one event of each write vpcguard makes,
// built by hand with a guard's role as the caller, to every guard in an
// account where the fixes are in place and no ticket is open: no guard
// sends any write, and each finding is COMPLIANT (NOT_APPLICABLE for the
// deleted model), or there is none because no guard evaluates the call.
func TestOwnWritesOnSettledAccount(t *testing.T) {
	w := newWorld(t, worldOptions{deleteModels: true})
	w.makeCalls(timeline...)
	ctx := t.Context()
	// The fixes, made by hand: private DNS on, the notebooks stopped.
	for _, id := range []string{w.ids[vpceRuntime], w.ids[vpceNotebook]} {
		if _, err := w.clients.EC2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(id), PrivateDnsEnabled: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, nb := range []string{"research-open", "quickstart-default"} {
		if _, err := w.clients.SageMaker.StopNotebookInstance(ctx, &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String(nb)}); err != nil {
			t.Fatal(err)
		}
	}
	nbARN := "arn:aws:sagemaker:" + region + ":" + acct + ":notebook-instance/research-open"
	modelARN := "arn:aws:sagemaker:" + region + ":" + acct + ":model/fraud-empty-subnets"
	tag := []smtypes.Tag{{Key: aws.String("vpcguard:finding"), Value: aws.String(ruleNotebook)}}
	cases := []struct {
		guard, op string
		in        any
		want      finding.Status // "" when no guard evaluates the call
	}{
		{"notebook-guard", "AttachRolePolicy", &iam.AttachRolePolicyInput{RoleName: aws.String("DataScientist"), PolicyArn: aws.String(w.Guardrail)}, ""},
		{"model-guard", "AttachUserPolicy", &iam.AttachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: aws.String(w.Guardrail)}, ""},
		{"notebook-guard", "StopNotebookInstance", &sagemaker.StopNotebookInstanceInput{NotebookInstanceName: aws.String("research-open")}, ""},
		{"notebook-guard", "AddTags", &sagemaker.AddTagsInput{ResourceArn: aws.String(nbARN), Tags: tag}, ""},
		{"model-guard", "AddTags", &sagemaker.AddTagsInput{ResourceArn: aws.String(modelARN), Tags: tag}, ""},
		{"model-guard", "DeleteModel", &sagemaker.DeleteModelInput{ModelName: aws.String("churn-xgb-public")}, finding.NotApplicable},
		{"endpoint-guard", "ModifyVpcEndpoint", &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(w.ids[vpceNotebook]), PrivateDnsEnabled: aws.Bool(true)}, finding.Compliant},
		{"endpoint-guard", "ModifyVpcEndpoint", &ec2.ModifyVpcEndpointInput{VpcEndpointId: aws.String(w.ids[vpceRuntime]), PrivateDnsEnabled: aws.Bool(true)}, finding.Compliant},
		{"endpoint-guard", "CreateTags", &ec2.CreateTagsInput{Resources: []string{w.ids[vpceNotebook]},
			Tags: []ec2types.Tag{{Key: aws.String("vpcguard:finding"), Value: aws.String(ruleEndpoint)}}}, ""},
		{"model-guard", "BatchImportFindings", &securityhub.BatchImportFindingsInput{Findings: []shtypes.AwsSecurityFinding{{
			Id: aws.String("vpcguard/" + ruleModel + "/0123"), ProductArn: aws.String("arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default")}}}, ""},
		{"model-guard", "Publish", &sns.PublishInput{TopicArn: aws.String(w.TopicARN), Subject: aws.String("[vpcguard] NON_COMPLIANT " + ruleModel)}, ""},
		{"notebook-guard", "SendMessage", &sqs.SendMessageInput{QueueUrl: aws.String(w.RecheckQueueURL), MessageBody: aws.String(`{"rule":"` + ruleNotebook + `"}`), DelaySeconds: 60}, ""},
		{"job-guard", "StopAutoMLJob", &sagemaker.StopAutoMLJobInput{AutoMLJobName: aws.String("churn-autopilot")}, ""},
		{"job-guard", "StopTrainingJob", &sagemaker.StopTrainingJobInput{TrainingJobName: aws.String("churn-train-public")}, ""},
		{"job-guard", "AddTags", &sagemaker.AddTagsInput{ResourceArn: aws.String("arn:aws:sagemaker:" + region + ":" + acct + ":training-job/churn-train-public"),
			Tags: []smtypes.Tag{{Key: aws.String("vpcguard:finding"), Value: aws.String(ruleJob)}}}, ""},
		{"domain-guard", "AddTags", &sagemaker.AddTagsInput{ResourceArn: aws.String("arn:aws:sagemaker:" + region + ":" + acct + ":domain/" + w.domains[sampleworld.DomainResearch]),
			Tags: []smtypes.Tag{{Key: aws.String("vpcguard:finding"), Value: aws.String(ruleDomain)}}}, ""},
		// The opt-in switch, once made: the domain then reads VpcOnly on AWS;
		// moto has no UpdateDomain, so studio-prod (VpcOnly) stands in.
		{"domain-guard", "UpdateDomain", &sagemaker.UpdateDomainInput{DomainId: aws.String(w.domains[sampleworld.DomainProd]),
			AppNetworkAccessType: smtypes.AppNetworkAccessTypeVpcOnly, VpcId: aws.String(w.Net.VPC), SubnetIds: w.Net.Subnets}, finding.Compliant},
	}
	for _, tc := range cases {
		t.Run(tc.guard+" "+tc.op, func(t *testing.T) {
			d, ok := w.feedback(call{guard: tc.guard, op: tc.op, in: tc.in})
			if !ok {
				t.Fatalf("no event built for %s", tc.op)
			}
			mark := w.Recorder.Mark()
			out, err := w.deliver(d)
			if err != nil {
				t.Errorf("deliver: %v", err)
			}
			if got := w.since(mark); len(got) != 0 {
				t.Errorf("writes = %d (first %s %s); want none", len(got), got[0].op, writeTarget(got[0], nil))
			}
			checkFeedback(t, "settled account", tc.op, out.findings)
			if tc.want == "" && len(out.findings) != 0 {
				t.Errorf("findings = %+v; want none: no guard evaluates %s", out.findings, tc.op)
			}
			if tc.want != "" && (len(out.findings) == 0 || slices.ContainsFunc(out.findings, func(f finding.Finding) bool { return f.Status != tc.want })) {
				t.Errorf("findings = %+v; want each rule's %s", out.findings, tc.want)
			}
		})
	}
}
