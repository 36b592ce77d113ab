package kms

import (
	"strconv"
	"strings"

	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/simulator/identity"
)

// requestContext builds the condition keys every request carries, per
// DESIGN.md's request model and the global condition key reference
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
// Operation-specific kms: keys are added by the operations.
//
// Condition key names are written lower-case throughout the package: the
// engine matches them case-insensitively, and lower-case names save a
// conversion per key on every request.
//
// aws:SecureTransport is taken from the connection: false over the plain
// HTTP loopback listener, true only behind TLS. A policy that denies
// requests without SecureTransport therefore denies simulator requests,
// which is what AWS would do to a plain-HTTP request.
func (c *call) requestContext() *authz.Context {
	ctx := authz.NewContext()
	ctx.Set("aws:currenttime", c.now.Format("2006-01-02T15:04:05Z"))
	ctx.Set("aws:epochtime", strconv.FormatInt(c.now.Unix(), 10))
	ctx.Set("aws:securetransport", strconv.FormatBool(c.secure))
	ctx.Set("aws:requestedregion", c.s.region)
	id := c.id
	switch id.Kind {
	case identity.Service:
		// A service principal has no account, ARN or IAM policies.
		ctx.Set("aws:principalisawsservice", "true")
		ctx.Set("aws:principalservicename", id.Service)
		ctx.Set("aws:viaawsservice", "false")
		for k, vs := range id.Context {
			setValues(ctx, k, vs)
		}
		for k, vs := range c.headerContext {
			setValues(ctx, k, vs)
		}
		return ctx
	case identity.ViaService:
		// Forward access session: the caller's identity, through the
		// service; the original requester's IP is preserved.
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html
		ctx.Set("aws:viaawsservice", "true")
		ctx.SetMulti("aws:calledvia", id.Service)
		ctx.Set("aws:calledviafirst", id.Service)
		ctx.Set("aws:calledvialast", id.Service)
		ctx.Set("kms:viaservice", viaServiceName(id.Service, c.s.region))
	default:
		ctx.Set("aws:viaawsservice", "false")
	}
	ctx.Set("aws:principalisawsservice", "false")
	ctx.Set("kms:calleraccount", id.Account)
	ctx.Set("aws:principalaccount", id.Account)
	ctx.Set("aws:sourceip", c.sourceIP)
	p := id.Principal
	switch p.Kind {
	case authz.AssumedRole:
		// aws:PrincipalArn of a role session is the role's ARN.
		ctx.Set("aws:principalarn", id.ARN)
		ctx.Set("aws:principaltype", "AssumedRole")
		ctx.Set("aws:userid", id.PrincipalID)
	case authz.IAMUser:
		ctx.Set("aws:principalarn", id.ARN)
		ctx.Set("aws:principaltype", "User")
		ctx.Set("aws:userid", id.PrincipalID)
		ctx.Set("aws:username", p.UserName)
	case authz.AccountRoot:
		ctx.Set("aws:principalarn", id.ARN)
		ctx.Set("aws:principaltype", "Account")
		ctx.Set("aws:userid", id.Account)
	}
	return ctx
}

// viaServiceName turns a service principal into its kms:ViaService value:
// bedrock-agentcore.amazonaws.com -> bedrock-agentcore.us-east-1.amazonaws.com.
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
func viaServiceName(service, region string) string {
	prefix, suffix, ok := strings.Cut(service, ".")
	if !ok {
		return service
	}
	return prefix + "." + region + "." + suffix
}

func setValues(ctx *authz.Context, k string, vs []string) {
	if len(vs) == 1 {
		ctx.Set(k, vs[0])
		return
	}
	ctx.SetMulti(k, vs...)
}

// addKeyContext adds the condition keys of the key an operation uses.
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html
func addKeyContext(ctx *authz.Context, k *key, requestAlias string) {
	ctx.Set("kms:keyspec", k.Spec)
	ctx.Set("kms:customermasterkeyspec", k.Spec)
	ctx.Set("kms:keyusage", k.Usage)
	ctx.Set("kms:customermasterkeyusage", k.Usage)
	ctx.Set("kms:keyorigin", k.Origin)
	ctx.Set("kms:multiregion", "false")
	if len(k.aliases) > 0 {
		ctx.SetMulti("kms:resourcealiases", k.aliases...)
	}
	for _, t := range k.Tags {
		ctx.Set("aws:resourcetag/"+t.Key, t.Value)
	}
	if requestAlias != "" {
		ctx.Set("kms:requestalias", requestAlias)
	}
}

// addEncryptionContext adds kms:EncryptionContext:<k> for each pair and
// kms:EncryptionContextKeys (multivalued; absent without a context, so that
// a Null condition can require one).
func addEncryptionContext(ctx *authz.Context, ec map[string]string) {
	if len(ec) == 0 {
		return
	}
	keys := make([]string, 0, len(ec))
	for k, v := range ec {
		ctx.Set("kms:encryptioncontext:"+k, v)
		keys = append(keys, k)
	}
	ctx.SetMulti("kms:encryptioncontextkeys", keys...)
}

// identityPolicies are the IAM policies the engine weighs for the caller;
// service principals have none.
func (c *call) identityPolicies() []*authz.Policy {
	if c.id.Kind == identity.Service {
		return nil
	}
	return c.id.Policies
}

// authorize decides action on k for the caller: key policy, root
// delegation with the caller's IAM policies, then grants (which an explicit
// deny overrides).
// https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html
func (c *call) authorize(k *key, action string, ctx *authz.Context, ec map[string]string) *APIError {
	e := authz.Engine{Key: k.policy, Identity: c.identityPolicies(), KeyAccount: k.Account}
	req := authz.Request{Principal: c.id.Principal, Action: action, Resource: k.ARN, Context: ctx}
	switch e.Allowed(&req) {
	case authz.Allow:
		return nil
	case authz.ImplicitDeny:
		if c.grantAllows(k, strings.TrimPrefix(action, "kms:"), ec) {
			return nil
		}
	}
	return c.accessDenied(&e, &req, k.ARN)
}

// authorizeIAM decides an operation that uses no key (CreateKey, ListKeys,
// ListAliases, GenerateRandom): IAM policies alone decide, in the caller's
// account.
func (c *call) authorizeIAM(action string, ctx *authz.Context) *APIError {
	account := c.callerAccount()
	resource := "*"
	if c.id.Kind == identity.Service {
		// No IAM policy can allow a service principal.
		e := authz.Engine{KeyAccount: account}
		req := authz.Request{Principal: c.id.Principal, Action: action, Resource: resource, Context: ctx}
		return c.accessDenied(&e, &req, resource)
	}
	root, err := c.s.rootPolicy(account)
	if err != nil {
		return internal(err)
	}
	e := authz.Engine{Key: root, Identity: c.identityPolicies(), KeyAccount: account}
	req := authz.Request{Principal: c.id.Principal, Action: action, Resource: resource, Context: ctx}
	if e.Allowed(&req) == authz.Allow {
		return nil
	}
	return c.accessDenied(&e, &req, resource)
}

// accessDenied explains a denial in AWS's wording.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
func (c *call) accessDenied(e *authz.Engine, req *authz.Request, resource string) *APIError {
	res := e.Decide(req)
	var why string
	switch res.Decision {
	case authz.ExplicitDeny:
		why = "with an explicit deny in an identity-based policy"
		for _, st := range res.Statements {
			if st.Decisive && st.Policy == "" && st.Effect == "Deny" {
				why = "with an explicit deny in a resource-based policy"
				break
			}
		}
	default:
		why = "because no resource-based policy allows the " + req.Action + " action"
		for _, st := range res.Statements {
			if st.Policy == "" && st.Matched && st.Effect == "Allow" {
				why = "because no identity-based policy allows the " + req.Action + " action"
				break
			}
		}
	}
	return clientErr(CodeAccessDenied, "User: %s is not authorized to perform: %s on resource: %s %s", c.callerName(), req.Action, resource, why)
}

// callerName is the ARN AWS names in errors: the session ARN, or the
// service principal.
func (c *call) callerName() string {
	if c.id.Kind == identity.Service {
		return c.id.Service
	}
	return c.id.SessionARN
}

// callerAccount is the account whose keys and aliases bare key ids and
// alias names refer to: the caller's, or for a service principal, the
// simulator's account.
func (c *call) callerAccount() string {
	if c.id.Account != "" {
		return c.id.Account
	}
	return c.s.ids.Account
}

// grantAllows reports whether a grant on k lets the caller perform op with
// encryption context ec.
// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
func (c *call) grantAllows(k *key, op string, ec map[string]string) bool {
	for _, g := range k.grants {
		if !granteeMatches(g.granteeP, c.id.Principal) {
			continue
		}
		if !contains(g.Operations, op) {
			continue
		}
		if !g.Constraints.allow(ec) {
			continue
		}
		return true
	}
	return false
}

// granteeMatches: a grant to a role applies to the role's sessions.
func granteeMatches(grantee, p authz.Principal) bool {
	switch {
	case grantee.Kind == authz.ServicePrincipal:
		return p.Kind == authz.ServicePrincipal && p.ARN == grantee.ARN
	case grantee.Kind == authz.IAMRole && p.Kind == authz.AssumedRole:
		return grantee.Account == p.Account && strings.EqualFold(grantee.RoleName, p.RoleName)
	}
	return grantee.ARN != "" && grantee.ARN == p.ARN
}

// allow checks grant constraints against a request's encryption context.
func (gc *grantConstraints) allow(ec map[string]string) bool {
	if gc == nil {
		return true
	}
	if gc.EncryptionContextEquals != nil {
		if len(ec) != len(gc.EncryptionContextEquals) {
			return false
		}
		for k, v := range gc.EncryptionContextEquals {
			if got, ok := ec[k]; !ok || got != v {
				return false
			}
		}
	}
	for k, v := range gc.EncryptionContextSubset {
		if got, ok := ec[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// checkState fails an operation the key's state does not allow.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
func checkState(k *key) *APIError {
	switch k.State {
	case stateDisabled:
		return clientErr(CodeDisabled, "%s is disabled.", k.ARN)
	case statePendingDeletion:
		return clientErr(CodeInvalidState, "%s is pending deletion.", k.ARN)
	}
	return nil
}

// checkUsage fails an operation that needs another key usage or spec.
func checkUsage(k *key, op, usage string, symmetricOnly bool) *APIError {
	if k.Usage != usage || symmetricOnly && k.Spec != specSymmetric {
		return clientErr(CodeInvalidKeyUsage, "%s key usage is %s and key spec is %s, which are not valid for %s.", k.ARN, k.Usage, k.Spec, op)
	}
	return nil
}

// resolveKey finds the key a KeyId parameter names: a key id or key ARN,
// an alias name or alias ARN. Key ids and alias names refer to the caller's
// account; other accounts' keys need an ARN, as in AWS. It returns the alias
// name used, for kms:RequestAlias.
// https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id
func (c *call) resolveKey(keyID string, allowAlias bool) (*key, string, *APIError) {
	account := c.callerAccount()
	id := keyID
	if strings.HasPrefix(keyID, "arn:") {
		a, ok := arn.Parse(keyID)
		if !ok || a.Service != "kms" {
			return nil, "", clientErr(CodeNotFound, "Invalid arn %s", keyID)
		}
		if a.Partition != c.s.partition || a.Region != c.s.region {
			return nil, "", clientErr(CodeNotFound, "Invalid arn %s: the key is in region %s; this endpoint serves %s", keyID, a.Region, c.s.region)
		}
		account, id = a.AccountID, a.Resource
		switch {
		case strings.HasPrefix(id, "key/"):
			id = strings.TrimPrefix(id, "key/")
		case strings.HasPrefix(id, "alias/"):
		default:
			return nil, "", clientErr(CodeNotFound, "Invalid arn %s", keyID)
		}
	}
	if strings.HasPrefix(id, "alias/") {
		if !allowAlias {
			return nil, "", validation("%s is an alias; this operation needs a key id or key ARN", keyID)
		}
		a := c.s.store.alias(account, id)
		if a == nil {
			return nil, "", clientErr(CodeNotFound, "Alias %s is not found.", c.s.aliasARN(account, id))
		}
		uid, _ := parseUUID(a.KeyID)
		k := c.s.store.get(uid, c.now)
		if k == nil {
			return nil, "", clientErr(CodeNotFound, "Alias %s is not found.", c.s.aliasARN(account, id))
		}
		return k, id, nil
	}
	uid, ok := parseUUID(id)
	if !ok {
		return nil, "", clientErr(CodeNotFound, "Invalid keyId '%s'", keyID)
	}
	k := c.s.store.get(uid, c.now)
	if k == nil || k.Account != account {
		return nil, "", notFoundKey(c.s.keyARN(account, id))
	}
	return k, "", nil
}

// useKey records the key as the call's resource.
func (c *call) useKey(k *key) {
	c.resources = append(c.resources, keyResource(k))
	if c.recipient == "" {
		c.recipient = k.Account
	}
}

// keyStateRule says whether an operation works on a Disabled key and on a
// key pending deletion, as the key state table gives it; an operation not
// listed needs an Enabled key (checkState).
// https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html#key-state-table
var keyStateRule = map[string]struct{ disabled, pending bool }{
	"TagResource":          {true, false},
	"UntagResource":        {true, false},
	"ListResourceTags":     {true, true},
	"UpdateKeyDescription": {true, false},
	"UpdateAlias":          {true, false},
	"ListKeyPolicies":      {true, true},
	"RetireGrant":          {true, true},
	"GetKeyRotationStatus": {true, false},
	"ListKeyRotations":     {true, true},
}

// checkStateFor fails op on k when the key state table does not allow it:
// DisabledException for a disabled key, KMSInvalidStateException for one
// pending deletion.
func checkStateFor(k *key, op string) *APIError {
	r, ok := keyStateRule[op]
	if !ok {
		return checkState(k)
	}
	switch {
	case k.State == stateDisabled && !r.disabled, k.State == statePendingDeletion && !r.pending:
		return checkState(k)
	}
	return nil
}
