package cfn

import (
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/input/source"
	"github.com/kmslint/kmslint/internal/policy"
)

// scalarOf returns the string scalar under key "k", inside its short-form
// intrinsic if it has one.
func scalarOf(t *testing.T, src string) (*source.Text, *policy.Node) {
	t.Helper()
	root, err := ParseYAML("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	n := root.Get("k")
	if _, arg, ok := intrinsic(n, false); ok {
		n = arg
	}
	if n == nil || n.Kind != policy.KindString {
		t.Fatalf("no string scalar under k in %q", src)
	}
	return source.NewText([]byte(src), true), n
}

func TestYAMLScalarPositions(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		value  string
		marker string // a substring of the value
		want   policy.Pos
	}{
		{"literal block", "k: |\n  {\"a\": 1,\n   \"b\": 2}\n", "{\"a\": 1,\n \"b\": 2}\n", `"b"`, policy.Pos{Line: 3, Col: 4}},
		{"literal block line break", "k: |\n  ab\n  cd\n", "ab\ncd\n", "\ncd", policy.Pos{Line: 2, Col: 5}},
		{"tagged strip block", "k: !Sub |-\n    x\n    yz\n", "x\nyz", "yz", policy.Pos{Line: 3, Col: 5}},
		{"keep block", "k: |+\n  a\n\n", "a\n\n", "\n\n", policy.Pos{Line: 2, Col: 4}},
		{"anchored block", "k: &x |\n  zz\n", "zz\n", "zz", policy.Pos{Line: 2, Col: 3}},
		{"explicit indentation", "k: |2\n    x\n", "  x\n", "x", policy.Pos{Line: 2, Col: 5}},
		{"CRLF block", "k: |\r\n  ab\r\n  cd\r\n", "ab\ncd\n", "cd", policy.Pos{Line: 3, Col: 3}},
		{"block after blank lines", "k: |\n\n  ab\n", "\nab\n", "ab", policy.Pos{Line: 3, Col: 3}},
		{"folded block", "k: >\n  ab\n  cd\n\n  ef\n", "ab cd\nef\n", "cd", policy.Pos{Line: 3, Col: 3}},
		{"folded space is the break", "k: >\n  ab\n  cd\n", "ab cd\n", " ", policy.Pos{Line: 2, Col: 5}},
		{"folded after empty line", "k: >\n  ab\n  cd\n\n  ef\n", "ab cd\nef\n", "ef", policy.Pos{Line: 5, Col: 3}},
		{"folded more indented", "k: >\n  a\n    b\n  c\n", "a\n  b\nc\n", "b", policy.Pos{Line: 3, Col: 5}},
		{"double quoted escapes", `k: "a\"b\u00e9c"`, "a\"béc", "é", policy.Pos{Line: 1, Col: 9}},
		{"double quoted after escape", `k: "a\"b\u00e9c"`, "a\"béc", "c", policy.Pos{Line: 1, Col: 15}},
		{"double quoted folding", "k: \"ab\n  cd\"", "ab cd", "cd", policy.Pos{Line: 2, Col: 3}},
		{"double quoted escaped break", "k: \"ab\\\n  cd\"", "abcd", "cd", policy.Pos{Line: 2, Col: 3}},
		{"single quoted", "k: 'it''s x'", "it's x", "s x", policy.Pos{Line: 1, Col: 9}},
		{"single quoted quote", "k: 'it''s x'", "it's x", "'", policy.Pos{Line: 1, Col: 7}},
		{"plain", "k: abc def", "abc def", "def", policy.Pos{Line: 1, Col: 8}},
		{"plain multi-line", "k: abc\n  def\n", "abc def", "def", policy.Pos{Line: 2, Col: 3}},
		{"tagged plain", "k: !Sub arn:${AWS::Partition}:x", "arn:${AWS::Partition}:x", "${", policy.Pos{Line: 1, Col: 13}},
		{"characters not bytes", "k: |\n  é€ x\n", "é€ x\n", "x", policy.Pos{Line: 2, Col: 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx, n := scalarOf(t, tt.src)
			if n.Str != tt.value {
				t.Fatalf("YAML value %q, want %q", n.Str, tt.value)
			}
			m := yamlScalar(tx, n)
			if m.S != n.Str {
				t.Fatalf("mapped %q, want %q", m.S, n.Str)
			}
			i := strings.Index(m.S, tt.marker)
			if i < 0 {
				t.Fatalf("%q not in %q", tt.marker, m.S)
			}
			if got := m.Pos(i); got != tt.want {
				t.Errorf("%q at %v, want %v", tt.marker, got, tt.want)
			}
		})
	}
}

// TestYAMLScalarFallback: when the text cannot be followed (here a value the
// file does not hold), every byte maps to the scalar's own position.
func TestYAMLScalarFallback(t *testing.T) {
	tx, n := scalarOf(t, "k: |\n  ab\n")
	other := &policy.Node{Kind: policy.KindString, Pos: n.Pos, Str: "something else"}
	m := yamlScalar(tx, other)
	if m.S != other.Str || m.Pos(5) != n.Pos {
		t.Errorf("fallback mapped %q, byte 5 at %v; want %q at %v", m.S, m.Pos(5), other.Str, n.Pos)
	}
}

// FuzzYAMLScalar: whatever the scalar's style, the mapping decodes to the
// value yaml.v3 read and every byte maps inside the file.
func FuzzYAMLScalar(f *testing.F) {
	for _, s := range []string{
		"k: |\n  {\"a\": 1}\n", "k: >-\n  a\n\n  b\n", "k: !Sub |+\n  x\n\n", "k: \"a\\\"b\\u00e9\\\n  c\"",
		"k: 'it''s'", "k: a\n  b", "k: |2\n    x\n", "k: \"a\n\n  b\"", "k: &x\n  !Sub\n  | \n  z\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		root, err := ParseYAML("t.yaml", []byte(src))
		if err != nil || root == nil {
			return
		}
		n := root.Get("k")
		if _, arg, ok := intrinsic(n, false); ok {
			n = arg
		}
		if n == nil || n.Kind != policy.KindString {
			return
		}
		tx := source.NewText([]byte(src), true)
		m := yamlScalar(tx, n)
		if m.S != n.Str {
			t.Fatalf("mapped %q, want %q", m.S, n.Str)
		}
		fallback := len(m.S) > 1 && m.Pos(0) == n.Pos && m.Pos(len(m.S)-1) == n.Pos
		for i := 0; i < len(m.S); i++ {
			p := m.Pos(i)
			off := tx.Offset(p)
			if off < 0 {
				t.Fatalf("byte %d of %q maps to %v, outside the file", i, m.S, p)
			}
			// A letter or digit maps to itself, or to the escape that wrote it.
			c := m.S[i]
			isAlnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
			if !fallback && isAlnum && off < len(src) && src[off] != c && src[off] != '\\' {
				t.Fatalf("byte %d (%q) of %q maps to %v, which holds %q", i, c, m.S, p, src[off])
			}
		}
	})
}
