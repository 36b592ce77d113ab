package report

import (
	"encoding/json"
	"strings"
	"testing"
)

func inputErrorReport() *Report {
	rep := New(KindLint, "0.1.0")
	rep.Summary = Summary{Files: 2, Policies: 1}
	rep.Inputs = []string{"ok.json", "templates/broken.yaml"}
	rep.Findings = []Finding{{Rule: "KMS003", Severity: SeverityWarning, Title: "Version", Message: "no Version", File: "ok.json", Line: 1, Column: 1}}
	rep.InputErrors = InputErrors{
		{File: "templates/broken.yaml", Line: 4, Column: 3, Error: "invalid YAML: mapping values are not allowed here"},
		{File: "gone.json", Error: "cannot read: no such file or directory"},
	}
	return rep
}

func render(t *testing.T, format string, rep *Report) string {
	t.Helper()
	var b strings.Builder
	if err := Write(&b, format, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestInputErrorsInEveryFormat(t *testing.T) {
	rep := inputErrorReport()
	tests := []struct {
		format string
		want   []string
	}{
		{FormatJSON, []string{`"inputErrors": [`, `"file": "templates/broken.yaml"`, `"line": 4`, `"column": 3`, `"error": "cannot read: no such file or directory"`}},
		{FormatText, []string{"2 input errors, the other inputs were checked:", "  templates/broken.yaml:4:3: invalid YAML", "  gone.json: cannot read", "1 warning in 2 files (1 policy); 2 input errors"}},
		{FormatSARIF, []string{`"executionSuccessful": false`, `"toolExecutionNotifications"`, `"uri": "templates/broken.yaml"`, `"startLine": 4`}},
		{FormatJUnit, []string{`errors="2"`, `<error message="invalid YAML: mapping values are not allowed here" type="input error">`, `<testsuite name="gone.json" tests="1" failures="0" errors="1"`}},
		{FormatGitHub, []string{"::error file=templates/broken.yaml,line=4,col=3,title=kmslint input error::invalid YAML", "::error file=gone.json,title=kmslint input error::cannot read"}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			out := render(t, tt.format, rep)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestNoInputErrorsKeepsLintJSON: a run without input errors writes the
// lint JSON as it always has, without the member.
func TestNoInputErrorsKeepsLintJSON(t *testing.T) {
	rep := inputErrorReport()
	rep.InputErrors = InputErrors{}
	var m map[string]any
	if err := json.Unmarshal([]byte(render(t, FormatJSON, rep)), &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["inputErrors"]; ok {
		t.Error("inputErrors present with no input errors")
	}
	if s := render(t, FormatSARIF, rep); strings.Contains(s, "invocations") {
		t.Error("SARIF invocations with no input errors")
	}
}
