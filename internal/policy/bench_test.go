package policy

import (
	"os"
	"testing"
)

// BenchmarkParse measures the whole key-policy front end (JSON parse, build,
// size and character checks) on the canonical AgentCore policy.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/canonical.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := ParseKeyPolicy("canonical.json", data)
		if err != nil || len(p.Problems) != 0 {
			b.Fatalf("%v %v", err, p.Problems)
		}
	}
}

// BenchmarkParseJSON isolates the tokenizer on the same document.
func BenchmarkParseJSON(b *testing.B) {
	data, err := os.ReadFile("testdata/canonical.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseJSON("canonical.json", data); err != nil {
			b.Fatal(err)
		}
	}
}
