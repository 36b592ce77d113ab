package lint

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
)

// TestDecisionAgreesWithDecide holds kmslint.decision and decision_as to
// what they shorten: decide's "decision" (or its error object), for every
// request and probe of the workflow on every example policy, with each
// identity mode.
func TestDecisionAgreesWithDecide(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(examplesDir, "..", "canonical.json"))
	env := agentcore.Env{Account: "111122223333", Region: "us-east-1"}
	env.KeyARN = env.Key()
	rec := agentcore.RecommendationARN("aws", env.Region, env.Account, agentcore.SampleID)
	var reqs []*ast.Term
	for _, c := range []string{"arn:aws:iam::111122223333:role/MyRecommendationRole", "arn:aws:iam::444455556666:user/outsider"} {
		p, err := authz.ParsePrincipal(c)
		if err != nil {
			t.Fatal(err)
		}
		s := agentcore.CallerSession(p, "kmslint")
		for _, r := range agentcore.CallerRequests(env, s, rec) {
			reqs = append(reqs, requestTerm(r.Request))
		}
		for _, pr := range agentcore.CallerProbes(env, s) {
			reqs = append(reqs, requestTerm(pr.Request))
		}
	}
	for _, r := range agentcore.ServiceRequests(env, rec) {
		reqs = append(reqs, requestTerm(r.Request))
	}
	for _, pr := range agentcore.ServiceProbes(env) {
		reqs = append(reqs, requestTerm(pr.Request))
	}
	// A request decide cannot decide: both answer with the same error.
	reqs = append(reqs, ast.MustParseTerm(`{"principal": "arn:aws:iam::111122223333:role/R", "action": "kms:Decrypt"}`))

	b, err := newBuiltins()
	if err != nil {
		t.Fatal(err)
	}
	bctx := rego.BuiltinContext{Context: context.Background()}
	idents := []*ast.Term{ast.StringTerm("none"), ast.StringTerm("allow-all"), ast.MustParseTerm(`{"identity": "given", "identity_policies": []}`)}
	for _, f := range files {
		if filepath.Base(f) == "expected.json" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs := loadDocs(t, f, src)
		if len(docs) != 1 {
			t.Fatalf("%s: %d documents", f, len(docs))
		}
		pol := ast.NewTerm(nodeValue(docs[0].Policy))
		allows := 0
		for _, req := range reqs {
			for _, id := range idents {
				d, err := b.decideAs(bctx, pol, req, id)
				if err != nil {
					t.Fatal(err)
				}
				v, err := b.decisionAs(bctx, pol, req, id)
				if err != nil {
					t.Fatal(err)
				}
				want := d.Value.(ast.Object).Get(ast.StringTerm("decision"))
				if want == nil {
					want = d // the error object
				}
				if v.Value.Compare(want.Value) != 0 {
					t.Errorf("%s: %v as %v: decision_as = %v, decide_as = %v", filepath.Base(f), req, id, v, want)
				}
				if v.Value.Compare(ast.String("Allow")) == 0 {
					allows++
				}
			}
			// The two-argument forms, with the identity in the request.
			if obj, ok := req.Value.(ast.Object); ok {
				r2 := ast.NewTerm(obj.Copy())
				r2.Value.(ast.Object).Insert(ast.StringTerm("identity"), ast.StringTerm("allow-all"))
				d, _ := b.decide(bctx, pol, r2)
				v, _ := b.decision(bctx, pol, r2)
				want := d.Value.(ast.Object).Get(ast.StringTerm("decision"))
				if want == nil {
					want = d
				}
				if v.Value.Compare(want.Value) != 0 {
					t.Errorf("%s: %v: decision = %v, decide = %v", filepath.Base(f), r2, v, want)
				}
			}
		}
		if filepath.Base(f) == "canonical.json" && allows == 0 {
			t.Errorf("canonical.json allows none of the workflow's requests: the test checks nothing")
		}
	}
}
