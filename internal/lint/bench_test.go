package lint

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/input"
)

// BenchmarkLint is one canonical policy through every rule.
func BenchmarkLint(b *testing.B) {
	l := newTestLinter(b, Options{})
	docs := loadDocs(b, "canonical.json", canonical(b))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Lint(ctx, docs, Env{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLint1000 is one Lint call over 1,000 distinct policies (distinct
// roles, so no cache is shared between them), reporting policies/s.
func BenchmarkLint1000(b *testing.B) {
	l := newTestLinter(b, Options{})
	base := string(canonical(b))
	var docs []input.Document
	for i := range 1000 {
		src := strings.ReplaceAll(base, "MyRecommendationRole", fmt.Sprintf("Role%04d", i))
		docs = append(docs, loadDocs(b, fmt.Sprintf("p%04d.json", i), []byte(src))...)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Lint(ctx, docs, Env{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(docs)*b.N)/b.Elapsed().Seconds(), "policies/s")
}

// The scaling shapes of issue 11: a legal policy at the 32 KB limit (226
// statements), one four times over it, one of 5 MB, and one whose few
// statements name a thousand callers.
var (
	shapeAtLimit   = genShape{Statements: 224, Conditions: true}
	shape130K      = genShape{Statements: 900, Conditions: true}
	shape5M        = genShape{Statements: 34000, Conditions: true}
	shapeManyCalls = genShape{Statements: 40, PerStatement: 25, Conditions: true}
)

func benchShape(b *testing.B, s genShape) {
	l := newTestLinter(b, Options{})
	src := genPolicy(1, s)
	docs := loadDocs(b, "big.json", src)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := l.Lint(ctx, docs, Env{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLintAtLimit(b *testing.B)     { benchShape(b, shapeAtLimit) }
func BenchmarkLint130K(b *testing.B)        { benchShape(b, shape130K) }
func BenchmarkLint5M(b *testing.B)          { benchShape(b, shape5M) }
func BenchmarkLintManyCallers(b *testing.B) { benchShape(b, shapeManyCalls) }
