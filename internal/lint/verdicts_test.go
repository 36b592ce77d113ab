package lint

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/input"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/report"
)

// verdictCase is a policy people write, with the rules it must (and only
// it must) produce, and words its messages must or must not contain.
type verdictCase struct {
	name     string
	policy   string // JSON, or "" to use build
	build    func(t *testing.T) string
	env      Env
	profiles []string
	want     []string // distinct rule ids, any order
	contains map[string][]string
	lacks    map[string][]string
	note     string // a substring of the document's note ("" = no note wanted)
}

// canonicalPlus is the canonical policy with statements appended.
func canonicalPlus(t *testing.T, extra ...string) string {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(canonical(t), &p); err != nil {
		t.Fatal(err)
	}
	stmts := p["Statement"].([]any)
	for _, e := range extra {
		var s any
		if err := json.Unmarshal([]byte(e), &s); err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		stmts = append(stmts, s)
	}
	p["Statement"] = stmts
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rootStatement is the default key policy's statement.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
const rootStatement = `{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`

func runVerdictCases(t *testing.T, cases []verdictCase) {
	t.Helper()
	linters := map[string]*Linter{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key := strings.Join(c.profiles, ",")
			l := linters[key]
			if l == nil {
				l = newTestLinter(t, Options{Profiles: c.profiles})
				linters[key] = l
			}
			src := c.policy
			if c.build != nil {
				src = c.build(t)
			}
			var note string
			env := c.env
			env.Note = func(_ *input.Document, _ policy.Pos, msg string) { note = msg }
			fs, err := l.Lint(context.Background(), loadDocs(t, c.name+".json", []byte(src)), env)
			if err != nil {
				t.Fatal(err)
			}
			if got, want, ok := sameRules(fs, c.want); !ok {
				t.Errorf("rules %v, want %v", got, want)
				for _, f := range fs {
					t.Logf("%s: %s", f.Rule, f.Message)
				}
			}
			for rule, subs := range c.contains {
				for _, sub := range subs {
					if !slices.ContainsFunc(fs, func(f report.Finding) bool { return f.Rule == rule && strings.Contains(f.Message, sub) }) {
						t.Errorf("no %s message contains %q", rule, sub)
					}
				}
			}
			for rule, subs := range c.lacks {
				for _, f := range fs {
					for _, sub := range subs {
						if f.Rule == rule && strings.Contains(f.Message, sub) {
							t.Errorf("%s message contains %q: %s", rule, sub, f.Message)
						}
					}
				}
			}
			switch {
			case c.note == "" && note != "":
				t.Errorf("unexpected note %q", note)
			case c.note != "" && !strings.Contains(note, c.note):
				t.Errorf("note %q, want it to contain %q", note, c.note)
			}
		})
	}
}

// AWS's data-perimeter Deny on the key policy: the callers are members of
// the organization it demands (kmslint cannot know it), and the service
// principal is exempt through aws:PrincipalIsAWSService.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
func TestVerdictPerimeter(t *testing.T) {
	perimeterIfExists := `{"Sid":"EnforceOrgPerimeter","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*",
		"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}`
	perimeter := `{"Sid":"EnforceOrgPerimeter","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*",
		"Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"},"Bool":{"aws:PrincipalIsAWSService":"false"}}}`
	tagPerimeter := `{"Sid":"OnlyTaggedCallers","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*",
		"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalTag/team":"recs"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}`
	pathPerimeter := `{"Sid":"OnlyOU","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*",
		"Condition":{"ForAllValues:StringNotLike":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}`
	runVerdictCases(t, []verdictCase{
		{name: "ifexists", build: func(t *testing.T) string { return canonicalPlus(t, rootStatement, perimeterIfExists) },
			note: `aws:PrincipalOrgID "o-a1b2c3d4e5" (statement EnforceOrgPerimeter)`},
		{name: "plain", build: func(t *testing.T) string { return canonicalPlus(t, rootStatement, perimeter) },
			note: `aws:PrincipalOrgID "o-a1b2c3d4e5"`},
		{name: "tag", build: func(t *testing.T) string { return canonicalPlus(t, rootStatement, tagPerimeter) },
			note: `aws:PrincipalTag/team "recs"`},
		{name: "org-paths", build: func(t *testing.T) string { return canonicalPlus(t, rootStatement, pathPerimeter) },
			note: `aws:PrincipalOrgPaths`},
		{name: "org-flag-same", build: func(t *testing.T) string { return canonicalPlus(t, rootStatement, perimeter) },
			env: Env{Org: "o-a1b2c3d4e5"}, note: "organization o-a1b2c3d4e5 (--org)"},
		// Callers of another organization are denied by the perimeter:
		// the errors name the Deny and offer no statement to add, which
		// could not work under it.
		{name: "org-flag-other", build: func(t *testing.T) string { return canonicalPlus(t, rootStatement, perimeter) },
			env: Env{Org: "o-zzzzzzzzzz"}, note: "organization o-zzzzzzzzzz (--org)",
			want:     []string{"ACR001", "ACR002", "ACR003"},
			contains: map[string][]string{"ACR001": {"EnforceOrgPerimeter denies it"}, "ACR002": {"EnforceOrgPerimeter denies it"}},
			lacks:    map[string][]string{"ACR001": {"Add this statement"}, "ACR002": {"Add this statement"}, "ACR003": {"Add this statement"}}},
		// No perimeter: no note, --org or not.
		{name: "no-perimeter", build: func(t *testing.T) string { return canonicalPlus(t, rootStatement) }, env: Env{Org: "o-a1b2c3d4e5"}},
	})
}
