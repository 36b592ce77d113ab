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
