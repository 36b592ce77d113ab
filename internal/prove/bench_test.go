package prove

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kmslint/kmslint/internal/authz"
)

// benchStatements are statements real key policies carry besides the
// recommendation grants (the KMS developer guide's examples, AWS managed
// keys, data perimeters), with %d where a variant number goes.
var benchStatements = []string{
	`{"Sid":"Admins%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/KeyAdmin%d"},"Action":["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:Delete*","kms:TagResource","kms:UntagResource","kms:ScheduleKeyDeletion","kms:CancelKeyDeletion"],"Resource":"*"}`,
	`{"Sid":"ViaS3%d","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"s3.us-east-1.amazonaws.com"}}}`,
	`{"Sid":"Grants%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App%d"},"Action":["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],"Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}}`,
	`{"Sid":"DenyOutsideNetwork%d","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.%d.0.0/16","192.0.2.0/24"]},"Bool":{"aws:ViaAWSService":"false"},"StringNotEquals":{"aws:PrincipalType":"AssumedRole"}}}`,
	`{"Sid":"Org%d","Effect":"Allow","Principal":"*","Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc%d"},"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Reader*"}}}`,
	`{"Sid":"CloudTrail%d","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:GenerateDataKey*","Resource":"*","Condition":{"StringLike":{"kms:EncryptionContext:aws:cloudtrail:arn":"arn:aws:cloudtrail:*:111122223333:trail/*"},"StringEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:111122223333:trail/t%d"}}}`,
	`{"Sid":"Tagged%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"team%d"},"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Dept","Project"]}}}`,
	`{"Sid":"Partner%d","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::44445555666%d:root","arn:aws:iam::999988887777:role/Partner"]},"Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:Partner":"p%d"}}}`,
	`{"Sid":"DenyOldTLS%d","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`,
	`{"Sid":"Lambda%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/fn-%d"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:LambdaFunctionName":"fn-%d"},"ForAnyValue:StringEquals":{"aws:CalledVia":"lambda.amazonaws.com"}}}`,
	`{"Sid":"MFA%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/ops%d"},"Action":["kms:Decrypt","kms:ScheduleKeyDeletion"],"Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"},"DateLessThan":{"aws:CurrentTime":"2027-01-0%dT00:00:00Z"}}}`,
	`{"Sid":"DenyNonRecommendation%d","Effect":"Deny","Principal":"*","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*","Condition":{"StringNotLikeIfExists":{"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn":"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"},"StringEquals":{"aws:PrincipalTag/blocked":"yes%d"}}}`,
}

// benchPolicy is a policy of n statements: the recommended four, then
// statements of benchStatements with variant numbers.
func benchPolicy(tb testing.TB, r *rand.Rand, n int) *authz.Policy {
	stmts := slices.Clone(canonical)
	for i := len(stmts); i < n; i++ {
		tpl := benchStatements[r.IntN(len(benchStatements))]
		args := make([]any, strings.Count(tpl, "%d"))
		for j := range args {
			args[j] = i % 10
		}
		stmts = append(stmts, fmt.Sprintf(tpl, args...))
	}
	return keyPolicy(tb, stmts...)
}

// BenchmarkProfile runs every proof of the recommendation profile
// (profileQuestions) on policies of 4 to 20 statements and reports the
// per-policy latency's median and 99th percentile.
func BenchmarkProfile(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 7))
	var pols []*authz.Policy
	for i := 0; i < 64; i++ {
		pols = append(pols, benchPolicy(b, r, 4+i%17))
	}
	var qs []question
	for _, q := range profileQuestions(account, "us-east-1", callerRole, []string{"444455556660", "999988887777"}) {
		q.region = strings.TrimSpace(q.region)
		qs = append(qs, q)
	}
	regions := make([]Region, len(qs))
	for i, q := range qs {
		regions[i] = region(b, q.region)
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		key := pols[i%len(pols)]
		start := time.Now()
		p, err := New(regions[0].Resource)
		if err != nil {
			b.Fatal(err)
		}
		for j, q := range qs {
			sub := Subject{Key: key, Identity: q.identity}
			if q.each {
				_, err = p.FindAll(sub, regions[j], 10, Options{})
			} else {
				_, err = p.Find(sub, regions[j], Options{})
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms/policy")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms/policy")
}

// TestBenchPolicies keeps the benchmark honest: every answer on its
// policies is checked like any other.
func TestBenchPolicies(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	counts := map[string]int{}
	for i := 0; i < 20; i++ {
		key := benchPolicy(t, r, 4+i%17)
		for _, q := range profileQuestions(account, "us-east-1", callerRole, []string{"444455556660", "999988887777"}) {
			for _, res := range ask(t, key, q) {
				counts[q.rule+" "+res.Verdict.String()]++
				if res.Verdict == Unknown {
					t.Errorf("%s %s: unknown: %s", q.rule, q.name, res.Reason)
				}
			}
		}
	}
	t.Logf("%v", counts)
}
