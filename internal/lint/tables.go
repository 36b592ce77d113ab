package lint

import (
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/kmsaction"
)

// kmsActionMatches expands an Action pattern against the table. IAM action
// names are case-insensitive and take * and ? wildcards; a pattern of another
// service matches nothing here.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
func kmsActionMatches(pattern string) []string {
	var out []string
	p := strings.ToLower(pattern)
	for i, a := range kmsActionsLower {
		if globMatch(p, a) {
			out = append(out, kmsActionNames[i])
		}
	}
	return out
}

// kmsActionNames and kmsActionsLower are KMS's actions as IAM names,
// computed once: kms_action and allowed_actions run for every statement and
// probe.
var kmsActionNames, kmsActionsLower = func() (names, lower []string) {
	names = kmsaction.Names()
	for _, a := range names {
		lower = append(lower, strings.ToLower(a))
	}
	return names, lower
}()

func globMatch(p, s string) bool {
	px, sx := 0, 0
	star, mark := -1, 0
	for sx < len(s) {
		switch {
		case px < len(p) && (p[px] == '?' || p[px] == s[sx]):
			px++
			sx++
		case px < len(p) && p[px] == '*':
			star, mark = px, sx
			px++
		case star >= 0:
			px = star + 1
			mark++
			sx = mark
		default:
			return false
		}
	}
	for px < len(p) && p[px] == '*' {
		px++
	}
	return px == len(p)
}

type condKey struct {
	multi bool
	kms   bool
}

// conditionKeys are the condition keys a request to KMS can carry: the
// global keys
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
// and the KMS keys
// https://docs.aws.amazon.com/kms/latest/developerguide/policy-conditions.html
// (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
// Names are lower-case: condition key names are case-insensitive.
var conditionKeys = func() map[string]condKey {
	m := map[string]condKey{}
	single := []string{
		"aws:CalledViaFirst", "aws:CalledViaLast", "aws:CurrentTime", "aws:EpochTime",
		"aws:FederatedProvider", "aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent",
		"aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalIsAWSService", "aws:PrincipalOrgID",
		"aws:PrincipalServiceName", "aws:PrincipalType", "aws:RequestedRegion", "aws:ResourceAccount",
		"aws:ResourceOrgID", "aws:SecureTransport", "aws:SourceAccount", "aws:SourceArn",
		"aws:SourceIdentity", "aws:SourceIp", "aws:SourceOrgID", "aws:SourceVpc", "aws:SourceVpce",
		"aws:SourceVpcArn", "aws:TokenIssueTime", "aws:UserAgent", "aws:userid", "aws:username",
		"aws:ViaAWSService", "aws:VpcSourceIp", "aws:Ec2InstanceSourceVpc",
		"aws:Ec2InstanceSourcePrivateIPv4", "aws:Referer", "aws:AssumedRoot", "aws:VpceAccount",
		"aws:VpceOrgID", "aws:IsMcpServiceAction",
	}
	multi := []string{
		"aws:CalledVia", "aws:PrincipalOrgPaths", "aws:PrincipalServiceNamesList",
		"aws:ResourceOrgPaths", "aws:SourceOrgPaths", "aws:TagKeys", "aws:VpceOrgPaths",
	}
	kmsSingle := []string{
		"kms:BypassPolicyLockoutSafetyCheck", "kms:CallerAccount", "kms:CustomerMasterKeySpec",
		"kms:CustomerMasterKeyUsage", "kms:DataKeyPairSpec", "kms:EncryptionAlgorithm",
		"kms:ExpirationModel", "kms:GrantConstraintType", "kms:GrantIsForAWSResource",
		"kms:GranteePrincipal", "kms:KeyAgreementAlgorithm", "kms:KeyOrigin", "kms:KeySpec",
		"kms:KeyUsage", "kms:MacAlgorithm", "kms:MessageType", "kms:MultiRegion",
		"kms:MultiRegionKeyType", "kms:PrimaryRegion", "kms:ReEncryptOnSameKey", "kms:ReplicaRegion",
		"kms:RequestAlias", "kms:RetiringPrincipal", "kms:RotationPeriodInDays",
		"kms:ScheduleKeyDeletionPendingWindowInDays", "kms:SigningAlgorithm", "kms:ValidTo",
		"kms:ViaService", "kms:WrappingAlgorithm", "kms:WrappingKeySpec",
	}
	kmsMulti := []string{"kms:EncryptionContextKeys", "kms:GrantOperations", "kms:ResourceAliases"}
	for _, k := range single {
		m[strings.ToLower(k)] = condKey{}
	}
	for _, k := range multi {
		m[strings.ToLower(k)] = condKey{multi: true}
	}
	for _, k := range kmsSingle {
		m[strings.ToLower(k)] = condKey{kms: true}
	}
	for _, k := range kmsMulti {
		m[strings.ToLower(k)] = condKey{multi: true, kms: true}
	}
	return m
}()

// conditionKeyPrefixes are the keys that take a user-chosen suffix.
var conditionKeyPrefixes = []struct {
	prefix string
	key    condKey
}{
	{"kms:encryptioncontext:", condKey{kms: true}},
	{"kms:recipientattestation:", condKey{kms: true}},
	{"aws:resourcetag/", condKey{}},
	{"aws:requesttag/", condKey{}},
	{"aws:principaltag/", condKey{}},
}

// lookupConditionKey reports whether KMS requests can carry key.
func lookupConditionKey(key string) (condKey, bool) {
	k := strings.ToLower(key)
	if ck, ok := conditionKeys[k]; ok {
		return ck, true
	}
	for _, p := range conditionKeyPrefixes {
		if strings.HasPrefix(k, p.prefix) && len(k) > len(p.prefix) {
			return p.key, true
		}
	}
	return condKey{}, false
}

// operatorTerm is the Rego form of authz.ParseOperator.
func operatorTerm(name string) *ast.Term {
	op := authz.ParseOperator(name)
	set := ""
	switch {
	case op.AnyValue:
		set = "ForAnyValue"
	case op.AllValues:
		set = "ForAllValues"
	}
	return ast.ObjectTerm(
		ast.Item(ast.StringTerm("known"), ast.BooleanTerm(op.Known())),
		ast.Item(ast.StringTerm("base"), ast.StringTerm(op.Base)),
		ast.Item(ast.StringTerm("negated"), ast.BooleanTerm(op.Negated)),
		ast.Item(ast.StringTerm("if_exists"), ast.BooleanTerm(op.IfExists)),
		ast.Item(ast.StringTerm("set"), ast.StringTerm(set)),
		ast.Item(ast.StringTerm("string_equals_family"), ast.BooleanTerm(op.IsStringEqualsFamily())),
		ast.Item(ast.StringTerm("arn"), ast.BooleanTerm(op.IsArn())),
		ast.Item(ast.StringTerm("null"), ast.BooleanTerm(op.IsNull())),
	)
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
