package scenario

import (
	"context"
	"encoding/json"
	"github.com/kmslint/kmslint/internal/agentcore"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/generate"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/report"
)

func TestAllScenariosMeetExpectationsWithDefaultPolicy(t *testing.T) {
	dir := t.TempDir()
	rep, err := Run(context.Background(), []string{"all"}, Options{TrailDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Scenarios != len(Names()) || rep.Summary.Met != rep.Summary.Scenarios {
		b, _ := json.MarshalIndent(rep, "", "  ")
		t.Fatalf("summary %+v\n%s", rep.Summary, b)
	}
	for _, s := range rep.Scenarios {
		for _, f := range s.Findings {
			if s.Name == "lifecycle" && f.Severity == report.SeverityError {
				t.Errorf("lifecycle audit finding %s: %s", f.Rule, f.Message)
			}
		}
	}
	lc := rep.Scenarios[0]
	var ops []string
	for _, st := range lc.Steps {
		ops = append(ops, st.Operation+":"+st.Outcome)
	}
	if got := strings.Join(ops, " "); got != "StartRecommendation:ok workflow:ok GetRecommendation:ok ListRecommendations:ok DeleteRecommendation:ok" {
		t.Errorf("lifecycle steps %s", got)
	}
	if lc.Steps[0].KMSCalls[0].InvokedBy != "bedrock-agentcore.amazonaws.com" || lc.Steps[1].KMSCalls[0].Principal != "bedrock-agentcore.amazonaws.com" {
		t.Errorf("identities: %+v / %+v", lc.Steps[0].KMSCalls[0], lc.Steps[1].KMSCalls[0])
	}
	// The trail is kept in S3 layout, one tree per scenario.
	var files []string
	filepath.WalkDir(filepath.Join(dir, "lifecycle"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 || !strings.Contains(files[0], "AWSLogs") || !strings.HasSuffix(files[0], ".json.gz") {
		t.Errorf("trail files %v", files)
	}
}

// Broken policies miss an expectation and name the statement to fix.
func TestBrokenPoliciesNameTheStatement(t *testing.T) {
	base, err := generate.JSON(generate.Options{Account: "111122223333", Region: "us-east-1", Callers: []string{"arn:aws:iam::111122223333:role/MyRecommendationRole"}})
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(doc map[string]any)) []byte {
		var doc map[string]any
		if err := json.Unmarshal(base, &doc); err != nil {
			t.Fatal(err)
		}
		f(doc)
		b, _ := json.Marshal(doc)
		return b
	}
	stmts := func(doc map[string]any) []any { return doc["Statement"].([]any) }
	bySid := func(doc map[string]any, sid string) map[string]any {
		for _, s := range stmts(doc) {
			if m := s.(map[string]any); m["Sid"] == sid {
				return m
			}
		}
		t.Fatalf("no %s", sid)
		return nil
	}
	for _, tc := range []struct {
		name, scenario, statement string
		policy                    []byte
	}{
		// A statement the policy lacks is not named as one to fix: the
		// hint gives the whole statement to add.
		{"no service statement", "lifecycle", "", edit(func(doc map[string]any) {
			var keep []any
			for _, s := range stmts(doc) {
				if s.(map[string]any)["Sid"] != "AllowServicePrincipalAccess" {
					keep = append(keep, s)
				}
			}
			doc["Statement"] = keep
		})},
		{"service statement without conditions", "confused-deputy", "AllowServicePrincipalAccess", edit(func(doc map[string]any) {
			delete(bySid(doc, "AllowServicePrincipalAccess"), "Condition")
		})},
		{"service statement without conditions (service-denied)", "service-denied", "AllowServicePrincipalAccess", edit(func(doc map[string]any) {
			delete(bySid(doc, "AllowServicePrincipalAccess"), "Condition")
		})},
		{"DescribeKey under an encryption-context condition", "lifecycle", "AllowCallerAccess", edit(func(doc map[string]any) {
			doc["Statement"] = stmts(doc)[1:] // no root delegation either
			bySid(doc, "AllowCallerAccess")["Condition"] = bySid(doc, "AllowCallerCryptoOps")["Condition"]
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Run(context.Background(), []string{tc.scenario}, Options{Policy: tc.policy})
			if err != nil {
				t.Fatal(err)
			}
			res := rep.Scenarios[0]
			if res.Met || res.Statement != tc.statement {
				t.Fatalf("met=%v statement=%q missed=%q", res.Met, res.Statement, res.Missed)
			}
			if tc.statement == "" && !strings.Contains(res.Fix, `add this statement: {"Sid":"AllowServicePrincipalAccess"`) {
				t.Errorf("fix %q: want the statement to add", res.Fix)
			}
			if tc.statement != "" && !strings.HasPrefix(res.Fix, "statement "+tc.statement+" ") {
				t.Errorf("fix %q: want it to name statement %s", res.Fix, tc.statement)
			}
		})
	}
}

// TestFixNamesTheUsersStatement: a policy of the user's own, with its own
// Sids, from a file: the hint names its statement and line, never a
// canonical Sid the policy lacks.
func TestFixNamesTheUsersStatement(t *testing.T) {
	src := `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "Callers", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole"},
     "Action": ["kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"},
    {"Sid": "AllowAgentCore", "Effect": "Allow", "Principal": {"Service": "bedrock-agentcore.amazonaws.com"},
     "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*"}
  ]
}`
	node, err := policy.ParseJSON("mine.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), []string{"confused-deputy", "service-denied"},
		Options{Policy: node.AppendJSON(nil), PolicyNode: node, PolicyFile: "mine.json"})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range rep.Scenarios {
		if res.Met || res.Statement != "AllowAgentCore" || !strings.HasPrefix(res.Fix, "statement AllowAgentCore (mine.json:7) allows service:bedrock-agentcore.amazonaws.com") {
			t.Errorf("%s: met=%v statement=%q fix=%q", res.Name, res.Met, res.Statement, res.Fix)
		}
		if strings.Contains(res.Fix, "AllowServicePrincipalAccess") {
			t.Errorf("%s: fix names a statement the policy lacks: %q", res.Name, res.Fix)
		}
	}
}

func TestUnknownScenario(t *testing.T) {
	if _, err := Run(context.Background(), []string{"nope"}, Options{}); err == nil || !strings.Contains(err.Error(), "lifecycle") {
		t.Fatalf("err = %v", err)
	}
}

// TestConfusedDeputyInTheOutsidersAccount: when the recommendations live in
// the account the scenarios use as the outsider by default, another one
// plays the outsider, so the scenario still tests another account.
func TestConfusedDeputyInTheOutsidersAccount(t *testing.T) {
	acct := agentcore.ForeignAccount
	rep, err := Run(context.Background(), []string{"confused-deputy"}, Options{Account: acct, Caller: "arn:aws:iam::" + acct + ":role/MyRecommendationRole"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Met != 1 {
		b, _ := json.MarshalIndent(rep, "", "  ")
		t.Fatalf("summary %+v\n%s", rep.Summary, b)
	}
}
