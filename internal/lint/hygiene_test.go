package lint

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReviewedHygieneCases holds the hygiene rules (KMS001-KMS014, run with
// no requirement profile) to a held-out review: each policy with the rule
// ids and lines it must produce and the AWS page behind it. It includes the
// classic false positives of other linters (case-insensitive names, an
// account id as principal, Principal "*" narrowed by kms:CallerAccount).
func TestReviewedHygieneCases(t *testing.T) {
	const dir = "testdata/hygiene"
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases map[string]struct {
		Expected [][2]any `json:"expected"`
		Why      string   `json:"why"`
		URL      string   `json:"url"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	l := newTestLinter(t, Options{Profiles: []string{"none"}})
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			fs, err := l.Lint(context.Background(), loadDocs(t, name, src), Env{Account: "111122223333", Region: "us-east-1"})
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, f := range fs {
				if s := fmt.Sprintf("%s@%d", f.Rule, f.Line); !slices.Contains(got, s) {
					got = append(got, s)
				}
			}
			for _, e := range c.Expected {
				want = append(want, fmt.Sprintf("%v@%v", e[0], e[1]))
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("findings %v, want %v: %s (%s)", got, want, c.Why, c.URL)
			}
		})
	}
}
