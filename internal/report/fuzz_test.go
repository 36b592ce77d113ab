package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzQuoteLine feeds arbitrary source lines and columns to the caret
// renderer: it must not panic, must print no control character but tab, and
// its caret must stand under the column it was given.
func FuzzQuoteLine(f *testing.F) {
	f.Add([]byte(`{"Sid": "AllowCallerAccess", "Effect": "Allow"}`), 10)
	f.Add([]byte("\t\tEffect: Allow"), 3)
	f.Add([]byte(strings.Repeat("x", 300)), 250)
	f.Add([]byte("a\xffb\x1bc"), 4)
	f.Add([]byte(""), 1)
	f.Add([]byte("ab"), -5)
	f.Fuzz(func(t *testing.T, line []byte, col int) {
		text, caret := quoteLine(line, col)
		for _, r := range text + caret {
			if r != '\t' && isControl(r) {
				t.Fatalf("control character %U in output %q / %q", r, text, caret)
			}
		}
		if col < 1 {
			if caret != "" {
				t.Fatalf("caret %q for column %d", caret, col)
			}
			return
		}
		if !strings.HasSuffix(caret, "^") || strings.Trim(caret[:len(caret)-1], " \t") != "" {
			t.Fatalf("caret line %q is not blanks and a caret", caret)
		}
		if n := utf8.RuneCountInString(text); n > maxQuote+2 {
			t.Fatalf("quote of %d characters exceeds the limit", n)
		}
		// The caret's position in the quote is the column's character,
		// or just past the end.
		pos := utf8.RuneCountInString(caret) - 1
		runes := []rune(string(line))
		want := min(col-1, len(runes))
		quoted := []rune(text)
		if want < len(runes) {
			if pos >= len(quoted) {
				t.Fatalf("caret at %d beyond the quote %q", pos, text)
			}
			got, orig := quoted[pos], runes[want]
			if orig != got && !(isControl(orig) && got == utf8.RuneError) && orig != '\t' {
				t.Fatalf("caret under %q, want %q (line %q col %d)", got, orig, line, col)
			}
		}
	})
}

// FuzzContextValue reads arbitrary JSON as a context value; whatever it
// accepts must write back to JSON that reads back the same.
func FuzzContextValue(f *testing.F) {
	for _, s := range []string{`"111122223333"`, `["a","b"]`, `["only"]`, `[]`, `null`, `1`, `{"a":1}`, ` "x" `, `["a",null]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v ContextValue
		if err := json.Unmarshal(data, &v); err != nil {
			return
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("marshal %+v: %v", v, err)
		}
		var back ContextValue
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-read %s: %v", out, err)
		}
		out2, _ := json.Marshal(back)
		if !bytes.Equal(out, out2) || v.IsList() != back.IsList() {
			t.Fatalf("round trip %s -> %s -> %s", data, out, out2)
		}
	})
}

// FuzzWriters renders a finding with arbitrary text in every format: no
// panic, and the machine formats stay parseable.
func FuzzWriters(f *testing.F) {
	f.Add("ACR006", "templates/key.yaml", "msg: 100%, done\n", "Sid", 3, 7)
	f.Add("K\x00", "a\x1b.json", "]]><x>", "", 0, 0)
	f.Add("R", "", "\xff\xfe", "S", -1, 2)
	f.Fuzz(func(t *testing.T, rule, file, message, statement string, line, col int) {
		rep := &Report{Findings: []Finding{{Rule: rule, Severity: SeverityWarning, Title: statement, Message: message,
			File: file, Line: line, Column: col, Statement: statement,
			Evidence: &Evidence{Context: map[string]ContextValue{statement: Single(message)}}}}}
		src := func(string) ([]byte, error) { return []byte(message + "\n" + statement), nil }
		for _, format := range Formats() {
			var buf bytes.Buffer
			err := Write(&buf, format, rep, Options{Source: src, Verbose: true})
			if rep.Validate() != nil {
				if err == nil {
					t.Fatalf("%s accepted an invalid report", format)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			switch format {
			case FormatJSON, FormatSARIF:
				if !json.Valid(buf.Bytes()) {
					t.Fatalf("%s output is not JSON", format)
				}
			case FormatJUnit:
				var v struct{}
				if err := xml.Unmarshal(buf.Bytes(), &v); err != nil {
					t.Fatalf("junit output does not parse: %v", err)
				}
			case FormatGitHub:
				if n := strings.Count(buf.String(), "\n"); n != 2 {
					t.Fatalf("github output has %d lines, want a command and a summary", n)
				}
			}
		}
	})
}
