package prove

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/authz"
)

// question is one proof a rule asks: a region, under an identity
// assumption, that must hold no allowed request.
type question struct {
	rule, name string
	region     string
	identity   Identity
	each       bool // FindAll (merged regions, up to 10), as the external-access rule asks
}

// profileQuestions are the proofs of the agentcore-recommendation profile
// for a key of account/region with one caller role, written as the rules
// will ask them (rules/acr004, acr006, acr007, kms004 and the
// external-access rule; the probes they replace are in internal/agentcore):
//   - ACR004: the caller's data-key requests whose encryption context is not
//     a recommendation of this account and region (absent included);
//   - ACR006: the service principal acting with a foreign aws:SourceAccount,
//     a foreign or non-recommendation aws:SourceArn, or neither key;
//   - ACR007: one of the two keys missing while the other names this
//     account's recommendations;
//   - KMS004: a principal of an account the policy names nowhere, in none
//     of the organizations it names (or in none at all), or anonymous,
//     with IAM allowing all;
//   - external access: principals outside the account, IAM allowing all,
//     every action, one answer per statement.
func profileQuestions(acct, reg, callerRole string, named []string, orgs ...string) []question {
	key := fmt.Sprintf("arn:aws:kms:%s:%s:key/1234abcd-12ab-34cd-56ef-1234567890ab", reg, acct)
	rec := fmt.Sprintf("arn:aws:bedrock-agentcore:%s:%s:recommendation/*", reg, acct)
	data := `"actions":["kms:GenerateDataKey","kms:Decrypt"]`
	res := `"resource":"` + key + `"`
	svc := `"principal":{"Service":"bedrock-agentcore.amazonaws.com"}`
	q := func(rule, name, body string, id Identity) question {
		return question{rule: rule, name: name, region: "{" + res + "," + body + "}", identity: id}
	}
	none := Identity{}
	others := append([]string{acct}, named...)
	qs := []question{
		q("ACR004", "caller-no-context", data+`,"principal":{"kinds":["assumed-role"],"AWS":"`+callerRole+`"},"condition":{"Null":{"`+ecCond+`":"true"}}`, none),
		q("ACR004", "caller-foreign-context", data+`,"principal":{"kinds":["assumed-role"],"AWS":"`+callerRole+`"},"condition":{"StringNotLike":{"`+ecCond+`":"`+rec+`"}}`, none),
		q("ACR006", "service-foreign-account", data+`,`+svc+`,"condition":{"StringNotEquals":{"aws:SourceAccount":"`+acct+`"},"Null":{"aws:SourceAccount":"false"}}`, none),
		q("ACR006", "service-foreign-arn", data+`,`+svc+`,"condition":{"ArnNotLike":{"aws:SourceArn":"`+rec+`"},"Null":{"aws:SourceArn":"false"}}`, none),
		q("ACR006", "service-no-source", data+`,`+svc+`,"condition":{"Null":{"aws:SourceAccount":"true","aws:SourceArn":"true"}}`, none),
		q("ACR007", "service-no-source-arn", data+`,`+svc+`,"condition":{"StringEquals":{"aws:SourceAccount":"`+acct+`"},"Null":{"aws:SourceArn":"true"}}`, none),
		q("ACR007", "service-no-source-account", data+`,`+svc+`,"condition":{"ArnLike":{"aws:SourceArn":"`+rec+`"},"Null":{"aws:SourceAccount":"true"}}`, none),
		q("KMS004", "public", `"actions":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey","kms:ReEncryptFrom","kms:CreateGrant","kms:PutKeyPolicy"],"principal":{"kinds":["assumed-role","user","root","federated-user","anonymous"]},"condition":{"StringNotEquals":{"aws:PrincipalAccount":["`+strings.Join(others, `","`)+`"],"aws:PrincipalOrgID":["`+strings.Join(append([]string{"o-none"}, orgs...), `","`)+`"]}}`, AllowAll()),
	}
	ext := q("external", "outside-account", `"actions":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey","kms:ReEncryptFrom","kms:CreateGrant","kms:DescribeKey","kms:PutKeyPolicy","kms:ScheduleKeyDeletion"],"principal":{"kinds":["assumed-role","user","root","federated-user","anonymous"]},"condition":{"StringNotEquals":{"aws:PrincipalAccount":"`+acct+`"}}`, AllowAll())
	ext.each = true
	return append(qs, ext)
}

func ask(t testing.TB, key *authz.Policy, q question) []Result {
	t.Helper()
	r := region(t, q.region)
	sub := Subject{Key: key, Identity: q.identity}
	if q.each {
		p, err := New(r.Resource)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := p.FindAll(sub, r, 10, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range rs {
			checkResult(t, sub, nil, r, res)
		}
		return rs
	}
	return []Result{mustFind(t, sub, r)}
}

const callerRole = "arn:aws:iam::111122223333:role/MyRecommendationRole"

var canonical = []string{
	`{"Sid":"EnableIAMUserPermissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`,
	`{"Sid":"AllowCallerAccess","Effect":"Allow","Principal":{"AWS":"` + callerRole + `"},"Action":"kms:DescribeKey","Resource":"*"}`,
	`{"Sid":"AllowCallerCryptoOps","Effect":"Allow","Principal":{"AWS":"` + callerRole + `"},"Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"*",
	  "Condition":{"StringLike":{"` + ecCond + `":"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}}`,
	`{"Sid":"AllowServicePrincipalAccess","Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"*",
	  "Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"},"ArnLike":{"aws:SourceArn":"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}}`,
}

// TestCanonicalProved: the recommended policy passes every question.
func TestCanonicalProved(t *testing.T) {
	key := keyPolicy(t, canonical...)
	for _, q := range profileQuestions(account, "us-east-1", callerRole, nil) {
		for _, res := range ask(t, key, q) {
			if res.Verdict != Proved {
				c := ""
				if res.Call != nil {
					c = describe(*res.Call)
				}
				t.Errorf("%s %s: %v %s %s", q.rule, q.name, res.Verdict, res.Reason, c)
			}
		}
	}
}

// TestHeldOut: the policies issue 13's "Why" found between the probes.
func TestHeldOut(t *testing.T) {
	cases := []struct {
		name, rule, question string
		stmts                []string
		want                 []string // substrings of the counterexample
	}{
		{
			name: "source account pattern admits nine other accounts", rule: "ACR006", question: "service-foreign-account",
			stmts: []string{canonical[0], canonical[1], canonical[2], `{"Sid":"Service","Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},
				"Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"*",
				"Condition":{"StringLike":{"aws:SourceAccount":"1111222233?3"},"ArnLike":{"aws:SourceArn":"arn:aws:bedrock-agentcore:us-east-1:*:recommendation/*"}}}`},
			want: []string{`aws:SourceAccount=["1111222233`, `aws:SourceArn=["arn:aws:bedrock-agentcore:us-east-1:1111222233`},
		},
		{
			name: "encryption-context pattern admits us-east-2", rule: "ACR004", question: "caller-foreign-context",
			stmts: []string{canonical[0], canonical[1], `{"Sid":"Caller","Effect":"Allow","Principal":{"AWS":"` + callerRole + `"},"Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"*",
				"Condition":{"StringLike":{"` + ecCond + `":"arn:aws:bedrock-agentcore:us-east-?:111122223333:recommendation/*"}}}`, canonical[3]},
			want: []string{`arn:aws:bedrock-agentcore:us-east-2:111122223333:recommendation/`},
		},
		{
			name: "Principal * under aws:PrincipalOrgID lets the organization decrypt", rule: "external", question: "outside-account",
			stmts: []string{canonical[0], canonical[1], canonical[2], canonical[3], `{"Sid":"Org","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
				"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`},
			want: []string{`kms:Decrypt`, `aws:PrincipalOrgID=["o-abc123"]`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := keyPolicy(t, tc.stmts...)
			for _, q := range profileQuestions(account, "us-east-1", callerRole, nil) {
				if q.rule != tc.rule || q.name != tc.question {
					continue
				}
				res := ask(t, key, q)[0]
				if res.Verdict != Violated {
					t.Fatalf("%v %s, want a counterexample", res.Verdict, res.Reason)
				}
				got := describe(*res.Call)
				for _, w := range tc.want {
					if !strings.Contains(got, w) {
						t.Errorf("counterexample %s lacks %s", got, w)
					}
				}
				t.Logf("%s", got)
			}
		})
	}
}

// TestFindAllExternal: who outside the account can use a key whose
// statements open it to an organization, a partner account's role and a
// service: a few regions, each with a counterexample.
func TestFindAllExternal(t *testing.T) {
	key := keyPolicy(t, append(slices.Clone(canonical),
		`{"Sid":"Org","Effect":"Allow","Principal":"*","Action":["kms:Decrypt","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`,
		`{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/Partner"},"Action":"kms:Decrypt","Resource":"*"}`)...)
	r := region(t, `{"resource":"`+keyARN+`","actions":["kms:Decrypt","kms:DescribeKey","kms:GenerateDataKey"],
		"principal":{"kinds":["assumed-role","user","root","federated-user","anonymous"]},
		"condition":{"StringNotEquals":{"aws:PrincipalAccount":"`+account+`"}}}`)
	p, err := New(keyARN)
	if err != nil {
		t.Fatal(err)
	}
	sub := Subject{Key: key, Identity: AllowAll()}
	rs, err := p.FindAll(sub, r, 20, Options{})
	if err != nil {
		t.Fatal(err)
	}
	stmts := map[int]bool{}
	for _, res := range rs {
		checkResult(t, sub, nil, r, res)
		if res.Verdict != Violated {
			t.Fatalf("%v %s", res.Verdict, res.Reason)
		}
		stmts[res.Statement] = true
		t.Logf("statement %d: %v\n    e.g. %s", res.Statement, res.Cube, describe(*res.Call))
	}
	if !stmts[4] || !stmts[5] || len(stmts) != 2 {
		t.Errorf("regions through statements %v, want the Org (4) and Partner (5) statements", stmts)
	}
}

// TestFindAllAdded: the access a change adds, as regions, and what it
// removes; an unchanged policy adds nothing.
func TestFindAllAdded(t *testing.T) {
	old := keyPolicy(t, canonical...)
	changed := keyPolicy(t, append(slices.Clone(canonical[:3]),
		`{"Sid":"Org","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}}`)...)
	r := region(t, `{"resource":"`+keyARN+`","actions":["kms:Decrypt","kms:GenerateDataKey","kms:DescribeKey"]}`)
	p, err := New(keyARN)
	if err != nil {
		t.Fatal(err)
	}
	oldSub, newSub := Subject{Key: old, Identity: AllowAll()}, Subject{Key: changed, Identity: AllowAll()}
	added, err := p.FindAllAdded(oldSub, newSub, r, 10, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range added {
		checkResult(t, newSub, &oldSub, r, res)
		if res.Verdict != Violated || res.Statement != 3 {
			t.Fatalf("added: %v through %d: %s", res.Verdict, res.Statement, res.Reason)
		}
		b, _ := json.Marshal(res)
		t.Logf("added: %s", b)
	}
	removed, err := p.FindAllAdded(newSub, oldSub, r, 10, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range removed {
		checkResult(t, oldSub, &newSub, r, res)
		if res.Verdict != Violated || res.Request.Principal.Kind != authz.ServicePrincipal {
			t.Fatalf("removed: %v %+v", res.Verdict, res.Cube)
		}
		t.Logf("removed: %v", res.Cube)
	}
	same, err := p.FindAllAdded(oldSub, oldSub, r, 10, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(same) != 1 || same[0].Verdict != Proved {
		t.Fatalf("a policy adds %v to itself", same)
	}
}
