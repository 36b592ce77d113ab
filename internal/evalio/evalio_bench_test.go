package evalio

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
)

const benchRec = "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/MyPromptRec-AB1CD2EF3G"

// benchLines is a mix like bench/eval-throughput.sh's.
var benchLines = []string{
	`{"principal":"arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/kmslint","action":"kms:DescribeKey","context":{"aws:ViaAWSService":"true","aws:CalledVia":["bedrock-agentcore.amazonaws.com"],"kms:ViaService":"bedrock-agentcore.us-east-1.amazonaws.com","kms:CallerAccount":"111122223333"}}`,
	`{"principal":"arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/kmslint","action":"kms:GenerateDataKey","context":{"aws:ViaAWSService":"true","kms:CallerAccount":"111122223333","kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn":"` + benchRec + `"}}`,
	`{"principal":"service:bedrock-agentcore.amazonaws.com","action":"kms:Decrypt","context":{"aws:SourceAccount":"111122223333","aws:SourceArn":"` + benchRec + `","kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn":"` + benchRec + `"}}`,
	`{"principal":"arn:aws:iam::444455556666:role/Outsider","action":"kms:Decrypt","context":{"kms:CallerAccount":"444455556666"}}`,
}

func benchEngine(b *testing.B) *authz.Engine {
	data, err := os.ReadFile("../../policies/canonical.json")
	if err != nil {
		b.Fatal(err)
	}
	return engineOf(b, "canonical.json", data)
}

// engineOf compiles a key policy for the tests.
func engineOf(tb testing.TB, name string, data []byte) *authz.Engine {
	tb.Helper()
	p, err := policy.ParseKeyPolicy(name, data)
	if err != nil {
		tb.Fatal(err)
	}
	cp, err := authz.Compile("key policy", p)
	if err != nil {
		tb.Fatal(err)
	}
	return &authz.Engine{Key: cp}
}

// BenchmarkBatch measures eval --requests without process start-up:
// decode, decide with explanations, encode, in order.
func BenchmarkBatch(b *testing.B) {
	e := benchEngine(b)
	var in strings.Builder
	const n = 10000
	for i := 0; i < n; i++ {
		in.WriteString(benchLines[i%len(benchLines)])
		in.WriteByte('\n')
	}
	data := []byte(in.String())
	tmpl := RequestTemplate{Resource: KeyARNIn("111122223333")}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Batch("bench", bytes.NewReader(data), io.Discard, e, tmpl, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "decisions/s")
}

func BenchmarkParseRequestLine(b *testing.B) {
	cache := &PrincipalCache{}
	tmpl := RequestTemplate{Resource: KeyARNIn("111122223333")}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseRequestLine("b", 1, []byte(benchLines[i%len(benchLines)]), tmpl, cache); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecideExplain(b *testing.B) {
	e := benchEngine(b)
	cache := &PrincipalCache{}
	tmpl := RequestTemplate{Resource: KeyARNIn("111122223333")}
	reqs := make([]authz.Request, len(benchLines))
	for i, l := range benchLines {
		reqs[i], _ = ParseRequestLine("b", 1, []byte(l), tmpl, cache)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var buf []byte
	for i := 0; i < b.N; i++ {
		r := e.Decide(&reqs[i%len(reqs)])
		buf = AppendResultJSON(buf[:0], &r)
	}
}
