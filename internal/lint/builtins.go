package lint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/types"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
)

// Limits of the caches: a long run over many distinct policies must not
// grow without end. Dropping everything at the limit is crude but cheap, and
// a document's own policy never goes through these caches (see docState).
//
// pureLimit bounds the small answers of the string built-ins, which every
// document asks again. cacheLimit bounds the rest (compiled policies,
// request profiles and their parts, decoded requests): one profile is about
// 150 KB, so thousands of them, one per document that names its own callers,
// were hundreds of MB the garbage collector kept scanning (7% of a
// 1,000-policy run) while a repository has a few environments to reuse.
const (
	pureLimit  = 4096
	cacheLimit = 256
)

// builtins are the kmslint.* functions of one Linter. They close over the
// Linter's caches instead of OPA's global registry, so two Linters (or a
// test and a Linter) never share state.
type builtins struct {
	allowAll *authz.Policy

	mu       sync.Mutex
	policies map[string]compiled // policy JSON text -> compiled
	profiles map[string]*ast.Term
	// pure holds the answers of the string built-ins (kms_action,
	// operator, condition_key, parse_arn): every document asks them again
	// for the same few strings.
	pure map[string]*ast.Term
	// parts are pieces of profile_requests (see buildProfile).
	parts map[string]*ast.Term
	// requests are decoded request objects by identity: the requests of
	// profile_requests are the same ast values for every rule and, for the
	// service, every document of the environment. Keys are pointers (an
	// ast.Object), compared by identity, never by content.
	requests map[ast.Value]*authz.Request
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
	// Rules ask the same questions: ACR001-ACR003 and ACR012 decide each
	// caller's requests, ACR006 and ACR007 the same service probes. The
	// answers on the document's own policy are remembered for the document.
	decisions memo
	verdicts  memo // decision's answers
	allowed   memo
	// stmts holds the per-statement objects of decide's answers: building
	// a nine-field object is most of what a decision costs, and the
	// document's statements answer the same way to many requests.
	stmtMu sync.Mutex
	stmts  map[authz.StatementResult]*ast.Term
	// proofs are the prover's questions on the document (prove_builtin.go).
	proofs proofLog
}

// memo maps a request value to the built-in's answer. It compares values,
// not their text: formatting a request costs more than hashing it.
type memo struct {
	mu sync.Mutex
	m  map[int][]memoEntry
}

type memoEntry struct {
	req ast.Value
	res *ast.Term
}

func (m *memo) get(v ast.Value) (*ast.Term, bool) {
	h := v.Hash()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.m[h] {
		if e.req.Compare(v) == 0 {
			return e.res, true
		}
	}
	return nil, false
}

func (m *memo) put(v ast.Value, t *ast.Term) {
	h := v.Hash()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[int][]memoEntry{}
	}
	m.m[h] = append(m.m[h], memoEntry{req: v, res: t})
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
	return &builtins{allowAll: aa, policies: map[string]compiled{}, profiles: map[string]*ast.Term{}, pure: map[string]*ast.Term{}, parts: map[string]*ast.Term{}, requests: map[ast.Value]*authz.Request{}}, nil
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
	decideAs, allowedAs := fn("kmslint.decide_as", 3), fn("kmslint.allowed_actions_as", 3)
	groups := fn("kmslint.probe_groups", 3)
	decision, decisionAs := fn("kmslint.decision", 2), fn("kmslint.decision_as", 3)
	return append(b.proveBuiltins(), []*tester.Builtin{
		mk(decide, rego.Function2(decide, b.decide)),
		mk(profile, rego.Function1(profile, b.profileRequests)),
		mk(arn, rego.Function1(arn, b.cachedString("a", parseARN))),
		mk(op, rego.Function1(op, b.cachedString("o", func(_ rego.BuiltinContext, a *ast.Term) (*ast.Term, error) {
			s, ok := a.Value.(ast.String)
			if !ok {
				return nil, errors.New("kmslint.operator: want a string")
			}
			return operatorTerm(string(s)), nil
		}))),
		mk(ck, rego.Function1(ck, b.cachedString("c", func(_ rego.BuiltinContext, a *ast.Term) (*ast.Term, error) {
			s, ok := a.Value.(ast.String)
			if !ok {
				return nil, errors.New("kmslint.condition_key: want a string")
			}
			k, known := lookupConditionKey(string(s))
			return ast.ObjectTerm(
				ast.Item(ast.StringTerm("known"), ast.BooleanTerm(known)),
				ast.Item(ast.StringTerm("multivalued"), ast.BooleanTerm(k.multi)),
				ast.Item(ast.StringTerm("kms_sets"), ast.BooleanTerm(k.kms)),
			), nil
		}))),
		mk(act, rego.Function1(act, b.cachedString("k", func(_ rego.BuiltinContext, a *ast.Term) (*ast.Term, error) {
			s, ok := a.Value.(ast.String)
			if !ok {
				return nil, errors.New("kmslint.kms_action: want a string")
			}
			m := kmsActionMatches(string(s))
			return ast.ObjectTerm(
				ast.Item(ast.StringTerm("valid"), ast.BooleanTerm(len(m) > 0)),
				ast.Item(ast.StringTerm("matches"), stringsTerm(m)),
			), nil
		}))),
		mk(allowed, rego.Function2(allowed, b.allowedActions)),
		mk(decideAs, rego.Function3(decideAs, b.decideAs)),
		mk(allowedAs, rego.Function3(allowedAs, b.allowedActionsAs)),
		mk(groups, rego.Function3(groups, b.probeGroups)),
		mk(decision, rego.Function2(decision, b.decision)),
		mk(decisionAs, rego.Function3(decisionAs, b.decisionAs)),
	}...)
}

// cachedString remembers f's answers for string arguments; other arguments
// (errors, undefined) go to f every time. kind keeps the built-ins apart in
// the shared map.
func (b *builtins) cachedString(kind string, f func(rego.BuiltinContext, *ast.Term) (*ast.Term, error)) func(rego.BuiltinContext, *ast.Term) (*ast.Term, error) {
	return func(bctx rego.BuiltinContext, a *ast.Term) (*ast.Term, error) {
		s, ok := a.Value.(ast.String)
		if !ok {
			return f(bctx, a)
		}
		key := kind + string(s)
		b.mu.Lock()
		t, hit := b.pure[key]
		b.mu.Unlock()
		if hit {
			return t, nil
		}
		t, err := f(bctx, a)
		if err != nil {
			return nil, err
		}
		b.mu.Lock()
		if len(b.pure) >= pureLimit {
			clear(b.pure)
		}
		b.pure[key] = t
		b.mu.Unlock()
		return t, nil
	}
}

func toTerm(v any) (*ast.Term, error) {
	val, err := ast.InterfaceToValue(v)
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(val), nil
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
	return b.memoized(bctx.Context, pol, req, func(d *docState) *memo { return &d.decisions }, b.decideTerm)
}

// decideAs is decide with the identity mode as its own argument: "none",
// "allow-all", or {"identity": mode, "identity_policies": [...]}. Rules
// used to add it with object.union, which copied every (large) request
// object and was a fifth of lint's CPU.
func (b *builtins) decideAs(bctx rego.BuiltinContext, pol, req, ident *ast.Term) (*ast.Term, error) {
	return b.memoized(bctx.Context, pol, ast.ArrayTerm(req, ident), func(d *docState) *memo { return &d.decisions }, b.decideTerm)
}

// decision is decide's "decision" alone, without the explanation: most of
// the workflow's requests are allowed, and building the per-statement
// account of an Allow that no message will show cost more than deciding.
// Rules ask it first and call decide only for requests it does not allow.
// Errors are decide's error object.
func (b *builtins) decision(bctx rego.BuiltinContext, pol, req *ast.Term) (*ast.Term, error) {
	return b.memoized(bctx.Context, pol, req, func(d *docState) *memo { return &d.verdicts }, b.decisionTerm)
}

// decisionAs is decision with decide_as's arguments.
func (b *builtins) decisionAs(bctx rego.BuiltinContext, pol, req, ident *ast.Term) (*ast.Term, error) {
	return b.memoized(bctx.Context, pol, ast.ArrayTerm(req, ident), func(d *docState) *memo { return &d.verdicts }, b.decisionTerm)
}

func (b *builtins) decisionTerm(ctx context.Context, pol, req *ast.Term) (*ast.Term, error) {
	eng, r, err := b.prepare(ctx, pol, req)
	if err != nil {
		return errTerm(err)
	}
	return ast.StringTerm(eng.Allowed(r).String()), nil
}

// allowedActionsAs is allowed_actions with the identity mode as its own
// argument, as decideAs.
func (b *builtins) allowedActionsAs(bctx rego.BuiltinContext, pol, req, ident *ast.Term) (*ast.Term, error) {
	return b.memoized(bctx.Context, pol, ast.ArrayTerm(req, ident), func(d *docState) *memo { return &d.allowed }, b.allowedTerm)
}

// memoized answers from the document's memo when pol is the document's own
// policy (the only case where the answer is known to be the same).
func (b *builtins) memoized(ctx context.Context, pol, req *ast.Term, which func(*docState) *memo, f func(context.Context, *ast.Term, *ast.Term) (*ast.Term, error)) (*ast.Term, error) {
	d, ok := ctx.Value(docKey{}).(*docState)
	if !ok || !sameValue(pol.Value, d.policyVal) {
		return f(ctx, pol, req)
	}
	m := which(d)
	if t, ok := m.get(req.Value); ok {
		return t, nil
	}
	t, err := f(ctx, pol, req)
	if err != nil {
		return nil, err
	}
	m.put(req.Value, t)
	return t, nil
}

func (b *builtins) decideTerm(ctx context.Context, pol, req *ast.Term) (*ast.Term, error) {
	eng, r, err := b.prepare(ctx, pol, req)
	if err != nil {
		return errTerm(err)
	}
	res := eng.Decide(r)
	d, _ := ctx.Value(docKey{}).(*docState)
	stmts := make([]*ast.Term, 0, len(res.Statements))
	for _, s := range res.Statements {
		stmts = append(stmts, d.statementTerm(s))
	}
	return ast.ObjectTerm(
		ast.Item(ast.InternedTerm("decision"), ast.StringTerm(res.Decision.String())),
		ast.Item(ast.InternedTerm("summary"), ast.StringTerm(res.Summary)),
		ast.Item(ast.InternedTerm("deciding"), stringsTerm(res.Deciding())),
		ast.Item(ast.InternedTerm("statements"), ast.ArrayTerm(stmts...)),
	), nil
}

// statementTerm is the Rego form of one statement's result, shared by the
// document's decisions (d may be nil: no document, no sharing). Only the
// fields the term shows make up the key: Condition is not shown.
func (d *docState) statementTerm(s authz.StatementResult) *ast.Term {
	s.Condition = 0
	if d != nil {
		d.stmtMu.Lock()
		t, ok := d.stmts[s]
		d.stmtMu.Unlock()
		if ok {
			return t
		}
	}
	t := ast.ObjectTerm(
		ast.Item(ast.InternedTerm("policy"), ast.StringTerm(s.Policy)),
		ast.Item(ast.InternedTerm("sid"), ast.StringTerm(s.Sid)),
		ast.Item(ast.InternedTerm("index"), ast.IntNumberTerm(s.Index)),
		ast.Item(ast.InternedTerm("effect"), ast.StringTerm(s.Effect)),
		ast.Item(ast.InternedTerm("matched"), ast.BooleanTerm(s.Matched)),
		ast.Item(ast.InternedTerm("decisive"), ast.BooleanTerm(s.Decisive)),
		ast.Item(ast.InternedTerm("via"), ast.StringTerm(s.Via)),
		ast.Item(ast.InternedTerm("reason"), ast.StringTerm(s.Reason)),
		ast.Item(ast.InternedTerm("failed"), ast.StringTerm(s.Failed.String())),
	)
	if d != nil {
		d.stmtMu.Lock()
		if d.stmts == nil {
			d.stmts = map[authz.StatementResult]*ast.Term{}
		}
		d.stmts[s] = t
		d.stmtMu.Unlock()
	}
	return t
}

func stringsTerm(s []string) *ast.Term {
	ts := make([]*ast.Term, len(s))
	for i, v := range s {
		ts[i] = ast.StringTerm(v)
	}
	return ast.ArrayTerm(ts...)
}

// allowedActions answers decide for every KMS action with the request's
// principal and context, in one call: ACR008 would otherwise make fifty.
func (b *builtins) allowedActions(bctx rego.BuiltinContext, pol, req *ast.Term) (*ast.Term, error) {
	return b.memoized(bctx.Context, pol, req, func(d *docState) *memo { return &d.allowed }, b.allowedTerm)
}

func (b *builtins) allowedTerm(ctx context.Context, pol, req *ast.Term) (*ast.Term, error) {
	eng, r, err := b.prepare(ctx, pol, req)
	if err != nil {
		return errTerm(err)
	}
	allowed := eng.AllowedActions(r, kmsActionNames)
	out := make([]*ast.Term, len(allowed))
	for i, a := range allowed {
		out[i] = ast.StringTerm(a)
	}
	return ast.ArrayTerm(out...), nil
}

func (b *builtins) prepare(ctx context.Context, pol, req *ast.Term) (*authz.Engine, *authz.Request, error) {
	key, err := b.keyPolicy(ctx, pol.Value)
	if err != nil {
		return nil, nil, err
	}
	// decide_as passes [request, identity]: identity is a mode string or an
	// object with "identity" (and "identity_policies").
	var identObj ast.Object
	mode := "none"
	if pair, ok := req.Value.(*ast.Array); ok && pair.Len() == 2 {
		req = pair.Elem(0)
		switch iv := pair.Elem(1).Value.(type) {
		case ast.String:
			mode = string(iv)
		case ast.Object:
			identObj = iv
		default:
			return nil, nil, errors.New(`identity must be "none", "allow-all" or an object {"identity": ..., "identity_policies": [...]}`)
		}
	}
	obj, ok := req.Value.(ast.Object)
	if !ok {
		return nil, nil, errors.New("request must be an object")
	}
	if identObj == nil && mode == "none" {
		identObj = obj
	}
	r, err := b.request(obj)
	if err != nil {
		return nil, nil, err
	}
	// Rules read the statements that name the principal (matched, or
	// failed on action, resource or condition), never the rest: listing
	// every statement made each explained decision cost the whole policy.
	eng := &authz.Engine{Key: key, Relevant: true}
	if t := getField(identObj, "identity"); t != nil {
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
		if t := getField(identObj, "identity_policies"); t != nil {
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

// request decodes a request object, from the cache when the same object
// was decoded before. The result is a copy: allowed_actions changes its
// Action (the engine only reads the Context the copies share).
func (b *builtins) request(obj ast.Object) (*authz.Request, error) {
	b.mu.Lock()
	r, ok := b.requests[obj]
	b.mu.Unlock()
	if !ok {
		var err error
		if r, err = requestFromValue(obj); err != nil {
			return nil, err
		}
		b.mu.Lock()
		if len(b.requests) >= cacheLimit {
			clear(b.requests)
		}
		b.requests[obj] = r
		b.mu.Unlock()
	}
	c := *r
	return &c, nil
}

// getField is obj.Get that tolerates a nil object.
func getField(obj ast.Object, key string) *ast.Term {
	if obj == nil {
		return nil
	}
	return obj.Get(ast.StringTerm(key))
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

// requestTerm is the Rego form of an authz.Request (the shape decide takes).
func requestTerm(r authz.Request) *ast.Term {
	var ctx [][2]*ast.Term
	if r.Context != nil {
		r.Context.Each(func(k string, v authz.Value) {
			if v.Multi {
				ctx = append(ctx, ast.Item(ast.StringTerm(k), stringsTerm(v.Values)))
			} else if len(v.Values) > 0 {
				ctx = append(ctx, ast.Item(ast.StringTerm(k), ast.StringTerm(v.Values[0])))
			}
		})
	}
	return ast.ObjectTerm(
		ast.Item(ast.StringTerm("principal"), ast.StringTerm(r.Principal.String())),
		ast.Item(ast.StringTerm("action"), ast.StringTerm(r.Action)),
		ast.Item(ast.StringTerm("resource"), ast.StringTerm(r.Resource)),
		ast.Item(ast.StringTerm("context"), ast.ObjectTerm(ctx...)),
	)
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
	t, err = b.buildProfile(env, callers)
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
	list := func(k string) []string {
		var out []string
		if l, ok := m[k].([]any); ok {
			for _, c := range l {
				if cs, ok := c.(string); ok {
					out = append(out, cs)
				}
			}
		}
		return out
	}
	env := agentcore.Env{Account: s("account"), Region: s("region"), KeyARN: s("key_arn"),
		OtherAccounts: list("other_accounts"), OtherRegions: list("other_regions")}
	if ck, ok := m["caller_keys"].(map[string]any); ok {
		env.CallerKeys = map[string]string{}
		for k, v := range ck {
			if vs, ok := v.(string); ok {
				env.CallerKeys[k] = vs
			}
		}
	}
	if now := s("now"); now != "" {
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			return env, nil, fmt.Errorf("kmslint.profile_requests: env.now: %w", err)
		}
		env.Now = t
	}
	if env.Account == "" || env.Region == "" {
		return env, nil, errors.New("kmslint.profile_requests: env needs account and region")
	}
	return env, list("callers"), nil
}

// buildProfile assembles the profile from parts cached per environment
// (the service's requests) and per environment and caller: documents of one
// run share them even when their caller lists differ.
func (b *builtins) buildProfile(env agentcore.Env, callers []string) (*ast.Term, error) {
	rec := agentcore.RecommendationARN(agentcore.PartitionOf(env.Region), env.Region, env.Account, agentcore.SampleID)
	envKey := env.Account + "\x00" + env.Region + "\x00" + env.KeyARN + "\x00" +
		strings.Join(env.OtherAccounts, ",") + "\x00" + strings.Join(env.OtherRegions, ",") + "\x00" +
		env.Now.String() + "\x00" + callerKeysText(env.CallerKeys) + "\x00"
	cr, cp := ast.NewObject(), ast.NewObject()
	for _, c := range sortedCopy(callers) {
		k := ast.StringTerm(c)
		if cr.Get(k) != nil {
			continue
		}
		p, err := authz.ParsePrincipal(c)
		if err != nil {
			// An unresolved template value or a typo: no requests for it,
			// rather than failing every rule.
			continue
		}
		part := b.part("C"+envKey+c, func() *ast.Term {
			s := agentcore.CallerSession(p, "kmslint")
			return ast.ArrayTerm(stepsTerm(agentcore.CallerRequests(env, s, rec)), probesTerm(agentcore.CallerProbes(env, s)))
		})
		cr.Insert(k, part.Value.(*ast.Array).Elem(0))
		cp.Insert(k, part.Value.(*ast.Array).Elem(1))
	}
	svc := b.part("S"+envKey, func() *ast.Term {
		return ast.ArrayTerm(stepsTerm(agentcore.ServiceRequests(env, rec)), probesTerm(agentcore.ServiceProbes(env)))
	}).Value.(*ast.Array)
	return ast.ObjectTerm(
		ast.Item(ast.StringTerm("recommendation_arn"), ast.StringTerm(rec)),
		ast.Item(ast.StringTerm("callers"), ast.NewTerm(cr)),
		ast.Item(ast.StringTerm("caller_probes"), ast.NewTerm(cp)),
		ast.Item(ast.StringTerm("service"), svc.Elem(0)),
		ast.Item(ast.StringTerm("service_probes"), svc.Elem(1)),
	), nil
}

// callerKeysText is env.CallerKeys in a fixed order, for cache keys.
func callerKeysText(m map[string]string) string {
	var b strings.Builder
	for _, k := range sortedCopy(mapKeys(m)) {
		b.WriteString(k + "=" + m[k] + ";")
	}
	return b.String()
}

func mapKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// part returns the cached term for key, building it on a miss.
func (b *builtins) part(key string, build func() *ast.Term) *ast.Term {
	b.mu.Lock()
	t, ok := b.parts[key]
	b.mu.Unlock()
	if ok {
		return t
	}
	t = build()
	b.mu.Lock()
	if len(b.parts) >= cacheLimit {
		clear(b.parts)
	}
	b.parts[key] = t
	b.mu.Unlock()
	return t
}

func stepsTerm(rs []agentcore.Request) *ast.Term {
	out := make([]*ast.Term, 0, len(rs))
	for _, r := range rs {
		out = append(out, ast.ObjectTerm(
			ast.Item(ast.StringTerm("step"), ast.StringTerm(string(r.Step))),
			ast.Item(ast.StringTerm("request"), requestTerm(r.Request)),
		))
	}
	return ast.ArrayTerm(out...)
}

func probesTerm(ps []agentcore.Probe) *ast.Term {
	out := make([]*ast.Term, 0, len(ps))
	for _, p := range ps {
		out = append(out, ast.ObjectTerm(
			ast.Item(ast.StringTerm("id"), ast.StringTerm(p.ID)),
			ast.Item(ast.StringTerm("about"), ast.StringTerm(p.About)),
			ast.Item(ast.StringTerm("family"), ast.StringTerm(p.Family)),
			ast.Item(ast.StringTerm("request"), requestTerm(p.Request)),
		))
	}
	return ast.ArrayTerm(out...)
}

// probeGroups is the Allow side of the probe rules (ACR004, ACR006,
// ACR007) in one call: for each probe of family in probes, the key policy
// alone decides (identity "none", through decide_as's memo); probes it
// allows are grouped by the first decisive Allow statement of the key
// policy. Each group carries what the rule's message needs: the sorted,
// distinct abouts and the probe with the smallest id with its decision.
// In Rego this was a set of [statement, probe, decision] tuples, and
// hashing and comparing those large objects cost more than the decisions.
// Among probes sharing the smallest id (one per action) the smallest
// probe object is the one kept: that is the one the set's sorted order
// gave first.
func (b *builtins) probeGroups(bctx rego.BuiltinContext, pol, probes, fam *ast.Term) (*ast.Term, error) {
	arr, ok := probes.Value.(*ast.Array)
	if !ok {
		return nil, nil // undefined, as iterating a non-array was
	}
	type group struct {
		stmt   *ast.Term
		abouts map[string]bool
		p0, d0 *ast.Term
	}
	var groups []*group
	byStmt := map[int]*group{}
	none := ast.StringTerm("none")
	for i := 0; i < arr.Len(); i++ {
		p, ok := arr.Elem(i).Value.(ast.Object)
		if !ok {
			continue
		}
		if !fieldIs(p, "family", fam.Value) {
			continue
		}
		req := p.Get(ast.InternedTerm("request"))
		if req == nil {
			continue
		}
		// Most probes are denied (that is what a good policy does with
		// them): the explained decision is built only for allowed ones.
		v, err := b.decisionAs(bctx, pol, req, none)
		if err != nil {
			return nil, err
		}
		if v.Value.Compare(ast.String("Allow")) != 0 {
			continue
		}
		d, err := b.decideAs(bctx, pol, req, none)
		if err != nil {
			return nil, err
		}
		stmt := decisiveAllow(d)
		if stmt == nil {
			continue
		}
		n, ok := stmt.Value.(ast.Number).Int()
		if !ok {
			continue
		}
		g := byStmt[n]
		if g == nil {
			g = &group{stmt: stmt, abouts: map[string]bool{}}
			byStmt[n] = g
			groups = append(groups, g)
		}
		if a := getField(p, "about"); a != nil {
			if s, ok := a.Value.(ast.String); ok {
				g.abouts[string(s)] = true
			}
		}
		if g.p0 == nil || lessProbe(arr.Elem(i), g.p0) {
			g.p0, g.d0 = arr.Elem(i), d
		}
	}
	out := make([]*ast.Term, 0, len(groups))
	for _, g := range groups {
		abouts := make([]string, 0, len(g.abouts))
		for a := range g.abouts {
			abouts = append(abouts, a)
		}
		sort.Strings(abouts)
		out = append(out, ast.ObjectTerm(
			ast.Item(ast.InternedTerm("statement"), g.stmt),
			ast.Item(ast.InternedTerm("abouts"), stringsTerm(abouts)),
			ast.Item(ast.InternedTerm("probe"), g.p0),
			ast.Item(ast.InternedTerm("decision"), g.d0),
		))
	}
	return ast.ArrayTerm(out...), nil
}

// decisiveAllow is the index term of the first statement of the key
// policy (policy "") that decided an Allow, or nil when d is no Allow.
func decisiveAllow(d *ast.Term) *ast.Term {
	obj, ok := d.Value.(ast.Object)
	if !ok {
		return nil
	}
	if dec := obj.Get(ast.InternedTerm("decision")); dec == nil || dec.Value.Compare(ast.String("Allow")) != 0 {
		return nil
	}
	st := getField(obj, "statements")
	if st == nil {
		return nil
	}
	stmts, ok := st.Value.(*ast.Array)
	if !ok {
		return nil
	}
	for i := 0; i < stmts.Len(); i++ {
		s, ok := stmts.Elem(i).Value.(ast.Object)
		if !ok {
			continue
		}
		if fieldIs(s, "decisive", ast.Boolean(true)) && fieldIs(s, "effect", ast.String("Allow")) && fieldIs(s, "policy", ast.String("")) {
			if idx := getField(s, "index"); idx != nil {
				if _, ok := idx.Value.(ast.Number); ok {
					return idx
				}
			}
		}
	}
	return nil
}

func fieldIs(obj ast.Object, key string, want ast.Value) bool {
	t := getField(obj, key)
	return t != nil && t.Value.Compare(want) == 0
}

// lessProbe orders probes by id, then as Rego orders values.
func lessProbe(a, b *ast.Term) bool {
	ai := a.Value.(ast.Object).Get(ast.InternedTerm("id"))
	bi := b.Value.(ast.Object).Get(ast.InternedTerm("id"))
	if ai == nil || bi == nil {
		return ai != nil
	}
	if c := ai.Value.Compare(bi.Value); c != 0 {
		return c < 0
	}
	return a.Value.Compare(b.Value) < 0
}
