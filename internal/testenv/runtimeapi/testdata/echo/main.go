// Command echo is a test-only Lambda function for the runtimeapi tests. It
// echoes its event, fails on {"fail":true}, panics on {"panic":true}, and
// describes its invocation context on {"whoami":true}. ECHO_INIT makes its
// init phase fail: "panic" panics, "exit" exits 3, "report" posts to
// /runtime/init/error the way a custom runtime does, then exits 1.
package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type request struct {
	Fail   bool `json:"fail"`
	Panic  bool `json:"panic"`
	WhoAmI bool `json:"whoami"`
}

// echoError gives the error a type name that Lambda reports as errorType.
type echoError struct{ msg string }

func (e *echoError) Error() string { return e.msg }

type whoAmI struct {
	RequestID    string `json:"requestId"`
	FunctionARN  string `json:"functionArn"`
	FunctionName string `json:"functionName"`
	MemoryMB     int    `json:"memoryMB"`
	HasDeadline  bool   `json:"hasDeadline"`
	Region       string `json:"region"`
	Handler      string `json:"handler"`
}

func handle(ctx context.Context, event json.RawMessage) (json.RawMessage, error) {
	var req request
	if err := json.Unmarshal(event, &req); err != nil {
		return nil, &echoError{msg: "decode event: " + err.Error()}
	}
	switch {
	case req.Fail:
		return nil, &echoError{msg: "asked to fail"}
	case req.Panic:
		panic("asked to panic")
	case req.WhoAmI:
		lc, _ := lambdacontext.FromContext(ctx)
		_, hasDeadline := ctx.Deadline()
		return json.Marshal(whoAmI{
			RequestID:    lc.AwsRequestID,
			FunctionARN:  lc.InvokedFunctionArn,
			FunctionName: lambdacontext.FunctionName,
			MemoryMB:     lambdacontext.MemoryLimitInMB,
			HasDeadline:  hasDeadline,
			Region:       os.Getenv("AWS_REGION"),
			Handler:      os.Getenv("_HANDLER"),
		})
	}
	return event, nil
}

func main() {
	switch os.Getenv("ECHO_INIT") {
	case "panic":
		panic("init failed on purpose")
	case "exit":
		os.Exit(3)
	case "report":
		body := `{"errorMessage":"config: VPCGUARD_MODE is not set","errorType":"ConfigError"}`
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "ConfigError")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			os.Stdout.WriteString("init error reported: " + strconv.Itoa(resp.StatusCode) + "\n")
		}
		os.Exit(1)
	}
	lambda.Start(handle)
}
