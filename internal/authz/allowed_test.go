package authz

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestAllowedActionsAgreesWithAllowed holds AllowedActions to its
// definition: the actions whose one-by-one Allowed decision is Allow.
func TestAllowedActionsAgreesWithAllowed(t *testing.T) {
	acts := []string{
		"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
		"kms:DescribeKey", "kms:PutKeyPolicy", "kms:CreateGrant", "kms:ScheduleKeyDeletion", "KMS:DECRYPT",
	}
	keys := map[string]string{
		"canonical": canonical,
		"deny-and-notaction": `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
			{"Effect":"Deny","Principal":"*","NotAction":["kms:Decrypt","kms:DescribeKey"],"Resource":"*","Condition":{"StringNotEquals":{"kms:CallerAccount":"111122223333"}}},
			{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","arn:aws:iam::111122223333:role/Other"]},"Action":["kms:Decrypt","kms:Generate*"],"Resource":"*"}]}`,
		"notprincipal": `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/Blocked"},"Action":"kms:Describe*","Resource":"*"},
			{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"kms:ScheduleKeyDeletion","Resource":"*"},
			{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}`,
		"resource": `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111122223333:key/other"}]}`,
	}
	identities := map[string][]*Policy{
		"none":      nil,
		"allow-all": {compileIdentity(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)},
		"decrypt-deny-encrypt": {compileIdentity(t, `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"},
			{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}]}`)},
	}
	principals := []string{
		roleSession,
		"arn:aws:iam::111122223333:role/Other",
		"arn:aws:iam::111122223333:role/Blocked",
		"arn:aws:iam::111122223333:root",
		"arn:aws:iam::444455556666:role/Outsider",
		"service:bedrock-agentcore.amazonaws.com",
		"anonymous",
	}
	contexts := []*Context{
		nil,
		ctx(map[string]any{"kms:CallerAccount": "111122223333", ecKey: recARN}),
		ctx(map[string]any{"kms:CallerAccount": "444455556666", "aws:SourceAccount": "111122223333", "aws:SourceArn": recARN}),
	}
	for kn, kdoc := range keys {
		key := compileKey(t, kdoc)
		for in, ids := range identities {
			e := &Engine{Key: key, Identity: ids}
			for _, ps := range principals {
				for ci, c := range contexts {
					req := &Request{Principal: mustPrincipal(t, ps), Resource: keyARN, Context: c}
					var want []string
					for _, a := range acts {
						one := *req
						one.Action = a
						if e.Allowed(&one) == Allow {
							want = append(want, a)
						}
					}
					if got := e.AllowedActions(req, acts); !slices.Equal(got, want) {
						t.Errorf("key %s, identity %s, %s, context %d: AllowedActions = %v, one by one = %v", kn, in, ps, ci, got, want)
					}
				}
			}
		}
	}
}

// TestLongPrincipalListIsSummarised: a reason lists a few principals of a
// long Principal element and counts the rest.
func TestLongPrincipalListIsSummarised(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[`
	for i := range 25 {
		if i > 0 {
			doc += ","
		}
		doc += fmt.Sprintf(`"arn:aws:iam::111122223333:role/Reader%02d"`, i)
	}
	doc += `]},"Action":"kms:Decrypt","Resource":"*"}]}`
	e := &Engine{Key: compileKey(t, doc)}
	d := e.Decide(&Request{Principal: mustPrincipal(t, roleSession), Action: "kms:Decrypt", Resource: keyARN})
	reason := d.Statements[0].Reason
	for _, want := range []string{"Reader00", "Reader09", "... (15 more)"} {
		if !strings.Contains(reason, want) {
			t.Errorf("reason %q does not contain %q", reason, want)
		}
	}
	if strings.Contains(reason, "Reader10") {
		t.Errorf("reason %q lists more than %d principals", reason, maxListedPrincipals)
	}
}
