package profile

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kmslint/kmslint/internal/agentcore"
	"github.com/kmslint/kmslint/internal/authz"
)

// requestText is a request in a canonical form: principal, action,
// resource and the context's keys sorted (lower-cased, as the engine
// compares them) with their values.
func requestText(r authz.Request) string {
	var kv []string
	r.Context.Each(func(k string, v authz.Value) {
		kv = append(kv, fmt.Sprintf("%s=%q/%v", strings.ToLower(k), v.Values, v.Multi))
	})
	sort.Strings(kv)
	return r.Principal.String() + " " + r.Action + " " + r.Resource + " {" + strings.Join(kv, " ") + "}"
}

// TestRecommendationMatchesAgentcore derives the recommendation workflow's
// requests and probes from the profile data and compares them with what
// internal/agentcore models today, request by request: the later
// conversion of the ACR rules to rules over any profile keeps behaviour.
func TestRecommendationMatchesAgentcore(t *testing.T) {
	p, ok := Lookup("agentcore-recommendation")
	if !ok {
		t.Fatal("no recommendation profile")
	}
	envs := []Env{
		{Account: "111122223333", Region: "us-east-1"},
		{Account: "444455556666", Region: "eu-west-1", KeyARN: "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		{Account: "111122223333", Region: "cn-north-1", OtherAccounts: []string{"777788889999"}, OtherRegions: []string{"cn-northwest-1", "eu-west-1"},
			Now: time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)},
	}
	callers := []string{"arn:aws:iam::111122223333:role/MyRecommendationRole", "arn:aws:iam::111122223333:role/path/to/R", "arn:aws:iam::111122223333:user/alice"}
	for _, env := range envs {
		rec := agentcore.RecommendationARN("", env.Region, env.Account, agentcore.SampleID)
		if got := p.ResourceARN(env.Region, env.Account, p.SampleID); got != rec {
			t.Errorf("resource ARN %s, agentcore %s", got, rec)
		}
		for _, c := range callers {
			pr, err := authz.ParsePrincipal(strings.Replace(c, "111122223333", env.Account, 1))
			if err != nil {
				t.Fatal(err)
			}
			s := agentcore.CallerSession(pr, "kmslint")
			var want, got []string
			for _, r := range agentcore.CallerRequests(env, s, rec) {
				want = append(want, string(r.Step)+": "+requestText(r.Request))
			}
			for _, r := range p.Requests(env, Caller, s, rec) {
				got = append(got, r.Leg+": "+requestText(r.Request))
			}
			compare(t, fmt.Sprintf("%s %s caller requests", env.Region, c), got, want)
			want, got = nil, nil
			for _, pb := range agentcore.CallerProbes(env, s) {
				want = append(want, pb.ID+" "+pb.Family+" "+pb.About+": "+requestText(pb.Request))
			}
			for _, pb := range p.Probes(env, Caller, s) {
				got = append(got, pb.ID+" "+pb.Family+" "+pb.About+": "+requestText(pb.Request))
			}
			compare(t, fmt.Sprintf("%s %s caller probes", env.Region, c), got, want)
		}
		var want, got []string
		for _, r := range agentcore.ServiceRequests(env, rec) {
			want = append(want, string(r.Step)+": "+requestText(r.Request))
		}
		for _, r := range p.Requests(env, Service, authz.Principal{}, rec) {
			got = append(got, r.Leg+": "+requestText(r.Request))
		}
		compare(t, env.Region+" service requests", got, want)
		want, got = nil, nil
		for _, pb := range agentcore.ServiceProbes(env) {
			want = append(want, pb.ID+" "+pb.Family+" "+pb.About+": "+requestText(pb.Request))
		}
		for _, pb := range p.Probes(env, Service, authz.Principal{}) {
			got = append(got, pb.ID+" "+pb.Family+" "+pb.About+": "+requestText(pb.Request))
		}
		compare(t, env.Region+" service probes", got, want)
	}
}

func compare(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: agentcore models none", what)
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d from the profile, %d from agentcore", what, len(got), len(want))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		if got[i] != want[i] {
			t.Errorf("%s #%d:\nprofile   %s\nagentcore %s", what, i, got[i], want[i])
		}
	}
}
