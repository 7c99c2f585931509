// Package finding is the result vpcguard reports: one decision about one
// resource under one rule, and every action taken or skipped because of it.
package finding

// Status uses AWS Config's compliance words so findings read the same in
// every tool a security team already uses.
type Status string

const (
	Compliant        Status = "COMPLIANT"
	NonCompliant     Status = "NON_COMPLIANT"
	NotApplicable    Status = "NOT_APPLICABLE"
	InsufficientData Status = "INSUFFICIENT_DATA"
)

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool {
	switch s {
	case Compliant, NonCompliant, NotApplicable, InsufficientData:
		return true
	}
	return false
}

// Finding is one (rule, resource) evaluation. Its JSON shape is a contract
// that scripts rely on: fields are only ever added.
type Finding struct {
	Rule         string   `json:"rule"`
	ResourceType string   `json:"resourceType"` // CloudFormation type, e.g. AWS::SageMaker::Model
	ResourceID   string   `json:"resourceId"`   // ARN where known, else the resource's id
	ResourceName string   `json:"resourceName,omitempty"`
	Status       Status   `json:"status"`
	Reason       string   `json:"reason"`
	Severity     string   `json:"severity,omitempty"`
	EventID      string   `json:"eventId,omitempty"`
	EventName    string   `json:"eventName,omitempty"`
	EventTime    string   `json:"eventTime,omitempty"`
	Principal    string   `json:"principal,omitempty"` // ARN of the IAM entity that made the call
	Account      string   `json:"account"`
	Region       string   `json:"region"`
	Evaluation   string   `json:"evaluation"` // "online" (current state read) or "offline" (event only)
	Actions      []Action `json:"actions,omitempty"`
}

// Outcome says what became of an action.
type Outcome string

const (
	Done    Outcome = "done"
	DryRun  Outcome = "dry-run"
	Skipped Outcome = "skipped"
	Failed  Outcome = "failed"
)

// Action is one thing vpcguard did, or would have done, about a finding.
type Action struct {
	Type    string  `json:"type"`   // e.g. attach-guardrail, enable-private-dns, stop-notebook, tag, ticket:securityhub
	Target  string  `json:"target"` // ARN or id the action is aimed at
	Outcome Outcome `json:"outcome"`
	Detail  string  `json:"detail,omitempty"` // why it was skipped, the error when failed, what it would do in dry-run
}

// Key identifies the (rule, resource) pair; tickets are deduplicated on it.
func (f Finding) Key() string { return f.Rule + "|" + f.Account + "|" + f.Region + "|" + f.ResourceID }

// AddAction records an action on the finding.
func (f *Finding) AddAction(a Action) { f.Actions = append(f.Actions, a) }

// Tally counts findings by rule and status.
type Tally map[string]map[Status]int

// Add counts f.
func (t Tally) Add(f Finding) {
	if t[f.Rule] == nil {
		t[f.Rule] = map[Status]int{}
	}
	t[f.Rule][f.Status]++
}

// Count tallies findings.
func Count(findings []Finding) Tally {
	t := Tally{}
	for _, f := range findings {
		t.Add(f)
	}
	return t
}
