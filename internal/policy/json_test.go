package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParseJSONErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "key.json:1:1: empty input: no JSON value"},
		{"only space", " \n\t ", "key.json:2:3: empty input: no JSON value"},
		{"only BOM", "\xEF\xBB\xBF", "key.json:1:1: empty input: no JSON value"},
		{"brace after key", "{\n  \"a\": {\n    \"Effect\"}\n}", `key.json:3:13: invalid character '}' after object key`},
		{"trailing garbage", `{"a":1} x`, `key.json:1:9: invalid character 'x' after top-level value`},
		{"two values", `1 2`, `key.json:1:3: invalid character '2' after top-level value`},
		{"trailing comma object", `{"a":1,}`, `key.json:1:8: invalid character '}' looking for beginning of object key string`},
		{"trailing comma array", `[1,]`, `key.json:1:4: invalid character ']' looking for beginning of value`},
		{"missing comma", `{"a":1 "b":2}`, `key.json:1:8: invalid character '"' after object key:value pair`},
		{"array missing comma", `[1 2]`, `key.json:1:4: invalid character '2' after array element`},
		{"unquoted key", `{a:1}`, `key.json:1:2: invalid character 'a' looking for beginning of object key string`},
		{"single quotes", `['a']`, `key.json:1:2: invalid character '\'' looking for beginning of value`},
		{"unterminated string", `"abc`, `key.json:1:5: unexpected end of JSON input`},
		{"unterminated object", `{"a":1`, `key.json:1:7: unexpected end of JSON input`},
		{"unterminated array", "[\n1,\n", `key.json:3:1: unexpected end of JSON input`},
		{"newline in string", "\"a\nb\"", `key.json:1:3: invalid character '\n' in string literal`},
		{"tab in string", "\"a\tb\"", `key.json:1:3: invalid character '\t' in string literal`},
		{"NUL in string", "\"a\x00\"", `key.json:1:3: invalid character '\x00' in string literal`},
		{"control after escape", "\"\\n\x01\"", `key.json:1:4: invalid character '\x01' in string literal`},
		{"bad escape", `"a\x"`, `key.json:1:4: invalid character 'x' in string escape code`},
		{"bad unicode escape", `"\u12g4"`, `key.json:1:6: invalid character 'g' in \u hexadecimal character escape`},
		{"short unicode escape", `"\u12`, `key.json:1:6: unexpected end of JSON input`},
		{"invalid UTF-8 in string", "[\"ok\",\n \"\xff\"]", `key.json:2:3: invalid UTF-8 in string`},
		{"invalid UTF-8 after escape", "\"\\t\xc3\x28\"", `key.json:1:4: invalid UTF-8 in string`},
		{"invalid UTF-8 outside string", "\xff", `key.json:1:1: invalid character byte 0xff (invalid UTF-8) looking for beginning of value`},
		{"leading zero", `[01]`, `key.json:1:2: invalid number: leading zeros are not allowed`},
		{"negative leading zero", `-012`, `key.json:1:1: invalid number: leading zeros are not allowed`},
		{"lone minus", `-`, `key.json:1:2: unexpected end of JSON input`},
		{"minus letter", `-a`, `key.json:1:2: invalid character 'a' in numeric literal`},
		{"plus sign", `+1`, `key.json:1:1: invalid character '+' looking for beginning of value`},
		{"dot without digits", `1.`, `key.json:1:3: unexpected end of JSON input`},
		{"dot letter", `1.e5`, `key.json:1:3: invalid character 'e' after decimal point in numeric literal`},
		{"exponent without digits", `1e+]`, `key.json:1:4: invalid character ']' in exponent of numeric literal`},
		{"leading dot", `.5`, `key.json:1:1: invalid character '.' looking for beginning of value`},
		{"bad literal", `tru`, `key.json:1:4: unexpected end of JSON input`},
		{"wrong literal", `nul1`, `key.json:1:4: invalid character '1' in literal null (expecting 'l')`},
		{"capital literal", `True`, `key.json:1:1: invalid character 'T' looking for beginning of value`},
		{"NaN", `NaN`, `key.json:1:1: invalid character 'N' looking for beginning of value`},
		{"comment", "// c\n{}", `key.json:1:1: invalid character '/' looking for beginning of value`},
		{"BOM twice", "\xEF\xBB\xBF\xEF\xBB\xBF{}", `key.json:1:1: invalid character '\ufeff' looking for beginning of value`},
		{"column counts characters", `{"é€😀": x}`, `key.json:1:9: invalid character 'x' looking for beginning of value`},
		{"CRLF lines", "{\r\n\"a\":\r\n  ?}", `key.json:3:3: invalid character '?' looking for beginning of value`},
		{"too deep array", strings.Repeat("[", MaxDepth+1), `key.json:1:513: exceeded maximum nesting depth of 512`},
		{"too deep object", strings.Repeat(`{"a":`, MaxDepth+1), `key.json:1:2561: exceeded maximum nesting depth of 512`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseJSON("key.json", []byte(tt.in))
			if err == nil {
				t.Fatalf("ParseJSON(%q) = %v, want error %q", tt.in, n, tt.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("ParseJSON(%q) error\n got %s\nwant %s", tt.in, err, tt.want)
			}
		})
	}
}

func TestParseJSONValues(t *testing.T) {
	tests := []struct {
		name, in string
		want     *Node // positions are checked too
	}{
		{"string", `"a"`, &Node{Kind: KindString, Pos: Pos{1, 1}, Str: "a"}},
		{"escapes", `"\"\\\/\b\f\n\r\t\u0041\u00e9"`, &Node{Kind: KindString, Pos: Pos{1, 1}, Str: "\"\\/\b\f\n\r\tAé"}},
		{"surrogate pair", `"\ud83d\ude00"`, &Node{Kind: KindString, Pos: Pos{1, 1}, Str: "😀"}},
		{"lone high surrogate", `"\ud83dx"`, &Node{Kind: KindString, Pos: Pos{1, 1}, Str: "\uFFFDx"}},
		{"lone low surrogate", `"\ude00"`, &Node{Kind: KindString, Pos: Pos{1, 1}, Str: "\uFFFD"}},
		{"high then non-surrogate escape", `"\ud83d\u0041"`, &Node{Kind: KindString, Pos: Pos{1, 1}, Str: "\uFFFDA"}},
		{"two high surrogates", `"\ud83d\ud83d\ude00"`, &Node{Kind: KindString, Pos: Pos{1, 1}, Str: "\uFFFD😀"}},
		{"number as written", ` -1.50E+07 `, &Node{Kind: KindNumber, Pos: Pos{1, 2}, Str: "-1.50E+07"}},
		{"zero", `0`, &Node{Kind: KindNumber, Pos: Pos{1, 1}, Str: "0"}},
		{"true", "\n true", &Node{Kind: KindBool, Pos: Pos{2, 2}, Bool: true}},
		{"false", `false`, &Node{Kind: KindBool, Pos: Pos{1, 1}}},
		{"null", `null`, &Node{Kind: KindNull, Pos: Pos{1, 1}}},
		{"BOM takes no column", "\xEF\xBB\xBF[1]", &Node{Kind: KindArray, Pos: Pos{1, 1}, Items: []*Node{
			{Kind: KindNumber, Pos: Pos{1, 2}, Str: "1"},
		}}},
		{"empty containers", `[{},[]]`, &Node{Kind: KindArray, Pos: Pos{1, 1}, Items: []*Node{
			{Kind: KindObject, Pos: Pos{1, 2}},
			{Kind: KindArray, Pos: Pos{1, 5}},
		}}},
		{"duplicate keys kept in order", "{\"a\": 1,\n \"b\": 2,\n \"a\": \"x\"}", &Node{Kind: KindObject, Pos: Pos{1, 1}, Fields: []Field{
			{Key: "a", KeyPos: Pos{1, 2}, Value: &Node{Kind: KindNumber, Pos: Pos{1, 7}, Str: "1"}},
			{Key: "b", KeyPos: Pos{2, 2}, Value: &Node{Kind: KindNumber, Pos: Pos{2, 7}, Str: "2"}},
			{Key: "a", KeyPos: Pos{3, 2}, Value: &Node{Kind: KindString, Pos: Pos{3, 7}, Str: "x"}},
		}}},
		{"columns in characters", "{\"é😀\\u00e9\": [\"€\", true]}", &Node{Kind: KindObject, Pos: Pos{1, 1}, Fields: []Field{
			{Key: "é😀é", KeyPos: Pos{1, 2}, Value: &Node{Kind: KindArray, Pos: Pos{1, 14}, Items: []*Node{
				{Kind: KindString, Pos: Pos{1, 15}, Str: "€"},
				{Kind: KindBool, Pos: Pos{1, 20}, Bool: true},
			}}},
		}}},
		{"CRLF and lone CR", "[\r\n1,\r2]", &Node{Kind: KindArray, Pos: Pos{1, 1}, Items: []*Node{
			{Kind: KindNumber, Pos: Pos{2, 1}, Str: "1"},
			{Kind: KindNumber, Pos: Pos{3, 1}, Str: "2"},
		}}},
		{"tab is one column", "\t[\t1]", &Node{Kind: KindArray, Pos: Pos{1, 2}, Items: []*Node{
			{Kind: KindNumber, Pos: Pos{1, 4}, Str: "1"},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJSON("f.json", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if d := diffNodes(got, tt.want, true); d != "" {
				t.Errorf("ParseJSON(%q): %s", tt.in, d)
			}
		})
	}
}

func TestParseJSONMaxDepthAccepted(t *testing.T) {
	in := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	n, err := ParseJSON("deep.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	for ; n != nil; depth++ {
		if len(n.Items) == 0 {
			n = nil
		} else {
			n = n.Items[0]
		}
	}
	if depth != MaxDepth {
		t.Errorf("depth = %d, want %d", depth, MaxDepth)
	}
}

// TestParseJSONLargeInputs guards linear behaviour: a quadratic column
// count or unbounded recursion would make these time out or exhaust memory.
func TestParseJSONLargeInputs(t *testing.T) {
	const size = 4 << 20
	t.Run("long string", func(t *testing.T) {
		in := `"` + strings.Repeat("é", size/2) + `"`
		n, err := ParseJSON("big.json", []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if len(n.Str) != size {
			t.Errorf("len = %d", len(n.Str))
		}
	})
	t.Run("long escaped string then error", func(t *testing.T) {
		in := `"` + strings.Repeat(`\n`, size/2) + `" x`
		_, err := ParseJSON("big.json", []byte(in))
		if err == nil || !strings.HasSuffix(err.Error(), ":1:"+strconv.Itoa(size+4)+": invalid character 'x' after top-level value") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("deep brackets", func(t *testing.T) {
		_, err := ParseJSON("big.json", bytes.Repeat([]byte("["), size))
		if err == nil || !strings.Contains(err.Error(), "maximum nesting depth") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("one line of many values", func(t *testing.T) {
		in := "[" + strings.Repeat(`{"k":"v"},`, size/10) + "0]"
		n, err := ParseJSON("big.json", []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		last := n.Items[len(n.Items)-1]
		if want := (Pos{1, size/10*10 + 2}); last.Pos != want {
			t.Errorf("last pos = %v, want %v", last.Pos, want)
		}
	})
	t.Run("wide object", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < size/16; i++ {
			if i > 0 {
				b.WriteString(",\n")
			}
			b.WriteString(`"k`)
			b.WriteString(strconv.Itoa(i))
			b.WriteString(`":1`)
		}
		b.WriteString("}")
		n, err := ParseJSON("big.json", []byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Fields[len(n.Fields)-1].KeyPos.Line; got != size/16 {
			t.Errorf("last key line = %d", got)
		}
	})
}

func TestAppendJSON(t *testing.T) {
	tests := []struct {
		name string
		in   *Node
		want string
	}{
		{"nil", nil, `null`},
		{"escapes", &Node{Kind: KindString, Str: "a\"\\\n\r\t\x01\x1f/é😀"}, `"a\"\\\n\r\t\u0001\u001f/é😀"`},
		{"invalid UTF-8", &Node{Kind: KindString, Str: "a\xffb"}, `"a\ufffdb"`},
		{"number as written", &Node{Kind: KindNumber, Str: "1.50e+07"}, `1.50e+07`},
		{"bad number kept valid", &Node{Kind: KindNumber, Str: "0x1F"}, `"0x1F"`},
		{"empty number", &Node{Kind: KindNumber}, `""`},
		{"duplicates kept", &Node{Kind: KindObject, Fields: []Field{
			{Key: "a", Value: &Node{Kind: KindBool, Bool: true}},
			{Key: "a", Value: &Node{Kind: KindArray, Items: []*Node{{Kind: KindNull}, nil}}},
		}}, `{"a":true,"a":[null,null]}`},
		{"empty containers", &Node{Kind: KindArray, Items: []*Node{{Kind: KindObject}, {Kind: KindArray}}}, `[{},[]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.in.AppendJSON([]byte("x")))
			if got != "x"+tt.want {
				t.Errorf("AppendJSON = %s, want x%s", got, tt.want)
			}
			m, err := tt.in.MarshalJSON()
			if err != nil || string(m) != tt.want {
				t.Errorf("MarshalJSON = %s, %v", m, err)
			}
			if !json.Valid(m) {
				t.Errorf("output %s is not valid JSON", m)
			}
		})
	}
}

func TestAppendJSONRoundTrip(t *testing.T) {
	in := "\xEF\xBB\xBF{ \"Version\" : \"2012-10-17\",\n \"a\": [1, -0.5e3, true, false, null, \"\\u00e9\\ud800\"], \"a\": {}}"
	n, err := ParseJSON("f.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out := n.AppendJSON(nil)
	want := `{"Version":"2012-10-17","a":[1,-0.5e3,true,false,null,"é` + "\uFFFD" + `"],"a":{}}`
	if string(out) != want {
		t.Fatalf("AppendJSON = %s\nwant %s", out, want)
	}
	n2, err := ParseJSON("f.json", out)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffNodes(n, n2, false); d != "" {
		t.Error(d)
	}
}

// diffNodes describes the first difference between two trees, or returns "".
func diffNodes(got, want *Node, withPos bool) string {
	return diffAt("$", got, want, withPos)
}

func diffAt(path string, got, want *Node, withPos bool) string {
	if got == nil || want == nil {
		if got != want {
			return path + ": one node is nil"
		}
		return ""
	}
	if got.Kind != want.Kind {
		return path + ": kind " + got.Kind.String() + ", want " + want.Kind.String()
	}
	if withPos && got.Pos != want.Pos {
		return path + ": pos " + got.Pos.String() + ", want " + want.Pos.String()
	}
	if got.Str != want.Str || got.Bool != want.Bool {
		return path + ": value " + string(got.AppendJSON(nil)) + ", want " + string(want.AppendJSON(nil))
	}
	if len(got.Items) != len(want.Items) {
		return path + ": " + strconv.Itoa(len(got.Items)) + " items, want " + strconv.Itoa(len(want.Items))
	}
	for i := range got.Items {
		if d := diffAt(path+"["+strconv.Itoa(i)+"]", got.Items[i], want.Items[i], withPos); d != "" {
			return d
		}
	}
	if len(got.Fields) != len(want.Fields) {
		return path + ": " + strconv.Itoa(len(got.Fields)) + " fields, want " + strconv.Itoa(len(want.Fields))
	}
	for i := range got.Fields {
		g, w := got.Fields[i], want.Fields[i]
		if g.Key != w.Key {
			return path + ": key " + g.Key + ", want " + w.Key
		}
		if withPos && g.KeyPos != w.KeyPos {
			return path + "." + g.Key + ": key pos " + g.KeyPos.String() + ", want " + w.KeyPos.String()
		}
		if d := diffAt(path+"."+g.Key, g.Value, w.Value, withPos); d != "" {
			return d
		}
	}
	return ""
}
