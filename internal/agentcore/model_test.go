package agentcore

import (
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/authz"
)

// probeAccounts are the accounts named by the probes' aws:SourceAccount or
// recommendation ARN, by probe id.
func probeAccounts(ps []Probe) map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		acct := ""
		if v, ok := p.Request.Context.Get("aws:SourceAccount"); ok {
			acct = v.Values[0]
		} else if v, ok := p.Request.Context.Get(ConditionKey); ok {
			if _, _, a, _, ok := ParseRecommendationARN(v.Values[0]); ok {
				acct = a
			}
		}
		out[p.ID+" "+p.Request.Action] = acct
	}
	return out
}

func TestProbesNeverUseTheOwnAccountAsForeign(t *testing.T) {
	for _, own := range []string{"111122223333", ForeignAccount} {
		env := Env{Account: own, Region: "us-east-1"}
		caller, err := authz.ParsePrincipal("arn:aws:iam::" + own + ":role/R")
		if err != nil {
			t.Fatal(err)
		}
		all := append(CallerProbes(env, CallerSession(caller, "s")), ServiceProbes(env)...)
		found := false
		for id, acct := range probeAccounts(all) {
			if strings.Contains(id, "foreign-account") {
				found = true
				if acct == own {
					t.Errorf("account %s: probe %s acts for the own account", own, id)
				}
			}
		}
		if !found {
			t.Errorf("account %s: no foreign-account probe", own)
		}
	}
}

// TestProbesCoverAccountsAndRegionsThePolicyNames: every other account and
// region of the environment gets probes of its own, with ids that stay
// distinct and the first foreign ones keeping their plain ids.
func TestProbesCoverAccountsAndRegionsThePolicyNames(t *testing.T) {
	env := Env{Account: "111122223333", Region: "us-east-1",
		OtherAccounts: []string{"777788889999", "111122223333", "777788889999"}, OtherRegions: []string{"eu-west-1", "us-east-1"}}
	caller, _ := authz.ParsePrincipal("arn:aws:iam::111122223333:role/R")
	cp := CallerProbes(env, CallerSession(caller, "s"))
	sp := ServiceProbes(env)
	ids := map[string]bool{}
	for _, p := range append(cp, sp...) {
		k := p.ID + " " + p.Request.Action
		if ids[k] {
			t.Errorf("duplicate probe %s", k)
		}
		ids[k] = true
	}
	for _, want := range []string{
		"caller-foreign-account kms:Decrypt", "caller-foreign-account-777788889999 kms:Decrypt",
		"caller-foreign-region kms:GenerateDataKey", "caller-foreign-region-eu-west-1 kms:GenerateDataKey",
		"service-foreign-account kms:Decrypt", "service-foreign-account-777788889999 kms:Decrypt",
		"service-foreign-account-no-arn-777788889999 kms:GenerateDataKey", "service-foreign-arn-no-account-777788889999 kms:Decrypt",
	} {
		if !ids[want] {
			t.Errorf("missing probe %s", want)
		}
	}
	for id := range ids {
		if strings.Contains(id, "111122223333") || strings.HasSuffix(strings.Fields(id)[0], "us-east-1") {
			t.Errorf("probe %s acts for the environment's own account or region", id)
		}
	}
	if got := probeAccounts(sp)["service-foreign-account-777788889999 kms:Decrypt"]; got != "777788889999" {
		t.Errorf("service probe for 777788889999 names %q", got)
	}
}

func TestPrincipalARNKeepsTheRolePath(t *testing.T) {
	for _, tc := range []struct{ role, want string }{
		{"arn:aws:iam::111122223333:role/R", "arn:aws:iam::111122223333:role/R"},
		{"arn:aws:iam::111122223333:role/app/team/R", "arn:aws:iam::111122223333:role/app/team/R"},
		{"arn:aws-us-gov:iam::111122223333:role/x/R", "arn:aws-us-gov:iam::111122223333:role/x/R"},
	} {
		p, err := authz.ParsePrincipal(tc.role)
		if err != nil {
			t.Fatal(err)
		}
		c := FASContext(Env{Account: "111122223333", Region: "us-east-1"}, CallerSession(p, "s"))
		if v, _ := c.Get("aws:PrincipalArn"); len(v.Values) != 1 || v.Values[0] != tc.want {
			t.Errorf("%s: aws:PrincipalArn = %v, want %s", tc.role, v.Values, tc.want)
		}
	}
}

// TestOtherRegionStaysInThePartition: the other-region probe's
// recommendation ARN is in the partition the policy's patterns use.
func TestOtherRegionStaysInThePartition(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "us-west-2", "us-west-2": "us-east-1", "eu-west-1": "us-west-2",
		"cn-north-1": "cn-northwest-1", "cn-northwest-1": "cn-north-1",
		"us-gov-west-1": "us-gov-east-1", "us-gov-east-1": "us-gov-west-1",
	} {
		if got := otherRegion(region); got != want || PartitionOf(got) != PartitionOf(region) {
			t.Errorf("otherRegion(%s) = %s, want %s in the same partition", region, got, want)
		}
	}
}
