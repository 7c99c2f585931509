package orgbackfill_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/vpcguard/vpcguard/internal/testenv/guards"
	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/evaluate"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
	"github.com/vpcguard/vpcguard/shared/setup"
	"github.com/vpcguard/vpcguard/shared/setup/organization"
)

const (
	runsBucket   = "vpcguard-org-backfill-runs"
	orchestrator = "arn:aws:lambda:us-east-1:123456789012:function:vpcguard-backfill-orchestrator"
	shardFn      = "arn:aws:lambda:us-east-1:123456789012:function:vpcguard-backfill"
)

// TestStateMachineOnMoto runs the organization backfill's state machine on
// moto's Step Functions interpreter. moto runs no Lambda function without
// Docker, so the two functions' tasks are swapped (Definition.Invoke), and
// everything else is the deployed definition:
//
//   - the plan task is a Pass state holding what the real orchestrator
//     answered when it planned the run in this process (it wrote the shard
//     list to moto's S3);
//   - each shard task is an SSM GetParameter of what the real shard code
//     (RunShard, on moto, through the member role) returned for that shard
//     and part, computed beforehand (moto's interpreter cannot return an S3
//     object's body: "cannot pickle '_io.BufferedReader'"); the member whose
//     role refuses has no such parameter, so its task fails as a Lambda
//     task would, with an error (ParameterNotFound, not the role's);
//   - the summarize task is a Pass state handing on the payload the
//     function would get; the real orchestrator sums up from it afterwards.
//
// So moto runs: the Distributed Map reading the shard list from S3
// (ItemReader), ItemSelector, MaxConcurrency, the continuation loop (a
// shard with a budget of nine starts goes round again), Retry with backoff
// and Catch on a failing shard, its failure record written to S3, the Fail
// state inside the map, 2 of 8 shards failed within a 50% tolerance, each
// shard's record written to S3. Not run on moto: the Lambda invoke
// integration and its retries on Lambda's own errors, the functions'
// errorType matching (VpcGuardBadInput is not retried), IAM, the execution
// under a role, and the map failing beyond the tolerance (moto 5.2.1's map
// succeeded with 2 of 8 items failed at 10% or 0% tolerated; the summary of
// a map that failed is checked by asking the orchestrator directly), and a
// second execution in the same moto_server (StartExecution answered HTTP
// 500), so the test runs one.
func TestStateMachineOnMoto(t *testing.T) {
	srv, org := organizationOnMoto(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	interpret(t, srv)
	cfg := srv.Config(home)
	if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(runsBucket)}); err != nil {
		t.Fatal(err)
	}
	refusing := org.Members[3]
	accounts := []string{org.Members[0], org.Members[1], org.Members[2], refusing}
	run := newOrgRun(t, srv, refusing, nil)
	orch := &orgbackfill.Orchestrator{
		Planner: run.local.Planner,
		Evaluator: func(o orgbackfill.Options) (*evaluate.Evaluator, error) {
			return setup.Guard(config.Default(), nil, testRules, nil, guards.Kinds...).Evaluator, nil
		},
		Store:  organization.Store{S3: organization.NewS3(cfg), Bucket: runsBucket},
		Bucket: runsBucket,
	}

	{
		{
			name := "run-1"
			req, _ := json.Marshal(map[string]any{"plan": orgbackfill.Request{Accounts: accounts, Regions: regions[:2]}, "run": name})
			out, err := orch.Handle(ctx, req)
			if err != nil {
				t.Fatalf("plan: %v", err)
			}
			plan := out.(orgbackfill.PlanOutput)
			if plan.Shards != len(accounts)*2 {
				t.Fatalf("plan: %d shards; want %d", plan.Shards, len(accounts)*2)
			}
			var shards []orgbackfill.Shard
			raw, err := orch.Store.Get(ctx, plan.ShardsKey)
			if err != nil || json.Unmarshal(raw, &shards) != nil {
				t.Fatalf("read the shard list: %v", err)
			}
			want := precompute(t, ctx, ssm.NewFromConfig(cfg), run, shards, refusing)

			def := orgbackfill.Definition{Orchestrator: orchestrator, Backfill: shardFn, Bucket: runsBucket, MaxConcurrency: 3,
				ToleratedFailurePercent: 50, RetryIntervalSeconds: 1, RetryMaxAttempts: 1, RetryMaxDelaySeconds: 1,
				Invoke: swapped(plan)}
			output := execute(t, ctx, srv, def, name)

			var ended struct {
				Failed     bool            `json:"failed"`
				Invocation json.RawMessage `json:"invocation"`
			}
			if err := json.Unmarshal([]byte(output), &ended); err != nil {
				t.Fatalf("execution output %s: %v", output, err)
			}
			res, err := orch.Handle(ctx, ended.Invocation)
			if err != nil {
				t.Fatalf("summarize %s: %v", ended.Invocation, err)
			}
			s := res.(orgbackfill.Summary)
			if s.Failed {
				t.Errorf("summary failed (%s: %s); want not: 2 of 8 shards failed, 50%% tolerated", s.Error, s.Cause)
			}
			if s.ShardsSucceeded != len(shards)-2 || s.ShardsFailed != 2 || s.Parts != want.parts {
				t.Errorf("shards: %d succeeded, %d failed, %d parts; want %d, 2, %d", s.ShardsSucceeded, s.ShardsFailed, s.Parts, len(shards)-2, want.parts)
			}
			for _, f := range s.FailedShards {
				if f.Account != refusing || !strings.Contains(f.Error, "ParameterNotFound") {
					t.Errorf("failed shard %+v; want %s's, with the swapped task's error", f, refusing)
				}
			}
			if s.Resources != want.resources {
				t.Errorf("summary: %d resources; want %d", s.Resources, want.resources)
			}
			for _, a := range s.ByAccount {
				if a.Account == refusing {
					continue
				}
				if w := want.byAccount[a.Account]; fmt.Sprint(a.ByRule) != fmt.Sprint(w) {
					t.Errorf("account %s: %v; want %v", a.Account, a.ByRule, w)
				}
			}

			// Beyond the tolerated failures the map fails and the summary
			// step gets its error (moto's map did not fail beyond them, so
			// the summary is asked directly with the error AWS names).
			beyond := []byte(`{"summarize": {"run": "` + name + `", "outcome": {"Error": "States.ExceedToleratedFailureThreshold", "Cause": "The specified tolerated failure threshold was exceeded"}}}`)
			res, err = orch.Handle(ctx, beyond)
			if err != nil {
				t.Fatal(err)
			}
			if s := res.(orgbackfill.Summary); !s.Failed || s.Error != "States.ExceedToleratedFailureThreshold" || !strings.Contains(s.Cause, "2 of 8 shards failed") ||
				!strings.Contains(s.Cause, refusing+"/") {
				t.Errorf("summary beyond the tolerance: failed %v, %q, %q; want failed, naming the failed shards", s.Failed, s.Error, s.Cause)
			}
		}
	}
}

// expected is what the shards found when run in process.
type expected struct {
	resources, parts int
	byAccount        map[string]any
}

// precompute runs every shard with the real shard code and keeps each part's
// record as an SSM parameter (/vpcguard-test/<account>/<index>-<part>) for the swapped
// task to return. The first shard has a budget of nine starts, so it
// returns a continuation and the map must run it again.
func precompute(t *testing.T, ctx context.Context, params *ssm.Client, run *orgRun, shards []orgbackfill.Shard, refusing string) expected {
	t.Helper()
	want := expected{byAccount: map[string]any{}}
	totals := map[string]*orgbackfill.Tally{}
	for i, s := range shards {
		if s.Account == refusing {
			continue
		}
		in := orgbackfill.ShardInput{Shard: s, Index: i}
		for part := 0; ; part++ {
			if part == 20 {
				t.Fatalf("shard %d: 20 parts and still a continuation", i)
			}
			var budget func() bool
			if i == 0 {
				var n atomic.Int64
				budget = func() bool { return n.Add(1) > 9 }
			}
			res, err := orgbackfill.RunShard(ctx, run.local.Engine, in, budget)
			if err != nil {
				t.Fatalf("shard %d: %v", i, err)
			}
			t.Logf("shard %d part %d: %d resources, continuation %v", i, part, res.Resources, res.Continuation != nil)
			body, _ := json.Marshal(res)
			if _, err := params.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(fmt.Sprintf("/vpcguard-test/%s/%d-%d", s.Account, i, part)),
				Value: aws.String(string(body)), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
				t.Fatal(err)
			}
			if res.Continuation == nil {
				want.resources += res.Resources
				want.parts += res.Parts
				if totals[s.Account] == nil {
					totals[s.Account] = &orgbackfill.Tally{}
				}
				totals[s.Account].Add(res.Tally, 0)
				break
			}
			in.Continuation = res.Continuation
		}
		if i == 0 && want.parts < 2 {
			t.Fatalf("shard 0 ran in %d part; want a continuation (budget of nine starts)", want.parts)
		}
	}
	for a, tl := range totals {
		want.byAccount[a] = tl.ByRule
	}
	return want
}

// swapped is the test's Invoker: the tasks moto can run in place of the two
// functions (see TestStateMachineOnMoto).
func swapped(plan orgbackfill.PlanOutput) orgbackfill.Invoker {
	return func(function string, payload map[string]any, selector map[string]string) map[string]any {
		if function == shardFn {
			return map[string]any{
				"Type":     "Task",
				"Resource": "arn:aws:states:::aws-sdk:ssm:getParameter",
				"Parameters": map[string]any{
					"Name.$": "States.Format('/vpcguard-test/{}/{}-{}', $.shard.account, $.index, $.part)",
				},
				"ResultSelector": map[string]any{"result.$": "States.StringToJson($.Parameter.Value)"},
			}
		}
		if _, ok := payload["plan.$"]; ok {
			b, _ := json.Marshal(plan)
			var whole map[string]any
			json.Unmarshal(b, &whole)
			result := map[string]any{}
			for field, path := range selector {
				result[field] = whole[strings.TrimPrefix(path, "$.")]
			}
			return map[string]any{"Type": "Pass", "Result": result}
		}
		return map[string]any{"Type": "Pass", "Parameters": map[string]any{"summary": map[string]any{"failed": false, "invocation": payload}}}
	}
}

// interpret switches moto's Step Functions to running executions (its
// default only records them).
func interpret(t *testing.T, srv *motoserver.Server) {
	t.Helper()
	resp, err := http.Post(srv.URL+"/moto-api/config", "application/json", bytes.NewReader([]byte(`{"stepfunctions": {"execute_state_machine": true}}`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("moto config: HTTP %d", resp.StatusCode)
	}
}

// execute creates the state machine and runs one execution to its end,
// returning its output.
func execute(t *testing.T, ctx context.Context, srv *motoserver.Server, def orgbackfill.Definition, name string) string {
	t.Helper()
	body, err := def.JSON()
	if err != nil {
		t.Fatal(err)
	}
	c := sfn.NewFromConfig(srv.Config(home))
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("vpcguard-org-backfill-" + name), Definition: aws.String(body),
		RoleArn: aws.String("arn:aws:iam::123456789012:role/vpcguard-org-backfill")})
	if err != nil {
		t.Fatalf("create state machine: %v\n%s", err, body)
	}
	// Always named: moto gives an unnamed execution the name "None".
	ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String(name), Input: aws.String("{}")})
	if err != nil {
		t.Fatal(err)
	}
	for {
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		switch d.Status {
		case sfntypes.ExecutionStatusSucceeded:
			return aws.ToString(d.Output)
		case sfntypes.ExecutionStatusRunning, sfntypes.ExecutionStatusPendingRedrive:
		default:
			h, _ := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: ex.ExecutionArn})
			var events []string
			if h != nil {
				for _, e := range h.Events {
					events = append(events, string(e.Type))
				}
			}
			t.Fatalf("execution %s: %s %s: %s\nhistory: %v", name, d.Status, aws.ToString(d.Error), aws.ToString(d.Cause), events)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("execution %s did not end: %v", name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
