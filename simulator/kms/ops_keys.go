package kms

import (
	"errors"
	"strconv"
	"time"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
)

const lockoutMessage = "The new key policy will not allow you to update the key policy in the future."

// parseKeyPolicy validates a key policy with the strict parser and
// compiles it for the engine.
func parseKeyPolicy(text string) (*authz.Policy, *APIError) {
	if len(text) > policy.MaxKeyPolicyBytes {
		// A quota, not a grammar error.
		// https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html#key-policy-document-size
		return nil, clientErr(CodeLimitExceeded, "The key policy is %d bytes; the key policy document size quota is %d bytes.", len(text), policy.MaxKeyPolicyBytes)
	}
	p, err := policy.ParseKeyPolicy("policy", []byte(text))
	if err != nil {
		var se *policy.SyntaxError
		if errors.As(err, &se) {
			return nil, clientErr(CodeMalformedPolicy, "The policy is not valid JSON: %d:%d: %s", se.Pos.Line, se.Pos.Col, se.Msg)
		}
		return nil, clientErr(CodeMalformedPolicy, "%v", err)
	}
	if !p.Valid() {
		for _, pr := range p.Problems {
			if pr.Rule == policy.RuleInvalid {
				return nil, clientErr(CodeMalformedPolicy, "%s (at %s)", pr.Message, pr.Pos)
			}
		}
	}
	cp, err := authz.Compile("key policy", p)
	if err != nil {
		return nil, clientErr(CodeMalformedPolicy, "%v", err)
	}
	return cp, nil
}

// lockoutCheck refuses a policy that would not let the caller change it
// again, unless the request bypasses the check.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#prevent-unmanageable-key
func (c *call) lockoutCheck(cp *authz.Policy, k *key, ctx *authz.Context) *APIError {
	e := authz.Engine{Key: cp, Identity: c.identityPolicies(), KeyAccount: k.Account}
	req := authz.Request{Principal: c.id.Principal, Action: "kms:PutKeyPolicy", Resource: k.ARN, Context: ctx}
	if e.Allowed(&req) == authz.Allow {
		return nil
	}
	return clientErr(CodeMalformedPolicy, lockoutMessage)
}

func (c *call) createKey(body []byte) (any, *APIError) {
	var in createKeyInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	spec := str(in.KeySpec)
	if spec == "" {
		spec = str(in.CustomerMasterKeySpec)
	} else if in.CustomerMasterKeySpec != nil && *in.CustomerMasterKeySpec != spec {
		return nil, validation("KeySpec and CustomerMasterKeySpec differ; use KeySpec only")
	}
	if spec == "" {
		spec = specSymmetric
	}
	usage := str(in.KeyUsage)
	origin := str(in.Origin)
	if origin == "" {
		origin = "AWS_KMS"
	}
	bypass := boolean(in.BypassPolicyLockoutSafetyCheck)
	params := createKeyParams{Policy: str(in.Policy), Description: str(in.Description), KeyUsage: usage, KeySpec: spec, Origin: origin, BypassPolicyLockoutSafetyCheck: bypass}
	for _, t := range in.Tags {
		params.Tags = append(params.Tags, tagKV{Key: str(t.TagKey), Value: str(t.TagValue)})
	}
	c.params = params

	usages := keySpecUsages(spec)
	if usages == nil {
		return nil, validation("1 validation error detected: Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: %s (the specs this simulator supports)", spec, supportedSpecs)
	}
	if usage == "" {
		usage = usageEncrypt
		if isHMACSpec(spec) {
			// KMS requires KeyUsage for HMAC keys; the error names it.
			return nil, validation("You must specify a KeyUsage value for %s keys: GENERATE_VERIFY_MAC.", spec)
		}
	}
	if !contains(usages, usage) {
		return nil, validation("KeyUsage %s is not compatible with KeySpec %s.", usage, spec)
	}
	params.KeyUsage = usage
	c.params = params
	if origin != "AWS_KMS" {
		return nil, clientErr(CodeUnsupportedOp, "Origin %s is not supported by this simulator; only AWS_KMS.", origin)
	}
	if in.CustomKeyStoreId != nil || in.XksKeyId != nil {
		return nil, clientErr(CodeUnsupportedOp, "Custom key stores are not supported by this simulator.")
	}
	if boolean(in.MultiRegion) {
		return nil, clientErr(CodeUnsupportedOp, "Multi-Region keys are not supported by this simulator.")
	}
	if len(str(in.Description)) > 8192 {
		return nil, validation("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192")
	}
	tags := params.Tags
	for _, t := range tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return nil, clientErr(CodeTag, "Tag keys must be 1 to 128 characters and values at most 256 characters.")
		}
	}

	account := c.callerAccount()
	ctx := c.requestContext()
	ctx.Set("kms:keyspec", spec)
	ctx.Set("kms:customermasterkeyspec", spec)
	ctx.Set("kms:keyusage", usage)
	ctx.Set("kms:customermasterkeyusage", usage)
	ctx.Set("kms:keyorigin", origin)
	ctx.Set("kms:multiregion", "false")
	ctx.Set("kms:bypasspolicylockoutsafetycheck", strconv.FormatBool(bypass))
	if len(tags) > 0 {
		keys := make([]string, 0, len(tags))
		for _, t := range tags {
			ctx.Set("aws:requesttag/"+t.Key, t.Value)
			keys = append(keys, t.Key)
		}
		ctx.SetMulti("aws:tagkeys", keys...)
	}
	if e := c.authorizeIAM("kms:CreateKey", ctx); e != nil {
		return nil, e
	}

	uid, err := newUUID()
	if err != nil {
		return nil, internal(err)
	}
	k := &key{
		id: uid, ID: formatUUID(uid), Account: account,
		Spec: spec, Usage: usage, Origin: origin, Description: str(in.Description),
		State: stateEnabled, Created: c.now, Tags: tags,
	}
	k.ARN = c.s.keyARN(account, k.ID)
	text := str(in.Policy)
	if text == "" {
		text = c.s.defaultKeyPolicy(account)
	}
	cp, apiErr := parseKeyPolicy(text)
	if apiErr != nil {
		return nil, apiErr
	}
	if !bypass {
		addKeyContext(ctx, k, "")
		if e := c.lockoutCheck(cp, k, ctx); e != nil {
			return nil, e
		}
	}
	k.PolicyText, k.policy = text, cp
	m, err := newMaterial(spec)
	if err != nil {
		return nil, internal(err)
	}
	k.materials = map[[materialIDLen]byte]*material{m.id: m}
	k.current = m

	st := c.s.store
	st.mu.Lock()
	st.sweep(c.now)
	st.keys[uid] = k
	ver, e := c.s.snapshotLocked()
	if e != nil {
		delete(st.keys, uid)
		st.version++
		st.mu.Unlock()
		return nil, e
	}
	st.mu.Unlock()
	if err := c.s.persist(ver); err != nil {
		return nil, internal(err)
	}
	c.useKey(k)
	c.response = trailMetadata(k)
	return keyMetadataOutput{KeyMetadata: k.metadata()}, nil
}

// keyOp resolves KeyId and authorizes action on the key. crossAccount
// tells whether the operation may name a key of another account (only by
// ARN). extra adds operation-specific condition keys.
func (c *call) keyOp(keyID *string, action string, crossAccount, allowAlias bool, ec map[string]string, extra ...func(*authz.Context)) (*key, *APIError) {
	if keyID == nil || *keyID == "" {
		return nil, required("keyId")
	}
	k, aliasName, e := c.resolveKey(*keyID, allowAlias)
	if e != nil {
		return nil, e
	}
	if !crossAccount && k.Account != c.callerAccount() {
		return nil, notFoundKey(k.ARN)
	}
	c.useKey(k)
	ctx := c.requestContext()
	addKeyContext(ctx, k, aliasName)
	addEncryptionContext(ctx, ec)
	for _, fn := range extra {
		fn(ctx)
	}
	if e := c.authorize(k, action, ctx, ec); e != nil {
		return nil, e
	}
	return k, nil
}

func (c *call) describeKey(body []byte) (any, *APIError) {
	var in keyIDInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = keyIDParams{KeyID: str(in.KeyId)}
	k, e := c.keyOp(in.KeyId, "kms:DescribeKey", true, true, nil)
	if e != nil {
		return nil, e
	}
	return keyMetadataOutput{KeyMetadata: k.metadata()}, nil
}

func (c *call) getKeyPolicy(body []byte) (any, *APIError) {
	var in getKeyPolicyInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	name := str(in.PolicyName)
	if name == "" {
		name = "default"
	}
	c.params = getKeyPolicyParams{KeyID: str(in.KeyId), PolicyName: name}
	k, e := c.keyOp(in.KeyId, "kms:GetKeyPolicy", false, false, nil)
	if e != nil {
		return nil, e
	}
	if name != "default" {
		return nil, clientErr(CodeNotFound, "No such policy exists: %s (the only policy name is \"default\")", name)
	}
	return getKeyPolicyOutput{Policy: k.PolicyText, PolicyName: name}, nil
}

func (c *call) putKeyPolicy(body []byte) (any, *APIError) {
	var in putKeyPolicyInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	name := str(in.PolicyName)
	if name == "" {
		name = "default"
	}
	bypass := boolean(in.BypassPolicyLockoutSafetyCheck)
	c.params = putKeyPolicyParams{KeyID: str(in.KeyId), PolicyName: name, Policy: str(in.Policy), BypassPolicyLockoutSafetyCheck: bypass}
	if in.Policy == nil || *in.Policy == "" {
		return nil, required("policy")
	}
	if in.KeyId == nil || *in.KeyId == "" {
		return nil, required("keyId")
	}
	k, aliasName, e := c.resolveKey(*in.KeyId, false)
	if e != nil {
		return nil, e
	}
	if k.Account != c.callerAccount() {
		return nil, notFoundKey(k.ARN)
	}
	c.useKey(k)
	ctx := c.requestContext()
	addKeyContext(ctx, k, aliasName)
	ctx.Set("kms:bypasspolicylockoutsafetycheck", strconv.FormatBool(bypass))
	if e := c.authorize(k, "kms:PutKeyPolicy", ctx, nil); e != nil {
		return nil, e
	}
	if name != "default" {
		return nil, clientErr(CodeNotFound, "No such policy exists: %s (the only policy name is \"default\")", name)
	}
	cp, e := parseKeyPolicy(*in.Policy)
	if e != nil {
		return nil, e
	}
	if !bypass {
		if e := c.lockoutCheck(cp, k, ctx); e != nil {
			return nil, e
		}
	}
	text := *in.Policy
	_, e = c.update(k, func(n *key) *APIError {
		n.PolicyText, n.policy = text, cp
		return nil
	})
	if e != nil {
		return nil, e
	}
	return struct{}{}, nil
}

// update changes a key under the store lock (on the current version, which
// may be newer than the one authorized) and persists the change before
// returning.
func (c *call) update(k *key, fn func(n *key) *APIError) (*key, *APIError) {
	st := c.s.store
	st.mu.Lock()
	cur := st.keys[k.id]
	if cur == nil || cur.State == statePendingDeletion && !c.now.Before(cur.DeletionDate) {
		st.mu.Unlock()
		return nil, notFoundKey(k.ARN)
	}
	n := cur.clone()
	if e := fn(n); e != nil {
		st.mu.Unlock()
		return nil, e
	}
	st.keys[k.id] = n
	ver, e := c.s.snapshotLocked()
	if e != nil {
		st.keys[k.id] = cur
		st.version++
		st.mu.Unlock()
		return nil, e
	}
	st.mu.Unlock()
	if err := c.s.persist(ver); err != nil {
		return nil, internal(err)
	}
	return n, nil
}

func (c *call) listKeys(body []byte) (any, *APIError) {
	var in listInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = listParams{Limit: in.Limit, Marker: str(in.Marker)}
	limit, e := listLimit(in.Limit, 1000)
	if e != nil {
		return nil, e
	}
	ctx := c.requestContext()
	if e := c.authorizeIAM("kms:ListKeys", ctx); e != nil {
		return nil, e
	}
	keys := c.s.store.keysOf(c.callerAccount(), c.now)
	start, e := markerStart(in.Marker, len(keys))
	if e != nil {
		return nil, e
	}
	out := listKeysOutput{Keys: []keyListEntry{}}
	for i := start; i < len(keys) && len(out.Keys) < limit; i++ {
		out.Keys = append(out.Keys, keyListEntry{KeyId: keys[i].ID, KeyArn: keys[i].ARN})
	}
	if next := start + len(out.Keys); next < len(keys) {
		out.Truncated, out.NextMarker = true, strconv.Itoa(next)
	}
	return out, nil
}

// listLimit validates a Limit parameter (1 to max, default max).
func listLimit(p *int, max int) (int, *APIError) {
	if p == nil {
		return max, nil
	}
	if *p < 1 || *p > max {
		return 0, validation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", *p, max)
	}
	return *p, nil
}

// markerStart decodes a pagination marker: the simulator's markers are
// list offsets.
func markerStart(m *string, n int) (int, *APIError) {
	if m == nil {
		return 0, nil
	}
	i, err := strconv.Atoi(*m)
	if err != nil || i < 0 || i > n {
		return 0, clientErr(CodeInvalidMarker, "The marker %q is not valid.", *m)
	}
	return i, nil
}

func (c *call) setState(body []byte, action string, change func(n *key) *APIError) (any, *APIError) {
	var in keyIDInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = keyIDParams{KeyID: str(in.KeyId)}
	k, e := c.keyOp(in.KeyId, action, false, false, nil)
	if e != nil {
		return nil, e
	}
	if _, e := c.update(k, change); e != nil {
		return nil, e
	}
	return struct{}{}, nil
}

func (c *call) enableKey(body []byte) (any, *APIError) {
	return c.setState(body, "kms:EnableKey", func(n *key) *APIError {
		if n.State == statePendingDeletion {
			return checkState(n)
		}
		n.State = stateEnabled
		return nil
	})
}

func (c *call) disableKey(body []byte) (any, *APIError) {
	return c.setState(body, "kms:DisableKey", func(n *key) *APIError {
		if n.State == statePendingDeletion {
			return checkState(n)
		}
		n.State = stateDisabled
		return nil
	})
}

func (c *call) scheduleKeyDeletion(body []byte) (any, *APIError) {
	var in scheduleInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	days := 30
	if in.PendingWindowInDays != nil {
		days = *in.PendingWindowInDays
	}
	c.params = scheduleParams{PendingWindowInDays: days, KeyID: str(in.KeyId)}
	if days < 7 || days > 30 {
		// https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html
		return nil, validation("1 validation error detected: Value '%d' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value between 7 and 30", days)
	}
	k, e := c.keyOp(in.KeyId, "kms:ScheduleKeyDeletion", false, false, nil)
	if e != nil {
		return nil, e
	}
	// KMS deletes at the end of the waiting period, counted from the
	// request; the date is reported to the second.
	when := c.now.Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)
	n, e := c.update(k, func(n *key) *APIError {
		if n.State == statePendingDeletion {
			return checkState(n)
		}
		n.State, n.DeletionDate, n.PendingDays = statePendingDeletion, when, days
		return nil
	})
	if e != nil {
		return nil, e
	}
	c.response = scheduleResponse{KeyID: n.ARN, KeyState: n.State, DeletionDate: when.Format(javaTime), PendingWindowInDays: days}
	return scheduleOutput{KeyId: n.ARN, DeletionDate: epoch(when), KeyState: n.State, PendingWindowInDays: days}, nil
}

func (c *call) cancelKeyDeletion(body []byte) (any, *APIError) {
	var in keyIDInput
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	c.params = keyIDParams{KeyID: str(in.KeyId)}
	k, e := c.keyOp(in.KeyId, "kms:CancelKeyDeletion", false, false, nil)
	if e != nil {
		return nil, e
	}
	n, e := c.update(k, func(n *key) *APIError {
		if n.State != statePendingDeletion {
			return clientErr(CodeInvalidState, "%s is not pending deletion.", n.ARN)
		}
		// A key whose deletion is cancelled is disabled.
		// https://docs.aws.amazon.com/kms/latest/APIReference/API_CancelKeyDeletion.html
		n.State, n.DeletionDate, n.PendingDays = stateDisabled, time.Time{}, 0
		return nil
	})
	if e != nil {
		return nil, e
	}
	c.response = keyIDParams{KeyID: n.ARN}
	return keyIDOutput{KeyId: n.ARN}, nil
}
