package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func TestGolden(t *testing.T) {
	clean := New(KindLint, "0.1.0")
	clean.Summary = Summary{Files: 2, Policies: 2}
	tests := []struct {
		name   string
		format string
		rep    *Report
		opts   Options
	}{
		{"lint.txt", FormatText, lintReport(), Options{Source: testSource}},
		{"lint-verbose.txt", FormatText, lintReport(), Options{Source: testSource, Verbose: true}},
		{"lint-color.txt", FormatText, lintReport(), Options{Source: testSource, Color: true}},
		{"lint-nosource.txt", FormatText, lintReport(), Options{}},
		{"lint.json", FormatJSON, lintReport(), Options{}},
		{"lint.sarif", FormatSARIF, lintReport(), Options{}},
		{"lint.junit.xml", FormatJUnit, lintReport(), Options{}},
		{"lint-failon-warning.junit.xml", FormatJUnit, lintReport(), Options{FailOn: SeverityWarning}},
		{"lint.github.txt", FormatGitHub, lintReport(), Options{}},
		{"audit.txt", FormatText, auditReport(), Options{}},
		{"audit-verbose.txt", FormatText, auditReport(), Options{Verbose: true}},
		{"audit.json", FormatJSON, auditReport(), Options{}},
		{"audit.sarif", FormatSARIF, auditReport(), Options{}},
		{"audit.junit.xml", FormatJUnit, auditReport(), Options{}},
		{"audit.github.txt", FormatGitHub, auditReport(), Options{}},
		{"clean.txt", FormatText, clean, Options{}},
		{"clean.json", FormatJSON, clean, Options{}},
		{"clean.sarif", FormatSARIF, clean, Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.format, tt.rep, tt.opts); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", tt.name)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/report -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("output differs from %s (go test ./internal/report -update rewrites it):\n--- got\n%s\n--- want\n%s", path, buf.Bytes(), want)
			}
		})
	}
}
