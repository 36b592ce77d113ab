package prove

import (
	"testing"
	"time"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/world"
)

// FuzzFind feeds arbitrary condition blocks to a Principal "*" statement
// and to the region, and checks what every answer must satisfy (no panic,
// a counterexample that replays, is minimal and in the region) and that a
// region called proved holds no allowed request among a few drawn from the
// fuzzed values.
func FuzzFind(f *testing.F) {
	seeds := []struct{ stmt, region, key, value string }{
		{`{"StringLike":{"aws:SourceAccount":"1111222233?3"}}`, `{"StringNotEquals":{"aws:SourceAccount":"111122223333"}}`, "aws:SourceAccount", "111122223303"},
		{`{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}`, `{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}`, "aws:PrincipalOrgID", "o-abc123"},
		{`{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["a","${k:y}"]}}`, `{"Null":{"kms:EncryptionContext:a":"false"}}`, "k:y", "a"},
		{`{"NumericLessThanIfExists":{"k:n":"1e3"},"Bool":{"aws:ViaAWSService":"true"}}`, `{}`, "k:n", "999.5"},
		{`{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}`, `{"NumericLessThan":{"aws:EpochTime":"1800000000"}}`, "k:t", "x"},
		{`{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1/128"]}}`, `{"NotIpAddress":{"aws:SourceIp":"10.1.0.0/16"}}`, "aws:SourceIp", "10.2.3.4"},
		{`{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Ad*"}}`, `{"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:*"}}`, "k:x", "y"},
		{`{"StringEqualsIgnoreCase":{"kms:EncryptionContext:Dept":"${aws:username, 'ops'}"}}`, `{}`, "kms:EncryptionContext:Dept", "OPS"},
	}
	for _, s := range seeds {
		f.Add(s.stmt, s.region, s.key, s.value)
	}
	f.Fuzz(func(t *testing.T, stmtCond, regionCond, key, value string) {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":` + stmtCond + `}]}`
		p, err := policy.ParseKeyPolicy("f.json", []byte(doc))
		if err != nil || !p.Valid() {
			return
		}
		kp, err := authz.Compile("f", p)
		if err != nil {
			t.Fatalf("valid policy did not compile: %v", err)
		}
		conds, err := parseConditions([]byte(regionCond))
		if err != nil {
			return
		}
		r := Region{Resource: keyARN, Actions: []string{"kms:Decrypt"}, Conditions: conds}
		if r.check() != nil {
			return
		}
		sub := Subject{Key: kp, Identity: AllowAll()}
		res, err := Find(sub, r, Options{MaxNodes: 20000})
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, sub, nil, r, res)
		if res.Verdict != Proved || world.KeySet(key) == world.Derived || !world.Carried(key) {
			return
		}
		rc, err := newRegionCheck(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []authz.Value{{Values: []string{value}}, {Values: []string{value, "x"}, Multi: true}} {
			if c := world.KeyCardinality(key); c == world.Single && v.Multi || c == world.Multi && !v.Multi {
				continue
			}
			c := world.Call{Principal: authz.Principal{Kind: authz.AssumedRole, ARN: "arn:aws:sts::444455556666:assumed-role/R/s", Partition: "aws", Account: "444455556666", RoleName: "R", RolePath: "/"},
				Key: keyARN, Action: "kms:Decrypt", UserID: "AROAX", Extra: []world.KV{{Key: key, Value: v}}, Time: time.Unix(1767225600, 0)}
			req := world.Request(c)
			if world.Check(req) != nil || !rc.contains(req) {
				continue
			}
			if sub.engine(req.Principal).Allowed(req) == authz.Allow {
				t.Fatalf("proved, but the engine allows %s", describe(c))
			}
		}
	})
}
