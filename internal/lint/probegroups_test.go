package lint

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

func TestProbeGroups(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/R"
	const key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	probe := func(id, about, family, action string) string {
		return `{"id": "` + id + `", "about": "` + about + `", "family": "` + family + `", "request": {"principal": "` + role +
			`", "action": "` + action + `", "resource": "` + key + `", "context": {}}}`
	}
	// Two probes share the smallest id "a" (one per action, as the
	// agentcore probes do): the smaller probe value, Decrypt's, is kept.
	probes := `[` + probe("b", "GenerateDataKey z", "f", "kms:GenerateDataKey") + `,` +
		probe("a", "GenerateDataKey y", "f", "kms:GenerateDataKey") + `,` +
		probe("a", "Decrypt y", "f", "kms:Decrypt") + `,` +
		probe("0", "other family", "g", "kms:Decrypt") + `, "not a probe"]`
	stmt := func(sid, actions string) string {
		return `{"Sid": "` + sid + `", "Effect": "Allow", "Principal": {"AWS": "` + role + `"}, "Action": ` + actions + `, "Resource": "*"}`
	}
	pol := func(stmts ...string) string {
		s := `{"Version": "2012-10-17", "Statement": [`
		for i, st := range stmts {
			if i > 0 {
				s += ","
			}
			s += st
		}
		return s + `]}`
	}
	tests := []struct {
		name, policy, probes, want string
	}{
		{"one statement allows all", pol(stmt("Both", `["kms:GenerateDataKey", "kms:Decrypt"]`)), probes,
			`[{"statement": 0, "abouts": ["Decrypt y", "GenerateDataKey y", "GenerateDataKey z"], "probe": "a:Decrypt y"}]`},
		{"a statement per action", pol(stmt("Gen", `"kms:GenerateDataKey"`), stmt("Dec", `"kms:Decrypt"`)), probes,
			`[{"statement": 0, "abouts": ["GenerateDataKey y", "GenerateDataKey z"], "probe": "a:GenerateDataKey y"}, {"statement": 1, "abouts": ["Decrypt y"], "probe": "a:Decrypt y"}]`},
		{"nothing allowed", pol(stmt("Other", `"kms:Encrypt"`)), probes, `[]`},
		{"probes not a list", pol(stmt("Both", `"kms:*"`)), `{"a": 1}`, ``},
	}
	b, err := newBuiltins()
	if err != nil {
		t.Fatal(err)
	}
	bctx := rego.BuiltinContext{Context: context.Background()}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := b.probeGroups(bctx, ast.MustParseTerm(tc.policy), ast.MustParseTerm(tc.probes), ast.StringTerm("f"))
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if got != nil {
					t.Fatalf("got %v, want undefined", got)
				}
				return
			}
			// Reduce each group's probe to id:about and check the
			// decision is the Allow that grouped it.
			arr := got.Value.(*ast.Array)
			var short []*ast.Term
			for i := 0; i < arr.Len(); i++ {
				g := arr.Elem(i).Value.(ast.Object)
				p := g.Get(ast.StringTerm("probe")).Value.(ast.Object)
				if d := g.Get(ast.StringTerm("decision")).Value.(ast.Object).Get(ast.StringTerm("decision")); d.Value.Compare(ast.String("Allow")) != 0 {
					t.Errorf("group %d decision %v, want Allow", i, d)
				}
				id, about := p.Get(ast.StringTerm("id")).Value.(ast.String), p.Get(ast.StringTerm("about")).Value.(ast.String)
				short = append(short, ast.ObjectTerm(
					ast.Item(ast.StringTerm("statement"), g.Get(ast.StringTerm("statement"))),
					ast.Item(ast.StringTerm("abouts"), g.Get(ast.StringTerm("abouts"))),
					ast.Item(ast.StringTerm("probe"), ast.StringTerm(string(id)+":"+string(about))),
				))
			}
			if want := ast.MustParseTerm(tc.want); ast.ArrayTerm(short...).Value.Compare(want.Value) != 0 {
				t.Errorf("got %v\nwant %v", ast.ArrayTerm(short...), want)
			}
		})
	}
}
