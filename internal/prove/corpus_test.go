package prove

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/policy"
)

// profileVerdicts asks the profile's questions about a policy and names
// the rules they would report (ACR007 only where ACR006 does not fire).
func profileVerdicts(t *testing.T, key *authz.Policy) (rules []string, unknown []string) {
	t.Helper()
	p, err := New(keyARN)
	if err != nil {
		t.Fatal(err)
	}
	hit := map[string]bool{}
	// KMS004's outsider is of an account the policy names nowhere (lint's
	// env.other_accounts): the accounts in the policy's text.
	text, _ := json.Marshal(key.Source)
	var named []string
	for _, m := range regexp.MustCompile(`\b\d{12}\b`).FindAllString(string(text), -1) {
		if m != account && !slices.Contains(named, m) {
			named = append(named, m)
		}
	}
	orgs := regexp.MustCompile(`o-[a-z0-9]{10,32}`).FindAllString(string(text), -1)
	for _, q := range profileQuestions(account, "us-east-1", callerRole, named, orgs...) {
		r := region(t, q.region)
		sub := Subject{Key: key, Identity: q.identity}
		var rs []Result
		if q.each {
			rs, err = p.FindAll(sub, r, 10, Options{})
		} else {
			var res Result
			res, err = p.Find(sub, r, Options{})
			rs = []Result{res}
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, res := range rs {
			checkResult(t, sub, nil, r, res)
			switch res.Verdict {
			case Violated:
				hit[q.rule] = true
			case Unknown:
				unknown = append(unknown, q.rule+" "+q.name+": "+res.Reason)
			}
		}
	}
	if hit["ACR006"] {
		delete(hit, "ACR007")
	}
	for r := range hit {
		if r != "external" {
			rules = append(rules, r)
		}
	}
	sort.Strings(rules)
	return rules, unknown
}

// TestExamples asks the profile's questions about the labelled example
// policies: every answer is checked (replay, minimality, no disagreement),
// and where the proofs and the probe-based rules' expected findings part,
// the difference is logged for the rules' migration to read.
func TestExamples(t *testing.T) {
	dir := filepath.Join("..", "..", "policies", "examples")
	var expected map[string][]string
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	corpus(t, dir, func(name string, key *authz.Policy) {
		got, unknown := profileVerdicts(t, key)
		for _, u := range unknown {
			t.Errorf("%s: unknown: %s", name, u)
		}
		var want []string
		for _, r := range expected[name] {
			if slices.Contains([]string{"ACR004", "ACR006", "ACR007", "KMS004"}, r) {
				want = append(want, r)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Logf("%s: proofs report %v, the probe rules %v", name, got, want)
		}
	})
}

// TestRealWorld asks the same questions about the real-world key policies
// (when ../shared is there): no disagreement with the engine, no unknown.
func TestRealWorld(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "realworld-key-policies")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no real-world corpus here")
	}
	corpus(t, dir, func(name string, key *authz.Policy) {
		got, unknown := profileVerdicts(t, key)
		for _, u := range unknown {
			t.Logf("%s: unknown: %s", name, u)
		}
		if len(got) > 0 {
			t.Logf("%s: %v", name, got)
		}
	})
}

func corpus(t *testing.T, dir string, f func(name string, key *authz.Policy)) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		if name == "expected.json" {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := policy.ParseKeyPolicy(name, data)
		if err != nil || !p.Valid() {
			continue
		}
		key, err := authz.Compile(name, p)
		if err != nil {
			continue
		}
		f(name, key)
	}
}
