package source

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kmslint/kmslint/internal/policy"
)

func TestTextOffsetAndPos(t *testing.T) {
	tests := []struct {
		name string
		data string
		yaml bool
		pos  policy.Pos
		off  int
	}{
		{"first char", "abc", false, policy.Pos{Line: 1, Col: 1}, 0},
		{"second line", "ab\ncd", false, policy.Pos{Line: 2, Col: 2}, 4},
		{"CRLF is one break", "ab\r\ncd", false, policy.Pos{Line: 2, Col: 1}, 4},
		{"lone CR breaks", "ab\rcd", false, policy.Pos{Line: 2, Col: 2}, 4},
		{"BOM takes no column", "\xEF\xBB\xBF{}", false, policy.Pos{Line: 1, Col: 2}, 4},
		{"columns count characters", "é€😀x", false, policy.Pos{Line: 1, Col: 4}, 9},
		{"LS is a YAML break", "a\u2028b", true, policy.Pos{Line: 2, Col: 1}, 4},
		{"LS is a JSON character", "a\u2028b", false, policy.Pos{Line: 1, Col: 3}, 4},
		{"NEL is a YAML break", "a\u0085b", true, policy.Pos{Line: 2, Col: 1}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := NewText([]byte(tt.data), tt.yaml)
			if got := tx.Offset(tt.pos); got != tt.off {
				t.Errorf("Offset(%v) = %d, want %d", tt.pos, got, tt.off)
			}
			if got := tx.Pos(tt.off); got != tt.pos {
				t.Errorf("Pos(%d) = %v, want %v", tt.off, got, tt.pos)
			}
		})
	}
}

func TestTextOffsetOutside(t *testing.T) {
	tx := NewText([]byte("ab\ncd"), false)
	for _, p := range []policy.Pos{{}, {Line: 3, Col: 1}, {Line: 1, Col: 0}} {
		if got := tx.Offset(p); got != -1 {
			t.Errorf("Offset(%v) = %d, want -1", p, got)
		}
	}
	if got := tx.Offset(policy.Pos{Line: 1, Col: 9}); got != 2 {
		t.Errorf("Offset past the line end = %d, want the line end 2", got)
	}
}

// TestTextLookupsAgree checks Pos and Offset against each other for every
// character, in the backward order that defeats the cursor cache too.
func TestTextLookupsAgree(t *testing.T) {
	data := "{\r\n  \"é\": [1,\n\t\"€\"],\r \"x\": \"😀\"\n}\n"
	tx := NewText([]byte(data), false)
	for off := len(data); off >= 0; off-- {
		if off < len(data) && data[off]&0xC0 == 0x80 {
			continue // inside a character
		}
		if off > 0 && off < len(data) && data[off-1] == '\r' && data[off] == '\n' {
			continue // inside a line break
		}
		p := tx.Pos(off)
		if got := tx.Offset(p); got != off {
			t.Errorf("Offset(Pos(%d) = %v) = %d", off, p, got)
		}
	}
}

func TestJSONStringPositions(t *testing.T) {
	// The policy text is the value of "policy"; its positions are those of
	// the characters in the escaped literal.
	file := `{"policy": "{\"Sid\":\"a\u00e9b\",\n\"X\":1}"}`
	root, err := policy.ParseJSON("plan.json", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	tx := NewText([]byte(file), false)
	lit := root.Get("policy")
	m := tx.StringAt(lit)
	if m.S != lit.Str {
		t.Fatalf("decoded %q, want %q", m.S, lit.Str)
	}
	tests := []struct {
		at   string // a substring of the decoded text
		want policy.Pos
	}{
		{`{`, policy.Pos{Line: 1, Col: 13}},
		{`"Sid"`, policy.Pos{Line: 1, Col: 14}}, // the backslash of \"
		{`Sid`, policy.Pos{Line: 1, Col: 16}},   // after the escape, characters map to themselves
		{`é`, policy.Pos{Line: 1, Col: 25}},     // \u00e9 is one character at its backslash
		{"b\"", policy.Pos{Line: 1, Col: 31}},   // right after the 6-byte escape
		{"\n", policy.Pos{Line: 1, Col: 35}},    // \n
		{`"X"`, policy.Pos{Line: 1, Col: 37}},   // the line of the file does not change
		{`1}`, policy.Pos{Line: 1, Col: 43}},    // the last characters
	}
	for _, tt := range tests {
		i := strings.Index(m.S, tt.at)
		if i < 0 {
			t.Fatalf("%q not in %q", tt.at, m.S)
		}
		if got := m.Pos(i); got != tt.want {
			t.Errorf("Pos of %q = %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestStringAtFallsBackToFixed(t *testing.T) {
	tx := NewText([]byte(`{"a": 1}`), false)
	n := &policy.Node{Kind: policy.KindString, Pos: policy.Pos{Line: 1, Col: 7}, Str: "x"}
	m := tx.StringAt(n)
	if m.S != "x" || m.Pos(0) != n.Pos {
		t.Errorf("StringAt over a non-string = %q at %v, want %q at %v", m.S, m.Pos(0), "x", n.Pos)
	}
}

func TestParseJSONRelocates(t *testing.T) {
	// {"Statement":[{"Sid":"s"}]} carried in a literal starting at 3:5.
	file := "{\n \"policy\":\n    \"{\\\"Statement\\\":[{\\\"Sid\\\":\\\"s\\\"}]}\"\n}"
	root, err := policy.ParseJSON("f", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	tx := NewText([]byte(file), false)
	n, err := ParseJSON("f", tx.StringAt(root.Get("policy")))
	if err != nil {
		t.Fatal(err)
	}
	stmt := n.Get("Statement").Items[0]
	checks := []struct {
		what      string
		got, want policy.Pos
	}{
		{"policy", n.Pos, policy.Pos{Line: 3, Col: 6}},
		{"Statement key", n.Fields[0].KeyPos, policy.Pos{Line: 3, Col: 7}},
		{"array", n.Get("Statement").Pos, policy.Pos{Line: 3, Col: 21}},
		{"statement", stmt.Pos, policy.Pos{Line: 3, Col: 22}},
		{"Sid value", stmt.Get("Sid").Pos, policy.Pos{Line: 3, Col: 31}},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s at %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestParseJSONErrorAtFilePosition(t *testing.T) {
	var b Builder
	b.Verbatim(`{"a":`, policy.Pos{Line: 7, Col: 3})
	b.At("?", policy.Pos{Line: 8, Col: 1})
	_, err := ParseJSON("t.yaml", b.Mapped())
	var se *policy.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *policy.SyntaxError", err)
	}
	if want := (policy.Pos{Line: 8, Col: 1}); se.Pos != want || se.File != "t.yaml" {
		t.Errorf("error at %s:%v, want t.yaml:%v", se.File, se.Pos, want)
	}
}

func TestBuilderAppendKeepsPositions(t *testing.T) {
	var src Builder
	src.Verbatim("abc", policy.Pos{Line: 1, Col: 1})
	src.At("é", policy.Pos{Line: 1, Col: 4})
	src.Verbatim("def", policy.Pos{Line: 2, Col: 5})
	m := src.Mapped()
	var b Builder
	b.Append(m, 1, len(m.S)-1) // "bcéde"
	out := b.Mapped()
	if out.S != "bcéde" {
		t.Fatalf("appended %q", out.S)
	}
	want := []struct {
		off int
		pos policy.Pos
	}{{0, policy.Pos{Line: 1, Col: 2}}, {2, policy.Pos{Line: 1, Col: 4}}, {3, policy.Pos{Line: 1, Col: 4}}, {5, policy.Pos{Line: 2, Col: 6}}}
	for _, w := range want {
		if got := out.Pos(w.off); got != w.pos {
			t.Errorf("Pos(%d) = %v, want %v", w.off, got, w.pos)
		}
	}
}

// FuzzJSONString checks that a literal's mapping always decodes to what
// ParseJSON reads, and points every byte inside the literal.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{`"a"`, `"a\"b\\c"`, `"\u00e9\ud83d\ude00x"`, `"\ud800"`, `"é€"`, `"\n\t/"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lit string) {
		file := `{"p": ` + lit + `}`
		root, err := policy.ParseJSON("f", []byte(file))
		if err != nil || root.Get("p") == nil || root.Get("p").Kind != policy.KindString {
			return
		}
		n := root.Get("p")
		tx := NewText([]byte(file), false)
		m, ok := tx.JSONString(n.Pos)
		if !ok || m.S != n.Str {
			t.Fatalf("JSONString(%s) failed (%v) or differs from ParseJSON's %q", lit, ok, n.Str)
		}
		for i := 0; i <= len(m.S); i++ {
			// Inside the quotes, on the literal's line (JSON strings have no raw breaks).
			if p := m.Pos(i); p.Line != n.Pos.Line || p.Col <= n.Pos.Col || p.Col > n.Pos.Col+utf8.RuneCountInString(lit) {
				t.Fatalf("byte %d of %s maps to %v, outside the literal", i, lit, p)
			}
		}
	})
}
