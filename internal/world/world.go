// Package world is kmslint's model of the request context AWS builds for a
// call to AWS KMS: which condition keys a call carries, which of them AWS
// sets from the caller's identity or the way the call was made, and which
// values they take together. The prover (internal/prove) reasons over the
// requests this model admits, and builds every counterexample with Context,
// so a counterexample is always a request AWS could send; the request model
// (internal/agentcore) and the fake KMS (simulator/kms) can build their
// contexts with the same function, so the three cannot drift apart.
//
// The facts, with their sources:
//
//   - Who calls KMS. IAM users, assumed-role sessions (a role never signs a
//     request itself: it is assumed, and its session calls), federated-user
//     sessions, the account root user, and AWS service principals calling
//     with their own identity. Web-identity and SAML federation yield
//     assumed-role sessions; canonical users are Amazon S3's. An anonymous
//     caller is modelled for completeness (Principal "*" admits it).
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
//   - Partitions are separate: a principal of one partition never calls a
//     key of another, so the caller's partition is the key's.
//     https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html
//   - kms:CallerAccount and aws:PrincipalAccount are the caller's account,
//     aws:PrincipalArn its ARN (a session's is its role's ARN, path
//     included), aws:PrincipalType its type, aws:userid its unique id (the
//     account for the root user, ROLEID:session for a session, ACCOUNT:name
//     for a federated user), aws:username the IAM user's name (users only).
//     A service principal has none of them.
//     https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-caller-account
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-userid
//   - aws:PrincipalIsAWSService is true exactly for a service principal's own
//     call, which also carries aws:PrincipalServiceName; it is false for every
//     signed call of an IAM principal, through a service or not.
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalisawsservice
//   - A forward access session (FAS): a service calls KMS with the caller's
//     identity. aws:ViaAWSService is true then, false on a direct call and
//     on a service principal's own call; kms:ViaService names the service
//     ("SERVICE.REGION.amazonaws.com") only under FAS; aws:CalledVia (the
//     chain, for the services that report it), aws:CalledViaFirst and
//     aws:CalledViaLast appear only under FAS, first and last being members
//     of the chain.
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-calledvia
//     https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
//   - aws:SourceAccount and aws:SourceArn appear only when a service
//     principal calls directly on behalf of a resource (never under FAS);
//     aws:SourceAccount is the account in aws:SourceArn when that ARN has one
//     (an S3 bucket's does not).
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
//   - aws:PrincipalOrgID (and aws:PrincipalOrgPaths) appear only when the
//     caller's account is in an organization; which organization is not
//     something kmslint knows, so any value (or none) is possible unless the
//     question fixes it.
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
//   - The encryption context: kms:EncryptionContext:KEY for each pair and
//     kms:EncryptionContextKeys listing the keys, only on the operations that
//     take an encryption context. Whether a call without one carries an
//     empty kms:EncryptionContextKeys or none is not documented; both are
//     admitted.
//     https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context-keys
//   - aws:SecureTransport is true (KMS endpoints are HTTPS only),
//     aws:RequestedRegion is the key's region (a key is used through its own
//     region's endpoint), aws:CurrentTime and aws:EpochTime are the same
//     instant.
//     https://docs.aws.amazon.com/kms/latest/developerguide/data-protection.html
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-requestedregion
//
// Every other key is the caller's choice or a fact kmslint does not know
// (tags, source IP and VPC, the key's own properties): any value, or none.
package world

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/authz"
)

// Via says how a call reaches KMS.
type Via uint8

const (
	// Direct: the principal calls KMS itself (an IAM principal with its own
	// credentials, or a service principal with its own identity).
	Direct Via = iota
	// FAS: a service calls KMS with an IAM principal's identity (a forward
	// access session).
	FAS
)

func (v Via) String() string {
	if v == FAS {
		return "fas"
	}
	return "direct"
}

// Pair is one encryption-context pair.
type Pair struct{ Key, Value string }

// KV is one free condition key and its value.
type KV struct {
	Key   string
	Value authz.Value
}

// Call is what a KMS request's context is built from: who calls, how, and
// what the caller (or the service acting for it) chose.
type Call struct {
	Principal authz.Principal
	// Key is the ARN of the KMS key the call is on.
	Key    string
	Action string
	Via    Via
	// ViaService is kms:ViaService under FAS, e.g. "s3.us-east-1.amazonaws.com".
	ViaService string
	// CalledVia is the aws:CalledVia chain under FAS; nil when the service
	// does not report it. CalledViaFirst and CalledViaLast are its first and
	// last services; empty means the chain's own first and last element.
	CalledVia                     []string
	CalledViaFirst, CalledViaLast string
	// UserID is the unique-id part of aws:userid: the IAM user's id, or the
	// role id of a session (AROA...).
	UserID string
	// OrgID and OrgPaths: the caller account's organization, "" and nil
	// when it is in none.
	OrgID    string
	OrgPaths []string
	// SourceAccount and SourceArn: the resource a service principal acts
	// for; "" when the service does not send the key.
	SourceAccount, SourceArn string
	// EncryptionContext is the request's encryption context, in order.
	// EmptyKeys decides, when it is empty, whether kms:EncryptionContextKeys
	// is present and empty (true) or absent.
	EncryptionContext []Pair
	EmptyKeys         bool
	// Time is the time of the request. AWS always sends aws:CurrentTime
	// and aws:EpochTime; zero leaves them out, for callers that know no
	// condition reads them (a request is shorter to show without).
	Time time.Time
	// Extra holds the other keys: the caller's choices and facts kmslint
	// does not know.
	Extra []KV
}

// Kinds are the principal kinds that call KMS, in the order the prover
// tries them.
var Kinds = []authz.PrincipalKind{authz.AssumedRole, authz.IAMUser, authz.AccountRoot, authz.FederatedUser, authz.ServicePrincipal, authz.Anonymous}

// Admits reports whether a principal of kind k calls KMS.
func Admits(k authz.PrincipalKind) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// IAM reports kinds with an account and IAM identity (not a service, not
// anonymous).
func IAM(k authz.PrincipalKind) bool {
	switch k {
	case authz.AccountRoot, authz.IAMUser, authz.AssumedRole, authz.FederatedUser:
		return true
	}
	return false
}

// takesEC are the operations that take an encryption context.
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context
var takesEC = map[string]bool{
	"kms:encrypt": true, "kms:decrypt": true, "kms:reencryptfrom": true, "kms:reencryptto": true,
	"kms:generatedatakey": true, "kms:generatedatakeywithoutplaintext": true,
	"kms:generatedatakeypair": true, "kms:generatedatakeypairwithoutplaintext": true,
	"kms:creategrant": true,
}

// TakesEncryptionContext reports whether a request for action carries the
// encryption-context keys.
func TakesEncryptionContext(action string) bool { return takesEC[strings.ToLower(action)] }

// Region is the region of a key ARN ("" when it is not an ARN).
func Region(keyARN string) string { a, _ := arn.Parse(keyARN); return a.Region }

// Partition is the partition of a key ARN.
func Partition(keyARN string) string { a, _ := arn.Parse(keyARN); return a.Partition }

// Account is the account of a key ARN.
func Account(keyARN string) string { a, _ := arn.Parse(keyARN); return a.AccountID }

// PrincipalArn is aws:PrincipalArn of an IAM principal: a session's role ARN
// (path included), otherwise the principal's own ARN.
func PrincipalArn(p authz.Principal) string {
	if p.Kind != authz.AssumedRole {
		return p.ARN
	}
	path := p.RolePath
	if path == "" {
		path = "/"
	}
	return "arn:" + p.Partition + ":iam::" + p.Account + ":role" + path + p.RoleName
}

// PrincipalType is aws:PrincipalType of an IAM principal.
func PrincipalType(k authz.PrincipalKind) string {
	switch k {
	case authz.AssumedRole:
		return "AssumedRole"
	case authz.IAMUser:
		return "User"
	case authz.AccountRoot:
		return "Account"
	case authz.FederatedUser:
		return "FederatedUser"
	}
	return ""
}

// SessionName is the session part of an assumed-role ARN.
func SessionName(p authz.Principal) string {
	if p.Kind != authz.AssumedRole {
		return ""
	}
	if i := strings.LastIndexByte(p.ARN, '/'); i >= 0 {
		return p.ARN[i+1:]
	}
	return ""
}

// UserID is aws:userid for p, with uid the unique id of a user or role.
func UserID(p authz.Principal, uid string) string {
	switch p.Kind {
	case authz.AccountRoot:
		return p.Account
	case authz.IAMUser:
		return uid
	case authz.AssumedRole:
		return uid + ":" + SessionName(p)
	case authz.FederatedUser:
		return p.Account + ":" + p.UserName
	}
	return ""
}

// Context builds the request context of c.
func Context(c Call) *authz.Context {
	ctx := authz.NewContextSize(16 + len(c.Extra) + len(c.EncryptionContext))
	p := c.Principal
	ctx.Set("aws:SecureTransport", "true")
	if r := Region(c.Key); r != "" {
		ctx.Set("aws:RequestedRegion", r)
	}
	if !c.Time.IsZero() {
		ctx.Set("aws:CurrentTime", c.Time.UTC().Format(time.RFC3339))
		ctx.Set("aws:EpochTime", strconv.FormatInt(c.Time.Unix(), 10))
	}
	switch {
	case IAM(p.Kind):
		ctx.Set("kms:CallerAccount", p.Account)
		ctx.Set("aws:PrincipalAccount", p.Account)
		ctx.Set("aws:PrincipalArn", PrincipalArn(p))
		ctx.Set("aws:PrincipalType", PrincipalType(p.Kind))
		ctx.Set("aws:userid", UserID(p, c.UserID))
		if p.Kind == authz.IAMUser {
			ctx.Set("aws:username", p.UserName)
		}
		ctx.Set("aws:PrincipalIsAWSService", "false")
		if c.OrgID != "" {
			ctx.Set("aws:PrincipalOrgID", c.OrgID)
			if c.OrgPaths != nil {
				ctx.SetMulti("aws:PrincipalOrgPaths", c.OrgPaths...)
			}
		}
		if c.Via == FAS {
			ctx.Set("aws:ViaAWSService", "true")
			ctx.Set("kms:ViaService", c.ViaService)
			if c.CalledVia != nil {
				ctx.SetMulti("aws:CalledVia", c.CalledVia...)
				first, last := c.CalledViaFirst, c.CalledViaLast
				if first == "" && len(c.CalledVia) > 0 {
					first = c.CalledVia[0]
				}
				if last == "" && len(c.CalledVia) > 0 {
					last = c.CalledVia[len(c.CalledVia)-1]
				}
				ctx.Set("aws:CalledViaFirst", first)
				ctx.Set("aws:CalledViaLast", last)
			}
		} else {
			ctx.Set("aws:ViaAWSService", "false")
		}
	case p.Kind == authz.ServicePrincipal:
		ctx.Set("aws:PrincipalIsAWSService", "true")
		ctx.Set("aws:PrincipalServiceName", p.ARN)
		ctx.Set("aws:ViaAWSService", "false")
		if c.SourceAccount != "" {
			ctx.Set("aws:SourceAccount", c.SourceAccount)
		}
		if c.SourceArn != "" {
			ctx.Set("aws:SourceArn", c.SourceArn)
		}
	default:
		ctx.Set("aws:ViaAWSService", "false")
	}
	if TakesEncryptionContext(c.Action) {
		keys := make([]string, 0, len(c.EncryptionContext))
		for _, kv := range c.EncryptionContext {
			ctx.Set("kms:EncryptionContext:"+kv.Key, kv.Value)
			keys = append(keys, kv.Key)
		}
		if len(keys) > 0 || c.EmptyKeys {
			ctx.SetMulti("kms:EncryptionContextKeys", keys...)
		}
	}
	for _, kv := range c.Extra {
		if kv.Value.Multi {
			ctx.SetMulti(kv.Key, kv.Value.Values...)
		} else if len(kv.Value.Values) == 1 {
			ctx.Set(kv.Key, kv.Value.Values[0])
		}
	}
	return ctx
}

// Request is the request of c.
func Request(c Call) *authz.Request {
	return &authz.Request{Principal: c.Principal, Action: c.Action, Resource: c.Key, Context: Context(c)}
}

// Check reports the first way req contradicts the model: a principal that
// does not call KMS, a key AWS sets with the wrong value, keys that cannot
// appear together. nil means AWS could send req.
func Check(req *authz.Request) error {
	p := req.Principal
	c := req.Context
	get := func(k string) (authz.Value, bool) { return c.Get(k) }
	single := func(k string) (string, bool) {
		v, ok := get(k)
		if !ok || v.Multi || len(v.Values) != 1 {
			return "", false
		}
		return v.Values[0], true
	}
	want := func(k, w string) error {
		got, ok := single(k)
		if !ok || got != w {
			return fmt.Errorf("%s must be %q for %s, not %s", k, w, p, show(get(k)))
		}
		return nil
	}
	none := func(keys ...string) error {
		for _, k := range keys {
			if v, ok := get(k); ok {
				return fmt.Errorf("%s cannot be in a request of %s (it is %q)", k, p, v.Values)
			}
		}
		return nil
	}
	if !Admits(p.Kind) {
		return fmt.Errorf("a %s does not call KMS", p.Kind)
	}
	for k, info := range keyTable {
		if v, ok := get(k); ok && (info.card == single1 && v.Multi || info.card == multi && !v.Multi) {
			return fmt.Errorf("%s has the wrong cardinality (multivalued %v)", k, v.Multi)
		}
	}
	if err := want("aws:SecureTransport", "true"); err != nil {
		return err
	}
	if r := Region(req.Resource); r != "" {
		if err := want("aws:RequestedRegion", r); err != nil {
			return err
		}
	}
	if err := checkTime(c); err != nil {
		return err
	}
	via, _ := single("aws:ViaAWSService")
	fasKeys := []string{"kms:ViaService", "aws:CalledVia", "aws:CalledViaFirst", "aws:CalledViaLast"}
	sourceKeys := []string{"aws:SourceAccount", "aws:SourceArn"}
	identityKeys := []string{"kms:CallerAccount", "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalType", "aws:userid", "aws:username", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths"}
	switch {
	case IAM(p.Kind):
		if part := Partition(req.Resource); part != "" && p.Partition != part {
			return fmt.Errorf("%s is in partition %q, the key in %q", p, p.Partition, part)
		}
		for _, k := range []string{"kms:CallerAccount", "aws:PrincipalAccount"} {
			if err := want(k, p.Account); err != nil {
				return err
			}
		}
		if err := want("aws:PrincipalArn", PrincipalArn(p)); err != nil {
			return err
		}
		if err := want("aws:PrincipalType", PrincipalType(p.Kind)); err != nil {
			return err
		}
		if err := want("aws:PrincipalIsAWSService", "false"); err != nil {
			return err
		}
		if err := checkUserID(p, c); err != nil {
			return err
		}
		if p.Kind == authz.IAMUser {
			if err := want("aws:username", p.UserName); err != nil {
				return err
			}
		} else if err := none("aws:username"); err != nil {
			return err
		}
		if _, ok := get("aws:PrincipalOrgID"); !ok {
			if err := none("aws:PrincipalOrgPaths"); err != nil {
				return err
			}
		}
		if err := none(append(sourceKeys, "aws:PrincipalServiceName")...); err != nil {
			return err
		}
		switch via {
		case "true":
			if _, ok := single("kms:ViaService"); !ok {
				return fmt.Errorf("a call through a service (aws:ViaAWSService true) carries kms:ViaService")
			}
			if err := checkCalledVia(c); err != nil {
				return err
			}
		case "false":
			if err := none(fasKeys...); err != nil {
				return err
			}
		default:
			return fmt.Errorf("aws:ViaAWSService must be true or false for %s", p)
		}
	case p.Kind == authz.ServicePrincipal:
		if err := want("aws:PrincipalIsAWSService", "true"); err != nil {
			return err
		}
		if err := want("aws:PrincipalServiceName", p.ARN); err != nil {
			return err
		}
		if err := want("aws:ViaAWSService", "false"); err != nil {
			return err
		}
		if err := none(append(identityKeys, fasKeys...)...); err != nil {
			return err
		}
		sa, hasSA := single("aws:SourceAccount")
		sourceArn, hasArn := single("aws:SourceArn")
		if hasSA && hasArn {
			if a := Account(sourceArn); a != "" && a != sa {
				return fmt.Errorf("aws:SourceAccount %s is not the account of aws:SourceArn %s", sa, sourceArn)
			}
		}
	default:
		if err := want("aws:ViaAWSService", "false"); err != nil {
			return err
		}
		if err := none(append(append(identityKeys, fasKeys...), append(sourceKeys, "aws:PrincipalIsAWSService", "aws:PrincipalServiceName")...)...); err != nil {
			return err
		}
	}
	return checkEncryptionContext(req.Action, c)
}

func show(v authz.Value, ok bool) string {
	if !ok {
		return "absent"
	}
	return fmt.Sprintf("%q", v.Values)
}

func checkUserID(p authz.Principal, c *authz.Context) error {
	v, ok := c.Get("aws:userid")
	if !ok || v.Multi || len(v.Values) != 1 {
		return fmt.Errorf("aws:userid is missing for %s", p)
	}
	id := v.Values[0]
	switch p.Kind {
	case authz.AccountRoot, authz.FederatedUser:
		if id != UserID(p, "") {
			return fmt.Errorf("aws:userid of %s must be %q, not %q", p, UserID(p, ""), id)
		}
	case authz.AssumedRole:
		if !strings.HasSuffix(id, ":"+SessionName(p)) {
			return fmt.Errorf("aws:userid of %s must end in :%s, not %q", p, SessionName(p), id)
		}
	}
	return nil
}

func checkCalledVia(c *authz.Context) error {
	cv, ok := c.Get("aws:CalledVia")
	first, okF := c.Get("aws:CalledViaFirst")
	last, okL := c.Get("aws:CalledViaLast")
	if !ok {
		if okF || okL {
			return fmt.Errorf("aws:CalledViaFirst/Last without aws:CalledVia")
		}
		return nil
	}
	if !okF || !okL {
		return fmt.Errorf("aws:CalledVia without aws:CalledViaFirst and aws:CalledViaLast")
	}
	in := func(v authz.Value) bool {
		if len(v.Values) != 1 {
			return false
		}
		for _, s := range cv.Values {
			if s == v.Values[0] {
				return true
			}
		}
		return false
	}
	if len(cv.Values) == 0 || !in(first) || !in(last) {
		return fmt.Errorf("aws:CalledViaFirst and aws:CalledViaLast must be services of aws:CalledVia %q", cv.Values)
	}
	return nil
}

func checkTime(c *authz.Context) error {
	ct, okC := c.Get("aws:CurrentTime")
	et, okE := c.Get("aws:EpochTime")
	if okC != okE {
		return fmt.Errorf("aws:CurrentTime and aws:EpochTime come together")
	}
	if !okC {
		return nil
	}
	t, err := time.Parse(time.RFC3339, ct.Values[0])
	if err != nil || strconv.FormatInt(t.Unix(), 10) != et.Values[0] {
		return fmt.Errorf("aws:CurrentTime %q and aws:EpochTime %q are not the same instant", ct.Values, et.Values)
	}
	return nil
}

const ecPrefix = "kms:encryptioncontext:"

func checkEncryptionContext(action string, c *authz.Context) error {
	pairs := map[string]bool{}
	var err error
	c.Each(func(k string, v authz.Value) {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, ecPrefix) {
			return
		}
		if v.Multi && err == nil {
			err = fmt.Errorf("%s is single-valued", k)
		}
		pairs[lk[len(ecPrefix):]] = true
	})
	if err != nil {
		return err
	}
	keys, ok := c.Get("kms:EncryptionContextKeys")
	if !TakesEncryptionContext(action) {
		if ok || len(pairs) > 0 {
			return fmt.Errorf("%s takes no encryption context", action)
		}
		return nil
	}
	if !ok {
		if len(pairs) > 0 {
			return fmt.Errorf("an encryption context without kms:EncryptionContextKeys")
		}
		return nil
	}
	seen := map[string]bool{}
	for _, k := range keys.Values {
		lk := strings.ToLower(k)
		if seen[lk] {
			return fmt.Errorf("encryption-context key %q twice (up to case)", k)
		}
		seen[lk] = true
	}
	if len(seen) != len(pairs) {
		return fmt.Errorf("kms:EncryptionContextKeys %q does not list the encryption context's keys", keys.Values)
	}
	for k := range pairs {
		if !seen[k] {
			return fmt.Errorf("kms:EncryptionContextKeys %q does not list %q", keys.Values, k)
		}
	}
	return nil
}
