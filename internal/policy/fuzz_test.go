package policy

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func fuzzSeeds(f *testing.F) {
	canonical, err := os.ReadFile("testdata/canonical.json")
	if err != nil {
		f.Fatal(err)
	}
	seeds := []string{
		string(canonical),
		"\xEF\xBB\xBF" + string(canonical),
		doc(okStmt),
		doc(stmt("Principal", `{"AWS":["*","arn:aws:iam::111122223333:role/*"],"Service":"*.amazonaws.com.cn","AWS":"x"}`)),
		doc(stmt("Condition", `{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"n":[1,"2",-3.5e+1]},"X":{"a":[null,{}]}}`)),
		`{"Statement":` + okStmt + `,"Statement":[1,{}],"Version":7}`,
		`"\ud83d\ude00\ud83d\u0041\ude00\\\/\b\f\n\r\t"`,
		`[0,-0,1e5,1E-5,0.25,-12.5e+3]`,
		`{"a":{"a":{"a":[[],{}]}},"a":null}`,
		"[\r\n1,\r2]",
		`[01]`, `{"a":1,}`, `"\x"`, "\"\xff\"", "\xff", `tru`, ``, ` `,
		strings.Repeat("[", MaxDepth+1),
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
}

// FuzzParseJSON checks ParseJSON against encoding/json: the same documents
// are accepted (apart from the documented differences), they decode to the
// same values, and AppendJSON round-trips.
func FuzzParseJSON(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseJSON("fuzz.json", data)
		valid := json.Valid(data)
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			if !se.Pos.Known() || se.Msg == "" {
				t.Fatalf("error without position or message: %#v", se)
			}
			if valid {
				// encoding/json accepts invalid UTF-8 inside strings and
				// nests up to 10000 levels; ParseJSON rejects both.
				switch {
				case strings.Contains(se.Msg, "maximum nesting depth"):
				case strings.Contains(se.Msg, "invalid UTF-8") && !utf8.Valid(data):
				default:
					t.Fatalf("ParseJSON rejects what encoding/json accepts: %v", err)
				}
			}
			return
		}
		if !valid {
			// The only extension: a leading byte order mark.
			if !bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) || !json.Valid(data[3:]) {
				t.Fatalf("ParseJSON accepts what encoding/json rejects: %q", data)
			}
		}
		checkPositions(t, n)

		// Same values as encoding/json (which keeps the last duplicate).
		body := bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("encoding/json cannot decode what both accept: %v", err)
		}
		if got := toAny(n); !reflect.DeepEqual(got, want) {
			t.Fatalf("values differ from encoding/json:\n got %#v\nwant %#v", got, want)
		}

		out := n.AppendJSON(nil)
		if !json.Valid(out) {
			t.Fatalf("AppendJSON produced invalid JSON %q", out)
		}
		n2, err := ParseJSON("round.json", out)
		if err != nil {
			t.Fatalf("re-parsing AppendJSON output %q: %v", out, err)
		}
		if d := diffNodes(n2, n, false); d != "" {
			t.Fatalf("round trip changed the tree: %s", d)
		}
	})
}

// checkPositions asserts that every value and key has a known position and
// that positions never go backwards in document order.
func checkPositions(t *testing.T, n *Node) {
	t.Helper()
	var last Pos
	var walk func(n *Node)
	step := func(p Pos) {
		if !p.Known() || p.Col < 1 || keyBefore(p, last) {
			t.Fatalf("position %s after %s", p, last)
		}
		last = p
	}
	walk = func(n *Node) {
		step(n.Pos)
		for _, it := range n.Items {
			walk(it)
		}
		for _, f := range n.Fields {
			step(f.KeyPos)
			walk(f.Value)
		}
	}
	walk(n)
}

func toAny(n *Node) any {
	switch n.Kind {
	case KindNull:
		return nil
	case KindBool:
		return n.Bool
	case KindNumber:
		return json.Number(n.Str)
	case KindString:
		return n.Str
	case KindArray:
		out := make([]any, len(n.Items))
		for i, it := range n.Items {
			out[i] = toAny(it)
		}
		return out
	}
	out := make(map[string]any, len(n.Fields))
	for _, f := range n.Fields {
		out[f.Key] = toAny(f.Value)
	}
	return out
}

// FuzzBuild checks that no parsed document makes Build or the Parse
// functions panic, and that every problem is well formed.
func FuzzBuild(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		kp, err := ParseKeyPolicy("fuzz.json", data)
		if err != nil {
			return
		}
		ip, err := ParseIdentityPolicy("fuzz.json", data)
		if err != nil {
			t.Fatalf("identity parse failed where key parse did not: %v", err)
		}
		for _, p := range []*Policy{kp, ip} {
			if p.Size != len(data) {
				t.Fatalf("Size = %d, want %d", p.Size, len(data))
			}
			for i, pr := range p.Problems {
				if (pr.Rule != RuleInvalid && pr.Rule != RuleTooLarge) || pr.Message == "" ||
					!pr.Pos.Known() || pr.Statement < -1 || strings.Contains(pr.Message, "%!") {
					t.Fatalf("malformed problem %+v", pr)
				}
				if i > 0 && keyBefore(pr.Pos, p.Problems[i-1].Pos) {
					t.Fatalf("problems out of order: %s after %s", pr.Pos, p.Problems[i-1].Pos)
				}
			}
			for _, s := range p.Statements {
				if s == nil || !s.Pos.Known() {
					t.Fatalf("bad statement %+v", s)
				}
				for _, c := range s.Conditions {
					if len(c.Values) != len(c.ValuePos) || len(c.Values) != len(c.Kinds) {
						t.Fatalf("condition slices differ in length: %+v", c)
					}
				}
			}
		}
		if kp.Valid() && len(kp.Statements) == 0 {
			t.Fatalf("a valid key policy without statements")
		}
	})
}
