package world

import "strings"

// Cardinality says whether a key is single-valued or multivalued in a
// request. A plain operator never matches a multivalued key, so the
// difference decides conditions.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
type Cardinality uint8

const (
	// Either: a key the model does not know; a request may carry it either way.
	Either Cardinality = iota
	single1
	multi
)

// Single and Multi are the known cardinalities.
const (
	Single = single1
	Multi  = multi
)

// Set says where a key's value comes from.
type Set uint8

const (
	// Free: the caller's choice, or a fact kmslint does not know (tags,
	// network, the key's properties): any value, or none.
	Free Set = iota
	// Derived: AWS sets it from the call (Context builds it from a Call);
	// it is not a free choice.
	Derived
)

type keyInfo struct {
	card Cardinality
	set  Set
}

// keyTable holds the keys of a request to KMS, lower-cased: the global keys
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
// and the KMS keys
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
var keyTable = func() map[string]keyInfo {
	m := map[string]keyInfo{}
	add := func(c Cardinality, s Set, keys ...string) {
		for _, k := range keys {
			m[strings.ToLower(k)] = keyInfo{c, s}
		}
	}
	add(Single, Derived,
		"kms:CallerAccount", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalType", "aws:userid",
		"aws:username", "aws:PrincipalIsAWSService", "aws:PrincipalServiceName", "aws:ViaAWSService",
		"kms:ViaService", "aws:CalledViaFirst", "aws:CalledViaLast", "aws:SourceAccount", "aws:SourceArn",
		"aws:PrincipalOrgID", "aws:SecureTransport", "aws:RequestedRegion", "aws:CurrentTime", "aws:EpochTime")
	add(Multi, Derived, "aws:CalledVia", "aws:PrincipalOrgPaths", "kms:EncryptionContextKeys")
	add(Single, Free,
		"aws:FederatedProvider", "aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent", "aws:ResourceAccount",
		"aws:ResourceOrgID", "aws:SourceIdentity", "aws:SourceIp", "aws:SourceOrgID", "aws:SourceVpc",
		"aws:SourceVpce", "aws:SourceVpcArn", "aws:TokenIssueTime", "aws:UserAgent", "aws:VpcSourceIp",
		"aws:Ec2InstanceSourceVpc", "aws:Ec2InstanceSourcePrivateIPv4", "aws:Referer", "aws:AssumedRoot",
		"aws:VpceAccount", "aws:VpceOrgID", "aws:IsMcpServiceAction",
		"kms:BypassPolicyLockoutSafetyCheck", "kms:CustomerMasterKeySpec", "kms:CustomerMasterKeyUsage",
		"kms:DataKeyPairSpec", "kms:EncryptionAlgorithm", "kms:ExpirationModel", "kms:GrantConstraintType",
		"kms:GrantIsForAWSResource", "kms:GranteePrincipal", "kms:KeyAgreementAlgorithm", "kms:KeyOrigin",
		"kms:KeySpec", "kms:KeyUsage", "kms:MacAlgorithm", "kms:MessageType", "kms:MultiRegion",
		"kms:MultiRegionKeyType", "kms:PrimaryRegion", "kms:ReEncryptOnSameKey", "kms:ReplicaRegion",
		"kms:RequestAlias", "kms:RetiringPrincipal", "kms:RotationPeriodInDays",
		"kms:ScheduleKeyDeletionPendingWindowInDays", "kms:SigningAlgorithm", "kms:ValidTo",
		"kms:WrappingAlgorithm", "kms:WrappingKeySpec")
	add(Multi, Free,
		"aws:PrincipalServiceNamesList", "aws:ResourceOrgPaths", "aws:SourceOrgPaths", "aws:TagKeys",
		"aws:VpceOrgPaths", "kms:GrantOperations", "kms:ResourceAliases")
	return m
}()

// singlePrefixes are key families, one single-valued key per tag or pair.
var singlePrefixes = []string{"kms:encryptioncontext:", "aws:principaltag/", "aws:requesttag/", "aws:resourcetag/", "kms:recipientattestation:"}

// KeyCardinality is the cardinality of a condition key (any case).
func KeyCardinality(key string) Cardinality {
	lk := strings.ToLower(key)
	if i, ok := keyTable[lk]; ok {
		return i.card
	}
	for _, p := range singlePrefixes {
		if strings.HasPrefix(lk, p) {
			return Single
		}
	}
	return Either
}

// Carried reports whether a request to KMS can carry key: a documented
// global or KMS key (or one of their families: tags, encryption context,
// attestation). An undocumented key of the aws: or kms: namespace never is
// (lint reports it as unknown); a key of another service's namespace may be
// (cross-service keys such as ec2:SourceInstanceARN travel with a role's
// credentials).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
func Carried(key string) bool {
	lk := strings.ToLower(key)
	if _, ok := keyTable[lk]; ok {
		return true
	}
	for _, p := range append(singlePrefixes, "aws:tagkeys") {
		if strings.HasPrefix(lk, p) {
			return true
		}
	}
	return !strings.HasPrefix(lk, "aws:") && !strings.HasPrefix(lk, "kms:")
}

// KeySet says whether AWS sets a key from the call (Derived) or it is
// free. The encryption-context keys are derived: they come from the
// request's encryption context (Call.EncryptionContext).
func KeySet(key string) Set {
	lk := strings.ToLower(key)
	if i, ok := keyTable[lk]; ok {
		return i.set
	}
	if strings.HasPrefix(lk, "kms:encryptioncontext:") {
		return Derived
	}
	return Free
}

// ECKey returns the encryption-context key of a kms:EncryptionContext:KEY
// condition key (any case), and whether it is one.
func ECKey(conditionKey string) (string, bool) {
	if len(conditionKey) <= len(ecPrefix) || !strings.EqualFold(conditionKey[:len(ecPrefix)], ecPrefix) {
		return "", false
	}
	return conditionKey[len(ecPrefix):], true
}

// Type is the kind of value AWS puts in a key.
type Type uint8

const (
	// String: any string (the default for keys the model does not know).
	String Type = iota
	// Bool: "true" or "false".
	Bool
	// Number: a number.
	Number
	// IP: an IPv4 or IPv6 address.
	IP
)

// valueTypes are the keys whose values AWS always writes in one form.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
var valueTypes = map[string]Type{
	"aws:multifactorauthpresent": Bool, "aws:assumedroot": Bool, "aws:ismcpserviceaction": Bool,
	"kms:bypasspolicylockoutsafetycheck": Bool, "kms:grantisforawsresource": Bool, "kms:multiregion": Bool,
	"kms:reencryptonsamekey": Bool,
	"aws:multifactorauthage": Number, "kms:rotationperiodindays": Number,
	"kms:schedulekeydeletionpendingwindowindays": Number,
	"aws:sourceip": IP, "aws:vpcsourceip": IP, "aws:ec2instancesourceprivateipv4": IP,
}

// ValueType is the type of a key's values (any case).
func ValueType(key string) Type { return valueTypes[strings.ToLower(key)] }
