// Package trail records the simulator's API calls as AWS CloudTrail records
// and delivers them to sinks: memory (for tests) and files in CloudTrail's
// S3 layout (for `kmslint serve --trail DIR` and `kmslint audit`).
//
// Field names, order and value formats follow real KMS records, e.g.
// https://docs.aws.amazon.com/kms/latest/developerguide/ct-decrypt.html and
// the CloudTrail record contents reference
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
package trail

import (
	"encoding/json"
	"time"
)

// EventVersion is the record format version KMS writes today.
const EventVersion = "1.11"

// TimeFormat is eventTime's format.
const TimeFormat = "2006-01-02T15:04:05Z"

// Record is one CloudTrail event. Fields are declared in the order AWS
// writes them, so encoding/json reproduces that order.
type Record struct {
	EventVersion    string       `json:"eventVersion"`
	UserIdentity    UserIdentity `json:"userIdentity"`
	EventTime       string       `json:"eventTime"`
	EventSource     string       `json:"eventSource"`
	EventName       string       `json:"eventName"`
	AWSRegion       string       `json:"awsRegion"`
	SourceIPAddress string       `json:"sourceIPAddress"`
	UserAgent       string       `json:"userAgent"`
	ErrorCode       string       `json:"errorCode,omitempty"`
	ErrorMessage    string       `json:"errorMessage,omitempty"`
	// RequestParameters and ResponseElements are JSON objects; nil encodes
	// as the null AWS writes when there are none.
	RequestParameters   json.RawMessage `json:"requestParameters"`
	ResponseElements    json.RawMessage `json:"responseElements"`
	AdditionalEventData json.RawMessage `json:"additionalEventData,omitempty"`
	RequestID           string          `json:"requestID"`
	EventID             string          `json:"eventID"`
	ReadOnly            bool            `json:"readOnly"`
	Resources           []Resource      `json:"resources,omitempty"`
	EventType           string          `json:"eventType"`
	ManagementEvent     bool            `json:"managementEvent"`
	RecipientAccountID  string          `json:"recipientAccountId"`
	SharedEventID       string          `json:"sharedEventID,omitempty"`
	EventCategory       string          `json:"eventCategory"`
}

// UserIdentity is the record's userIdentity element; which fields are set
// depends on Type.
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
type UserIdentity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
}

// SessionContext describes a role session.
type SessionContext struct {
	SessionIssuer       *SessionIssuer    `json:"sessionIssuer"`
	WebIDFederationData struct{}          `json:"webIdFederationData"`
	Attributes          SessionAttributes `json:"attributes"`
}

// SessionIssuer is the role behind a session.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// SessionAttributes are a session's attributes.
type SessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

// Resource is an entry of the resources list.
type Resource struct {
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

// Time parses EventTime.
func (r *Record) Time() (time.Time, error) { return time.Parse(TimeFormat, r.EventTime) }
