package prove

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPartitionCovers: every string of the domain falls in a computed
// class (the classes cover the domain), and each class's witness is in
// exactly the languages its signature says.
func TestPartitionCovers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"a", "A", "b", "1", ":", "/", "*", "?", "ab", "arn", "é", "K"}
	word := func() string {
		var sb strings.Builder
		for i := 0; i < r.IntN(6); i++ {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		return sb.String()
	}
	for round := 0; round < 200; round++ {
		v := newStrVar("x")
		if r.IntN(3) == 0 {
			v = newStrVar("x", domName)
		}
		var langs []int
		for i := 0; i < 1+r.IntN(4); i++ {
			w := word()
			switch r.IntN(4) {
			case 0:
				langs = append(langs, v.whole(compilePattern(w, true, false, pAny).tokens()))
			case 1:
				langs = append(langs, v.whole(compilePattern(w, false, true, pAny).tokens()))
			case 2:
				langs = append(langs, v.whole(compilePattern(w, false, false, pAny).tokens()))
			default:
				a := compileARN("arn:" + w + ":x:" + word() + ":" + word() + ":" + w)
				if !a.valid {
					continue
				}
				var parts [6][]tok
				for j, p := range a.parts {
					parts[j] = p.tokens()
				}
				if toks, ok := joinARN(parts); ok {
					langs = append(langs, v.whole(toks))
				}
			}
		}
		v.partition()
		if v.err != nil {
			t.Fatalf("partition failed: %v", v.err)
		}
		for _, c := range v.classes {
			for i, l := range v.langs {
				if l.has(c.witness) != c.sig.has(i) {
					t.Fatalf("witness %q: language %d says %v, signature %v", c.witness, i, l.has(c.witness), c.sig.has(i))
				}
			}
		}
		for i := 0; i < 100; i++ {
			s := word() + word()
			if r.IntN(2) == 0 {
				s = strings.ToLower(s)
			}
			if v.inDomain(s) && v.classOf(s) < 0 {
				t.Fatalf("%q is in no class", s)
			}
		}
	}
}

// TestSplitAgrees: a pattern matched against a concatenation is matched
// exactly by its decomposition over the parts.
func TestSplitAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	parts := []string{"", "1", "12", "a:b", "/", "role/", "x*", "?"}
	for round := 0; round < 300; round++ {
		x, y := newStrVar("x"), newStrVar("y")
		tm := term{lit("arn:"), tvar(0, x), lit(":"), tvar(1, y)}
		pat := "arn:" + parts[r.IntN(len(parts))] + "*" + parts[r.IntN(len(parts))] + "?" + parts[r.IntN(len(parts))]
		toks := compilePattern(pat, true, false, pAny).tokens()
		dnf, ok := split(toks, tm)
		if !ok {
			t.Fatal("split too large")
		}
		x.partition()
		y.partition()
		n := &nfa{toks: toks}
		for _, a := range []string{"", "1", "12", "a", "a:b", "role"} {
			for _, b := range []string{"", "x", "1?", "role/x", ":", "2"} {
				want := n.matches("arn:" + a + ":" + b)
				ca, cb := x.classOf(a), y.classOf(b)
				as := &assign{val: []int32{int32(ca), int32(cb)}, need: -1}
				got := dnfExpr(dnf)(as)
				if got != triOf(want) {
					t.Fatalf("%q against arn:%s:%s: split says %v, the automaton %v", pat, a, b, got, want)
				}
			}
		}
	}
}

// TestPatternsAgreeWithEngine: the automaton of a condition value accepts
// exactly the request values the engine's operator matches.
func TestPatternsAgreeWithEngine(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	pieces := []string{"a", "A", "1", ":", "/", "*", "?", "arn", "é", "K", "K", "${*}", "${x", "ß", "SS"}
	word := func(n int) string {
		var sb strings.Builder
		for i := 0; i < r.IntN(n); i++ {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		return sb.String()
	}
	ops := []string{"StringLike", "StringEqualsIgnoreCase", "StringEquals", "ArnLike", "Bool"}
	for round := 0; round < 400; round++ {
		op := ops[r.IntN(len(ops))]
		pat := word(5)
		if op == "ArnLike" {
			pat = "arn:" + word(3) + ":" + word(2) + "::" + word(3) + ":" + word(4)
		}
		c := policyCondition(op, "k:x", pat)
		sp := stringSpecs(opOf(op), &c)[0]
		if !sp.ok || sp.vars != nil {
			continue
		}
		n := &nfa{toks: sp.toks}
		for i := 0; i < 30; i++ {
			v := word(6)
			if op == "ArnLike" && r.IntN(2) == 0 {
				v = "arn:" + word(2) + ":" + word(2) + "::" + word(2) + ":" + word(3)
			}
			if op == "Bool" {
				v = []string{"true", "TRUE", "false", "x"}[r.IntN(4)]
			}
			want := evalConstant(opOf(op), &c, "k:x", v)
			got := n.matches(v)
			if bt := badToks(opOf(op)); bt != nil {
				in := false
				for _, b := range bt {
					in = in || (&nfa{toks: b}).matches(v)
				}
				got = got && in
			}
			if got != want {
				t.Fatalf("%s %q on %q: automaton %v, engine %v", op, pat, v, got, want)
			}
		}
	}
}
