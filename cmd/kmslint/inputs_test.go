package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLintInputErrorsPerFile: one file that does not load does not stop the
// others; it is reported for itself (JSON, stderr) and the run exits 2.
// A template that uses AWS::AccountId needs no --account.
func TestLintInputErrorsPerFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	canonical, err := os.ReadFile(canonicalPath)
	if err != nil {
		t.Fatal(err)
	}
	write("a-canonical.json", string(canonical))
	write("b-broken.yaml", "Resources:\n  K:\n    Type: AWS::KMS::Key\n   Properties: {}\n")
	write("c-deploying.yaml", `Resources:
  K:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
`)
	write("d-notes.md", "# not linted\n")
	code, out, errOut := runCLI(t, "", "lint", "--format", "json", "--profile", "none", dir)
	if code != 2 {
		t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	var rep struct {
		InputErrors []struct {
			File   string `json:"file"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
			Error  string `json:"error"`
		} `json:"inputErrors"`
		Summary struct {
			Files, Policies int
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Summary.Files != 2 || rep.Summary.Policies != 2 {
		t.Errorf("summary %+v, want the 2 other files linted", rep.Summary)
	}
	broken := filepath.Join(dir, "b-broken.yaml")
	if len(rep.InputErrors) != 1 || rep.InputErrors[0].File != broken || rep.InputErrors[0].Line != 4 {
		t.Errorf("inputErrors %+v, want one at %s:4", rep.InputErrors, broken)
	}
	if lines := strings.Split(strings.TrimSpace(errOut), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "kmslint: error: "+broken+":4:") {
		t.Errorf("stderr %q, want one error line naming the file", errOut)
	}
}
