package lint

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/input"
)

// deployingTemplate is the canonical policy written as a template would
// be: the account, region and partition are those the stack deploys to.
const deployingTemplate = `Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Sid: EnableIAMUserPermissions
            Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
          - Sid: AllowCallerAccess
            Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/MyRecommendationRole"}
            Action: kms:DescribeKey
            Resource: "*"
          - Sid: AllowCallerCryptoOps
            Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/MyRecommendationRole"}
            Action: [kms:GenerateDataKey, kms:Decrypt]
            Resource: "*"
            Condition:
              StringLike:
                kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn: !Sub "arn:${AWS::Partition}:bedrock-agentcore:${AWS::Region}:${AWS::AccountId}:recommendation/*"
          - Sid: AllowServicePrincipalAccess
            Effect: Allow
            Principal: {Service: bedrock-agentcore.amazonaws.com}
            Action: [kms:GenerateDataKey, kms:Decrypt]
            Resource: "*"
            Condition:
              StringEquals: {aws:SourceAccount: !Ref AWS::AccountId}
              ArnLike: {aws:SourceArn: !Sub "arn:${AWS::Partition}:bedrock-agentcore:${AWS::Region}:${AWS::AccountId}:recommendation/*"}
`

func lintTemplate(t *testing.T, name, src string, env Env) ([]input.Document, []*input.Error, []string) {
	t.Helper()
	f, err := input.Load(name, []byte(src), input.Env{AccountID: env.Account, Region: env.Region})
	if err != nil {
		t.Fatal(err)
	}
	l := newTestLinter(t, Options{})
	fs, errs, err := l.LintEach(context.Background(), f.Documents, env)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, f := range fs {
		msgs = append(msgs, f.Rule+" "+f.Message)
	}
	return f.Documents, errs, msgs
}

// TestDeployingPlaceholders: a template that names its own account and
// region only through AWS::AccountId and AWS::Region lints without flags,
// the profile rules running on one consistent account: the role, the root
// and aws:SourceAccount are the key's own, no outsider.
func TestDeployingPlaceholders(t *testing.T) {
	_, errs, msgs := lintTemplate(t, "t.yaml", deployingTemplate, Env{})
	if len(errs) != 0 {
		t.Fatalf("input errors %v", errs)
	}
	if len(msgs) != 0 {
		t.Errorf("findings on a correct template: %q", msgs)
	}
}

// TestDeployingPlaceholdersFindings: a flaw is still found, and the message
// names the account as the template does.
func TestDeployingPlaceholdersFindings(t *testing.T) {
	src := strings.Replace(deployingTemplate, "              StringEquals: {aws:SourceAccount: !Ref AWS::AccountId}\n", "", 1)
	src = strings.Replace(src, `ArnLike: {aws:SourceArn: !Sub "arn:${AWS::Partition}:bedrock-agentcore:${AWS::Region}:${AWS::AccountId}:recommendation/*"}`,
		`ArnLike: {aws:SourceArn: "arn:aws:bedrock-agentcore:*:*:recommendation/*"}`, 1)
	_, errs, msgs := lintTemplate(t, "t.yaml", src, Env{})
	if len(errs) != 0 {
		t.Fatalf("input errors %v", errs)
	}
	joined := strings.Join(msgs, "\n")
	if !strings.Contains(joined, "ACR006") {
		t.Errorf("no ACR006 for a service principal open to any account: %q", msgs)
	}
	if strings.Contains(joined, "000000000000") || strings.Contains(joined, "deploying-region-1") {
		t.Errorf("a message shows a placeholder value rather than its name: %q", msgs)
	}
}

// TestDeployingAndLiteralAccount: the deploying account and a literal one
// in aws:SourceAccount are ambiguous; that document is an input error and
// the others are still linted.
func TestDeployingAndLiteralAccount(t *testing.T) {
	bad := strings.Replace(deployingTemplate, "{aws:SourceAccount: !Ref AWS::AccountId}", "{aws:SourceAccount: \"444455556666\"}", 1)
	bad = strings.Replace(bad, "  Key:\n", "  Other:\n", 1)
	src := deployingTemplate + strings.SplitN(bad, "Resources:\n", 2)[1]
	docs, errs, _ := lintTemplate(t, "t.yaml", src, Env{})
	if len(docs) != 2 || len(errs) != 1 {
		t.Fatalf("%d documents, input errors %v: want 2 and one error", len(docs), errs)
	}
	if msg := errs[0].Error(); !strings.Contains(msg, "Other: the policy names the account the template deploys to (${AWS::AccountId}) and also 444455556666") {
		t.Errorf("error %q", msg)
	}
}

// TestTerraformGenerated: generate's Terraform lints clean.
func TestTerraformGenerated(t *testing.T) {
	src, err := os.ReadFile("../input/testdata/tf/hcl/generated.tf")
	if err != nil {
		t.Fatal(err)
	}
	docs, errs, msgs := lintTemplate(t, "key.tf", string(src), Env{})
	if len(docs) != 1 || len(errs) != 0 || len(msgs) != 0 {
		t.Errorf("%d documents, errors %v, findings %q", len(docs), errs, msgs)
	}
}

// TestTemplateNamingNoAccount: a template's key lives in the account and
// region it is deployed to even when its policy names neither.
func TestTemplateNamingNoAccount(t *testing.T) {
	src := `Resources:
  Open:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: kms:*
            Resource: "*"
`
	_, errs, msgs := lintTemplate(t, "t.yaml", src, Env{})
	if len(errs) != 0 {
		t.Fatalf("input errors %v", errs)
	}
	joined := strings.Join(msgs, "\n")
	if !strings.Contains(joined, "KMS004") || !strings.Contains(joined, `"kms:CallerAccount": "${AWS::AccountId}"`) || strings.Contains(joined, "000000000000") {
		t.Errorf("findings %q: want KMS004, the account named as the deploying one", msgs)
	}
	// A raw policy deploys nowhere kmslint knows: the account is asked for.
	raw := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]}`
	_, errs, _ = lintTemplate(t, "p.json", raw, Env{Region: "us-east-1"})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "give the recommendations' account with --account") {
		t.Errorf("raw policy: errors %v, want one asking for --account", errs)
	}
}
