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
	f.Add([]byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Zhong\u4e2d","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:Decrypt"},{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws-cn:iam::111122223333:root","arn:aws:iam::111122223333:role/app/R"]},"Action":"kms:*","Resource":"*","Condition":{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::1111222233??:role/*"},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}]}`))
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
