package arn

import (
	"testing"

	awsarn "github.com/aws/aws-sdk-go-v2/aws/arn"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want ARN
		ok   bool
	}{
		{"arn:aws:kms:us-east-1:111122223333:key/1234", ARN{"aws", "kms", "us-east-1", "111122223333", "key/1234"}, true},
		{"arn:aws:iam::111122223333:root", ARN{"aws", "iam", "", "111122223333", "root"}, true},
		{"arn:aws:s3:::bucket/a:b:c", ARN{"aws", "s3", "", "", "bucket/a:b:c"}, true},
		{"arn:aws-cn:bedrock-agentcore:cn-north-1:111122223333:recommendation/R-AB1CD2EF3G", ARN{"aws-cn", "bedrock-agentcore", "cn-north-1", "111122223333", "recommendation/R-AB1CD2EF3G"}, true},
		{"arn:::::", ARN{}, true},
		{"arn:aws:iam::111122223333", ARN{}, false},
		{"ARN:aws:iam::111122223333:root", ARN{}, false},
		{"arnx:aws:iam::111122223333:root", ARN{}, false},
		{"111122223333", ARN{}, false},
		{"", ARN{}, false},
	} {
		got, ok := Parse(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && got.String() != tt.in {
			t.Errorf("Parse(%q).String() = %q", tt.in, got.String())
		}
	}
}

func TestIsAccountID(t *testing.T) {
	for in, want := range map[string]bool{
		"111122223333": true, "000000000000": true,
		"11112222333": false, "1111222233334": false, "11112222333a": false, "": false,
		"１１１１２２２２３３３３": false, "11112222333٣": false, "*": false,
	} {
		if got := IsAccountID(in); got != want {
			t.Errorf("IsAccountID(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzParse holds Parse to aws-sdk-go-v2's aws/arn.Parse: the same strings
// are ARNs, split into the same components.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"arn:aws:kms:us-east-1:111122223333:key/1", "arn:aws:iam::1:root", "arn:::::", "arn:a:b:c:d", "arn", ":::::", "arn:aws:s3:::b/a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Parse(s)
		want, err := awsarn.Parse(s)
		if ok != (err == nil) {
			t.Fatalf("Parse(%q) ok=%v, aws/arn.Parse error %v", s, ok, err)
		}
		if !ok {
			return
		}
		if got != (ARN{want.Partition, want.Service, want.Region, want.AccountID, want.Resource}) {
			t.Fatalf("Parse(%q) = %+v, aws/arn.Parse %+v", s, got, want)
		}
		if got.String() != want.String() || got.String() != s {
			t.Fatalf("String of %q: %q, aws/arn %q", s, got.String(), want.String())
		}
		p, _ := Split(s)
		if p[0] != "arn" || p[1] != got.Partition || p[5] != got.Resource {
			t.Fatalf("Split(%q) = %q, Parse %+v", s, p, got)
		}
	})
}

var sink ARN

// BenchmarkParse shows the hot path's split allocates nothing, against the
// SDK's (which allocates the slice of components).
func BenchmarkParse(b *testing.B) {
	const s = "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/MyPromptRec-AB1CD2EF3G"
	b.Run("internal", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sink, _ = Parse(s)
		}
	})
	b.Run("aws-sdk-go-v2", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			a, _ := awsarn.Parse(s)
			sink = ARN{a.Partition, a.Service, a.Region, a.AccountID, a.Resource}
		}
	})
}
