package authz

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/kmslint/kmslint/internal/policy"
)

// TestIndexSameDecisions holds the principal index to what it promises:
// every decision, allowed-action list and explanation is the one the
// unindexed policy gives, and Relevant leaves out exactly the statements
// that fail on their principal. The policies are random, with principals
// of every kind the index keys (and "*", NotPrincipal, accounts, role
// sessions with paths and other cases, services, federated providers).
func TestIndexSameDecisions(t *testing.T) {
	entries := []any{
		"*",
		map[string]any{"AWS": "*"},
		map[string]any{"AWS": "111122223333"},
		map[string]any{"AWS": "arn:aws:iam::111122223333:root"},
		map[string]any{"AWS": "arn:aws-cn:iam::111122223333:root"},
		map[string]any{"AWS": "arn:aws:iam::444455556666:root"},
		map[string]any{"AWS": "arn:aws:iam::111122223333:role/R1"},
		map[string]any{"AWS": "arn:aws:iam::111122223333:role/path/r2"},
		map[string]any{"AWS": []string{"arn:aws:iam::111122223333:role/R3", "arn:aws:iam::111122223333:user/U1"}},
		map[string]any{"AWS": "arn:aws:sts::111122223333:assumed-role/R1/s1"},
		map[string]any{"AWS": "arn:aws:iam::444455556666:role/R1"},
		map[string]any{"Service": "bedrock-agentcore.amazonaws.com"},
		map[string]any{"Federated": "cognito-identity.amazonaws.com"},
		map[string]any{"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"},
	}
	actions := []any{"kms:*", "kms:Decrypt", []string{"kms:DescribeKey", "kms:GenerateDataKey"}, "kms:Describe*"}
	principals := []string{
		"arn:aws:iam::111122223333:role/R1", "arn:aws:sts::111122223333:assumed-role/R1/s1",
		"arn:aws:sts::111122223333:assumed-role/r1/s2", "arn:aws:iam::111122223333:role/path/r2",
		"arn:aws:sts::111122223333:assumed-role/R2/s", "arn:aws:iam::111122223333:user/U1",
		"arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:role/R1", "arn:aws-cn:sts::111122223333:assumed-role/R1/s",
		"service:bedrock-agentcore.amazonaws.com", "federated:cognito-identity.amazonaws.com",
		"canonical:79a59df900b949e55d96a1e698fbaced", "anonymous", "arn:aws:iam::111122223333:role/R3",
	}
	contexts := []*Context{nil, ctx(map[string]any{"kms:CallerAccount": "111122223333"})}
	r := rand.New(rand.NewPCG(11, 0))
	for run := range 40 {
		var stmts []map[string]any
		for range indexMin + r.IntN(24) {
			st := map[string]any{"Effect": "Allow", "Action": actions[r.IntN(len(actions))], "Resource": "*"}
			if r.IntN(4) == 0 {
				st["Effect"] = "Deny"
			}
			if e := entries[r.IntN(len(entries))]; r.IntN(8) == 0 {
				st["NotPrincipal"] = e
				if e == "*" {
					st["NotPrincipal"] = map[string]any{"AWS": "arn:aws:iam::111122223333:role/R1"}
				}
			} else {
				st["Principal"] = e
			}
			if r.IntN(5) == 0 {
				st["Condition"] = map[string]any{"StringEquals": map[string]any{"kms:CallerAccount": "111122223333"}}
			}
			stmts = append(stmts, st)
		}
		src, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
		if err != nil {
			t.Fatal(err)
		}
		p, err := policy.ParseKeyPolicy("k", src)
		if err != nil {
			t.Fatal(err)
		}
		indexed, err := Compile("k", p)
		if err != nil {
			t.Fatalf("run %d: %v\n%s", run, err, src)
		}
		if indexed.index == nil {
			t.Fatalf("run %d: %d statements and no index", run, len(stmts))
		}
		plain := *indexed
		plain.index = nil
		for _, ps := range principals {
			for _, c := range contexts {
				for _, a := range []string{"kms:Decrypt", "kms:DescribeKey", "kms:PutKeyPolicy"} {
					req := &Request{Principal: mustPrincipal(t, ps), Action: a, Resource: keyARN, Context: c}
					ei, ep := &Engine{Key: indexed}, &Engine{Key: &plain}
					if gi, gp := ei.Allowed(req), ep.Allowed(req); gi != gp {
						t.Fatalf("run %d %s %s: indexed %v, plain %v\n%s", run, ps, a, gi, gp, src)
					}
					if gi, gp := ei.Decide(req), ep.Decide(req); !reflect.DeepEqual(gi, gp) {
						t.Fatalf("run %d %s %s: explained decisions differ\n%s", run, ps, a, src)
					}
					full := ep.Decide(req)
					want := full
					want.Statements = slices.DeleteFunc(slices.Clone(full.Statements), func(s StatementResult) bool { return s.Failed == PrincipalMismatch })
					if want.Statements == nil {
						want.Statements = []StatementResult{}
					}
					got := (&Engine{Key: indexed, Relevant: true}).Decide(req)
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("run %d %s %s: Relevant\n got %+v\nwant %+v\n%s", run, ps, a, got, want, src)
					}
				}
				req := &Request{Principal: mustPrincipal(t, ps), Resource: keyARN, Context: c}
				acts := []string{"kms:Decrypt", "kms:DescribeKey", "kms:PutKeyPolicy", "kms:GenerateDataKey"}
				if gi, gp := (&Engine{Key: indexed}).AllowedActions(req, acts), (&Engine{Key: &plain}).AllowedActions(req, acts); !slices.Equal(gi, gp) {
					t.Fatalf("run %d %s: AllowedActions indexed %v, plain %v", run, ps, gi, gp)
				}
			}
		}
	}
}
