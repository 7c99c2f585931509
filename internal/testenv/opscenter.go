package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// OpsCenter stands in for SSM OpsCenter, which moto does not implement:
// an httptest server speaking the AWS JSON 1.1 protocol (X-Amz-Target
// AmazonSSM.<Op>) for the three calls the sink makes. It keeps OpsItems,
// applies the filters the sink sends (and refuses any other), and records
// every request so tests assert what was sent.
//
// moto has no OpsCenter, hence the fake.
type OpsCenter struct {
	srv *httptest.Server

	mu    sync.Mutex
	items []*OpsItem
	calls []OpsCall
	// failWith makes an operation answer with this error code (see Fail).
	failWith map[string]string
}

// OpsItem is an OpsItem as the fake keeps it.
type OpsItem struct {
	ID, Title, Description, Source, Severity, Status string
	Data                                             map[string]ssmtypes.OpsItemDataValue
}

// OpsCall is a request the fake received: the operation and its JSON body.
type OpsCall struct {
	Op   string
	Body []byte
}

// NewOpsCenter starts the fake; it stops when the test ends.
func NewOpsCenter(t testing.TB) *OpsCenter {
	fk := &OpsCenter{failWith: map[string]string{}}
	fk.srv = httptest.NewServer(http.HandlerFunc(fk.serve))
	t.Cleanup(fk.srv.Close)
	return fk
}

// Client is an SSM client pointed at the fake.
func (fk *OpsCenter) Client() *ssm.Client {
	return ssm.NewFromConfig(aws.Config{
		Region:           Region,
		Credentials:      credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint:     aws.String(fk.srv.URL),
		RetryMaxAttempts: 1,
	})
}

// Ops returns the operations called since the last call to ops, in order.
func (fk *OpsCenter) Ops() ([]string, []OpsCall) {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	calls := fk.calls
	fk.calls = nil
	names := make([]string, len(calls))
	for i, c := range calls {
		names[i] = c.Op
	}
	return names, calls
}

// Fail makes every call to op answer with the error code (HTTP 400, which
// the SDK does not retry).
func (fk *OpsCenter) Fail(op, code string) {
	fk.mu.Lock()
	fk.failWith[op] = code
	fk.mu.Unlock()
}

// Items are copies of the OpsItems the fake holds, in creation order.
func (fk *OpsCenter) Items() []OpsItem {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	out := make([]OpsItem, len(fk.items))
	for i, it := range fk.items {
		out[i] = *it
	}
	return out
}

// Edit changes the OpsItems as someone in the console would.
func (fk *OpsCenter) Edit(edit func(items []*OpsItem)) {
	fk.mu.Lock()
	defer fk.mu.Unlock()
	edit(fk.items)
}

func (fk *OpsCenter) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	body, _ := io.ReadAll(r.Body)
	op, ok := strings.CutPrefix(target, "AmazonSSM.")
	if !ok || r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		opsError(w, "UnknownOperationException", "not an AWS JSON 1.1 SSM request: "+target)
		return
	}
	fk.mu.Lock()
	defer fk.mu.Unlock()
	fk.calls = append(fk.calls, OpsCall{Op: op, Body: body})
	if code := fk.failWith[op]; code != "" {
		opsError(w, code, "injected failure")
		return
	}
	var out any
	var err error
	switch op {
	case "CreateOpsItem":
		out, err = fk.create(body)
	case "DescribeOpsItems":
		out, err = fk.describe(body)
	case "UpdateOpsItem":
		out, err = fk.update(body)
	default:
		err = fmt.Errorf("UnknownOperationException: the fake does not speak %s", op)
	}
	if err != nil {
		code, msg, _ := strings.Cut(err.Error(), ": ")
		opsError(w, code, msg)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func opsError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.ssm#" + code, "message": msg})
}

func (fk *OpsCenter) create(body []byte) (any, error) {
	var in ssm.CreateOpsItemInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("ValidationException: %v", err)
	}
	switch {
	case aws.ToString(in.Source) == "" || len(aws.ToString(in.Source)) > 128:
		return nil, fmt.Errorf("ValidationException: Source must be 1-128 characters")
	case aws.ToString(in.Title) == "" || len(aws.ToString(in.Title)) > 1024:
		return nil, fmt.Errorf("ValidationException: Title must be 1-1024 characters")
	case aws.ToString(in.Description) == "" || len(aws.ToString(in.Description)) > 2048:
		return nil, fmt.Errorf("ValidationException: Description must be 1-2048 characters")
	}
	it := &OpsItem{
		ID: fmt.Sprintf("oi-%012d", len(fk.items)+1), Title: aws.ToString(in.Title), Description: aws.ToString(in.Description),
		Source: aws.ToString(in.Source), Severity: aws.ToString(in.Severity), Status: "Open", Data: in.OperationalData,
	}
	fk.items = append(fk.items, it)
	return map[string]string{"OpsItemId": it.ID}, nil
}

func (fk *OpsCenter) describe(body []byte) (any, error) {
	var in ssm.DescribeOpsItemsInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("ValidationException: %v", err)
	}
	var out []map[string]any
	for _, it := range fk.items {
		match, err := opsMatches(it, in.OpsItemFilters)
		if err != nil {
			return nil, err
		}
		if match {
			out = append(out, map[string]any{
				"OpsItemId": it.ID, "Title": it.Title, "Source": it.Source, "Severity": it.Severity,
				"Status": it.Status, "OperationalData": it.Data,
			})
		}
	}
	return map[string]any{"OpsItemSummaries": out}, nil
}

func opsMatches(it *OpsItem, filters []ssmtypes.OpsItemFilter) (bool, error) {
	for _, f := range filters {
		if f.Operator != ssmtypes.OpsItemFilterOperatorEqual {
			return false, fmt.Errorf("ValidationException: the fake supports only Equal, got %s", f.Operator)
		}
		matched := false
		for _, v := range f.Values {
			switch f.Key {
			case ssmtypes.OpsItemFilterKeyStatus:
				matched = matched || it.Status == v
			case ssmtypes.OpsItemFilterKeySource:
				matched = matched || it.Source == v
			case ssmtypes.OpsItemFilterKeyOperationalData:
				var kv struct{ Key, Value string }
				if err := json.Unmarshal([]byte(v), &kv); err != nil || kv.Key == "" {
					return false, fmt.Errorf("ValidationException: OperationalData filter is not {\"key\":...,\"value\":...}: %s", v)
				}
				d, ok := it.Data[kv.Key]
				// Only SearchableString data can be searched on.
				matched = matched || ok && d.Type == ssmtypes.OpsItemDataTypeSearchableString && aws.ToString(d.Value) == kv.Value
			default:
				return false, fmt.Errorf("ValidationException: the fake does not filter on %s", f.Key)
			}
		}
		if !matched {
			return false, nil
		}
	}
	return true, nil
}

func (fk *OpsCenter) update(body []byte) (any, error) {
	var in ssm.UpdateOpsItemInput
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("ValidationException: %v", err)
	}
	for _, it := range fk.items {
		if it.ID != aws.ToString(in.OpsItemId) {
			continue
		}
		if in.Title != nil {
			it.Title = *in.Title
		}
		if in.Description != nil {
			it.Description = *in.Description
		}
		if in.Severity != nil {
			it.Severity = *in.Severity
		}
		if in.Status != "" {
			it.Status = string(in.Status)
		}
		for k, v := range in.OperationalData {
			it.Data[k] = v
		}
		return map[string]string{}, nil
	}
	return nil, fmt.Errorf("OpsItemNotFoundException: no OpsItem %s", aws.ToString(in.OpsItemId))
}

// URL is the fake's endpoint, for AWS_ENDPOINT_URL_SSM.
func (fk *OpsCenter) URL() string { return fk.srv.URL }
