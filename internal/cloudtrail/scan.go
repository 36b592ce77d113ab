package cloudtrail

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// scanner is a streaming JSON syntax checker over a sliding byte buffer. It
// validates the full grammar (not only brackets) so that a broken record is
// noticed where it breaks, which is what makes resynchronising on the next
// record possible, and so that every record it hands out is well-formed JSON.
//
// The buffer only keeps what a caller still needs: bytes before keep (or
// before pos when keep < 0) are dropped on refill. Offsets handed out are
// absolute stream offsets so that they survive refills.
type scanner struct {
	r    io.Reader
	ctx  context.Context
	buf  []byte
	pos  int   // next unread byte
	end  int   // buf[:end] holds data
	base int64 // stream offset of buf[0]
	keep int   // first buffer index that must survive a refill, or -1
	rerr error // why the input ended: io.EOF, a read error or ctx's error

	maxKeep  int  // most bytes keep may pin; beyond that they are dropped
	overflow bool // keep was released because the span outgrew maxKeep

	// Line accounting for error positions, covering the bytes before base.
	lines  int   // number of '\n' before base
	lastNL int64 // offset of the last '\n' before base, -1 if none
	zeros  int   // consecutive empty reads, to catch readers that never progress

	borrowed bool // buf is a caller's document (resetBytes), not ours to reuse
}

const (
	minBuffer     = 256 << 10
	maxIdleBuffer = 4 << 20
	maxDepth      = 10000 // as encoding/json: deeper input is hostile, not CloudTrail
)

// reset points the scanner at a new stream, keeping the buffer it has
// (tests give it a tiny one to exercise refills).
func (s *scanner) reset(ctx context.Context, r io.Reader, maxKeep int) {
	buf := s.buf
	if s.borrowed || len(buf) == 0 || len(buf) > maxIdleBuffer {
		// First use, or let go of a buffer that one huge record blew up.
		buf = make([]byte, minBuffer)
	}
	*s = scanner{r: r, ctx: ctx, buf: buf, keep: -1, maxKeep: maxKeep, lastNL: -1}
}

// resetBytes points the scanner at an in-memory document; nothing is copied.
func (s *scanner) resetBytes(b []byte) {
	*s = scanner{buf: b, end: len(b), keep: -1, maxKeep: len(b) + 1, lastNL: -1, rerr: io.EOF, borrowed: true}
}

// off is the stream offset of the next unread byte.
func (s *scanner) off() int64 { return s.base + int64(s.pos) }

// fill reads more input. It reports false when no byte was added, with the
// reason in s.rerr.
func (s *scanner) fill() bool {
	if s.rerr != nil {
		return false
	}
	if s.ctx != nil {
		if err := s.ctx.Err(); err != nil {
			s.rerr = err
			return false
		}
	}
	from := s.pos
	if s.keep >= 0 && s.keep < from {
		if s.pos-s.keep > s.maxKeep {
			s.overflow, s.keep = true, -1
		} else {
			from = s.keep
		}
	}
	if from > 0 {
		s.account(from)
		s.end = copy(s.buf, s.buf[from:s.end])
		s.pos -= from
		if s.keep >= 0 {
			s.keep -= from
		}
		s.base += int64(from)
	}
	if s.end == len(s.buf) {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.rerr = err
			return n > 0
		}
		if n > 0 {
			s.zeros = 0
			return true
		}
		if s.zeros++; s.zeros > 100 {
			s.rerr = io.ErrNoProgress
			return false
		}
	}
}

// account counts the newlines of buf[:n] before they are dropped.
func (s *scanner) account(n int) {
	b := s.buf[:n]
	if c := bytes.Count(b, []byte{'\n'}); c > 0 {
		s.lines += c
		s.lastNL = s.base + int64(bytes.LastIndexByte(b, '\n'))
	}
}

// need makes sure n unread bytes are buffered.
func (s *scanner) need(n int) bool {
	for s.end-s.pos < n {
		if !s.fill() {
			return false
		}
	}
	return true
}

// position turns a stream offset into a 1-based line and byte column. It
// returns zeros for offsets that are no longer buffered.
func (s *scanner) position(off int64) (line, col int) {
	if off < s.base || off > s.base+int64(s.end) {
		return 0, 0
	}
	b := s.buf[:off-s.base]
	line = s.lines + bytes.Count(b, []byte{'\n'}) + 1
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return line, len(b) - i
	}
	return line, int(off - s.lastNL)
}

// scanError is a syntax problem at a stream offset, or the end of the input
// (eof) with the reason it ended (cause: nil for a clean end of file).
type scanError struct {
	off   int64
	msg   string
	eof   bool
	cause error
}

func (e *scanError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

func (e *scanError) Unwrap() error { return e.cause }

func (s *scanner) errorf(format string, args ...any) error {
	return &scanError{off: s.off(), msg: fmt.Sprintf(format, args...)}
}

// endErr reports that the input stopped in the middle of something.
func (s *scanner) endErr() error {
	e := &scanError{off: s.off(), msg: "unexpected end of input", eof: true}
	if !errors.Is(s.rerr, io.EOF) {
		e.msg, e.cause = "input ends early", s.rerr
	}
	return e
}

// peek skips whitespace and returns the next byte without consuming it.
// The common case, a token right here, stays small enough to inline.
func (s *scanner) peek() (byte, bool) {
	if s.pos < s.end {
		if c := s.buf[s.pos]; c > ' ' {
			return c, true
		}
	}
	return s.peekSlow()
}

func (s *scanner) peekSlow() (byte, bool) {
	for {
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\n', '\r', '\t':
				s.pos++
			default:
				return c, true
			}
		}
		if !s.fill() {
			return 0, false
		}
	}
}

// startsValue reports whether c can begin a JSON value.
func startsValue(c byte) bool {
	switch c {
	case '{', '[', '"', '-', 't', 'f', 'n':
		return true
	}
	return c >= '0' && c <= '9'
}

// value checks one JSON value starting at the next non-blank byte.
func (s *scanner) value(depth int) error {
	c, ok := s.peek()
	if !ok {
		return s.endErr()
	}
	switch c {
	case '{':
		return s.object(depth+1, nil, nil)
	case '[':
		return s.array(depth + 1)
	case '"':
		return s.str()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	}
	if c == '-' || c >= '0' && c <= '9' {
		return s.number()
	}
	return s.errorf("invalid character %s looking for beginning of value", quoteByte(c))
}

// memberHook scans the values of an object's members in the scanner's
// stead (the splitter's top-level objects, whose Records or Events member
// holds the records). kstart and kend are the stream offsets of the quoted
// key; c, the value's first byte, is next. errStopObject ends the object
// without an error.
type memberHook interface {
	member(s *scanner, kstart, kend int64, c byte) error
}

var errStopObject = errors.New("stop scanning the object")

// object checks an object whose '{' is the next byte. With f set, the keys of
// this object are offered to f for capture. With h set, h scans each member's
// value instead.
func (s *scanner) object(depth int, f *fields, h memberHook) error {
	if depth > maxDepth {
		return s.errorf("nesting deeper than %d levels", maxDepth)
	}
	s.pos++
	c, ok := s.peek()
	if !ok {
		return s.endErr()
	}
	if c == '}' {
		s.pos++
		return nil
	}
	for {
		if c != '"' {
			return s.errorf("invalid character %s looking for beginning of object key string", quoteByte(c))
		}
		kstart := s.off()
		if err := s.str(); err != nil {
			return err
		}
		kend := s.off()
		if f != nil && !s.overflow && !f.firstKey.present() {
			// Noted before the value: if the record breaks inside it, the
			// key still tells resynchronisation what records start with.
			f.firstKey = span{kstart + 1, kend - 1}
		}
		if c, ok = s.peek(); !ok {
			return s.endErr()
		}
		if c != ':' {
			return s.errorf("invalid character %s after object key", quoteByte(c))
		}
		s.pos++
		if c, ok = s.peek(); !ok {
			return s.endErr()
		}
		if h != nil {
			if err := h.member(s, kstart, kend, c); err != nil {
				return err
			}
		} else {
			vstart := s.off()
			if err := s.value(depth); err != nil {
				return err
			}
			if f != nil && !s.overflow {
				f.offer(s, kstart, kend, vstart, s.off())
			}
		}
		if c, ok = s.peek(); !ok {
			return s.endErr()
		}
		switch c {
		case ',':
			s.pos++
			if c, ok = s.peek(); !ok {
				return s.endErr()
			}
		case '}':
			s.pos++
			return nil
		default:
			return s.errorf("invalid character %s after object key:value pair", quoteByte(c))
		}
	}
}

func (s *scanner) array(depth int) error {
	if depth > maxDepth {
		return s.errorf("nesting deeper than %d levels", maxDepth)
	}
	s.pos++
	c, ok := s.peek()
	if !ok {
		return s.endErr()
	}
	if c == ']' {
		s.pos++
		return nil
	}
	for {
		if err := s.value(depth); err != nil {
			return err
		}
		if c, ok = s.peek(); !ok {
			return s.endErr()
		}
		switch c {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.errorf("invalid character %s after array element", quoteByte(c))
		}
	}
}

// strStop marks the bytes that end the fast path inside a string: the
// closing quote, an escape, and control characters (which JSON forbids raw).
var strStop = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// stopMask flags (in the high bit of each byte, exactly for the lowest
// flagged byte) the bytes of x that strStop marks: the classic SWAR "has
// zero byte" and "has byte less than" tests, eight bytes at a time.
func stopMask(x uint64) uint64 {
	q := x ^ ('"' * ones)
	b := x ^ ('\\' * ones)
	return ((x-0x20*ones)&^x | (q-ones)&^q | (b-ones)&^b) & highs
}

// str checks a string whose opening quote is the next byte. Most of a
// CloudTrail file is string contents, so this loop is the hot path.
func (s *scanner) str() error {
	s.pos++
	for {
		b := s.buf[s.pos:s.end]
		i := 0
		for ; i+8 <= len(b); i += 8 {
			if m := stopMask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
		}
		for i < len(b) && !strStop[b[i]] {
			i++
		}
		s.pos += i
		if i == len(b) {
			if !s.fill() {
				return s.endErr()
			}
			continue
		}
		switch c := b[i]; c {
		case '"':
			s.pos++
			return nil
		case '\\':
			if err := s.escape(); err != nil {
				return err
			}
		default:
			return s.errorf("invalid character %s in string literal", quoteByte(c))
		}
	}
}

// escape checks the escape sequence at pos (pos is on the backslash).
func (s *scanner) escape() error {
	if !s.need(2) {
		return s.endErr()
	}
	switch c := s.buf[s.pos+1]; c {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.pos += 2
		return nil
	case 'u':
		if !s.need(6) {
			return s.endErr()
		}
		for k, h := range s.buf[s.pos+2 : s.pos+6] {
			if !isHex(h) {
				s.pos += 2 + k
				return s.errorf("invalid character %s in \\u hexadecimal character escape", quoteByte(h))
			}
		}
		s.pos += 6
		return nil
	default:
		s.pos++
		return s.errorf("invalid character %s in string escape code", quoteByte(c))
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// number checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and stops at
// the first byte that cannot continue it; the caller judges what follows.
func (s *scanner) number() error {
	const (
		start = iota
		minus
		zero
		integer
		dot
		fraction
		exp
		expSign
		expDigits
	)
	state := start
	for {
		if s.pos == s.end && !s.fill() {
			if state == zero || state == integer || state == fraction || state == expDigits {
				return nil
			}
			return s.endErr()
		}
		c := s.buf[s.pos]
		digit := c >= '0' && c <= '9'
		next := -1
		switch state {
		case start:
			switch {
			case c == '-':
				next = minus
			case c == '0':
				next = zero
			case digit:
				next = integer
			}
		case minus:
			switch {
			case c == '0':
				next = zero
			case digit:
				next = integer
			}
		case zero, integer:
			switch {
			case digit && state == integer:
				next = integer
			case c == '.':
				next = dot
			case c == 'e' || c == 'E':
				next = exp
			}
		case dot, fraction:
			switch {
			case digit:
				next = fraction
			case state == fraction && (c == 'e' || c == 'E'):
				next = exp
			}
		case exp:
			switch {
			case c == '+' || c == '-':
				next = expSign
			case digit:
				next = expDigits
			}
		case expSign, expDigits:
			if digit {
				next = expDigits
			}
		}
		if next < 0 {
			if state == zero || state == integer || state == fraction || state == expDigits {
				return nil
			}
			return s.errorf("invalid character %s in numeric literal", quoteByte(c))
		}
		state = next
		s.pos++
	}
}

func (s *scanner) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if s.pos == s.end && !s.fill() {
			return s.endErr()
		}
		if c := s.buf[s.pos]; c != word[i] {
			return s.errorf("invalid character %s in literal %s (expecting %s)", quoteByte(c), word, quoteByte(word[i]))
		}
		s.pos++
	}
	return nil
}

// quoteByte renders a byte for an error message the way encoding/json does.
func quoteByte(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	if c >= 0x20 && c < 0x7f {
		return "'" + string(c) + "'"
	}
	return fmt.Sprintf("0x%02x", c)
}
