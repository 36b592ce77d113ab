package lint

import (
	"context"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/rules"
)

// TestRegoRules runs every embedded rule's _test.rego; each Rego test is a
// subtest named <package>/<test>, so `-run TestRegoRules/acr001` selects one
// rule.
func TestRegoRules(t *testing.T) {
	res, err := RunRegoTests(context.Background(), rules.FS, "rules")
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 {
		t.Fatal("no Rego tests found")
	}
	for _, r := range res {
		name := strings.TrimPrefix(r.Package, "data.kmslint.rules.") + "/" + r.Name
		t.Run(name, func(t *testing.T) {
			if r.Err != nil {
				t.Fatalf("%s:%d: error: %v\n%s", r.File, r.Line, r.Err, r.Output)
			}
			if r.Fail {
				t.Fatalf("%s:%d: failed\n%s", r.File, r.Line, r.Output)
			}
		})
	}
}

// TestEveryRuleHasTests keeps the contract of rules/README.md: no rule
// without a _test.rego.
func TestEveryRuleHasTests(t *testing.T) {
	rs, ts, err := readRules(rules.FS, "rules")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]bool{}
	for _, s := range ts {
		tests[strings.TrimSuffix(s.name, "_test.rego")] = true
	}
	for _, s := range rs {
		if !tests[strings.TrimSuffix(s.name, ".rego")] {
			t.Errorf("%s has no _test.rego", s.name)
		}
	}
}
