package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const readmeKey = "testdata/readme/key.json"

// customRuleDir is a --rules directory with one rule of a profile of its own.
func customRuleDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rule := `# METADATA
# title: Team rule
# description: Fires on every policy of the team profile.
# custom:
#   id: TEAM001
#   severity: info
#   profile: team-baseline
#   fix: Nothing.
package kmslint.rules.team001

import rego.v1

findings contains {"message": "team rule", "statement": -1} if "team-baseline" in input.env.profiles
`
	if err := os.WriteFile(filepath.Join(dir, "team001.rego"), []byte(rule), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestUsageErrors: mistakes a new user makes get one line on stderr and exit
// 2, saying what would work.
func TestUsageErrors(t *testing.T) {
	rules := customRuleDir(t)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"AWS CLI habit", []string{"lint", "--profile", "prod", readmeKey},
			`--profile "prod": unknown requirement profile (known: agentcore-recommendation, none); for the AWS shared-config profile prod use --aws-profile prod`},
		{"profile typo", []string{"lint", readmeKey, "--profile", "agentcore-recomendation"},
			"did you mean agentcore-recommendation?"},
		{"profile of another rule set", []string{"lint", readmeKey, "--profile", "team-baseline"},
			"known: agentcore-recommendation, none)"},
		{"ignore of no rule", []string{"lint", readmeKey, "--ignore", "ACR099"},
			`--ignore "ACR099": unknown rule ACR099; did you mean ACR009? (see kmslint rules)`},
		{"ignore of no rule with a resource", []string{"lint", readmeKey, "--ignore", "KMS099:LegacyKey"},
			`--ignore "KMS099:LegacyKey": unknown rule KMS099`},
		{"missing rules dir", []string{"lint", readmeKey, "--rules", "/nonexistent/rules"},
			"--rules /nonexistent/rules: no such file or directory"},
		{"rules file, not dir", []string{"lint", readmeKey, "--rules", readmeKey},
			"not a directory (--rules takes a directory of .rego files)"},
		{"rules command, missing dir", []string{"rules", "--rules", "/nonexistent/rules"}, "--rules /nonexistent/rules"},
		{"explain typo", []string{"explain", "AUD01"}, "unknown rule AUD01; did you mean AUD001?"},
		{"eval typo action", []string{"eval", "--policy", readmeKey, "--principal", "anonymous", "--action", "kms:Decrpyt"},
			`--action "kms:Decrpyt": not a KMS action; did you mean kms:Decrypt?`},
		{"eval other service", []string{"eval", "--policy", readmeKey, "--principal", "anonymous", "--action", "s3:GetObject"},
			"a key policy decides only kms: actions"},
		{"eval no service", []string{"eval", "--policy", readmeKey, "--principal", "anonymous", "--action", "Decrypt"},
			"not service:Action"},
		{"unknown flag after a path", []string{"lint", readmeKey, "--regoin", "us-east-1"}, "flag provided but not defined: -regoin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, "", tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.wantErr)
			}
			if !strings.HasPrefix(errOut, "kmslint: error: ") || strings.Count(errOut, "\n") != 1 {
				t.Errorf("not one error line: %q", errOut)
			}
		})
	}

	// What --rules DIR adds is known: its profile and its rule id.
	code, out, errOut := runCLI(t, "", "lint", readmeKey, "--rules", rules, "--profile", "team-baseline", "--profile", "agentcore-recommendation", "--ignore", "TEAM001", "--format", "json")
	if code != 0 || !strings.Contains(out, `"rule": "TEAM001"`) || !strings.Contains(out, `"suppressed": true`) {
		t.Errorf("custom rule: exit %d, stderr %s\n%s", code, errOut, out)
	}
	// Audit rule ids may be ignored (.kmslint.yaml is shared with audit).
	if code, _, errOut := runCLI(t, "", "lint", readmeKey, "--ignore", "AUD005"); code != 0 {
		t.Errorf("--ignore AUD005: exit %d: %s", code, errOut)
	}
}

func TestRulesAndExplainCoverAudit(t *testing.T) {
	code, out, errOut := runCLI(t, "", "rules", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rules []struct{ ID, Profile string }
	if err := json.Unmarshal([]byte(out), &rules); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, r := range rules {
		seen[r.ID] = r.Profile
	}
	for _, id := range []string{"ACR001", "KMS001", "AUD001", "AUD004", "AUD007"} {
		if _, ok := seen[id]; !ok {
			t.Errorf("rules lacks %s", id)
		}
	}
	if seen["AUD003"] != "audit" {
		t.Errorf("AUD003 profile %q", seen["AUD003"])
	}
	code, out, _ = runCLI(t, "", "explain", "aud004")
	if code != 0 || !strings.Contains(out, "AUD004  Key disabled or scheduled for deletion while in use  (warning, profile audit)") ||
		!strings.Contains(out, "Example:\n  {\"eventName\": \"DisableKey\"}") || !strings.Contains(out, "Fix:\n  EnableKey or CancelKeyDeletion") {
		t.Errorf("explain aud004: exit %d\n%s", code, out)
	}
}

func TestEvalExitCode(t *testing.T) {
	caller := "arn:aws:iam::111122223333:role/MyRecommendationRole"
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  int
	}{
		{"allow", "", []string{"--principal", caller, "--action", "kms:DescribeKey", "--exit-code"}, 0},
		{"deny", "", []string{"--principal", "arn:aws:iam::444455556666:role/Outsider", "--action", "kms:DescribeKey", "--exit-code"}, 1},
		{"deny without the flag", "", []string{"--principal", "arn:aws:iam::444455556666:role/Outsider", "--action", "kms:DescribeKey"}, 0},
		{"deny json", "", []string{"--principal", "anonymous", "--action", "kms:Decrypt", "--exit-code", "--format", "json"}, 1},
		{"batch allows", `{"principal":"` + caller + `","action":"kms:DescribeKey"}` + "\n", []string{"--requests", "-", "--exit-code"}, 0},
		{"batch with a deny", `{"principal":"` + caller + `","action":"kms:DescribeKey"}` + "\n" + `{"principal":"anonymous","action":"kms:Decrypt"}` + "\n", []string{"--requests", "-", "--exit-code"}, 1},
		{"malformed wins over deny", `{"principal":"anonymous","action":"kms:Decrypt"}` + "\n" + `{"principal":"anonymous"}` + "\n", []string{"--requests", "-", "--exit-code"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.stdin, append([]string{"eval", "--policy", readmeKey}, tc.args...)...)
			if code != tc.want {
				t.Errorf("exit %d, want %d: %s", code, tc.want, errOut)
			}
		})
	}
}

// TestEvalBatchKeepsGoing: a malformed line is answered in place and the
// lines after it are still decided.
func TestEvalBatchKeepsGoing(t *testing.T) {
	in := `{"principal":"anonymous","action":"kms:Decrypt"}` + "\n" +
		`{"principal":"anonymous","action":"kms:Decrpyt"}` + "\n" +
		`{"principal":"arn:aws:iam::111122223333:role/MyRecommendationRole","action":"kms:DescribeKey"}` + "\n"
	code, out, errOut := runCLI(t, in, "eval", "--policy", readmeKey, "--requests", "-")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 2 || len(lines) != 3 || !strings.HasPrefix(lines[2], `{"decision":"Allow"`) ||
		lines[1] != `{"error":"action \"kms:Decrpyt\": not a KMS action; did you mean kms:Decrypt?","line":2,"column":35}` {
		t.Fatalf("exit %d\n%s\nstderr %s", code, out, errOut)
	}
	if errOut != "kmslint: error: <stdin>:2:35: action \"kms:Decrpyt\": not a KMS action; did you mean kms:Decrypt?\n" {
		t.Errorf("stderr %q", errOut)
	}
}

// TestQuiet: -q leaves findings and errors, no summary, notes or warnings.
func TestQuiet(t *testing.T) {
	dir := t.TempDir()
	// Names no caller (a warning on stderr) and has a KMS006 finding.
	p := filepath.Join(dir, "p.json")
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111122223333:key/k"}]}`
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "lint", p, "--region", "us-east-1", "-v")
	if !strings.Contains(out, "KMS006") || !strings.Contains(out, "in 1 file") || !strings.Contains(errOut, "warning:") {
		t.Fatalf("without -q: exit %d\n%s\n%s", code, out, errOut)
	}
	code2, out, errOut := runCLI(t, "", "lint", p, "--region", "us-east-1", "-q")
	if code2 != code || !strings.Contains(out, "KMS006") || strings.Contains(out, "in 1 file") || errOut != "" {
		t.Errorf("-q: exit %d\nstdout %q\nstderr %q", code2, out, errOut)
	}
	// audit -q: findings, no timeline, no summary.
	// The outsider's refused Decrypt is a blocked attempt: a warning.
	code, out, _ = runCLI(t, "", "audit", "testdata/readme/AWSLogs", "-q")
	if code != 0 || !strings.Contains(out, "warning  AUD002") || strings.Contains(out, "GenerateDataKey      caller") || strings.Contains(out, "records") {
		t.Errorf("audit -q: exit %d\n%s", code, out)
	}
}

// TestAuditRefusesOtherFiles: a key policy given to audit as a trail is an
// input error for that file; the trail beside it is still audited.
func TestAuditRefusesOtherFiles(t *testing.T) {
	code, out, errOut := runCLI(t, "", "audit", "testdata/readme/AWSLogs/", readmeKey, "--format", "json", "--fail-on", "never")
	if code != 2 || !strings.Contains(errOut, "key.json:1:1: not a CloudTrail log but a policy (it has a Statement); to explain denials with it, pass it as --policy FILE") {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var rep struct {
		InputErrors []struct{ File string } `json:"inputErrors"`
		Summary     map[string]int          `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.InputErrors) != 1 || rep.InputErrors[0].File != readmeKey || rep.Summary["recommendations"] != 1 {
		t.Errorf("input errors %+v, summary %v", rep.InputErrors, rep.Summary)
	}
}

func TestBinaryFileIsNotYAML(t *testing.T) {
	p := filepath.Join(t.TempDir(), "kmslint.bin")
	if err := os.WriteFile(p, []byte("\x7fELF\x02\x01\x01\x00\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "", "lint", p)
	if code != 2 || errOut != "kmslint: error: "+p+":1:1: binary file (byte 0x7f), not JSON or YAML text\n" {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

// TestConfigFromParentDirectory: lint in a subdirectory of a repository
// uses the .kmslint.yaml at its root.
func TestConfigFromParentDirectory(t *testing.T) {
	key, err := filepath.Abs(readmeKey)
	if err != nil {
		t.Fatal(err)
	}
	repo := t.TempDir()
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(repo, "infra", "keys")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, ".kmslint.yaml"), []byte("fail-on: info\nprofile: [prod]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	code, _, errOut := runCLI(t, "", "lint", key)
	if code != 2 || !strings.Contains(errOut, `../../.kmslint.yaml: profile "prod": unknown requirement profile`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}
