package authz

import (
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/policy"
)

const keyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// canonical is the seed document's three-statement key policy.
const canonical = `{ "Version": "2012-10-17", "Statement": [
 { "Sid": "AllowCallerAccess", "Effect": "Allow",
   "Principal": { "AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole" },
   "Action": "kms:DescribeKey", "Resource": "*" },
 { "Sid": "AllowCallerCryptoOps", "Effect": "Allow",
   "Principal": { "AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole" },
   "Action": [ "kms:GenerateDataKey", "kms:Decrypt" ], "Resource": "*",
   "Condition": { "StringLike": { "kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*" } } },
 { "Sid": "AllowServicePrincipalAccess", "Effect": "Allow",
   "Principal": { "Service": "bedrock-agentcore.amazonaws.com" },
   "Action": [ "kms:GenerateDataKey", "kms:Decrypt" ], "Resource": "*",
   "Condition": { "StringEquals": { "aws:SourceAccount": "111122223333" },
                  "ArnLike": { "aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*" } } } ] }`

func compileKey(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := policy.ParseKeyPolicy("key.json", []byte(doc))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	cp, err := Compile("key policy", p)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return cp
}

func compileIdentity(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := policy.ParseIdentityPolicy("identity.json", []byte(doc))
	if err != nil {
		t.Fatalf("parse identity: %v", err)
	}
	cp, err := Compile("identity.json", p)
	if err != nil {
		t.Fatalf("compile identity: %v", err)
	}
	return cp
}

// ctx builds a context: a string value is single-valued, a []string multivalued.
func ctx(kv map[string]any) *Context {
	c := NewContext()
	for k, v := range kv {
		switch v := v.(type) {
		case string:
			c.Set(k, v)
		case []string:
			c.SetMulti(k, v...)
		}
	}
	return c
}

func mustPrincipal(t testing.TB, s string) Principal {
	t.Helper()
	p, err := ParsePrincipal(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	roleSession = "arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/kmslint"
	recARN      = "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/MyPromptRec-AB1CD2EF3G"
	ecKey       = "kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn"
)

func TestCanonicalPolicyRequestModel(t *testing.T) {
	e := &Engine{Key: compileKey(t, canonical)}
	svc := "service:bedrock-agentcore.amazonaws.com"
	fas := map[string]any{"aws:ViaAWSService": "true", "aws:CalledVia": []string{"bedrock-agentcore.amazonaws.com"},
		"kms:ViaService": "bedrock-agentcore.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}
	with := func(base map[string]any, extra map[string]any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name, principal, action string
		context                 map[string]any
		want                    Decision
		wantSid                 string
	}{
		{"caller DescribeKey via FAS", roleSession, "kms:DescribeKey", fas, Allow, "AllowCallerAccess"},
		{"caller GenerateDataKey with EC", roleSession, "kms:GenerateDataKey", with(fas, map[string]any{ecKey: recARN}), Allow, "AllowCallerCryptoOps"},
		{"caller Decrypt with EC", roleSession, "kms:Decrypt", with(fas, map[string]any{ecKey: recARN}), Allow, "AllowCallerCryptoOps"},
		{"caller Decrypt without EC", roleSession, "kms:Decrypt", fas, ImplicitDeny, ""},
		{"caller Decrypt with foreign-account EC", roleSession, "kms:Decrypt",
			with(fas, map[string]any{ecKey: "arn:aws:bedrock-agentcore:us-east-1:444455556666:recommendation/X-AB1CD2EF3G"}), ImplicitDeny, ""},
		{"caller Encrypt not granted", roleSession, "kms:Encrypt", with(fas, map[string]any{ecKey: recARN}), ImplicitDeny, ""},
		{"service GenerateDataKey scoped", svc, "kms:GenerateDataKey",
			map[string]any{ecKey: recARN, "aws:SourceAccount": "111122223333", "aws:SourceArn": recARN}, Allow, "AllowServicePrincipalAccess"},
		{"service without SourceArn", svc, "kms:Decrypt",
			map[string]any{ecKey: recARN, "aws:SourceAccount": "111122223333"}, ImplicitDeny, ""},
		{"service confused deputy", svc, "kms:Decrypt",
			map[string]any{"aws:SourceAccount": "444455556666", "aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:444455556666:recommendation/X"}, ImplicitDeny, ""},
		{"other role", "arn:aws:sts::111122223333:assumed-role/Other/s", "kms:DescribeKey", nil, ImplicitDeny, ""},
		{"outsider", "arn:aws:iam::444455556666:role/Outsider", "kms:DescribeKey", nil, ImplicitDeny, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Decide(&Request{Principal: mustPrincipal(t, tc.principal), Action: tc.action, Resource: keyARN, Context: ctx(tc.context)})
			if r.Decision != tc.want {
				t.Fatalf("decision = %v, want %v\n%+v", r.Decision, tc.want, r)
			}
			if tc.wantSid != "" {
				if got := r.Deciding(); len(got) != 1 || got[0] != tc.wantSid {
					t.Errorf("deciding = %v, want [%s]", got, tc.wantSid)
				}
			}
			if got := e.Allowed(&Request{Principal: mustPrincipal(t, tc.principal), Action: tc.action, Resource: keyARN, Context: ctx(tc.context)}); got != tc.want {
				t.Errorf("Allowed = %v, Decide = %v", got, tc.want)
			}
		})
	}
}

// cond builds a one-statement key policy allowing everyone kms:Decrypt
// under the given Condition block.
func cond(block string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":` + block + `}]}`
}

func TestConditionOperators(t *testing.T) {
	tests := []struct {
		name    string
		block   string
		context map[string]any
		want    bool
	}{
		// String operators. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String
		{"StringEquals exact", `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`, map[string]any{"aws:SourceAccount": "111122223333"}, true},
		{"StringEquals is case-sensitive", `{"StringEquals":{"aws:username":"john"}}`, map[string]any{"aws:username": "John"}, false},
		{"StringEquals treats * literally", `{"StringEquals":{"aws:SourceArn":"arn:aws:x:us-east-1:111122223333:r/*"}}`, map[string]any{"aws:SourceArn": "arn:aws:x:us-east-1:111122223333:r/abc"}, false},
		{"StringEquals literal * matches literal *", `{"StringEquals":{"k:x":"a*"}}`, map[string]any{"k:x": "a*"}, true},
		{"key names case-insensitive", `{"StringEquals":{"AWS:SOURCEACCOUNT":"1"}}`, map[string]any{"aws:sourceaccount": "1"}, true},
		{"encryption context key part case-insensitive", `{"StringEquals":{"kms:EncryptionContext:AWS:Bedrock-AgentCore:RecommendationArn":"x"}}`, map[string]any{ecKey: "x"}, true},
		{"values ORed", `{"StringEquals":{"k:x":["a","b"]}}`, map[string]any{"k:x": "b"}, true},
		{"keys ANDed", `{"StringEquals":{"k:x":"a","k:y":"b"}}`, map[string]any{"k:x": "a", "k:y": "c"}, false},
		{"operators ANDed", `{"StringEquals":{"k:x":"a"},"StringLike":{"k:y":"b*"}}`, map[string]any{"k:x": "a", "k:y": "bz"}, true},
		{"IgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"john"}}`, map[string]any{"aws:username": "JOHN"}, true},
		{"NotEqualsIgnoreCase", `{"StringNotEqualsIgnoreCase":{"aws:username":"john"}}`, map[string]any{"aws:username": "JOHN"}, false},
		{"StringLike star", `{"StringLike":{"k:x":"arn:*:r/*"}}`, map[string]any{"k:x": "arn:a:b:r/c"}, true},
		{"StringLike question mark is one char", `{"StringLike":{"k:x":"a?c"}}`, map[string]any{"k:x": "abbc"}, false},
		{"StringLike question mark unicode", `{"StringLike":{"k:x":"a?c"}}`, map[string]any{"k:x": "aéc"}, true},
		{"StringLike is case-sensitive", `{"StringLike":{"k:x":"A*"}}`, map[string]any{"k:x": "abc"}, false},
		// Negated operators: NOR over values; true on an absent key.
		{"StringNotEquals NOR", `{"StringNotEquals":{"k:x":["a","b"]}}`, map[string]any{"k:x": "b"}, false},
		{"StringNotEquals other value", `{"StringNotEquals":{"k:x":["a","b"]}}`, map[string]any{"k:x": "c"}, true},
		{"negated true on absent key", `{"StringNotEquals":{"k:x":"a"}}`, nil, true},
		{"StringNotLike absent", `{"StringNotLike":{"k:x":"a*"}}`, nil, true},
		{"plain false on absent key", `{"StringEquals":{"k:x":"a"}}`, nil, false},
		// IfExists.
		{"IfExists absent", `{"StringEqualsIfExists":{"k:x":"a"}}`, nil, true},
		{"IfExists present mismatch", `{"StringEqualsIfExists":{"k:x":"a"}}`, map[string]any{"k:x": "b"}, false},
		// Null. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
		{"Null true absent", `{"Null":{"k:x":"true"}}`, nil, true},
		{"Null true present", `{"Null":{"k:x":"true"}}`, map[string]any{"k:x": "a"}, false},
		{"Null false present", `{"Null":{"k:x":false}}`, map[string]any{"k:x": "a"}, true},
		{"Null false absent", `{"Null":{"k:x":"false"}}`, nil, false},
		// Multivalued keys. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:CalledVia":"bedrock-agentcore.amazonaws.com"}}`, map[string]any{"aws:CalledVia": []string{"x", "bedrock-agentcore.amazonaws.com"}}, true},
		{"ForAnyValue absent false", `{"ForAnyValue:StringEquals":{"aws:CalledVia":"a"}}`, nil, false},
		{"ForAllValues absent true", `{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":"a"}}`, nil, true},
		{"ForAllValues empty true", `{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":"a"}}`, map[string]any{"kms:EncryptionContextKeys": []string{}}, true},
		{"ForAllValues one outside", `{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["a","b"]}}`, map[string]any{"kms:EncryptionContextKeys": []string{"a", "c"}}, false},
		{"ForAllValues all inside", `{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["a","b"]}}`, map[string]any{"kms:EncryptionContextKeys": []string{"b", "a"}}, true},
		{"ForAnyValue negated", `{"ForAnyValue:StringNotEquals":{"k:x":"a"}}`, map[string]any{"k:x": []string{"a", "b"}}, true},
		{"ForAllValues negated", `{"ForAllValues:StringNotEquals":{"k:x":"a"}}`, map[string]any{"k:x": []string{"a", "b"}}, false},
		{"plain operator on multivalued key", `{"StringEquals":{"aws:CalledVia":"a"}}`, map[string]any{"aws:CalledVia": []string{"a"}}, false},
		{"IfExists on set operator, absent", `{"ForAnyValue:StringEqualsIfExists":{"k:x":"a"}}`, nil, true},
		// Bool.
		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, map[string]any{"aws:SecureTransport": "true"}, true},
		{"Bool JSON boolean", `{"Bool":{"aws:SecureTransport":true}}`, map[string]any{"aws:SecureTransport": "true"}, true},
		{"Bool false mismatch", `{"Bool":{"aws:SecureTransport":"false"}}`, map[string]any{"aws:SecureTransport": "true"}, false},
		{"Bool not a boolean", `{"Bool":{"k:x":"true"}}`, map[string]any{"k:x": "yes"}, false},
		// Numeric.
		{"NumericLessThan", `{"NumericLessThan":{"k:n":"10"}}`, map[string]any{"k:n": "9.5"}, true},
		{"NumericEquals decimal forms", `{"NumericEquals":{"k:n":"10"}}`, map[string]any{"k:n": "10.0"}, true},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"k:n":10}}`, map[string]any{"k:n": "9"}, false},
		{"NumericNotEquals absent", `{"NumericNotEquals":{"k:n":"1"}}`, nil, true},
		{"Numeric bad request value", `{"NumericNotEquals":{"k:n":"1"}}`, map[string]any{"k:n": "x"}, false},
		// Date.
		{"DateLessThan ISO", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, map[string]any{"aws:CurrentTime": "2026-11-30T01:00:00Z"}, true},
		{"DateGreaterThan epoch", `{"DateGreaterThan":{"aws:EpochTime":"1700000000"}}`, map[string]any{"aws:EpochTime": "2026-11-30T01:00:00Z"}, true},
		{"DateEquals day", `{"DateEquals":{"aws:CurrentTime":"2026-11-30"}}`, map[string]any{"aws:CurrentTime": "2026-11-30T00:00:00Z"}, true},
		// IP.
		{"IpAddress CIDR", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, map[string]any{"aws:SourceIp": "203.0.113.7"}, true},
		{"NotIpAddress", `{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}`, map[string]any{"aws:SourceIp": "2001:db8::1"}, false},
		{"IpAddress single", `{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}`, map[string]any{"aws:SourceIp": "203.0.113.8"}, false},
		// Binary.
		{"BinaryEquals", `{"BinaryEquals":{"k:b":"QmluYXJ5VmFsdWU="}}`, map[string]any{"k:b": "QmluYXJ5VmFsdWU="}, true},
		// ARN: per-component globs for ArnLike and ArnEquals alike.
		{"ArnLike", `{"ArnLike":{"aws:SourceArn":"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}`, map[string]any{"aws:SourceArn": recARN}, true},
		{"ArnEquals matches wildcards", `{"ArnEquals":{"aws:SourceArn":"arn:aws:bedrock-agentcore:*:111122223333:recommendation/*"}}`, map[string]any{"aws:SourceArn": recARN}, true},
		{"Arn star does not cross colon", `{"ArnLike":{"aws:SourceArn":"arn:aws:*:111122223333:recommendation/*"}}`, map[string]any{"aws:SourceArn": recARN}, false},
		{"Arn resource may contain colons", `{"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:111122223333:log-group:*"}}`, map[string]any{"aws:SourceArn": "arn:aws:logs:us-east-1:111122223333:log-group:a:b"}, true},
		{"ArnLike case-sensitive", `{"ArnLike":{"aws:SourceArn":"arn:aws:bedrock-agentcore:us-east-1:111122223333:Recommendation/*"}}`, map[string]any{"aws:SourceArn": recARN}, false},
		{"ArnNotLike foreign", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}`, map[string]any{"aws:SourceArn": "arn:aws:bedrock-agentcore:us-east-1:444455556666:recommendation/x"}, true},
		{"ArnLike request not an ARN", `{"ArnLike":{"aws:SourceArn":"*"}}`, map[string]any{"aws:SourceArn": "nope"}, false},
		{"ArnNotLike request not an ARN", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:s3:::b"}}`, map[string]any{"aws:SourceArn": "nope"}, false},
		// Policy variables. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
		{"variable substitution", `{"StringEquals":{"aws:SourceAccount":"${aws:PrincipalAccount}"}}`, map[string]any{"aws:SourceAccount": "1", "aws:PrincipalAccount": "1"}, true},
		{"variable value is literal", `{"StringLike":{"k:x":"${k:y}"}}`, map[string]any{"k:x": "abc", "k:y": "a*"}, false},
		{"variable missing never matches", `{"StringLike":{"k:x":"${k:y}"}}`, map[string]any{"k:x": "abc"}, false},
		{"variable missing, negated operator also fails", `{"StringNotEquals":{"k:x":"${k:y}"}}`, map[string]any{"k:x": "abc"}, false},
		{"variable default", `{"StringEquals":{"k:x":"${k:y, 'dflt'}"}}`, map[string]any{"k:x": "dflt"}, true},
		{"escape ${*} is a literal star", `{"StringLike":{"k:x":"a${*}"}}`, map[string]any{"k:x": "abc"}, false},
		{"escape ${*} matches star", `{"StringLike":{"k:x":"a${*}"}}`, map[string]any{"k:x": "a*"}, true},
		{"escape ${$}", `{"StringEquals":{"k:x":"${$}5"}}`, map[string]any{"k:x": "$5"}, true},
		{"multivalued variable unusable", `{"StringEquals":{"k:x":"${aws:CalledVia}"}}`, map[string]any{"k:x": "a", "aws:CalledVia": []string{"a"}}, false},
		// Unknown operator never matches.
		{"unknown operator", `{"StringEqualz":{"k:x":"a"}}`, map[string]any{"k:x": "a"}, false},
		{"Null with IfExists is unknown", `{"NullIfExists":{"k:x":"true"}}`, nil, false},
	}
	anon := mustPrincipal(t, "arn:aws:iam::111122223333:role/R")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &Engine{Key: compileKey(t, cond(tc.block))}
			r := e.Decide(&Request{Principal: anon, Action: "kms:Decrypt", Resource: keyARN, Context: ctx(tc.context)})
			if got := r.Decision == Allow; got != tc.want {
				t.Fatalf("allowed = %v, want %v; %s", got, tc.want, r.Statements[0].Reason)
			}
		})
	}
}

func TestPrincipalsAndDelegation(t *testing.T) {
	rootPolicy := `{"Version":"2012-10-17","Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`
	allowDecrypt := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`
	denyDecrypt := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:*","Resource":"*"}]}`
	tests := []struct {
		name      string
		key       string
		identity  []string
		principal string
		action    string
		context   map[string]any
		want      Decision
	}{
		// Root delegation: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
		{"root delegation without IAM policy", rootPolicy, nil, roleSession, "kms:Decrypt", nil, ImplicitDeny},
		{"root delegation with IAM allow", rootPolicy, []string{allowDecrypt}, roleSession, "kms:Decrypt", nil, Allow},
		{"root delegation, IAM allows other action", rootPolicy, []string{allowDecrypt}, roleSession, "kms:Encrypt", nil, ImplicitDeny},
		{"account id principal delegates too", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}]}`, []string{allowDecrypt}, roleSession, "kms:Decrypt", nil, Allow},
		{"root user itself needs no IAM policy", rootPolicy, nil, "arn:aws:iam::111122223333:root", "kms:Decrypt", nil, Allow},
		{"IAM deny wins over key allow", canonical, []string{denyDecrypt}, roleSession, "kms:DescribeKey", nil, ExplicitDeny},
		{"IAM allow alone is not enough", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Other"},"Action":"kms:*","Resource":"*"}]}`, []string{allowDecrypt}, roleSession, "kms:Decrypt", nil, ImplicitDeny},
		// Role principal matches its sessions, whatever the role path and name case.
		{"role with path matches session", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/team/MyRecommendationRole"},"Action":"kms:Decrypt","Resource":"*"}]}`, nil, roleSession, "kms:Decrypt", nil, Allow},
		{"role name case-insensitive", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/myrecommendationrole"},"Action":"kms:Decrypt","Resource":"*"}]}`, nil, roleSession, "kms:Decrypt", nil, Allow},
		{"role of another account", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/MyRecommendationRole"},"Action":"kms:Decrypt","Resource":"*"}]}`, nil, roleSession, "kms:Decrypt", nil, ImplicitDeny},
		{"session ARN principal exact", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/kmslint"},"Action":"kms:Decrypt","Resource":"*"}]}`, nil, roleSession, "kms:Decrypt", nil, Allow},
		{"other session ARN", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/MyRecommendationRole/other"},"Action":"kms:Decrypt","Resource":"*"}]}`, nil, roleSession, "kms:Decrypt", nil, ImplicitDeny},
		{"IAM user exact", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:Decrypt","Resource":"*"}]}`, nil, "arn:aws:iam::111122223333:user/alice", "kms:Decrypt", nil, Allow},
		// Cross-account: https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
		{"cross-account needs own IAM policy", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/Outsider"},"Action":"kms:Decrypt","Resource":"*"}]}`, nil, "arn:aws:iam::444455556666:role/Outsider", "kms:Decrypt", nil, ImplicitDeny},
		{"cross-account with own IAM policy", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/Outsider"},"Action":"kms:Decrypt","Resource":"*"}]}`, []string{allowDecrypt}, "arn:aws:iam::444455556666:role/Outsider", "kms:Decrypt", nil, Allow},
		{"cross-account through their root", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"kms:Decrypt","Resource":"*"}]}`, []string{allowDecrypt}, "arn:aws:iam::444455556666:role/Outsider", "kms:Decrypt", nil, Allow},
		// Wildcard principals.
		{"star narrowed by kms:CallerAccount", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}]}`, nil, "arn:aws:iam::111122223333:role/R", "kms:Decrypt", map[string]any{"kms:CallerAccount": "111122223333"}, Allow},
		{"star narrowed, outsider", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}]}`, []string{allowDecrypt}, "arn:aws:iam::444455556666:role/R", "kms:Decrypt", map[string]any{"kms:CallerAccount": "444455556666"}, ImplicitDeny},
		{"AWS star matches service", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}]}`, nil, "service:bedrock-agentcore.amazonaws.com", "kms:Decrypt", nil, Allow},
		{"star matches anonymous", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]}`, nil, "anonymous", "kms:Decrypt", nil, Allow},
		// Service principals come only from the key policy.
		{"service not via root", rootPolicy, []string{allowDecrypt}, "service:bedrock-agentcore.amazonaws.com", "kms:Decrypt", nil, ImplicitDeny},
		{"service name under AWS never matches a service", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"other.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*"}]}`, nil, "service:bedrock-agentcore.amazonaws.com", "kms:Decrypt", nil, ImplicitDeny},
		// Deny semantics.
		// Partitions are separate IAM instances.
		{"root of the same account id in another partition does not delegate", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`, []string{allowDecrypt}, "arn:aws-cn:sts::111122223333:assumed-role/R/s", "kms:Decrypt", nil, ImplicitDeny},
		{"root in the caller's partition delegates", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws-cn:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}`, []string{allowDecrypt}, "arn:aws-cn:sts::111122223333:assumed-role/R/s", "kms:Decrypt", nil, Allow},
		{"deny naming the account denies its roles", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"kms:Decrypt","Resource":"*"}]}`, nil, roleSession, "kms:Decrypt", nil, ExplicitDeny},
		// NotPrincipal with Deny: a principal is spared only when it, its
		// role (for a session) and its account are all named; sessions
		// are named one by one.
		// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
		{"NotPrincipal deny naming only the role still denies its sessions", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/MyRecommendationRole"},"Action":"kms:*","Resource":"*"}]}`, nil, roleSession, "kms:Decrypt", nil, ExplicitDeny},
		{"NotPrincipal deny naming role and account still denies an unnamed session", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:role/MyRecommendationRole","arn:aws:iam::111122223333:root"]},"Action":"kms:*","Resource":"*"}]}`, nil, roleSession, "kms:Decrypt", nil, ExplicitDeny},
		{"NotPrincipal deny naming session, role and account spares the session", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":["` + roleSession + `","arn:aws:iam::111122223333:role/MyRecommendationRole","111122223333"]},"Action":"kms:*","Resource":"*"}]}`, nil, roleSession, "kms:Decrypt", nil, Allow},
		{"NotPrincipal deny naming the session but not its account denies it", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":["` + roleSession + `","arn:aws:iam::111122223333:role/MyRecommendationRole"]},"Action":"kms:*","Resource":"*"}]}`, nil, roleSession, "kms:Decrypt", nil, ExplicitDeny},
		{"NotPrincipal deny naming Bob and his account spares Bob", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:user/Bob","arn:aws:iam::444455556666:root"]},"Action":"kms:*","Resource":"*"}]}`, []string{allowDecrypt}, "arn:aws:iam::444455556666:user/Bob", "kms:Decrypt", nil, Allow},
		{"NotPrincipal deny naming Bob and his account denies Alice", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:user/Bob","arn:aws:iam::444455556666:root"]},"Action":"kms:*","Resource":"*"}]}`, []string{allowDecrypt}, "arn:aws:iam::444455556666:user/Alice", "kms:Decrypt", nil, ExplicitDeny},
		{"NotPrincipal deny spares a named service", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"kms:*","Resource":"*"}]}`, nil, "service:bedrock-agentcore.amazonaws.com", "kms:Decrypt", nil, Allow},
		{"NotPrincipal deny hits others", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/MyRecommendationRole"},"Action":"kms:*","Resource":"*"}]}`, nil, "arn:aws:sts::111122223333:assumed-role/Other/s", "kms:Decrypt", nil, ExplicitDeny},
		// Actions: case-insensitive globs; NotAction.
		{"action case-insensitive", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"KMS:decrypt","Resource":"*"}]}`, nil, roleSession, "kms:Decrypt", nil, Allow},
		{"action glob", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Generate*","Resource":"*"}]}`, nil, roleSession, "kms:GenerateDataKey", nil, Allow},
		{"NotAction", `{"Statement":[{"Effect":"Allow","Principal":"*","NotAction":"kms:Decrypt","Resource":"*"}]}`, nil, roleSession, "kms:Decrypt", nil, ImplicitDeny},
		// Resource.
		{"resource ARN match", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/*"}]}`, nil, roleSession, "kms:Decrypt", nil, Allow},
		{"resource other key", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/other"}]}`, nil, roleSession, "kms:Decrypt", nil, ImplicitDeny},
		{"NotResource", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","NotResource":"arn:aws:kms:us-east-1:111122223333:key/other"}]}`, nil, roleSession, "kms:Decrypt", nil, Allow},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := &Engine{Key: compileKey(t, tc.key)}
			for _, id := range tc.identity {
				e.Identity = append(e.Identity, compileIdentity(t, id))
			}
			r := e.Decide(&Request{Principal: mustPrincipal(t, tc.principal), Action: tc.action, Resource: keyARN, Context: ctx(tc.context)})
			if r.Decision != tc.want {
				t.Fatalf("decision = %v, want %v (%s)\n%+v", r.Decision, tc.want, r.Summary, r.Statements)
			}
		})
	}
}

func TestReasonsArePrecise(t *testing.T) {
	e := &Engine{Key: compileKey(t, canonical)}
	r := e.Decide(&Request{
		Principal: mustPrincipal(t, "service:bedrock-agentcore.amazonaws.com"),
		Action:    "kms:Decrypt", Resource: keyARN,
		Context: ctx(map[string]any{"aws:SourceAccount": "444455556666", "aws:SourceArn": recARN}),
	})
	want := []string{
		`principal service:bedrock-agentcore.amazonaws.com is not Principal {"AWS": "arn:aws:iam::111122223333:role/MyRecommendationRole"}`,
		`principal service:bedrock-agentcore.amazonaws.com is not Principal`,
		`condition StringEquals aws:SourceAccount: request value "444455556666" does not match "111122223333"`,
	}
	for i, w := range want {
		if !strings.Contains(r.Statements[i].Reason, w) {
			t.Errorf("statement %d reason = %q, want it to contain %q", i, r.Statements[i].Reason, w)
		}
	}
	if r.Statements[2].Failed != ConditionMismatch || r.Statements[2].Condition < 0 {
		t.Errorf("statement 2 failure = %v/%d", r.Statements[2].Failed, r.Statements[2].Condition)
	}
	if !strings.Contains(r.Summary, "service principals get access only from the key policy") {
		t.Errorf("summary = %q", r.Summary)
	}
}

func TestParsePrincipal(t *testing.T) {
	tests := []struct {
		in      string
		kind    PrincipalKind
		account string
		wantErr bool
		path    string // RolePath, for roles
	}{
		{"arn:aws:iam::111122223333:role/path/R", IAMRole, "111122223333", false, "/path/"},
		{"arn:aws:iam::111122223333:role/a/b/R", IAMRole, "111122223333", false, "/a/b/"},
		{"arn:aws:iam::111122223333:role/R", IAMRole, "111122223333", false, "/"},
		{"arn:aws:sts::111122223333:assumed-role/R/s", AssumedRole, "111122223333", false, ""},
		{"arn:aws:iam::111122223333:user/u", IAMUser, "111122223333", false, ""},
		{"arn:aws:iam::111122223333:root", AccountRoot, "111122223333", false, ""},
		{"111122223333", AccountRoot, "111122223333", false, ""},
		{"service:bedrock-agentcore.amazonaws.com", ServicePrincipal, "", false, ""},
		{"bedrock-agentcore.amazonaws.com", ServicePrincipal, "", false, ""},
		{"anonymous", Anonymous, "", false, ""},
		{"arn:aws:sts::111122223333:federated-user/bob", FederatedUser, "111122223333", false, ""},
		{"arn:aws:sts::111122223333:assumed-role/R", 0, "", true, ""},
		{"arn:aws:iam::12345:role/R", 0, "", true, ""},
		{"arn:aws:s3:::bucket", 0, "", true, ""},
		{"garbage", 0, "", true, ""},
		{"", 0, "", true, ""},
	}
	for _, tc := range tests {
		p, err := ParsePrincipal(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err = %v", tc.in, err)
			continue
		}
		if err == nil && (p.Kind != tc.kind || p.Account != tc.account || p.RolePath != tc.path) {
			t.Errorf("%q: got %v/%q/path %q", tc.in, p.Kind, p.Account, p.RolePath)
		}
	}
}

func TestCompileRefusesInvalidPolicy(t *testing.T) {
	p, err := policy.ParseKeyPolicy("k.json", []byte(`{"Statement":[{"Effect":"allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compile("k", p); err == nil {
		t.Fatal("Compile accepted an invalid policy")
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"*", "", true}, {"a*", "a", true}, {"*a", "ba", true}, {"*a*b", "xaxxb", true},
		{"a*b*c", "abbbc", true}, {"a*b*c", "acb", false}, {"?", "", false}, {"??", "é!", true},
		{"a**b", "ab", true}, {"*?", "", false}, {"x*y*z", strings.Repeat("xy", 1000) + "q", false},
	}
	for _, tc := range tests {
		p := compilePattern(tc.pat, true, false)
		if got, _ := p.match(tc.s, nil); got != tc.want {
			t.Errorf("glob(%q, %q) = %v", tc.pat, tc.s, got)
		}
	}
}
