package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxInput bounds one input, so a runaway file cannot exhaust memory.
// CloudTrail log files are far smaller; an EventBridge event is at most 256 KB.
const MaxInput = 64 << 20

// maxRecord bounds one record. CloudTrail and EventBridge cap an event at
// 256 KB; the margin leaves room for pretty-printed copies. Anything larger
// is not an event AWS sent, and must not be evaluated as one.
const maxRecord = 1 << 20

// Parse reads every CloudTrail record in data. When some records are bad, it
// returns the good ones together with an error naming each bad one, so one
// broken record never hides the others.
func Parse(data []byte) ([]Event, error) {
	if len(data) > MaxInput {
		return nil, fmt.Errorf("input is %d bytes; the limit is %d", len(data), MaxInput)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("invalid UTF-8 at byte %d", invalidUTF8At(data))
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New("empty input: want a CloudTrail event")
	}
	switch trimmed[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, describeJSONError(err)
		}
		if len(items) == 0 {
			return nil, errors.New("empty array: want CloudTrail events")
		}
		return each(items, "item %d: %w", parseObject)
	case '{':
		return parseObject(trimmed)
	default:
		if !json.Valid(trimmed) {
			var v any
			return nil, describeJSONError(json.Unmarshal(trimmed, &v))
		}
		return nil, errors.New("not a CloudTrail event: want a JSON object or array")
	}
}

// ParseOne reads exactly one record, as a Lambda invocation carries.
func ParseOne(data []byte) (Event, error) {
	events, err := Parse(data)
	if err != nil {
		return Event{}, err
	}
	if len(events) != 1 {
		return Event{}, fmt.Errorf("want one CloudTrail event, got %d", len(events))
	}
	return events[0], nil
}

// each parses every item on its own, so one broken item never hides the
// others: it returns the good events and an error naming each bad item.
func each(items []json.RawMessage, wrap string, parse func([]byte) ([]Event, error)) ([]Event, error) {
	var events []Event
	var errs []error
	for i, item := range items {
		evs, err := parse(item)
		if err != nil {
			errs = append(errs, fmt.Errorf(wrap, i, err))
		}
		events = append(events, evs...)
	}
	return events, errors.Join(errs...)
}

// parseObject reads a top-level object: a log file, an EventBridge event or
// a bare record.
func parseObject(data []byte) ([]Event, error) {
	var r rawRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, describeJSONError(err)
	}
	switch {
	case r.Records != nil:
		var items []json.RawMessage
		if err := json.Unmarshal(r.Records, &items); err != nil {
			return nil, fmt.Errorf("Records: %w", describeJSONError(err))
		}
		if len(items) == 0 {
			return nil, errors.New("Records is empty")
		}
		return each(items, "Records[%d]: %w", func(item []byte) ([]Event, error) { return one(parseRecord(item, "", "")) })
	case r.DetailType != nil:
		return one(parseEventBridge(&r))
	}
	if err := checkRecord(data); err != nil {
		return nil, err
	}
	return one(r.event("", ""))
}

func one(ev Event, err error) ([]Event, error) {
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}

func parseEventBridge(r *rawRecord) (Event, error) {
	var dt, source, account, region string
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{{"detail-type", r.DetailType, &dt}, {"source", r.Source, &source}, {"account", r.Account, &account}, {"region", r.Region, &region}} {
		var s flexString
		if err := s.UnmarshalJSON(f.raw); err != nil {
			return Event{}, fmt.Errorf("field %s: %w", f.name, describeJSONError(err))
		}
		*f.dst = string(s)
	}
	if dt != DetailType {
		return Event{}, fmt.Errorf("unsupported EventBridge detail-type %s: want %q", r.DetailType, DetailType)
	}
	if r.Detail == nil || isNull(r.Detail) {
		return Event{}, errors.New("EventBridge event has no detail")
	}
	ev, err := parseRecord(r.Detail, account, region)
	if err != nil {
		return Event{}, fmt.Errorf("detail: %w", err)
	}
	if source != "" && !sourceMatches(source, ev.Source) {
		return Event{}, fmt.Errorf("EventBridge source %q does not match detail.eventSource %q", source, ev.Source)
	}
	// vpcguard acts in the account an event names. On a bus that gathers an
	// organization's events, the envelope's account is the sender's (which
	// EventBridge keeps when it forwards), and it must be the account the
	// call was made in: a disagreement is a bad event, never a guess.
	if account != "" && ev.Account != account {
		return Event{}, fmt.Errorf("EventBridge account %q does not match detail.recipientAccountId %q", account, ev.Account)
	}
	return ev, nil
}

// sourceMatches checks EventBridge's "aws.sagemaker" against CloudTrail's
// "sagemaker.amazonaws.com".
func sourceMatches(ebSource, eventSource string) bool {
	svc, ok := strings.CutPrefix(ebSource, "aws.")
	if !ok {
		return false
	}
	return strings.HasPrefix(eventSource, svc+".")
}

type rawIssuer struct {
	Type        flexString `json:"type"`
	PrincipalID flexString `json:"principalId"`
	ARN         flexString `json:"arn"`
	AccountID   flexString `json:"accountId"`
	UserName    flexString `json:"userName"`
}

// rawRecord is the part of a CloudTrail record vpcguard reads, and of every
// other shape a top-level object can have, so one decode reads any of them: a
// log file (Records), an EventBridge event (detail-type and detail, beside
// the envelope's source, account and region), or a bare record (the rest).
// Field names match case-insensitively, as encoding/json does. The other
// shapes' own fields stay raw: a log file's records and an EventBridge
// detail are decoded one at a time, and the envelope's fields only when the
// object is an envelope.
type rawRecord struct {
	EventID            flexString `json:"eventID"`
	EventTime          flexString `json:"eventTime"`
	EventSource        flexString `json:"eventSource"`
	EventName          flexString `json:"eventName"`
	AWSRegion          flexString `json:"awsRegion"`
	RecipientAccountID flexString `json:"recipientAccountId"`
	ErrorCode          flexString `json:"errorCode"`
	ErrorMessage       flexString `json:"errorMessage"`
	SourceIPAddress    flexString `json:"sourceIPAddress"`
	VPCEndpointID      flexString `json:"vpcEndpointId"`
	UserIdentity       *struct {
		Type           flexString `json:"type"`
		PrincipalID    flexString `json:"principalId"`
		ARN            flexString `json:"arn"`
		AccountID      flexString `json:"accountId"`
		UserName       flexString `json:"userName"`
		InvokedBy      flexString `json:"invokedBy"`
		SessionContext *struct {
			SessionIssuer *rawIssuer `json:"sessionIssuer"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	RequestParameters params `json:"requestParameters"`
	ResponseElements  params `json:"responseElements"`

	Records    json.RawMessage `json:"Records"`
	DetailType json.RawMessage `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
	Source     json.RawMessage `json:"source"`
	Account    json.RawMessage `json:"account"`
	Region     json.RawMessage `json:"region"`
}

// checkRecord refuses what cannot be a record before it is evaluated.
func checkRecord(data []byte) error {
	if len(data) > maxRecord {
		return fmt.Errorf("record is %d bytes; a CloudTrail event is at most 256 KB (limit %d)", len(data), maxRecord)
	}
	if b := bytes.TrimSpace(data); len(b) == 0 || b[0] != '{' {
		return errors.New("not a CloudTrail event: want a JSON object")
	}
	return nil
}

// parseRecord reads one record of a log file or an EventBridge detail;
// account and region are the envelope's, used when the record has none.
func parseRecord(data []byte, account, region string) (Event, error) {
	if err := checkRecord(data); err != nil {
		return Event{}, err
	}
	var r rawRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return Event{}, describeJSONError(err)
	}
	return r.event(account, region)
}

func (r *rawRecord) event(account, region string) (Event, error) {
	ev := Event{
		ID:            string(r.EventID),
		Source:        string(r.EventSource),
		Name:          string(r.EventName),
		Region:        firstNonEmpty(string(r.AWSRegion), region),
		ErrorCode:     string(r.ErrorCode),
		ErrorMessage:  string(r.ErrorMessage),
		SourceIP:      string(r.SourceIPAddress),
		VPCEndpointID: string(r.VPCEndpointID),
	}
	if ev.Name == "" || ev.Source == "" {
		return Event{}, errors.New("not a CloudTrail event: eventName and eventSource are required")
	}
	if t, err := time.Parse(time.RFC3339, string(r.EventTime)); err == nil {
		ev.Time = t
	}
	if u := r.UserIdentity; u != nil {
		ev.Identity = Identity{
			Type:        string(u.Type),
			PrincipalID: string(u.PrincipalID),
			ARN:         string(u.ARN),
			AccountID:   string(u.AccountID),
			UserName:    string(u.UserName),
			InvokedBy:   string(u.InvokedBy),
		}
		if u.SessionContext != nil && u.SessionContext.SessionIssuer != nil {
			si := u.SessionContext.SessionIssuer
			ev.Identity.Issuer = &Issuer{
				Type:        string(si.Type),
				PrincipalID: string(si.PrincipalID),
				ARN:         string(si.ARN),
				AccountID:   string(si.AccountID),
				UserName:    string(si.UserName),
			}
		}
	}
	ev.Account = firstNonEmpty(string(r.RecipientAccountID), account, ev.Identity.AccountID)
	if got := r.RequestParameters.got; got != "" {
		return Event{}, fmt.Errorf("requestParameters: want a JSON object, got %s", got)
	}
	if got := r.ResponseElements.got; got != "" {
		return Event{}, fmt.Errorf("responseElements: want a JSON object, got %s", got)
	}
	ev.Request, ev.Response = r.RequestParameters.Value, r.ResponseElements.Value
	return ev, nil
}

// params is requestParameters or responseElements: an object, or null when
// the call had none. Numbers stay json.Number, so account ids and versions
// read back exactly as sent.
type params struct {
	Value
	got string // the JSON kind, when it is neither an object nor null
}

func (p *params) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case 'n':
		return nil
	case '{':
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var m map[string]any
		err := dec.Decode(&m)
		p.Value = Value{m}
		return err
	}
	p.got = jsonKind(b[0])
	return nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func jsonKind(b byte) string {
	switch b {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '{':
		return "object"
	}
	return "number"
}

// flexString accepts a JSON string, number, boolean or null where CloudTrail
// documents a string: AWS sends account ids and versions as numbers at times.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	case 'n':
		*s = ""
	case '{', '[':
		return &json.UnmarshalTypeError{Value: jsonKind(b[0]), Type: reflect.TypeFor[string]()}
	default:
		*s = flexString(b)
	}
	return nil
}

// describeJSONError turns encoding/json's errors into messages that name the
// field and the byte offset a person needs to fix the input.
func describeJSONError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("invalid JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Errorf("got JSON %s, want %s", typ.Value, goKindToJSON(typ.Type))
		}
		return fmt.Errorf("field %s: got JSON %s, want %s", typ.Field, typ.Value, goKindToJSON(typ.Type))
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// goKindToJSON names a Go target type in JSON's words: a person fixing the
// input knows objects and arrays, not anonymous struct types.
func goKindToJSON(t reflect.Type) string {
	if t == nil {
		return "a different type"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	}
	return "number"
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}
