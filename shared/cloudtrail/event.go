// Package cloudtrail reads CloudTrail records in every shape vpcguard meets
// them: an EventBridge "AWS API Call via CloudTrail" event, a bare record, a
// JSON array of either, and a CloudTrail log file ({"Records": [...]}).
package cloudtrail

import (
	"time"
)

// DetailType is the EventBridge detail-type of CloudTrail API call events.
const DetailType = "AWS API Call via CloudTrail"

// Event is one CloudTrail record, with the fields vpcguard decides on.
type Event struct {
	ID           string    // eventID
	Time         time.Time // eventTime; zero when absent or unparseable
	Source       string    // eventSource, e.g. sagemaker.amazonaws.com
	Name         string    // eventName, e.g. CreateModel
	Region       string    // awsRegion
	Account      string    // recipientAccountId (the account the call was made in)
	ErrorCode    string    // set when the call failed
	ErrorMessage string
	// SourceIP is sourceIPAddress: the caller's address (a private one
	// when the call came through an interface VPC endpoint), or a service's
	// DNS name when a service called on the caller's behalf.
	SourceIP string
	// VPCEndpointID is vpcEndpointId: the interface endpoint the call came
	// through. CloudTrail documents it as present only "when it applies".
	VPCEndpointID string
	Identity      Identity
	Request       Value // requestParameters
	Response      Value // responseElements
}

// Failed reports whether the API call was refused or failed: failed calls
// change nothing, so no rule judges them.
func (e *Event) Failed() bool { return e.ErrorCode != "" }

// Identity is CloudTrail's userIdentity.
type Identity struct {
	Type        string // IAMUser, AssumedRole, Root, AWSService, FederatedUser, WebIdentityUser, SAMLUser, AWSAccount
	PrincipalID string
	ARN         string
	AccountID   string
	UserName    string
	InvokedBy   string
	Issuer      *Issuer // sessionContext.sessionIssuer, for AssumedRole and FederatedUser
}

// Issuer is the IAM entity behind temporary credentials.
type Issuer struct {
	Type        string // Role or IAMUser
	PrincipalID string
	ARN         string
	AccountID   string
	UserName    string
}

// Principal is the ARN of the IAM entity that made the call: the role behind
// an assumed-role session, the user behind a federation token, the IAM user
// or root itself, or the service for AWSService calls. Guardrails attach to it.
func (i Identity) Principal() string {
	switch i.Type {
	case "AssumedRole", "FederatedUser":
		if i.Issuer != nil && i.Issuer.ARN != "" {
			return i.Issuer.ARN
		}
	case "AWSService":
		if i.InvokedBy != "" {
			return i.InvokedBy
		}
	}
	if i.ARN != "" {
		return i.ARN
	}
	if i.Issuer != nil && i.Issuer.ARN != "" {
		return i.Issuer.ARN
	}
	if i.InvokedBy != "" {
		return i.InvokedBy
	}
	return i.PrincipalID
}
