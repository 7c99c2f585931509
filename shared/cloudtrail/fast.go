package cloudtrail

import (
	"encoding/json"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// parseFast reads trimmed (valid UTF-8, no surrounding whitespace) in one
// pass: it validates the JSON, reads the envelope and the record's fields
// and decodes requestParameters and responseElements into the same values
// encoding/json would (maps, slices, strings, json.Number, bools, nil).
//
// It returns ok only when the input is well-formed, every record in it is
// good, and nothing in it needs encoding/json's finer rules. Otherwise it
// gives up and parseSlow decides, with encoding/json's error messages:
//   - any syntax error, wrong type, missing field or oversized record;
//   - a field name the parser reads that appears twice (encoding/json
//     merges or overwrites, and the top-level lookup is a map);
//   - a field name with an escape or a non-ASCII byte, at the levels whose
//     names are matched (encoding/json folds some non-ASCII letters onto
//     ASCII ones, "ſ" onto "s");
//   - nesting deeper than fastMaxDepth.
//
// FuzzParseFastMatchesSlow holds it to parseSlow.
func parseFast(trimmed []byte) ([]Event, bool) {
	p := fastParser{b: trimmed}
	var events []Event
	switch trimmed[0] {
	case '[':
		more, ok := p.openArray()
		if !ok || !more {
			return nil, false // "[]" is an error
		}
		for more {
			if p.i >= len(p.b) || p.b[p.i] != '{' {
				return nil, false
			}
			if events, ok = p.topObject(events); !ok {
				return nil, false
			}
			if more, ok = p.nextInArray(); !ok {
				return nil, false
			}
		}
	case '{':
		var ok bool
		if events, ok = p.topObject(events); !ok {
			return nil, false
		}
	default:
		return nil, false
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, false
	}
	return events, true
}

// fastMaxDepth bounds nesting on the fast path; encoding/json allows 10000,
// and parseSlow takes anything deeper.
const fastMaxDepth = 1000

type fastParser struct {
	b     []byte
	i     int
	depth int
}

// Field names, lower case, as the parser matches them (ASCII only, any case).
const (
	fEventID = iota
	fEventTime
	fEventSource
	fEventName
	fAWSRegion
	fRecipientAccountID
	fErrorCode
	fErrorMessage
	fUserIdentity
	fRequestParameters
	fResponseElements
	nRecordFields
)

var recordFields = [nRecordFields]string{
	"eventid", "eventtime", "eventsource", "eventname", "awsregion",
	"recipientaccountid", "errorcode", "errormessage", "useridentity",
	"requestparameters", "responseelements",
}

// Top-level names other than a record's, after the record fields' numbers.
const (
	fRecords = nRecordFields + iota
	fDetailType
	fDetail
	fSource
	fAccount
	fRegion
	nTopFields
)

var topFields = [nTopFields - nRecordFields]string{"records", "detail-type", "detail", "source", "account", "region"}

// topLevelFields are the names a top-level object is read for: a record's,
// then the rest, numbered as above.
var topLevelFields = append(recordFields[:len(recordFields):len(recordFields)], topFields[:]...)

const (
	iType = iota
	iPrincipalID
	iARN
	iAccountID
	iUserName
	iInvokedBy
	iSessionContext
	nIdentityFields
)

var identityFields = [nIdentityFields]string{"type", "principalid", "arn", "accountid", "username", "invokedby", "sessioncontext"}

// matchField returns the index of key among names (lower case), or -1. ok is
// false when key has an escape or a non-ASCII byte: encoding/json could match
// it to a field where an ASCII comparison does not.
func (p *fastParser) matchField(sp span, names []string) (int, bool) {
	if sp.esc {
		return -1, false
	}
	key := p.b[sp.start:sp.end]
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return -1, false
		}
	}
	for n, name := range names {
		if foldEqual(key, name) {
			return n, true
		}
	}
	return -1, true
}

// foldEqual compares an ASCII key with a lower-case ASCII name, ignoring case.
func foldEqual(key []byte, lower string) bool {
	if len(key) != len(lower) {
		return false
	}
	for i, c := range key {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// fastRecord is a record being read.
type fastRecord struct {
	ev   Event
	time string
	seen uint32 // record fields already read, by number
}

// topObject reads the object at p.i: a log file, an EventBridge event or a
// bare record, as parseObject decides, and appends its events.
func (p *fastParser) topObject(events []Event) ([]Event, bool) {
	start := p.i
	// The object is read as a bare record as it goes; which shape it is,
	// is known at its end.
	var (
		rec                            fastRecord
		detail                         fastRecord
		detailSize                     int
		records                        []Event
		detailType, source, acct, regn string
		seen                           uint32
	)
	ok := p.object(topLevelFields, func(n int) (ok bool) {
		seen |= 1 << n
		switch {
		case n < nRecordFields:
			ok = p.recordField(&rec, n)
		case n == fRecords:
			records, ok = p.records()
		case n == fDetail:
			if p.i < len(p.b) && p.b[p.i] == '{' {
				ds := p.i
				ok = p.record(&detail)
				detailSize = p.i - ds
			} else {
				ok = p.skip()
			}
		case n == fDetailType:
			detailType, ok = p.flexString()
		case n == fSource:
			source, ok = p.flexString()
		case n == fAccount:
			acct, ok = p.flexString()
		case n == fRegion:
			regn, ok = p.flexString()
		}
		return ok
	})
	if !ok {
		return nil, false
	}
	switch {
	case seen&(1<<fRecords) != 0:
		if len(records) == 0 {
			return nil, false
		}
		return append(events, records...), true
	case seen&(1<<fDetailType) != 0:
		if detailType != DetailType || detail.seen == 0 || detailSize > maxRecord {
			return nil, false
		}
		ev, ok := detail.event(envelope{account: acct, region: regn})
		if !ok || source != "" && !sourceMatches(source, ev.Source) {
			return nil, false
		}
		return append(events, ev), true
	}
	if p.i-start > maxRecord {
		return nil, false
	}
	ev, ok := rec.event(envelope{})
	if !ok {
		return nil, false
	}
	return append(events, ev), true
}

// records reads a log file's Records: an array of records, none bad.
func (p *fastParser) records() ([]Event, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '[' {
		return nil, false
	}
	more, ok := p.openArray()
	if !ok {
		return nil, false
	}
	var events []Event
	for more {
		if p.i >= len(p.b) || p.b[p.i] != '{' {
			return nil, false
		}
		start := p.i
		var rec fastRecord
		if !p.record(&rec) || p.i-start > maxRecord {
			return nil, false
		}
		ev, ok := rec.event(envelope{})
		if !ok {
			return nil, false
		}
		events = append(events, ev)
		if more, ok = p.nextInArray(); !ok {
			return nil, false
		}
	}
	return events, true
}

// record reads the object at p.i as a CloudTrail record.
func (p *fastParser) record(rec *fastRecord) bool {
	if !p.object(recordFields[:], func(n int) bool { return p.recordField(rec, n) }) {
		return false
	}
	// Mark the object read, even when it had none of the fields.
	rec.seen |= 1 << 31
	return true
}

// recordField reads the value of record field n into rec.
func (p *fastParser) recordField(rec *fastRecord, n int) bool {
	if rec.seen&(1<<n) != 0 {
		return false
	}
	rec.seen |= 1 << n
	var ok bool
	ev := &rec.ev
	switch n {
	case fEventID:
		ev.ID, ok = p.flexString()
	case fEventTime:
		rec.time, ok = p.flexString()
	case fEventSource:
		ev.Source, ok = p.flexString()
	case fEventName:
		ev.Name, ok = p.flexString()
	case fAWSRegion:
		ev.Region, ok = p.flexString()
	case fRecipientAccountID:
		ev.Account, ok = p.flexString()
	case fErrorCode:
		ev.ErrorCode, ok = p.flexString()
	case fErrorMessage:
		ev.ErrorMessage, ok = p.flexString()
	case fUserIdentity:
		ok = p.identity(&ev.Identity)
	case fRequestParameters:
		ev.Request, ok = p.params()
	case fResponseElements:
		ev.Response, ok = p.params()
	}
	return ok
}

// event finishes a record as parseRecord does.
func (rec *fastRecord) event(env envelope) (Event, bool) {
	ev := rec.ev
	if ev.Name == "" || ev.Source == "" {
		return Event{}, false
	}
	ev.Region = firstNonEmpty(ev.Region, env.region)
	ev.Account = firstNonEmpty(ev.Account, env.account, ev.Identity.AccountID)
	if rec.time != "" {
		if t, err := time.Parse(time.RFC3339, rec.time); err == nil {
			ev.Time = t
		}
	}
	return ev, true
}

// identity reads userIdentity: an object or null.
func (p *fastParser) identity(id *Identity) bool {
	return p.objectOrNull(identityFields[:], func(n int) (ok bool) {
		switch n {
		case iType:
			id.Type, ok = p.flexString()
		case iPrincipalID:
			id.PrincipalID, ok = p.flexString()
		case iARN:
			id.ARN, ok = p.flexString()
		case iAccountID:
			id.AccountID, ok = p.flexString()
		case iUserName:
			id.UserName, ok = p.flexString()
		case iInvokedBy:
			id.InvokedBy, ok = p.flexString()
		case iSessionContext:
			id.Issuer, ok = p.sessionContext()
		}
		return ok
	})
}

var sessionContextFields = []string{"sessionissuer"}

// sessionContext reads userIdentity.sessionContext (an object or null) and
// returns its sessionIssuer.
func (p *fastParser) sessionContext() (*Issuer, bool) {
	var issuer *Issuer
	ok := p.objectOrNull(sessionContextFields, func(int) (ok bool) {
		issuer, ok = p.issuer()
		return ok
	})
	return issuer, ok
}

// issuer reads sessionContext.sessionIssuer: an object or null.
func (p *fastParser) issuer() (*Issuer, bool) {
	is := &Issuer{}
	null := p.i < len(p.b) && p.b[p.i] == 'n'
	// The issuer's fields are the identity's first five.
	ok := p.objectOrNull(identityFields[:iInvokedBy], func(n int) (ok bool) {
		switch n {
		case iType:
			is.Type, ok = p.flexString()
		case iPrincipalID:
			is.PrincipalID, ok = p.flexString()
		case iARN:
			is.ARN, ok = p.flexString()
		case iAccountID:
			is.AccountID, ok = p.flexString()
		case iUserName:
			is.UserName, ok = p.flexString()
		}
		return ok
	})
	if !ok || null {
		return nil, ok
	}
	return is, true
}

// object reads the object at p.i key by key: a key among names (as
// matchField matches it) is handed to field with its number, and a key's
// value otherwise skipped. A name given twice is left to encoding/json.
func (p *fastParser) object(names []string, field func(n int) bool) bool {
	more, ok := p.openObject()
	if !ok {
		return false
	}
	var seen uint32
	for more {
		key, ok := p.key()
		if !ok {
			return false
		}
		n, ok := p.matchField(key, names)
		switch {
		case !ok:
			return false
		case n < 0:
			ok = p.skip()
		case seen&(1<<n) != 0:
			return false
		default:
			seen |= 1 << n
			ok = field(n)
		}
		if !ok {
			return false
		}
		if more, ok = p.nextInObject(); !ok {
			return false
		}
	}
	return true
}

// objectOrNull reads an object, as object does, or null.
func (p *fastParser) objectOrNull(names []string, field func(n int) bool) bool {
	if p.i >= len(p.b) {
		return false
	}
	switch p.b[p.i] {
	case 'n':
		return p.literal("null")
	case '{':
		return p.object(names, field)
	}
	return false
}

// params reads requestParameters or responseElements: an object or null.
func (p *fastParser) params() (Value, bool) {
	if p.i >= len(p.b) {
		return Value{}, false
	}
	switch p.b[p.i] {
	case 'n':
		return Value{}, p.literal("null")
	case '{':
		v, ok := p.value()
		return Value{v}, ok
	}
	return Value{}, false
}

// flexString reads what flexString.UnmarshalJSON accepts: a string, or a
// number or boolean as written, or null as "".
func (p *fastParser) flexString() (string, bool) {
	if p.i >= len(p.b) {
		return "", false
	}
	switch c := p.b[p.i]; c {
	case '"':
		sp, ok := p.str()
		if !ok {
			return "", false
		}
		return p.text(sp), true
	case 'n':
		return "", p.literal("null")
	case 't':
		return "true", p.literal("true")
	case 'f':
		return "false", p.literal("false")
	default:
		sp, ok := p.number()
		if !ok {
			return "", false
		}
		return p.text(sp), true
	}
}

// value reads any JSON value as encoding/json decodes it into an interface
// with UseNumber.
func (p *fastParser) value() (any, bool) {
	if p.i >= len(p.b) {
		return nil, false
	}
	switch p.b[p.i] {
	case '{':
		more, ok := p.openObject()
		if !ok {
			return nil, false
		}
		m := make(map[string]any)
		for more {
			key, ok := p.key()
			if !ok {
				return nil, false
			}
			v, ok := p.value()
			if !ok {
				return nil, false
			}
			m[p.text(key)] = v
			if more, ok = p.nextInObject(); !ok {
				return nil, false
			}
		}
		return m, true
	case '[':
		more, ok := p.openArray()
		if !ok {
			return nil, false
		}
		a := make([]any, 0)
		for more {
			v, ok := p.value()
			if !ok {
				return nil, false
			}
			a = append(a, v)
			if more, ok = p.nextInArray(); !ok {
				return nil, false
			}
		}
		return a, true
	case '"':
		sp, ok := p.str()
		if !ok {
			return nil, false
		}
		return p.text(sp), true
	case 't':
		return true, p.literal("true")
	case 'f':
		return false, p.literal("false")
	case 'n':
		return nil, p.literal("null")
	}
	sp, ok := p.number()
	if !ok {
		return nil, false
	}
	return json.Number(p.text(sp)), true
}

// skip reads past any JSON value, validating it.
func (p *fastParser) skip() bool {
	if p.i >= len(p.b) {
		return false
	}
	switch p.b[p.i] {
	case '{':
		more, ok := p.openObject()
		if !ok {
			return false
		}
		for more {
			if _, ok := p.key(); !ok {
				return false
			}
			if !p.skip() {
				return false
			}
			if more, ok = p.nextInObject(); !ok {
				return false
			}
		}
		return true
	case '[':
		more, ok := p.openArray()
		if !ok {
			return false
		}
		for more {
			if !p.skip() {
				return false
			}
			if more, ok = p.nextInArray(); !ok {
				return false
			}
		}
		return true
	case '"':
		_, ok := p.str()
		return ok
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	}
	_, ok := p.number()
	return ok
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// openObject reads the '{' at p.i and any whitespace after it; more is
// false when the object is empty (its '}' read too).
func (p *fastParser) openObject() (more, ok bool) {
	return p.open('}')
}

// openArray reads the '[' at p.i, as openObject does.
func (p *fastParser) openArray() (more, ok bool) {
	return p.open(']')
}

func (p *fastParser) open(end byte) (more, ok bool) {
	p.depth++
	if p.depth > fastMaxDepth {
		return false, false
	}
	p.i++
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == end {
		p.i++
		p.depth--
		return false, true
	}
	return true, true
}

// nextInObject reads what follows a member's value: a comma (more follows)
// or the closing brace.
func (p *fastParser) nextInObject() (more, ok bool) {
	return p.next('}')
}

// nextInArray reads what follows an element: a comma or the closing bracket.
func (p *fastParser) nextInArray() (more, ok bool) {
	return p.next(']')
}

func (p *fastParser) next(end byte) (more, ok bool) {
	p.ws()
	if p.i >= len(p.b) {
		return false, false
	}
	switch p.b[p.i] {
	case ',':
		p.i++
		p.ws()
		return true, true
	case end:
		p.i++
		p.depth--
		return false, true
	}
	return false, false
}

// key reads a member's name and the colon after it, leaving p.i at the value.
func (p *fastParser) key() (span, bool) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return span{}, false
	}
	sp, ok := p.str()
	if !ok {
		return span{}, false
	}
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != ':' {
		return span{}, false
	}
	p.i++
	p.ws()
	return sp, true
}

// span is where a string's contents or a number's digits are in p.b.
type span struct {
	start, end int
	esc        bool // a string with escapes to undo
}

// str reads the string at p.i (its opening quote) and returns where its
// contents are. The input is valid UTF-8 already; control characters and
// unknown escapes are refused.
func (p *fastParser) str() (span, bool) {
	b := p.b
	start := p.i + 1
	esc := false
	for i := start; i < len(b); {
		c := b[i]
		if c == '"' {
			p.i = i + 1
			return span{start, i, esc}, true
		}
		if c < 0x20 {
			return span{}, false
		}
		if c != '\\' {
			i++
			continue
		}
		esc = true
		if i+1 >= len(b) {
			return span{}, false
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if i+6 > len(b) || hex4(b[i+2:i+6]) < 0 {
				return span{}, false
			}
			i += 6
		default:
			return span{}, false
		}
	}
	return span{}, false
}

// number reads a number as JSON spells it; the byte after it is the
// caller's to check.
func (p *fastParser) number() (span, bool) {
	b := p.b
	i := p.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return span{}, false
	case b[i] == '0':
		i++
	case '1' <= b[i] && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return span{}, false
	}
	if i < len(b) && b[i] == '.' {
		if i+1 >= len(b) || !isDigit(b[i+1]) {
			return span{}, false
		}
		i = digits(b, i+1)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || !isDigit(b[i]) {
			return span{}, false
		}
		i = digits(b, i)
	}
	sp := span{start: p.i, end: i}
	p.i = i
	return sp, true
}

func digits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// literal reads true, false or null.
func (p *fastParser) literal(word string) bool {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return false
	}
	p.i += len(word)
	return true
}

// text returns the string or number at sp. It is a copy: an event does
// not keep the input alive. (Slicing one copy of the input measured no
// faster, and would keep a whole log file alive for one event.)
func (p *fastParser) text(sp span) string {
	if sp.esc {
		return unescape(p.b[sp.start:sp.end])
	}
	return string(p.b[sp.start:sp.end])
}

// unescape returns a string's contents, unescaped as encoding/json does.
func unescape(raw []byte) string {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		// str validated the escapes.
		switch e := raw[i+1]; e {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(raw[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = hex4(raw[i+2 : i+6])
				}
				if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
					out = utf8.AppendRune(out, dec)
					i += 6
					continue
				}
				r = unicode.ReplacementChar
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, e)
		}
		i += 2
	}
	return string(out)
}

// hex4 decodes four hex digits, or returns -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
