// Package kmsaction is the table of AWS KMS's IAM actions, shared by the
// lint rules (KMS012, allowed-action sets) and `kmslint eval`, which refuses
// a request for an action KMS does not have.
package kmsaction

import (
	"strings"

	"github.com/kmslint/kmslint/internal/suggest"
)

// names are the IAM actions of AWS KMS. ReEncrypt is authorized as
// ReEncryptFrom and ReEncryptTo; SynchronizeMultiRegionKey is permission-only.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html
// https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html
var names = []string{
	"CancelKeyDeletion", "ConnectCustomKeyStore", "CreateAlias", "CreateCustomKeyStore", "CreateGrant",
	"CreateKey", "Decrypt", "DeleteAlias", "DeleteCustomKeyStore", "DeleteImportedKeyMaterial",
	"DeriveSharedSecret", "DescribeCustomKeyStores", "DescribeKey", "DisableKey", "DisableKeyRotation",
	"DisconnectCustomKeyStore", "EnableKey", "EnableKeyRotation", "Encrypt", "GenerateDataKey",
	"GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext",
	"GenerateMac", "GenerateRandom", "GetKeyPolicy", "GetKeyRotationStatus", "GetParametersForImport",
	"GetPublicKey", "ImportKeyMaterial", "ListAliases", "ListGrants", "ListKeyPolicies", "ListKeyRotations",
	"ListKeys", "ListResourceTags", "ListRetirableGrants", "PutKeyPolicy", "ReEncryptFrom", "ReEncryptTo",
	"ReplicateKey", "RetireGrant", "RevokeGrant", "RotateKeyOnDemand", "ScheduleKeyDeletion", "Sign",
	"SynchronizeMultiRegionKey", "TagResource", "UntagResource", "UpdateAlias", "UpdateCustomKeyStore",
	"UpdateKeyDescription", "UpdatePrimaryRegion", "Verify", "VerifyMac",
}

// Names returns the actions as IAM names ("kms:Decrypt"), sorted; a fresh
// slice each call.
func Names() []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "kms:" + n
	}
	return out
}

var byLower = func() map[string]string {
	m := make(map[string]string, len(names))
	for _, n := range names {
		m["kms:"+strings.ToLower(n)] = "kms:" + n
	}
	return m
}()

// Lookup returns the IAM name of action, matched case-insensitively as IAM
// matches action names, and whether KMS has that action.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
func Lookup(action string) (string, bool) {
	n, ok := byLower[strings.ToLower(action)]
	return n, ok
}

var exact = func() map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m["kms:"+n] = true
	}
	return m
}()

// Is reports whether action is a KMS action. The exact spelling is checked
// first without allocating: batch eval asks for every request.
func Is(action string) bool {
	if exact[action] {
		return true
	}
	_, ok := Lookup(action)
	return ok
}

// Problem says why action is not a KMS action, with the nearest KMS action
// when it looks like a typo of one; "" when it is one.
func Problem(action string) string {
	if _, ok := Lookup(action); ok {
		return ""
	}
	msg := "not a KMS action"
	if svc, _, ok := strings.Cut(action, ":"); !ok {
		msg = "not service:Action, e.g. kms:Decrypt"
	} else if !strings.EqualFold(svc, "kms") {
		msg = "not a KMS action: a key policy decides only kms: actions"
	} else if strings.ContainsAny(action, "*?") {
		msg = "a request names one action, not a pattern"
	}
	if near, ok := suggest.Nearest(action, Names()); ok {
		msg += "; did you mean " + near + "?"
	}
	return msg
}
