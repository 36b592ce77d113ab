package lint

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/input"
	"github.com/kmslint/kmslint/internal/policy"
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

// TestUnresolvedTemplatePrincipals: principals CloudFormation fills in at
// deployment (a parameter without a default, Fn::ImportValue, a role's
// !GetAtt) are some principal kmslint cannot know, not an invalid policy,
// so the other rules still run on the key: here the public statement.
func TestUnresolvedTemplatePrincipals(t *testing.T) {
	src, err := os.ReadFile("testdata/unresolved-principals.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := input.Load("unresolved-principals.yaml", src, input.Env{AccountID: "111122223333", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	docs := f.Documents
	if len(docs) != 1 || len(docs[0].Placeholders) == 0 {
		t.Fatalf("want one document with placeholders, got %+v", docs)
	}
	l := newTestLinter(t, Options{Profiles: []string{"none"}})
	fs, err := l.Lint(context.Background(), docs, Env{Account: "111122223333", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%s:%d", f.Rule, f.Line))
	}
	if want := []string{"KMS004:27", "KMS015:27", "KMS015:27"}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
}

// TestCharactersKMSRejects: KMS accepts tab, LF, CR and U+0020 to U+00FF in
// a key policy; anything else makes PutKeyPolicy fail, so it is KMS001 at
// the string that holds it.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
func TestCharactersKMSRejects(t *testing.T) {
	src, err := os.ReadFile("testdata/non-latin1.json")
	if err != nil {
		t.Fatal(err)
	}
	l := newTestLinter(t, Options{Profiles: []string{"none"}})
	fs, err := l.Lint(context.Background(), loadDocs(t, "non-latin1.json", src), Env{Account: "111122223333", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Rule != "KMS001" || fs[0].Line != 14 || !strings.Contains(fs[0].Message, "U+4E2D") {
		t.Errorf("findings %+v, want one KMS001 at line 14 naming U+4E2D", fs)
	}
}

// TestIdentityPolicyNamingTheKey: identity policies name key ARNs, as AWS
// advises; a file's key takes the one they name in its account and region,
// so their statements apply (no false ACR001-ACR003), and a key of another
// region is not taken.
// https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html
func TestIdentityPolicyNamingTheKey(t *testing.T) {
	pol, err := os.ReadFile("testdata/root-only-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	idSrc, err := os.ReadFile("testdata/identity-specific-key.json")
	if err != nil {
		t.Fatal(err)
	}
	l := newTestLinter(t, Options{})
	for _, tc := range []struct {
		region string
		want   []string
	}{
		{"us-east-1", nil},
		{"eu-west-1", []string{"ACR001", "ACR002", "ACR003"}},
	} {
		id, err := policy.ParseJSON("identity.json", idSrc)
		if err != nil {
			t.Fatal(err)
		}
		env := Env{Account: "111122223333", Region: tc.region, Callers: []string{"arn:aws:iam::111122223333:role/MyRecommendationRole"},
			IdentityPolicies: []IdentityPolicy{{Name: "identity.json", Node: id}}}
		fs, err := l.Lint(context.Background(), loadDocs(t, "policy.json", pol), env)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range fs {
			if slices.Contains([]string{"ACR001", "ACR002", "ACR003"}, f.Rule) && !slices.Contains(got, f.Rule) {
				got = append(got, f.Rule)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: ACR001-003 findings %v, want %v", tc.region, got, tc.want)
		}
	}
}
