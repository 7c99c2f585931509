package cloudtrail

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Value is a piece of a CloudTrail record's requestParameters or
// responseElements: decoded JSON navigated by field name, case-insensitively,
// because AWS services do not agree on case (SageMaker's camelCase,
// EC2's PascalCase request wrappers).
type Value struct{ v any }

// NewValue wraps decoded JSON (as produced by encoding/json with UseNumber).
func NewValue(v any) Value { return Value{v} }

// Raw returns the wrapped decoded JSON.
func (v Value) Raw() any { return v.v }

// Exists reports whether the value is present and not JSON null.
func (v Value) Exists() bool { return v.v != nil }

// Get walks a path of field names, matching each case-insensitively. EC2
// request wrappers such as CreateVpcEndpointRequest are not looked through:
// callers step into them by name (see rules.EndpointPrivateDNS).
func (v Value) Get(path ...string) Value {
	cur := v.v
	for _, name := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return Value{}
		}
		cur = lookup(m, name)
	}
	return Value{cur}
}

func lookup(m map[string]any, name string) any {
	if x, ok := m[name]; ok {
		return x
	}
	for k, x := range m {
		if strings.EqualFold(k, name) {
			return x
		}
	}
	return nil
}

// String returns a scalar as a string: numbers and booleans are formatted,
// since AWS sometimes sends numbers where strings are documented. An EC2
// list item {"content": x, "tag": 1} yields its content.
func (v Value) String() string {
	switch x := v.unwrapItem().(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// Bool returns a boolean and whether one was present. "true"/"false" strings
// and 0/1 numbers are accepted, as AWS sends both.
func (v Value) Bool() (value, ok bool) {
	switch x := v.unwrapItem().(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		return b, err == nil
	case json.Number:
		switch x.String() {
		case "0":
			return false, true
		case "1":
			return true, true
		}
	}
	return false, false
}

// List returns the elements of a list, tolerating EC2's shapes: a single
// object where a list is expected, items wrapped as {"content": x, "tag": n},
// lists wrapped as {"item": [...]} or {"items": [...]}, and "" for an empty set.
func (v Value) List() []Value {
	switch x := v.v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]Value, 0, len(x))
		for _, e := range x {
			item := Value{e}
			if w := item.unwrapItem(); w != nil {
				out = append(out, Value{w})
			}
		}
		return out
	case string:
		if strings.TrimSpace(x) == "" {
			return nil
		}
		return []Value{v}
	case map[string]any:
		if len(x) == 1 {
			for k, inner := range x {
				if strings.EqualFold(k, "item") || strings.EqualFold(k, "items") {
					return Value{inner}.List()
				}
			}
		}
		if w := v.unwrapItem(); w != nil {
			return []Value{{w}}
		}
		return nil
	default:
		return []Value{v}
	}
}

// Strings returns List() as non-empty strings.
func (v Value) Strings() []string {
	items := v.List()
	out := make([]string, 0, len(items))
	for _, it := range items {
		if s := it.String(); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// unwrapItem turns {"content": x, "tag": n} into x; anything else is itself.
func (v Value) unwrapItem() any {
	m, ok := v.v.(map[string]any)
	if !ok {
		return v.v
	}
	if c := lookup(m, "content"); c != nil {
		if len(m) <= 2 {
			if hasKey(m, "tag") || len(m) == 1 {
				return c
			}
		}
	}
	return v.v
}

// hasKey reports whether m has the field name, case-insensitively, even when
// its value is null.
func hasKey(m map[string]any, name string) bool {
	for k := range m {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}
