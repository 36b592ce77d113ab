package kms

import (
	"strconv"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/simulator/identity"
)

// UpdateAlias, UpdateKeyDescription, ListKeyPolicies,
// DescribeCustomKeyStores, RetireGrant and ListRetirableGrants.

type updateKeyDescriptionInput struct {
	KeyId       *string
	Description *string
}

type updateKeyDescriptionParams struct {
	KeyID       string `json:"keyId"`
	Description string `json:"description"`
}

type listKeyPoliciesOutput struct {
	PolicyNames []string
	NextMarker  string `json:",omitempty"`
	Truncated   bool
}

type describeCustomKeyStoresInput struct {
	CustomKeyStoreId   *string
	CustomKeyStoreName *string
	Limit              *int
	Marker             *string
}

type describeCustomKeyStoresParams struct {
	CustomKeyStoreID   string `json:"customKeyStoreId,omitempty"`
	CustomKeyStoreName string `json:"customKeyStoreName,omitempty"`
	Limit              *int   `json:"limit,omitempty"`
	Marker             string `json:"marker,omitempty"`
}

type describeCustomKeyStoresOutput struct {
	CustomKeyStores []struct{}
	NextMarker      string `json:",omitempty"`
	Truncated       bool
}

type retireGrantInput struct {
	GrantToken *string
	KeyId      *string
	GrantId    *string
	DryRun     *bool
}

type retireGrantParams struct {
	KeyID   string `json:"keyId,omitempty"`
	GrantID string `json:"grantId,omitempty"`
	DryRun  *bool  `json:"dryRun,omitempty"`
}

type listRetirableGrantsInput struct {
	RetiringPrincipal *string
	Limit             *int
	Marker            *string
}

type listRetirableParams struct {
	RetiringPrincipal string `json:"retiringPrincipal"`
	Limit             *int   `json:"limit,omitempty"`
	Marker            string `json:"marker,omitempty"`
}

// keyKind groups key specs as UpdateAlias compares them: symmetric,
// asymmetric or HMAC.
func keyKind(spec string) string {
	switch {
	case spec == specSymmetric:
		return "symmetric"
	case isHMACSpec(spec):
		return "HMAC"
	}
	return "asymmetric"
}

// updateAlias points an alias at another key of the same account. Both
// keys' policies must allow kms:UpdateAlias, and the keys must be of the
// same kind and key usage.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdateAlias.html
func (c *call) updateAlias(body []byte) (any, *APIError) {
	var in aliasInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	name, target := str(in.AliasName), str(in.TargetKeyId)
	c.params = aliasParams{AliasName: name, TargetKeyID: target}
	if name == "" {
		return nil, required("aliasName")
	}
	if target == "" {
		return nil, required("targetKeyId")
	}
	if !validAliasName(name) {
		return nil, validation("1 validation error detected: Value '%s' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^alias/[a-zA-Z0-9/_-]+$", name)
	}
	account := c.callerAccount()
	arn := c.s.aliasARN(account, name)
	c.resources = append(c.resources, aliasResource(account, arn))
	a := c.s.store.alias(account, name)
	if a == nil {
		return nil, clientErr(CodeNotFound, "Alias %s is not found.", arn)
	}
	oldID := a.KeyID
	old, e := c.keyOp(&oldID, "kms:UpdateAlias", false, false, nil)
	if e != nil {
		return nil, e
	}
	k, e := c.keyOp(in.TargetKeyId, "kms:UpdateAlias", false, false, nil)
	if e != nil {
		return nil, e
	}
	if e := checkStateFor(k, "UpdateAlias"); e != nil {
		return nil, e
	}
	if keyKind(old.Spec) != keyKind(k.Spec) || old.Usage != k.Usage {
		return nil, validation("%s is a %s key with key usage %s; alias %s points at a %s key with key usage %s, and an alias can only move to a key of the same type and key usage.", k.ARN, keyKind(k.Spec), k.Usage, name, keyKind(old.Spec), old.Usage)
	}
	st := c.s.store
	st.mu.Lock()
	ak := aliasKey(account, name)
	cur := st.aliases[ak]
	nk := st.keys[k.id]
	if cur == nil || nk == nil {
		st.mu.Unlock()
		return nil, clientErr(CodeNotFound, "Alias %s is not found.", arn)
	}
	oldUID, _ := parseUUID(cur.KeyID)
	prevOld, prevNew := st.keys[oldUID], nk
	if prevOld != nil {
		n := prevOld.clone()
		n.aliases = removeString(n.aliases, name)
		st.keys[oldUID] = n
	}
	n := st.keys[k.id].clone()
	n.aliases = insertSorted(removeString(n.aliases, name), name)
	st.keys[k.id] = n
	st.aliases[ak] = &alias{Name: name, Account: account, KeyID: k.ID, Created: cur.Created, Updated: c.now}
	ver, e := c.s.snapshotLocked()
	if e != nil {
		st.aliases[ak] = cur
		if prevOld != nil {
			st.keys[oldUID] = prevOld
		}
		st.keys[k.id] = prevNew
		st.version++
		st.mu.Unlock()
		return nil, e
	}
	st.mu.Unlock()
	if err := c.s.persist(ver); err != nil {
		return nil, internal(err)
	}
	return struct{}{}, nil
}

func (c *call) updateKeyDescription(body []byte) (any, *APIError) {
	var in updateKeyDescriptionInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = updateKeyDescriptionParams{KeyID: str(in.KeyId), Description: str(in.Description)}
	if in.Description == nil {
		return nil, required("description")
	}
	if len(*in.Description) > 8192 {
		return nil, validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192")
	}
	k, e := c.keyOp(in.KeyId, "kms:UpdateKeyDescription", false, false, nil)
	if e != nil {
		return nil, e
	}
	if e := checkStateFor(k, "UpdateKeyDescription"); e != nil {
		return nil, e
	}
	desc := *in.Description
	if _, e := c.update(k, func(n *key) *APIError { n.Description = desc; return nil }); e != nil {
		return nil, e
	}
	return struct{}{}, nil
}

// listKeyPolicies: every KMS key has exactly one key policy, "default".
// https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeyPolicies.html
func (c *call) listKeyPolicies(body []byte) (any, *APIError) {
	var in listInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = listParams{KeyID: str(in.KeyId), Limit: in.Limit, Marker: str(in.Marker)}
	if _, e := listLimit(in.Limit, 1000); e != nil {
		return nil, e
	}
	k, e := c.keyOp(in.KeyId, "kms:ListKeyPolicies", false, false, nil)
	if e != nil {
		return nil, e
	}
	if e := checkStateFor(k, "ListKeyPolicies"); e != nil {
		return nil, e
	}
	start, e := markerStart(in.Marker, 1)
	if e != nil {
		return nil, e
	}
	out := listKeyPoliciesOutput{PolicyNames: []string{}}
	if start == 0 {
		out.PolicyNames = append(out.PolicyNames, "default")
	}
	return out, nil
}

// describeCustomKeyStores: the simulator has no custom key stores, so the
// list is empty and any named store is not found.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeCustomKeyStores.html
func (c *call) describeCustomKeyStores(body []byte) (any, *APIError) {
	var in describeCustomKeyStoresInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = describeCustomKeyStoresParams{CustomKeyStoreID: str(in.CustomKeyStoreId), CustomKeyStoreName: str(in.CustomKeyStoreName), Limit: in.Limit, Marker: str(in.Marker)}
	if _, e := listLimit(in.Limit, 1000); e != nil {
		return nil, e
	}
	if in.CustomKeyStoreId != nil && in.CustomKeyStoreName != nil {
		return nil, validation("Specify CustomKeyStoreId or CustomKeyStoreName, not both.")
	}
	if e := c.authorizeIAM("kms:DescribeCustomKeyStores", c.requestContext()); e != nil {
		return nil, e
	}
	if _, e := markerStart(in.Marker, 0); e != nil {
		return nil, e
	}
	if in.CustomKeyStoreId != nil || in.CustomKeyStoreName != nil {
		return nil, clientErr(CodeCustomKeyStoreNF, "Custom key store %s does not exist in this account and Region.", str(in.CustomKeyStoreId)+str(in.CustomKeyStoreName))
	}
	return describeCustomKeyStoresOutput{CustomKeyStores: []struct{}{}}, nil
}

// retireGrant deletes a grant by its token, or by key ARN and grant id.
// Permission comes from the grant, not from policies: the retiring
// principal, the grantee when the grant allows RetireGrant, and the account
// that created the grant (its root, or its principals an IAM policy allows
// kms:RetireGrant) may retire it.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_RetireGrant.html
// https://docs.aws.amazon.com/kms/latest/developerguide/grant-delete.html
func (c *call) retireGrant(body []byte) (any, *APIError) {
	var in retireGrantInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = retireGrantParams{KeyID: str(in.KeyId), GrantID: str(in.GrantId), DryRun: in.DryRun}
	var (
		k *key
		g *grant
	)
	switch {
	case in.GrantToken != nil && *in.GrantToken != "":
		k, g = c.s.store.grantByToken(*in.GrantToken, c.now)
		if g == nil {
			return nil, clientErr(CodeInvalidGrantToken, "The grant token is not valid.")
		}
		c.params = retireGrantParams{KeyID: k.ARN, GrantID: g.ID, DryRun: in.DryRun}
	case in.KeyId != nil && in.GrantId != nil:
		if len(*in.GrantId) != 64 || !isHex(*in.GrantId) {
			return nil, clientErr(CodeInvalidGrantID, "Grant ID %s is not valid.", *in.GrantId)
		}
		var e *APIError
		if k, _, e = c.resolveKey(*in.KeyId, false); e != nil {
			return nil, e
		}
		for _, og := range k.grants {
			if og.ID == *in.GrantId {
				g = og
			}
		}
		if g == nil {
			c.useKey(k)
			return nil, clientErr(CodeNotFound, "Grant ID %s not found on %s.", *in.GrantId, k.ARN)
		}
	default:
		return nil, validation("Specify GrantToken, or KeyId and GrantId.")
	}
	c.useKey(k)
	if !c.mayRetire(k, g) {
		return nil, clientErr(CodeAccessDenied, "User: %s is not authorized to perform: kms:RetireGrant on resource: %s because the grant does not name it as retiring or grantee principal with RetireGrant", c.callerName(), k.ARN)
	}
	if boolean(in.DryRun) {
		return nil, dryRun()
	}
	gid := g.ID
	_, e := c.update(k, func(n *key) *APIError {
		kept := make([]*grant, 0, len(n.grants))
		for _, og := range n.grants {
			if og.ID != gid {
				kept = append(kept, og)
			}
		}
		n.grants = kept
		return nil
	})
	if e != nil {
		return nil, e
	}
	return struct{}{}, nil
}

func (c *call) mayRetire(k *key, g *grant) bool {
	p := c.id.Principal
	if g.Retiring != "" && granteeMatches(g.retiring, p) {
		return true
	}
	if granteeMatches(g.granteeP, p) && contains(g.Operations, "RetireGrant") {
		return true
	}
	issuer := k.Account
	if c.id.Kind == identity.Service || c.id.Account != issuer {
		return false
	}
	if c.id.Principal.Kind == authz.AccountRoot {
		return true
	}
	root, err := c.s.rootPolicy(issuer)
	if err != nil {
		return false
	}
	e := authz.Engine{Key: root, Identity: c.identityPolicies(), KeyAccount: issuer}
	req := authz.Request{Principal: p, Action: "kms:RetireGrant", Resource: k.ARN, Context: c.requestContext()}
	return e.Allowed(&req) == authz.Allow
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !('0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f') {
			return false
		}
	}
	return true
}

// listRetirableGrants lists the grants on the caller's account's keys whose
// retiring principal is the one given; IAM policies alone authorize it.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_ListRetirableGrants.html
func (c *call) listRetirableGrants(body []byte) (any, *APIError) {
	var in listRetirableGrantsInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	rp := str(in.RetiringPrincipal)
	c.params = listRetirableParams{RetiringPrincipal: rp, Limit: in.Limit, Marker: str(in.Marker)}
	if rp == "" {
		return nil, required("retiringPrincipal")
	}
	limit, e := listLimit(in.Limit, 100)
	if e != nil {
		return nil, e
	}
	if in.Limit == nil {
		limit = 50
	}
	if e := c.authorizeIAM("kms:ListRetirableGrants", c.requestContext()); e != nil {
		return nil, e
	}
	var entries []grantListEntry
	for _, k := range c.s.store.keysOf(c.callerAccount(), c.now) {
		for _, g := range k.grants {
			if g.Retiring == rp {
				entries = append(entries, grantListEntry{
					KeyId: k.ARN, GrantId: g.ID, Name: g.Name, CreationDate: epoch(g.Created),
					GranteePrincipal: g.Grantee, RetiringPrincipal: g.Retiring, IssuingAccount: g.IssuingAccount,
					Operations: g.Operations, Constraints: g.Constraints,
				})
			}
		}
	}
	start, e := markerStart(in.Marker, len(entries))
	if e != nil {
		return nil, e
	}
	out := listGrantsOutput{Grants: []grantListEntry{}}
	for i := start; i < len(entries) && len(out.Grants) < limit; i++ {
		out.Grants = append(out.Grants, entries[i])
	}
	if next := start + len(out.Grants); next < len(entries) {
		out.Truncated, out.NextMarker = true, strconv.Itoa(next)
	}
	return out, nil
}
