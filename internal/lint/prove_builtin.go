package lint

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/tester"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/prove"
	"github.com/kmslint/kmslint/internal/report"
)

// The prover's built-ins: rules ask whether any request of a region is
// allowed, where kmslint.decide asks about one request.
//
//	kmslint.find_request(policy, region)          -> answer
//	kmslint.find_requests(policy, region, limit)  -> [answer...]
//
// region is internal/prove's region object ({"resource", "actions",
// "principal", "via", "condition"}) with two members of its own:
// "identity" (decide_as's identity modes: "none", the default, "allow-all",
// or {"identity": "given", "identity_policies": [...]}) and "property", a
// sentence naming what the question proves; the answers on the document's
// own policy to questions with a property make the document's proofs in
// lint's JSON report. An answer is
//
//	{"verdict": "proved"|"violated"|"unknown", "reason", "statement",
//	 "region": [{"what", "is"}], "description",
//	 "counterexample": {"principal", "action", "resource", "context", "decision", "statements"}}
//
// find_requests lists up to limit merged regions of allowed requests, each
// with its counterexample (one proved or unknown answer when there are
// none). A region or policy the prover cannot take gives {"error": "..."}.
func (b *builtins) proveBuiltins() []*tester.Builtin {
	mk := func(f *rego.Function, opt func(*rego.Rego)) *tester.Builtin {
		return &tester.Builtin{Decl: &ast.Builtin{Name: f.Name, Decl: f.Decl}, Func: opt}
	}
	one, all := fn("kmslint.find_request", 2), fn("kmslint.find_requests", 3)
	return []*tester.Builtin{
		mk(one, rego.Function2(one, func(bctx rego.BuiltinContext, pol, reg *ast.Term) (*ast.Term, error) {
			return b.find(bctx.Context, pol, reg, 0)
		})),
		mk(all, rego.Function3(all, func(bctx rego.BuiltinContext, pol, reg, limit *ast.Term) (*ast.Term, error) {
			n, ok := limit.Value.(ast.Number)
			if !ok {
				return errTerm(errors.New("limit must be a number"))
			}
			l, ok := n.Int()
			if !ok || l < 1 {
				return errTerm(fmt.Errorf("limit %v: want a positive integer", n))
			}
			return b.find(bctx.Context, pol, reg, l)
		})),
	}
}

// proofLog is a document's provers and the answers to its named questions.
type proofLog struct {
	mu      sync.Mutex
	provers map[string]*prove.Prover // by key ARN
	// props are the answers by property, in the order first asked.
	props map[string]*report.Proof
	order []string
}

// maxProofNodes bounds one search: lint answers unknown past it rather than
// spending seconds on one document.
const maxProofNodes = 100000

func (b *builtins) find(ctx context.Context, pol, reg *ast.Term, limit int) (*ast.Term, error) {
	d, _ := ctx.Value(docKey{}).(*docState)
	key, err := b.keyPolicy(ctx, pol.Value)
	if err != nil {
		return errTerm(err)
	}
	obj, ok := reg.Value.(ast.Object)
	if !ok {
		return errTerm(errors.New("region must be an object"))
	}
	property := ""
	if t := getField(obj, "property"); t != nil {
		s, ok := t.Value.(ast.String)
		if !ok {
			return errTerm(errors.New("region.property must be a string"))
		}
		property = string(s)
	}
	id, err := b.proveIdentity(ctx, getField(obj, "identity"))
	if err != nil {
		return errTerm(err)
	}
	rest := ast.NewObject()
	obj.Foreach(func(k, v *ast.Term) {
		if s, ok := k.Value.(ast.String); !ok || s != "property" && s != "identity" {
			rest.Insert(k, v)
		}
	})
	g, err := ast.JSON(rest)
	if err != nil {
		return errTerm(err)
	}
	r, err := prove.RegionFromValue(g)
	if err != nil {
		return errTerm(err)
	}
	// A prover keeps what it compiled between questions: the document's
	// questions share one; a policy other than the document's gets its own.
	var log *proofLog
	if d != nil && sameValue(pol.Value, d.policyVal) {
		log = &d.proofs
	}
	p, unlock, err := log.prover(r.Resource)
	if err != nil {
		return errTerm(err)
	}
	sub := prove.Subject{Key: key, Identity: id}
	opts := prove.Options{MaxNodes: maxProofNodes}
	var res []prove.Result
	if limit == 0 {
		var one prove.Result
		one, err = p.Find(sub, r, opts)
		res = []prove.Result{one}
	} else {
		res, err = p.FindAll(sub, r, limit, opts)
	}
	unlock()
	if err != nil {
		return errTerm(err)
	}
	answers := make([]prove.Answer, len(res))
	for i, x := range res {
		answers[i] = x.Answer()
	}
	if log != nil && property != "" {
		log.record(property, answers)
	}
	if limit == 0 {
		return answerTerm(answers[0])
	}
	ts := make([]*ast.Term, len(answers))
	for i, a := range answers {
		if ts[i], err = answerTerm(a); err != nil {
			return nil, err
		}
	}
	return ast.ArrayTerm(ts...), nil
}

// proveIdentity reads a region's identity member (decide_as's modes).
func (b *builtins) proveIdentity(ctx context.Context, t *ast.Term) (prove.Identity, error) {
	if t == nil {
		return prove.Identity{}, nil
	}
	mode, pols := "", (*ast.Term)(nil)
	switch v := t.Value.(type) {
	case ast.String:
		mode = string(v)
	case ast.Object:
		if m := getField(v, "identity"); m != nil {
			if s, ok := m.Value.(ast.String); ok {
				mode = string(s)
			}
		}
		pols = getField(v, "identity_policies")
	}
	switch mode {
	case "none":
		return prove.Identity{}, nil
	case "allow-all":
		return prove.Identity{Default: []*authz.Policy{b.allowAll}}, nil
	case "given":
		if pols == nil {
			return prove.Identity{}, nil
		}
		ids, err := b.identityPolicies(ctx, pols.Value)
		if err != nil {
			return prove.Identity{}, err
		}
		return prove.Identity{Default: ids}, nil
	}
	return prove.Identity{}, errors.New(`region.identity must be "none", "allow-all" or {"identity": "given", "identity_policies": [...]}`)
}

// prover is the document's prover for keyARN (a fresh one when l is nil),
// locked until unlock is called: a Prover is not safe for concurrent use.
func (l *proofLog) prover(keyARN string) (*prove.Prover, func(), error) {
	if l == nil {
		p, err := prove.New(keyARN)
		return p, func() {}, err
	}
	l.mu.Lock()
	p, ok := l.provers[keyARN]
	if !ok {
		var err error
		if p, err = prove.New(keyARN); err != nil {
			l.mu.Unlock()
			return nil, nil, err
		}
		if l.provers == nil {
			l.provers = map[string]*prove.Prover{}
		}
		l.provers[keyARN] = p
	}
	return p, l.mu.Unlock, nil
}

// record adds answers to a property: violated when any question of it
// found a request (the first counterexample stands), unknown when none did
// but one could not be decided, proved when every question was.
func (l *proofLog) record(property string, answers []prove.Answer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	pr, ok := l.props[property]
	if !ok {
		if l.props == nil {
			l.props = map[string]*report.Proof{}
		}
		pr = &report.Proof{Property: property, Result: prove.Proved.String()}
		l.props[property] = pr
		l.order = append(l.order, property)
	}
	for _, a := range answers {
		switch {
		case a.Verdict == prove.Violated && pr.Result != prove.Violated.String():
			pr.Result, pr.Reason = a.Verdict.String(), ""
			pr.Counterexample = reportEvidence(a.Counterexample)
		case a.Verdict == prove.Unknown && pr.Result == prove.Proved.String():
			pr.Result, pr.Reason = a.Verdict.String(), a.Reason
		}
	}
}

// list is the document's proofs in the order their properties were first
// asked (OPA's evaluation order, which is fixed for a rule set), sorted by
// property so that reports do not depend on it.
func (l *proofLog) list() []report.Proof {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]report.Proof, 0, len(l.order))
	for _, p := range l.order {
		out = append(out, *l.props[p])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Property < out[j].Property })
	return out
}

// reportEvidence is a counterexample in the report's evidence shape; the
// time keys are left out as in findings' evidence.
func reportEvidence(e *prove.Evidence) *report.Evidence {
	if e == nil {
		return nil
	}
	out := &report.Evidence{Principal: e.Principal, Action: e.Action, Decision: e.Decision,
		Statements: append([]string(nil), e.Statements...), Context: map[string]report.ContextValue{}}
	for k, v := range e.Context {
		if timeKey(k) {
			continue
		}
		switch vv := v.(type) {
		case []string:
			out.Context[k] = report.Multi(vv...)
		case string:
			out.Context[k] = report.Single(vv)
		default:
			out.Context[k] = report.Single(fmt.Sprint(vv))
		}
	}
	return out
}

func answerTerm(a prove.Answer) (*ast.Term, error) {
	m := map[string]any{
		"verdict":     a.Verdict.String(),
		"reason":      a.Reason,
		"statement":   a.Statement,
		"region":      constraints(a.Region),
		"description": prove.Describe(a.Region),
	}
	if e := a.Counterexample; e != nil {
		ctx := map[string]any{}
		for k, v := range e.Context {
			if vs, ok := v.([]string); ok {
				l := make([]any, len(vs))
				for i, x := range vs {
					l[i] = x
				}
				v = l
			}
			ctx[k] = v
		}
		st := make([]any, len(e.Statements))
		for i, s := range e.Statements {
			st[i] = s
		}
		m["counterexample"] = map[string]any{
			"principal": e.Principal, "action": e.Action, "resource": e.Resource,
			"context": ctx, "decision": e.Decision, "statements": st,
		}
	}
	return toTerm(m)
}

func constraints(cs []prove.Constraint) []any {
	out := make([]any, len(cs))
	for i, c := range cs {
		out[i] = map[string]any{"what": c.What, "is": c.Is}
	}
	return out
}
