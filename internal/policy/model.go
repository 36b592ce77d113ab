package policy

import "strconv"

// Effect of a statement.
type Effect uint8

const (
	EffectInvalid Effect = iota
	Allow
	Deny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "Invalid"
}

// MaxKeyPolicyBytes is KMS's limit on a key policy document.
// https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html#key-policy-document-size
const MaxKeyPolicyBytes = 32 * 1024

// Policy is a key policy (or an IAM identity policy) after validation.
// A Policy with Problems is still as complete as the input allowed, so that
// lint can report every problem at once; authorization engines must refuse
// to evaluate a policy whose Problems include a KMS001.
type Policy struct {
	Version    string
	VersionPos Pos
	HasVersion bool
	ID         string
	Statements []*Statement
	Pos        Pos // the policy object itself
	// Size is the document's length in bytes as KMS counts it (the JSON text);
	// zero when unknown.
	Size     int
	Problems []Problem
}

// Statement is one statement of a policy.
type Statement struct {
	Index  int // 0-based position in the Statement array
	Pos    Pos
	Sid    string
	HasSid bool
	SidPos Pos
	Effect Effect
	// EffectPos points at the Effect value.
	EffectPos Pos

	// Exactly one of Principal/NotPrincipal is set in a valid key policy
	// statement (identity policies have neither).
	Principal    *Principals
	NotPrincipal *Principals

	// Exactly one of Action/NotAction is set in a valid statement.
	Action    *StringList
	NotAction *StringList

	// Resource/NotResource; key policies normally use "*".
	Resource    *StringList
	NotResource *StringList

	Conditions []Condition
	// ConditionPos points at the Condition object; zero when absent.
	ConditionPos Pos
}

// StringList is an element that takes a string or an array of strings.
type StringList struct {
	Values []string
	Pos    []Pos // position of each value, parallel to Values
	At     Pos   // position of the element's value
}

// Principals is a Principal or NotPrincipal element.
type Principals struct {
	// Wildcard is true for "Principal": "*" and for {"AWS": "*"} entries.
	Wildcard bool
	Entries  []PrincipalEntry
	At       Pos
}

// PrincipalType is the key of a principal map.
type PrincipalType string

const (
	PrincipalAWS           PrincipalType = "AWS"
	PrincipalService       PrincipalType = "Service"
	PrincipalFederated     PrincipalType = "Federated"
	PrincipalCanonicalUser PrincipalType = "CanonicalUser"
)

// PrincipalEntry is one principal value, e.g. {"AWS": "arn:aws:iam::111122223333:root"}.
type PrincipalEntry struct {
	Type  PrincipalType
	Value string
	Pos   Pos
}

// Condition is one operator/key pair of a Condition block with its values.
// Values are kept as strings; Kinds records how each was written, because
// some checks care ("Bool": true vs "Bool": "true" are equivalent, but a
// number under StringEquals is worth a warning).
type Condition struct {
	Operator    string // as written, e.g. "ForAnyValue:StringLikeIfExists"
	OperatorPos Pos
	Key         string // as written, e.g. "kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn"
	KeyPos      Pos
	Values      []string
	ValuePos    []Pos
	Kinds       []Kind
}

// Problem is a grammar or size violation found while building a Policy.
type Problem struct {
	Rule    string // "KMS001" (invalid) or "KMS002" (too large)
	Pos     Pos
	Message string
	// Statement is the 0-based statement index the problem is in, or -1.
	Statement int
}

// Valid reports whether the policy has no KMS001 problem, i.e. whether AWS
// would accept it at all.
func (p *Policy) Valid() bool {
	for _, pr := range p.Problems {
		if pr.Rule == "KMS001" {
			return false
		}
	}
	return true
}

// Label names a statement for humans: its Sid, or "Statement[i]".
func (s *Statement) Label() string {
	if s.HasSid && s.Sid != "" {
		return s.Sid
	}
	return "Statement[" + strconv.Itoa(s.Index) + "]"
}
