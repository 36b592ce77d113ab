package lint

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
)

// Generators of large key policies for the scaling benchmarks and tests.
// They are deterministic (seeded) so a benchmark measures the same policy
// on every run, and they live here rather than as multi-MB files.

const genAccount = "111122223333"

// genShape says what a generated policy looks like.
type genShape struct {
	// Statements is how many statements follow the root and service
	// statements.
	Statements int
	// Roles is how many distinct caller roles the statements name; 0
	// means one per statement.
	Roles int
	// PerStatement is how many principals each caller statement lists.
	PerStatement int
	// Conditions adds an encryption-context condition to crypto grants.
	Conditions bool
	// Pretty indents the JSON (bigger file for the same statements).
	Pretty bool
}

// genPolicy returns a key policy of the shape: an account-root statement,
// the service principal's statement, and Statements caller grants drawn
// from the AgentCore caller's needs (DescribeKey; GenerateDataKey and
// Decrypt, with or without an encryption-context condition), with the
// occasional key-administrator statement and Deny of another account.
func genPolicy(seed uint64, s genShape) []byte {
	r := rand.New(rand.NewPCG(seed, 0x6b6d736c696e74))
	roles := s.Roles
	if roles <= 0 {
		roles = s.Statements * max(s.PerStatement, 1)
	}
	per := max(s.PerStatement, 1)
	rec := "arn:aws:bedrock-agentcore:us-east-1:" + genAccount + ":recommendation/*"
	stmts := []map[string]any{
		{"Sid": "Root", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + genAccount + ":root"}, "Action": "kms:*", "Resource": "*"},
		{"Sid": "Svc", "Effect": "Allow", "Principal": map[string]any{"Service": "bedrock-agentcore.amazonaws.com"},
			"Action": []string{"kms:GenerateDataKey", "kms:Decrypt"}, "Resource": "*",
			"Condition": map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": genAccount}, "ArnLike": map[string]any{"aws:SourceArn": rec}}},
	}
	next := 0
	principal := func() any {
		if per == 1 {
			next++
			return fmt.Sprintf("arn:aws:iam::%s:role/R%d", genAccount, (next-1)%roles)
		}
		l := make([]string, per)
		for i := range l {
			l[i] = fmt.Sprintf("arn:aws:iam::%s:role/R%d", genAccount, next%roles)
			next++
		}
		return l
	}
	for i := range s.Statements {
		// Sids only now and then: the shape at the 32 KB limit has 226
		// statements, about 137 bytes each.
		st := map[string]any{"Effect": "Allow", "Resource": "*"}
		if i%8 == 0 {
			st["Sid"] = fmt.Sprintf("S%d", i)
		}
		switch k := r.IntN(20); {
		case k == 0:
			st["Principal"] = map[string]any{"AWS": fmt.Sprintf("arn:aws:iam::%s:role/Admin%d", genAccount, i)}
			st["Action"] = []string{"kms:Describe*", "kms:Put*", "kms:ScheduleKeyDeletion"}
		case k == 1:
			st["Effect"] = "Deny"
			st["Principal"] = "*"
			st["Action"] = "kms:*"
			st["Condition"] = map[string]any{"StringNotEquals": map[string]any{"kms:CallerAccount": genAccount}}
		case k < 9:
			st["Principal"] = map[string]any{"AWS": principal()}
			st["Action"] = "kms:DescribeKey"
		default:
			st["Principal"] = map[string]any{"AWS": principal()}
			if k < 12 {
				st["Action"] = []string{"kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"}
			} else {
				st["Action"] = []string{"kms:GenerateDataKey", "kms:Decrypt"}
			}
			if s.Conditions && k == 19 {
				st["Condition"] = map[string]any{"StringLike": map[string]any{"kms:EncryptionContext:aws:bedrock-agentcore:recommendationArn": rec}}
			}
		}
		stmts = append(stmts, st)
	}
	doc := map[string]any{"Version": "2012-10-17", "Statement": stmts}
	var out []byte
	var err error
	if s.Pretty {
		out, err = json.MarshalIndent(doc, "", "  ")
	} else {
		out, err = json.Marshal(doc)
	}
	if err != nil {
		panic(err)
	}
	return out
}
