package prove

import (
	"slices"
	"strings"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/world"
)

// switchExpr is cases[value of v].
func switchExpr(v int, cases []expr) expr {
	if len(cases) == 0 {
		return exprFalse // no value to take: nothing holds
	}
	same := true
	for _, c := range cases[1:] {
		if !(isConst(c, tT) && isConst(cases[0], tT) || isConst(c, tF) && isConst(cases[0], tF)) {
			same = false
			break
		}
	}
	if same && len(cases) > 0 && (isConst(cases[0], tT) || isConst(cases[0], tF)) {
		return cases[0]
	}
	return func(a *assign) tri {
		x, ok := a.get(v)
		if !ok {
			return tU
		}
		return cases[x](a)
	}
}

// ite is "if g then t else f".
func ite(g, t, f expr) expr {
	if g == nil {
		return t
	}
	return or(and(g, t), and(not(g), f))
}

// scan records the operator families each key is compared with, before
// any variable is made (a key's value variable is typed by them).
func (s *space) scan(c *policy.Condition) {
	op := authz.ParseOperator(c.Operator)
	f, ok := familyOf(op)
	if !op.Known() || !ok {
		return
	}
	key := strings.ToLower(c.Key)
	if s.spelling[key] == "" {
		s.spelling[key] = c.Key
	}
	if s.families[key] == nil {
		s.families[key] = map[family]bool{}
	}
	s.families[key][f] = true
}

// condition compiles one condition: per principal kind (and way of
// calling, for the keys that depend on it), the key's model decides how
// the operator meets the value.
func (s *space) condition(c *policy.Condition) expr {
	op := authz.ParseOperator(c.Operator)
	if !op.Known() {
		// An operator IAM does not know never matches.
		return exprFalse
	}
	key := strings.ToLower(c.Key)
	if isStringFamily(op) && !s.allStatic(op, c) && !slices.Contains(s.varConds, c) {
		s.varConds = append(s.varConds, c)
	}
	per := make([]expr, len(s.kinds))
	for i, k := range s.kinds {
		if world.IAM(k) && viaMatters(key) {
			per[i] = switchExpr(s.vVia, []expr{s.condOn(op, c, key, k, world.Direct), s.condOn(op, c, key, k, world.FAS)})
		} else {
			per[i] = s.condOn(op, c, key, k, world.Direct)
		}
	}
	if len(per) == 0 {
		return exprFalse
	}
	return switchExpr(s.vKind, per)
}

// absentTruth is the condition's value when its key is absent.
func absentTruth(op authz.Operator) tri {
	if op.IfExists || op.AllValues || op.Negated && !op.AnyValue {
		return tT
	}
	return tF
}

func (s *space) condOn(op authz.Operator, c *policy.Condition, key string, kind authz.PrincipalKind, via world.Via) expr {
	return s.condModel(op, c, key, kind, via, s.model(key, kind, via))
}

func (s *space) condModel(op authz.Operator, c *policy.Condition, key string, kind authz.PrincipalKind, via world.Via, m km) expr {
	switch m.sh {
	case shSwitch:
		cases := make([]expr, len(m.cases))
		for i, mc := range m.cases {
			cases[i] = s.condModel(op, c, key, kind, via, mc)
		}
		return switchExpr(m.sw, cases)
	case shX:
		return undecided(m.why)
	case shAbsent:
		if op.IsNull() {
			return constExpr(triOf(nullWants(c, true)))
		}
		return constExpr(absentTruth(op))
	}
	if op.IsNull() {
		return s.nullCond(c, m)
	}
	onAbsent := constExpr(absentTruth(op))
	switch m.sh {
	case shTerm:
		return ite(m.guard, s.matchTerm(op, c, key, kind, via, m.t), onAbsent)
	case shElem:
		mt := s.matchClass(op, c, kind, via, m.elem)
		av := m.elem
		return ite(m.guard, func(a *assign) tri {
			cl, ok := a.get(av)
			if !ok {
				return tU
			}
			return mt(a, cl)
		}, onAbsent)
	}
	// shState
	v := s.vars[m.state]
	if op.Set() {
		if s.setOps[m.state] == nil {
			s.setOps[m.state] = map[*policy.Condition]bool{}
		}
		s.setOps[m.state][c] = true
	}
	mt := s.matchClass(op, c, kind, via, s.elemVar(m.state))
	st := m.state
	plainMulti := !op.Set()
	return ite(m.guard, func(a *assign) tri {
		x, ok := a.get(st)
		if !ok {
			return tU
		}
		state := v.states[x]
		switch {
		case !state.present:
			return absentTruth(op)
		case !state.multi:
			cl, ok := a.get(v.elem)
			if !ok {
				return tU
			}
			return mt(a, cl)
		case plainMulti:
			// A plain operator never matches a multivalued key.
			return tF
		case op.AllValues:
			return all(len(state.set), func(i int) tri { return mt(a, state.set[i]) })
		default:
			return some(len(state.set), func(i int) tri { return mt(a, state.set[i]) })
		}
	}, onAbsent)
}

// elemVar is the variable whose classes a key state's values are: its
// single value's variable, or the element domain of the multivalued keys.
func (s *space) elemVar(state int) int {
	if e := s.vars[state].elem; e >= 0 {
		return e
	}
	switch state {
	case s.vCV:
		return s.vCVF
	}
	return -1 // kms:EncryptionContextKeys: see matchClass
}

// nullWants reports whether a Null condition holds when the key is absent
// (absent=true) or present.
func nullWants(c *policy.Condition, absent bool) bool {
	want := "false"
	if absent {
		want = "true"
	}
	for _, v := range c.Values {
		if strings.ToLower(v) == want {
			return true
		}
	}
	return false
}

// nullCond: Null tests presence; an empty multivalued key counts as absent.
func (s *space) nullCond(c *policy.Condition, m km) expr {
	onAbsent, onPresent := constExpr(triOf(nullWants(c, true))), constExpr(triOf(nullWants(c, false)))
	if m.sh != shState {
		return ite(m.guard, onPresent, onAbsent)
	}
	v := s.vars[m.state]
	st := m.state
	return ite(m.guard, func(a *assign) tri {
		x, ok := a.get(st)
		if !ok {
			return tU
		}
		state := v.states[x]
		return triOf(nullWants(c, !state.present || state.multi && len(state.set) == 0))
	}, onAbsent)
}

// valueSpec is one condition value compiled for the string, Bool and ARN
// operators.
type valueSpec struct {
	ok   bool  // well-formed for the operator (an ARN pattern is an ARN)
	toks []tok // static: the automaton
	// With policy variables: the variables, and the automaton with every
	// default substituted (defOK false when one has no default).
	vars  []segment
	def   []tok
	defOK bool
}

func stringSpecs(op authz.Operator, c *policy.Condition) []valueSpec {
	out := make([]valueSpec, len(c.Values))
	for i, v := range c.Values {
		sp := valueSpec{ok: true}
		defOf := func(sg segment) (string, bool) { return sg.def, sg.hasD }
		if op.IsArn() {
			a := compileARN(v)
			if !a.valid {
				sp.ok = false
				out[i] = sp
				continue
			}
			var parts, defs [6][]tok
			defOK := true
			for j, p := range a.parts {
				for _, sg := range p.segs {
					if sg.isVar {
						sp.vars = append(sp.vars, sg)
					}
				}
				parts[j] = p.tokens()
				if d, ok := p.substitute(defOf, false); ok {
					defs[j] = d
				} else {
					defOK = false
				}
			}
			if len(sp.vars) == 0 {
				sp.toks, sp.ok = joinARN(parts)
				if !sp.ok {
					sp.toks = nil
				}
			} else if defOK {
				sp.def, sp.defOK = joinARN(defs)
			}
			out[i] = sp
			continue
		}
		wild := op.Base == "StringLike" || op.Base == "StringNotLike"
		fold := op.Base == "StringEqualsIgnoreCase" || op.Base == "StringNotEqualsIgnoreCase" || op.Base == "Bool"
		p := compilePattern(v, wild, fold, pAny)
		if p.static {
			sp.toks = p.tokens()
		} else {
			for _, sg := range p.segs {
				if sg.isVar {
					sp.vars = append(sp.vars, sg)
				}
			}
			sp.def, sp.defOK = p.substitute(func(sg segment) (string, bool) { return sg.def, sg.hasD }, fold)
		}
		out[i] = sp
	}
	return out
}

// badToks are the automata of the request values the operator can compare
// (a value outside all of them is "bad": the condition fails whatever its
// negation); nil: every string.
func badToks(op authz.Operator) [][]tok {
	switch {
	case op.IsArn():
		return [][]tok{isARNToks}
	case op.Base == "Bool":
		return [][]tok{trueToks, falseToks}
	}
	return nil
}

// refState says, under a, whether the key a policy variable names is absent
// (or multivalued: both take the default), single-valued (the substitution
// is a value the prover does not track: undecided), or undecided.
func (s *space) refState(sg segment, kind authz.PrincipalKind, via world.Via) func(a *assign) tri {
	m := s.model(sg.key, kind, via)
	var pres func(a *assign, m km) tri // tT single, tF absent or multi
	pres = func(a *assign, m km) tri {
		var base tri
		switch m.sh {
		case shAbsent:
			return tF
		case shX:
			return tX
		case shSwitch:
			x, ok := a.get(m.sw)
			if !ok {
				return tU
			}
			return pres(a, m.cases[x])
		case shTerm, shElem:
			base = tT
		case shState:
			x, ok := a.get(m.state)
			if !ok {
				return tU
			}
			st := s.vars[m.state].states[x]
			base = triOf(st.present && !st.multi)
		}
		if m.guard == nil || base == tF {
			return base
		}
		return and(m.guard, constExpr(base))(a)
	}
	return func(a *assign) tri { return pres(a, m) }
}

// varValue decides a value with policy variables: the default
// substitution's result (test) when every variable's key is absent or
// multivalued, unresolved when one of those has no default, undecided when
// a key is single-valued.
func (s *space) varValue(sp valueSpec, kind authz.PrincipalKind, via world.Via, test func(a *assign) tri) (resolved, match func(a *assign) tri) {
	refs := make([]func(a *assign) tri, len(sp.vars))
	for i, sg := range sp.vars {
		refs[i] = s.refState(sg, kind, via)
	}
	state := func(a *assign) (tri, bool) { // (present-single?, all resolve by default)
		r := tF
		for i, f := range refs {
			switch f(a) {
			case tU:
				return tU, false
			case tT, tX:
				if a.why == "" {
					a.why = "policy variable ${" + sp.vars[i].key + "} stands for a value kmslint does not track"
				}
				r = tX
			case tF:
				if !sp.vars[i].hasD {
					if r == tF {
						return tF, false
					}
				}
			}
		}
		return r, true
	}
	resolved = func(a *assign) tri {
		if r, byDef := state(a); r != tF || !byDef {
			return r // undecided, or tF: a variable without a default is absent
		}
		return tT
	}
	match = func(a *assign) tri {
		if r, byDef := state(a); r != tF || !byDef {
			return r
		}
		return test(a)
	}
	return resolved, match
}

// combine is matchOne: a bad value fails; otherwise the values are ORed
// (NORed when negated), and a condition none of whose values resolves
// fails.
func combine(op authz.Operator, n int, bad func(a *assign) tri, resolved, match []func(a *assign) tri) func(a *assign) tri {
	return func(a *assign) tri {
		b := tF
		if bad != nil {
			b = bad(a)
			if b == tT {
				return tF
			}
		}
		anyM, anyR := tF, tF
		if n == 0 {
			anyR = tT
		}
		for i := range match {
			anyM = orTri(anyM, match[i](a))
			anyR = orTri(anyR, resolved[i](a))
		}
		m := anyM
		if op.Negated {
			m = notTri(m)
		}
		return andTri(andTri(notTri(b), anyR), m)
	}
}

func orTri(x, y tri) tri  { return some(2, func(i int) tri { return [2]tri{x, y}[i] }) }
func andTri(x, y tri) tri { return all(2, func(i int) tri { return [2]tri{x, y}[i] }) }
func notTri(x tri) tri    { return [...]tri{tT, tF, tU, tX}[x] }

// matchTerm is matchOne on a single value built from variables.
func (s *space) matchTerm(op authz.Operator, c *policy.Condition, key string, kind authz.PrincipalKind, via world.Via, t term) expr {
	if cst, ok := t.constant(); ok && (s.allStatic(op, c) || !isStringFamily(op)) {
		// A constant: the engine decides it.
		ok := evalConstant(op, c, key, cst)
		return constExpr(triOf(ok))
	}
	if !isStringFamily(op) {
		return undecided(op.Base + " on " + c.Key + " (a string AWS builds from the principal)")
	}
	specs := stringSpecs(op, c)
	dnf := func(toks []tok) expr {
		d, ok := split(toks, t)
		if !ok {
			return undecided("a pattern of " + c.Key + " too large to split over its parts")
		}
		return dnfExpr(d)
	}
	var bad func(a *assign) tri
	if bt := badToks(op); bt != nil {
		var ins []expr
		for _, b := range bt {
			ins = append(ins, dnf(b))
		}
		bad = not(or(ins...))
	}
	resolved := make([]func(a *assign) tri, 0, len(specs))
	match := make([]func(a *assign) tri, 0, len(specs))
	for _, sp := range specs {
		switch {
		case !sp.ok:
			// An invalid ARN pattern is skipped.
		case sp.vars == nil:
			resolved = append(resolved, exprTrue)
			match = append(match, dnf(sp.toks))
		default:
			test := constExpr(tF)
			if sp.defOK {
				test = dnf(sp.def)
			}
			r, m := s.varValue(sp, kind, via, test)
			resolved, match = append(resolved, r), append(match, m)
		}
	}
	return combine(op, len(c.Values), bad, resolved, match)
}

func isStringFamily(op authz.Operator) bool {
	f, _ := familyOf(op)
	return f == famString
}

func (s *space) allStatic(op authz.Operator, c *policy.Condition) bool {
	if !isStringFamily(op) {
		return true
	}
	for _, sp := range stringSpecs(op, c) {
		if sp.vars != nil {
			return false
		}
	}
	return true
}

// evalConstant decides a condition on a key holding one known value, with
// the engine.
func evalConstant(op authz.Operator, c *policy.Condition, key, value string) bool {
	bank, err := newCondBankConds([]policy.Condition{*c})
	if err != nil {
		return false
	}
	ctx := authz.NewContext()
	ctx.Set(key, value)
	return bank.eval(ctx).has(0)
}

// matchClass is matchOne on the class of a variable (a single value, or one
// element of a multivalued key): a signature lookup.
func (s *space) matchClass(op authz.Operator, c *policy.Condition, kind authz.PrincipalKind, via world.Via, av int) func(a *assign, cl int) tri {
	var sv *strVar
	var sc *scalarVar
	switch {
	case av == -1:
		sv = s.sECKE
	case s.vars[av].kind == vkStr:
		sv = s.vars[av].sv
	default:
		sc = s.vars[av].sc
	}
	if sc != nil {
		return s.matchScalar(op, c, sc)
	}
	if !isStringFamily(op) {
		why := c.Key + " compared both as a string and with " + op.Base
		return func(a *assign, _ int) tri { return undecided(why)(a) }
	}
	specs := stringSpecs(op, c)
	var badLangs []int
	for _, b := range badToks(op) {
		badLangs = append(badLangs, sv.aux(b))
	}
	type val struct {
		lang     int // -1: skipped
		resolved func(a *assign) tri
		match    func(a *assign) tri
		vars     bool
	}
	vals := make([]val, 0, len(specs))
	for _, sp := range specs {
		switch {
		case !sp.ok:
		case sp.vars == nil:
			vals = append(vals, val{lang: sv.whole(sp.toks)})
		default:
			l := -1
			if sp.defOK {
				l = sv.whole(sp.def)
			}
			vals = append(vals, val{lang: l, vars: true})
		}
	}
	// Policy variables: resolved and matched per class (the default's
	// language is looked up for the class at hand).
	cur := -1
	for i := range vals {
		if !vals[i].vars {
			continue
		}
		l := vals[i].lang
		test := func(*assign) tri {
			if l < 0 {
				return tF
			}
			return sigTri(sv, cur, l)
		}
		vals[i].resolved, vals[i].match = s.varValue(specs[i], kind, via, test)
	}
	n := len(c.Values)
	return func(a *assign, cl int) tri {
		if sv.err != nil {
			return undecided("the values of " + sv.name + " have " + sv.err.Error())(a)
		}
		if len(badLangs) > 0 {
			in := false
			for _, b := range badLangs {
				in = in || sv.classes[cl].sig.has(b)
			}
			if !in {
				return tF
			}
		}
		anyM, anyR := tF, tF
		if n == 0 {
			anyR = tT
		}
		for _, v := range vals {
			if !v.vars {
				anyR = tT
				anyM = orTri(anyM, triOf(sv.classes[cl].sig.has(v.lang)))
				continue
			}
			cur = cl
			anyR = orTri(anyR, v.resolved(a))
			anyM = orTri(anyM, v.match(a))
		}
		m := anyM
		if op.Negated {
			m = notTri(m)
		}
		return andTri(anyR, m)
	}
}

func sigTri(sv *strVar, cl, l int) tri {
	if cl < 0 || cl >= len(sv.classes) {
		return tX
	}
	return triOf(sv.classes[cl].sig.has(l))
}

// matchScalar is matchOne on a class of a numeric, date, address or binary
// variable: the engine decided each class against each value.
func (s *space) matchScalar(op authz.Operator, c *policy.Condition, sc *scalarVar) func(a *assign, cl int) tri {
	f, _ := familyOf(op)
	fits := f == famNumber && sc.kind == skNumber || f == famDate && sc.kind == skDate ||
		f == famIP && sc.kind == skIP || f == famBinary && sc.kind == skBinary ||
		sc.kind == skTime && (f == famNumber || f == famDate)
	if !fits {
		why := c.Key + " compared with " + op.Base + " and another operator family"
		return func(a *assign, _ int) tri { return undecided(why)(a) }
	}
	pos := positive(op.Base)
	tests := make([]int, len(c.Values))
	for i, v := range c.Values {
		tests[i] = sc.add(scalarTest{op: pos, key: strings.ToLower(c.Key), value: v})
	}
	return func(a *assign, cl int) tri {
		if sc.err != nil {
			return undecided(sc.name + ": " + sc.err.Error())(a)
		}
		k := sc.classes[cl]
		if k.bad {
			return tF
		}
		any := false
		for _, t := range tests {
			any = any || k.sig.has(t)
		}
		return triOf(any != op.Negated)
	}
}

// positive is the operator without its negation.
func positive(base string) string {
	switch base {
	case "NumericNotEquals":
		return "NumericEquals"
	case "DateNotEquals":
		return "DateEquals"
	case "NotIpAddress":
		return "IpAddress"
	}
	return base
}
