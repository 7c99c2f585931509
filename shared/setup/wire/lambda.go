package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"
)

// InitErrorType is the errorType a vpcguard function reports when its init
// fails.
const InitErrorType = "InitError"

// InitFailed ends a Lambda function whose init failed: it logs err, reports
// it to the Runtime API's init/error endpoint, so that the init error Lambda
// records names the problem (a bad VPCGUARD_* variable, say) rather than
// "exit status 1", and exits 1.
func InitFailed(log *slog.Logger, err error) {
	if log == nil {
		log = slog.Default()
	}
	log.Error("init failed", "error", err.Error())
	if rerr := ReportInitError(os.Getenv("AWS_LAMBDA_RUNTIME_API"), err); rerr != nil {
		log.Error("could not report the init error to the Lambda Runtime API", "error", rerr.Error())
	}
	os.Exit(1)
}

// ReportInitError posts err in Lambda's error shape to
// http://{api}/2018-06-01/runtime/init/error. With api empty (not running
// under Lambda) there is no one to tell, and it does nothing.
func ReportInitError(api string, err error) error {
	if api == "" || err == nil {
		return nil
	}
	body, _ := json.Marshal(struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}{err.Error(), InitErrorType})
	req, rerr := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
	if rerr != nil {
		return fmt.Errorf("report init error: %w", rerr)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", InitErrorType)
	resp, rerr := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if rerr != nil {
		return fmt.Errorf("report init error: %w", rerr)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("report init error: runtime api answered %s", resp.Status)
	}
	return nil
}
