package lint

import (
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/policy"
)

func mustPolicy(t *testing.T, src string) *policy.Policy {
	t.Helper()
	p, err := policy.ParseKeyPolicy("p.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const stmtRole = `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/R"},"Action":"kms:DescribeKey","Resource":"*"}`

func TestInfer(t *testing.T) {
	for _, tc := range []struct {
		name, stmts     string
		account, region string
		accErr, regErr  string
		callers         string
		fallbackRegion  string
	}{
		{name: "role and recommendation pattern",
			stmts:   stmtRole + `,{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:bedrock-agentcore:eu-west-1:111122223333:recommendation/*"}}}`,
			account: "111122223333", region: "eu-west-1", callers: "arn:aws:iam::111122223333:role/R"},
		{name: "source account wins over a foreign auditor",
			stmts:   stmtRole + `,{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/Audit"},"Action":"kms:GetKeyPolicy","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}`,
			account: "111122223333", fallbackRegion: "us-west-2", region: "us-west-2", callers: "arn:aws:iam::111122223333:role/R"},
		{name: "two accounts are ambiguous",
			stmts:  stmtRole + `,{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/Other"},"Action":"kms:DescribeKey","Resource":"*"}`,
			accErr: "--account", regErr: "--region", callers: "arn:aws:iam::111122223333:role/R,arn:aws:iam::444455556666:role/Other"},
		{name: "via service gives the region",
			stmts:   strings.Replace(stmtRole, `"Resource":"*"`, `"Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"bedrock-agentcore.ap-south-1.amazonaws.com"}}`, 1),
			account: "111122223333", region: "ap-south-1", callers: "arn:aws:iam::111122223333:role/R"},
		{name: "admins and root are not callers",
			stmts:   `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Admin"},"Action":["kms:Describe*","kms:Put*","kms:ScheduleKeyDeletion"],"Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/U"},"Action":"kms:Decrypt","Resource":"*"}`,
			account: "111122223333", regErr: "--region", callers: "arn:aws:iam::111122223333:user/U"},
		{name: "nothing to infer from",
			stmts:  `{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}`,
			accErr: "--account", regErr: "AWS_REGION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPolicy(t, `{"Version":"2012-10-17","Statement":[`+tc.stmts+`]}`)
			a, err := inferAccount(p, nil)
			if tc.accErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.accErr) {
					t.Errorf("account error = %v, want %q", err, tc.accErr)
				}
			} else if err != nil || a != tc.account {
				t.Errorf("account = %q, %v; want %q", a, err, tc.account)
			}
			r, err := inferRegion(p, tc.fallbackRegion, nil)
			if tc.regErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.regErr) {
					t.Errorf("region error = %v, want %q", err, tc.regErr)
				}
			} else if err != nil || r != tc.region {
				t.Errorf("region = %q, %v; want %q", r, err, tc.region)
			}
			if got := strings.Join(inferCallers(p), ","); got != tc.callers {
				t.Errorf("callers = %q, want %q", got, tc.callers)
			}
		})
	}
}

func TestNamedElsewhere(t *testing.T) {
	for _, tc := range []struct {
		name, stmts       string
		accounts, regions string // comma-separated, sorted
	}{
		{name: "only the environment's own", stmts: stmtRole + `,{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"},"ArnLike":{"aws:SourceArn":"arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*"}}}`},
		{name: "second source account and a pattern list with another region",
			stmts:    `{"Effect":"Allow","Principal":{"Service":"bedrock-agentcore.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":["111122223333","777788889999"]},"ArnLike":{"aws:SourceArn":["arn:aws:bedrock-agentcore:us-east-1:111122223333:recommendation/*","arn:aws:bedrock-agentcore:eu-west-1:111122223333:recommendation/*"]}}}`,
			accounts: "777788889999", regions: "eu-west-1"},
		{name: "an account pattern gives an account it admits",
			stmts:    `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/R"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringLike":{"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn":["arn:aws:bedrock-agentcore:us-east-1:11112222????:recommendation/*","arn:aws:bedrock-agentcore:us-east-1:*:recommendation/*","arn:aws:bedrock-agentcore:us-east-1:1111*:recommendation/*"]}}}`,
			accounts: "111122229999,111199999999"},
		{name: "resources count, principals and wildcards do not",
			stmts:    `{"Effect":"Allow","Principal":{"AWS":["444455556666","arn:aws:iam::210987654321:role/Audit","arn:aws:iam::*:root"]},"Action":"kms:Decrypt","Resource":"arn:aws:kms:ap-south-1:135792468024:key/*","Condition":{"StringLike":{"kms:EncryptionContext:x":"arn:aws:s3:*:*:bucket"}}}`,
			accounts: "135792468024", regions: "ap-south-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPolicy(t, `{"Version":"2012-10-17","Statement":[`+tc.stmts+`]}`)
			a, r := namedElsewhere(p, "111122223333", "us-east-1")
			if got := strings.Join(a, ","); got != tc.accounts {
				t.Errorf("accounts %q, want %q", got, tc.accounts)
			}
			if got := strings.Join(r, ","); got != tc.regions {
				t.Errorf("regions %q, want %q", got, tc.regions)
			}
		})
	}
}

func TestAccountMatching(t *testing.T) {
	for _, tc := range []struct{ pat, own, want string }{
		{"11112222????", "111122223333", "111122229999"},
		{"11112222????", "111122229999", "111122228888"},
		{"1111*", "111122223333", "111199999999"},
		{"*", "111122223333", ""},
		{"111122223333", "111122223333", ""},
		{"1*1*", "111122223333", "199999999991"},
		{"1234567890123?", "111122223333", ""},
	} {
		got, ok := accountMatching(tc.pat, tc.own)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("accountMatching(%q, %q) = %q, %v; want %q", tc.pat, tc.own, got, ok, tc.want)
		}
	}
}
