package policy

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// okStmt is a valid key policy statement that the cases below vary.
const okStmt = `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`

func doc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// stmt builds a statement from the valid one with elements replaced
// (value "") removed, or added; fields keep okStmt's order.
func stmt(set ...string) string {
	type kv struct{ k, v string }
	fields := []kv{
		{"Effect", `"Allow"`},
		{"Principal", `{"AWS":"arn:aws:iam::111122223333:root"}`},
		{"Action", `"kms:*"`},
		{"Resource", `"*"`},
	}
	for i := 0; i+1 < len(set); i += 2 {
		k, v := set[i], set[i+1]
		found := false
		for j := range fields {
			if fields[j].k == k {
				fields[j].v, found = v, true
			}
		}
		if !found {
			fields = append(fields, kv{k, v})
		}
	}
	var parts []string
	for _, f := range fields {
		if f.v != "" {
			parts = append(parts, `"`+f.k+`":`+f.v)
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// posOf is the position of the nth (0-based) occurrence of needle in s.
func posOf(t *testing.T, s, needle string, nth int) Pos {
	t.Helper()
	off := 0
	for k := 0; ; k++ {
		i := strings.Index(s[off:], needle)
		if i < 0 {
			t.Fatalf("%q not found %d times in %s", needle, nth+1, s)
		}
		if k == nth {
			off += i
			break
		}
		off += i + 1
	}
	line, col := 1, 1
	for _, r := range s[:off] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return Pos{line, col}
}

type wantProblem struct {
	at   string // text whose nth occurrence is where the problem points; "" = 1:1
	nth  int
	stmt int // statement index, -1 for the policy level
	msg  string
	rule string // default KMS001
}

func checkProblems(t *testing.T, in string, got []Problem, want []wantProblem) {
	t.Helper()
	if len(got) != len(want) {
		for _, p := range got {
			t.Logf("got %s %s stmt=%d: %s", p.Rule, p.Pos, p.Statement, p.Message)
		}
		t.Fatalf("%d problems, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		wantPos := Pos{1, 1}
		if w.at != "" {
			wantPos = posOf(t, in, w.at, w.nth)
		}
		rule := w.rule
		if rule == "" {
			rule = "KMS001"
		}
		if g.Rule != rule || g.Pos != wantPos || g.Statement != w.stmt || !strings.Contains(g.Message, w.msg) {
			t.Errorf("problem %d:\n got %s %s stmt=%d %q\nwant %s %s stmt=%d containing %q",
				i, g.Rule, g.Pos, g.Statement, g.Message, rule, wantPos, w.stmt, w.msg)
		}
	}
}

func TestBuildProblems(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		identity bool
		want     []wantProblem
	}{
		{name: "valid", in: doc(okStmt)},
		{name: "valid single statement object", in: `{"Statement":` + okStmt + `}`},
		{name: "valid identity policy", identity: true, in: doc(stmt("Principal", ""))},

		// Top level.
		{name: "not an object", in: `["Statement"]`, want: []wantProblem{
			{stmt: -1, msg: "a policy must be a JSON object, got array"}}},
		{name: "missing Statement", in: `{"Version":"2012-10-17"}`, want: []wantProblem{
			{stmt: -1, msg: `missing required element "Statement"`}}},
		{name: "empty Statement array", in: `{"Statement":[]}`, want: []wantProblem{
			{at: "[", stmt: -1, msg: `"Statement" must not be an empty array`}}},
		{name: "Statement of wrong type", in: `{"Statement":"Allow"}`, want: []wantProblem{
			{at: `"Allow"`, stmt: -1, msg: `"Statement" must be an object or an array of objects, got string`}}},
		{name: "statement not an object", in: doc(okStmt, `[]`), want: []wantProblem{
			{at: "[]", stmt: 1, msg: "Statement[1] must be an object, got array"}}},
		{name: "unknown top-level element", in: `{"Statements":[],"Statement":` + okStmt + `}`, want: []wantProblem{
			{at: `"Statements"`, stmt: -1, msg: `unknown top-level element "Statements" (allowed: Version, Id, Statement)`}}},
		{name: "top-level element case", in: `{"version":"2012-10-17","Statement":` + okStmt + `}`, want: []wantProblem{
			{at: `"version"`, stmt: -1, msg: `unknown top-level element "version"; names are case-sensitive: did you mean "Version"?`}}},
		{name: "Version not a string", in: `{"Version":2012,"Statement":` + okStmt + `}`, want: []wantProblem{
			{at: "2012", stmt: -1, msg: `"Version" must be a string, got number`}}},
		{name: "Version unknown", in: `{"Version":"2012-10-18","Statement":` + okStmt + `}`, want: []wantProblem{
			{at: `"2012-10-18"`, stmt: -1, msg: `"Version" must be "2012-10-17" (or the obsolete "2008-10-17"), got "2012-10-18"`}}},
		{name: "old Version accepted", in: `{"Version":"2008-10-17","Statement":` + okStmt + `}`},
		{name: "Id not a string", in: `{"Id":["a"],"Statement":` + okStmt + `}`, want: []wantProblem{
			{at: `["a"]`, stmt: -1, msg: `"Id" must be a string, got array`}}},

		// Duplicate keys at every depth.
		{name: "duplicate top-level key", in: `{"Version":"2012-10-17","Version":"2008-10-17","Statement":` + okStmt + `}`, want: []wantProblem{
			{at: `"Version"`, nth: 1, stmt: -1, msg: `duplicate key "Version" (first at 1:2); parsers disagree on which one wins`}}},
		{name: "duplicate Statement builds the first", in: `{"Statement":` + okStmt + `,"Statement":` + stmt("Effect", `"allow"`) + `}`, want: []wantProblem{
			{at: `"Statement"`, nth: 1, stmt: -1, msg: `duplicate key "Statement" (first at 1:2)`}}},
		{name: "duplicate statement key", in: "{\"Statement\":[\n" + okStmt + ",\n" + stmt("Effect", `"Deny"`) + ",\n" + `{"Effect":"Allow",` + "\n" + `"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, want: []wantProblem{
			{at: `"Effect"`, nth: 3, stmt: 2, msg: `duplicate key "Effect" (first at 4:2); parsers disagree on which one wins`}}},
		{name: "duplicate principal type", in: doc(stmt("Principal", `{"AWS":"111122223333","Service":"s3.amazonaws.com","AWS":"*"}`)), want: []wantProblem{
			{at: `"AWS"`, nth: 1, stmt: 0, msg: `duplicate key "AWS"`}}},
		{name: "duplicate condition operator", in: doc(stmt("Condition", `{"Bool":{"aws:SecureTransport":"true"},"Bool":{"aws:ViaAWSService":"true"}}`)), want: []wantProblem{
			{at: `"Bool"`, nth: 1, stmt: 0, msg: `duplicate key "Bool"`}}},
		{name: "duplicate condition key", in: doc(okStmt, stmt("Condition", `{"StringEquals":{"kms:CallerAccount":"111122223333","kms:CallerAccount":"444455556666"}}`)), want: []wantProblem{
			{at: `"kms:CallerAccount"`, nth: 1, stmt: 1, msg: `duplicate key "kms:CallerAccount"`}}},
		{name: "duplicate inside an unknown element", in: doc(stmt("Foo", `[{"a":1,"a":2}]`)), want: []wantProblem{
			{at: `"Foo"`, stmt: 0, msg: `unknown statement element "Foo"`},
			{at: `"a"`, nth: 1, stmt: 0, msg: `duplicate key "a"`}}},
		{name: "triple key points at the first", in: `{"Id":"a","Id":"b","Id":"c","Statement":` + okStmt + `}`, want: []wantProblem{
			{at: `"Id"`, nth: 1, stmt: -1, msg: `duplicate key "Id" (first at 1:2)`},
			{at: `"Id"`, nth: 2, stmt: -1, msg: `duplicate key "Id" (first at 1:2)`}}},

		// Statement elements.
		{name: "unknown statement element case", in: doc(stmt("effect", `"Allow"`)), want: []wantProblem{
			{at: `"effect"`, stmt: 0, msg: `unknown statement element "effect"; names are case-sensitive: did you mean "Effect"?`}}},
		{name: "Sid not a string", in: doc(stmt("Sid", `1`)), want: []wantProblem{
			{at: `1}`, stmt: 0, msg: `"Sid" must be a string, got number`}}},
		{name: "Sid with spaces is fine in a key policy", in: doc(stmt("Sid", `"Enable IAM User Permissions"`))},
		{name: "Effect missing", in: doc(okStmt, stmt("Effect", "")), want: []wantProblem{
			{at: `{"Principal"`, stmt: 1, msg: `missing required element "Effect"`}}},
		{name: "Effect lower case", in: doc(stmt("Effect", `"allow"`)), want: []wantProblem{
			{at: `"allow"`, stmt: 0, msg: `"Effect" must be exactly "Allow" or "Deny" (case-sensitive), got "allow"`}}},
		{name: "Effect not a string", in: doc(stmt("Effect", `true`)), want: []wantProblem{
			{at: `true`, stmt: 0, msg: `"Effect" must be a string, got boolean`}}},
		{name: "Principal missing", in: doc(stmt("Principal", "")), want: []wantProblem{
			{at: `{"Effect"`, stmt: 0, msg: `missing required element "Principal" (or "NotPrincipal"); a key policy statement must say whom it applies to`}}},
		{name: "Principal and NotPrincipal", in: doc(stmt("NotPrincipal", `{"AWS":"111122223333"}`)), want: []wantProblem{
			{at: `"NotPrincipal"`, stmt: 0, msg: `statement has both "Principal" and "NotPrincipal"; use exactly one`}}},
		{name: "Principal in identity policy", identity: true, in: doc(okStmt), want: []wantProblem{
			{at: `"Principal"`, stmt: 0, msg: `"Principal" is not allowed in an identity policy`}}},
		{name: "NotPrincipal in identity policy", identity: true, in: doc(stmt("Principal", "", "NotPrincipal", `"*"`)), want: []wantProblem{
			{at: `"NotPrincipal"`, stmt: 0, msg: `"NotPrincipal" is not allowed in an identity policy`}}},
		{name: "Resource missing in identity policy", identity: true, in: doc(stmt("Principal", "", "Resource", "")), want: []wantProblem{
			{at: `{"Effect"`, stmt: 0, msg: `missing required element "Resource" (or "NotResource")`}}},
		// KMS accepts a key policy statement without Action or Resource
		// (it has no effect: KMS014), so neither is a problem of the
		// document.
		// https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
		{name: "Action missing", in: doc(stmt("Action", "")), want: nil},
		{name: "Action and NotAction", in: doc(stmt("NotAction", `"kms:Decrypt"`)), want: []wantProblem{
			{at: `"NotAction"`, stmt: 0, msg: `statement has both "Action" and "NotAction"`}}},
		{name: "NotAction before Action", in: doc(`{"NotAction":"kms:Decrypt","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}`), want: []wantProblem{
			{at: `"Action"`, stmt: 0, msg: `statement has both "Action" and "NotAction"`}}},
		{name: "Resource missing", in: doc(stmt("Resource", "")), want: nil},
		{name: "Resource and NotResource", in: doc(stmt("NotResource", `["arn:aws:kms:us-east-1:111122223333:key/x"]`)), want: []wantProblem{
			{at: `"NotResource"`, stmt: 0, msg: `statement has both "Resource" and "NotResource"`}}},
		{name: "Resource wrong type", in: doc(stmt("Resource", `{"a":"*"}`)), want: []wantProblem{
			{at: `{"a"`, stmt: 0, msg: `"Resource" must be a string or an array of strings, got object`}}},
		{name: "Resource empty array", in: doc(stmt("Resource", `[]`)), want: []wantProblem{
			{at: `[]`, stmt: 0, msg: `"Resource" must not be an empty array`}}},
		{name: "every problem of a statement", in: doc(`{"Effect":"Permit","Action":7,"Resource":[null],"Extra":1}`), want: []wantProblem{
			{at: `{"Effect"`, stmt: 0, msg: `missing required element "Principal"`},
			{at: `"Permit"`, stmt: 0, msg: `"Effect" must be exactly "Allow" or "Deny"`},
			{at: `7,"Resource"`, stmt: 0, msg: `"Action" must be a string or an array of strings, got number`},
			{at: `null`, stmt: 0, msg: `"Resource" must contain only strings, got null`},
			{at: `"Extra"`, stmt: 0, msg: `unknown statement element "Extra" (allowed: Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition)`}}},

		// Actions.
		{name: "action without service", in: doc(stmt("Action", `["kms:Decrypt","Decrypt"]`)), want: []wantProblem{
			{at: `"Decrypt"`, stmt: 0, msg: `invalid action "Decrypt" in "Action": want "*" or "service:Action" such as "kms:Decrypt"`}}},
		{name: "action with space", in: doc(stmt("NotAction", `"kms:Generate DataKey"`, "Action", "")), want: []wantProblem{
			{at: `"kms:Generate DataKey"`, stmt: 0, msg: `invalid action "kms:Generate DataKey" in "NotAction"`}}},
		{name: "action wildcards", in: doc(stmt("Action", `["*","kms:*","kms:Gen?rate*","kms:Re-*"]`))},
		{name: "action bad service", in: doc(stmt("Action", `["*:Decrypt","kms:","k_ms:Decrypt"]`)), want: []wantProblem{
			{at: `"*:Decrypt"`, stmt: 0, msg: `invalid action "*:Decrypt"`},
			{at: `"kms:"`, stmt: 0, msg: `invalid action "kms:"`},
			{at: `"k_ms:Decrypt"`, stmt: 0, msg: `invalid action "k_ms:Decrypt"`}}},
		{name: "action not a string", in: doc(stmt("Action", `["kms:Decrypt",["kms:Encrypt"]]`)), want: []wantProblem{
			{at: `["kms:Encrypt"]`, stmt: 0, msg: `"Action" must contain only strings, got array`}}},

		// Principals.
		{name: "principal wildcard", in: doc(stmt("Principal", `"*"`))},
		{name: "principal kinds", in: doc(stmt("Principal", `{"AWS":["*","111122223333","arn:aws:iam::111122223333:root","arn:aws-cn:iam::111122223333:user/division/abc/Bob","arn:aws-us-gov:iam::111122223333:role/service-role/aws-service-role/x.amazonaws.com/R_1+=,.@-","arn:aws:sts::111122223333:assumed-role/MyRole/kmslint","arn:aws:sts::111122223333:federated-user/Bob","arn:aws-eusc:iam::111122223333:federated-user/Bob"],"Service":["bedrock-agentcore.amazonaws.com","logs.us-east-1.amazonaws.com"],"Federated":"cognito-identity.amazonaws.com","CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`))},
		{name: "principal string other than *", in: doc(stmt("Principal", `"arn:aws:iam::111122223333:root"`)), want: []wantProblem{
			{at: `"arn:`, stmt: 0, msg: `"Principal" must be "*" or an object such as {"AWS": "arn:aws:iam::111122223333:root"}, got string "arn:aws:iam::111122223333:root"`}}},
		{name: "principal wrong type", in: doc(stmt("Principal", "", "NotPrincipal", `["*"]`)), want: []wantProblem{
			{at: `["*"]`, stmt: 0, msg: `"NotPrincipal" must be "*" or an object such as`}}},
		{name: "principal empty object", in: doc(stmt("Principal", `{}`)), want: []wantProblem{
			{at: `{}`, stmt: 0, msg: `"Principal" must name at least one principal`}}},
		{name: "principal type case", in: doc(stmt("Principal", `{"aws":"111122223333"}`)), want: []wantProblem{
			{at: `"aws"`, stmt: 0, msg: `unknown principal type "aws"; names are case-sensitive: did you mean "AWS"?`}}},
		{name: "principal type unknown", in: doc(stmt("Principal", `{"User":"111122223333"}`)), want: []wantProblem{
			{at: `"User"`, stmt: 0, msg: `unknown principal type "User" (allowed: AWS, Service, Federated, CanonicalUser)`}}},
		{name: "principal empty array", in: doc(stmt("Principal", `{"AWS":[]}`)), want: []wantProblem{
			{at: `[]`, stmt: 0, msg: `"Principal" "AWS" must not be an empty array`}}},
		{name: "principal value not a string", in: doc(stmt("Principal", `{"AWS":[111122223333]}`)), want: []wantProblem{
			{at: `111122223333]`, stmt: 0, msg: `"Principal" "AWS" must contain only strings, got number`}}},
		{name: "service name under AWS", in: doc(stmt("Principal", `{"AWS":"bedrock-agentcore.amazonaws.com"}`)), want: []wantProblem{
			{at: `"bedrock`, stmt: 0, msg: `AWS principal "bedrock-agentcore.amazonaws.com" is a service name; service principals go under "Service"`}}},
		{name: "wildcard role", in: doc(stmt("Principal", `{"AWS":"arn:aws:iam::111122223333:role/*"}`)), want: []wantProblem{
			{at: `"arn`, stmt: 0, msg: `AWS principal "arn:aws:iam::111122223333:role/*" contains a wildcard; principals allow "*" only on its own`}}},
		{name: "wildcard account", in: doc(stmt("Principal", `{"AWS":["1111222233*","arn:aws:iam::*:root"]}`)), want: []wantProblem{
			{at: `"1111`, stmt: 0, msg: `AWS principal "1111222233*" contains a wildcard`},
			{at: `"arn`, stmt: 0, msg: `AWS principal "arn:aws:iam::*:root" contains a wildcard`}}},
		{name: "unique id of a deleted role", in: doc(stmt("Principal", `{"AWS":["AROACKCEVSQ6C2EXAMPLE","AIDACKCEVSQ6C2EXAMPLE"]}`)), want: []wantProblem{
			{at: `"AROA`, stmt: 0, msg: `AWS principal "AROACKCEVSQ6C2EXAMPLE" is the unique id of a deleted IAM user or role`},
			{at: `"AIDA`, stmt: 0, msg: `AWS principal "AIDACKCEVSQ6C2EXAMPLE" is the unique id`}}},
		{name: "short account", in: doc(stmt("Principal", `{"AWS":"11112222333"}`)), want: []wantProblem{
			{at: `"1111`, stmt: 0, msg: `AWS principal "11112222333" is not a 12-digit account id`}}},
		{name: "malformed AWS principals", in: doc(stmt("Principal", `{"AWS":["MyRole","arn:aws:iam::111122223333","arn:aws-xx:iam::111122223333:root","arn:aws:s3:::bucket","arn:aws:iam:us-east-1:111122223333:root","arn:aws:iam::1111222233334:root","arn:aws:iam::111122223333:group/Admins","arn:aws:sts::111122223333:assumed-role/MyRole","arn:aws:iam::111122223333:role/a//b","arn:aws:iam::111122223333:assumed-role/R/s","arn:aws:sts::111122223333:root","arn:aws:iam::111122223333:user/B b"]}`)), want: []wantProblem{
			{at: `"MyRole"`, stmt: 0, msg: `invalid AWS principal "MyRole": want "*", a 12-digit account id, or an IAM root, user, role, or assumed-role ARN`},
			{at: `"arn:aws:iam::111122223333"`, stmt: 0, msg: `is not a complete ARN`},
			{at: `"arn:aws-xx`, stmt: 0, msg: `has unknown partition "aws-xx"`},
			{at: `"arn:aws:s3`, stmt: 0, msg: `is a "s3" ARN; principals are IAM (root, user, role) or STS (assumed-role) ARNs`},
			{at: `"arn:aws:iam:us-east-1`, stmt: 0, msg: `has region "us-east-1"; IAM and STS ARNs have none`},
			{at: `"arn:aws:iam::1111222233334`, stmt: 0, msg: `has account "1111222233334", want 12 digits`},
			{at: `"arn:aws:iam::111122223333:group`, stmt: 0, msg: `has invalid resource "group/Admins"`},
			{at: `"arn:aws:sts::111122223333:assumed-role/MyRole"`, stmt: 0, msg: `has invalid resource "assumed-role/MyRole"`},
			{at: `"arn:aws:iam::111122223333:role/a//b"`, stmt: 0, msg: `has invalid resource "role/a//b"`},
			{at: `"arn:aws:iam::111122223333:assumed-role`, stmt: 0, msg: `has invalid resource "assumed-role/R/s"`},
			{at: `"arn:aws:sts::111122223333:root"`, stmt: 0, msg: `has invalid resource "root"`},
			{at: `"arn:aws:iam::111122223333:user/B b"`, stmt: 0, msg: `has invalid resource "user/B b"`}}},
		{name: "service wildcards", in: doc(stmt("Principal", `{"Service":["*","*.amazonaws.com.cn","bedrock-agentcore","bedrock agentcore.amazonaws.com"]}`)), want: []wantProblem{
			{at: `"*"`, stmt: 0, msg: `"*" is not a service principal`},
			{at: `"*.amazonaws`, stmt: 0, msg: `service principal "*.amazonaws.com.cn" contains a wildcard; service principals must be named exactly`},
			{at: `"bedrock-agentcore"`, stmt: 0, msg: `invalid service principal "bedrock-agentcore"`},
			{at: `"bedrock agentcore`, stmt: 0, msg: `invalid service principal "bedrock agentcore.amazonaws.com"`}}},
		{name: "federated wildcard and empty", in: doc(stmt("Principal", `{"Federated":["*",""]}`)), want: []wantProblem{
			{at: `"*"`, stmt: 0, msg: `principal "*" contains a wildcard`},
			{at: `""`, stmt: 0, msg: `empty principal`}}},

		// Conditions.
		{name: "condition values of every scalar kind", in: doc(stmt("Condition", `{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"kms:Foo":[1,"2",3.5e1]},"Null":{"aws:SourceArn":"false"},"StringEquals":{}}`))},
		{name: "condition not an object", in: doc(stmt("Condition", `["StringEquals"]`)), want: []wantProblem{
			{at: `["StringEquals"]`, stmt: 0, msg: `"Condition" must be an object of condition operators, got array`}}},
		{name: "condition operator not an object", in: doc(stmt("Condition", `{"StringEquals":"aws:SourceAccount"}`)), want: []wantProblem{
			{at: `"aws:SourceAccount"`, stmt: 0, msg: `condition operator "StringEquals" must map to an object of condition keys, got string`}}},
		{name: "condition bad values", in: doc(stmt("Condition", `{"StringEquals":{"a":null,"b":{"c":"d"},"e":[["f"]],"g":[],"h":["ok",null]}}`)), want: []wantProblem{
			{at: `null`, stmt: 0, msg: `condition value for "a" under "StringEquals" must be a string, number or boolean, got null`},
			{at: `{"c"`, stmt: 0, msg: `condition value for "b" under "StringEquals" must be a string, number or boolean, got object`},
			{at: `["f"]`, stmt: 0, msg: `condition value for "e" under "StringEquals" must be a string, number or boolean, got array`},
			{at: `[]`, stmt: 0, msg: `condition key "g" under "StringEquals" has an empty array of values`},
			{at: `null`, nth: 1, stmt: 0, msg: `condition value for "h"`}}},
		{name: "condition names are not judged here", in: doc(stmt("Condition", `{"stringequals":{"NoSuch:Key":"x"}}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := ParseJSON("p.json", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			p := Build(root, BuildOptions{Identity: tt.identity})
			checkProblems(t, tt.in, p.Problems, tt.want)
			if p.Valid() != (len(tt.want) == 0) {
				t.Errorf("Valid() = %v with %d problems", p.Valid(), len(tt.want))
			}
		})
	}
}

func TestBuildNil(t *testing.T) {
	p := Build(nil, BuildOptions{})
	if len(p.Problems) != 1 || p.Problems[0].Message != "empty policy document" || p.Valid() {
		t.Errorf("Build(nil) problems = %+v", p.Problems)
	}
}

func TestParseKeyPolicySizeAndCharacters(t *testing.T) {
	pad := func(n int) string {
		// A document of exactly n bytes: whitespace counts, as KMS counts it.
		base := doc(okStmt)
		return base + strings.Repeat(" ", n-len(base))
	}
	tests := []struct {
		name string
		in   string
		want []wantProblem
	}{
		{name: "exactly the limit", in: pad(MaxKeyPolicyBytes)},
		{name: "one byte over", in: pad(MaxKeyPolicyBytes + 1), want: []wantProblem{
			{rule: "KMS002", stmt: -1, msg: "key policy is 32769 bytes; KMS allows at most 32768"}}},
		{name: "Latin-1 allowed", in: doc(stmt("Sid", `"Zugriff für Bedrock ¡ÿ"`))},
		{name: "BOM is not part of the policy", in: "\xEF\xBB\xBF" + doc(okStmt)},
		{name: "character beyond Latin-1", in: "{\"Statement\":\n[" + stmt("Sid", `"AllowCaller😀 é€"`) + "]}", want: []wantProblem{
			{at: "😀", stmt: -1, msg: "character U+1F600 is not allowed in a key policy (KMS accepts tab, LF, CR and U+0020 to U+00FF)"}}},
		{name: "escaped characters are ASCII text", in: doc(stmt("Sid", `"\u20ac"`))},
		{name: "all problems together", in: `{"Statement":[` + stmt("Effect", `"allow"`, "Sid", `"€`+strings.Repeat("x", MaxKeyPolicyBytes)+`"`) + `]}`, want: []wantProblem{
			{rule: "KMS002", stmt: -1, msg: "KMS allows at most 32768"},
			{at: `"allow"`, stmt: 0, msg: `"Effect" must be exactly "Allow" or "Deny"`},
			{at: "€", stmt: -1, msg: "character U+20AC is not allowed"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseKeyPolicy("key.json", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if p.Size != len(tt.in) {
				t.Errorf("Size = %d, want %d", p.Size, len(tt.in))
			}
			checkProblems(t, tt.in, p.Problems, tt.want)
		})
	}
}

func TestParseIdentityPolicy(t *testing.T) {
	in := doc(stmt("Principal", "", "Sid", `"Grüße 😀"`, "Resource", `"arn:aws:kms:us-east-1:111122223333:key/*"`)) + strings.Repeat(" ", MaxKeyPolicyBytes)
	p, err := ParseIdentityPolicy("iam.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if p.Size != len(in) {
		t.Errorf("Size = %d", p.Size)
	}
	// Neither the key policy character set nor its size limit applies.
	checkProblems(t, in, p.Problems, nil)
	p, err = ParseIdentityPolicy("iam.json", []byte(doc(okStmt)))
	if err != nil {
		t.Fatal(err)
	}
	checkProblems(t, doc(okStmt), p.Problems, []wantProblem{{at: `"Principal"`, stmt: 0, msg: "not allowed in an identity policy"}})
}

func TestParseKeyPolicySyntaxError(t *testing.T) {
	for _, parse := range []func(string, []byte) (*Policy, error){ParseKeyPolicy, ParseIdentityPolicy} {
		p, err := parse("key.json", []byte("{\n  \"Statement\": [}\n"))
		var se *SyntaxError
		if p != nil || !errors.As(err, &se) {
			t.Fatalf("got %v, %v; want nil and a *SyntaxError", p, err)
		}
		if got, want := err.Error(), "key.json:2:17: invalid character '}' looking for beginning of value"; got != want {
			t.Errorf("error %q, want %q", got, want)
		}
	}
}

// TestCanonicalPolicy checks that the seed document's policy is valid and
// that every position lands on the right line and column of the file.
func TestCanonicalPolicy(t *testing.T) {
	data, err := os.ReadFile("testdata/canonical.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseKeyPolicy("testdata/canonical.json", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range p.Problems {
		t.Errorf("unexpected problem %s %s: %s", pr.Rule, pr.Pos, pr.Message)
	}
	if !p.Valid() || p.Size != len(data) {
		t.Errorf("Valid=%v Size=%d", p.Valid(), p.Size)
	}
	role := "arn:aws:iam::111122223333:role/MyRecommendationRole"
	rec := "arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"
	want := &Policy{
		Version: "2012-10-17", VersionPos: Pos{2, 14}, HasVersion: true,
		Pos: Pos{1, 1}, Size: len(data),
		Statements: []*Statement{
			{
				Index: 0, Pos: Pos{4, 5}, Sid: "AllowCallerAccess", HasSid: true, SidPos: Pos{5, 14},
				Effect: Allow, EffectPos: Pos{6, 17},
				Principal: &Principals{At: Pos{7, 20}, Entries: []PrincipalEntry{{Type: PrincipalAWS, Value: role, Pos: Pos{8, 16}}}},
				Action:    &StringList{Values: []string{"kms:DescribeKey"}, Pos: []Pos{{10, 17}}, At: Pos{10, 17}},
				Resource:  &StringList{Values: []string{"*"}, Pos: []Pos{{11, 19}}, At: Pos{11, 19}},
			},
			{
				Index: 1, Pos: Pos{13, 5}, Sid: "AllowCallerCryptoOps", HasSid: true, SidPos: Pos{14, 14},
				Effect: Allow, EffectPos: Pos{15, 17},
				Principal: &Principals{At: Pos{16, 20}, Entries: []PrincipalEntry{{Type: PrincipalAWS, Value: role, Pos: Pos{17, 16}}}},
				Action: &StringList{Values: []string{"kms:GenerateDataKey", "kms:Decrypt"},
					Pos: []Pos{{20, 9}, {21, 9}}, At: Pos{19, 17}},
				Resource: &StringList{Values: []string{"*"}, Pos: []Pos{{23, 19}}, At: Pos{23, 19}},
				Conditions: []Condition{{
					Operator: "StringLike", OperatorPos: Pos{25, 9},
					Key: "kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn", KeyPos: Pos{26, 11},
					Values: []string{rec}, ValuePos: []Pos{{26, 76}}, Kinds: []Kind{KindString},
				}},
				ConditionPos: Pos{24, 20},
			},
			{
				Index: 2, Pos: Pos{30, 5}, Sid: "AllowServicePrincipalAccess", HasSid: true, SidPos: Pos{31, 14},
				Effect: Allow, EffectPos: Pos{32, 17},
				Principal: &Principals{At: Pos{33, 20}, Entries: []PrincipalEntry{{Type: PrincipalService, Value: "bedrock-agentcore.amazonaws.com", Pos: Pos{34, 20}}}},
				Action: &StringList{Values: []string{"kms:GenerateDataKey", "kms:Decrypt"},
					Pos: []Pos{{37, 9}, {38, 9}}, At: Pos{36, 17}},
				Resource: &StringList{Values: []string{"*"}, Pos: []Pos{{40, 19}}, At: Pos{40, 19}},
				Conditions: []Condition{
					{
						Operator: "StringEquals", OperatorPos: Pos{42, 9},
						Key: "aws:SourceAccount", KeyPos: Pos{43, 11},
						Values: []string{"111122223333"}, ValuePos: []Pos{{43, 32}}, Kinds: []Kind{KindString},
					},
					{
						Operator: "ArnLike", OperatorPos: Pos{45, 9},
						Key: "aws:SourceArn", KeyPos: Pos{46, 11},
						Values: []string{rec}, ValuePos: []Pos{{46, 28}}, Kinds: []Kind{KindString},
					},
				},
				ConditionPos: Pos{41, 20},
			},
		},
	}
	if !reflect.DeepEqual(p, want) {
		for i := range want.Statements {
			if i < len(p.Statements) && !reflect.DeepEqual(p.Statements[i], want.Statements[i]) {
				t.Errorf("statement %d:\n got %+v\nwant %+v", i, *p.Statements[i], *want.Statements[i])
			}
		}
		t.Fatalf("policy:\n got %+v\nwant %+v", *p, *want)
	}
	if got := p.Statements[2].Label(); got != "AllowServicePrincipalAccess" {
		t.Errorf("Label = %q", got)
	}
}

// TestBuildModel checks the values Build records beyond the canonical policy:
// wildcards, principal entries of every type, condition kinds, statement
// indexes with a non-object statement skipped, and identity policies.
func TestBuildModel(t *testing.T) {
	in := "{\"Id\":\"key-policy-1\",\"Statement\":[7,\n" +
		`{"Effect":"Deny","NotPrincipal":{"AWS":["*","111122223333"],"Service":"s3.amazonaws.com"},"NotAction":"kms:Encrypt","NotResource":"arn:x","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"n":[1,"2",3.50]}}},` + "\n" +
		`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	root, err := ParseJSON("m.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	p := Build(root, BuildOptions{})
	checkProblems(t, in, p.Problems, []wantProblem{{at: "7", stmt: 0, msg: "Statement[0] must be an object, got number"}})
	if p.ID != "key-policy-1" || p.HasVersion || len(p.Statements) != 2 {
		t.Fatalf("ID=%q HasVersion=%v statements=%d", p.ID, p.HasVersion, len(p.Statements))
	}
	s := p.Statements[0]
	if s.Index != 1 || s.Effect != Deny || s.Principal != nil || s.HasSid || s.Label() != "Statement[1]" {
		t.Errorf("statement 1: %+v", s)
	}
	np := s.NotPrincipal
	wantEntries := []PrincipalEntry{
		{Type: PrincipalAWS, Value: "*", Pos: posOf(t, in, `"*"`, 0)},
		{Type: PrincipalAWS, Value: "111122223333", Pos: posOf(t, in, `"111122223333"`, 0)},
		{Type: PrincipalService, Value: "s3.amazonaws.com", Pos: posOf(t, in, `"s3.`, 0)},
	}
	if !np.Wildcard || !reflect.DeepEqual(np.Entries, wantEntries) {
		t.Errorf("NotPrincipal = %+v", np)
	}
	if s.NotAction.Values[0] != "kms:Encrypt" || s.NotResource.Values[0] != "arn:x" || s.Action != nil || s.Resource != nil {
		t.Errorf("NotAction %+v NotResource %+v", s.NotAction, s.NotResource)
	}
	wantConds := []Condition{
		{Operator: "Bool", OperatorPos: posOf(t, in, `"Bool"`, 0), Key: "aws:SecureTransport", KeyPos: posOf(t, in, `"aws:Secure`, 0),
			Values: []string{"false"}, ValuePos: []Pos{posOf(t, in, "false", 0)}, Kinds: []Kind{KindBool}},
		{Operator: "NumericLessThan", OperatorPos: posOf(t, in, `"NumericLessThan"`, 0), Key: "n", KeyPos: posOf(t, in, `"n"`, 0),
			Values: []string{"1", "2", "3.50"}, ValuePos: []Pos{posOf(t, in, "1,", 0), posOf(t, in, `"2"`, 0), posOf(t, in, "3.50", 0)},
			Kinds: []Kind{KindNumber, KindString, KindNumber}},
	}
	if !reflect.DeepEqual(s.Conditions, wantConds) {
		t.Errorf("Conditions:\n got %+v\nwant %+v", s.Conditions, wantConds)
	}
	s = p.Statements[1]
	if s.Index != 2 || !s.Principal.Wildcard || len(s.Principal.Entries) != 0 || s.Pos != (Pos{3, 1}) {
		t.Errorf("statement 2: %+v principal %+v", s, s.Principal)
	}
}

// TestProblemsSorted checks that problems come in file order whatever order
// the checks ran in.
func TestProblemsSorted(t *testing.T) {
	in := "{\"Statement\":[{\"Effect\":\"x\",\n\"Action\":1},\n{\"Effect\":\"y\"}],\n\"Bad\":1,\"Bad\":2}"
	root, err := ParseJSON("s.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	p := Build(root, BuildOptions{})
	for i := 1; i < len(p.Problems); i++ {
		if keyBefore(p.Problems[i].Pos, p.Problems[i-1].Pos) {
			t.Errorf("problem %d at %s before problem %d at %s", i, p.Problems[i].Pos, i-1, p.Problems[i-1].Pos)
		}
	}
	if n := len(p.Problems); n != 7 {
		for _, pr := range p.Problems {
			t.Logf("%s %s", pr.Pos, pr.Message)
		}
		t.Errorf("%d problems, want 7", n)
	}
}
