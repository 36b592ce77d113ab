package policy

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects ParseJSON accepts.
// A key policy never comes close; the limit exists so that hostile input
// (60 MB of "[[[[") fails fast with a clear error instead of exhausting memory.
const MaxDepth = 512

// SyntaxError is a JSON syntax error at a position of a file.
type SyntaxError struct {
	File string
	Pos  Pos
	Msg  string
}

func (e *SyntaxError) Error() string {
	return e.File + ":" + strconv.Itoa(e.Pos.Line) + ":" + strconv.Itoa(e.Pos.Col) + ": " + e.Msg
}

// ParseJSON parses one strict RFC 8259 JSON document into a Node tree that
// records the 1-based line and column (in Unicode characters) of every value
// and every object key. Objects keep duplicate keys; Build reports them.
//
// Beyond RFC 8259 it accepts a leading UTF-8 byte order mark (editors on
// Windows write one) and rejects nesting deeper than MaxDepth. Lone UTF-16
// surrogates in \u escapes become U+FFFD, as encoding/json does, so both read
// the same strings. Any error is a *SyntaxError. Time and memory are linear in
// len(data).
func ParseJSON(file string, data []byte) (*Node, error) {
	p := &parser{
		file: file,
		data: data,
		cur:  cursor{line: 1, col: 1},
	}
	if len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF {
		// The BOM is invisible in editors, so it takes no column.
		p.i, p.cur.off = 3, 3
	}
	p.skipSpace()
	if p.i == len(data) {
		return nil, p.errAt(p.i, "empty input: no JSON value")
	}
	// One conversion for the whole document: strings without escapes and
	// number literals are then substrings of src and cost no allocation.
	p.src = string(data)
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i < len(data) {
		return nil, p.errAt(p.i, "invalid character "+p.quoteAt(p.i)+" after top-level value")
	}
	return n, nil
}

// cursor is the line and column of byte offset off. Positions are asked for
// in increasing offset order, so advancing one cursor keeps the position
// bookkeeping linear even on a single 60 MB line.
type cursor struct {
	off, line, col int
}

type parser struct {
	file string
	data []byte
	src  string // data as a string, for allocation-free substrings
	i    int
	cur  cursor

	// Scratch stacks shared by all nesting levels: a container's children
	// are pushed here and copied into one exactly sized slice when it closes,
	// so each array or object costs one allocation whatever its length.
	items  []*Node
	fields []Field
	slab   []Node // nodes are carved from slabs to save allocations
	buf    []byte // unescaping scratch
}

func (p *parser) pos(off int) Pos {
	c := p.cur
	if off < c.off {
		// Never happens in the parser's forward scan; recount to stay correct.
		c = cursor{line: 1, col: 1}
		if len(p.data) >= 3 && p.data[0] == 0xEF && p.data[1] == 0xBB && p.data[2] == 0xBF {
			c.off = 3
		}
	}
	d := p.data
	for j := c.off; j < off; j++ {
		switch b := d[j]; {
		case b == '\n':
			c.line++
			c.col = 1
		case b == '\r':
			// CRLF is one line break (the LF counts it); a lone CR is one too.
			if j+1 < len(d) && d[j+1] == '\n' {
				continue
			}
			c.line++
			c.col = 1
		case b&0xC0 == 0x80:
			// UTF-8 continuation byte: same character.
		default:
			c.col++
		}
	}
	c.off = off
	p.cur = c
	return Pos{Line: c.line, Col: c.col}
}

func (p *parser) errAt(off int, msg string) *SyntaxError {
	return &SyntaxError{File: p.file, Pos: p.pos(off), Msg: msg}
}

func (p *parser) eof() *SyntaxError {
	return p.errAt(len(p.data), "unexpected end of JSON input")
}

// quoteAt renders the character at off for an error message, the way
// encoding/json does ('}' or '\n'), or names an invalid UTF-8 byte.
func (p *parser) quoteAt(off int) string {
	r, size := utf8.DecodeRune(p.data[off:])
	if r == utf8.RuneError && size <= 1 {
		return "byte 0x" + strconv.FormatUint(uint64(p.data[off]), 16) + " (invalid UTF-8)"
	}
	if r == '\'' {
		return `'\''`
	}
	if r == '"' {
		return `'"'`
	}
	s := strconv.QuoteRune(r)
	return s
}

func (p *parser) newNode(k Kind, off int) *Node {
	if len(p.slab) == 0 {
		// Grow slabs with the document so small inputs stay small.
		n := 16
		if p.i > 4096 {
			n = 256
		}
		p.slab = make([]Node, n)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	n.Kind = k
	n.Pos = p.pos(off)
	return n
}

func (p *parser) skipSpace() {
	d := p.data
	i := p.i
	for i < len(d) {
		switch d[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			p.i = i
			return
		}
	}
	p.i = i
}

// value parses the value at p.i; depth is the number of enclosing containers.
func (p *parser) value(depth int) (*Node, error) {
	if p.i >= len(p.data) {
		return nil, p.eof()
	}
	switch c := p.data[p.i]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		n := p.newNode(KindString, p.i)
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		n.Str = s
		return n, nil
	case c == 't':
		n := p.newNode(KindBool, p.i)
		n.Bool = true
		return n, p.literal("true")
	case c == 'f':
		n := p.newNode(KindBool, p.i)
		return n, p.literal("false")
	case c == 'n':
		n := p.newNode(KindNull, p.i)
		return n, p.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		n := p.newNode(KindNumber, p.i)
		start := p.i
		if err := p.number(); err != nil {
			return nil, err
		}
		n.Str = p.src[start:p.i]
		return n, nil
	default:
		return nil, p.errAt(p.i, "invalid character "+p.quoteAt(p.i)+" looking for beginning of value")
	}
}

func (p *parser) literal(word string) error {
	for k := 0; k < len(word); k++ {
		j := p.i + k
		if j >= len(p.data) {
			return p.eof()
		}
		if p.data[j] != word[k] {
			return p.errAt(j, "invalid character "+p.quoteAt(j)+" in literal "+word+" (expecting '"+word[k:k+1]+"')")
		}
	}
	p.i += len(word)
	return nil
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and leaves the
// literal as written: a policy's "NumericEquals" value must not lose digits.
func (p *parser) number() error {
	d := p.data
	start := p.i
	i := p.i
	digits := func(what string) error {
		if i >= len(d) {
			p.i = i
			return p.eof()
		}
		if d[i] < '0' || d[i] > '9' {
			return p.errAt(i, "invalid character "+p.quoteAt(i)+" "+what)
		}
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		return nil
	}
	if d[i] == '-' {
		i++
	}
	if i < len(d) && d[i] == '0' {
		i++
		if i < len(d) && '0' <= d[i] && d[i] <= '9' {
			return p.errAt(start, "invalid number: leading zeros are not allowed")
		}
	} else if err := digits("in numeric literal"); err != nil {
		return err
	}
	if i < len(d) && d[i] == '.' {
		i++
		if err := digits("after decimal point in numeric literal"); err != nil {
			return err
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if err := digits("in exponent of numeric literal"); err != nil {
			return err
		}
	}
	p.i = i
	return nil
}

func (p *parser) object(depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, p.errAt(p.i, "exceeded maximum nesting depth of "+strconv.Itoa(MaxDepth))
	}
	n := p.newNode(KindObject, p.i)
	p.i++
	base := len(p.fields)
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		return n, nil
	}
	for {
		if p.i >= len(p.data) {
			return nil, p.eof()
		}
		if p.data[p.i] != '"' {
			return nil, p.errAt(p.i, "invalid character "+p.quoteAt(p.i)+" looking for beginning of object key string")
		}
		keyPos := p.pos(p.i)
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.i >= len(p.data) {
			return nil, p.eof()
		}
		if p.data[p.i] != ':' {
			return nil, p.errAt(p.i, "invalid character "+p.quoteAt(p.i)+" after object key")
		}
		p.i++
		p.skipSpace()
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		p.fields = append(p.fields, Field{Key: key, KeyPos: keyPos, Value: v})
		p.skipSpace()
		if p.i >= len(p.data) {
			return nil, p.eof()
		}
		switch p.data[p.i] {
		case ',':
			p.i++
			p.skipSpace()
			continue
		case '}':
			p.i++
			n.Fields = make([]Field, len(p.fields)-base)
			copy(n.Fields, p.fields[base:])
			clear(p.fields[base:]) // drop references for the GC
			p.fields = p.fields[:base]
			return n, nil
		}
		return nil, p.errAt(p.i, "invalid character "+p.quoteAt(p.i)+" after object key:value pair")
	}
}

func (p *parser) array(depth int) (*Node, error) {
	if depth > MaxDepth {
		return nil, p.errAt(p.i, "exceeded maximum nesting depth of "+strconv.Itoa(MaxDepth))
	}
	n := p.newNode(KindArray, p.i)
	p.i++
	base := len(p.items)
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		return n, nil
	}
	for {
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		p.items = append(p.items, v)
		p.skipSpace()
		if p.i >= len(p.data) {
			return nil, p.eof()
		}
		switch p.data[p.i] {
		case ',':
			p.i++
			p.skipSpace()
			continue
		case ']':
			p.i++
			n.Items = make([]*Node, len(p.items)-base)
			copy(n.Items, p.items[base:])
			clear(p.items[base:])
			p.items = p.items[:base]
			return n, nil
		}
		return nil, p.errAt(p.i, "invalid character "+p.quoteAt(p.i)+" after array element")
	}
}

// str parses the string starting at the quote at p.i.
func (p *parser) str() (string, error) {
	d := p.data
	start := p.i + 1
	i := start
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			p.i = i + 1
			return p.src[start:i], nil
		case c == '\\':
			return p.strSlow(start, i)
		case c < 0x20:
			return "", p.errAt(i, "invalid character "+p.quoteAt(i)+" in string literal")
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				return "", p.errAt(i, "invalid UTF-8 in string")
			}
			i += size
		}
	}
	return "", p.eof()
}

// strSlow finishes a string that has escapes; start is the first byte after
// the opening quote and i the first backslash.
func (p *parser) strSlow(start, i int) (string, error) {
	d := p.data
	b := append(p.buf[:0], d[start:i]...)
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			p.i = i + 1
			p.buf = b[:0]
			return string(b), nil
		case c == '\\':
			i++
			if i >= len(d) {
				return "", p.eof()
			}
			switch e := d[i]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, err := p.hex4(i + 1)
				if err != nil {
					return "", err
				}
				i += 4
				if utf16.IsSurrogate(r) {
					// Same rule as encoding/json: a valid pair combines,
					// anything else becomes U+FFFD and the next escape is
					// read on its own.
					r2 := rune(-1)
					if i+2 < len(d) && d[i+1] == '\\' && d[i+2] == 'u' {
						if v, err := p.hex4(i + 3); err == nil {
							r2 = v
						}
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						i += 6
					} else {
						r = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", p.errAt(i, "invalid character "+p.quoteAt(i)+" in string escape code")
			}
			i++
		case c < 0x20:
			return "", p.errAt(i, "invalid character "+p.quoteAt(i)+" in string literal")
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				return "", p.errAt(i, "invalid UTF-8 in string")
			}
			b = append(b, d[i:i+size]...)
			i += size
		}
	}
	return "", p.eof()
}

func (p *parser) hex4(i int) (rune, error) {
	var r rune
	for k := 0; k < 4; k++ {
		if i+k >= len(p.data) {
			return 0, p.eof()
		}
		c := p.data[i+k]
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, p.errAt(i+k, "invalid character "+p.quoteAt(i+k)+` in \u hexadecimal character escape`)
		}
		r = r<<4 | rune(v)
	}
	return r, nil
}

// MarshalJSON serialises the node as compact JSON; see AppendJSON.
func (n *Node) MarshalJSON() ([]byte, error) {
	return n.AppendJSON(nil), nil
}

// AppendJSON appends n as compact JSON to dst: object fields in order with
// duplicates kept, numbers as written. A nil Node is null. A KindNumber whose
// Str is not a JSON number (a loader bug) is written as a string so that the
// output stays valid JSON; invalid UTF-8 in strings becomes U+FFFD.
func (n *Node) AppendJSON(dst []byte) []byte {
	if n == nil {
		return append(dst, "null"...)
	}
	switch n.Kind {
	case KindNull:
		return append(dst, "null"...)
	case KindBool:
		return strconv.AppendBool(dst, n.Bool)
	case KindNumber:
		if isJSONNumber(n.Str) {
			return append(dst, n.Str...)
		}
		return appendJSONString(dst, n.Str)
	case KindString:
		return appendJSONString(dst, n.Str)
	case KindArray:
		dst = append(dst, '[')
		for i, it := range n.Items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = it.AppendJSON(dst)
		}
		return append(dst, ']')
	case KindObject:
		dst = append(dst, '{')
		for i, f := range n.Fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, f.Key)
			dst = append(dst, ':')
			dst = f.Value.AppendJSON(dst)
		}
		return append(dst, '}')
	}
	return append(dst, "null"...)
}

func isJSONNumber(s string) bool {
	p := parser{data: []byte(s)}
	if len(s) == 0 || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return false
	}
	p.cur = cursor{line: 1, col: 1}
	return p.number() == nil && p.i == len(s)
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
