package lint

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/input"
	"github.com/kmslint/kmslint/internal/policy"
)

// TestReviewedProfileCases is a third held-out review, of the profile rules'
// edges: identity policies (--identity-policy), the aws-cn and aws-us-gov
// partitions, inference of account, region and callers (and its exit-2
// errors), ACR004-ACR008 variations and CloudFormation !Sub templates. Each
// case carries the lint flags it runs with.
func TestReviewedProfileCases(t *testing.T) {
	const dir = "testdata/profile"
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases map[string]struct {
		Expected      []string `json:"expected"`
		Error         string   `json:"error"`
		Flags         []string `json:"flags"`
		DefaultRegion string   `json:"default_region"`
		Why           string   `json:"why"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	l := newTestLinter(t, Options{})
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			env := Env{DefaultRegion: c.DefaultRegion}
			for i := 0; i+1 < len(c.Flags); i += 2 {
				v := c.Flags[i+1]
				switch c.Flags[i] {
				case "--account":
					env.Account = v
				case "--region":
					env.Region = v
				case "--caller":
					env.Callers = append(env.Callers, v)
				case "--identity-policy":
					src, err := os.ReadFile(filepath.Join(dir, v))
					if err != nil {
						t.Fatal(err)
					}
					n, err := policy.ParseJSON(v, src)
					if err != nil {
						t.Fatal(err)
					}
					env.IdentityPolicies = append(env.IdentityPolicies, IdentityPolicy{Name: v, Node: n})
				default:
					t.Fatalf("flag %s", c.Flags[i])
				}
			}
			src, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			f, err := input.Load(name, src, input.Env{AccountID: env.Account, Region: env.Region})
			if err != nil {
				t.Fatal(err)
			}
			fs, err := l.Lint(context.Background(), f.Documents, env)
			if c.Error != "" {
				if err == nil || !strings.Contains(err.Error(), c.Error) {
					t.Fatalf("error %v, want one with %q", err, c.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want, ok := sameRules(fs, c.Expected); !ok {
				t.Errorf("rules %v, want %v: %s", got, want, c.Why)
			}
		})
	}
}
