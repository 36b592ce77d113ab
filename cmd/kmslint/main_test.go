package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"kmslint"}, args...), env{
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(string) string { return "" },
	})
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const canonicalPath = "../../policies/canonical.json"

func TestEvalCLI(t *testing.T) {
	broken := writeFile(t, "broken.json", "{\n  \"Statement\": [\n    {\"Effect\": \"Allow\",}\n  ]\n}\n")
	dup := writeFile(t, "dup.json", `{"Statement":[{"Effect":"Deny","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`)
	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantCode   int
		wantOut    string
		wantErr    string
		errOneLine bool
	}{
		{"allow json", "", []string{"eval", "--policy", canonicalPath, "--principal", "arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/s", "--action", "kms:DescribeKey", "--format", "json"}, 0, `"decision":"Allow"`, "", false},
		{"service denied text", "", []string{"eval", "--policy", canonicalPath, "--principal", "service:bedrock-agentcore.amazonaws.com", "--action", "kms:Decrypt", "--context", "aws:SourceAccount=444455556666"}, 0, "ImplicitDeny", "", false},
		{"multivalued context", "", []string{"eval", "--policy", canonicalPath, "--principal", "service:bedrock-agentcore.amazonaws.com", "--action", "kms:Decrypt", "--context", "aws:SourceAccount=111122223333", "--context", "aws:SourceAccount=444455556666", "--format", "json"}, 0, "multivalued", "", false},
		{"malformed policy", "", []string{"eval", "--policy", broken, "--principal", "anonymous", "--action", "kms:Decrypt"}, 2, "", "broken.json:3:24: ", true},
		{"duplicate Effect refused", "", []string{"eval", "--policy", dup, "--principal", "anonymous", "--action", "kms:Decrypt"}, 2, "", `duplicate key "Effect"`, true},
		{"missing file", "", []string{"eval", "--policy", "/nonexistent/p.json", "--principal", "anonymous", "--action", "kms:Decrypt"}, 2, "", "/nonexistent/p.json: no such file", true},
		{"bad principal", "", []string{"eval", "--policy", canonicalPath, "--principal", "arn:aws:s3:::b", "--action", "kms:Decrypt"}, 2, "", "--principal", true},
		{"unknown flag", "", []string{"eval", "--bogus"}, 2, "", "flag provided but not defined", true},
		{"bad request line", "{\"principal\":\"anonymous\",\"action\":\"kms:Decrypt\"}\n{\"principal\": 7}\n", []string{"eval", "--policy", canonicalPath, "--requests", "-"}, 2, `"decision":"ImplicitDeny"`, "<stdin>:2:15: \"principal\" must be a string", true},
		{"version", "", []string{"--version"}, 0, "kmslint 0.1.0", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.stdin, tc.args...)
			if code != tc.wantCode {
				t.Fatalf("exit = %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, out, errOut)
			}
			if !strings.Contains(out, tc.wantOut) {
				t.Errorf("stdout %q lacks %q", out, tc.wantOut)
			}
			if !strings.Contains(errOut, tc.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut, tc.wantErr)
			}
			if tc.errOneLine {
				if !strings.HasPrefix(errOut, "kmslint: error: ") || strings.Count(errOut, "\n") != 1 {
					t.Errorf("stderr is not one `kmslint: error:` line: %q", errOut)
				}
			}
		})
	}
}

func TestEvalBatchKeepsOrder(t *testing.T) {
	var in strings.Builder
	const n = 3000
	for i := 0; i < n; i++ {
		action := "kms:Encrypt"
		if i%3 == 0 {
			action = "kms:DescribeKey"
		}
		in.WriteString(`{"principal":"arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/s","action":"` + action + `"}` + "\n")
	}
	code, out, errOut := runCLI(t, in.String(), "eval", "--policy", canonicalPath, "--requests", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != n {
		t.Fatalf("%d decisions for %d requests", len(lines), n)
	}
	for i, l := range lines {
		var d struct{ Decision string }
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		want := "ImplicitDeny"
		if i%3 == 0 {
			want = "Allow"
		}
		if d.Decision != want {
			t.Fatalf("line %d: %s, want %s (order lost?)", i+1, d.Decision, want)
		}
	}
}

func TestGenerateCLI(t *testing.T) {
	code, out, errOut := runCLI(t, "", "generate", "--account", "111122223333", "--region", "us-east-1", "--caller", "arn:aws:iam::111122223333:role/R", "--format", "terraform")
	if code != 0 || !strings.Contains(out, `resource "aws_kms_key"`) {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "generate", "--account", "111122223333", "--caller", "arn:aws:iam::111122223333:role/R")
	if code != 2 || !strings.Contains(errOut, "--region") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// TestLintWarnsWhenNoCallerIsFound: a policy that names no caller leaves the
// caller rules nobody to check; lint says so on stderr and goes on.
func TestLintWarnsWhenNoCallerIsFound(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "root-only.json")
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"Svc","Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"},"ArnLike":{"aws:SourceArn":"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}}]}`
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "lint", "--account", "111122223333", "--region", "us-east-1", "--format", "json", p)
	if code != 0 || !strings.Contains(errOut, "warning: "+p+":1:1: no caller of StartRecommendation found") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.HasPrefix(strings.TrimSpace(out), "{") {
		t.Errorf("stdout is not the JSON report: %q", out)
	}
	code, _, errOut = runCLI(t, "", "lint", "--account", "111122223333", "--region", "us-east-1", "--caller", "arn:aws:iam::111122223333:role/R", "--format", "json", p)
	if strings.Contains(errOut, "no caller") {
		t.Errorf("warned although --caller was given (exit %d): %q", code, errOut)
	}
}

// TestGlobalFlagsBeforeTheCommand: -v, -q and --no-color work on either
// side of the command name, as users type them.
func TestGlobalFlagsBeforeTheCommand(t *testing.T) {
	tf := filepath.Join("testdata", "readme", "main.tf")
	for _, args := range [][]string{
		{"-v", "lint", tf},
		{"lint", "-v", tf},
		{"lint", tf, "--verbose"},
	} {
		code, _, stderr := runCLI(t, "", args...)
		if code != 0 || !strings.Contains(stderr, "note: aws_kms_key.recommendations has its policy set by aws_kms_key_policy.recommendations") {
			t.Errorf("%q: exit %d, stderr %q: want the -v notes", args, code, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "", "lint", tf); code != 0 || strings.Contains(stderr, "note:") {
		t.Errorf("without -v: exit %d, stderr %q: want no notes", code, stderr)
	}
}

// TestLintOrg: --org gives the callers' organization for a perimeter Deny;
// the assumption is one note on stderr, and an id that is no organization
// id is a usage error.
func TestLintOrg(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"Caller","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/R"},"Action":["kms:DescribeKey","kms:GenerateDataKey","kms:Decrypt"],"Resource":"*"},` +
		`{"Sid":"Perimeter","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`
	p := writeFile(t, "perimeter.json", doc)
	base := []string{"lint", "--profile", "none", "--account", "111122223333", "--region", "us-east-1", p}
	if code, _, errOut := runCLI(t, "", append(base, "--org", "o-bad")...); code != 2 || !strings.Contains(errOut, "--org") {
		t.Errorf("--org o-bad: exit %d, stderr %q", code, errOut)
	}
	// With the profile (the callers' requests), the note appears once.
	prof := []string{"lint", "--account", "111122223333", "--region", "us-east-1", "--ignore", "ACR005", "--ignore", "ACR008", "--ignore", "ACR004", p}
	code, _, errOut := runCLI(t, "", prof...)
	if code != 0 || strings.Count(errOut, "note:") != 1 || !strings.Contains(errOut, `aws:PrincipalOrgID "o-a1b2c3d4e5"`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	code, out, errOut := runCLI(t, "", append(prof, "--org", "o-zzzzzzzzzz")...)
	if code != 1 || !strings.Contains(out, "ACR001") || !strings.Contains(errOut, "organization o-zzzzzzzzzz (--org)") {
		t.Errorf("--org of another organization: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
