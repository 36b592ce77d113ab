// Package source maps positions between the file a user gave and the text a
// loader actually parses. A key policy is often not the file itself but JSON
// carried inside one of its strings (a Terraform plan attribute, a
// CloudFormation KeyPolicy block scalar or Fn::Sub): findings must still point
// at the line and column of the user's file, so every decoded byte keeps the
// file position it came from.
//
// Columns count Unicode characters, as policy.ParseJSON and YAML parsers do.
package source

import (
	"sort"
	"unicode/utf8"

	"github.com/kmslint/kmslint/internal/policy"
)

// Note is a remark about a position of the user's file: an intrinsic function
// that could not be resolved, a default that was applied, a policy that is
// not known until deployment.
type Note struct {
	// File is set when the note is about another file than the one
	// loaded (a Terraform module's variables.tf).
	File    string     `json:"file,omitempty"`
	Pos     policy.Pos `json:"pos"`
	Message string     `json:"message"`
}

// Text is a file's bytes with a line index, to turn positions into byte
// offsets and back. It keeps a cursor between calls, so it is not safe for
// concurrent use.
type Text struct {
	data []byte
	// yaml makes NEL, LS and PS line breaks too, as YAML parsers count them;
	// in JSON they are ordinary characters.
	yaml  bool
	lines []int // byte offset where each line starts (after its break)
	ends  []int // byte offset where each line's break starts
	// The last lookup: positions are mostly asked for in increasing order
	// along one line, and a Terraform plan is often one line of megabytes.
	curOff, curLine, curCol int
}

// NewText indexes data. yamlBreaks selects YAML's set of line breaks.
func NewText(data []byte, yamlBreaks bool) *Text {
	t := &Text{data: data, yaml: yamlBreaks}
	start := 0
	if hasBOM(data) {
		// Editors hide the byte order mark, and both parsers give it no column.
		start = 3
	}
	t.lines = append(t.lines, start)
	for i := start; i < len(data); {
		n := t.BreakLen(i)
		if n == 0 {
			i++
			continue
		}
		t.ends = append(t.ends, i)
		i += n
		t.lines = append(t.lines, i)
	}
	t.ends = append(t.ends, len(data))
	t.curOff, t.curLine, t.curCol = start, 1, 1
	return t
}

func hasBOM(b []byte) bool {
	return len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF
}

// BreakLen is the length of the line break at byte offset i, or 0.
func (t *Text) BreakLen(i int) int {
	d := t.data
	switch d[i] {
	case '\n':
		return 1
	case '\r':
		if i+1 < len(d) && d[i+1] == '\n' {
			return 2
		}
		return 1
	case 0xC2:
		if t.yaml && i+1 < len(d) && d[i+1] == 0x85 {
			return 2
		}
	case 0xE2:
		if t.yaml && i+2 < len(d) && d[i+1] == 0x80 && (d[i+2] == 0xA8 || d[i+2] == 0xA9) {
			return 3
		}
	}
	return 0
}

// Data is the indexed content.
func (t *Text) Data() []byte { return t.data }

// Lines is the number of lines.
func (t *Text) Lines() int { return len(t.lines) }

// Line returns the byte range of line n (1-based) without its line break.
func (t *Text) Line(n int) (start, end int) {
	if n < 1 || n > len(t.lines) {
		return len(t.data), len(t.data)
	}
	return t.lines[n-1], t.ends[n-1]
}

// Offset returns the byte offset of the character at p, or -1 when p is not
// in the text. A column past the end of its line gives the line's end.
func (t *Text) Offset(p policy.Pos) int {
	if p.Line < 1 || p.Line > len(t.lines) || p.Col < 1 {
		return -1
	}
	off, col := t.lines[p.Line-1], 1
	if t.curLine == p.Line && t.curCol <= p.Col {
		off, col = t.curOff, t.curCol
	}
	end := t.ends[p.Line-1]
	for col < p.Col && off < end {
		_, size := utf8.DecodeRune(t.data[off:end])
		off += size
		col++
	}
	t.curOff, t.curLine, t.curCol = off, p.Line, col
	return off
}

// Pos returns the position of byte offset off (clamped to the text).
func (t *Text) Pos(off int) policy.Pos {
	if off < 0 {
		off = 0
	}
	if off > len(t.data) {
		off = len(t.data)
	}
	line := sort.Search(len(t.lines), func(i int) bool { return t.lines[i] > off })
	if line == 0 {
		// Inside the byte order mark.
		return policy.Pos{Line: 1, Col: 1}
	}
	start, col := t.lines[line-1], 1
	if t.curLine == line && t.curOff <= off {
		start, col = t.curOff, t.curCol
	}
	col += utf8.RuneCount(t.data[start:off])
	t.curOff, t.curLine, t.curCol = off, line, col
	return policy.Pos{Line: line, Col: col}
}
