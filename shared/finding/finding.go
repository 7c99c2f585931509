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
	// Contained marks a NON_COMPLIANT resource that vpcguard's measures
	// hold (Containment says which): it still breaks the rule, and cannot
	// be changed to comply (a notebook's internet access, a model's VPC),
	// but it is not untouched.
	Contained   bool      `json:"contained,omitempty"`
	Containment []Measure `json:"containment,omitempty"`
}

// Measure is one thing that holds a NON_COMPLIANT resource: done by this
// run, or found already in place (stopped by an earlier run, the guardrail
// already on the creator).
type Measure string

const (
	Stopped           Measure = "stopped"            // the notebook instance is stopped (or stopping); the job no longer runs
	GuardrailAttached Measure = "guardrail attached" // the creator carries the guardrail policy
	Tagged            Measure = "tagged"             // the resource carries the finding tag
	Deleted           Measure = "deleted"            // the resource was deleted (opt-in)
	Fixed             Measure = "fixed"              // a remedy made it comply (private DNS turned on): the next evaluation reads COMPLIANT
)

// Contain records that measure holds the finding's resource. Dry-run
// actions hold nothing: only call it for what is done or in place.
func (f *Finding) Contain(m Measure) {
	if f.Status != NonCompliant {
		return
	}
	for _, have := range f.Containment {
		if have == m {
			return
		}
	}
	f.Containment = append(f.Containment, m)
	f.Contained = true
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

// Counts tallies findings as they stream by: by rule and status, and the
// contained ones by rule. It holds counts only.
type Counts struct {
	ByRule    Tally          `json:"byRule"`
	Contained map[string]int `json:"containedByRule,omitempty"` // rule -> NON_COMPLIANT findings contained
}

// Add counts f.
func (c *Counts) Add(f Finding) {
	if c.ByRule == nil {
		c.ByRule = Tally{}
	}
	c.ByRule.Add(f)
	if f.Contained {
		if c.Contained == nil {
			c.Contained = map[string]int{}
		}
		c.Contained[f.Rule]++
	}
}

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

// Merge adds o's counts to c: the counts of runs added up (the shards of an
// organization's backfill).
func (c *Counts) Merge(o Counts) {
	for rule, byStatus := range o.ByRule {
		for status, n := range byStatus {
			if c.ByRule == nil {
				c.ByRule = Tally{}
			}
			if c.ByRule[rule] == nil {
				c.ByRule[rule] = map[Status]int{}
			}
			c.ByRule[rule][status] += n
		}
	}
	for rule, n := range o.Contained {
		if c.Contained == nil {
			c.Contained = map[string]int{}
		}
		c.Contained[rule] += n
	}
}
