package orgbackfill

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Error names the functions return as Lambda's errorType, which Step
// Functions matches in Retry and Catch.
const (
	// ErrorBadInput: the input cannot be run; retrying cannot help.
	ErrorBadInput = "VpcGuardBadInput"
	// ErrorShardFailed: the shard could not run (its role refused, every
	// listing failed); retried with backoff, then recorded as failed.
	ErrorShardFailed = "VpcGuardShardFailed"
)

// Definition is the organization backfill's state machine, in the Amazon
// States Language. The CDK stack deploys it with the functions' ARNs; tests
// run it on moto's Step Functions interpreter with Invoke swapped for a
// task moto can run (it cannot run Lambda functions without Docker).
//
//	Plan ─▶ Shards (Distributed Map over the plan's shards.json)  ─▶ Summarize ─▶ Done | RunFailed
//	          each: Shard ─▶ More? ─▶ GoOn ─▶ Shard ...   (a continuation: the same shard again)
//	                           └─▶ Record (records/<index>.json)
//	                Shard's error after its retries ─▶ RecordFailure (failed/<index>.json) ─▶ Failed
type Definition struct {
	Orchestrator string // the orchestrator function (plan, summarize)
	Backfill     string // the backfill function (each shard)
	Bucket       string // the runs bucket
	// MaxConcurrency shards run at once; ToleratedFailurePercent of the
	// shards may fail before the map stops and the run fails.
	MaxConcurrency          int
	ToleratedFailurePercent int
	// A shard that fails is tried again after RetryIntervalSeconds, then
	// BackoffRate times longer each time (at most RetryMaxDelaySeconds,
	// with full jitter), RetryMaxAttempts times.
	RetryIntervalSeconds int
	RetryMaxAttempts     int
	RetryMaxDelaySeconds int
	// Invoke builds the task that calls function with payload; select
	// names, per field of the task's result, its path in the function's
	// output ("$" the whole). Nil: Lambda's invoke integration.
	Invoke Invoker
}

// Invoker builds a task state that calls a function.
type Invoker func(function string, payload map[string]any, selector map[string]string) map[string]any

// Default retry settings of a shard.
const (
	DefaultRetryIntervalSeconds = 20
	DefaultRetryMaxAttempts     = 3
	DefaultRetryMaxDelaySeconds = 300
)

// LambdaInvoke calls a Lambda function with Step Functions' optimized
// integration, whose result holds the function's output as Payload.
func LambdaInvoke(function string, payload map[string]any, selector map[string]string) map[string]any {
	sel := map[string]any{}
	for field, path := range selector {
		sel[field+".$"] = "$.Payload" + strings.TrimPrefix(path, "$")
	}
	return map[string]any{
		"Type":           "Task",
		"Resource":       "arn:aws:states:::lambda:invoke",
		"Parameters":     map[string]any{"FunctionName": function, "Payload": payload},
		"ResultSelector": sel,
		// Lambda's own transient failures, as AWS recommends retrying them.
		"Retry": []any{map[string]any{
			"ErrorEquals":     []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"},
			"IntervalSeconds": 2, "MaxAttempts": 6, "BackoffRate": number(2), "JitterStrategy": "FULL",
		}},
	}
}

// number is a float the States Language grammar reads as one: Go writes
// float64(50) as 50, which moto's parser refuses where it wants 50.0.
func number(f float64) json.Number {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return json.Number(s)
}

// JSON is the definition.
func (d Definition) JSON() (string, error) {
	if d.Orchestrator == "" || d.Backfill == "" || d.Bucket == "" {
		return "", fmt.Errorf("state machine: the functions and the bucket must be named")
	}
	if d.MaxConcurrency < 1 || d.ToleratedFailurePercent < 0 || d.ToleratedFailurePercent > 100 {
		return "", fmt.Errorf("state machine: max concurrency %d (at least 1), tolerated failures %d%% (0..100)", d.MaxConcurrency, d.ToleratedFailurePercent)
	}
	invoke := d.Invoke
	if invoke == nil {
		invoke = LambdaInvoke
	}
	interval, attempts, maxDelay := d.RetryIntervalSeconds, d.RetryMaxAttempts, d.RetryMaxDelaySeconds
	if interval <= 0 {
		interval = DefaultRetryIntervalSeconds
	}
	if attempts <= 0 {
		attempts = DefaultRetryMaxAttempts
	}
	if maxDelay <= 0 {
		maxDelay = DefaultRetryMaxDelaySeconds
	}

	plan := invoke(d.Orchestrator, map[string]any{"plan.$": "$", "run.$": "$$.Execution.Name"},
		map[string]string{"run": "$.run", "shardsKey": "$.shardsKey", "options": "$.options"})
	plan["Comment"] = "List the shards (accounts × Regions; what AWS Config already decided) into the runs bucket"
	plan["ResultPath"] = "$.plan"
	plan["Next"] = "Shards"

	shard := invoke(d.Backfill, map[string]any{"shard.$": "$.shard", "index.$": "$.index", "part.$": "$.part", "run.$": "$.run",
		"options.$": "$.options", "continuation.$": "$.continuation"}, map[string]string{"result": "$"})
	shard["Comment"] = "Backfill one account and Region; near its time budget it returns a continuation"
	shard["ResultPath"] = "$.out"
	shard["Next"] = "More?"
	shard["Retry"] = append(asList(shard["Retry"]),
		map[string]any{"ErrorEquals": []string{ErrorBadInput}, "MaxAttempts": 0},
		map[string]any{"ErrorEquals": []string{"States.ALL"}, "IntervalSeconds": interval, "MaxAttempts": attempts,
			"BackoffRate": number(2), "MaxDelaySeconds": maxDelay, "JitterStrategy": "FULL"})
	shard["Catch"] = []any{map[string]any{"ErrorEquals": []string{"States.ALL"}, "ResultPath": "$.error", "Next": "RecordFailure"}}

	putObject := func(keyFormat, body string) map[string]any {
		return map[string]any{
			"Type":     "Task",
			"Resource": "arn:aws:states:::aws-sdk:s3:putObject",
			"Parameters": map[string]any{
				"Bucket": d.Bucket,
				"Key.$":  "States.Format('" + keyFormat + "', $.run, $.index)",
				"Body.$": "States.JsonToString(" + body + ")",
			},
			"ResultPath": nil,
		}
	}
	record := putObject(RecordPrefix("{}")+"{}.json", "$.out.result")
	record["Comment"] = "Keep the shard's record for the summary"
	record["OutputPath"] = nil // the map's result stays small: {} per shard
	record["End"] = true
	recordFailure := putObject(FailedPrefix("{}")+"{}.json", "$")
	recordFailure["Comment"] = "Keep the failed shard and its error for the summary"
	recordFailure["Next"] = "Failed"

	shards := map[string]any{
		"Type":    "Map",
		"Comment": "One backfill per shard",
		"ItemReader": map[string]any{
			"Resource":     "arn:aws:states:::s3:getObject",
			"ReaderConfig": map[string]any{"InputType": "JSON"},
			"Parameters":   map[string]any{"Bucket": d.Bucket, "Key.$": "$.plan.shardsKey"},
		},
		"ItemSelector": map[string]any{"shard.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index",
			"part": 0, "run.$": "$.plan.run", "options.$": "$.plan.options", "continuation": nil},
		"MaxConcurrency":             d.MaxConcurrency,
		"ToleratedFailurePercentage": number(float64(d.ToleratedFailurePercent)),
		"ItemProcessor": map[string]any{
			"ProcessorConfig": map[string]any{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
			"StartAt":         "Shard",
			"States": map[string]any{
				"Shard": shard,
				"More?": map[string]any{"Type": "Choice",
					"Choices": []any{map[string]any{"Variable": "$.out.result.continuation", "IsPresent": true, "Next": "GoOn"}},
					"Default": "Record"},
				"GoOn": map[string]any{"Type": "Pass", "Comment": "The same shard again, from its continuation",
					"Parameters": map[string]any{"shard.$": "$.shard", "index.$": "$.index", "part.$": "States.MathAdd($.part, 1)",
						"run.$": "$.run", "options.$": "$.options", "continuation.$": "$.out.result.continuation"},
					"Next": "Shard"},
				"Record":        record,
				"RecordFailure": recordFailure,
				"Failed":        map[string]any{"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"},
			},
		},
		// Within the tolerated failures the outcome is empty; beyond them
		// the map's error is caught, and the summary says so.
		"ResultSelector": map[string]any{"Error": "", "Cause": ""},
		"ResultPath":     "$.outcome",
		"Catch":          []any{map[string]any{"ErrorEquals": []string{"States.ALL"}, "ResultPath": "$.outcome", "Next": "Summarize"}},
		"Next":           "Summarize",
	}

	if d.ToleratedFailurePercent > 0 {
		// Absent is 0, as Step Functions reads it; moto's interpreter
		// fails an execution whose definition says 0.0.
		shards["ToleratedFailurePercentage"] = number(float64(d.ToleratedFailurePercent))
	}

	summarize := invoke(d.Orchestrator, map[string]any{"summarize": map[string]any{"run.$": "$.plan.run", "outcome.$": "$.outcome"}},
		map[string]string{"summary": "$"})
	summarize["Comment"] = "Add up the shards' records: counts by rule, status and account; the failed shards"
	summarize["ResultPath"] = "$.done"
	summarize["Next"] = "Ended?"

	def := map[string]any{
		"Comment": "vpcguard: backfill every account and Region of the organization, one shard each",
		"StartAt": "Plan",
		"States": map[string]any{
			"Plan":      plan,
			"Shards":    shards,
			"Summarize": summarize,
			"Ended?": map[string]any{"Type": "Choice",
				"Choices": []any{map[string]any{"Variable": "$.done.summary.failed", "BooleanEquals": true, "Next": "RunFailed"}},
				"Default": "Done"},
			"RunFailed": map[string]any{"Type": "Fail", "ErrorPath": "$.done.summary.error", "CausePath": "$.done.summary.cause"},
			"Done":      map[string]any{"Type": "Pass", "OutputPath": "$.done.summary", "End": true},
		},
	}
	b, err := json.MarshalIndent(def, "", "  ")
	if err != nil {
		return "", fmt.Errorf("state machine: %w", err)
	}
	return string(b), nil
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return nil
}
