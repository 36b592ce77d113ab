package profile

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

const acct = "111122223333"

// TestCheckNamesTheStatementThatBlocks: a leg the policy denies names the
// Allow statement whose condition failed (implicit deny) or the Deny that
// decided, and a leg allowed only through the account root is delegated.
func TestCheckNamesTheStatementThatBlocks(t *testing.T) {
	role := "arn:aws:iam::111122223333:role/GW"
	pol := `{"Version":"2012-10-17","Statement":[
 {"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
 {"Sid":"Crypto","Effect":"Allow","Principal":{"AWS":"` + role + `"},"Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*",
  "Condition":{"StringEquals":{"kms:ViaService":"bedrock-agentcore.us-east-1.amazonaws.com"},"StringLike":{"kms:EncryptionContext:aws:bedrock-agentcore-gateway-arn":"arn:aws:bedrock-agentcore:us-east-1:111122223333:gateway/*"}}},
 {"Sid":"NoGrants","Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:CreateGrant","Resource":"*"}]}`
	rep, err := CheckJSON("p.json", []byte(pol), Input{Profile: "gateway", Account: acct, Region: "us-east-1", ExecutionRoles: []string{role}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || rep.Profile != "agentcore-gateway" {
		t.Fatalf("report OK %v profile %s", rep.OK, rep.Profile)
	}
	by := map[string]LegResult{}
	for _, l := range rep.Legs {
		by[l.Leg] = l
	}
	d := by["gateway: GenerateDataKey and Decrypt as the service role (Decrypt)"]
	if d.Decision != "ImplicitDeny" || len(d.BlockedBy) == 0 {
		t.Fatalf("decrypt leg: %+v", d)
	}
	// The root statement delegates to IAM, so the leg is met as ACR012
	// meets it, and still says which statement's condition failed: the
	// prose's misspelt context key matches no request.
	if !d.OK || !d.Delegated || d.BlockedBy[0].Label != "Crypto" || !strings.Contains(d.BlockedBy[0].Reason, "bedrock-agentcore-gateway-arn") {
		t.Errorf("decrypt leg: delegated %v blocked by %+v", d.Delegated, d.BlockedBy)
	}
	g := by["gateway: CreateGrant as the service role"]
	if g.OK || g.Decision != "ExplicitDeny" || len(g.BlockedBy) != 1 || g.BlockedBy[0].Label != "NoGrants" {
		t.Errorf("grant leg: %+v", g)
	}
	if u := by["gateway: the service uses its grant (Decrypt)"]; u.Decision != "Grant" || !u.OK {
		t.Errorf("grantee leg: %+v", u)
	}
	// Plain data out: the report round-trips through JSON.
	b, err := json.Marshal(rep)
	if err != nil || !strings.Contains(string(b), `"blocked_by":[{"statement":"NoGrants"`) {
		t.Errorf("json: %v %s", err, b)
	}
}

func TestCheckInputErrors(t *testing.T) {
	pol := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`)
	for _, in := range []Input{{Profile: "nope", Account: acct, Region: "us-east-1"}, {Profile: "dataset", Region: "us-east-1"}, {Profile: "dataset", Account: acct, Region: "us-east-1", Now: "yesterday"}} {
		if _, err := CheckJSON("p.json", pol, in); err == nil {
			t.Errorf("%+v: no error", in)
		}
	}
	rep, err := CheckJSON("p.json", pol, Input{Profile: "payments", Account: acct, Region: "us-east-1", Callers: []string{"arn:aws:iam::111122223333:role/C"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.Contains(p, "no execution role given") }) {
		t.Errorf("payments without an execution role: OK %v problems %q", rep.OK, rep.Problems)
	}
}

// TestCheckUsesTheResourceThePolicyPins: AWS's evaluator example pins one
// evaluator with StringEquals; the legs are checked for that evaluator.
func TestCheckUsesTheResourceThePolicyPins(t *testing.T) {
	ev := "arn:aws:bedrock-agentcore:us-east-1:111122223333:evaluator/my-evaluator-id"
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*",
 "Condition":{"StringEquals":{"aws:SourceAccount":"111122223333","aws:SourceArn":"arn:aws:bedrock-agentcore:us-east-1:111122223333:evaluator/*"}}},
 {"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*",
 "Condition":{"StringEquals":{"aws:SourceAccount":"111122223333","aws:SourceArn":"` + ev + `"}}}]}`
	rep, err := CheckJSON("p.json", []byte(pol), Input{Profile: "evaluator", Account: acct, Region: "us-east-1", Callers: []string{"arn:aws:iam::111122223333:role/C"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Resource != ev {
		t.Errorf("resource %s, want %s (the wildcard value is no concrete evaluator)", rep.Resource, ev)
	}
}
