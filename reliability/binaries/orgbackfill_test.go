package binaries

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/vpcguard/vpcguard/infra/stack"
	"github.com/vpcguard/vpcguard/internal/testenv/motoserver"
	"github.com/vpcguard/vpcguard/internal/testenv/runtimeapi"
	"github.com/vpcguard/vpcguard/shared/config"
	"github.com/vpcguard/vpcguard/shared/orgbackfill"
)

const runsBucket = "vpcguard-org-backfill-runs"

// invokeOK invokes and returns the successful response's payload.
func invokeOK(t *testing.T, ctx context.Context, api *runtimeapi.Server, label string, payload []byte) []byte {
	t.Helper()
	res, err := api.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("%s: Invoke: %v", label, err)
	}
	if res.Err != nil {
		t.Fatalf("%s: got function error %s: %s; want a result", label, res.Err.ErrorType, res.Err.ErrorMessage)
	}
	return res.Payload
}

// invokeBad invokes with a bad payload: a function error of errorType
// (any, when empty) whose message says want, from a process still serving.
func invokeBad(t *testing.T, ctx context.Context, api *runtimeapi.Server, p *runtimeapi.Process, pid int, payload, errorType, want string) {
	t.Helper()
	res, err := api.Invoke(ctx, []byte(payload))
	if err != nil {
		t.Fatalf("%s: Invoke: %v", payload, err)
	}
	switch {
	case res.Err == nil:
		t.Errorf("%.120s: got result %.200s; want a function error saying %q", payload, res.Payload, want)
	case res.Err.ErrorType == "" || errorType != "" && res.Err.ErrorType != errorType || !strings.Contains(res.Err.ErrorMessage, want):
		t.Errorf("%.120s: got errorType %q errorMessage %q; want type %q saying %q", payload, res.Err.ErrorType, res.Err.ErrorMessage, errorType, want)
	}
	checkAlive(t, p, pid)
}

// TestOrgBackfillBinaries: the organization backfill's two functions as
// the state machine invokes them, on moto: the orchestrator's bootstrap
// plans a run (Organizations' accounts × the Regions, the shard list in the
// runs bucket), the backfill bootstrap runs the shard the list holds and
// returns its record, and the orchestrator sums the record up. Bad payloads
// are function errors naming the problem (VpcGuardBadInput for a shard's,
// which the state machine does not retry), and each process serves on.
func TestOrgBackfillBinaries(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	a := seed(t, ctx)
	// The central account is the organization's management account here:
	// ListAccounts answers it.
	if _, err := organizations.NewFromConfig(a.cfg).CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatalf("create organization: %v", err)
	}
	s3c := s3.NewFromConfig(a.cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(runsBucket)}); err != nil {
		t.Fatalf("create the runs bucket: %v", err)
	}

	orchAPI, orch := start(t, ctx, stack.OrchestratorName, a.env(stack.OrchestratorName,
		config.EnvRunsBucket+"="+runsBucket, config.EnvBackfillRegions+"="+region))
	shardAPI, shardProc := start(t, ctx, "backfill", a.env("backfill"))
	for _, api := range []*runtimeapi.Server{orchAPI, shardAPI} {
		if err := api.WaitForNext(ctx); err != nil {
			t.Fatalf("WaitForNext: %v", err)
		}
	}
	orchPID, shardPID := orch.Pid(), shardProc.Pid()

	// Plan: the state machine hands the execution's input as "plan".
	const run = "run-1"
	var plan orgbackfill.PlanOutput
	if err := json.Unmarshal(invokeOK(t, ctx, orchAPI, "plan", []byte(`{"plan": {"regions": ["`+region+`"], "mode": "report"}, "run": "`+run+`"}`)), &plan); err != nil {
		t.Fatalf("plan output: %v", err)
	}
	if plan.Run != run || plan.Bucket != runsBucket || plan.ShardsKey != orgbackfill.ShardsKey(run) || plan.Shards != 1 || plan.Accounts != 1 ||
		strings.Join(plan.Regions, ",") != region || plan.Options.Mode != "report" {
		t.Fatalf("plan: got %+v; want run %s, 1 account × %s in s3://%s/%s, report mode", plan, run, region, runsBucket, orgbackfill.ShardsKey(run))
	}
	var shards []orgbackfill.Shard
	if err := json.Unmarshal(getObject(t, ctx, s3c, plan.ShardsKey), &shards); err != nil || len(shards) != 1 || shards[0].Account != motoserver.Account || shards[0].Region != region {
		t.Fatalf("shard list: got %+v (%v); want %s/%s", shards, err, motoserver.Account, region)
	}

	// The shard, as the map's ItemSelector builds its input.
	item, _ := json.Marshal(shards[0])
	opts, _ := json.Marshal(plan.Options)
	payload := []byte(`{"shard": ` + string(item) + `, "index": 0, "part": 0, "run": "` + run + `", "options": ` + string(opts) + `, "continuation": null}`)
	raw := invokeOK(t, ctx, shardAPI, "shard", payload)
	var res orgbackfill.ShardResult
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("shard result %s: %v; want a ShardResult", raw, err)
	}
	// The seeded account (see TestBackfillBinary): 13 resources, the
	// models' network isolation rule finding all three non-compliant.
	if res.Account != motoserver.Account || res.Region != region || res.Resources != 13 || res.Parts != 1 || res.Continuation != nil ||
		len(res.Errors) != 0 || res.Calls == 0 || res.ByRule["sagemaker-model-network-isolation"]["NON_COMPLIANT"] != 3 {
		t.Errorf("shard result: got %s; want %s/%s, 13 resources, 1 part, no continuation or errors, 3 models not isolated", raw, motoserver.Account, region)
	}

	for _, bad := range []struct{ payload, want string }{
		{`{"shard": {"account": "1234", "region": "us-east-1"}}`, `shard.account: "1234" is not a 12-digit account id`},
		{`{"shard": {"account": "123456789012", "region": ""}}`, `shard.region: "" is not a Region name`},
		{`{"shard": {"account": "123456789012", "region": "us-east-1"}, "shards": 2}`, `unknown field "shards"`},
		{`{"shard": {"account": "123456789012", "region": "us-east-1"}, "index": "0"}`, "index"},
		{`{"shard": {"account": "123456789012", "region": "us-east-1"}, "options": {"mode": "fix"}}`, `mode: "fix" is not report, ticket or enforce`},
		{`{"shard": {"account": "123456789012", "region": "us-east-1", "read": [{"kind": "AWS::SageMaker::Model"}]}}`, "a resource without kind or id"},
	} {
		invokeBad(t, ctx, shardAPI, shardProc, shardPID, bad.payload, orgbackfill.ErrorBadInput, bad.want)
	}

	// The map's Record state keeps the shard's result; Summarize sums it.
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(runsBucket), Key: aws.String(orgbackfill.RecordPrefix(run) + "0.json"), Body: bytes.NewReader(raw)}); err != nil {
		t.Fatalf("put the shard's record: %v", err)
	}
	var sum orgbackfill.Summary
	if err := json.Unmarshal(invokeOK(t, ctx, orchAPI, "summarize", []byte(`{"summarize": {"run": "`+run+`", "outcome": {}}}`)), &sum); err != nil {
		t.Fatalf("summary: %v", err)
	}
	if sum.Shards != 1 || sum.ShardsSucceeded != 1 || sum.ShardsFailed != 0 || sum.Resources != 13 || sum.Failed ||
		len(sum.ByAccount) != 1 || sum.SummaryKey != "s3://"+runsBucket+"/"+orgbackfill.SummaryKey(run) {
		t.Errorf("summary: got %+v; want 1 shard succeeded, 13 resources, one account, kept at %s", sum, orgbackfill.SummaryKey(run))
	}

	for _, bad := range []struct{ payload, want string }{
		{`{"plan": {"regions": []}, "run": "run-2"}`, "regions: empty; omit it for the default"},
		{`{"plan": {"accounts": ["12"]}, "run": "run-2"}`, `accounts: "12" is not a 12-digit account id`},
		{`{"plan": {"region": ["us-east-1"]}, "run": "run-2"}`, `unknown field "region"`},
		{`{"plan": {}, "run": "a/b"}`, `run: "a/b" is not an execution name`},
		{`{"plan": {}, "summarize": {"run": "run-1"}, "run": "run-1"}`, "give one of plan and summarize"},
		{`{"summarize": {"run": ""}}`, `summarize.run: "" is not an execution name`},
		{`{"summarize": {"run": "never-planned"}}`, "summarize run never-planned: read its plan"},
		{`[1]`, "bad request"},
	} {
		invokeBad(t, ctx, orchAPI, orch, orchPID, bad.payload, "", bad.want)
	}
	if e := orchAPI.InitError(); e != nil {
		t.Errorf("orchestrator InitError: got %v; want nil", e)
	}
}

func getObject(t *testing.T, ctx context.Context, c *s3.Client, key string) []byte {
	t.Helper()
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(runsBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get s3://%s/%s: %v", runsBucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
