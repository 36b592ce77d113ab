// Package profile describes, as data, each Amazon Bedrock AgentCore feature
// that encrypts with a customer managed key: the resource it encrypts (ARN
// shape), the encryption-context key the feature puts on its KMS calls, and
// each leg of its workflow (who calls KMS, with which actions, directly,
// through a forward access session, through Amazon S3 or through a grant,
// and which condition keys AWS sets on that call). Every fact carries the
// AWS page it comes from and whether the page says it ([D]) or we infer it
// ([I]) or only public code reports it ([F]); see research/agentcore-cmk.md.
//
// From a profile the package derives the concrete KMS requests of the
// workflow (which a key policy must allow) and adversarial variants (which
// it must not), and checks a key policy against both with internal/authz
// (Check). The recommendation profile derives exactly the requests
// internal/agentcore models (TestRecommendationMatchesAgentcore), so rules
// written over any profile keep the recommendation behaviour.
package profile

import (
	"slices"
	"strings"
)

// Recommendation is the recommendation profile's name, lint's default.
const Recommendation = "agentcore-recommendation"

// Tag says how sure a fact is.
type Tag string

const (
	// Documented: AWS documentation says it.
	Documented Tag = "D"
	// Inferred: kmslint's reading where the documentation is silent or
	// ambiguous; the reading that fails safe.
	Inferred Tag = "I"
	// Field: reported by public code, not by AWS documentation.
	Field Tag = "F"
)

// Fact is a cited statement.
type Fact struct {
	Tag Tag
	URL string
	// Note says what the page says, or why we infer it.
	Note string
}

// Who names the kind of principal that makes a leg's KMS call.
type Who uint8

const (
	// Caller: the IAM role or user that calls the feature's API; the
	// service calls KMS with the caller's identity (a forward access
	// session): kms:ViaService and aws:CalledVia are set, aws:SourceAccount
	// and aws:SourceArn are not.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html
	Caller Who = iota
	// Service: the service principal calling with its own identity.
	Service
	// ServiceViaS3: the service principal's request to Amazon S3, which
	// calls KMS for SSE-KMS on its behalf.
	ServiceViaS3
	// ExecutionRole: a role the user gives the feature; the service assumes
	// it and calls KMS with the role's session (Leg.ViaService says whether
	// through the service, with kms:ViaService, or directly).
	ExecutionRole
	// Grantee: the service using a grant another leg created; a grant, not
	// the key policy, authorizes these calls.
	// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
	Grantee
)

func (w Who) String() string {
	return [...]string{"caller", "service", "service-via-s3", "execution-role", "grantee"}[w]
}

// Grant is what a CreateGrant leg asks for.
type Grant struct {
	// Operations are the grant's operations (kms:GrantOperations).
	Operations []string
	// ConstraintType is kms:GrantConstraintType: EncryptionContextSubset or
	// EncryptionContextEquals; the constraint names the feature's resource.
	ConstraintType string
}

// Leg is one KMS call of a feature's workflow.
type Leg struct {
	// Name says what the workflow does; with several actions, each request
	// is named "Name (Action)".
	Name    string
	Who     Who
	Actions []string
	// ViaService is the service prefix of kms:ViaService
	// ("bedrock-agentcore" gives bedrock-agentcore.REGION.amazonaws.com);
	// empty: the call carries no kms:ViaService.
	ViaService string
	// EncryptionContext: the call carries the feature's encryption-context
	// pair naming the resource (for CreateGrant: the grant's constraint).
	EncryptionContext bool
	// SourceKeys: a service-principal call carries aws:SourceAccount and
	// aws:SourceArn naming the resource.
	SourceKeys bool
	// Grant is set on CreateGrant legs.
	Grant *Grant
	// Optional legs happen only sometimes (a key change); they are still
	// required to be allowed, since the feature fails without them.
	When string
	// InvokedBy is CloudTrail's userIdentity.invokedBy on the leg's events.
	InvokedBy string
	Facts     []Fact
}

// Decision records how kmslint reads a doc that is ambiguous or
// contradicts itself.
type Decision struct {
	About   string
	Reading string
	Facts   []Fact
}

// Profile is one feature.
type Profile struct {
	// Name is the --profile value; Aliases are accepted too.
	Name    string
	Aliases []string
	Title   string
	// Noun is what the messages call one resource ("recommendation").
	Noun string
	// API is the operation that takes the key.
	API string
	// Service is the service principal; ARNService the ARN's service field.
	Service    string
	ARNService string
	// ResourceType is the ARN's resource type: arn:P:ARNService:R:A:ResourceType/ID.
	ResourceType string
	// ContextKey is the encryption-context key whose value is the
	// resource's ARN.
	ContextKey string
	// SampleID is a resource id in the documented shape.
	SampleID string
	// Doc is the feature's encryption page.
	Doc       string
	Legs      []Leg
	Decisions []Decision
	// Notes are facts the explain text gives that no leg carries.
	Notes []Fact
}

// ConditionKey is the key-policy condition key of the encryption context.
func (p *Profile) ConditionKey() string { return "kms:EncryptionContext:" + p.ContextKey }

// Needs reports whether the workflow has principals of kind w.
func (p *Profile) Needs(w Who) bool {
	return slices.ContainsFunc(p.Legs, func(l Leg) bool { return l.Who == w })
}

// GrantOperations is the union of the operations the feature's grants ask
// for, in first-seen order.
func (p *Profile) GrantOperations() []string {
	var out []string
	for _, l := range p.Legs {
		if l.Grant == nil {
			continue
		}
		for _, op := range l.Grant.Operations {
			if !slices.Contains(out, op) {
				out = append(out, op)
			}
		}
	}
	return out
}

// Lookup finds a profile by name or alias (case-insensitive).
func Lookup(name string) (*Profile, bool) {
	for _, p := range All() {
		if strings.EqualFold(p.Name, name) || slices.ContainsFunc(p.Aliases, func(a string) bool { return strings.EqualFold(a, name) }) {
			return p, true
		}
	}
	return nil, false
}

// Names are the profiles' names, in catalogue order.
func Names() []string {
	var out []string
	for _, p := range All() {
		out = append(out, p.Name)
	}
	return out
}
