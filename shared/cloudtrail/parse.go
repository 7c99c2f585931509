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
	// One pass over the bytes reads every well-formed input. Anything it
	// does not accept, it hands to parseSlow, which decides: parseSlow is the
	// reference (encoding/json), and its errors name the field and the byte.
	if events, ok := parseFast(trimmed); ok {
		return events, nil
	}
	return parseSlow(trimmed)
}

// parseSlow reads trimmed, a non-empty input, with encoding/json. It is the
// reference parseFast must agree with, and the path of every input
// parseFast does not accept: the bad ones, and the odd ones (duplicate or
// non-ASCII field names, very deep nesting).
func parseSlow(trimmed []byte) ([]Event, error) {
	switch trimmed[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return nil, describeJSONError(err)
		}
		if len(items) == 0 {
			return nil, errors.New("empty array: want CloudTrail events")
		}
		var events []Event
		var errs []error
		for i, item := range items {
			ev, err := parseObject(item)
			if err != nil {
				errs = append(errs, fmt.Errorf("item %d: %w", i, err))
				continue
			}
			events = append(events, ev...)
		}
		return events, errors.Join(errs...)
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

func parseObject(data []byte) ([]Event, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, describeJSONError(err)
	}
	if records, ok := rawField(top, "Records"); ok {
		var items []json.RawMessage
		if err := json.Unmarshal(records, &items); err != nil {
			return nil, fmt.Errorf("Records: %w", describeJSONError(err))
		}
		var events []Event
		var errs []error
		for i, item := range items {
			ev, err := parseRecord(item, envelope{})
			if err != nil {
				errs = append(errs, fmt.Errorf("Records[%d]: %w", i, err))
				continue
			}
			events = append(events, ev)
		}
		if len(items) == 0 {
			errs = append(errs, errors.New("Records is empty"))
		}
		return events, errors.Join(errs...)
	}
	if dt, ok := rawField(top, "detail-type"); ok {
		var env struct {
			DetailType flexString `json:"detail-type"`
			Source     flexString `json:"source"`
			Account    flexString `json:"account"`
			Region     flexString `json:"region"`
		}
		if err := json.Unmarshal(data, &env); err != nil {
			return nil, describeJSONError(err)
		}
		if string(env.DetailType) != DetailType {
			return nil, fmt.Errorf("unsupported EventBridge detail-type %s: want %q", dt, DetailType)
		}
		detail, ok := rawField(top, "detail")
		if !ok || isNull(detail) {
			return nil, errors.New("EventBridge event has no detail")
		}
		ev, err := parseRecord(detail, envelope{account: string(env.Account), region: string(env.Region)})
		if err != nil {
			return nil, fmt.Errorf("detail: %w", err)
		}
		if src := string(env.Source); src != "" && ev.Source != "" && !sourceMatches(src, ev.Source) {
			return nil, fmt.Errorf("EventBridge source %q does not match detail.eventSource %q", src, ev.Source)
		}
		return []Event{ev}, nil
	}
	ev, err := parseRecord(data, envelope{})
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
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

type envelope struct{ account, region string }

type rawIssuer struct {
	Type        flexString `json:"type"`
	PrincipalID flexString `json:"principalId"`
	ARN         flexString `json:"arn"`
	AccountID   flexString `json:"accountId"`
	UserName    flexString `json:"userName"`
}

type rawRecord struct {
	EventID            flexString `json:"eventID"`
	EventTime          flexString `json:"eventTime"`
	EventSource        flexString `json:"eventSource"`
	EventName          flexString `json:"eventName"`
	AWSRegion          flexString `json:"awsRegion"`
	RecipientAccountID flexString `json:"recipientAccountId"`
	ErrorCode          flexString `json:"errorCode"`
	ErrorMessage       flexString `json:"errorMessage"`
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
	RequestParameters json.RawMessage `json:"requestParameters"`
	ResponseElements  json.RawMessage `json:"responseElements"`
}

func parseRecord(data []byte, env envelope) (Event, error) {
	if len(data) > maxRecord {
		return Event{}, fmt.Errorf("record is %d bytes; a CloudTrail event is at most 256 KB (limit %d)", len(data), maxRecord)
	}
	if b := bytes.TrimSpace(data); len(b) == 0 || b[0] != '{' {
		return Event{}, errors.New("not a CloudTrail event: want a JSON object")
	}
	var r rawRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return Event{}, describeJSONError(err)
	}
	ev := Event{
		ID:           string(r.EventID),
		Source:       string(r.EventSource),
		Name:         string(r.EventName),
		Region:       firstNonEmpty(string(r.AWSRegion), env.region),
		Account:      string(r.RecipientAccountID),
		ErrorCode:    string(r.ErrorCode),
		ErrorMessage: string(r.ErrorMessage),
	}
	if ev.Name == "" || ev.Source == "" {
		return Event{}, errors.New("not a CloudTrail event: eventName and eventSource are required")
	}
	if s := string(r.EventTime); s != "" {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			ev.Time = t
		}
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
	ev.Account = firstNonEmpty(ev.Account, env.account, ev.Identity.AccountID)
	var err error
	if ev.Request, err = decodeParams(r.RequestParameters); err != nil {
		return Event{}, fmt.Errorf("requestParameters: %w", err)
	}
	if ev.Response, err = decodeParams(r.ResponseElements); err != nil {
		return Event{}, fmt.Errorf("responseElements: %w", err)
	}
	return ev, nil
}

// decodeParams decodes requestParameters or responseElements: an object, or
// null when the call had none.
func decodeParams(raw json.RawMessage) (Value, error) {
	if len(raw) == 0 || isNull(raw) {
		return Value{}, nil
	}
	if b := bytes.TrimSpace(raw); b[0] != '{' {
		return Value{}, fmt.Errorf("want a JSON object, got %s", jsonKind(b[0]))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return Value{}, describeJSONError(err)
	}
	return Value{v}, nil
}

// rawField finds a top-level field case-insensitively.
func rawField(m map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
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
