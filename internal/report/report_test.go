package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestExitCode(t *testing.T) {
	f := func(s Severity, suppressed bool) Finding {
		return Finding{Rule: "R", Severity: s, Suppressed: suppressed}
	}
	tests := []struct {
		name     string
		findings []Finding
		failOn   Severity
		want     int
	}{
		{"no findings", nil, SeverityInfo, 0},
		{"error at error", []Finding{f(SeverityError, false)}, SeverityError, 1},
		{"warning below error", []Finding{f(SeverityWarning, false)}, SeverityError, 0},
		{"warning at warning", []Finding{f(SeverityWarning, false)}, SeverityWarning, 1},
		{"error above warning", []Finding{f(SeverityError, false)}, SeverityWarning, 1},
		{"info at info", []Finding{f(SeverityInfo, false)}, SeverityInfo, 1},
		{"info below warning", []Finding{f(SeverityInfo, false)}, SeverityWarning, 0},
		{"suppressed error", []Finding{f(SeverityError, true)}, SeverityInfo, 0},
		{"suppressed and real", []Finding{f(SeverityError, true), f(SeverityWarning, false)}, SeverityWarning, 1},
		{"never", []Finding{f(SeverityError, false)}, Never, 0},
		{"zero means error: error", []Finding{f(SeverityError, false)}, 0, 1},
		{"zero means error: warning", []Finding{f(SeverityWarning, false)}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &Report{Findings: tt.findings}
			if got := rep.ExitCode(tt.failOn); got != tt.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tt.failOn, got, tt.want)
			}
		})
	}
}

func TestCounts(t *testing.T) {
	got := lintReport().Counts()
	want := Counts{Error: 3, Warning: 2, Info: 1, Suppressed: 1}
	if got != want {
		t.Errorf("Counts() = %+v, want %+v", got, want)
	}
}

// Every writer must give the same bytes whatever order the producer
// appended findings in.
func TestOutputIndependentOfFindingOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, format := range Formats() {
		var first []byte
		for i := range 5 {
			rep := lintReport()
			rng.Shuffle(len(rep.Findings), func(i, j int) {
				rep.Findings[i], rep.Findings[j] = rep.Findings[j], rep.Findings[i]
			})
			var buf bytes.Buffer
			if err := Write(&buf, format, rep, Options{Source: testSource}); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = buf.Bytes()
			} else if !bytes.Equal(first, buf.Bytes()) {
				t.Fatalf("%s output depends on finding order", format)
			}
		}
	}
}

func TestSortAndCompare(t *testing.T) {
	rep := lintReport()
	before := slices.Clone(rep.Findings)
	var buf bytes.Buffer
	if err := Write(&buf, FormatJSON, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(before, rep.Findings, func(a, b Finding) bool { return Compare(a, b) == 0 }) {
		t.Error("Write reordered the caller's findings")
	}
	rep.Sort()
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.File+"|"+f.pos()+"|"+f.Rule)
	}
	want := []string{
		"|-|ACR009",
		"policies/key.json|-|ACR012",
		"policies/key.json|1:434|ACR004",
		"templates/key.yaml|36:23|KMS006",
		"templates/key.yaml|40:13|ACR006",
		"templates/key.yaml|40:13|ACR007",
		"templates/key.yaml|50:32|KMS008",
	}
	if !slices.Equal(got, want) {
		t.Errorf("sorted order:\n got %q\nwant %q", got, want)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		f    Finding
		want string
	}{
		{"no rule", Finding{Severity: SeverityError, File: "a.json"}, "no rule id"},
		{"zero severity", Finding{Rule: "KMS001", File: "a.json"}, "invalid severity"},
		{"never is no severity", Finding{Rule: "KMS001", Severity: Never}, "invalid severity"},
		{"negative line", Finding{Rule: "KMS001", Severity: SeverityError, Line: -1}, "negative position"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &Report{Findings: []Finding{tt.f}}
			err := rep.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.want)
			}
			for _, format := range Formats() {
				if err := Write(&bytes.Buffer{}, format, rep, Options{}); err == nil {
					t.Errorf("Write(%s) accepted an invalid report", format)
				}
			}
		})
	}
	if err := lintReport().Validate(); err != nil {
		t.Errorf("fixture report invalid: %v", err)
	}
}

func TestWriteNilReport(t *testing.T) {
	if err := Write(&bytes.Buffer{}, FormatJSON, nil, Options{}); err == nil {
		t.Error("Write(nil report) succeeded")
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	err := Write(&bytes.Buffer{}, "xml", lintReport(), Options{})
	if err == nil || !strings.Contains(err.Error(), `unknown format "xml"`) {
		t.Errorf("Write(xml) = %v", err)
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteReportsWriterErrors(t *testing.T) {
	for _, format := range Formats() {
		err := Write(failingWriter{}, format, lintReport(), Options{Source: testSource})
		if !errors.Is(err, errDiskFull) {
			t.Errorf("Write(%s) to a failing writer = %v, want %v", format, err, errDiskFull)
		}
	}
}

// keys returns the member names of a JSON object in document order.
func keys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// The member names and order are the contract's; golden files would accept
// a changed shape once regenerated, this test would not.
func TestJSONShape(t *testing.T) {
	tests := []struct {
		name        string
		rep         *Report
		top         []string
		summary     []string
		findingKeys [][]string
	}{
		{
			name:    "lint",
			rep:     lintReport(),
			top:     []string{"version", "tool", "findings", "summary"},
			summary: []string{"files", "policies", "error", "warning", "info"},
		},
		{
			name:    "audit",
			rep:     auditReport(),
			top:     []string{"version", "tool", "findings", "timelines", "inputErrors", "summary"},
			summary: []string{"files", "records", "kmsEvents", "recommendations", "error", "warning", "info"},
		},
		{
			name:    "audit without extras",
			rep:     &Report{Kind: KindAudit, Timelines: []timeline(nil)},
			top:     []string{"version", "tool", "findings", "timelines", "inputErrors", "summary"},
			summary: []string{"files", "records", "kmsEvents", "recommendations", "error", "warning", "info"},
		},
	}
	base := []string{"rule", "severity", "title", "message", "file", "line", "column", "resource", "statement"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, FormatJSON, tt.rep, Options{}); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasSuffix(buf.Bytes(), []byte("}\n")) || !bytes.HasPrefix(buf.Bytes(), []byte("{\n  \"version\": 1,\n")) {
				t.Errorf("not indented by two spaces with a trailing newline:\n%s", buf.Bytes())
			}
			var doc map[string]json.RawMessage
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			// json.Marshal of a Report (say, nested in another document)
			// gives the same report as the writer.
			marshalled, err := json.Marshal(tt.rep)
			if err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, buf.Bytes()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(marshalled, compact.Bytes()) {
				t.Errorf("json.Marshal(report) differs from the json writer:\n%s\n%s", marshalled, compact.Bytes())
			}
			if got := keys(t, buf.Bytes()); !slices.Equal(got, tt.top) {
				t.Errorf("top-level keys %q, want %q", got, tt.top)
			}
			if got := keys(t, doc["summary"]); !slices.Equal(got, tt.summary) {
				t.Errorf("summary keys %q, want %q", got, tt.summary)
			}
			for _, extra := range []string{"timelines", "inputErrors"} {
				if raw, ok := doc[extra]; ok && raw[0] != '[' {
					t.Errorf("%s is %s, want an array", extra, raw)
				}
			}
			var findings []json.RawMessage
			if err := json.Unmarshal(doc["findings"], &findings); err != nil {
				t.Fatal(err)
			}
			if findings == nil {
				t.Fatalf("findings is %s, want an array", doc["findings"])
			}
			for _, raw := range findings {
				var f Finding
				if err := json.Unmarshal(raw, &f); err != nil {
					t.Fatal(err)
				}
				want := slices.Clone(base)
				if f.Evidence != nil {
					want = append(want, "evidence")
				}
				want = append(want, "suppressed")
				if f.RecommendationARN != "" {
					want = append(want, "recommendationArn")
				}
				if len(f.EventIDs) > 0 {
					want = append(want, "eventIds")
				}
				if got := keys(t, raw); !slices.Equal(got, want) {
					t.Errorf("finding %s keys %q, want %q", f.Rule, got, want)
				}
				if f.Evidence != nil {
					if got := keys(t, mustField(t, raw, "evidence")); !slices.Equal(got, []string{"principal", "action", "context", "decision", "statements"}) {
						t.Errorf("evidence keys %q", got)
					}
				}
			}
		})
	}
}

func mustField(t *testing.T, raw json.RawMessage, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m[name]
}

// The JSON report reads back into the same findings, so tools (and kmslint
// itself, for baselines) can consume it with these types.
func TestJSONRoundTrip(t *testing.T) {
	rep := lintReport()
	var buf bytes.Buffer
	if err := Write(&buf, FormatJSON, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	var back struct{ Findings []Finding }
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	rep.Sort()
	if len(back.Findings) != len(rep.Findings) {
		t.Fatalf("read %d findings, wrote %d", len(back.Findings), len(rep.Findings))
	}
	for i := range rep.Findings {
		a, b := rep.Findings[i], back.Findings[i]
		if Compare(a, b) != 0 || a.Suppressed != b.Suppressed || (a.Evidence == nil) != (b.Evidence == nil) {
			t.Errorf("finding %d: wrote %+v, read %+v", i, a, b)
		}
		if a.Evidence != nil {
			for k, v := range a.Evidence.Context {
				w := b.Evidence.Context[k]
				if !slices.Equal(v.Values, w.Values) || v.IsList() != w.IsList() {
					t.Errorf("context %s: wrote %+v, read %+v", k, v, w)
				}
			}
		}
	}
}

func TestContextValueJSON(t *testing.T) {
	tests := []struct {
		v    ContextValue
		want string
	}{
		{Single("111122223333"), `"111122223333"`},
		{Multi("bedrock-agentcore.amazonaws.com"), `["bedrock-agentcore.amazonaws.com"]`},
		{Multi("a", "b"), `["a","b"]`},
		{ContextValue{Values: []string{"a", "b"}}, `["a","b"]`},
		{ContextValue{}, `[]`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.v)
		if err != nil || string(b) != tt.want {
			t.Errorf("Marshal(%+v) = %s, %v; want %s", tt.v, b, err, tt.want)
		}
	}
	// Messages and context values carry ARNs and conditions, not HTML: the
	// report must show "<" as "<", also inside nested marshallers.
	rep := &Report{Findings: []Finding{{Rule: "R", Severity: SeverityInfo, Message: "a<b",
		Evidence: &Evidence{Context: map[string]ContextValue{"k": Single("<&>"), "m": Multi("x>y")}}}}}
	var buf bytes.Buffer
	if err := Write(&buf, FormatJSON, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"a<b"`, `"k": "<&>"`, `"x>y"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("JSON output lacks %s:\n%s", want, buf.String())
		}
	}
	for _, bad := range []string{`1`, `null`, `{"a":"b"}`, `[1]`, `["a",null,3]`, `true`} {
		var v ContextValue
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Unmarshal(%s) = %+v, want an error", bad, v)
		}
	}
}
