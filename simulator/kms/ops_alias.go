package kms

import (
	"strconv"
	"strings"

	"github.com/kmslint/kmslint/simulator/kms/trail"
)

// validAliasName checks an alias name: "alias/" then letters, digits and
// /_-, at most 256 characters in all.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
func validAliasName(name string) bool {
	rest, ok := strings.CutPrefix(name, "alias/")
	if !ok || rest == "" || len(name) > 256 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '/' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (c *call) createAlias(body []byte) (any, *APIError) {
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
	if strings.HasPrefix(name, "alias/aws/") {
		// Reserved for AWS managed keys.
		return nil, clientErr(CodeInvalidAliasName, "Alias %s must not begin with alias/aws/; that prefix is reserved for AWS managed keys.", name)
	}
	account := c.callerAccount()
	c.resources = append(c.resources, aliasResource(account, c.s.aliasARN(account, name)))
	// An alias and its key are in the same account: no cross-account use.
	k, e := c.keyOp(in.TargetKeyId, "kms:CreateAlias", false, false, nil)
	if e != nil {
		return nil, e
	}
	if k.State == statePendingDeletion {
		return nil, checkState(k)
	}
	st := c.s.store
	st.mu.Lock()
	ak := aliasKey(account, name)
	if _, exists := st.aliases[ak]; exists {
		st.mu.Unlock()
		return nil, clientErr(CodeAlreadyExists, "An alias with the name %s already exists", c.s.aliasARN(account, name))
	}
	cur := st.keys[k.id]
	if cur == nil {
		st.mu.Unlock()
		return nil, notFoundKey(k.ARN)
	}
	n := cur.clone()
	n.aliases = insertSorted(n.aliases, name)
	st.keys[k.id] = n
	st.aliases[ak] = &alias{Name: name, Account: account, KeyID: k.ID, Created: c.now, Updated: c.now}
	ver, e := c.s.snapshotLocked()
	if e != nil {
		delete(st.aliases, ak)
		st.keys[k.id] = cur
		st.mu.Unlock()
		return nil, e
	}
	st.mu.Unlock()
	if err := c.s.persist(ver); err != nil {
		return nil, internal(err)
	}
	return struct{}{}, nil
}

func aliasResource(account, arn string) trail.Resource {
	return trail.Resource{AccountID: account, Type: "AWS::KMS::Alias", ARN: arn}
}

func insertSorted(xs []string, x string) []string {
	i := 0
	for i < len(xs) && xs[i] < x {
		i++
	}
	xs = append(xs, "")
	copy(xs[i+1:], xs[i:])
	xs[i] = x
	return xs
}

func (c *call) deleteAlias(body []byte) (any, *APIError) {
	var in aliasInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	name := str(in.AliasName)
	c.params = aliasParams{AliasName: name}
	if name == "" {
		return nil, required("aliasName")
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
	// DeleteAlias needs kms:DeleteAlias on the key (key policy) as well as
	// on the alias; the simulator checks the key.
	keyID := a.KeyID
	k, e := c.keyOp(&keyID, "kms:DeleteAlias", false, false, nil)
	if e != nil {
		return nil, e
	}
	st := c.s.store
	st.mu.Lock()
	ak := aliasKey(account, name)
	cur := st.aliases[ak]
	if cur == nil {
		st.mu.Unlock()
		return nil, clientErr(CodeNotFound, "Alias %s is not found.", arn)
	}
	delete(st.aliases, ak)
	if kk := st.keys[k.id]; kk != nil {
		n := kk.clone()
		n.aliases = removeString(n.aliases, name)
		st.keys[k.id] = n
	}
	ver, e := c.s.snapshotLocked()
	st.mu.Unlock()
	if e != nil {
		return nil, e
	}
	if err := c.s.persist(ver); err != nil {
		return nil, internal(err)
	}
	return struct{}{}, nil
}

func removeString(xs []string, x string) []string {
	out := xs[:0]
	for _, s := range xs {
		if s != x {
			out = append(out, s)
		}
	}
	return out
}

func (c *call) listAliases(body []byte) (any, *APIError) {
	var in listInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = listParams{KeyID: str(in.KeyId), Limit: in.Limit, Marker: str(in.Marker)}
	limit, e := listLimit(in.Limit, 100)
	if e != nil {
		return nil, e
	}
	if in.Limit == nil {
		limit = 50
	}
	account := c.callerAccount()
	var filter *key
	if in.KeyId != nil && *in.KeyId != "" {
		k, _, e := c.resolveKey(*in.KeyId, false)
		if e != nil {
			return nil, e
		}
		if k.Account != account {
			return nil, notFoundKey(k.ARN)
		}
		filter = k
	}
	if e := c.authorizeIAM("kms:ListAliases", c.requestContext()); e != nil {
		return nil, e
	}
	all := c.s.store.aliasesOf(account)
	kept := all[:0]
	for _, a := range all {
		uid, _ := parseUUID(a.KeyID)
		// Aliases of a key deleted at the end of its waiting period go
		// with it.
		if c.s.store.get(uid, c.now) == nil || filter != nil && a.KeyID != filter.ID {
			continue
		}
		kept = append(kept, a)
	}
	all = kept
	start, e := markerStart(in.Marker, len(all))
	if e != nil {
		return nil, e
	}
	out := listAliasesOutput{Aliases: []aliasListEntry{}}
	for i := start; i < len(all) && len(out.Aliases) < limit; i++ {
		a := all[i]
		out.Aliases = append(out.Aliases, aliasListEntry{
			AliasName: a.Name, AliasArn: c.s.aliasARN(account, a.Name), TargetKeyId: a.KeyID,
			CreationDate: epoch(a.Created), LastUpdatedDate: epoch(a.Updated),
		})
	}
	if next := start + len(out.Aliases); next < len(all) {
		out.Truncated, out.NextMarker = true, strconv.Itoa(next)
	}
	return out, nil
}
