package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSimulateCLI(t *testing.T) {
	noService := `{"Version": "2012-10-17", "Statement": [
 {"Sid": "EnableIAMUserPermissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
 {"Sid": "AllowCallerAccess", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole"}, "Action": "kms:DescribeKey", "Resource": "*"},
 {"Sid": "AllowCallerCryptoOps", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole"},
  "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*",
  "Condition": {"StringLike": {"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}}]}`
	policy := writeFile(t, "no-service.json", noService)
	// The user's own Sids, in a template of another account, without
	// --account/--region/--caller: inferred as lint infers them.
	template := writeFile(t, "key.yaml", `Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Sid: Root
            Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
          - Sid: App
            Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:role/AppRole"}
            Action: [kms:DescribeKey, kms:GenerateDataKey, kms:Decrypt]
            Resource: "*"
          - Sid: AllowAgentCore
            Effect: Allow
            Principal: {Service: bedrock-agentcore.amazonaws.com}
            Action: [kms:GenerateDataKey, kms:Decrypt]
            Resource: "*"
            Condition:
              StringEquals: {aws:SourceAccount: !Ref AWS::AccountId}
  Second:
    Type: AWS::KMS::Key
`)
	trailDir := t.TempDir()
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		contains []string
	}{
		{"default lifecycle", []string{"simulate"}, 0, []string{"scenario lifecycle: MET", "kms:DescribeKey", "1 of 1 scenario(s) met"}},
		{"all, json, trail", []string{"simulate", "--scenario", "all", "--format", "json", "--trail", trailDir}, 0, []string{`"summary": {`, `"met": 8`}},
		{"no service statement", []string{"simulate", "--policy", policy}, 1, []string{"MISSED", `fix: no statement allows service:bedrock-agentcore.amazonaws.com kms:Decrypt: add this statement: {"Sid":"AllowServicePrincipalAccess"`}},
		{"template with two keys", []string{"simulate", "--policy", template}, 2, nil},
		{"template key", []string{"simulate", "--policy", template, "--key", "Key", "--scenario", "lifecycle", "--scenario", "service-denied"}, 1,
			[]string{"as arn:aws:sts::111122223333:assumed-role/AppRole/", "fix: statement AllowAgentCore (" + template + ":18) allows service:bedrock-agentcore.amazonaws.com"}},
		{"unknown key", []string{"simulate", "--policy", template, "--key", "Nope"}, 2, nil},
		{"unknown scenario", []string{"simulate", "--scenario", "nope"}, 2, nil},
		{"bad format", []string{"simulate", "--format", "xml"}, 2, nil},
		{"missing policy file", []string{"simulate", "--policy", filepath.Join(t.TempDir(), "none.json")}, 2, nil},
		{"caller of another account", []string{"simulate", "--caller", "arn:aws:iam::444455556666:role/X"}, 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, c := range tc.contains {
				if !strings.Contains(stdout, c) {
					t.Errorf("stdout lacks %q:\n%s", c, stdout)
				}
			}
			if code == 2 && (strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "kmslint: error: ")) {
				t.Errorf("stderr is not one error line: %q", stderr)
			}
			if strings.Contains(stdout+stderr, "AllowServicePrincipalAccess") && strings.Contains(strings.Join(tc.args, " "), "key.yaml") {
				t.Errorf("a hint names a statement the template lacks:\n%s%s", stdout, stderr)
			}
			if strings.Contains(strings.Join(tc.args, " "), "--format json") {
				var rep struct {
					Version   int
					Scenarios []struct {
						Name  string
						Met   bool
						Steps []struct {
							Operation, Principal, Outcome string
							KMSCalls                      []map[string]any
						}
					}
				}
				if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.Version != 1 || len(rep.Scenarios) != 8 {
					t.Fatalf("JSON report: %v %+v", err, rep)
				}
			}
		})
	}
	entries, err := os.ReadDir(trailDir)
	if err != nil || len(entries) != 8 {
		t.Errorf("--trail kept %d scenario trees (%v)", len(entries), err)
	}
}
