package recommendation_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	bactypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/kmslint/kmslint/internal/generate"
	"github.com/kmslint/kmslint/simulator/kms"
	"github.com/kmslint/kmslint/simulator/recommendation"
)

const (
	account  = "111122223333"
	region   = "us-east-1"
	akCaller = "AKIAEXAMPLECALLER001"
	roleARN  = "arn:aws:iam::111122223333:role/MyRecommendationRole"
)

type env struct {
	t     *testing.T
	ctx   context.Context
	stack *recommendation.Stack
	kms   *awskms.Client
	ac    *bedrockagentcore.Client
}

func newEnv(t testing.TB) *env {
	t.Helper()
	st, err := recommendation.Start(recommendation.StackOptions{KMS: kms.Options{}})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := st.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	cfg, err := st.Config(akCaller)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{ctx: context.Background(), stack: st, kms: awskms.NewFromConfig(cfg), ac: bedrockagentcore.NewFromConfig(cfg)}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	return e
}

// canonicalPolicy is `kmslint generate` for the default identities.
func canonicalPolicy(t testing.TB) string {
	t.Helper()
	b, err := generate.JSON(generate.Options{Account: account, Region: region, Callers: []string{roleARN}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (e *env) createKey(t testing.TB, policy string, spec kmstypes.KeySpec) string {
	t.Helper()
	in := &awskms.CreateKeyInput{Policy: aws.String(policy)}
	if spec != "" {
		in.KeySpec = spec
	}
	out, err := e.kms.CreateKey(e.ctx, in)
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return *out.KeyMetadata.Arn
}

func promptConfig(text string) bactypes.RecommendationConfig {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &bactypes.RecommendationConfigMemberSystemPromptRecommendationConfig{Value: bactypes.SystemPromptRecommendationConfig{
		SystemPrompt: &bactypes.SystemPromptConfigMemberText{Value: text},
		AgentTraces: &bactypes.AgentTracesConfigMemberCloudwatchLogs{Value: bactypes.CloudWatchLogsTraceConfig{
			LogGroupArns: []string{"arn:aws:logs:us-east-1:111122223333:log-group:/agents/support"},
			ServiceNames: []string{"support-agent"},
			StartTime:    aws.Time(start), EndTime: aws.Time(start.Add(24 * time.Hour)),
		}},
	}}
}

func (e *env) start(t testing.TB, name, keyARN string) *bedrockagentcore.StartRecommendationOutput {
	t.Helper()
	in := &bedrockagentcore.StartRecommendationInput{Name: aws.String(name), Type: bactypes.RecommendationTypeSystemPromptRecommendation,
		RecommendationConfig: promptConfig("You are a support agent for " + name + ".")}
	if keyARN != "" {
		in.KmsKeyArn = aws.String(keyARN)
	}
	out, err := e.ac.StartRecommendation(e.ctx, in)
	if err != nil {
		t.Fatalf("StartRecommendation %s: %v", name, err)
	}
	return out
}

func (e *env) wait(t testing.TB, id string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	st, err := e.stack.Service.WaitFor(ctx, account, id)
	if err != nil {
		t.Fatalf("wait for %s: %v", id, err)
	}
	return st
}
