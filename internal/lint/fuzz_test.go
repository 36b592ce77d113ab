package lint

import (
	"context"
	"testing"

	"github.com/kmslint/kmslint/internal/input"
	"github.com/kmslint/kmslint/internal/policy"
)

// FuzzLint feeds arbitrary documents through inference, the input builder,
// the built-ins and every rule: bad input must give findings or an error,
// never a panic.
func FuzzLint(f *testing.F) {
	f.Add(canonical(f))
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}`))
	f.Add([]byte(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/R"},"Action":"kms:DescribeKey","Resource":"*","Condition":{"ForAllValues:StringLike":{"kms:EncryptionContextKeys":"*"}}}]}`))
	f.Add([]byte(`{"Statement":[{"Effect":"Deny"}],"Statement":1}`))
	l := newTestLinter(f, Options{})
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := policy.ParseJSON("fuzz.json", data)
		if err != nil {
			return
		}
		docs := []input.Document{{File: "fuzz.json", Format: input.FormatPolicy, Policy: n, Size: len(data)}}
		_, _ = l.Lint(context.Background(), docs, Env{Account: "111122223333", Region: "us-east-1"})
	})
}
