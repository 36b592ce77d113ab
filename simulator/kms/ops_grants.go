package kms

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/simulator/identity"
)

// Grants: an authorization path next to the key policy, overridden by an
// explicit deny. https://docs.aws.amazon.com/kms/latest/developerguide/grants.html

// validGrantOperation lists the grant operations of the API.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html#KMS-CreateGrant-request-Operations
func validGrantOperation(op string) bool {
	switch op {
	case "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
		"ReEncryptFrom", "ReEncryptTo", "Sign", "Verify", "GetPublicKey", "CreateGrant",
		"RetireGrant", "DescribeKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
		"GenerateMac", "VerifyMac", "DeriveSharedSecret":
		return true
	}
	return false
}

// grantPrincipal parses a grantee or retiring principal: an IAM ARN or a
// service principal.
func grantPrincipal(s string) (authz.Principal, error) {
	p, err := authz.ParsePrincipal(s)
	if err != nil {
		return p, err
	}
	switch p.Kind {
	case authz.IAMUser, authz.IAMRole, authz.AssumedRole, authz.AccountRoot, authz.ServicePrincipal, authz.FederatedUser:
		return p, nil
	}
	return p, fmt.Errorf("%q is not an IAM principal ARN or a service principal", s)
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func (c *call) createGrant(body []byte) (any, *APIError) {
	var in createGrantInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	grantee := str(in.GranteePrincipal)
	if grantee == "" {
		grantee = str(in.GranteeServicePrincipal)
	}
	retiring := str(in.RetiringPrincipal)
	if retiring == "" {
		retiring = str(in.RetiringServicePrincipal)
	}
	params := grantParams{KeyID: str(in.KeyId), Operations: in.Operations, GranteePrincipal: grantee, RetiringPrincipal: retiring, Name: str(in.Name), DryRun: in.DryRun}
	if in.Constraints != nil {
		params.Constraints = &grantConstraintP{EncryptionContextSubset: in.Constraints.EncryptionContextSubset, EncryptionContextEquals: in.Constraints.EncryptionContextEquals}
	}
	c.params = params
	if in.GranteePrincipal != nil && in.GranteeServicePrincipal != nil {
		return nil, validation("Specify GranteePrincipal or GranteeServicePrincipal, not both.")
	}
	if grantee == "" {
		return nil, required("granteePrincipal")
	}
	gp, err := grantPrincipal(grantee)
	if err != nil {
		return nil, validation("GranteePrincipal: %v", err)
	}
	var rp authz.Principal
	if retiring != "" {
		if rp, err = grantPrincipal(retiring); err != nil {
			return nil, validation("RetiringPrincipal: %v", err)
		}
	}
	if len(in.Operations) == 0 {
		return nil, required("operations")
	}
	ops := make([]string, 0, len(in.Operations))
	for _, op := range in.Operations {
		if !validGrantOperation(op) {
			return nil, validation("1 validation error detected: Value '%s' at 'operations' failed to satisfy constraint: Member must satisfy enum value set of grant operations", op)
		}
		if !contains(ops, op) {
			ops = append(ops, op)
		}
	}
	if n := str(in.Name); len(n) > 256 {
		return nil, validation("1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	var constraintEC map[string]string
	constraintType := ""
	if gc := in.Constraints; gc != nil {
		constraintEC = map[string]string{}
		if gc.EncryptionContextEquals != nil {
			constraintType = "EncryptionContextEquals"
			for k, v := range gc.EncryptionContextEquals {
				constraintEC[k] = v
			}
		}
		if gc.EncryptionContextSubset != nil {
			constraintType = "EncryptionContextSubset"
			for k, v := range gc.EncryptionContextSubset {
				constraintEC[k] = v
			}
		}
	}
	grantCtx := func(ctx *authz.Context) {
		ctx.SetMulti("kms:grantoperations", ops...)
		ctx.Set("kms:granteeprincipal", grantee)
		if retiring != "" {
			ctx.Set("kms:retiringprincipal", retiring)
		}
		if constraintType != "" {
			ctx.Set("kms:grantconstrainttype", constraintType)
		}
		ctx.Set("kms:grantisforawsresource", boolString(c.id.Kind == identity.ViaService))
	}
	k, e := c.keyOp(in.KeyId, "kms:CreateGrant", true, false, constraintEC, grantCtx)
	if e != nil {
		return nil, e
	}
	if e := checkState(k); e != nil {
		return nil, e
	}
	if boolean(in.DryRun) {
		return nil, dryRun()
	}
	id, err := randomHex(32)
	if err != nil {
		return nil, internal(err)
	}
	tok := make([]byte, 48)
	if _, err := rand.Read(tok); err != nil {
		return nil, internal(err)
	}
	g := &grant{
		ID: id, Token: base64.RawURLEncoding.EncodeToString(tok), Name: str(in.Name), KeyID: k.ID,
		Grantee: grantee, Retiring: retiring, Operations: ops, Constraints: in.Constraints,
		IssuingAccount: "arn:" + c.s.partition + ":iam::" + c.callerAccount() + ":root",
		Created:        c.now, granteeP: gp, retiring: rp,
	}
	var result *grant
	_, e = c.update(k, func(n *key) *APIError {
		if g.Name != "" {
			// Retrying CreateGrant with the same name and parameters returns
			// the existing grant.
			for _, old := range n.grants {
				if old.Name == g.Name && old.Grantee == g.Grantee && old.Retiring == g.Retiring && sameStrings(old.Operations, g.Operations) && sameConstraints(old.Constraints, g.Constraints) {
					result = old
					return nil
				}
			}
		}
		n.grants = append(n.grants, g)
		result = g
		return nil
	})
	if e != nil {
		return nil, e
	}
	c.response = map[string]string{"grantId": result.ID}
	return createGrantOutput{GrantToken: result.Token, GrantId: result.ID}, nil
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func sameConstraints(a, b *grantConstraints) bool {
	if a == nil || b == nil {
		return a == b
	}
	return sameMap(a.EncryptionContextEquals, b.EncryptionContextEquals) && sameMap(a.EncryptionContextSubset, b.EncryptionContextSubset)
}

func (c *call) listGrants(body []byte) (any, *APIError) {
	var in listGrantsInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	granteeFilter := str(in.GranteePrincipal)
	if granteeFilter == "" {
		granteeFilter = str(in.GranteeServicePrincipal)
	}
	c.params = listGrantsParams{KeyID: str(in.KeyId), GrantID: str(in.GrantId), GranteePrincipal: granteeFilter, Limit: in.Limit, Marker: str(in.Marker)}
	limit, e := listLimit(in.Limit, 100)
	if e != nil {
		return nil, e
	}
	if in.Limit == nil {
		limit = 50
	}
	k, e := c.keyOp(in.KeyId, "kms:ListGrants", true, false, nil, func(ctx *authz.Context) {
		ctx.Set("kms:grantisforawsresource", boolString(c.id.Kind == identity.ViaService))
	})
	if e != nil {
		return nil, e
	}
	var gs []*grant
	for _, g := range k.grants {
		if in.GrantId != nil && g.ID != *in.GrantId {
			continue
		}
		if granteeFilter != "" && g.Grantee != granteeFilter {
			continue
		}
		gs = append(gs, g)
	}
	start, e := markerStart(in.Marker, len(gs))
	if e != nil {
		return nil, e
	}
	out := listGrantsOutput{Grants: []grantListEntry{}}
	for i := start; i < len(gs) && len(out.Grants) < limit; i++ {
		g := gs[i]
		out.Grants = append(out.Grants, grantListEntry{
			KeyId: k.ARN, GrantId: g.ID, Name: g.Name, CreationDate: epoch(g.Created),
			GranteePrincipal: g.Grantee, RetiringPrincipal: g.Retiring, IssuingAccount: g.IssuingAccount,
			Operations: g.Operations, Constraints: g.Constraints,
		})
	}
	if next := start + len(out.Grants); next < len(gs) {
		out.Truncated, out.NextMarker = true, strconv.Itoa(next)
	}
	return out, nil
}

func (c *call) revokeGrant(body []byte) (any, *APIError) {
	var in revokeGrantInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = revokeGrantParams{KeyID: str(in.KeyId), GrantID: str(in.GrantId), DryRun: in.DryRun}
	if in.GrantId == nil || *in.GrantId == "" {
		return nil, required("grantId")
	}
	k, e := c.keyOp(in.KeyId, "kms:RevokeGrant", true, false, nil, func(ctx *authz.Context) {
		ctx.Set("kms:grantisforawsresource", boolString(c.id.Kind == identity.ViaService))
	})
	if e != nil {
		return nil, e
	}
	gid := *in.GrantId
	found := false
	for _, g := range k.grants {
		found = found || g.ID == gid
	}
	if !found {
		return nil, clientErr(CodeNotFound, "Grant ID %s not found on %s.", gid, k.ARN)
	}
	if boolean(in.DryRun) {
		return nil, dryRun()
	}
	_, e = c.update(k, func(n *key) *APIError {
		kept := make([]*grant, 0, len(n.grants))
		for _, g := range n.grants {
			if g.ID != gid {
				kept = append(kept, g)
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
