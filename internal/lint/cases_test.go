package lint

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kmslint/kmslint/internal/report"
)

// casesDir holds key policies written as a held-out review of the rules:
// each with the rule ids it must produce and why, citing AWS's docs. They
// cover every rule that needs no live key, the semantics linters get wrong
// (NotPrincipal, role paths in aws:PrincipalArn, a second account in a
// condition list, aws:ViaAWSService on service principals...) and policies
// that must stay clean.
const casesDir = "testdata/cases"

type reviewedCase struct {
	Expected     []string `json:"expected"`
	Why          string   `json:"why"`
	Account      string   `json:"account"`
	Callers      []string `json:"callers"`
	InferCallers bool     `json:"infer_callers"`
}

func TestReviewedCases(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(casesDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases map[string]reviewedCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(casesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files)-1 != len(cases) {
		t.Fatalf("%d policy files, %d labelled", len(files)-1, len(cases))
	}
	l := newTestLinter(t, Options{})
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(casesDir, name))
			if err != nil {
				t.Fatal(err)
			}
			env := Env{Account: c.Account, Region: "us-east-1"}
			if !c.InferCallers {
				env.Callers = c.Callers
			}
			fs, err := l.Lint(context.Background(), loadDocs(t, name, src), env)
			if err != nil {
				t.Fatal(err)
			}
			if got, want, ok := sameRules(fs, c.Expected); !ok {
				t.Errorf("rules %v, want %v: %s", got, want, c.Why)
			}
		})
	}
}

// sameRules compares the distinct rule ids of findings with want, in any
// order, and returns both sorted for the message.
func sameRules(fs []report.Finding, want []string) (got, wantSorted []string, ok bool) {
	for _, f := range fs {
		if !slices.Contains(got, f.Rule) {
			got = append(got, f.Rule)
		}
	}
	slices.Sort(got)
	wantSorted = slices.Clone(want)
	slices.Sort(wantSorted)
	return got, wantSorted, slices.Equal(got, wantSorted)
}
