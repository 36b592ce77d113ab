package recommendation_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	bactypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/simulator/kms/trail"
)

func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// step is one KMS record in compact form: who, what, outcome.
func step(r trail.Record) string {
	who := r.UserIdentity.Type
	if r.UserIdentity.InvokedBy != "" && r.UserIdentity.Type != "AWSService" {
		who += " via " + r.UserIdentity.InvokedBy
	}
	out := r.ErrorCode
	if out == "" {
		out = "ok"
	}
	return fmt.Sprintf("%s %s %s", r.EventName, who, out)
}

func kmsSteps(recs []trail.Record) []string {
	var out []string
	for _, r := range recs {
		if r.EventName == "CreateKey" || r.EventName == "DisableKey" || r.EventName == "ScheduleKeyDeletion" {
			continue
		}
		out = append(out, step(r))
	}
	return out
}

func TestLifecycleThroughOfficialClient(t *testing.T) {
	e := newEnv(t)
	key := e.createKey(t, canonicalPolicy(t), "")
	e.stack.KMS.ResetTrail()

	st := e.start(t, "MyPromptRec", key)
	if st.Status != bactypes.RecommendationStatusPending || !agentcore.ValidRecommendationID(*st.RecommendationId) ||
		*st.RecommendationArn != agentcore.RecommendationARN("aws", region, account, *st.RecommendationId) {
		t.Fatalf("Start returned %s %s %s", st.Status, *st.RecommendationId, *st.RecommendationArn)
	}
	if _, ok := st.RecommendationConfig.(*bactypes.RecommendationConfigMemberSystemPromptRecommendationConfig); !ok {
		t.Fatalf("Start returned config %T", st.RecommendationConfig)
	}
	if got := e.wait(t, *st.RecommendationId); got != recommendationCompleted {
		t.Fatalf("workflow ended %s", got)
	}
	get, err := e.ac.GetRecommendation(e.ctx, &bedrockagentcore.GetRecommendationInput{RecommendationId: st.RecommendationId})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	res, ok := get.RecommendationResult.(*bactypes.RecommendationResultMemberSystemPromptRecommendationResult)
	if !ok || !strings.HasPrefix(aws.ToString(res.Value.RecommendedSystemPrompt), "You are a support agent for MyPromptRec.") {
		t.Fatalf("Get result %#v", get.RecommendationResult)
	}
	cfg, ok := get.RecommendationConfig.(*bactypes.RecommendationConfigMemberSystemPromptRecommendationConfig)
	if !ok || cfg.Value.SystemPrompt.(*bactypes.SystemPromptConfigMemberText).Value != "You are a support agent for MyPromptRec." {
		t.Fatalf("Get config %#v", get.RecommendationConfig)
	}
	if aws.ToString(get.KmsKeyArn) != key || get.Status != bactypes.RecommendationStatusCompleted {
		t.Fatalf("Get key %s status %s", aws.ToString(get.KmsKeyArn), get.Status)
	}
	list, err := e.ac.ListRecommendations(e.ctx, &bedrockagentcore.ListRecommendationsInput{})
	if err != nil || len(list.RecommendationSummaries) != 1 || *list.RecommendationSummaries[0].RecommendationId != *st.RecommendationId {
		t.Fatalf("List: %v %+v", err, list)
	}
	del, err := e.ac.DeleteRecommendation(e.ctx, &bedrockagentcore.DeleteRecommendationInput{RecommendationId: st.RecommendationId})
	if err != nil || del.Status != bactypes.RecommendationStatusDeleting {
		t.Fatalf("Delete: %v %+v", err, del)
	}
	_, err = e.ac.GetRecommendation(e.ctx, &bedrockagentcore.GetRecommendationInput{RecommendationId: st.RecommendationId})
	var nf *bactypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("Get after Delete: %v", err)
	}

	recs := e.stack.KMS.Trail()
	want := []string{
		"DescribeKey AssumedRole via bedrock-agentcore.amazonaws.com ok",
		"GenerateDataKey AssumedRole via bedrock-agentcore.amazonaws.com DryRunOperationException",
		"Decrypt AssumedRole via bedrock-agentcore.amazonaws.com DryRunOperationException",
		"GenerateDataKey AssumedRole via bedrock-agentcore.amazonaws.com ok",
		"Decrypt AWSService ok",
		"GenerateDataKey AWSService ok",
		"Decrypt AssumedRole via bedrock-agentcore.amazonaws.com ok",
		"Decrypt AssumedRole via bedrock-agentcore.amazonaws.com ok",
	}
	if got := kmsSteps(recs); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("KMS calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, r := range recs {
		ec := recordContext(t, r)
		if r.EventName == "DescribeKey" {
			if len(ec) != 0 {
				t.Errorf("DescribeKey with encryption context %v", ec)
			}
			continue
		}
		if len(ec) != 1 || ec[agentcore.ContextKey] != *st.RecommendationArn {
			t.Errorf("%s encryption context %v", step(r), ec)
		}
	}
}

const recommendationCompleted = "COMPLETED"

func recordContext(t *testing.T, r trail.Record) map[string]string {
	t.Helper()
	b, err := jsonMarshal(r.RequestParameters)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		EncryptionContext map[string]string `json:"encryptionContext"`
	}
	if err := jsonUnmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p.EncryptionContext
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	key := e.createKey(t, canonicalPolicy(t), "")
	asym := e.createKey(t, canonicalPolicy(t), kmstypes.KeySpecRsa2048)
	wrongRegion := strings.Replace(key, ":us-east-1:", ":us-west-2:", 1)
	missing := key[:len(key)-12] + "000000000000"
	for _, tc := range []struct {
		name, recName, key, code string
	}{
		{"invalid name", "1-bad name", "", "ValidationException"},
		{"name too long", "a" + strings.Repeat("b", 48), "", "ValidationException"},
		{"asymmetric key", "AsymRec", asym, "ValidationException"},
		{"wrong region", "WrongRegion", wrongRegion, "ValidationException"},
		{"missing key", "MissingKey", missing, "ValidationException"},
		{"not a key ARN", "AliasRec", "alias/foo", "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.stack.KMS.ResetTrail()
			in := &bedrockagentcore.StartRecommendationInput{Name: aws.String(tc.recName), Type: bactypes.RecommendationTypeSystemPromptRecommendation, RecommendationConfig: promptConfig("x")}
			if tc.key != "" {
				in.KmsKeyArn = aws.String(tc.key)
			}
			_, err := e.ac.StartRecommendation(e.ctx, in)
			if errCode(err) != tc.code {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
			var ve *bactypes.ValidationException
			if tc.recName == "1-bad name" && (!errors.As(err, &ve) || len(ve.FieldList) != 1 || *ve.FieldList[0].Name != "name") {
				t.Errorf("validation error %+v", err)
			}
			list, err := e.ac.ListRecommendations(e.ctx, &bedrockagentcore.ListRecommendationsInput{})
			if err != nil || len(list.RecommendationSummaries) != 0 {
				t.Errorf("a refused Start stored something: %v %d", err, len(list.RecommendationSummaries))
			}
			for _, r := range e.stack.KMS.Trail() {
				if r.EventName != "DescribeKey" {
					t.Errorf("refused Start made %s", step(r))
				}
			}
		})
	}
	// An unknown id is ResourceNotFound; a malformed one a ValidationException.
	_, err := e.ac.GetRecommendation(e.ctx, &bedrockagentcore.GetRecommendationInput{RecommendationId: aws.String("Nope-AAAAAAAAAA")})
	if errCode(err) != "ResourceNotFoundException" {
		t.Errorf("Get missing: %v", err)
	}
	_, err = e.ac.DeleteRecommendation(e.ctx, &bedrockagentcore.DeleteRecommendationInput{RecommendationId: aws.String("Nope-AAAAAAAAAA")})
	if errCode(err) != "ResourceNotFoundException" {
		t.Errorf("Delete missing: %v", err)
	}
	_, err = e.ac.GetRecommendation(e.ctx, &bedrockagentcore.GetRecommendationInput{RecommendationId: aws.String("bad")})
	if errCode(err) != "ValidationException" {
		t.Errorf("Get malformed id: %v", err)
	}
	// A duplicate name is a conflict; the same clientToken returns the same
	// recommendation.
	in := &bedrockagentcore.StartRecommendationInput{Name: aws.String("Dup"), Type: bactypes.RecommendationTypeSystemPromptRecommendation,
		RecommendationConfig: promptConfig("x"), ClientToken: aws.String("token-1")}
	first, err := e.ac.StartRecommendation(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.ac.StartRecommendation(e.ctx, in)
	if err != nil || *again.RecommendationId != *first.RecommendationId {
		t.Errorf("retry with the same clientToken: %v", err)
	}
	in.ClientToken = aws.String("token-2")
	if _, err := e.ac.StartRecommendation(e.ctx, in); errCode(err) != "ConflictException" {
		t.Errorf("duplicate name: %v", err)
	}
	in.ClientToken, in.Description = aws.String("token-1"), aws.String("changed")
	if _, err := e.ac.StartRecommendation(e.ctx, in); errCode(err) != "ValidationException" {
		t.Errorf("clientToken reused with other parameters: %v", err)
	}
	if _, err := e.ac.ListRecommendations(e.ctx, &bedrockagentcore.ListRecommendationsInput{MaxResults: aws.Int32(101)}); errCode(err) != "ValidationException" {
		t.Errorf("maxResults 101: %v", err)
	}
	if _, err := e.ac.ListRecommendations(e.ctx, &bedrockagentcore.ListRecommendationsInput{NextToken: aws.String("garbage")}); errCode(err) != "ValidationException" {
		t.Errorf("bad nextToken: %v", err)
	}
}

func TestPaging(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, *e.start(t, fmt.Sprintf("Rec%d", i), "").RecommendationId)
	}
	for _, id := range ids {
		e.wait(t, id)
	}
	var got []string
	pages := 0
	p := bedrockagentcore.NewListRecommendationsPaginator(e.ac, &bedrockagentcore.ListRecommendationsInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, s := range out.RecommendationSummaries {
			got = append(got, *s.RecommendationId)
		}
	}
	if pages != 3 || strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Fatalf("%d pages: %v, want %v", pages, got, ids)
	}
	out, err := e.ac.ListRecommendations(e.ctx, &bedrockagentcore.ListRecommendationsInput{StatusFilter: bactypes.RecommendationStatusFailed})
	if err != nil || len(out.RecommendationSummaries) != 0 {
		t.Fatalf("FAILED filter: %v %d", err, len(out.RecommendationSummaries))
	}
	out, err = e.ac.ListRecommendations(e.ctx, &bedrockagentcore.ListRecommendationsInput{StatusFilter: bactypes.RecommendationStatusCompleted})
	if err != nil || len(out.RecommendationSummaries) != 5 {
		t.Fatalf("COMPLETED filter: %v %d", err, len(out.RecommendationSummaries))
	}
}

// Without the service principal's statement the caller-side checks pass
// and the asynchronous workflow fails.
func TestNoServiceStatementFails(t *testing.T) {
	e := newEnv(t)
	pol := canonicalPolicy(t)
	i := strings.Index(pol, `,
    {
      "Sid": "AllowServicePrincipalAccess"`)
	if i < 0 {
		t.Fatalf("generated policy has no AllowServicePrincipalAccess:\n%s", pol)
	}
	key := e.createKey(t, pol[:i]+"\n  ]\n}", "")
	st := e.start(t, "NoService", key)
	if got := e.wait(t, *st.RecommendationId); got != "FAILED" {
		t.Fatalf("workflow ended %s", got)
	}
	get, err := e.ac.GetRecommendation(e.ctx, &bedrockagentcore.GetRecommendationInput{RecommendationId: st.RecommendationId})
	if err != nil {
		t.Fatal(err)
	}
	res, ok := get.RecommendationResult.(*bactypes.RecommendationResultMemberSystemPromptRecommendationResult)
	if !ok || aws.ToString(res.Value.ErrorCode) != "AccessDeniedException" || !strings.Contains(aws.ToString(res.Value.ErrorMessage), "Decrypt") {
		t.Fatalf("FAILED result %#v", get.RecommendationResult)
	}
}

func TestDisabledAndDeletedKey(t *testing.T) {
	for _, tc := range []struct {
		name    string
		disable func(e *env, key string) error
	}{
		{"disabled", func(e *env, key string) error {
			_, err := e.kms.DisableKey(e.ctx, &awskms.DisableKeyInput{KeyId: aws.String(key)})
			return err
		}},
		{"pending deletion", func(e *env, key string) error {
			_, err := e.kms.ScheduleKeyDeletion(e.ctx, &awskms.ScheduleKeyDeletionInput{KeyId: aws.String(key), PendingWindowInDays: aws.Int32(7)})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			key := e.createKey(t, canonicalPolicy(t), "")
			st := e.start(t, "Before", key)
			e.wait(t, *st.RecommendationId)
			if err := tc.disable(e, key); err != nil {
				t.Fatal(err)
			}
			in := &bedrockagentcore.StartRecommendationInput{Name: aws.String("After"), Type: bactypes.RecommendationTypeSystemPromptRecommendation,
				RecommendationConfig: promptConfig("x"), KmsKeyArn: aws.String(key)}
			if _, err := e.ac.StartRecommendation(e.ctx, in); errCode(err) != "ValidationException" {
				t.Errorf("Start: %v", err)
			}
			_, err := e.ac.GetRecommendation(e.ctx, &bedrockagentcore.GetRecommendationInput{RecommendationId: st.RecommendationId})
			if errCode(err) != "ValidationException" {
				t.Errorf("Get: %v", err)
			}
			e.stack.KMS.ResetTrail()
			list, err := e.ac.ListRecommendations(e.ctx, &bedrockagentcore.ListRecommendationsInput{})
			if err != nil || len(list.RecommendationSummaries) != 1 {
				t.Errorf("List: %v", err)
			}
			if _, err := e.ac.DeleteRecommendation(e.ctx, &bedrockagentcore.DeleteRecommendationInput{RecommendationId: st.RecommendationId}); err != nil {
				t.Errorf("Delete: %v", err)
			}
			if n := len(e.stack.KMS.Trail()); n != 0 {
				t.Errorf("List and Delete made %d KMS calls", n)
			}
		})
	}
}
