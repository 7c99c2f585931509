// Package configfake is a FAKE of AWS Config's advanced query across an
// aggregator (SelectAggregateResourceConfig), which moto 5.2.1 does not
// implement (it answers HTTP 500). It speaks the real protocol (AWS JSON
// 1.1, X-Amz-Target StarlingDoveService.SelectAggregateResourceConfig) and
// answers from the items a test gives it (orgestate's seeded estate), so the
// SDK client and vpcguard's paging and decoding run as against AWS. It
// understands only the queries vpcguard sends: SELECT fields WHERE
// resourceType = 'X'.
package configfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vpcguard/vpcguard/internal/testenv/orgestate"
)

// Target is the operation the fake answers.
const Target = "StarlingDoveService.SelectAggregateResourceConfig"

// Server is the fake.
type Server struct {
	*httptest.Server
	Aggregator string

	mu    sync.Mutex
	items []orgestate.Item
	calls int
	types []string // the resource type of each call, in order
}

// New starts a fake serving items through aggregator.
func New(aggregator string, items []orgestate.Item) *Server {
	s := &Server{Aggregator: aggregator, items: items}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Calls is how many queries were answered (errors included).
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Types are the resource types asked for, a call each.
func (s *Server) Types() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.types...)
}

type request struct {
	ConfigurationAggregatorName string
	Expression                  string
	Limit                       int
	MaxResults                  int
	NextToken                   string
}

var query = regexp.MustCompile(`^SELECT (.+) WHERE resourceType = '([A-Za-z0-9:]+)'$`)

// defaultLimit is Config's page size for a query without GROUP BY.
const defaultLimit = 25

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	if r.Header.Get("X-Amz-Target") != Target {
		fail(w, "UnknownOperationException", "this fake answers only "+Target)
		return
	}
	var in request
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, "SerializationException", err.Error())
		return
	}
	if in.ConfigurationAggregatorName != s.Aggregator {
		fail(w, "NoSuchConfigurationAggregatorException", fmt.Sprintf("The configuration aggregator %s does not exist.", in.ConfigurationAggregatorName))
		return
	}
	m := query.FindStringSubmatch(in.Expression)
	if m == nil {
		fail(w, "InvalidExpressionException", "this fake understands SELECT ... WHERE resourceType = '...' only: "+in.Expression)
		return
	}
	limit := max(in.Limit, in.MaxResults)
	if limit == 0 {
		limit = defaultLimit
	}
	if limit > 100 {
		fail(w, "InvalidLimitException", "Limit must be at most 100")
		return
	}
	fields := strings.Split(m[1], ", ")
	s.mu.Lock()
	s.types = append(s.types, m[2])
	var rows []orgestate.Item
	for _, it := range s.items {
		if string(it.Kind) == m[2] {
			rows = append(rows, it)
		}
	}
	s.mu.Unlock()
	start := 0
	if in.NextToken != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(in.NextToken, "page-"))
		if err != nil || n < 0 || n > len(rows) {
			fail(w, "InvalidNextTokenException", "bad token "+in.NextToken)
			return
		}
		start = n
	}
	end := min(start+limit, len(rows))
	out := struct {
		Results   []string
		QueryInfo struct{ SelectFields []struct{ Name string } }
		NextToken string `json:",omitempty"`
	}{Results: []string{}}
	for _, f := range fields {
		out.QueryInfo.SelectFields = append(out.QueryInfo.SelectFields, struct{ Name string }{f})
	}
	for _, it := range rows[start:end] {
		b, _ := json.Marshal(project(document(it), fields))
		out.Results = append(out.Results, string(b))
	}
	if end < len(rows) {
		out.NextToken = "page-" + strconv.Itoa(end)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}

// document is a configuration item as Config's query sees it.
func document(it orgestate.Item) map[string]any {
	return map[string]any{
		"resourceId": it.ResourceID, "resourceName": it.ResourceName, "arn": it.ARN, "accountId": it.Account, "awsRegion": it.Region,
		"resourceType": string(it.Kind), "resourceCreationTime": orgestate.Created.Format(time.RFC3339), "configurationItemStatus": "OK",
		"tags": []any{}, "configuration": it.Configuration,
	}
}

// project keeps the selected fields of doc (dotted paths), nested as in
// doc; a field doc lacks is left out, as Config does.
func project(doc map[string]any, fields []string) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		path := strings.Split(strings.TrimSpace(f), ".")
		var v any = doc
		ok := true
		for _, p := range path {
			m, isMap := v.(map[string]any)
			if !isMap {
				ok = false
				break
			}
			if v, ok = m[p]; !ok {
				break
			}
		}
		if !ok {
			continue
		}
		dst := out
		for _, p := range path[:len(path)-1] {
			next, _ := dst[p].(map[string]any)
			if next == nil {
				next = map[string]any{}
				dst[p] = next
			}
			dst = next
		}
		dst[path[len(path)-1]] = v
	}
	return out
}

func fail(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
