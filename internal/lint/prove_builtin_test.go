package lint

import (
	"context"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
)

const (
	proveKey    = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	proveCaller = "arn:aws:iam::111122223333:role/MyRecommendationRole"
	proveEC     = "kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn"
)

// proveCanonical is the recommended policy's statements.
var proveCanonical = []string{
	`{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`,
	`{"Sid":"Caller","Effect":"Allow","Principal":{"AWS":"` + proveCaller + `"},"Action":["kms:DescribeKey","kms:GenerateDataKey","kms:Decrypt"],"Resource":"*",
	  "Condition":{"StringLike":{"` + proveEC + `":"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}}`,
	`{"Sid":"Service","Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"*",
	  "Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"},"ArnLike":{"aws:SourceArn":"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}}`,
}

func policyTerm(t *testing.T, stmts ...string) *ast.Term {
	t.Helper()
	return ast.MustParseTerm(`{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`)
}

// evalProve evaluates query with the built-ins and x bound to the policy.
func evalProve(t *testing.T, ctx context.Context, b *builtins, pol *ast.Term, query string) any {
	t.Helper()
	opts := append(b.options(), rego.Query(query), rego.SetRegoVersion(ast.RegoV1), rego.ParsedInput(pol.Value))
	rs, err := rego.New(opts...).Eval(ctx)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if len(rs) != 1 {
		t.Fatalf("%s: %d results", query, len(rs))
	}
	return rs[0].Bindings["x"]
}

const outsideRegion = `{"resource": "` + proveKey + `", "actions": ["kms:Decrypt", "kms:Encrypt", "kms:DescribeKey"], "identity": "allow-all",
	"principal": {"kinds": ["assumed-role", "user", "root", "federated-user", "anonymous"]},
	"condition": {"StringNotEquals": {"aws:PrincipalAccount": "111122223333"}}}`

// TestFindRequest: the built-in's three answers, and its counterexample
// replays through kmslint.decide_as in the same evaluation.
func TestFindRequest(t *testing.T) {
	b, err := newBuiltins()
	if err != nil {
		t.Fatal(err)
	}
	org := `{"Sid":"Org","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`
	cases := []struct {
		name    string
		stmts   []string
		region  string
		verdict string
		want    []string // substrings of the answer
	}{
		{"canonical: nobody outside the account", proveCanonical, outsideRegion, "proved", nil},
		{"organization statement lets other accounts decrypt", append(append([]string{}, proveCanonical...), org), outsideRegion, "violated",
			[]string{`"aws:PrincipalOrgID": "o-abc123"`, `"action": "kms:Decrypt"`, `"statement": 3`}},
		{"source-account pattern lets other accounts' recommendations in", []string{`{"Sid":"Service","Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"*",
			"Condition":{"StringLike":{"aws:SourceAccount":"1111222233?3"},"ArnLike":{"aws:SourceArn":"arn:aws:bedrock-agentcore:us-east-1:*:recommendation/*"}}}`},
			`{"resource": "` + proveKey + `", "actions": ["kms:Decrypt"], "principal": {"Service": "bedrock-agentcore.amazonaws.com"},
			  "condition": {"StringNotEquals": {"aws:SourceAccount": "111122223333"}, "Null": {"aws:SourceAccount": "false"}}}`, "violated",
			[]string{`"aws:SourceAccount": "1111222233`}},
		// A policy variable the prover does not model, on the principal's
		// own account: it says so rather than "proved".
		{"policy variable", []string{`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringLike":{"` + proveEC + `":"arn:aws:bedrock-agentcore:us-east-1:${aws:PrincipalAccount}:recommendation/*"}}}`},
			`{"resource": "` + proveKey + `", "actions": ["kms:Decrypt"], "identity": "allow-all", "principal": {"kinds": ["assumed-role"], "AWS": "111122223333"},
			  "condition": {"StringNotLike": {"` + proveEC + `": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}}`, "unknown",
			[]string{`"reason": "`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pol := policyTerm(t, tc.stmts...)
			got := evalProve(t, context.Background(), b, pol, `x := kmslint.find_request(input, `+tc.region+`)`)
			ans, _ := got.(map[string]any)
			if ans["verdict"] != tc.verdict {
				t.Fatalf("verdict %v, want %s: %v", ans["verdict"], tc.verdict, got)
			}
			text := string(ast.MustInterfaceToValue(got).String())
			text = strings.ReplaceAll(text, `":"`, `": "`)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("answer lacks %s: %s", w, text)
				}
			}
			if tc.verdict != "violated" {
				if _, ok := ans["counterexample"]; ok {
					t.Errorf("a %s answer with a counterexample: %v", tc.verdict, got)
				}
				return
			}
			// The counterexample is a request decide_as takes, and allows.
			ident := "none"
			if strings.Contains(tc.region, "allow-all") {
				ident = "allow-all"
			}
			d := evalProve(t, context.Background(), b, pol,
				`x := kmslint.decision_as(input, kmslint.find_request(input, `+tc.region+`).counterexample, "`+ident+`")`)
			if d != "Allow" {
				t.Errorf("counterexample does not replay: %v", d)
			}
		})
	}
}

// TestFindRequests: merged regions, one per statement that lets someone
// outside the account in, each with its counterexample.
func TestFindRequests(t *testing.T) {
	b, err := newBuiltins()
	if err != nil {
		t.Fatal(err)
	}
	pol := policyTerm(t, append(append([]string{}, proveCanonical...),
		`{"Sid":"Org","Effect":"Allow","Principal":"*","Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`,
		`{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/Partner"},"Action":"kms:Encrypt","Resource":"*"}`)...)
	got := evalProve(t, context.Background(), b, pol, `x := kmslint.find_requests(input, `+outsideRegion+`, 100)`)
	list, ok := got.([]any)
	if !ok || len(list) != 2 {
		t.Fatalf("want two regions, got %v", got)
	}
	stmts := map[string]string{}
	for _, x := range list {
		a := x.(map[string]any)
		if a["verdict"] != "violated" || a["counterexample"] == nil || a["description"] == "" {
			t.Fatalf("region without a counterexample: %v", a)
		}
		stmts[string(ast.MustInterfaceToValue(a["statement"]).String())] = a["description"].(string)
	}
	if !strings.Contains(stmts["3"], "o-abc123") || !strings.Contains(stmts["4"], "444455556666") {
		t.Errorf("regions %v", stmts)
	}
	// Nothing outside: one proved answer.
	got = evalProve(t, context.Background(), b, policyTerm(t, proveCanonical...), `x := kmslint.find_requests(input, `+outsideRegion+`, 100)`)
	if l, ok := got.([]any); !ok || len(l) != 1 || l[0].(map[string]any)["verdict"] != "proved" {
		t.Errorf("canonical: %v", got)
	}
}

// TestFindRequestErrors: what the prover cannot take is an error object,
// as decide's are.
func TestFindRequestErrors(t *testing.T) {
	b, err := newBuiltins()
	if err != nil {
		t.Fatal(err)
	}
	pol := policyTerm(t, proveCanonical...)
	for _, q := range []string{
		`x := kmslint.find_request(input, {"actions": ["kms:Decrypt"]})`,
		`x := kmslint.find_request(input, {"resource": "` + proveKey + `"})`,
		`x := kmslint.find_request(input, {"resource": "` + proveKey + `", "actions": ["kms:Decrypt"], "via": "teleport"})`,
		`x := kmslint.find_request(input, {"resource": "` + proveKey + `", "actions": ["kms:Decrypt"], "identity": "everyone"})`,
		`x := kmslint.find_request(input, {"resource": "` + proveKey + `", "actions": ["kms:Decrypt"], "condition": {"StringEqualz": {"a": "b"}}})`,
		`x := kmslint.find_request(input, "everything")`,
		`x := kmslint.find_requests(input, {"resource": "` + proveKey + `", "actions": ["kms:Decrypt"]}, 0)`,
		`x := kmslint.find_request({"Statement": 3}, {"resource": "` + proveKey + `", "actions": ["kms:Decrypt"]})`,
	} {
		got := evalProve(t, context.Background(), b, pol, q)
		m, ok := got.(map[string]any)
		if !ok || m["error"] == nil {
			t.Errorf("%s: %v, want an error object", q, got)
		}
	}
}

// TestProofLog: questions with a property on the document's own policy
// make its proofs; one property asked several times is violated when any
// question found a request.
func TestProofLog(t *testing.T) {
	b, err := newBuiltins()
	if err != nil {
		t.Fatal(err)
	}
	stmts := append(append([]string{}, proveCanonical...),
		`{"Sid":"Org","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`)
	pol := policyTerm(t, stmts...)
	p, err := policy.ParseKeyPolicy("key.json", []byte(pol.String()))
	if err != nil {
		t.Fatal(err)
	}
	st := &docState{policyVal: pol.Value}
	st.key, st.keyErr = authz.Compile("key policy", p)
	ctx := withDoc(context.Background(), st)
	svc := `{"resource": "` + proveKey + `", "actions": ["kms:Decrypt"], "principal": {"Service": "bedrock-agentcore.amazonaws.com"}, "property": "service scoped",
		"condition": {"Null": {"aws:SourceAccount": "true", "aws:SourceArn": "true"}}}`
	outside := strings.Replace(outsideRegion, `"identity"`, `"property": "no access from outside", "identity"`, 1)
	evalProve(t, ctx, b, pol, `x := [kmslint.find_request(input, `+svc+`), kmslint.find_requests(input, `+outside+`, 10), kmslint.find_request(input, `+strings.Replace(outsideRegion, `"kms:Decrypt", `, ``, 1)+`)]`)
	// The same property asked again: still one proof, still violated.
	evalProve(t, ctx, b, pol, `x := kmslint.find_request(input, `+strings.Replace(outside, `"kms:Decrypt", `, ``, 1)+`)`)
	got := st.proofs.list()
	if len(got) != 2 {
		t.Fatalf("proofs %+v, want two (unnamed questions are not proofs)", got)
	}
	if got[0].Property != "no access from outside" || got[0].Result != "violated" || got[0].Counterexample == nil ||
		got[0].Counterexample.Context["aws:PrincipalOrgID"].Values[0] != "o-abc123" {
		t.Errorf("outside: %+v", got[0])
	}
	if got[1].Property != "service scoped" || got[1].Result != "proved" || got[1].Counterexample != nil {
		t.Errorf("service: %+v", got[1])
	}
}
