package prove

import (
	"math/bits"
	"strings"

	"github.com/kmslint/kmslint/internal/arn"
	"github.com/kmslint/kmslint/internal/authz"
)

// bitset is a small set of non-negative ints (NFA states, language indices).
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+64)/64) }

func (b bitset) has(i int) bool { return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }

func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

func (b bitset) intersects(o bitset) bool {
	for i := range b {
		if i < len(o) && b[i]&o[i] != 0 {
			return true
		}
	}
	return false
}

func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

func (b bitset) clone() bitset { return append(bitset(nil), b...) }

// key is b as a map key.
func (b bitset) key() string {
	var sb strings.Builder
	for _, w := range b {
		for i := 0; i < 8; i++ {
			sb.WriteByte(byte(w >> (8 * i)))
		}
	}
	return sb.String()
}

// pred is a character class of a token.
type pred uint8

const (
	pLit      pred = iota // exactly the rune
	pFold                 // the rune up to simple case folding (IgnoreCase, Bool)
	pAny                  // any rune ('?' and '*' of a string pattern)
	pNotColon             // any rune but ':' ('?' and '*' inside an ARN component)
	pDigit                // 0-9 (account ids)
	pName                 // IAM name characters [A-Za-z0-9+=,.@_-]
	pPath                 // IAM path characters, '!' to '~'
	pID                   // unique-id characters [A-Z0-9]
	pLabel                // service and region name characters [a-z0-9-]
	pHost                 // host name characters [a-z0-9.-] (service principals, endpoints)
)

// tok is one NFA token: a character class, once or (star) any number of
// times.
type tok struct {
	p    pred
	r    rune
	star bool
}

func (t tok) accepts(c rune) bool {
	switch t.p {
	case pLit:
		return c == t.r
	case pFold:
		return c == t.r || foldEq(c, t.r)
	case pAny:
		return true
	case pNotColon:
		return c != ':'
	case pDigit:
		return c >= '0' && c <= '9'
	case pName:
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("+=,.@_-", c)
	case pPath:
		return c >= '!' && c <= '~'
	case pID:
		return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	case pLabel:
		return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
	case pHost:
		return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.'
	}
	return false
}

// foldEq is rune equality up to simple case folding, as strings.EqualFold
// compares runes (authz's IgnoreCase and Bool comparisons).
func foldEq(a, b rune) bool { return strings.EqualFold(string(a), string(b)) }

// nfa is a linear glob automaton: state i is "before token i", the last
// state (len(toks)) is "after every token". A star token loops on its
// state and may be skipped.
type nfa struct {
	toks []tok
	k    string // tokKey, once asked
}

func (n *nfa) key() string {
	if n.k == "" {
		n.k = tokKey(n.toks) + "."
	}
	return n.k
}

func (n *nfa) states() int { return len(n.toks) + 1 }

// closure adds the states reachable by skipping star tokens.
func (n *nfa) closure(s bitset) {
	for i := 0; i < len(n.toks); i++ {
		if s.has(i) && n.toks[i].star {
			s.set(i + 1)
		}
	}
}

// step is the closed set of states after reading c from the closed set s.
func (n *nfa) step(s bitset, c rune) bitset {
	out := newBitset(n.states())
	for i, t := range n.toks {
		if !s.has(i) || !t.accepts(c) {
			continue
		}
		if t.star {
			out.set(i)
		} else {
			out.set(i + 1)
		}
	}
	n.closure(out)
	return out
}

func (n *nfa) readString(s bitset, str string) bitset {
	for _, c := range str {
		s = n.step(s, c)
		if s.empty() {
			return s
		}
	}
	return s
}

func (n *nfa) start() bitset {
	s := newBitset(n.states())
	s.set(0)
	n.closure(s)
	return s
}

func (n *nfa) final() bitset {
	s := newBitset(n.states())
	s.set(len(n.toks))
	return s
}

// matches runs the automaton on str from its start to its final state.
func (n *nfa) matches(str string) bool {
	return n.readString(n.start(), str).has(len(n.toks))
}

// litToks appends the literal runes of s.
func litToks(toks []tok, s string, fold bool) []tok {
	p := pLit
	if fold {
		p = pFold
	}
	for _, c := range s {
		toks = append(toks, tok{p: p, r: c})
	}
	return toks
}

// segment is a piece of a policy string: literal tokens, or a policy
// variable.
type segment struct {
	toks []tok
	// isVar: a policy variable ${key} or ${key, 'default'}.
	isVar bool
	key   string // lower-cased context key
	def   string
	hasD  bool
}

// pattern is a policy string compiled the way internal/authz compiles it:
// '*' and '?' wildcards (when wildcards), case folding (when fold), and
// policy variables, whose substituted value is literal text.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
type pattern struct {
	segs   []segment
	static bool
}

// compilePattern builds the automaton of a policy string from the pieces
// authz compiles it into (authz.PatternPieces): literal text (folded when
// fold), '*' and '?' of class any (when wildcards), policy variables.
func compilePattern(s string, wildcards, fold bool, any pred) pattern {
	p := pattern{static: true}
	var cur []tok
	for _, pc := range authz.PatternPieces(s, wildcards) {
		switch pc.Kind {
		case 0:
			cur = litToks(cur, pc.Text, fold)
		case 1:
			cur = append(cur, tok{p: any, star: true})
		case 2:
			cur = append(cur, tok{p: any})
		default:
			if len(cur) > 0 {
				p.segs = append(p.segs, segment{toks: cur})
				cur = nil
			}
			p.segs = append(p.segs, segment{isVar: true, key: pc.Text, def: pc.Default, hasD: pc.HasDefault})
			p.static = false
		}
	}
	if len(cur) > 0 {
		p.segs = append(p.segs, segment{toks: cur})
	}
	return p
}

// tokens is the pattern's automaton when it is static.
func (p pattern) tokens() []tok {
	var out []tok
	for _, s := range p.segs {
		out = append(out, s.toks...)
	}
	return out
}

// substitute replaces each variable with the literal from val (a key's
// value, or its default); ok is false when a variable has neither (the
// comparison then fails, as authz documents for an unresolved variable).
func (p pattern) substitute(val func(sg segment) (string, bool), fold bool) ([]tok, bool) {
	var out []tok
	for _, s := range p.segs {
		if !s.isVar {
			out = append(out, s.toks...)
			continue
		}
		v, ok := val(s)
		if !ok {
			return nil, false
		}
		out = litToks(out, v, fold)
	}
	return out, true
}

// arnPattern is an ArnEquals/ArnLike value: one pattern per component,
// with wildcards that never cross a component's colon (except in the
// resource, which may itself hold colons).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
type arnPattern struct {
	parts [6]pattern
	valid bool
}

func compileARN(s string) arnPattern {
	var a arnPattern
	parts, ok := arn.Split(s)
	if !ok {
		return a
	}
	a.valid = true
	for i, part := range parts {
		any := pNotColon
		if i == 5 {
			any = pAny
		}
		a.parts[i] = compilePattern(part, true, false, any)
	}
	return a
}

func (a arnPattern) static() bool {
	for _, p := range a.parts {
		if !p.static {
			return false
		}
	}
	return true
}

// join is the whole-string automaton of the ARN pattern given its
// components' tokens; a component that can never match (a substituted
// literal with a colon in the first five) makes ok false.
func joinARN(parts [6][]tok) ([]tok, bool) {
	var out []tok
	for i, p := range parts {
		if i > 0 {
			out = append(out, tok{p: pLit, r: ':'})
		}
		if i < 5 {
			for _, t := range p {
				if !t.star && t.p == pLit && t.r == ':' {
					return nil, false
				}
			}
		}
		out = append(out, p...)
	}
	return out, true
}

// isARNToks is the language of strings authz accepts as ARNs: "arn" and at
// least five colons.
var isARNToks = func() []tok {
	t := litToks(nil, "arn", false)
	for i := 0; i < 4; i++ {
		t = append(t, tok{p: pLit, r: ':'}, tok{p: pNotColon, star: true})
	}
	return append(t, tok{p: pLit, r: ':'}, tok{p: pAny, star: true})
}()

// boolToks is the language of Bool request values: true or false in any case.
var trueToks, falseToks = litToks(nil, "true", true), litToks(nil, "false", true)
