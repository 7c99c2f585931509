// Package events holds the sample CloudTrail events, embedded for tests and
// the demo.
package events

import "embed"

// FS is every sample event, by file name (model-create-no-vpc.json, ...).
//
//go:embed *.json
var FS embed.FS
