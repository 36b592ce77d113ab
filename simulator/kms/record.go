package kms

import (
	"encoding/json"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/simulator/identity"
	"github.com/kmslint/kmslint/simulator/kms/trail"
)

// javaTime is the date format KMS uses inside responseElements (e.g.
// "Jun 30, 2020 2:34:07 AM"), as in
// https://docs.aws.amazon.com/kms/latest/developerguide/ct-createkey.html
const javaTime = "Jan 2, 2006 3:04:05 PM"

// record builds the CloudTrail record of the call.
func (c *call) record(apiErr *APIError) *trail.Record {
	r := &trail.Record{
		EventVersion:       trail.EventVersion,
		UserIdentity:       c.userIdentity(),
		EventTime:          c.now.Format(trail.TimeFormat),
		EventSource:        "kms.amazonaws.com",
		EventName:          c.op.name,
		AWSRegion:          c.s.region,
		SourceIPAddress:    c.sourceIP,
		UserAgent:          c.userAgent,
		RequestID:          c.requestID,
		EventID:            newRequestID(),
		ReadOnly:           c.op.readOnly,
		Resources:          c.resources,
		EventType:          "AwsApiCall",
		ManagementEvent:    true,
		RecipientAccountID: c.recipient,
		EventCategory:      "Management",
	}
	if c.id.Kind != identity.IAM {
		// Calls made by or through a service show the service as source.
		r.SourceIPAddress, r.UserAgent = c.id.Service, c.id.Service
	}
	if r.RecipientAccountID == "" {
		r.RecipientAccountID = c.callerAccount()
	}
	if c.params != nil {
		r.RequestParameters = mustJSON(c.params)
	}
	if apiErr != nil {
		r.ErrorCode, r.ErrorMessage = apiErr.Code, apiErr.Message
	} else {
		if c.response != nil {
			r.ResponseElements = mustJSON(c.response)
		}
		if c.additional != nil {
			r.AdditionalEventData = mustJSON(c.additional)
		}
	}
	return r
}

// mustJSON encodes trail fragments built from plain maps, strings and
// structs, which cannot fail to encode.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`{"simulatorError":"could not encode"}`)
	}
	return b
}

// userIdentity describes the caller as CloudTrail does.
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
func (c *call) userIdentity() trail.UserIdentity {
	id := c.id
	if id.Kind == identity.Service {
		return trail.UserIdentity{Type: "AWSService", InvokedBy: id.Service}
	}
	u := trail.UserIdentity{
		PrincipalID: id.PrincipalID,
		ARN:         id.SessionARN,
		AccountID:   id.Account,
		AccessKeyID: id.AccessKeyID,
	}
	switch id.Principal.Kind {
	case authz.IAMUser:
		u.Type, u.UserName = "IAMUser", id.Principal.UserName
	case authz.AccountRoot:
		u.Type = "Root"
	case authz.AssumedRole:
		u.Type = "AssumedRole"
		u.SessionContext = &trail.SessionContext{
			SessionIssuer: &trail.SessionIssuer{
				Type:        "Role",
				PrincipalID: id.RoleID,
				ARN:         id.ARN,
				AccountID:   id.Account,
				UserName:    id.Principal.RoleName,
			},
			Attributes: trail.SessionAttributes{
				CreationDate:     c.s.started.Format(trail.TimeFormat),
				MFAAuthenticated: "false",
			},
		}
	}
	if id.Kind == identity.ViaService {
		u.InvokedBy = id.Service
	}
	return u
}

func keyResource(k *key) trail.Resource {
	return trail.Resource{AccountID: k.Account, Type: "AWS::KMS::Key", ARN: k.ARN}
}

// keyMaterialEvent is additionalEventData of cryptographic operations.
type keyMaterialEvent struct {
	KeyMaterialID string `json:"keyMaterialId"`
}

// Request parameters as KMS logs them; field order follows AWS's examples.
// Ciphertexts and plaintexts are never logged.

type keyIDParams struct {
	KeyID string `json:"keyId"`
}

type cryptoParams struct {
	EncryptionAlgorithm string            `json:"encryptionAlgorithm,omitempty"`
	KeyID               string            `json:"keyId,omitempty"`
	EncryptionContext   map[string]string `json:"encryptionContext,omitempty"`
	DryRun              *bool             `json:"dryRun,omitempty"`
}

type dataKeyParams struct {
	EncryptionContext map[string]string `json:"encryptionContext,omitempty"`
	NumberOfBytes     *int              `json:"numberOfBytes,omitempty"`
	KeySpec           string            `json:"keySpec,omitempty"`
	KeyID             string            `json:"keyId"`
	DryRun            *bool             `json:"dryRun,omitempty"`
}

type reEncryptParams struct {
	SourceKeyID                    string            `json:"sourceKeyId,omitempty"`
	DestinationKeyID               string            `json:"destinationKeyId"`
	SourceEncryptionContext        map[string]string `json:"sourceEncryptionContext,omitempty"`
	DestinationEncryptionContext   map[string]string `json:"destinationEncryptionContext,omitempty"`
	SourceEncryptionAlgorithm      string            `json:"sourceEncryptionAlgorithm"`
	DestinationEncryptionAlgorithm string            `json:"destinationEncryptionAlgorithm"`
	DryRun                         *bool             `json:"dryRun,omitempty"`
}

type createKeyParams struct {
	Policy                         string  `json:"policy,omitempty"`
	Description                    string  `json:"description"`
	KeyUsage                       string  `json:"keyUsage"`
	KeySpec                        string  `json:"keySpec"`
	Origin                         string  `json:"origin"`
	BypassPolicyLockoutSafetyCheck bool    `json:"bypassPolicyLockoutSafetyCheck"`
	Tags                           []tagKV `json:"tags,omitempty"`
}

type trailKeyMetadata struct {
	AWSAccountID          string   `json:"aWSAccountId"`
	KeyID                 string   `json:"keyId"`
	ARN                   string   `json:"arn"`
	CreationDate          string   `json:"creationDate"`
	Enabled               bool     `json:"enabled"`
	Description           string   `json:"description"`
	KeyUsage              string   `json:"keyUsage"`
	KeyState              string   `json:"keyState"`
	Origin                string   `json:"origin"`
	KeyManager            string   `json:"keyManager"`
	KeySpec               string   `json:"keySpec"`
	CustomerMasterKeySpec string   `json:"customerMasterKeySpec"`
	EncryptionAlgorithms  []string `json:"encryptionAlgorithms,omitempty"`
	SigningAlgorithms     []string `json:"signingAlgorithms,omitempty"`
	MacAlgorithms         []string `json:"macAlgorithms,omitempty"`
	MultiRegion           bool     `json:"multiRegion"`
}

func trailMetadata(k *key) map[string]any {
	md := k.metadata()
	return map[string]any{"keyMetadata": trailKeyMetadata{
		AWSAccountID:          md.AWSAccountId,
		KeyID:                 md.KeyId,
		ARN:                   md.Arn,
		CreationDate:          k.Created.Format(javaTime),
		Enabled:               md.Enabled,
		Description:           md.Description,
		KeyUsage:              md.KeyUsage,
		KeyState:              md.KeyState,
		Origin:                md.Origin,
		KeyManager:            md.KeyManager,
		KeySpec:               md.KeySpec,
		CustomerMasterKeySpec: md.CustomerMasterKeySpec,
		EncryptionAlgorithms:  md.EncryptionAlgorithms,
		SigningAlgorithms:     md.SigningAlgorithms,
		MacAlgorithms:         md.MacAlgorithms,
		MultiRegion:           md.MultiRegion,
	}}
}

type putKeyPolicyParams struct {
	KeyID                          string `json:"keyId"`
	PolicyName                     string `json:"policyName"`
	Policy                         string `json:"policy"`
	BypassPolicyLockoutSafetyCheck bool   `json:"bypassPolicyLockoutSafetyCheck"`
}

type getKeyPolicyParams struct {
	KeyID      string `json:"keyId"`
	PolicyName string `json:"policyName"`
}

type scheduleParams struct {
	PendingWindowInDays int    `json:"pendingWindowInDays"`
	KeyID               string `json:"keyId"`
}

type scheduleResponse struct {
	KeyID               string `json:"keyId"`
	KeyState            string `json:"keyState"`
	DeletionDate        string `json:"deletionDate"`
	PendingWindowInDays int    `json:"pendingWindowInDays"`
}

type aliasParams struct {
	AliasName   string `json:"aliasName"`
	TargetKeyID string `json:"targetKeyId,omitempty"`
}

type listParams struct {
	KeyID  string `json:"keyId,omitempty"`
	Limit  *int   `json:"limit,omitempty"`
	Marker string `json:"marker,omitempty"`
}

type randomParams struct {
	NumberOfBytes *int `json:"numberOfBytes,omitempty"`
}

type grantParams struct {
	KeyID             string            `json:"keyId"`
	Constraints       *grantConstraintP `json:"constraints,omitempty"`
	Operations        []string          `json:"operations"`
	GranteePrincipal  string            `json:"granteePrincipal"`
	RetiringPrincipal string            `json:"retiringPrincipal,omitempty"`
	Name              string            `json:"name,omitempty"`
	DryRun            *bool             `json:"dryRun,omitempty"`
}

type grantConstraintP struct {
	EncryptionContextSubset map[string]string `json:"encryptionContextSubset,omitempty"`
	EncryptionContextEquals map[string]string `json:"encryptionContextEquals,omitempty"`
}

type listGrantsParams struct {
	KeyID            string `json:"keyId"`
	GrantID          string `json:"grantId,omitempty"`
	GranteePrincipal string `json:"granteePrincipal,omitempty"`
	Limit            *int   `json:"limit,omitempty"`
	Marker           string `json:"marker,omitempty"`
}

type revokeGrantParams struct {
	KeyID   string `json:"keyId"`
	GrantID string `json:"grantId"`
	DryRun  *bool  `json:"dryRun,omitempty"`
}
