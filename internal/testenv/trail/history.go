package trail

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
)

// lookupTargets are the X-Amz-Target values of LookupEvents in CloudTrail's
// awsJson1_1 protocol: the service model's full name (botocore, the AWS
// CLI), and the short one the Go SDK sends.
var lookupTargets = []string{
	"com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
	"CloudTrail_20131101.LookupEvents",
}

// History is a FAKE of CloudTrail's event history, because moto_server
// 5.2.1 has no LookupEvents. It speaks the real protocol (awsJson1_1 over
// HTTP, X-Amz-Target header, timestamps in epoch seconds, the error shape)
// and answers as CloudTrail documents it: events newest first, at most 50 a
// page with a NextToken, exactly one lookup attribute, the time range
// applied, in the region the request is signed for, with each record as the
// CloudTrailEvent JSON string. It knows only the records it is given.
type History struct {
	URL string

	srv *http.Server
	mu  sync.Mutex
	// records are served in their region (awsRegion).
	records []Record
	calls   []Lookup
}

// Lookup is one LookupEvents request the fake answered.
type Lookup struct {
	Region            string
	AttributeKey      string
	AttributeValue    string
	Start, End        time.Time
	NextToken         string
	MaxResults        int
	ReturnedEventsLen int
}

// NewHistory starts the fake on a loopback port; Close stops it.
func NewHistory(records ...Record) (*History, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake CloudTrail history: %w", err)
	}
	h := &History{URL: "http://" + ln.Addr().String(), records: records}
	h.srv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = h.srv.Serve(ln) }()
	return h, nil
}

// Close stops the fake.
func (h *History) Close() { _ = h.srv.Close() }

// Add serves more records.
func (h *History) Add(records ...Record) {
	h.mu.Lock()
	h.records = append(h.records, records...)
	h.mu.Unlock()
}

// Lookups returns the requests answered so far.
func (h *History) Lookups() []Lookup {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}

// Client is a CloudTrail client of cfg that talks to the fake.
func (h *History) Client(cfg aws.Config) *cloudtrail.Client {
	return cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) { o.BaseEndpoint = aws.String(h.URL) })
}

// signedRegion reads the region from a SigV4 Authorization header's
// credential scope: Credential=AKID/20261120/us-east-1/cloudtrail/aws4_request.
var signedRegion = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/cloudtrail/`)

type lookupInput struct {
	LookupAttributes []struct {
		AttributeKey   string
		AttributeValue string
	}
	StartTime  *float64
	EndTime    *float64
	MaxResults *int
	NextToken  *string
}

type event struct {
	EventID         string  `json:"EventId"`
	EventName       string  `json:"EventName"`
	ReadOnly        string  `json:"ReadOnly"`
	EventTime       float64 `json:"EventTime"`
	EventSource     string  `json:"EventSource"`
	Username        string  `json:"Username,omitempty"`
	Resources       []any   `json:"Resources"`
	CloudTrailEvent string  `json:"CloudTrailEvent"`
}

func (h *History) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if target := r.Header.Get("X-Amz-Target"); !slices.Contains(lookupTargets, target) {
		fail(w, http.StatusBadRequest, "UnknownOperationException", "the fake CloudTrail serves LookupEvents only, not "+target)
		return
	}
	body, err := io.ReadAll(r.Body)
	var in lookupInput
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err != nil {
		fail(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	m := signedRegion.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		fail(w, http.StatusForbidden, "UnrecognizedClientException", "the request is not signed")
		return
	}
	call := Lookup{Region: m[1], MaxResults: 50}
	if len(in.LookupAttributes) > 1 {
		fail(w, http.StatusBadRequest, "InvalidLookupAttributesException", "you can only specify one lookup attribute")
		return
	}
	if len(in.LookupAttributes) == 1 {
		call.AttributeKey, call.AttributeValue = in.LookupAttributes[0].AttributeKey, in.LookupAttributes[0].AttributeValue
	}
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			fail(w, http.StatusBadRequest, "InvalidMaxResultsException", "MaxResults must be 1..50")
			return
		}
		call.MaxResults = *in.MaxResults
	}
	if in.StartTime != nil {
		call.Start = epoch(*in.StartTime)
	}
	if in.EndTime != nil {
		call.End = epoch(*in.EndTime)
	}
	if !call.Start.IsZero() && !call.End.IsZero() && call.Start.After(call.End) {
		fail(w, http.StatusBadRequest, "InvalidTimeRangeException", "StartTime is after EndTime")
		return
	}
	offset := 0
	if in.NextToken != nil {
		call.NextToken = *in.NextToken
		if offset, err = strconv.Atoi(*in.NextToken); err != nil {
			fail(w, http.StatusBadRequest, "InvalidNextTokenException", "invalid NextToken")
			return
		}
	}

	h.mu.Lock()
	var matched []Record
	for _, rec := range h.records {
		if call.matches(rec) {
			matched = append(matched, rec)
		}
	}
	// Newest first, as CloudTrail returns them.
	slices.SortStableFunc(matched, func(a, b Record) int { return b.Time().Compare(a.Time()) })
	page := matched[min(offset, len(matched)):min(offset+call.MaxResults, len(matched))]
	call.ReturnedEventsLen = len(page)
	h.calls = append(h.calls, call)
	h.mu.Unlock()

	out := struct {
		Events    []event
		NextToken *string `json:",omitempty"`
	}{Events: []event{}}
	for _, rec := range page {
		raw, _ := json.Marshal(rec)
		user := ""
		if id, ok := rec["userIdentity"].(map[string]any); ok {
			user, _ = id["userName"].(string)
		}
		out.Events = append(out.Events, event{
			EventID: rec.str("eventID"), EventName: rec.str("eventName"), ReadOnly: "false",
			EventTime: float64(rec.Time().Unix()), EventSource: rec.str("eventSource"), Username: user,
			Resources: []any{}, CloudTrailEvent: string(raw),
		})
	}
	if next := offset + len(page); next < len(matched) {
		out.NextToken = aws.String(strconv.Itoa(next))
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func (c Lookup) matches(rec Record) bool {
	if rec.str("awsRegion") != c.Region {
		return false
	}
	t := rec.Time()
	if !c.Start.IsZero() && t.Before(c.Start) || !c.End.IsZero() && t.After(c.End) {
		return false
	}
	switch c.AttributeKey {
	case "":
		return true
	case "EventName":
		return rec.str("eventName") == c.AttributeValue
	case "EventSource":
		return rec.str("eventSource") == c.AttributeValue
	case "EventId":
		return rec.str("eventID") == c.AttributeValue
	}
	return false // the fake knows no other attribute
}

func epoch(s float64) time.Time {
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
