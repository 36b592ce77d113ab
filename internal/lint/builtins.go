package lint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
)

// cacheLimit bounds the text-keyed caches: a long run over many distinct
// policies must not grow without end. Dropping everything at the limit is
// crude but cheap, and a document's own policy never goes through this cache
// (see docState).
const cacheLimit = 4096

// builtins are the kmslint.* functions of one Linter. They close over the
// Linter's caches instead of OPA's global registry, so two Linters (or a
// test and a Linter) never share state.
type builtins struct {
	allowAll *authz.Policy

	mu       sync.Mutex
	policies map[string]compiled // policy JSON text -> compiled
	profiles map[string]*ast.Term
}

type compiled struct {
	p   *authz.Policy
	err error
}

// docState is the document being linted. Lint puts it in the evaluation's
// context so that kmslint.decide on input.policy (the same ast value Lint
// built) uses the engine compiled once for the document instead of
// serialising and compiling the policy again.
type docState struct {
	policyVal ast.Value
	key       *authz.Policy
	keyErr    error
	identVal  ast.Value
	identity  []*authz.Policy
	// envVal is input.env; profile caches profile_requests(input.env),
	// which every profile rule asks for.
	envVal  ast.Value
	once    sync.Once
	profile *ast.Term
	profErr error
}

type docKey struct{}

func withDoc(ctx context.Context, d *docState) context.Context {
	return context.WithValue(ctx, docKey{}, d)
}

func newBuiltins() (*builtins, error) {
	p, err := policy.ParseIdentityPolicy("allow-all", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`))
	if err != nil {
		return nil, fmt.Errorf("allow-all identity policy: %w", err)
	}
	aa, err := authz.Compile("identity policy (assumed to allow all)", p)
	if err != nil {
		return nil, fmt.Errorf("allow-all identity policy: %w", err)
	}
	return &builtins{allowAll: aa, policies: map[string]compiled{}, profiles: map[string]*ast.Term{}}, nil
}

func fn(name string, n int) *rego.Function {
	args := make([]types.Type, n)
	for i := range args {
		args[i] = types.A
	}
	return &rego.Function{Name: name, Decl: types.NewFunction(types.Args(args...), types.A)}
}

// Memoization is off: OPA keys its memo by the arguments' text, which costs
// more than the decisions it would save.

// options returns the rego options that register the built-ins.
func (b *builtins) options() []func(*rego.Rego) {
	var out []func(*rego.Rego)
	for _, t := range b.testBuiltins() {
		out = append(out, t.Func)
	}
	return out
}

// testBuiltins is the same set in the form OPA's test runner takes.
func (b *builtins) testBuiltins() []*tester.Builtin {
	mk := func(f *rego.Function, opt func(*rego.Rego)) *tester.Builtin {
		return &tester.Builtin{Decl: &ast.Builtin{Name: f.Name, Decl: f.Decl}, Func: opt}
	}
	decide, profile, arn, op, ck, act, allowed := fn("kmslint.decide", 2), fn("kmslint.profile_requests", 1),
		fn("kmslint.parse_arn", 1), fn("kmslint.operator", 1), fn("kmslint.condition_key", 1),
		fn("kmslint.kms_action", 1), fn("kmslint.allowed_actions", 2)
	return []*tester.Builtin{
		mk(decide, rego.Function2(decide, b.decide)),
		mk(profile, rego.Function1(profile, b.profileRequests)),
		mk(arn, rego.Function1(arn, parseARN)),
		mk(op, rego.Function1(op, func(_ rego.BuiltinContext, a *ast.Term) (*ast.Term, error) {
			s, ok := a.Value.(ast.String)
			if !ok {
				return nil, errors.New("kmslint.operator: want a string")
			}
			return toTerm(operatorInfo(string(s)))
		})),
		mk(ck, rego.Function1(ck, func(_ rego.BuiltinContext, a *ast.Term) (*ast.Term, error) {
			s, ok := a.Value.(ast.String)
			if !ok {
				return nil, errors.New("kmslint.condition_key: want a string")
			}
			k, known := lookupConditionKey(string(s))
			return toTerm(map[string]any{"known": known, "multivalued": k.multi, "kms_sets": k.kms})
		})),
		mk(act, rego.Function1(act, func(_ rego.BuiltinContext, a *ast.Term) (*ast.Term, error) {
			s, ok := a.Value.(ast.String)
			if !ok {
				return nil, errors.New("kmslint.kms_action: want a string")
			}
			m := kmsActionMatches(string(s))
			return toTerm(map[string]any{"valid": len(m) > 0, "matches": stringsAny(m)})
		})),
		mk(allowed, rego.Function2(allowed, b.allowedActions)),
	}
}

func toTerm(v any) (*ast.Term, error) {
	val, err := ast.InterfaceToValue(v)
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(val), nil
}

func stringsAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func parseARN(_ rego.BuiltinContext, a *ast.Term) (*ast.Term, error) {
	s, ok := a.Value.(ast.String)
	if !ok {
		return nil, nil // undefined
	}
	parts := strings.SplitN(string(s), ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
		return nil, nil
	}
	return toTerm(map[string]any{"partition": parts[1], "service": parts[2], "region": parts[3], "account": parts[4], "resource": parts[5]})
}

// keyPolicy returns the compiled key policy for an argument of decide.
func (b *builtins) keyPolicy(ctx context.Context, v ast.Value) (*authz.Policy, error) {
	if d, ok := ctx.Value(docKey{}).(*docState); ok && sameValue(v, d.policyVal) {
		return d.key, d.keyErr
	}
	return b.compileCached(v, false)
}

func (b *builtins) identityPolicies(ctx context.Context, v ast.Value) ([]*authz.Policy, error) {
	if d, ok := ctx.Value(docKey{}).(*docState); ok && sameValue(v, d.identVal) {
		return d.identity, nil
	}
	arr, ok := v.(*ast.Array)
	if !ok {
		return nil, errors.New("identity_policies must be an array of policy objects")
	}
	var out []*authz.Policy
	for i := 0; i < arr.Len(); i++ {
		p, err := b.compileCached(arr.Elem(i).Value, true)
		if err != nil {
			return nil, fmt.Errorf("identity policy %d: %w", i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// sameValue is pointer identity for objects and arrays, the only shapes
// documents have; anything else is never "the document's own".
func sameValue(a, b ast.Value) bool {
	if a == nil || b == nil {
		return false
	}
	switch a.(type) {
	case ast.Object, *ast.Array:
		switch b.(type) {
		case ast.Object, *ast.Array:
			return a == b
		}
	}
	return false
}

func (b *builtins) compileCached(v ast.Value, identity bool) (*authz.Policy, error) {
	text := v.String()
	if identity {
		text = "I" + text
	}
	b.mu.Lock()
	c, ok := b.policies[text]
	b.mu.Unlock()
	if ok {
		return c.p, c.err
	}
	c.p, c.err = compileValue(v, identity)
	b.mu.Lock()
	if len(b.policies) >= cacheLimit {
		clear(b.policies)
	}
	b.policies[text] = c
	b.mu.Unlock()
	return c.p, c.err
}

func compileValue(v ast.Value, identity bool) (*authz.Policy, error) {
	g, err := ast.JSON(v)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(g)
	if err != nil {
		return nil, err
	}
	var p *policy.Policy
	name := "key policy"
	if identity {
		name = "identity policy"
		p, err = policy.ParseIdentityPolicy(name, data)
	} else {
		p, err = policy.ParseKeyPolicy(name, data)
	}
	if err != nil {
		return nil, err
	}
	return authz.Compile(name, p)
}

// errTerm is how decide reports a policy or request it cannot decide: an
// object rules can test for, rather than a Rego error that would make the
// whole expression undefined without a trace.
func errTerm(err error) (*ast.Term, error) {
	return toTerm(map[string]any{"error": err.Error()})
}

func (b *builtins) decide(bctx rego.BuiltinContext, pol, req *ast.Term) (*ast.Term, error) {
	eng, r, err := b.prepare(bctx.Context, pol, req)
	if err != nil {
		return errTerm(err)
	}
	res := eng.Decide(r)
	stmts := make([]any, 0, len(res.Statements))
	for _, s := range res.Statements {
		stmts = append(stmts, map[string]any{
			"policy": s.Policy, "sid": s.Sid, "index": s.Index, "effect": s.Effect, "matched": s.Matched,
			"decisive": s.Decisive, "via": s.Via, "reason": s.Reason, "failed": s.Failed.String(),
		})
	}
	return toTerm(map[string]any{
		"decision": res.Decision.String(), "summary": res.Summary,
		"deciding": stringsAny(res.Deciding()), "statements": stmts,
	})
}

// allowedActions answers decide for every KMS action with the request's
// principal and context, in one call: ACR008 would otherwise make fifty.
func (b *builtins) allowedActions(bctx rego.BuiltinContext, pol, req *ast.Term) (*ast.Term, error) {
	eng, r, err := b.prepare(bctx.Context, pol, req)
	if err != nil {
		return errTerm(err)
	}
	var out []any
	for _, a := range kmsActions {
		r.Action = "kms:" + a
		if eng.Allowed(r) == authz.Allow {
			out = append(out, r.Action)
		}
	}
	if out == nil {
		out = []any{}
	}
	return toTerm(out)
}

func (b *builtins) prepare(ctx context.Context, pol, req *ast.Term) (*authz.Engine, *authz.Request, error) {
	key, err := b.keyPolicy(ctx, pol.Value)
	if err != nil {
		return nil, nil, err
	}
	obj, ok := req.Value.(ast.Object)
	if !ok {
		return nil, nil, errors.New("request must be an object")
	}
	r, err := requestFromValue(obj)
	if err != nil {
		return nil, nil, err
	}
	eng := &authz.Engine{Key: key}
	mode := "none"
	if t := obj.Get(ast.StringTerm("identity")); t != nil {
		s, ok := t.Value.(ast.String)
		if !ok {
			return nil, nil, errors.New(`request.identity must be "none", "allow-all" or "given"`)
		}
		mode = string(s)
	}
	switch mode {
	case "none", "":
	case "allow-all":
		eng.Identity = []*authz.Policy{b.allowAll}
	case "given":
		if t := obj.Get(ast.StringTerm("identity_policies")); t != nil {
			ids, err := b.identityPolicies(ctx, t.Value)
			if err != nil {
				return nil, nil, err
			}
			eng.Identity = ids
		}
	default:
		return nil, nil, fmt.Errorf(`request.identity %q: want "none", "allow-all" or "given"`, mode)
	}
	return eng, r, nil
}

func requestFromValue(obj ast.Object) (*authz.Request, error) {
	str := func(k string) (string, error) {
		t := obj.Get(ast.StringTerm(k))
		if t == nil {
			return "", nil
		}
		s, ok := t.Value.(ast.String)
		if !ok {
			return "", fmt.Errorf("request.%s must be a string", k)
		}
		return string(s), nil
	}
	ps, err := str("principal")
	if err != nil {
		return nil, err
	}
	p, err := authz.ParsePrincipal(ps)
	if err != nil {
		return nil, fmt.Errorf("request.principal: %w", err)
	}
	action, err := str("action")
	if err != nil {
		return nil, err
	}
	if action == "" {
		return nil, errors.New("request.action missing")
	}
	res, err := str("resource")
	if err != nil {
		return nil, err
	}
	if res == "" {
		// A default would differ between lint (the document's key) and rule
		// tests (no document), so rules must say which key they mean.
		return nil, errors.New("request.resource missing: pass input.env.key_arn")
	}
	c := authz.NewContext()
	if t := obj.Get(ast.StringTerm("context")); t != nil {
		co, ok := t.Value.(ast.Object)
		if !ok {
			return nil, errors.New("request.context must be an object")
		}
		err := co.Iter(func(k, v *ast.Term) error {
			ks, ok := k.Value.(ast.String)
			if !ok {
				return errors.New("request.context keys must be strings")
			}
			switch vv := v.Value.(type) {
			case ast.String:
				c.Set(string(ks), string(vv))
			case *ast.Array:
				vals := make([]string, 0, vv.Len())
				for i := 0; i < vv.Len(); i++ {
					s, ok := vv.Elem(i).Value.(ast.String)
					if !ok {
						return fmt.Errorf("request.context[%q] values must be strings", ks)
					}
					vals = append(vals, string(s))
				}
				c.SetMulti(string(ks), vals...)
			case ast.Boolean:
				c.Set(string(ks), fmt.Sprint(bool(vv)))
			case ast.Number:
				c.Set(string(ks), string(vv))
			default:
				return fmt.Errorf("request.context[%q] must be a string or a list of strings", ks)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return &authz.Request{Principal: p, Action: action, Resource: res, Context: c}, nil
}

// requestJSON is the Rego form of an authz.Request (the shape decide takes).
func requestJSON(r authz.Request) map[string]any {
	ctx := map[string]any{}
	if r.Context != nil {
		r.Context.Each(func(k string, v authz.Value) {
			if v.Multi {
				ctx[k] = stringsAny(v.Values)
			} else if len(v.Values) > 0 {
				ctx[k] = v.Values[0]
			}
		})
	}
	return map[string]any{"principal": r.Principal.String(), "action": r.Action, "resource": r.Resource, "context": ctx}
}

func (b *builtins) profileRequests(bctx rego.BuiltinContext, envT *ast.Term) (*ast.Term, error) {
	if d, ok := bctx.Context.Value(docKey{}).(*docState); ok && sameValue(envT.Value, d.envVal) {
		d.once.Do(func() { d.profile, d.profErr = b.profileFor(envT) })
		return d.profile, d.profErr
	}
	return b.profileFor(envT)
}

func (b *builtins) profileFor(envT *ast.Term) (*ast.Term, error) {
	text := envT.Value.String()
	b.mu.Lock()
	t, ok := b.profiles[text]
	b.mu.Unlock()
	if ok {
		return t, nil
	}
	env, callers, err := profileEnv(envT.Value)
	if err != nil {
		return nil, err
	}
	t, err = buildProfile(env, callers)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	if len(b.profiles) >= cacheLimit {
		clear(b.profiles)
	}
	b.profiles[text] = t
	b.mu.Unlock()
	return t, nil
}

func profileEnv(v ast.Value) (agentcore.Env, []string, error) {
	g, err := ast.JSON(v)
	if err != nil {
		return agentcore.Env{}, nil, err
	}
	m, ok := g.(map[string]any)
	if !ok {
		return agentcore.Env{}, nil, errors.New("kmslint.profile_requests: env must be an object")
	}
	s := func(k string) string { v, _ := m[k].(string); return v }
	env := agentcore.Env{Account: s("account"), Region: s("region"), KeyARN: s("key_arn")}
	if env.Account == "" || env.Region == "" {
		return env, nil, errors.New("kmslint.profile_requests: env needs account and region")
	}
	var callers []string
	if l, ok := m["callers"].([]any); ok {
		for _, c := range l {
			if cs, ok := c.(string); ok {
				callers = append(callers, cs)
			}
		}
	}
	return env, callers, nil
}

func buildProfile(env agentcore.Env, callers []string) (*ast.Term, error) {
	rec := agentcore.RecommendationARN(agentcore.PartitionOf(env.Region), env.Region, env.Account, agentcore.SampleID)
	steps := func(rs []agentcore.Request) []any {
		out := make([]any, 0, len(rs))
		for _, r := range rs {
			out = append(out, map[string]any{"step": string(r.Step), "request": requestJSON(r.Request)})
		}
		return out
	}
	probes := func(ps []agentcore.Probe) []any {
		out := make([]any, 0, len(ps))
		for _, p := range ps {
			out = append(out, map[string]any{"id": p.ID, "about": p.About, "family": p.Family, "request": requestJSON(p.Request)})
		}
		return out
	}
	cr, cp := map[string]any{}, map[string]any{}
	sorted := sortedCopy(callers)
	for _, c := range sorted {
		p, err := authz.ParsePrincipal(c)
		if err != nil {
			// An unresolved template value or a typo: no requests for it,
			// rather than failing every rule.
			continue
		}
		s := agentcore.CallerSession(p, "kmslint")
		cr[c] = steps(agentcore.CallerRequests(env, s, rec))
		cp[c] = probes(agentcore.CallerProbes(env, s))
	}
	return toTerm(map[string]any{
		"recommendation_arn": rec,
		"callers":            cr, "caller_probes": cp,
		"service":        steps(agentcore.ServiceRequests(env, rec)),
		"service_probes": probes(agentcore.ServiceProbes(env)),
	})
}
