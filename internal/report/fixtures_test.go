package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

const liveKey = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

var testRules = []RuleMeta{
	{ID: "ACR004", Title: "Caller not scoped to this account's recommendations", Severity: SeverityWarning,
		Profile: "agentcore-recommendation", Description: "A caller can GenerateDataKey or Decrypt without the recommendation encryption context, or with one naming another account's or region's recommendation.",
		Fix: "Scope the caller's statement with StringLike on kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn set to arn:aws:bedrock-agentcore:REGION:ACCOUNT:recommendation/*."},
	{ID: "ACR006", Title: "Service principal open to confused deputy", Severity: SeverityError,
		Profile: "agentcore-recommendation", Description: "bedrock-agentcore.amazonaws.com is allowed for a foreign or absent aws:SourceAccount or aws:SourceArn, so another account's recommendation could use this key.",
		Fix:     "Add StringEquals aws:SourceAccount = ACCOUNT and ArnLike aws:SourceArn = arn:aws:bedrock-agentcore:REGION:ACCOUNT:recommendation/* to the service principal's statement.",
		HelpURI: "https://github.com/kmslint/kmslint/blob/main/docs/rules/ACR006.md"},
	{ID: "ACR007", Title: "Service principal not scoped by both source keys", Severity: SeverityWarning, Profile: "agentcore-recommendation"},
	{ID: "ACR009", Title: "Key is not a symmetric encryption key", Severity: SeverityError, Profile: "agentcore-recommendation"},
	{ID: "ACR012", Title: "Caller access decided by IAM policies", Severity: SeverityInfo, Profile: "agentcore-recommendation"},
	{ID: "KMS004", Title: "Key open to every principal, in every account", Severity: SeverityError},
	{ID: "KMS006", Title: "Resource other than \"*\"", Severity: SeverityWarning},
	{ID: "KMS008", Title: "Wildcard in a StringEquals value", Severity: SeverityError,
		Description: "StringEquals and StringNotEquals compare \"*\" literally.", Fix: "Use StringLike, or ArnLike for ARNs."},
}

// lintReport has a finding of every shape the writers must handle: with
// evidence and multi-valued context, suppressed, without position, in a
// minified one-line policy, and on a live key without a file. The findings
// are deliberately out of order.
func lintReport() *Report {
	rep := New(KindLint, "0.1.0")
	rep.Summary = Summary{Files: 3, Policies: 4}
	rep.Rules = testRules
	rep.Inputs = []string{"templates/key.yaml", "policies/key.json", "policies/clean.json", liveKey}
	rep.Findings = []Finding{
		{Rule: "ACR009", Severity: SeverityError, Title: "Key is not a symmetric encryption key",
			Message:  "key spec is RSA_2048 with usage SIGN_VERIFY; recommendations need SYMMETRIC_DEFAULT with ENCRYPT_DECRYPT",
			Resource: liveKey},
		{Rule: "KMS008", Severity: SeverityError, Title: "Wildcard in a StringEquals value",
			Message: `StringEquals compares "arn:aws:bedrock-agentcore:*:*:recommendation/*" literally, so "*" matches only an asterisk: use ArnLike`,
			File:    "templates/key.yaml", Line: 50, Column: 32, Resource: "RecommendationKey", Statement: "AllowServicePrincipalAccess"},
		{Rule: "ACR006", Severity: SeverityError, Title: "Service principal open to confused deputy",
			Message: "bedrock-agentcore.amazonaws.com may use this key for a recommendation in account 444455556666: aws:SourceAccount is not checked",
			File:    "templates/key.yaml", Line: 40, Column: 13, Resource: "RecommendationKey", Statement: "AllowServicePrincipalAccess",
			Evidence: &Evidence{
				Principal: "service:bedrock-agentcore.amazonaws.com", Action: "kms:Decrypt",
				Context: map[string]ContextValue{
					"aws:SourceAccount":         Single("444455556666"),
					"aws:SourceArn":             Single("arn:aws:bedrock-agentcore:us-east-1:444455556666:recommendation/MyPromptRec-AB1CD2EF3G"),
					"kms:EncryptionContextKeys": Multi("aws:bedrock-agentcore:recommendationArn"),
				},
				Decision:   "Allow",
				Statements: []string{"AllowServicePrincipalAccess"},
			}},
		{Rule: "ACR007", Severity: SeverityWarning, Title: "Service principal not scoped by both source keys",
			Message: "the service principal's access is not scoped by aws:SourceAccount",
			File:    "templates/key.yaml", Line: 40, Column: 13, Resource: "RecommendationKey", Statement: "AllowServicePrincipalAccess"},
		{Rule: "KMS006", Severity: SeverityWarning, Title: `Resource other than "*"`,
			Message: `Resource is !GetAtt RecommendationKey.Arn; in a key policy it should be "*"`,
			File:    "templates/key.yaml", Line: 36, Column: 23, Resource: "RecommendationKey", Statement: "AllowCallerCryptoOps",
			Suppressed: true},
		{Rule: "ACR012", Severity: SeverityInfo, Title: "Caller access decided by IAM policies",
			Message: "no statement names arn:aws:iam::111122223333:role/Admin; its access comes only through the account root, so IAM policies decide",
			File:    "policies/key.json"},
		{Rule: "ACR004", Severity: SeverityWarning, Title: "Caller not scoped to this account's recommendations",
			Message: "arn:aws:iam::111122223333:role/MyRecommendationRole can Decrypt with a recommendation of us-west-2",
			File:    "policies/key.json", Line: 1, Column: 434, Statement: "AllowCallerCryptoOps",
			Evidence: &Evidence{
				Principal: "arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/kmslint", Action: "kms:Decrypt",
				Context: map[string]ContextValue{
					"aws:CalledVia": Multi("bedrock-agentcore.amazonaws.com"),
					"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": Single("arn:aws:bedrock-agentcore:us-west-2:111122223333:recommendation/x"),
					"kms:EncryptionContextKeys":                                     Multi("aws:bedrock-agentcore:recommendationArn", "aws:s3:arn"),
				},
				Decision:   "ImplicitDeny",
				Statements: nil,
			}},
	}
	return rep
}

// timelines and inputErrors stand in for the audit package's own types.
type timeline struct {
	RecommendationARN string   `json:"recommendationArn"`
	Key               string   `json:"key"`
	Events            []string `json:"events"`
}

type timelines []timeline

func (ts timelines) WriteText(w io.Writer, _ Options) error {
	for _, t := range ts {
		if _, err := fmt.Fprintf(w, "timeline %s (key %s)\n", t.RecommendationARN, t.Key); err != nil {
			return err
		}
		for _, e := range t.Events {
			if _, err := fmt.Fprintf(w, "  %s\n", e); err != nil {
				return err
			}
		}
	}
	return nil
}

type inputError struct {
	File   string `json:"file"`
	Record int    `json:"record"`
	Error  string `json:"error"`
}

const rec = "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/MyPromptRec-AB1CD2EF3G"

func auditReport() *Report {
	rep := New(KindAudit, "0.1.0")
	rep.Summary = Summary{Files: 3, Records: 2900, KMSEvents: 240, Recommendations: 2}
	rep.Rules = []RuleMeta{
		{ID: "AUD001", Title: "Recommendation KMS call denied", Severity: SeverityError, Profile: "audit"},
		{ID: "AUD005", Title: "Recommendation never completed", Severity: SeverityWarning, Profile: "audit"},
		{ID: "AUD007", Title: "DryRun permission checks", Severity: SeverityInfo, Profile: "audit"},
	}
	rep.Findings = []Finding{
		{Rule: "AUD005", Severity: SeverityWarning, Title: "Recommendation never completed",
			Message:           "GenerateDataKey by the caller at 2025-06-01T10:00:00Z has no GenerateDataKey by bedrock-agentcore.amazonaws.com within 24h",
			RecommendationARN: rec, EventIDs: []string{"7f0c1c6e-0000-4000-8000-000000000001"}},
		{Rule: "AUD001", Severity: SeverityError, Title: "Recommendation KMS call denied",
			Message:           "Decrypt by bedrock-agentcore.amazonaws.com was denied: no statement allows the service principal with aws:SourceArn " + rec,
			File:              "trail/AWSLogs/111122223333/CloudTrail/us-east-1/2025/06/01/111122223333_CloudTrail_us-east-1_20250601T1005Z_a.json.gz",
			Resource:          liveKey,
			RecommendationARN: rec, EventIDs: []string{"7f0c1c6e-0000-4000-8000-000000000002"},
			Evidence: &Evidence{Principal: "service:bedrock-agentcore.amazonaws.com", Action: "kms:Decrypt",
				Context: map[string]ContextValue{
					"aws:SourceAccount": Single("111122223333"),
					"aws:SourceArn":     Single(rec),
				},
				Decision: "ImplicitDeny"}},
		{Rule: "AUD007", Severity: SeverityInfo, Title: "DryRun permission checks",
			Message:           "2 DryRun checks (GenerateDataKey, Decrypt) by arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/kmslint were allowed",
			RecommendationARN: rec, EventIDs: []string{"7f0c1c6e-0000-4000-8000-000000000003", "7f0c1c6e-0000-4000-8000-000000000004"},
			Suppressed: true},
	}
	rep.Timelines = timelines{{RecommendationARN: rec, Key: liveKey, Events: []string{
		"2025-06-01T10:00:00Z DescribeKey MyRecommendationRole via bedrock-agentcore ok",
		"2025-06-01T10:05:00Z Decrypt bedrock-agentcore.amazonaws.com AccessDenied",
	}}}
	rep.InputErrors = []inputError{{File: "trail/broken.json", Record: 3, Error: "eventTime: not an RFC 3339 time"}}
	return rep
}

// testSource reads finding files from testdata/src, as the CLI would read
// them from the working directory.
func testSource(file string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", "src", filepath.FromSlash(file)))
}
