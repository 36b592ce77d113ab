package kms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Request and response shapes of the AWS JSON 1.1 protocol, field names as
// in the KMS API model. Blobs are base64 (encoding/json's []byte encoding
// is the standard alphabet with padding, as AWS uses); timestamps are epoch
// seconds as JSON numbers.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html

// epoch is a timestamp in the JSON protocol's epoch-seconds form.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	t := time.Time(e)
	// Millisecond precision, as AWS sends (e.g. 1.700000000123E9).
	return []byte(fmt.Sprintf("%.3f", float64(t.UnixMilli())/1000)), nil
}

func (e *epoch) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return errors.New("timestamp is not finite")
	}
	sec, frac := math.Modf(f)
	*e = epoch(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	return nil
}

type createKeyInput struct {
	Policy                         *string
	Description                    *string
	KeyUsage                       *string
	KeySpec                        *string
	CustomerMasterKeySpec          *string
	Origin                         *string
	CustomKeyStoreId               *string
	XksKeyId                       *string
	MultiRegion                    *bool
	BypassPolicyLockoutSafetyCheck *bool
	Tags                           []tag
}

type tag struct {
	TagKey   *string
	TagValue *string
}

type keyMetadata struct {
	AWSAccountId                string
	KeyId                       string
	Arn                         string
	CreationDate                epoch
	Enabled                     bool
	Description                 string
	KeyUsage                    string
	KeyState                    string
	DeletionDate                *epoch `json:",omitempty"`
	PendingDeletionWindowInDays *int   `json:",omitempty"`
	Origin                      string
	KeyManager                  string
	CustomerMasterKeySpec       string
	KeySpec                     string
	EncryptionAlgorithms        []string `json:",omitempty"`
	SigningAlgorithms           []string `json:",omitempty"`
	MacAlgorithms               []string `json:",omitempty"`
	KeyAgreementAlgorithms      []string `json:",omitempty"`
	MultiRegion                 bool
	CurrentKeyMaterialId        string `json:",omitempty"`
}

type keyMetadataOutput struct {
	KeyMetadata keyMetadata
}

type keyIDInput struct {
	KeyId       *string
	GrantTokens []string
}

type getKeyPolicyInput struct {
	KeyId      *string
	PolicyName *string
}

type getKeyPolicyOutput struct {
	Policy     string
	PolicyName string
}

type putKeyPolicyInput struct {
	KeyId                          *string
	PolicyName                     *string
	Policy                         *string
	BypassPolicyLockoutSafetyCheck *bool
}

type listInput struct {
	KeyId  *string
	Limit  *int
	Marker *string
}

type keyListEntry struct {
	KeyId  string
	KeyArn string
}

type listKeysOutput struct {
	Keys       []keyListEntry
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

type aliasInput struct {
	AliasName   *string
	TargetKeyId *string
}

type aliasListEntry struct {
	AliasName       string
	AliasArn        string
	TargetKeyId     string `json:",omitempty"`
	CreationDate    epoch
	LastUpdatedDate epoch
}

type listAliasesOutput struct {
	Aliases    []aliasListEntry
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

type scheduleInput struct {
	KeyId               *string
	PendingWindowInDays *int
}

type scheduleOutput struct {
	KeyId               string
	DeletionDate        epoch
	KeyState            string
	PendingWindowInDays int
}

type keyIDOutput struct {
	KeyId string
}

type encryptInput struct {
	KeyId               *string
	Plaintext           []byte
	EncryptionContext   map[string]string
	EncryptionAlgorithm *string
	GrantTokens         []string
	DryRun              *bool
}

type encryptOutput struct {
	CiphertextBlob      []byte
	KeyId               string
	EncryptionAlgorithm string
}

type decryptInput struct {
	CiphertextBlob      []byte
	KeyId               *string
	EncryptionContext   map[string]string
	EncryptionAlgorithm *string
	GrantTokens         []string
	DryRun              *bool
	DryRunModifiers     []string
	Recipient           json.RawMessage
}

type decryptOutput struct {
	KeyId               string
	Plaintext           []byte
	EncryptionAlgorithm string
	KeyMaterialId       string `json:",omitempty"`
}

type reEncryptInput struct {
	CiphertextBlob                 []byte
	SourceEncryptionContext        map[string]string
	SourceKeyId                    *string
	DestinationKeyId               *string
	DestinationEncryptionContext   map[string]string
	SourceEncryptionAlgorithm      *string
	DestinationEncryptionAlgorithm *string
	GrantTokens                    []string
	DryRun                         *bool
	DryRunModifiers                []string
}

type reEncryptOutput struct {
	CiphertextBlob                 []byte
	SourceKeyId                    string
	KeyId                          string
	SourceEncryptionAlgorithm      string
	DestinationEncryptionAlgorithm string
	SourceKeyMaterialId            string `json:",omitempty"`
	DestinationKeyMaterialId       string `json:",omitempty"`
}

type generateDataKeyInput struct {
	KeyId             *string
	EncryptionContext map[string]string
	NumberOfBytes     *int
	KeySpec           *string
	GrantTokens       []string
	DryRun            *bool
	Recipient         json.RawMessage
}

type generateDataKeyOutput struct {
	CiphertextBlob []byte
	Plaintext      []byte `json:",omitempty"`
	KeyId          string
	KeyMaterialId  string `json:",omitempty"`
}

type generateRandomInput struct {
	NumberOfBytes    *int
	CustomKeyStoreId *string
	Recipient        json.RawMessage
}

type generateRandomOutput struct {
	Plaintext []byte
}

type grantConstraints struct {
	EncryptionContextSubset map[string]string `json:",omitempty"`
	EncryptionContextEquals map[string]string `json:",omitempty"`
}

type createGrantInput struct {
	KeyId                    *string
	GranteePrincipal         *string
	GranteeServicePrincipal  *string
	RetiringPrincipal        *string
	RetiringServicePrincipal *string
	Operations               []string
	Constraints              *grantConstraints
	GrantTokens              []string
	Name                     *string
	DryRun                   *bool
}

type createGrantOutput struct {
	GrantToken string
	GrantId    string
}

type listGrantsInput struct {
	KeyId                   *string
	GrantId                 *string
	GranteePrincipal        *string
	GranteeServicePrincipal *string
	Limit                   *int
	Marker                  *string
}

type grantListEntry struct {
	KeyId             string
	GrantId           string
	Name              string `json:",omitempty"`
	CreationDate      epoch
	GranteePrincipal  string
	RetiringPrincipal string `json:",omitempty"`
	IssuingAccount    string
	Operations        []string
	Constraints       *grantConstraints `json:",omitempty"`
}

type listGrantsOutput struct {
	Grants     []grantListEntry
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

type revokeGrantInput struct {
	KeyId   *string
	GrantId *string
	DryRun  *bool
}

// decode reads a request body into v. An empty body is an empty object;
// anything but one JSON object is a SerializationException, as the JSON
// protocol reports it. (json.Unmarshal rejects data after the value.)
func decode(body []byte, v any) *APIError {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if body[0] != '{' {
		return clientErr(CodeSerialization, "Start of structure or map found where not expected: the request body must be a JSON object")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return clientErr(CodeSerialization, "Value of %s has the wrong type: expected %s", te.Field, te.Type)
		}
		return clientErr(CodeSerialization, "Malformed request body: %v", err)
	}
	return nil
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func boolean(p *bool) bool { return p != nil && *p }
