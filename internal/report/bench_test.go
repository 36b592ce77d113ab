package report

import (
	"fmt"
	"io"
	"testing"
)

// benchReport is 1,000 findings spread over 50 files, a tenth with evidence.
func benchReport() *Report {
	rep := New(KindLint, "0.1.0")
	rep.Rules = testRules
	rep.Summary = Summary{Files: 50, Policies: 50}
	for i := range 1000 {
		r := testRules[i%len(testRules)]
		f := Finding{
			Rule: r.ID, Severity: r.Severity, Title: r.Title,
			Message: fmt.Sprintf("statement %d of policy %d grants more than the workflow needs", i%7, i%50),
			File:    fmt.Sprintf("policies/team-%02d/key.json", i%50),
			Line:    1 + i%400, Column: 1 + i%30,
			Resource: "RecommendationKey", Statement: fmt.Sprintf("Stmt%d", i%7),
		}
		if i%10 == 0 {
			f.Evidence = &Evidence{Principal: "service:bedrock-agentcore.amazonaws.com", Action: "kms:Decrypt",
				Context: map[string]ContextValue{
					"aws:SourceAccount":         Single("444455556666"),
					"kms:EncryptionContextKeys": Multi("aws:bedrock-agentcore:recommendationArn"),
				},
				Decision: "Allow", Statements: []string{"AllowServicePrincipalAccess"}}
		}
		rep.Findings = append(rep.Findings, f)
	}
	return rep
}

func benchmarkWrite(b *testing.B, format string) {
	rep := benchReport()
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, format, rep, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteJSON(b *testing.B)  { benchmarkWrite(b, FormatJSON) }
func BenchmarkWriteSARIF(b *testing.B) { benchmarkWrite(b, FormatSARIF) }
func BenchmarkWriteText(b *testing.B)  { benchmarkWrite(b, FormatText) }
func BenchmarkWriteJUnit(b *testing.B) { benchmarkWrite(b, FormatJUnit) }
