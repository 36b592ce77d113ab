package prove

import (
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/world"
)

const (
	account = "111122223333"
	keyARN  = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	ecCond  = "kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn"
	service = "bedrock-agentcore.amazonaws.com"
)

func keyPolicy(t testing.TB, stmts ...string) *authz.Policy {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	p, err := policy.ParseKeyPolicy("key.json", []byte(doc))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	cp, err := authz.Compile("key policy", p)
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, doc)
	}
	return cp
}

func region(t testing.TB, js string) Region {
	t.Helper()
	r, err := ParseRegion([]byte(js))
	if err != nil {
		t.Fatalf("region: %v", err)
	}
	return r
}

// mustFind runs Find and checks what every answer must satisfy: a
// counterexample replays as Allow, is a request AWS could send, and lies in
// the region; no answer reports a disagreement with the engine.
func mustFind(t testing.TB, sub Subject, r Region) Result {
	t.Helper()
	res, err := Find(sub, r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, sub, nil, r, res)
	return res
}

func checkResult(t testing.TB, sub Subject, old *Subject, r Region, res Result) {
	t.Helper()
	if strings.Contains(res.Reason, "internal:") {
		t.Fatalf("prover and engine disagree: %s", res.Reason)
	}
	if res.Verdict != Violated {
		return
	}
	req := res.Request
	if err := world.Check(req); err != nil {
		t.Fatalf("counterexample is not a request AWS sends: %v: %s", err, describe(*res.Call))
	}
	rc, err := newRegionCheck(r)
	if err != nil {
		t.Fatal(err)
	}
	if !rc.contains(req) {
		t.Fatalf("counterexample outside the region: %s", describe(*res.Call))
	}
	if d := sub.engine(req.Principal).Allowed(req); d != authz.Allow {
		t.Fatalf("counterexample does not replay: %v: %s", d, describe(*res.Call))
	}
	allowed := func(c world.Call) bool {
		q := world.Request(c)
		if world.Check(q) != nil || !rc.contains(q) || sub.engine(q.Principal).Allowed(q) != authz.Allow {
			return false
		}
		return old == nil || old.engine(q.Principal).Allowed(q) != authz.Allow
	}
	for _, m := range moves(*res.Call) {
		if allowed(m) {
			t.Fatalf("counterexample is not minimal: %s is allowed too", describe(m))
		}
	}
}

func TestHeldOutSourceAccountPattern(t *testing.T) {
	key := keyPolicy(t, `{"Sid":"Service","Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},
		"Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"*",
		"Condition":{"StringLike":{"aws:SourceAccount":"1111222233?3"},
		             "ArnLike":{"aws:SourceArn":"arn:aws:bedrock-agentcore:us-east-1:*:recommendation/*"}}}`)
	r := region(t, `{"resource":"`+keyARN+`","actions":["kms:GenerateDataKey","kms:Decrypt"],
		"principal":{"Service":"`+service+`"},
		"condition":{"StringNotEquals":{"aws:SourceAccount":"`+account+`"}}}`)
	res := mustFind(t, Subject{Key: key}, r)
	if res.Verdict != Violated {
		t.Fatalf("verdict %v (%s), want a counterexample", res.Verdict, res.Reason)
	}
	t.Logf("counterexample: %s (%d nodes)", describe(*res.Call), res.Nodes)
}

func opOf(name string) authz.Operator { return authz.ParseOperator(name) }

func policyCondition(op, key string, values ...string) policy.Condition {
	return policy.Condition{Operator: op, Key: key, Values: values}
}
