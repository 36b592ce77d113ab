package authz

import (
	"testing"

	"github.com/kmslint/kmslint/internal/policy"
)

// FuzzDecide feeds arbitrary condition blocks and request values through
// parse -> compile -> decide. Beyond "no panic", it checks that the decision
// is a function of the policy's meaning: re-serialising the parsed document
// and deciding again must agree, and the explained and unexplained paths
// must agree.
func FuzzDecide(f *testing.F) {
	seeds := []struct{ block, key, value string }{
		{`{"StringLike":{"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn":"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}`, ecKey, recARN},
		{`{"ArnEquals":{"aws:SourceArn":"arn:aws:*:*:111122223333:*"}}`, "aws:SourceArn", recARN},
		{`{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["a","${k:y}"]}}`, "k:y", "a"},
		{`{"NumericLessThanIfExists":{"k:n":"1e3"}}`, "k:n", "999.5"},
		{`{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"},"Null":{"k:x":"false"}}`, "aws:CurrentTime", "2026-11-30T00:00:00Z"},
		{`{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1/128"]}}`, "aws:SourceIp", "10.1.2.3"},
		{`{"StringNotEqualsIgnoreCase":{"k:x":"${aws:username, 'x'}"}}`, "aws:username", "X"},
		{`{"Bool":{"aws:SecureTransport":true}}`, "aws:SecureTransport", "TRUE"},
		{`{"BinaryEquals":{"k:b":"AAEC"}}`, "k:b", "AAEC"},
	}
	for _, s := range seeds {
		f.Add(s.block, s.key, s.value, "kms:Decrypt")
	}
	f.Fuzz(func(t *testing.T, block, key, value, action string) {
		doc := cond(block)
		p, err := policy.ParseKeyPolicy("f.json", []byte(doc))
		if err != nil || !p.Valid() {
			return
		}
		cp, err := Compile("k", p)
		if err != nil {
			t.Fatalf("valid policy did not compile: %v", err)
		}
		root, err := policy.ParseJSON("f.json", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		again, err := policy.ParseKeyPolicy("g.json", root.AppendJSON(nil))
		if err != nil {
			t.Fatalf("re-parse of serialised policy failed: %v", err)
		}
		cp2, err := Compile("k", again)
		if err != nil {
			t.Fatalf("re-parsed policy did not compile: %v", err)
		}
		for _, c := range []*Context{ctx(map[string]any{key: value}), ctx(map[string]any{key: []string{value, value + "x"}}), ctx(nil)} {
			req := &Request{Principal: mustPrincipal(t, roleSession), Action: action, Resource: keyARN, Context: c}
			e1, e2 := &Engine{Key: cp}, &Engine{Key: cp2}
			d1 := e1.Decide(req)
			if d2 := e2.Decide(req); d1.Decision != d2.Decision {
				t.Fatalf("re-parse changed the decision: %v vs %v for %s", d1.Decision, d2.Decision, doc)
			}
			if d := e1.Allowed(req); d != d1.Decision {
				t.Fatalf("Allowed = %v, Decide = %v", d, d1.Decision)
			}
			if len(d1.Statements) != 1 || d1.Statements[0].Reason == "" {
				t.Fatalf("statement without a reason: %+v", d1.Statements)
			}
		}
	})
}

// BenchmarkDecide decides a mix of the workflow's requests on the canonical
// policy: callers through the service, the service principal, outsiders.
func BenchmarkDecide(b *testing.B) {
	e := &Engine{Key: compileKey(b, canonical)}
	svc := mustPrincipal(b, "service:bedrock-agentcore.amazonaws.com")
	caller := mustPrincipal(b, roleSession)
	outsider := mustPrincipal(b, "arn:aws:iam::444455556666:role/Outsider")
	reqs := []*Request{
		{Principal: caller, Action: "kms:DescribeKey", Resource: keyARN, Context: ctx(map[string]any{"aws:ViaAWSService": "true", "kms:CallerAccount": "111122223333"})},
		{Principal: caller, Action: "kms:GenerateDataKey", Resource: keyARN, Context: ctx(map[string]any{ecKey: recARN, "kms:CallerAccount": "111122223333"})},
		{Principal: svc, Action: "kms:Decrypt", Resource: keyARN, Context: ctx(map[string]any{ecKey: recARN, "aws:SourceAccount": "111122223333", "aws:SourceArn": recARN})},
		{Principal: svc, Action: "kms:Decrypt", Resource: keyARN, Context: ctx(map[string]any{"aws:SourceAccount": "444455556666"})},
		{Principal: outsider, Action: "kms:Decrypt", Resource: keyARN, Context: ctx(nil)},
	}
	b.Run("explained", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = e.Decide(reqs[i%len(reqs)])
		}
	})
	b.Run("allowed-only", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = e.Allowed(reqs[i%len(reqs)])
		}
	})
}
