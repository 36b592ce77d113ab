package source

import (
	"sort"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kmslint/kmslint/internal/policy"
)

// Mapped is a decoded string with the file position of each of its bytes.
type Mapped struct {
	S    string
	segs []seg
}

// seg says where the bytes of Mapped.S from off on came from.
type seg struct {
	off int
	pos policy.Pos
	// verbatim: the bytes were copied character for character from one line
	// of the file, so the column advances with each character. Otherwise
	// every byte of the segment maps to pos (an escape sequence, a value
	// substituted for ${Var}).
	verbatim bool
}

// Fixed maps every byte of s to p: the fallback when a string's source text
// cannot be followed exactly.
func Fixed(s string, p policy.Pos) *Mapped {
	return &Mapped{S: s, segs: []seg{{off: 0, pos: p}}}
}

// Pos is the file position of byte off of m.S; off == len(m.S) gives the
// position just after the last byte.
func (m *Mapped) Pos(off int) policy.Pos {
	if len(m.segs) == 0 {
		return policy.Pos{}
	}
	i := sort.Search(len(m.segs), func(i int) bool { return m.segs[i].off > off }) - 1
	if i < 0 {
		i = 0
	}
	sg := m.segs[i]
	if !sg.verbatim || off <= sg.off {
		return sg.pos
	}
	if off > len(m.S) {
		off = len(m.S)
	}
	return policy.Pos{Line: sg.pos.Line, Col: sg.pos.Col + utf8.RuneCountInString(m.S[sg.off:off])}
}

// Builder assembles a Mapped string piece by piece.
type Builder struct {
	buf  []byte
	segs []seg
}

// Len is the number of bytes written so far.
func (b *Builder) Len() int { return len(b.buf) }

// Verbatim appends s, copied character for character from the file starting
// at p on one line.
func (b *Builder) Verbatim(s string, p policy.Pos) {
	if s == "" {
		return
	}
	if n := len(b.segs); n > 0 {
		// Extend the previous segment when s continues it on the same line.
		last := b.segs[n-1]
		if last.verbatim && last.pos.Line == p.Line &&
			last.pos.Col+utf8.RuneCount(b.buf[last.off:]) == p.Col {
			b.buf = append(b.buf, s...)
			return
		}
	}
	b.segs = append(b.segs, seg{off: len(b.buf), pos: p, verbatim: true})
	b.buf = append(b.buf, s...)
}

// At appends s with every byte at p.
func (b *Builder) At(s string, p policy.Pos) {
	if s == "" {
		return
	}
	b.segs = append(b.segs, seg{off: len(b.buf), pos: p})
	b.buf = append(b.buf, s...)
}

// Append appends m.S[lo:hi] with its positions.
func (b *Builder) Append(m *Mapped, lo, hi int) {
	if lo >= hi {
		return
	}
	i := sort.Search(len(m.segs), func(i int) bool { return m.segs[i].off > lo }) - 1
	if i < 0 {
		i = 0
	}
	for ; i < len(m.segs) && m.segs[i].off < hi; i++ {
		sg := m.segs[i]
		from := max(sg.off, lo)
		to := hi
		if i+1 < len(m.segs) && m.segs[i+1].off < hi {
			to = m.segs[i+1].off
		}
		if sg.verbatim {
			b.Verbatim(m.S[from:to], m.Pos(from))
		} else {
			b.At(m.S[from:to], sg.pos)
		}
	}
}

// Or returns m, or a Fixed mapping at p when m has no positions (an empty
// string), so that every offset of a string maps somewhere.
func (m *Mapped) Or(p policy.Pos) *Mapped {
	if len(m.segs) == 0 {
		return Fixed(m.S, p)
	}
	return m
}

// Mapped returns what was built.
func (b *Builder) Mapped() *Mapped {
	return &Mapped{S: string(b.buf), segs: b.segs}
}

// JSONString decodes the JSON string literal whose opening quote is at p and
// maps each decoded byte to the file: characters written as they are map to
// themselves, the bytes of an escape sequence to its backslash. It returns
// false if there is no well-formed literal at p.
func (t *Text) JSONString(p policy.Pos) (*Mapped, bool) {
	off := t.Offset(p)
	d := t.data
	if off < 0 || off >= len(d) || d[off] != '"' {
		return nil, false
	}
	var b Builder
	line, col := p.Line, p.Col+1
	i := off + 1
	run := i // start of the current run of unescaped characters
	runCol := col
	flush := func() {
		b.Verbatim(string(d[run:i]), policy.Pos{Line: line, Col: runCol})
	}
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			if b.Len() == 0 && i == off+1 {
				// "": the position just inside the quotes.
				return Fixed("", policy.Pos{Line: line, Col: p.Col + 1}), true
			}
			flush()
			return b.Mapped(), true
		case c < 0x20:
			return nil, false
		case c == '\\':
			flush()
			at := policy.Pos{Line: line, Col: col}
			r, n, ok := unescapeJSON(d[i:])
			if !ok {
				return nil, false
			}
			var tmp [utf8.UTFMax]byte
			b.At(string(tmp[:utf8.EncodeRune(tmp[:], r)]), at)
			i += n
			col += n // escape sequences are ASCII: one column per byte
			run, runCol = i, col
		default:
			_, size := utf8.DecodeRune(d[i:])
			i += size
			col++
		}
	}
	return nil, false
}

// unescapeJSON decodes the escape sequence at the start of e (a backslash),
// with encoding/json's rules for surrogates, and returns its length.
func unescapeJSON(e []byte) (rune, int, bool) {
	if len(e) < 2 {
		return 0, 0, false
	}
	switch e[1] {
	case '"', '\\', '/':
		return rune(e[1]), 2, true
	case 'b':
		return '\b', 2, true
	case 'f':
		return '\f', 2, true
	case 'n':
		return '\n', 2, true
	case 'r':
		return '\r', 2, true
	case 't':
		return '\t', 2, true
	case 'u':
		r, ok := hex4(e[2:])
		if !ok {
			return 0, 0, false
		}
		if !utf16.IsSurrogate(r) {
			return r, 6, true
		}
		if len(e) >= 12 && e[6] == '\\' && e[7] == 'u' {
			if r2, ok := hex4(e[8:]); ok {
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					return dec, 12, true
				}
			}
		}
		return utf8.RuneError, 6, true
	}
	return 0, 0, false
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// StringAt maps the string value n, parsed from t by policy.ParseJSON, back
// to its literal. If the literal cannot be followed (it should always can),
// every byte maps to n.Pos rather than to a wrong place.
func (t *Text) StringAt(n *policy.Node) *Mapped {
	if m, ok := t.JSONString(n.Pos); ok && m.S == n.Str {
		return m
	}
	return Fixed(n.Str, n.Pos)
}

// ParseJSON parses the JSON text m holds, as policy.ParseJSON does, and moves
// every node and object key, and the position of a syntax error, to where it
// is in the user's file.
func ParseJSON(file string, m *Mapped) (*policy.Node, error) {
	inner := []byte(m.S)
	n, err := policy.ParseJSON(file, inner)
	it := NewText(inner, false)
	move := func(p policy.Pos) policy.Pos {
		off := it.Offset(p)
		if off < 0 {
			off = len(inner)
		}
		return m.Pos(off)
	}
	if err != nil {
		if se, ok := err.(*policy.SyntaxError); ok {
			se.Pos = move(se.Pos)
		}
		return nil, err
	}
	relocate(n, move)
	return n, nil
}

// relocate rewrites the positions of n's tree in document order, the order
// in which Text lookups are cheapest.
func relocate(n *policy.Node, move func(policy.Pos) policy.Pos) {
	n.Pos = move(n.Pos)
	for _, it := range n.Items {
		relocate(it, move)
	}
	for i := range n.Fields {
		n.Fields[i].KeyPos = move(n.Fields[i].KeyPos)
		relocate(n.Fields[i].Value, move)
	}
}

// Place puts every node and object key of a tree at one position: a value
// kmslint generated (a default policy) or one that stands for what a
// reference names elsewhere.
func Place(n *policy.Node, pos policy.Pos) {
	n.Pos = pos
	for _, it := range n.Items {
		Place(it, pos)
	}
	for i := range n.Fields {
		n.Fields[i].KeyPos = pos
		Place(n.Fields[i].Value, pos)
	}
}
