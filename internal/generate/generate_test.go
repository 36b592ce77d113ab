package generate

import (
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/profile"
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

// TestProfilesGeneratePoliciesTheirCheckPasses: for every profile, the
// generated policy allows every leg and no must-not request, whether the
// account root or named administrators manage the key, in two partitions.
func TestProfilesGeneratePoliciesTheirCheckPasses(t *testing.T) {
	for _, prof := range profile.All() {
		for _, region := range []string{"us-east-1", "cn-north-1"} {
			part := "aws"
			if region == "cn-north-1" {
				part = "aws-cn"
			}
			arn := func(s string) string { return "arn:" + part + ":iam::111122223333:" + s }
			for _, admins := range [][]string{nil, {arn("role/KeyAdmin")}} {
				o := Options{Profile: prof.Name, Account: "111122223333", Region: region, Admins: admins}
				if prof.Needs(profile.Caller) {
					o.Callers = []string{arn("role/B"), arn("user/a")}
				}
				if prof.Needs(profile.ExecutionRole) {
					o.ExecutionRoles = []string{arn("role/ExecutionRole")}
				}
				data, err := JSON(o)
				if err != nil {
					t.Fatalf("%s: %v", prof.Name, err)
				}
				rep, err := profile.CheckJSON("gen.json", data, profile.Input{Profile: prof.Name, Account: o.Account, Region: region,
					Callers: o.Callers, ExecutionRoles: o.ExecutionRoles})
				if err != nil {
					t.Fatalf("%s: %v", prof.Name, err)
				}
				if !rep.OK || len(rep.Legs) == 0 || len(rep.MustNot) == 0 {
					t.Errorf("%s %s admins %v: %d legs, %d probes, failures %q\n%s", prof.Name, region, admins, len(rep.Legs), len(rep.MustNot), rep.Failures(), data)
				}
				for _, l := range rep.Legs {
					if l.Delegated {
						t.Errorf("%s: leg %s allowed only through the account root", prof.Name, l.Leg)
					}
				}
			}
		}
	}
}

func TestProfileOptionsValidate(t *testing.T) {
	role := "arn:aws:iam::111122223333:role/R"
	for _, o := range []Options{
		{Profile: "no-such-feature", Account: "111122223333", Region: "us-east-1", Callers: []string{role}},
		{Profile: "agentcore-payments", Account: "111122223333", Region: "us-east-1", Callers: []string{role}},
		{Profile: "agentcore-gateway", Account: "111122223333", Region: "us-east-1", Callers: []string{role}, ExecutionRoles: []string{role}},
		{Profile: "agentcore-dataset", Account: "111122223333", Region: "us-east-1", Callers: []string{role}, ExecutionRoles: []string{role}},
		{Profile: "gateway", Account: "111122223333", Region: "us-east-1", ExecutionRoles: []string{"service:bedrock-agentcore.amazonaws.com"}},
	} {
		if err := o.Validate(); err == nil {
			t.Errorf("Validate accepted %+v", o)
		}
	}
	if err := (Options{Profile: "gateway", Account: "111122223333", Region: "us-east-1", ExecutionRoles: []string{role}}).Validate(); err != nil {
		t.Errorf("gateway with an execution role: %v", err)
	}
}
