package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func proofDocs() []DocumentProofs {
	return []DocumentProofs{{
		File: "policies/key.json",
		Proofs: []Proof{
			{Property: "ACR006: the service principal acts only for this account's recommendations", Result: ProofViolated,
				Counterexample: &Evidence{Principal: "service:bedrock-agentcore.amazonaws.com", Action: "kms:Decrypt",
					Context:  map[string]ContextValue{"aws:SourceAccount": Single("111122223323")},
					Decision: "Allow", Statements: []string{"Service"}}},
			{Property: "no principal outside account 111122223333 can use the key", Result: ProofProved},
			{Property: "KMS004: no principal of another account can use the key", Result: ProofUnknown, Reason: "a policy variable"},
		},
	}}
}

// TestProofsOutput: the JSON report lists each document's proofs, text says
// what was proved in one line, and SARIF, JUnit and GitHub output do not
// change.
func TestProofsOutput(t *testing.T) {
	with := lintReport()
	with.Documents = proofDocs()
	for _, tt := range []struct{ name, format string }{
		{"lint-proofs.txt", FormatText}, {"lint-proofs.json", FormatJSON},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.format, with, Options{}); err != nil {
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
				t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", path, buf.Bytes(), want)
			}
		})
	}
	for _, f := range []string{FormatSARIF, FormatJUnit, FormatGitHub} {
		var a, b bytes.Buffer
		if err := Write(&a, f, with, Options{}); err != nil {
			t.Fatal(err)
		}
		if err := Write(&b, f, lintReport(), Options{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s output changes with proofs", f)
		}
	}
}

func TestProofLine(t *testing.T) {
	if got := proofLine(nil); got != "" {
		t.Errorf("no proofs: %q", got)
	}
	one := proofLine(proofDocs())
	for _, w := range []string{"proved: no principal outside account 111122223333", "violated: ACR006", "unknown: KMS004"} {
		if !strings.Contains(one, w) {
			t.Errorf("%q lacks %q", one, w)
		}
	}
	two := proofLine(append(proofDocs(), DocumentProofs{File: "b.json", Proofs: []Proof{{Property: "x", Result: ProofProved}}}))
	if want := "proofs over every request: 2 proved, 1 violated, 1 unknown in 2 policies"; two != want {
		t.Errorf("got %q, want %q", two, want)
	}
}
