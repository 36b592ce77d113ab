package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestGitHubEscaping(t *testing.T) {
	tests := []struct {
		in, data, property string
	}{
		{"plain", "plain", "plain"},
		{"100%", "100%25", "100%25"},
		{"a\nb\r\nc", "a%0Ab%0D%0Ac", "a%0Ab%0D%0Ac"},
		{"arn:aws:kms", "arn:aws:kms", "arn%3Aaws%3Akms"},
		{"a,b=c", "a,b=c", "a%2Cb=c"},
		{"::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"},
		{"%0A", "%250A", "%250A"}, // an escape-looking input is not unescaped by the runner
	}
	for _, tt := range tests {
		if got := escapeData(tt.in); got != tt.data {
			t.Errorf("escapeData(%q) = %q, want %q", tt.in, got, tt.data)
		}
		if got := escapeProperty(tt.in); got != tt.property {
			t.Errorf("escapeProperty(%q) = %q, want %q", tt.in, got, tt.property)
		}
	}
}

// parseCommand reads a workflow command the way the runner does
// (ActionCommand.TryParseV2): "::name k=v,k=v::data", splitting properties at
// "," and the first "=", then unescaping.
func parseCommand(line string) (name string, props map[string]string, data string, ok bool) {
	rest, ok := strings.CutPrefix(line, "::")
	if !ok {
		return "", nil, "", false
	}
	head, data, ok := strings.Cut(rest, "::")
	if !ok {
		return "", nil, "", false
	}
	name, propText, _ := strings.Cut(head, " ")
	props = map[string]string{}
	if propText != "" {
		for _, kv := range strings.Split(propText, ",") {
			k, v, _ := strings.Cut(kv, "=")
			props[k] = unescape(v, true)
		}
	}
	return name, props, unescape(data, false), true
}

func unescape(s string, property bool) string {
	pairs := []string{"%0D", "\r", "%0A", "\n"}
	if property {
		pairs = append(pairs, "%3A", ":", "%2C", ",")
	}
	pairs = append(pairs, "%25", "%")
	return strings.NewReplacer(pairs...).Replace(s)
}

func TestGitHubCommands(t *testing.T) {
	rep := &Report{Findings: []Finding{
		{Rule: "KMS008", Severity: SeverityError, Title: "Wildcard, literally: *", File: "dir,1/a:b.json", Line: 3, Column: 7,
			Message: "line one\nline two: 100% ::warning::injected"},
		{Rule: "ACR007", Severity: SeverityWarning, Title: "t", File: "a.json", Line: 2, Message: "no column"},
		{Rule: "ACR012", Severity: SeverityInfo, Title: "t", File: "a.json", Message: "no position"},
		{Rule: "ACR009", Severity: SeverityError, Title: "t", Resource: liveKey, Message: "live key"},
		{Rule: "KMS006", Severity: SeverityWarning, Title: "t", File: "a.json", Line: 1, Message: "hidden", Suppressed: true},
	}}
	var buf bytes.Buffer
	if err := Write(&buf, FormatGitHub, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	type want struct {
		name  string
		props map[string]string
		data  string
	}
	wants := []want{
		{"error", map[string]string{"title": "ACR009 t"}, liveKey + ": live key"},
		{"notice", map[string]string{"file": "a.json", "title": "ACR012 t"}, "no position"},
		{"warning", map[string]string{"file": "a.json", "line": "2", "title": "ACR007 t"}, "no column"},
		{"error", map[string]string{"file": "dir,1/a:b.json", "line": "3", "col": "7", "title": "KMS008 Wildcard, literally: *"},
			"line one\nline two: 100% ::warning::injected"},
	}
	if len(lines) != len(wants)+1 {
		t.Fatalf("%d lines, want %d commands and a summary:\n%s", len(lines), len(wants), buf.String())
	}
	for i, w := range wants {
		name, props, data, ok := parseCommand(lines[i])
		if !ok || name != w.name || data != w.data || len(props) != len(w.props) {
			t.Errorf("line %d %q parses as %s %v %q", i, lines[i], name, props, data)
			continue
		}
		for k, v := range w.props {
			if props[k] != v {
				t.Errorf("line %d: %s=%q, want %q", i, k, props[k], v)
			}
		}
	}
	if strings.HasPrefix(lines[len(lines)-1], "::") {
		t.Errorf("summary line %q reads as a command", lines[len(lines)-1])
	}
}
