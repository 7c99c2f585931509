// Package recorded is what AWS Config records of a kind of resource, as the
// organization backfill asks an aggregator for it (advanced query,
// SelectAggregateResourceConfig): a kind that Config records declares, in its
// own package beside its reader, its Config resource type, the properties its
// rules decide on, and how a Config item becomes a resource.State (Kind). A
// new kind opts in the same way; a kind that declares nothing is listed.
//
// The package links no AWS SDK service: the kinds' packages import it, and
// the functions that read them must not link AWS Config for that
// (inventory/configindex makes the calls).
package recorded

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/vpcguard/vpcguard/shared/resource"
)

// Kind is how Config records one kind of resource.
type Kind struct {
	Kind resource.Kind
	// Type is the Config resource type (the advanced query's resourceType);
	// "" means the kind's own name, which is the CloudFormation type: the two
	// agree for every kind Config records today.
	Type string
	// Properties are the configuration properties the kind's rules decide
	// on, as the Config resource schema spells them (aws-config-resource-
	// schema: PascalCase for SageMaker types, camelCase for EC2's
	// VPCEndpoint), e.g. configuration.VpcConfig.Subnets.
	Properties []string
	// State turns an item into what the rules decide on. An item that
	// cannot tell (a property missing) leaves that part unknown, and the
	// rule's INSUFFICIENT_DATA sends the resource to be read online.
	State func(Item) (resource.State, error)
}

// ResourceType is the Config resource type of k.
func (k Kind) ResourceType() string {
	if k.Type != "" {
		return k.Type
	}
	return string(k.Kind)
}

// Item is one resource as an advanced query returns it.
type Item struct {
	ResourceID   string
	ResourceName string
	ARN          string
	Account      string
	Region       string
	Created      time.Time
	// Status is the configuration item's status: OK and ResourceDiscovered
	// describe a resource that exists; ResourceDeleted,
	// ResourceDeletedNotRecorded and ResourceNotRecorded do not say what
	// is there now.
	Status string
	Tags   map[string]string
	// Configuration holds the selected configuration properties, nested as
	// their names say ({"VpcConfig": {"Subnets": [...]}}).
	Configuration json.RawMessage
}

// Current reports whether the item describes a resource as it is now, as
// far as Config knows: a deleted resource, or one of a type the recorder no
// longer records, does not.
func (i Item) Current() bool {
	return i.Status == "" || i.Status == "OK" || i.Status == "ResourceDiscovered"
}

// Ref names the item's resource for its kind, by id.
func (i Item) Ref(kind resource.Kind, id string) resource.Ref {
	return resource.Ref{Kind: kind, ID: id, Account: i.Account, Region: i.Region}
}

// Decode reads the item's configuration into v (a struct shaped like the
// selected properties).
func (i Item) Decode(v any) error {
	if len(i.Configuration) == 0 {
		return nil
	}
	if err := json.Unmarshal(i.Configuration, v); err != nil {
		return fmt.Errorf("config item %s: configuration: %w", i.ResourceID, err)
	}
	return nil
}

// Base fields every query selects, besides the kind's properties.
var baseFields = []string{"resourceId", "resourceName", "arn", "accountId", "awsRegion", "resourceCreationTime", "configurationItemStatus", "tags"}

// property is a Config property name as a query may name it.
var property = regexp.MustCompile(`^configuration(\.[A-Za-z][A-Za-z0-9]*)+$`)

// Expression is the advanced query for every resource of k: its base
// fields and k's properties, one resource type (Config's grammar has no
// FROM: every query runs over the aggregator's items).
func Expression(k Kind) (string, error) {
	fields := append([]string{}, baseFields...)
	for _, p := range k.Properties {
		if !property.MatchString(p) {
			return "", fmt.Errorf("config query for %s: %q is not a configuration property", k.Kind, p)
		}
		fields = append(fields, p)
	}
	typ := k.ResourceType()
	if !strings.HasPrefix(typ, "AWS::") || strings.ContainsAny(typ, "' ") {
		return "", fmt.Errorf("config query: %q is not a resource type", typ)
	}
	return "SELECT " + strings.Join(fields, ", ") + " WHERE resourceType = '" + typ + "'", nil
}

// result is one row of an advanced query's Results, a JSON document.
type result struct {
	ResourceID              string          `json:"resourceId"`
	ResourceName            string          `json:"resourceName"`
	ARN                     string          `json:"arn"`
	AccountID               string          `json:"accountId"`
	AWSRegion               string          `json:"awsRegion"`
	ResourceCreationTime    string          `json:"resourceCreationTime"`
	ConfigurationItemStatus string          `json:"configurationItemStatus"`
	Tags                    json.RawMessage `json:"tags"`
	Configuration           json.RawMessage `json:"configuration"`
}

// ParseResult reads one row of SelectAggregateResourceConfig's Results.
func ParseResult(row string) (Item, error) {
	var r result
	if err := json.Unmarshal([]byte(row), &r); err != nil {
		return Item{}, fmt.Errorf("config query result: %w", err)
	}
	if r.AccountID == "" || r.AWSRegion == "" || r.ResourceID == "" {
		return Item{}, fmt.Errorf("config query result without accountId, awsRegion or resourceId: %.200s", row)
	}
	it := Item{ResourceID: r.ResourceID, ResourceName: r.ResourceName, ARN: r.ARN, Account: r.AccountID, Region: r.AWSRegion,
		Status: r.ConfigurationItemStatus, Configuration: r.Configuration, Tags: map[string]string{}}
	if r.ResourceCreationTime != "" {
		if t, err := time.Parse(time.RFC3339Nano, r.ResourceCreationTime); err == nil {
			it.Created = t
		}
	}
	tags, err := parseTags(r.Tags)
	if err != nil {
		return Item{}, fmt.Errorf("config query result for %s: tags: %w", r.ResourceID, err)
	}
	for k, v := range tags {
		it.Tags[k] = v
	}
	return it, nil
}

// parseTags reads Config's tags: a list of {"key", "value"} (the advanced
// query's shape), or an object of key to value (a configuration item's).
func parseTags(raw json.RawMessage) (map[string]string, error) {
	out := map[string]string{}
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	var list []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	if err := json.Unmarshal(raw, &list); err == nil {
		for _, t := range list {
			out[t.Key] = t.Value
		}
		return out, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// StringOrValue is a property Config records either as a string or as an
// object with a value ({"value": "available"}), as EC2's states are.
type StringOrValue string

// UnmarshalJSON accepts both shapes.
func (s *StringOrValue) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		*s = StringOrValue(str)
		return nil
	}
	var v struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = StringOrValue(v.Value)
	return nil
}
