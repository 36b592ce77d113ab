package world_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	. "github.com/kmslint/kmslint/internal/world"
)

const keyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

func principal(t *testing.T, s string) authz.Principal {
	t.Helper()
	p, err := authz.ParsePrincipal(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestContextChecks: what Context builds, Check accepts, for every kind of
// caller and way of calling.
func TestContextChecks(t *testing.T) {
	session := principal(t, "arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/s")
	session.RolePath = "/app/"
	calls := []Call{
		{Principal: session, Key: keyARN, Action: "kms:Decrypt", UserID: "AROAEXAMPLE", EncryptionContext: []Pair{{"aws:bedrock-agentcore:recommendationArn", "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/R-1"}}},
		{Principal: session, Key: keyARN, Action: "kms:GenerateDataKey", Via: FAS, ViaService: "bedrock-agentcore.us-east-1.amazonaws.com", CalledVia: []string{"bedrock-agentcore.amazonaws.com"}, EmptyKeys: true, Time: time.Unix(1767225600, 0)},
		{Principal: principal(t, "arn:aws:iam::111122223333:user/ops"), Key: keyARN, Action: "kms:DescribeKey", UserID: "AIDAEXAMPLE", OrgID: "o-abc123", OrgPaths: []string{"o-abc123/r-ab12/"}},
		{Principal: principal(t, "111122223333"), Key: keyARN, Action: "kms:PutKeyPolicy"},
		{Principal: principal(t, "arn:aws:sts::444455556666:federated-user/bob"), Key: keyARN, Action: "kms:Encrypt"},
		{Principal: principal(t, "service:bedrock-agentcore.amazonaws.com"), Key: keyARN, Action: "kms:Decrypt", SourceAccount: "111122223333", SourceArn: "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/R-1"},
		{Principal: principal(t, "service:s3.amazonaws.com"), Key: keyARN, Action: "kms:Decrypt", SourceAccount: "111122223333", SourceArn: "arn:aws:s3:::bucket"},
		{Principal: principal(t, "anonymous"), Key: keyARN, Action: "kms:Decrypt", Extra: []KV{{"aws:SourceIp", authz.Value{Values: []string{"192.0.2.1"}}}}},
	}
	for _, c := range calls {
		if err := Check(Request(c)); err != nil {
			t.Errorf("%s %s: %v", c.Principal, c.Action, err)
		}
	}
}

// TestCheckRejects: contexts no AWS request has.
func TestCheckRejects(t *testing.T) {
	session := principal(t, "arn:aws:sts::111122223333:assumed-role/R/s")
	base := func() Call {
		return Call{Principal: session, Key: keyARN, Action: "kms:Decrypt", UserID: "AROAX"}
	}
	cases := []struct {
		name string
		edit func(r *authz.Request)
		want string
	}{
		{"caller account of another account", func(r *authz.Request) { r.Context.Set("kms:CallerAccount", "444455556666") }, "kms:CallerAccount"},
		{"source keys on an IAM principal", func(r *authz.Request) { r.Context.Set("aws:SourceAccount", "111122223333") }, "aws:SourceAccount"},
		{"via service without FAS", func(r *authz.Request) { r.Context.Set("kms:ViaService", "s3.us-east-1.amazonaws.com") }, "kms:ViaService"},
		{"encryption context without its keys", func(r *authz.Request) { r.Context.Set("kms:EncryptionContext:a", "b") }, "kms:EncryptionContextKeys"},
		{"keys that do not list the context", func(r *authz.Request) {
			r.Context.Set("kms:EncryptionContext:a", "b")
			r.Context.SetMulti("kms:EncryptionContextKeys", "c")
		}, "does not list"},
		{"single-valued CalledVia", func(r *authz.Request) { r.Context.Set("aws:CalledVia", "s3.amazonaws.com") }, "cardinality"},
		{"principal of another partition", func(r *authz.Request) { r.Principal.Partition = "aws-cn" }, "partition"},
		{"time keys apart", func(r *authz.Request) {
			r.Context.Set("aws:CurrentTime", "2026-01-01T00:00:00Z")
			r.Context.Set("aws:EpochTime", "1")
		}, "same instant"},
	}
	for _, tc := range cases {
		req := Request(base())
		tc.edit(req)
		err := Check(req)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Check = %v, want an error about %s", tc.name, err, tc.want)
		}
	}
	svc := Request(Call{Principal: principal(t, "service:bedrock-agentcore.amazonaws.com"), Key: keyARN, Action: "kms:Decrypt",
		SourceAccount: "444455556666", SourceArn: "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/R-1"})
	if err := Check(svc); err == nil || !strings.Contains(err.Error(), "aws:SourceAccount") {
		t.Errorf("source account apart from the source ARN's: %v", err)
	}
}

// TestAgentcoreAgrees: the request model's contexts are the world's, key
// for key, so internal/agentcore can take them from Context (the world adds
// aws:userid, which the model leaves out).
func TestAgentcoreAgrees(t *testing.T) {
	env := agentcore.Env{Account: "111122223333", Region: "us-east-1", KeyARN: keyARN}
	caller := agentcore.CallerSession(principal(t, "arn:aws:iam::111122223333:role/MyRecommendationRole"), "kmslint")
	rec := agentcore.RecommendationARN("", env.Region, env.Account, agentcore.SampleID)
	var reqs []agentcore.Request
	reqs = append(reqs, agentcore.CallerRequests(env, caller, rec)...)
	reqs = append(reqs, agentcore.ServiceRequests(env, rec)...)
	for _, r := range reqs {
		c := Call{Principal: r.Request.Principal, Key: r.Request.Resource, Action: r.Request.Action, UserID: "AROAEXAMPLE"}
		if v, ok := r.Request.Context.Get("aws:ViaAWSService"); ok && v.Values[0] == "true" {
			c.Via, c.ViaService, c.CalledVia = FAS, agentcore.ViaService(env.Region), []string{agentcore.ServicePrincipal}
		}
		if v, ok := r.Request.Context.Get("aws:SourceAccount"); ok {
			c.SourceAccount = v.Values[0]
		}
		if v, ok := r.Request.Context.Get("aws:SourceArn"); ok {
			c.SourceArn = v.Values[0]
		}
		if v, ok := r.Request.Context.Get(agentcore.ConditionKey); ok {
			c.EncryptionContext = []Pair{{agentcore.ContextKey, v.Values[0]}}
		}
		w := Context(c)
		r.Request.Context.Each(func(k string, v authz.Value) {
			got, ok := w.Get(k)
			if !ok || strings.Join(got.Values, ",") != strings.Join(v.Values, ",") || got.Multi != v.Multi {
				t.Errorf("%s: %s is %q in the model, %q (present %v) in the world", r.Step, k, v.Values, got.Values, ok)
			}
		})
		if err := Check(Request(c)); err != nil {
			t.Errorf("%s: %v", r.Step, err)
		}
	}
}
