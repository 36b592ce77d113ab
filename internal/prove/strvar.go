package prove

import (
	"errors"
	"math/bits"
	"sort"
	"strings"
	"unicode"
	"unsafe"
)

// lang is a regular language over one string variable: the strings that
// take automaton n from the closed state set start to a state in accept.
// Whole-string patterns have start = n.start() and accept = n.final();
// the pieces of a pattern matched against a concatenation (an ARN built
// from an account and a name) start and end in the middle.
type lang struct {
	n      *nfa
	start  bitset
	accept bitset
}

func (l lang) has(s string) bool {
	return l.n.readString(l.start.clone(), s).intersects(l.accept)
}

// strVar is a string unknown of the request (an account, a role name, an
// encryption-context value). Its domain is cut into classes: strings that
// every registered language treats alike, each with a shortest witness.
type strVar struct {
	name string
	// domain is the strings AWS can put here: the union of these
	// automata's languages; nil: any string.
	domain [][]tok
	langs  []lang
	index  map[string]int
	// classes, after partition: sig says which languages hold the class.
	classes []strClass
	// err is why the domain could not be partitioned; its tests are then
	// undecided (the search replays instead of proving).
	err error
	// seeds are instances of the patterns compared with the variable
	// ("us-east-?" gives "us-east-2"): witnesses that read like the
	// policy, tried before a class's shortest string.
	seeds []string
	// texts renders the whole-string patterns, by language ("" for the
	// pieces of a pattern split over a concatenation).
	texts []string
	done  bool // partitioned
	// parted is the number of languages when it was partitioned.
	parted int
}

type strClass struct {
	sig     bitset
	witness string
	// chosen: witness is the one to show, a preferred string or seed of the
	// class when there is one (strWitness), else the shortest.
	chosen bool
}

func newStrVar(name string, domain ...[]tok) *strVar {
	var dom [][]tok
	for _, d := range domain {
		if d != nil {
			dom = append(dom, d)
		}
	}
	return &strVar{name: name, domain: dom, index: map[string]int{}}
}

// add registers a language and returns its index.
func (v *strVar) add(l lang) int {
	k := l.n.key() + "|" + l.start.key() + "|" + l.accept.key()
	if i, ok := v.index[k]; ok {
		return i
	}
	v.langs = append(v.langs, l)
	v.texts = append(v.texts, "")
	v.index[k] = len(v.langs) - 1
	return len(v.langs) - 1
}

// whole registers the language of a whole-string pattern.
func (v *strVar) whole(toks []tok) int {
	n := &nfa{toks: toks}
	i := v.add(lang{n: n, start: n.start(), accept: n.final()})
	if i == len(v.langs)-1 && len(v.seeds) < maxSeeds {
		v.seeds = append(v.seeds, instances(toks)...)
	}
	v.texts[i] = toksText(toks)
	return i
}

const maxSeeds = 24

// aux registers a language no one reads as a pattern (a value's form: an
// ARN, a boolean): no text, no seeds.
func (v *strVar) aux(toks []tok) int {
	n := &nfa{toks: toks}
	return v.add(lang{n: n, start: n.start(), accept: n.final()})
}

// instances fills a pattern's wildcards a few ways.
func instances(toks []tok) []string {
	fills := []struct {
		one  []rune
		star string
	}{{[]rune("2a0A"), "kmslint-probe"}, {[]rune("1b0B"), ""}, {[]rune("3c9C"), "x"}}
	var out []string
	for _, f := range fills {
		var sb strings.Builder
		for _, t := range toks {
			switch {
			case t.p == pLit || t.p == pFold:
				sb.WriteRune(t.r)
			case t.star:
				ok := true
				for _, c := range f.star {
					ok = ok && t.accepts(c)
				}
				if ok {
					sb.WriteString(f.star)
				}
			default:
				for _, c := range f.one {
					if t.accepts(c) {
						sb.WriteRune(c)
						break
					}
				}
			}
		}
		out = append(out, sb.String())
	}
	return out
}

func tokKey(toks []tok) string {
	b := make([]byte, 0, len(toks)*6)
	for _, t := range toks {
		f := byte(t.p)
		if t.star {
			f |= 0x80
		}
		b = append(b, f, byte(t.r), byte(t.r>>8), byte(t.r>>16), byte(t.r>>24))
	}
	return string(b)
}

// maxStates bounds the product automaton of one variable.
const maxStates = 50000

var errTooManyStates = errors.New("too many classes")

// deltaTable is an automaton's transitions over an alphabet: the closed
// set of states after reading alpha[c] from state q, w words per set.
type deltaTable struct {
	w    int
	next []uint64 // [q][c][w]
}

func buildDelta(n *nfa, alpha []rune) *deltaTable {
	ns := n.states()
	w := (ns + 63) / 64
	d := &deltaTable{w: w, next: make([]uint64, ns*len(alpha)*w)}
	// The closed set of each single state.
	cl := make([]bitset, ns)
	for i := range cl {
		cl[i] = newBitset(ns)
		cl[i].set(i)
		n.closure(cl[i])
	}
	for q, t := range n.toks {
		to := cl[q+1]
		if t.star {
			to = cl[q]
		}
		for ci, c := range alpha {
			if t.accepts(c) {
				copy(d.next[(q*len(alpha)+ci)*w:], to)
			}
		}
	}
	return d
}

// partition computes the classes: a breadth-first search of the product of
// the languages' subset automata (and the domain's), over one
// representative character per class of characters that every token treats
// alike. Each reachable product state in which the domain accepts gives a
// signature; the first (shortest) string reaching it is its witness.
func (v *strVar) partition() {
	all := append([]lang(nil), v.langs...)
	doms := v.domain
	if doms == nil {
		doms = [][]tok{{{p: pAny, star: true}}}
	}
	for _, d := range doms {
		dom := &nfa{toks: d}
		all = append(all, lang{n: dom, start: dom.start(), accept: dom.final()})
	}
	alpha := alphabet(all)
	nl := len(v.langs)
	// Languages split from one pattern share its automaton.
	deltas := map[*nfa]*deltaTable{}
	off := make([]int, len(all)+1)
	tabs := make([]*deltaTable, len(all))
	for i, l := range all {
		if deltas[l.n] == nil {
			deltas[l.n] = buildDelta(l.n, alpha)
		}
		tabs[i] = deltas[l.n]
		off[i+1] = off[i] + tabs[i].w
	}
	width := off[len(all)]
	arena := make([]uint64, 0, width*64)
	parent := []int32{-1}
	via := []rune{0}
	for i, l := range all {
		arena = append(arena, l.start...)
		arena = append(arena, make([]uint64, tabs[i].w-len(l.start))...)
	}
	seen := map[string]int32{}
	keyOf := func(ws []uint64) []byte {
		return unsafe.Slice((*byte)(unsafe.Pointer(&ws[0])), len(ws)*8)
	}
	seen[string(keyOf(arena[:width]))] = 0
	sigs := map[string]bool{}
	next := make([]uint64, width)
	for qi := 0; qi < len(parent); qi++ {
		cur := arena[qi*width : (qi+1)*width]
		accepting := false
		for i := nl; i < len(all); i++ {
			accepting = accepting || intersectsWords(cur[off[i]:off[i+1]], all[i].accept)
		}
		if accepting {
			sig := newBitset(nl)
			for i := 0; i < nl; i++ {
				if intersectsWords(cur[off[i]:off[i+1]], all[i].accept) {
					sig.set(i)
				}
			}
			if k := sig.key(); !sigs[k] {
				sigs[k] = true
				v.classes = append(v.classes, strClass{sig: sig, witness: pathString(qi, func(i int) (int, rune) { return int(parent[i]), via[i] })})
			}
		}
		for ci, c := range alpha {
			clear(next)
			alive := false
			for i := range all {
				t := tabs[i]
				src := cur[off[i]:off[i+1]]
				dst := next[off[i]:off[i+1]]
				for wi, word := range src {
					for word != 0 {
						q := wi*64 + bits.TrailingZeros64(word)
						word &= word - 1
						row := t.next[(q*len(alpha)+ci)*t.w:]
						for k := range dst {
							dst[k] |= row[k]
						}
					}
				}
				if i >= nl && !alive {
					for _, x := range dst {
						if x != 0 {
							alive = true
							break
						}
					}
				}
			}
			if !alive {
				continue
			}
			if _, ok := seen[string(keyOf(next))]; ok {
				continue
			}
			if len(parent) >= maxStates {
				v.fallback()
				return
			}
			seen[string(keyOf(next))] = int32(len(parent))
			arena = append(arena, next...)
			cur = arena[qi*width : (qi+1)*width]
			parent = append(parent, int32(qi))
			via = append(via, c)
		}
	}
}

func intersectsWords(ws []uint64, b bitset) bool {
	for i := range ws {
		if i < len(b) && ws[i]&b[i] != 0 {
			return true
		}
	}
	return false
}

func pathString(i int, parent func(int) (int, rune)) string {
	var rs []rune
	for i > 0 {
		p, c := parent(i)
		rs = append(rs, c)
		i = p
	}
	for l, r := 0, len(rs)-1; l < r; l, r = l+1, r-1 {
		rs[l], rs[r] = rs[r], rs[l]
	}
	return string(rs)
}

// alphabet picks one rune per class of runes that every token of every
// language accepts alike. Character classes other than "any" are ASCII, so
// every rune outside ASCII and the literals behaves like one fresh non-ASCII
// rune; folded literals bring their whole case orbit (K, k and the Kelvin
// sign fold together). Runes are tried in an order that makes witnesses
// readable: lower-case letters, digits, upper case, punctuation.
func alphabet(langs []lang) []rune {
	type tp struct {
		p pred
		r rune
	}
	var preds []tp
	seenP := map[tp]bool{}
	lits := map[rune]bool{}
	for _, l := range langs {
		for _, t := range l.n.toks {
			k := tp{t.p, t.r}
			if t.p != pLit && t.p != pFold {
				k.r = 0
			}
			if !seenP[k] {
				seenP[k] = true
				preds = append(preds, k)
			}
			if t.p == pLit || t.p == pFold {
				lits[t.r] = true
				if t.p == pFold {
					for f := unicode.SimpleFold(t.r); f != t.r; f = unicode.SimpleFold(f) {
						lits[f] = true
					}
				}
			}
		}
	}
	var probes []rune
	for c := 'a'; c <= 'z'; c++ {
		probes = append(probes, c)
	}
	for c := '0'; c <= '9'; c++ {
		probes = append(probes, c)
	}
	for c := 'A'; c <= 'Z'; c++ {
		probes = append(probes, c)
	}
	for c := rune('!'); c <= '~'; c++ {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			probes = append(probes, c)
		}
	}
	probes = append(probes, ' ')
	var extra []rune
	for r := range lits {
		if r > 0x7e || r < ' ' {
			extra = append(extra, r)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i] < extra[j] })
	probes = append(probes, extra...)
	for _, r := range []rune{'é', 'ß', 'λ', '☃'} {
		if !lits[r] {
			probes = append(probes, r)
			break
		}
	}
	for c := rune(0); c < ' '; c++ {
		if !lits[c] {
			probes = append(probes, c)
			break
		}
	}
	seen := map[string]bool{}
	var out []rune
	for _, c := range probes {
		sig := make([]byte, len(preds))
		for i, k := range preds {
			if (tok{p: k.p, r: k.r}).accepts(c) {
				sig[i] = 1
			}
		}
		if !seen[string(sig)] {
			seen[string(sig)] = true
			out = append(out, c)
		}
	}
	return out
}

// classOf is the class of a concrete string of the domain, -1 when s is
// outside the domain (or the partition failed).
func (v *strVar) classOf(s string) int {
	if !v.inDomain(s) {
		return -1
	}
	sig := newBitset(len(v.langs))
	for i, l := range v.langs {
		if l.has(s) {
			sig.set(i)
		}
	}
	for i, c := range v.classes {
		if c.sig.key() == sig.key() {
			return i
		}
	}
	return -1
}

func (v *strVar) inDomain(s string) bool {
	if v.domain == nil {
		return true
	}
	for _, d := range v.domain {
		if (&nfa{toks: d}).matches(s) {
			return true
		}
	}
	return false
}

// fallback gives up partitioning: the classes become a few concrete
// strings (a shortest member of each language and of the domain), whose
// tests are exact, but which do not cover the domain, so every test on the
// variable is undecided (err is set) and only replayed requests count.
func (v *strVar) fallback() {
	v.err = errTooManyStates
	v.classes = nil
	seen := map[string]bool{}
	add := func(s string, ok bool) {
		if !ok || seen[s] || !v.inDomain(s) {
			return
		}
		seen[s] = true
		sig := newBitset(len(v.langs))
		for i, l := range v.langs {
			if l.has(s) {
				sig.set(i)
			}
		}
		v.classes = append(v.classes, strClass{sig: sig, witness: s})
	}
	doms := v.domain
	if doms == nil {
		doms = [][]tok{{{p: pAny, star: true}}}
	}
	for _, d := range doms {
		dn := &nfa{toks: d}
		add(shortest(lang{n: dn, start: dn.start(), accept: dn.final()}, nil))
		for _, l := range v.langs {
			add(shortest(l, dn))
		}
	}
}

// shortest finds a shortest string of l (and of the domain automaton d,
// when given) by a bounded breadth-first search.
func shortest(l lang, d *nfa) (string, bool) {
	all := []lang{l}
	if d != nil {
		all = append(all, lang{n: d, start: d.start(), accept: d.final()})
	}
	alpha := alphabet(all)
	type node struct {
		a, b   bitset
		parent int
		c      rune
	}
	nodes := []node{{a: l.start.clone(), parent: -1}}
	if d != nil {
		nodes[0].b = d.start()
	}
	seen := map[string]bool{nodes[0].a.key() + "|" + nodes[0].b.key(): true}
	for qi := 0; qi < len(nodes) && len(nodes) < maxStates; qi++ {
		n := nodes[qi]
		if n.a.intersects(l.accept) && (d == nil || n.b.has(len(d.toks))) {
			return pathString(qi, func(i int) (int, rune) { return nodes[i].parent, nodes[i].c }), true
		}
		for _, c := range alpha {
			na := l.n.step(n.a, c)
			if na.empty() {
				continue
			}
			var nb bitset
			if d != nil {
				if nb = d.step(n.b, c); nb.empty() {
					continue
				}
			}
			k := na.key() + "|" + nb.key()
			if !seen[k] {
				seen[k] = true
				nodes = append(nodes, node{a: na, b: nb, parent: qi, c: c})
			}
		}
	}
	return "", false
}
