package orgbackfill_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vpcguard/vpcguard/shared/orgbackfill"
	"github.com/vpcguard/vpcguard/shared/resource"
)

// list is a JSON array of n copies of item.
func list(n int, item string) string {
	return "[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]"
}

// reads is a JSON array of n resources to read.
func reads(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"kind":"model","id":"m-%d"}`, i)
	}
	return "[" + strings.Join(items, ",") + "]"
}

// TestParseRequestBadInput: every request that cannot be run is refused
// with ErrBadRequest and a message naming the field; none panics.
func TestParseRequestBadInput(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"unknown field", `{"region": ["us-east-1"]}`, `unknown field "region"`},
		{"accounts a string", `{"accounts": "111122223333"}`, "accounts"},
		{"regions a number", `{"regions": 5}`, "regions"},
		{"dryRun a string", `{"dryRun": "yes"}`, "dryRun"},
		{"configAggregator a list", `{"configAggregator": ["a"]}`, "configAggregator"},
		{"an array", `[1, 2]`, "cannot unmarshal array"},
		{"a string", `"org"`, "cannot unmarshal string"},
		{"not JSON", `{accounts: 1}`, "invalid character"},
		{"two values", `{} {}`, "more than one JSON value"},
		{"short account", `{"accounts": ["11112222333"]}`, `accounts: "11112222333" is not a 12-digit account id`},
		{"account with letters", `{"accounts": ["11112222333a"]}`, `"11112222333a" is not a 12-digit account id`},
		{"account as number", `{"accounts": [111122223333]}`, "accounts"},
		{"empty account", `{"accounts": [""]}`, `"" is not a 12-digit account id`},
		{"empty accounts", `{"accounts": []}`, "accounts: empty; omit it for the default"},
		{"empty regions", `{"regions": []}`, "regions: empty; omit it for the default"},
		{"empty region", `{"regions": [""]}`, `regions: "" is not a Region name`},
		{"bad region", `{"regions": ["mars-1"]}`, `regions: "mars-1" is not a Region name`},
		{"empty rules", `{"rules": []}`, "rules: empty"},
		{"unknown rule", `{"rules": ["no-such-rule"]}`, `rules: unknown rule "no-such-rule"`},
		{"bad mode", `{"mode": "fix-everything"}`, `mode: "fix-everything" is not report, ticket or enforce`},
		{"too many accounts", `{"accounts": ` + list(orgbackfill.MaxRequestAccounts+1, `"111122223333"`) + `}`,
			fmt.Sprintf("accounts: %d; at most %d", orgbackfill.MaxRequestAccounts+1, orgbackfill.MaxRequestAccounts)},
		{"too many regions", `{"regions": ` + list(orgbackfill.MaxRequestRegions+1, `"us-east-1"`) + `}`,
			fmt.Sprintf("regions: %d; at most %d", orgbackfill.MaxRequestRegions+1, orgbackfill.MaxRequestRegions)},
		{"too many rules", `{"rules": ` + list(orgbackfill.MaxRequestRules+1, `"sagemaker-model-in-vpc"`) + `}`,
			fmt.Sprintf("rules: %d; at most %d", orgbackfill.MaxRequestRules+1, orgbackfill.MaxRequestRules)},
		{"two bad fields", `{"accounts": ["1"], "regions": ["x"]}`, `regions: "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := orgbackfill.ParseRequest([]byte(tt.raw))
			if !errors.Is(err, orgbackfill.ErrBadRequest) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want a bad request saying %q", err, tt.want)
			}
		})
	}
}

// TestParseRequestGood: what may be omitted is.
func TestParseRequestGood(t *testing.T) {
	for _, raw := range []string{``, `null`, `{}`, ` {"accounts": ["org"], "regions": ["all"]} `,
		`{"accounts": ["111122223333"], "regions": ["us-east-1", "eu-west-1"], "rules": ["sagemaker-model-in-vpc"], "mode": "report", "dryRun": true, "configAggregator": ""}`} {
		if _, err := orgbackfill.ParseRequest([]byte(raw)); err != nil {
			t.Errorf("%q: got %v; want none", raw, err)
		}
	}
	req, err := orgbackfill.ParseRequest([]byte(`{"configAggregator": ""}`))
	if err != nil || req.ConfigAggregator == nil || *req.ConfigAggregator != "" {
		t.Errorf(`{"configAggregator": ""}: got %v, %v; want an explicit "" (no aggregator)`, req.ConfigAggregator, err)
	}
}

// TestParseShardInputBadInput: a shard input that cannot be run is
// refused with ErrBadRequest naming the field; none panics.
func TestParseShardInputBadInput(t *testing.T) {
	const shard = `"shard": {"account": "111122223333", "region": "us-east-1"}`
	tests := []struct{ name, raw, want string }{
		{"empty", ``, "shard input: EOF"},
		{"null", `null`, `shard.account: "" is not a 12-digit account id`},
		{"an array", `[1]`, "cannot unmarshal array"},
		{"two values", `{` + shard + `} {}`, "more than one JSON value"},
		{"unknown field", `{` + shard + `, "shards": []}`, `unknown field "shards"`},
		{"unknown shard field", `{"shard": {"account": "111122223333", "region": "us-east-1", "regions": ["x"]}}`, `unknown field "regions"`},
		{"shard a string", `{"shard": "111122223333/us-east-1"}`, "shard"},
		{"account a number", `{"shard": {"account": 111122223333, "region": "us-east-1"}}`, "account"},
		{"no account", `{"shard": {"region": "us-east-1"}}`, `shard.account: "" is not a 12-digit account id`},
		{"bad account", `{"shard": {"account": "org", "region": "us-east-1"}}`, `shard.account: "org" is not a 12-digit account id`},
		{"no region", `{"shard": {"account": "111122223333"}}`, `shard.region: "" is not a Region name`},
		{"empty region", `{"shard": {"account": "111122223333", "region": ""}}`, `shard.region: "" is not a Region name`},
		{"all regions", `{"shard": {"account": "111122223333", "region": "all"}}`, `shard.region: "all" is not a Region name`},
		{"index a string", `{` + shard + `, "index": "3"}`, "index"},
		{"negative index", `{` + shard + `, "index": -1}`, "index -1, part 0: must not be negative"},
		{"negative part", `{` + shard + `, "part": -2}`, "must not be negative"},
		{"bad run", `{` + shard + `, "run": "a/b"}`, `run: "a/b" is not an execution name`},
		{"read without id", `{"shard": {"account": "111122223333", "region": "us-east-1", "read": [{"kind": "model"}]}}`, "shard.read: a resource without kind or id"},
		{"empty covered kind", `{"shard": {"account": "111122223333", "region": "us-east-1", "covered": [""]}}`, "shard.covered: an empty kind"},
		{"too many reads", `{"shard": {"account": "111122223333", "region": "us-east-1", "read": ` + reads(orgbackfill.MaxReadsPerShard+1) + `}}`,
			fmt.Sprintf("shard.read: %d resources; a shard reads at most %d", orgbackfill.MaxReadsPerShard+1, orgbackfill.MaxReadsPerShard)},
		{"too many covered", `{"shard": {"account": "111122223333", "region": "us-east-1", "covered": ` + list(orgbackfill.MaxShardCovered+1, `"model"`) + `}}`,
			fmt.Sprintf("shard.covered: %d kinds; at most %d", orgbackfill.MaxShardCovered+1, orgbackfill.MaxShardCovered)},
		{"bad mode", `{` + shard + `, "options": {"mode": "fix"}}`, `options: mode: "fix" is not report, ticket or enforce`},
		{"unknown rule", `{` + shard + `, "options": {"rules": ["nope"]}}`, `options: rules: unknown rule "nope"`},
		{"too many rules", `{` + shard + `, "options": {"rules": ` + list(orgbackfill.MaxRequestRules+1, `"sagemaker-model-in-vpc"`) + `}}`, "rules: 65; at most 64"},
		{"continuation a string", `{` + shard + `, "continuation": "next"}`, "continuation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := orgbackfill.ParseShardInput([]byte(tt.raw))
			if !errors.Is(err, orgbackfill.ErrBadRequest) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want a bad request saying %q", err, tt.want)
			}
		})
	}
}

// TestParseShardInputGood: the state machine's own shard inputs, first
// part and continuation, are read back.
func TestParseShardInputGood(t *testing.T) {
	in := orgbackfill.ShardInput{Shard: orgbackfill.Shard{Account: "111122223333", Region: "eu-west-1", Covered: []resource.Kind{resource.Model},
		Read: []orgbackfill.Ref{{Kind: resource.Model, ID: "m-1"}}}, Index: 4, Part: 1, Run: "run-1", Options: orgbackfill.Options{Mode: "report"},
		Continuation: &orgbackfill.Continuation{}}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := orgbackfill.ParseShardInput(raw)
	if err != nil {
		t.Fatalf("got %v; want none (input %s)", err, raw)
	}
	if got.Shard.Account != in.Shard.Account || got.Index != 4 || got.Part != 1 || got.Continuation == nil || len(got.Shard.Read) != 1 {
		t.Errorf("got %+v; want %+v", got, in)
	}
	// What the map's ItemSelector gives the first part: continuation null.
	if _, err := orgbackfill.ParseShardInput([]byte(`{"shard": {"account": "111122223333", "region": "us-east-1"}, "index": 0, "part": 0, "run": "r", "options": {}, "continuation": null}`)); err != nil {
		t.Errorf("first part: got %v; want none", err)
	}
}
