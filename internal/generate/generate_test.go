package generate

import (
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
)

// TestGeneratedPolicyGrantsExactlyTheWorkflow decides every request of the
// workflow (must allow) and every adversarial probe (must not) against the
// generated policy with the authorization engine. The lint package adds the
// end-to-end "generate output lints clean" test.
func TestGeneratedPolicyGrantsExactlyTheWorkflow(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"one role, root admin", Options{Account: "111122223333", Region: "us-east-1", Callers: []string{"arn:aws:iam::111122223333:role/MyRecommendationRole"}}},
		{"two callers, named admin, other region", Options{Account: "111122223333", Region: "eu-west-1",
			Callers: []string{"arn:aws:iam::111122223333:role/A", "arn:aws:iam::111122223333:user/b"},
			Admins:  []string{"arn:aws:iam::111122223333:role/KeyAdmin"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := JSON(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			p, err := policy.ParseKeyPolicy("gen.json", data)
			if err != nil || !p.Valid() {
				t.Fatalf("generated policy invalid: %v %+v", err, p.Problems)
			}
			cp, err := authz.Compile("gen", p)
			if err != nil {
				t.Fatal(err)
			}
			e := &authz.Engine{Key: cp}
			env := agentcore.Env{Account: tc.opts.Account, Region: tc.opts.Region}
			rec := agentcore.RecommendationARN("", env.Region, env.Account, agentcore.SampleID)
			for _, c := range tc.opts.Callers {
				pr, _ := authz.ParsePrincipal(c)
				caller := agentcore.CallerSession(pr, "kmslint")
				for _, r := range agentcore.CallerRequests(env, caller, rec) {
					if d := e.Decide(&r.Request); d.Decision != authz.Allow {
						t.Errorf("%s: %s: %s", c, r.Step, d.Summary)
					}
				}
				for _, pb := range agentcore.CallerProbes(env, caller) {
					if d := e.Allowed(&pb.Request); d == authz.Allow {
						t.Errorf("%s: probe %s allowed", c, pb.ID)
					}
				}
			}
			for _, r := range agentcore.ServiceRequests(env, rec) {
				if d := e.Decide(&r.Request); d.Decision != authz.Allow {
					t.Errorf("service: %s: %s", r.Step, d.Summary)
				}
			}
			for _, pb := range agentcore.ServiceProbes(env) {
				if d := e.Allowed(&pb.Request); d == authz.Allow {
					t.Errorf("service probe %s allowed", pb.ID)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	bad := []Options{
		{Account: "1234", Region: "us-east-1", Callers: []string{"arn:aws:iam::111122223333:role/R"}},
		{Account: "111122223333", Region: "", Callers: []string{"arn:aws:iam::111122223333:role/R"}},
		{Account: "111122223333", Region: "us-east-1"},
		{Account: "111122223333", Region: "us-east-1", Callers: []string{"service:bedrock-agentcore.amazonaws.com"}},
		{Account: "111122223333", Region: "us-east-1", Callers: []string{"not-an-arn"}},
	}
	for i, o := range bad {
		if err := o.Validate(); err == nil {
			t.Errorf("case %d: Validate accepted %+v", i, o)
		}
	}
}

func TestFormats(t *testing.T) {
	o := Options{Account: "111122223333", Region: "us-east-1", Callers: []string{"arn:aws:iam::111122223333:role/R"}}
	cfn, err := CloudFormation(o)
	if err != nil || !strings.Contains(string(cfn), "Type: AWS::KMS::Key") || !strings.Contains(string(cfn), "AllowServicePrincipalAccess") {
		t.Fatalf("cloudformation: %v\n%s", err, cfn)
	}
	tf, err := Terraform(o)
	if err != nil || !strings.Contains(string(tf), `resource "aws_kms_key" "recommendation"`) {
		t.Fatalf("terraform: %v\n%s", err, tf)
	}
}
