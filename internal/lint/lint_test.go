package lint

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/input"
	"github.com/kmslint/kmslint/internal/report"
)

func loadDocs(t testing.TB, name string, data []byte) []input.Document {
	t.Helper()
	f, err := input.Load(name, data, input.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return f.Documents
}

func canonical(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../../policies/canonical.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newTestLinter(t testing.TB, opts Options) *Linter {
	t.Helper()
	l, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func ids(fs []report.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	return strings.Join(out, ",")
}

func TestLintCanonicalIsClean(t *testing.T) {
	l := newTestLinter(t, Options{})
	fs, err := l.Lint(context.Background(), loadDocs(t, "canonical.json", canonical(t)), Env{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if strings.HasPrefix(f.Rule, "ACR") {
			t.Errorf("unexpected %s: %s", f.Rule, f.Message)
		}
	}
}

// A caller statement without DescribeKey: ACR001 at the policy (no
// statement to point at), with the statement to add filled in.
func TestLintMissingDescribeKey(t *testing.T) {
	src := strings.Replace(string(canonical(t)), `"Action": "kms:DescribeKey"`, `"Action": "kms:ListAliases"`, 1)
	l := newTestLinter(t, Options{})
	fs, err := l.Lint(context.Background(), loadDocs(t, "p.json", []byte(src)), Env{})
	if err != nil {
		t.Fatal(err)
	}
	var got *report.Finding
	for i := range fs {
		if fs[i].Rule == "ACR001" {
			got = &fs[i]
		}
	}
	if got == nil {
		t.Fatalf("no ACR001 in %s", ids(fs))
	}
	if got.Severity != report.SeverityError || got.Title == "" || got.Line != 1 || got.Column != 1 || got.Statement != "" {
		t.Errorf("finding = %+v", got)
	}
	if !strings.Contains(got.Message, `"Principal":{"AWS":"arn:aws:iam::111122223333:role/MyRecommendationRole"}`) {
		t.Errorf("message lacks the filled-in statement: %s", got.Message)
	}
	if got.Evidence == nil || got.Evidence.Decision != "ImplicitDeny" || got.Evidence.Action != "kms:DescribeKey" {
		t.Errorf("evidence = %+v", got.Evidence)
	}
}
