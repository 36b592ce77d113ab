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

// TestPolicyVariables: a variable whose key is absent takes its default or
// fails, exactly; one whose key has a value is not modelled, so the
// prover replays a request, or says unknown, and never "proved" wrongly.
func TestPolicyVariables(t *testing.T) {
	rec := "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"
	cases := []struct {
		name, cond, region string
		want               Verdict
	}{
		// Sessions have no aws:username: the condition fails, nothing is allowed.
		{"absent key, no default", `{"StringEquals":{"kms:EncryptionContext:user":"${aws:username}"}}`,
			`"principal":{"kinds":["assumed-role"]}`, Proved},
		// The default applies: the context must equal it.
		{"absent key, default", `{"StringEquals":{"kms:EncryptionContext:user":"${aws:username, 'ops'}"}}`,
			`"principal":{"kinds":["assumed-role"]},"condition":{"StringEquals":{"kms:EncryptionContext:user":"ops"}}`, Violated},
		{"absent key, default not met", `{"StringEquals":{"kms:EncryptionContext:user":"${aws:username, 'ops'}"}}`,
			`"principal":{"kinds":["assumed-role"]},"condition":{"StringNotEquals":{"kms:EncryptionContext:user":"ops"}}`, Proved},
		// A user's name is a value the prover does not track: the replayed
		// request (user kmslint-probe sending its own name) is found anyway.
		{"present key", `{"StringEquals":{"kms:EncryptionContext:user":"${aws:username}"}}`,
			`"principal":{"kinds":["user"]}`, Violated},
		// Another account's principal, its own account's recommendation: a
		// repaired request (the variable's value put in the context) replays.
		{"account in a pattern", `{"StringLike":{"` + ecCond + `":"arn:aws:bedrock-agentcore:us-east-1:${aws:PrincipalAccount}:recommendation/*"}}`,
			`"principal":{"kinds":["assumed-role"]},"condition":{"StringNotLike":{"` + ecCond + `":"` + rec + `"}}`, Violated},
		// Only this account's principals: nothing is allowed, but the prover
		// cannot show it without modelling the variable, so it says so.
		{"account in a pattern, own account", `{"StringLike":{"` + ecCond + `":"arn:aws:bedrock-agentcore:us-east-1:${aws:PrincipalAccount}:recommendation/*"}}`,
			`"principal":{"kinds":["assumed-role"],"AWS":"111122223333"},"condition":{"StringNotLike":{"` + ecCond + `":"` + rec + `"}}`, Unknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := keyPolicy(t, `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":`+tc.cond+`}`)
			r := region(t, `{"resource":"`+keyARN+`","actions":["kms:Decrypt"],`+tc.region+`}`)
			res := mustFind(t, Subject{Key: key, Identity: AllowAll()}, r)
			if res.Verdict != tc.want {
				c := ""
				if res.Call != nil {
					c = describe(*res.Call)
				}
				t.Fatalf("%v (%s) %s, want %v", res.Verdict, res.Reason, c, tc.want)
			}
		})
	}
}
