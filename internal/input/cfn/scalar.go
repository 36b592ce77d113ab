package cfn

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kmslint/kmslint/internal/input/source"
	"github.com/kmslint/kmslint/internal/policy"
)

// yamlScalar maps the value of a YAML string scalar back to its text, so that
// a key policy written as JSON inside a block scalar gets exact positions.
// The scalar is re-read from the file by its style (literal and folded
// blocks, double- and single-quoted, plain); the result is used only if it
// decodes to exactly the value yaml.v3 read, otherwise every byte maps to
// the scalar's position: never a wrong place.
func yamlScalar(t *source.Text, n *policy.Node) *source.Mapped {
	if off := skipProperties(t, t.Offset(n.Pos)); off >= 0 && off < len(t.Data()) {
		var m *source.Mapped
		switch t.Data()[off] {
		case '|', '>':
			m = blockScalar(t, off, n.Str)
		case '"', '\'':
			m = flowScalar(t, off, t.Data()[off], n.Str)
		default:
			m = flowScalar(t, off, 0, n.Str)
		}
		if m != nil {
			return m
		}
	}
	return source.Fixed(n.Str, n.Pos)
}

// skipProperties moves past the anchor and tag (`&a !Sub`) that may precede
// a scalar, and the space, line breaks and comments after them.
func skipProperties(t *source.Text, off int) int {
	d := t.Data()
	if off < 0 {
		return -1
	}
	props := false
	for off < len(d) {
		switch c := d[off]; {
		case c == '&' || c == '!':
			props = true
			for off < len(d) && d[off] != ' ' && d[off] != '\t' && t.BreakLen(off) == 0 {
				off++
			}
		case c == ' ' || c == '\t':
			off++
		case props && t.BreakLen(off) > 0:
			off += t.BreakLen(off)
		case props && c == '#':
			for off < len(d) && t.BreakLen(off) == 0 {
				off++
			}
		default:
			return off
		}
	}
	return off
}

// blockScalar maps a literal (|) or folded (>) block scalar whose indicator
// is at off. Chomping only removes trailing line breaks, so the value must be
// a prefix of the text built with every break kept.
func blockScalar(t *source.Text, off int, want string) *source.Mapped {
	d := t.Data()
	folded := d[off] == '>'
	hdr := t.Pos(off).Line
	hs, he := t.Line(hdr)
	indent := 0
	for i := off + 1; i < he && d[i] != ' ' && d[i] != '\t' && d[i] != '#'; i++ {
		if d[i] >= '1' && d[i] <= '9' {
			// Explicit indentation counts from the parent node's indentation,
			// approximated by the header line's; a wrong guess fails the
			// comparison with the value below.
			indent = leadingSpaces(d[hs:he]) + int(d[i]-'0')
		}
	}
	if indent == 0 {
		// Auto-detected: the first line with text, or the widest leading
		// empty line if that is wider.
		for ln := hdr + 1; ln <= t.Lines(); ln++ {
			s, e := t.Line(ln)
			sp := leadingSpaces(d[s:e])
			if s+sp < e {
				indent = max(indent, sp)
				break
			}
			indent = max(indent, sp)
		}
		if indent <= leadingSpaces(d[hs:he]) {
			return emptyBlock(want, t.Pos(off))
		}
	}

	var b source.Builder
	var empties []policy.Pos // breaks of the empty lines since the last text line
	var prevBreak policy.Pos
	first, prevMore := true, false
	for ln := hdr + 1; ln <= t.Lines(); ln++ {
		s, e := t.Line(ln)
		sp := leadingSpaces(d[s:e])
		blank := strings.Trim(string(d[s:e]), " \t") == ""
		if !blank && sp < indent {
			break
		}
		brk := t.Pos(e)
		content := ""
		if e-s > indent {
			content = string(d[s+indent : e])
		}
		if !folded {
			b.Verbatim(content, t.Pos(s+indent))
			b.At("\n", brk)
			continue
		}
		if blank && sp <= indent {
			empties = append(empties, brk)
			continue
		}
		more := content != "" && (content[0] == ' ' || content[0] == '\t')
		switch {
		case first:
			// Leading empty lines are kept as they are.
		case !prevMore && !more && len(empties) == 0:
			b.At(" ", prevBreak)
		case !prevMore && !more:
			// The break after a text line folds away; the empty lines stay.
		default:
			b.At("\n", prevBreak)
		}
		for _, p := range empties {
			b.At("\n", p)
		}
		b.Verbatim(content, t.Pos(s+indent))
		first, prevMore, prevBreak, empties = false, more, brk, empties[:0]
	}
	if folded && !first {
		b.At("\n", prevBreak)
		for _, p := range empties {
			b.At("\n", p)
		}
	}
	m := b.Mapped()
	if !strings.HasPrefix(m.S, want) {
		return nil
	}
	var out source.Builder
	out.Append(m, 0, len(want))
	return out.Mapped()
}

func emptyBlock(want string, p policy.Pos) *source.Mapped {
	if strings.Trim(want, "\n") != "" {
		return nil
	}
	return source.Fixed(want, p)
}

func leadingSpaces(b []byte) int {
	n := 0
	for n < len(b) && b[n] == ' ' {
		n++
	}
	return n
}

// flowScalar maps a double-quoted ("), single-quoted (') or plain (0) scalar
// starting at off, folding its line breaks as YAML does.
func flowScalar(t *source.Text, off int, quote byte, want string) *source.Mapped {
	d := t.Data()
	var b source.Builder
	i := off
	if quote != 0 {
		i++
	}
	pendingSpace := -1 // start of blanks not yet known to be inside the line
	for i < len(d) {
		if quote == 0 && b.Len() >= len(want) {
			break
		}
		if n := t.BreakLen(i); n > 0 {
			// Trailing blanks are dropped; one break becomes a space, each
			// empty line that follows a newline; the next line's leading
			// blanks are dropped.
			pendingSpace = -1
			brk := t.Pos(i)
			i += n
			var empties []policy.Pos
			for {
				j := i
				for j < len(d) && (d[j] == ' ' || d[j] == '\t') {
					j++
				}
				if j < len(d) && t.BreakLen(j) > 0 {
					empties = append(empties, t.Pos(j))
					i = j + t.BreakLen(j)
					continue
				}
				i = j
				break
			}
			if len(empties) == 0 {
				b.At(" ", brk)
			}
			for _, p := range empties {
				b.At("\n", p)
			}
			continue
		}
		c := d[i]
		if c == ' ' || c == '\t' {
			if pendingSpace < 0 {
				pendingSpace = i
			}
			i++
			continue
		}
		if pendingSpace >= 0 {
			b.Verbatim(string(d[pendingSpace:i]), t.Pos(pendingSpace))
			pendingSpace = -1
		}
		switch {
		case quote == '"' && c == '"', quote == '\'' && c == '\'' && (i+1 >= len(d) || d[i+1] != '\''):
			m := b.Mapped()
			if m.S != want {
				return nil
			}
			return m
		case quote == '\'' && c == '\'':
			b.At("'", t.Pos(i))
			i += 2
			continue
		case quote == '"' && c == '\\':
			if i+1 < len(d) && t.BreakLen(i+1) > 0 {
				// An escaped line break joins the lines without a space.
				i++
				i += t.BreakLen(i)
				for i < len(d) && (d[i] == ' ' || d[i] == '\t') {
					i++
				}
				continue
			}
			r, n, ok := yamlEscape(d[i:])
			if !ok {
				return nil
			}
			b.At(string(r), t.Pos(i))
			i += n
			continue
		}
		_, size := utf8.DecodeRune(d[i:])
		b.Verbatim(string(d[i:i+size]), t.Pos(i))
		i += size
	}
	if quote != 0 {
		return nil
	}
	m := b.Mapped()
	if m.S != want {
		return nil
	}
	return m
}

// yamlEscape decodes the double-quoted escape sequence at the start of e.
// https://yaml.org/spec/1.2.2/#57-escaped-characters
func yamlEscape(e []byte) (rune, int, bool) {
	if len(e) < 2 {
		return 0, 0, false
	}
	width := 0
	switch e[1] {
	case '0':
		return 0, 2, true
	case 'a':
		return '\a', 2, true
	case 'b':
		return '\b', 2, true
	case 't', '\t':
		return '\t', 2, true
	case 'n':
		return '\n', 2, true
	case 'v':
		return '\v', 2, true
	case 'f':
		return '\f', 2, true
	case 'r':
		return '\r', 2, true
	case 'e':
		return 0x1b, 2, true
	case ' ', '"', '/', '\\':
		return rune(e[1]), 2, true
	case 'N':
		return 0x85, 2, true
	case '_':
		return 0xa0, 2, true
	case 'L':
		return 0x2028, 2, true
	case 'P':
		return 0x2029, 2, true
	case 'x':
		width = 2
	case 'u':
		width = 4
	case 'U':
		width = 8
	default:
		return 0, 0, false
	}
	if len(e) < 2+width {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(string(e[2:2+width]), 16, 32)
	if err != nil {
		return 0, 0, false
	}
	return rune(v), 2 + width, true
}
