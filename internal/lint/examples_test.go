package lint

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/input"
	"github.com/kmslint/kmslint/internal/report"
)

const examplesDir = "../../policies/examples"

// exampleEnv is the environment the labels of policies/examples assume: the
// account and region of the documented policy, callers inferred.
var exampleEnv = Env{Account: "111122223333", Region: "us-east-1"}

func readExpected(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examplesDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp map[string][]string
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	return exp
}

// ruleIDs is the sorted set of rule ids of the findings.
func ruleIDs(fs []report.Finding) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, f := range fs {
		if !seen[f.Rule] {
			seen[f.Rule] = true
			out = append(out, f.Rule)
		}
	}
	sort.Strings(out)
	return out
}

// TestExamples lints every labelled example with the default profile and
// compares the rule ids with policies/examples/expected.json.
func TestExamples(t *testing.T) {
	exp := readExpected(t)
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	l := newTestLinter(t, Options{})
	n := 0
	for _, path := range files {
		name := filepath.Base(path)
		if name == "expected.json" {
			continue
		}
		n++
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			want, ok := exp[name]
			if !ok {
				t.Fatalf("%s is not labelled in expected.json", name)
			}
			want = slices.Clone(want)
			sort.Strings(want)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := input.Load(name, data, input.Env{})
			if err != nil {
				t.Fatal(err)
			}
			fs, err := l.Lint(context.Background(), f.Documents, exampleEnv)
			if err != nil {
				t.Fatal(err)
			}
			if got := ruleIDs(fs); !slices.Equal(got, want) {
				var msgs []string
				for _, f := range fs {
					msgs = append(msgs, "  "+f.Rule+" "+f.Statement+": "+f.Message)
				}
				t.Errorf("rules = %q, want %q\n%s", got, want, strings.Join(msgs, "\n"))
			}
			for _, f := range fs {
				if f.Line < 1 || f.Column < 1 || f.Title == "" {
					t.Errorf("%s finding without position or title: %+v", f.Rule, f)
				}
			}
		})
	}
	for name := range exp {
		if _, err := os.Stat(filepath.Join(examplesDir, name)); err != nil {
			t.Errorf("expected.json labels %s, which does not exist", name)
		}
	}
	if n < 20 {
		t.Errorf("%d labelled examples, want at least 20", n)
	}
}

// TestExamplesCoverCatalogue keeps the examples honest: every hygiene rule
// is expected somewhere, and some examples are clean.
func TestExamplesCoverCatalogue(t *testing.T) {
	exp := readExpected(t)
	seen := map[string]bool{}
	clean := 0
	for _, ids := range exp {
		if len(ids) == 0 {
			clean++
		}
		for _, id := range ids {
			seen[id] = true
		}
	}
	for i := 1; i <= 14; i++ {
		id := fmt.Sprintf("KMS%03d", i)
		if !seen[id] {
			t.Errorf("no example expects %s", id)
		}
	}
	if clean < 3 {
		t.Errorf("%d clean examples, want at least 3", clean)
	}
}

// BenchmarkExamples lints every labelled example per iteration, with all
// rules (default profile) and with the hygiene rules alone.
func BenchmarkExamples(b *testing.B) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	if err != nil {
		b.Fatal(err)
	}
	var docs []input.Document
	for _, path := range files {
		if filepath.Base(path) == "expected.json" {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		f, err := input.Load(path, data, input.Env{})
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, f.Documents...)
	}
	for _, bc := range []struct {
		name     string
		profiles []string
	}{{"all", nil}, {"hygiene", []string{"none"}}} {
		b.Run(bc.name, func(b *testing.B) {
			l := newTestLinter(b, Options{Profiles: bc.profiles})
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := l.Lint(ctx, docs, exampleEnv); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(docs))/b.Elapsed().Seconds(), "policies/s")
		})
	}
}
