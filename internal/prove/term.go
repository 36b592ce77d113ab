package prove

import (
	"strings"
	"unicode"
)

// termPart is literal text or a string variable: the assignment variable
// av, whose classes are those of sv.
type termPart struct {
	lit string
	av  int
	sv  *strVar
}

// term is a string the request model builds from variables, e.g. a role
// session's aws:PrincipalArn "arn:aws:iam::" ACCOUNT ":role" PATH NAME.
type term []termPart

func lit(s string) termPart             { return termPart{lit: s, av: -1} }
func tvar(av int, sv *strVar) termPart  { return termPart{av: av, sv: sv} }
func (t termPart) isVar() bool          { return t.sv != nil }
func litTerm(s string) term             { return term{lit(s)} }
func varTerm(av int, sv *strVar) term   { return term{tvar(av, sv)} }
func (t term) constant() (string, bool) { return t.concat(nil) }
func (t term) vars() (n int)            { return t.count() }
func (t term) count() (n int) {
	for _, p := range t {
		if p.isVar() {
			n++
		}
	}
	return n
}

// concat is the term's string under witness values (nil: only constants).
func (t term) concat(val func(termPart) string) (string, bool) {
	var sb strings.Builder
	for _, p := range t {
		if !p.isVar() {
			sb.WriteString(p.lit)
			continue
		}
		if val == nil {
			return "", false
		}
		sb.WriteString(val(p))
	}
	return sb.String(), true
}

// atomRef is "the class of assignment variable av is in language l of sv".
type atomRef struct {
	av int
	sv *strVar
	l  int
}

// maxConjuncts bounds the decomposition of one pattern over one term.
const maxConjuncts = 4096

// split decomposes "the term's string is in the language of toks" into a
// disjunction of conjunctions of per-variable languages: a run of the
// automaton over the concatenation passes one state at each boundary
// between a variable and what follows it, so the condition is the union,
// over those states, of "each variable takes the automaton from the state
// before it to the state after it". Literal parts are read in place. ok is
// false when the decomposition is too large.
func split(toks []tok, t term) (dnf [][]atomRef, ok bool) {
	if len(t) == 1 && t[0].isVar() {
		// A lone variable: the pattern's own language (and its instances
		// as readable witnesses).
		return [][]atomRef{{{t[0].av, t[0].sv, t[0].sv.whole(toks)}}}, true
	}
	n := &nfa{toks: toks}
	final := n.final()
	ok = true
	var rec func(i int, cur bitset, conj []atomRef)
	rec = func(i int, cur bitset, conj []atomRef) {
		if !ok {
			return
		}
		if i == len(t) {
			if cur.intersects(final) {
				dnf = append(dnf, append([]atomRef(nil), conj...))
				if len(dnf) > maxConjuncts {
					ok = false
				}
			}
			return
		}
		p := t[i]
		if !p.isVar() {
			next := n.readString(cur.clone(), p.lit)
			if !next.empty() {
				rec(i+1, next, conj)
			}
			return
		}
		// The last variable: read the literal tail backwards instead of
		// choosing a state.
		if t[i+1:].count() == 0 {
			tail, _ := t[i+1:].constant()
			acc := newBitset(n.states())
			for q := 0; q < n.states(); q++ {
				s := newBitset(n.states())
				s.set(q)
				n.closure(s)
				if n.readString(s, tail).intersects(final) {
					acc.set(q)
				}
			}
			if acc.empty() {
				return
			}
			l := p.sv.add(lang{n: n, start: cur.clone(), accept: acc})
			rec(len(t), final, append(conj, atomRef{p.av, p.sv, l}))
			return
		}
		reach := reachable(n, cur, p.sv)
		for q := 0; q < n.states(); q++ {
			if !reach.has(q) {
				continue
			}
			acc := newBitset(n.states())
			acc.set(q)
			l := p.sv.add(lang{n: n, start: cur.clone(), accept: acc})
			next := newBitset(n.states())
			next.set(q)
			n.closure(next)
			rec(i+1, next, append(conj, atomRef{p.av, p.sv, l}))
		}
	}
	rec(0, n.start(), nil)
	return dnf, ok
}

// dnfExpr evaluates a decomposition on the assignment.
func dnfExpr(dnf [][]atomRef) expr {
	if len(dnf) == 0 {
		return exprFalse
	}
	for _, c := range dnf {
		if len(c) == 0 {
			return exprTrue
		}
	}
	return func(a *assign) tri {
		return some(len(dnf), func(i int) tri {
			return all(len(dnf[i]), func(j int) tri {
				at := dnf[i][j]
				c, ok := a.get(at.av)
				switch {
				case !ok:
					return tU
				case at.sv.err != nil:
					return tX
				}
				return triOf(at.sv.classes[c].sig.has(at.l))
			})
		})
	}
}

// reachable is the states of n that strings of sv's domain can reach from
// cur (over-approximated by the characters the domain uses anywhere): a
// variable without colons never crosses an ARN's colon.
func reachable(n *nfa, cur bitset, sv *strVar) bitset {
	r := cur.clone()
	for i, t := range n.toks {
		if r.has(i) && !t.star && sv.crossable(t) {
			r.set(i + 1)
			n.closure(r)
		}
	}
	return r
}

// probeRunes stand for every character class of a token (all are ASCII
// but "any").
var probeRunes = func() []rune {
	var rs []rune
	for c := rune(' '); c <= '~'; c++ {
		rs = append(rs, c)
	}
	return append(rs, 'é')
}()

// crossable: some character of the domain is one token t accepts.
func (v *strVar) crossable(t tok) bool {
	if v.domain == nil {
		return true
	}
	probes := probeRunes
	if t.p == pLit || t.p == pFold {
		probes = []rune{t.r}
		for f := unicode.SimpleFold(t.r); f != t.r; f = unicode.SimpleFold(f) {
			probes = append(probes, f)
		}
	}
	for _, c := range probes {
		if !t.accepts(c) {
			continue
		}
		for _, d := range v.domain {
			for _, dt := range d {
				if dt.accepts(c) {
					return true
				}
			}
		}
	}
	return false
}
