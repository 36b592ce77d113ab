// Package agentcore is the request model of the agentcore-recommendation
// profile: the KMS requests Amazon Bedrock AgentCore makes for a
// recommendation encrypted with a customer managed key, as the seed
// document and DESIGN.md describe them. The linter asks the authorization
// engine these requests (and adversarial variants), the simulator makes
// them for real against the fake KMS, and the auditor compares trails with
// them, so all three agree on what "the workflow" is.
package agentcore

import (
	"fmt"
	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/partition"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/world"
)

const (
	// ServicePrincipal is the AgentCore service principal.
	ServicePrincipal = "bedrock-agentcore.amazonaws.com"
	// ContextKey is the encryption context key on every recommendation KMS call.
	ContextKey = "aws:bedrock-agentcore:recommendationArn"
	// ConditionKey is the key-policy condition key for it.
	ConditionKey = "kms:EncryptionContext:" + ContextKey
	// SampleID is a recommendation id in the documented shape.
	SampleID = "MyPromptRec-AB1CD2EF3G"
	// ForeignAccount is the "other account" of adversarial probes.
	ForeignAccount = "444455556666"
	// alternateForeignAccount stands in for ForeignAccount when that is the
	// environment's own account.
	alternateForeignAccount = "999988887777"
)

var recommendationIDPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]{0,47}-[0-9A-Z]{10}$`)

// ValidRecommendationID reports whether id looks like `<name>-<10 of [0-9A-Z]>`.
func ValidRecommendationID(id string) bool { return recommendationIDPattern.MatchString(id) }

// RecommendationARN builds arn:<partition>:bedrock-agentcore:R:A:recommendation/<id>.
func RecommendationARN(partition, region, account, id string) string {
	if partition == "" {
		partition = PartitionOf(region)
	}
	return fmt.Sprintf("arn:%s:bedrock-agentcore:%s:%s:recommendation/%s", partition, region, account, id)
}

// ParseRecommendationARN splits a recommendation ARN; ok is false for
// anything else.
func ParseRecommendationARN(s string) (partition, region, account, id string, ok bool) {
	a, ok := arn.Parse(s)
	if !ok || a.Service != "bedrock-agentcore" {
		return "", "", "", "", false
	}
	id, found := strings.CutPrefix(a.Resource, "recommendation/")
	if !found || id == "" || strings.Contains(id, "/") {
		return "", "", "", "", false
	}
	return a.Partition, a.Region, a.AccountID, id, true
}

// PartitionOf returns the partition of a region.
func PartitionOf(region string) string { return partition.Of(region) }

// ViaService is the kms:ViaService value for AgentCore in a region:
// "<service-prefix>.<region>.amazonaws.com".
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
func ViaService(region string) string {
	return "bedrock-agentcore." + region + ".amazonaws.com"
}

// Env is where the recommendations live.
type Env struct {
	Account string
	Region  string
	// KeyARN of the customer managed key; a placeholder in the account and
	// region when empty.
	KeyARN string
	// OtherAccounts and OtherRegions are accounts and regions the key
	// policy names besides Account and Region. The probes try
	// recommendations there too: a condition that lists a second account
	// or region admits its recommendations, and a fixed "foreign" value
	// would never find that.
	OtherAccounts []string
	OtherRegions  []string
	// Now, when set, is the time of the requests: every request carries
	// aws:CurrentTime and aws:EpochTime, so a policy that grants only until
	// a date is decided as AWS would at that time.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-currenttime
	Now time.Time
	// CallerKeys are values of keys that describe the caller and that a
	// key policy cannot reveal (aws:PrincipalOrgID, aws:PrincipalOrgPaths,
	// aws:PrincipalTag/..., aws:ResourceOrgID): the workflow's callers are
	// taken to carry them (lint's --org, or what the policy's perimeter
	// demands). aws:PrincipalOrgPaths, and a value with "\x00" between
	// parts, are multivalued.
	CallerKeys map[string]string
}

// Foreign is the account of the adversarial probes when the policy names no
// other: ForeignAccount, or another when that is the environment's own.
func (e Env) Foreign() string {
	if e.Account == ForeignAccount {
		return alternateForeignAccount
	}
	return ForeignAccount
}

// foreignAccounts are the accounts the probes act for: Foreign and every
// other account the policy names, without repeats.
func (e Env) foreignAccounts() []string {
	return distinct(append([]string{e.Foreign()}, e.OtherAccounts...), e.Account)
}

// ForeignAccounts are the accounts the adversarial probes act for: Foreign
// and every other account the policy names, without repeats
// (internal/profile derives every feature's probes from them).
func (e Env) ForeignAccounts() []string { return e.foreignAccounts() }

// ForeignRegions are the regions of the other-region probes, likewise.
func (e Env) ForeignRegions() []string { return e.foreignRegions() }

// foreignRegions are the regions of the other-region probes, likewise.
func (e Env) foreignRegions() []string {
	return distinct(append([]string{otherRegion(e.Region)}, e.OtherRegions...), e.Region)
}

// distinct drops empty values, repeats and own, keeping the order.
func distinct(vs []string, own string) []string {
	out := vs[:0:0]
	for _, v := range vs {
		if v != "" && v != own && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Key returns the key ARN, or a placeholder key of the account.
func (e Env) Key() string {
	if e.KeyARN != "" {
		return e.KeyARN
	}
	return fmt.Sprintf("arn:%s:kms:%s:%s:key/00000000-0000-0000-0000-000000000000", PartitionOf(e.Region), e.Region, e.Account)
}

// Step names a request of the workflow.
type Step string

const (
	StepDescribeKey      Step = "StartRecommendation: validate key (DescribeKey as the caller through the service)"
	StepDryRunGenerate   Step = "StartRecommendation: dry-run GenerateDataKey as the caller"
	StepDryRunDecrypt    Step = "StartRecommendation: dry-run Decrypt as the caller"
	StepEncryptConfig    Step = "StartRecommendation: encrypt configuration (GenerateDataKey as the caller)"
	StepWorkflowDecrypt  Step = "workflow: read configuration (Decrypt as the service principal)"
	StepWorkflowGenerate Step = "workflow: write result (GenerateDataKey as the service principal)"
	StepGetDecrypt       Step = "GetRecommendation: Decrypt as the caller"
)

// Request is a named KMS request of the model.
type Request struct {
	Step    Step
	Request authz.Request
}

// FASContext is the context of a request the service makes with the
// caller's identity (a forward access session):
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html
// and the aws:ViaAWSService / aws:CalledVia keys of
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
func FASContext(env Env, caller authz.Principal) *authz.Context {
	c := baseContext(env)
	c.Set("aws:ViaAWSService", "true")
	c.SetMulti("aws:CalledVia", ServicePrincipal)
	c.Set("aws:CalledViaFirst", ServicePrincipal)
	c.Set("aws:CalledViaLast", ServicePrincipal)
	c.Set("kms:ViaService", ViaService(env.Region))
	setIdentity(c, caller)
	c.Set("aws:PrincipalType", world.PrincipalType(caller.Kind))
	setCallerKeys(c, env)
	return c
}

// DirectContext is the context of a call a principal makes itself, not
// through a service (aws:ViaAWSService false).
func DirectContext(env Env, caller authz.Principal) *authz.Context {
	c := baseContext(env)
	c.Set("aws:ViaAWSService", "false")
	setIdentity(c, caller)
	setCallerKeys(c, env)
	return c
}

// setCallerKeys adds env.CallerKeys to a caller's request.
func setCallerKeys(c *authz.Context, env Env) {
	for _, k := range slices.Sorted(maps.Keys(env.CallerKeys)) {
		v := env.CallerKeys[k]
		if strings.Contains(v, "\x00") || strings.EqualFold(k, "aws:PrincipalOrgPaths") {
			c.SetMulti(k, strings.Split(v, "\x00")...)
		} else {
			c.Set(k, v)
		}
	}
}

// setIdentity sets the keys that name an IAM principal making a request.
func setIdentity(c *authz.Context, p authz.Principal) {
	if p.Account != "" {
		c.Set("kms:CallerAccount", p.Account)
		c.Set("aws:PrincipalAccount", p.Account)
	}
	if arn := world.PrincipalArn(p); arn != "" {
		c.Set("aws:PrincipalArn", arn)
	}
	c.Set("aws:PrincipalIsAWSService", "false")
}

// ServiceContext is the context of the service principal's own requests,
// with the confused-deputy keys set to the recommendation.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
func ServiceContext(env Env, sourceAccount, sourceArn string) *authz.Context {
	c := baseContext(env)
	c.Set("aws:PrincipalIsAWSService", "true")
	// aws:ViaAWSService is in the request context for most services, and
	// true only when a service uses an IAM principal's credentials (FAS);
	// a service principal calling with its own identity carries false.
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-viaawsservice
	c.Set("aws:ViaAWSService", "false")
	c.Set("aws:PrincipalServiceName", ServicePrincipal)
	if sourceAccount != "" {
		c.Set("aws:SourceAccount", sourceAccount)
	}
	if sourceArn != "" {
		c.Set("aws:SourceArn", sourceArn)
	}
	return c
}

func baseContext(env Env) *authz.Context {
	// Room for the FAS or service keys and an encryption context without
	// growing: profiles build thousands of these.
	c := authz.NewContextSize(20)
	c.Set("aws:SecureTransport", "true")
	c.Set("aws:RequestedRegion", env.Region)
	SetTime(c, env.Now)
	return c
}

// SetTime sets aws:CurrentTime and aws:EpochTime to t; a zero t sets
// nothing.
func SetTime(c *authz.Context, t time.Time) {
	if t.IsZero() {
		return
	}
	c.Set("aws:CurrentTime", t.UTC().Format(time.RFC3339))
	c.Set("aws:EpochTime", strconv.FormatInt(t.Unix(), 10))
}

// WithEncryptionContext adds the KMS encryption-context keys for one
// recommendation ARN (empty: no encryption context at all).
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context
func WithEncryptionContext(c *authz.Context, recARN string) *authz.Context {
	if recARN == "" {
		c.SetMulti("kms:EncryptionContextKeys")
		return c
	}
	c.SetMulti("kms:EncryptionContextKeys", ContextKey)
	c.Set(ConditionKey, recARN)
	return c
}

// CallerSession turns a role ARN into the assumed-role session that really
// makes requests (a role never signs a request itself); users and sessions
// are returned as they are.
func CallerSession(p authz.Principal, session string) authz.Principal {
	if p.Kind != authz.IAMRole {
		return p
	}
	s, err := authz.ParsePrincipal(fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s", p.Partition, p.Account, p.RoleName, session))
	if err != nil {
		return p
	}
	s.RolePath = p.RolePath
	return s
}

// CallerRequests are the caller's requests for one recommendation, in order.
func CallerRequests(env Env, caller authz.Principal, recARN string) []Request {
	key := env.Key()
	mk := func(step Step, action string, withEC bool) Request {
		c := FASContext(env, caller)
		if withEC {
			WithEncryptionContext(c, recARN)
		}
		return Request{Step: step, Request: authz.Request{Principal: caller, Action: action, Resource: key, Context: c}}
	}
	return []Request{
		mk(StepDescribeKey, "kms:DescribeKey", false),
		mk(StepDryRunGenerate, "kms:GenerateDataKey", true),
		mk(StepDryRunDecrypt, "kms:Decrypt", true),
		mk(StepEncryptConfig, "kms:GenerateDataKey", true),
		mk(StepGetDecrypt, "kms:Decrypt", true),
	}
}

// ServiceRequests are the asynchronous workflow's requests.
func ServiceRequests(env Env, recARN string) []Request {
	key := env.Key()
	svc := authz.Principal{Kind: authz.ServicePrincipal, ARN: ServicePrincipal}
	mk := func(step Step, action string) Request {
		c := WithEncryptionContext(ServiceContext(env, env.Account, recARN), recARN)
		return Request{Step: step, Request: authz.Request{Principal: svc, Action: action, Resource: key, Context: c}}
	}
	return []Request{
		mk(StepWorkflowDecrypt, "kms:Decrypt"),
		mk(StepWorkflowGenerate, "kms:GenerateDataKey"),
	}
}

// Probe is an adversarial request: the workflow must NOT be able to make it.
type Probe struct {
	ID      string // stable id, e.g. "service-foreign-account"
	About   string // what it tries, for messages
	Family  string // "caller-context", "service-deputy", "service-scope"
	Request authz.Request
}

// CallerProbes are requests a caller must not be able to make (ACR004):
// data keys without the recommendation context, or for another account's or
// region's recommendation.
func CallerProbes(env Env, caller authz.Principal) []Probe {
	key := env.Key()
	type probe struct{ id, about, rec string }
	var out []Probe
	for _, action := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
		verb := strings.TrimPrefix(action, "kms:")
		ps := []probe{{"no-context", verb + " with no encryption context", ""}}
		// The first foreign account and region keep the plain ids; the
		// ones the policy names get theirs as a suffix.
		for i, a := range env.foreignAccounts() {
			ps = append(ps, probe{suffixed("foreign-account", a, i), verb + " for a recommendation of account " + a, RecommendationARN("", env.Region, a, SampleID)})
		}
		for i, r := range env.foreignRegions() {
			ps = append(ps, probe{suffixed("foreign-region", r, i), verb + " for a recommendation in " + r, RecommendationARN("", r, env.Account, SampleID)})
		}
		ps = append(ps, probe{"other-resource", verb + " with the context naming a non-recommendation resource", fmt.Sprintf("arn:%s:bedrock-agentcore:%s:%s:runtime/other", PartitionOf(env.Region), env.Region, env.Account)})
		for _, p := range ps {
			c := WithEncryptionContext(FASContext(env, caller), p.rec)
			if p.rec == "" {
				c.Delete("kms:EncryptionContextKeys")
			}
			out = append(out, Probe{ID: "caller-" + p.id, About: p.about, Family: "caller-context",
				Request: authz.Request{Principal: caller, Action: action, Resource: key, Context: c}})
		}
	}
	return out
}

// ServiceProbes are the service principal's requests on behalf of someone
// else (ACR006: confused deputy) and with one scoping key missing (ACR007).
// AWS sets aws:SourceAccount and aws:SourceArn on service-principal requests
// made for a resource; a policy must pin both to this account's
// recommendations.
func ServiceProbes(env Env) []Probe {
	key := env.Key()
	own := RecommendationARN("", env.Region, env.Account, SampleID)
	nonRec := fmt.Sprintf("arn:%s:bedrock-agentcore:%s:%s:runtime/other-AB1CD2EF3G", PartitionOf(env.Region), env.Region, env.Account)
	svc := authz.Principal{Kind: authz.ServicePrincipal, ARN: ServicePrincipal}
	type probe struct{ id, about, family, acct, arn, ec string }
	var out []Probe
	for _, action := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
		verb := strings.TrimPrefix(action, "kms:")
		var ps []probe
		for i, a := range env.foreignAccounts() {
			foreign := RecommendationARN("", env.Region, a, SampleID)
			ps = append(ps,
				probe{suffixed("foreign-account", a, i), verb + " for a recommendation of account " + a, "service-deputy", a, foreign, foreign},
				probe{suffixed("foreign-account-no-arn", a, i), verb + " with aws:SourceAccount " + a + " and no aws:SourceArn", "service-deputy", a, "", foreign},
				probe{suffixed("foreign-arn-no-account", a, i), verb + " with aws:SourceArn of account " + a + " and no aws:SourceAccount", "service-deputy", "", foreign, foreign},
			)
		}
		ps = append(ps,
			probe{"non-recommendation-arn", verb + " for a non-recommendation resource of this account", "service-deputy", env.Account, nonRec, own},
			probe{"no-source-keys", verb + " with neither aws:SourceAccount nor aws:SourceArn", "service-deputy", "", "", own},
			probe{"no-source-arn", verb + " with aws:SourceAccount " + env.Account + " but no aws:SourceArn", "service-scope", env.Account, "", own},
			probe{"no-source-account", verb + " with a recommendation aws:SourceArn but no aws:SourceAccount", "service-scope", "", own, own},
		)
		for _, p := range ps {
			c := WithEncryptionContext(ServiceContext(env, p.acct, p.arn), p.ec)
			out = append(out, Probe{ID: "service-" + p.id, About: p.about, Family: p.family,
				Request: authz.Request{Principal: svc, Action: action, Resource: key, Context: c}})
		}
	}
	return out
}

// suffixed is id for the first of a list of probes, id-value for the rest.
func suffixed(id, value string, i int) string {
	if i == 0 {
		return id
	}
	return id + "-" + value
}

// Needed reports whether the workflow uses action on the key
// (case-insensitive): DescribeKey, GenerateDataKey and Decrypt only.
func Needed(action string) bool {
	switch strings.ToLower(action) {
	case "kms:describekey", "kms:generatedatakey", "kms:decrypt":
		return true
	}
	return false
}

// otherRegion is a region of the same partition as region: a probe for a
// recommendation in another region must be one the partition's patterns
// (arn:aws-cn:..., arn:aws-us-gov:...) can match.
func otherRegion(region string) string {
	var pair [2]string
	switch PartitionOf(region) {
	case "aws-cn":
		pair = [2]string{"cn-northwest-1", "cn-north-1"}
	case "aws-us-gov":
		pair = [2]string{"us-gov-east-1", "us-gov-west-1"}
	case "aws-iso":
		pair = [2]string{"us-iso-west-1", "us-iso-east-1"}
	case "aws-iso-b":
		pair = [2]string{"us-isob-west-1", "us-isob-east-1"}
	default:
		pair = [2]string{"us-west-2", "us-east-1"}
	}
	if region == pair[0] {
		return pair[1]
	}
	return pair[0]
}
