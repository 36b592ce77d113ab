package cloudtrail

import (
	"encoding/json"
	"time"
)

// Event is a CloudTrail record with the fields an auditor of KMS use needs.
// Field meanings are CloudTrail's:
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
// Members the record does not have stay zero; the JSON-valued members are nil
// when absent or null.
type Event struct {
	EventVersion        string          `json:"eventVersion"`
	EventID             string          `json:"eventID"`
	EventTime           time.Time       `json:"eventTime"`
	EventSource         string          `json:"eventSource"`
	EventName           string          `json:"eventName"`
	AWSRegion           string          `json:"awsRegion"`
	SourceIPAddress     string          `json:"sourceIPAddress"`
	UserAgent           string          `json:"userAgent"`
	ErrorCode           string          `json:"errorCode,omitempty"`
	ErrorMessage        string          `json:"errorMessage,omitempty"`
	ReadOnly            bool            `json:"readOnly"`
	EventType           string          `json:"eventType"`
	ManagementEvent     bool            `json:"managementEvent"`
	EventCategory       string          `json:"eventCategory"`
	RecipientAccountID  string          `json:"recipientAccountId"`
	RequestID           string          `json:"requestID"`
	SharedEventID       string          `json:"sharedEventID,omitempty"`
	UserIdentity        UserIdentity    `json:"userIdentity"`
	RequestParameters   json.RawMessage `json:"requestParameters,omitempty"`
	ResponseElements    json.RawMessage `json:"responseElements,omitempty"`
	AdditionalEventData json.RawMessage `json:"additionalEventData,omitempty"`
	Resources           []Resource      `json:"resources,omitempty"`

	// Source names where the record was read: a file path, "-" for standard
	// input, an s3:// URI, or LookupSource.
	Source string `json:"-"`
	// Record is the 0-based index of the record within Source (for
	// LookupEvents, in the order the pages returned them).
	Record int `json:"-"`
}

// UserIdentity is the record's userIdentity element:
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
type UserIdentity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId"`
	ARN            string          `json:"arn"`
	AccountID      string          `json:"accountId"`
	AccessKeyID    string          `json:"accessKeyId"`
	UserName       string          `json:"userName"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
}

// SessionContext describes the temporary credentials of an assumed role or
// federated session.
type SessionContext struct {
	SessionIssuer SessionIssuer     `json:"sessionIssuer"`
	Attributes    SessionAttributes `json:"attributes"`
}

// SessionIssuer is the role or user whose credentials the session came from.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// SessionAttributes are the session's creation time and MFA state.
type SessionAttributes struct {
	CreationDate time.Time `json:"creationDate"`
	// MFAAuthenticated is "true" or "false": CloudTrail writes it as a
	// string, and keeping it so tells "false" apart from "not recorded".
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

// Resource is an element of the record's resources list.
type Resource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}
