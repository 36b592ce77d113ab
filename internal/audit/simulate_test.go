package audit_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmslint/kmslint/internal/audit"
	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/cloudtrail"
	"github.com/kmslint/kmslint/internal/generate"
	"github.com/kmslint/kmslint/internal/policy"
	"github.com/kmslint/kmslint/internal/report"
	"github.com/kmslint/kmslint/simulator/scenario"
)

// In the simulator's trail every call of a run falls in one second: the
// key validation of each Start joins its recommendation by the records'
// order, and the one of the Start that the disabled key stopped stays with
// the key.
func TestSimulatedValidationsAttributed(t *testing.T) {
	dir := t.TempDir()
	if _, err := scenario.Run(context.Background(), []string{"key-disabled"}, scenario.Options{TrailDir: dir}); err != nil {
		t.Fatal(err)
	}
	a := audit.New(audit.Options{})
	if _, err := cloudtrail.Read(context.Background(), cloudtrail.Inputs{Paths: []string{dir}}, cloudtrail.Options{},
		func(ev *cloudtrail.Event) error { a.Add(ev); return nil }); err != nil {
		t.Fatal(err)
	}
	res, err := a.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Recommendations != 1 || len(res.Timelines) != 2 {
		t.Fatalf("%d timelines, %d of recommendations", len(res.Timelines), res.Recommendations)
	}
	if e := res.Timelines[0].Events[0]; e.Operation != "DescribeKey" || e.Outcome != "ok" {
		t.Errorf("the recommendation starts with %s %s", e.Operation, e.Outcome)
	}
	key := res.Timelines[1]
	if len(key.Events) != 1 || key.Events[0].Operation != "DescribeKey" || len(key.KeyEvents) != 1 ||
		!key.KeyEvents[0].Time.Equal(key.Events[0].Time) {
		t.Errorf("key's timeline %+v", key)
	}
}

// The trails `kmslint simulate --trail DIR` writes, audited as
// `kmslint audit --policy key.json DIR/<scenario>` would: the refusals of the
// fault scenarios are what the key policy is for. None is an AUD001 error,
// none suggests a grant, and the denied key validation of a role that is no
// caller is reported.
func TestSimulatedRefusals(t *testing.T) {
	const caller = "arn:aws:iam::111122223333:role/MyRecommendationRole"
	dir := t.TempDir()
	names := []string{"caller-denied", "confused-deputy", "service-denied"}
	rep, err := scenario.Run(context.Background(), names, scenario.Options{TrailDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	text, err := generate.JSON(generate.Options{Account: "111122223333", Region: "us-east-1", Callers: []string{caller}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.ParseKeyPolicy("key.json", text)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := authz.Compile("key.json", p)
	if err != nil {
		t.Fatal(err)
	}
	eng := &authz.Engine{Key: cp}
	want := map[string][]string{
		"caller-denied":   {"AUD002 warning"},
		"confused-deputy": {"AUD002 warning", "AUD003 warning"},
		// The service was refused for a resource that is no recommendation
		// of the account, with this recommendation's context: CloudTrail
		// shows no aws:SourceArn, so nothing tells the refusal from a
		// broken workflow but the replay, which says so.
		"service-denied": {"AUD001 error"},
	}
	check := func(t *testing.T, name string, fs []report.Finding) {
		var got []string
		for _, f := range fs {
			got = append(got, f.Rule+" "+f.Severity.String())
			if strings.Contains(f.Message, "add a") {
				t.Errorf("%s suggests a grant: %s", f.Rule, f.Message)
			}
			if f.Rule == "AUD001" && f.Evidence != nil && !strings.Contains(f.Message, "CloudTrail does not record the values the service sent: it most likely acted for another resource") {
				t.Errorf("AUD001 without the likely cause: %s", f.Message)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want[name]) {
			t.Errorf("findings %q, want %q: %+v", got, want[name], fs)
		}
	}
	for _, s := range rep.Scenarios {
		if !s.Met {
			t.Fatalf("%s missed: %s", s.Name, s.Missed)
		}
		t.Run(s.Name+"/simulate", func(t *testing.T) { check(t, s.Name, s.Findings) })
		t.Run(s.Name+"/audit", func(t *testing.T) {
			for _, callers := range [][]string{{caller}, nil} {
				a := audit.New(audit.Options{Policy: eng, Callers: callers})
				_, err := cloudtrail.Read(context.Background(), cloudtrail.Inputs{Paths: []string{filepath.Join(dir, s.Name)}}, cloudtrail.Options{},
					func(ev *cloudtrail.Event) error { a.Add(ev); return nil })
				if err != nil {
					t.Fatal(err)
				}
				res, err := a.Finish(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				var keyLevel []string
				for _, tl := range res.Timelines[res.Recommendations:] {
					for _, e := range tl.Events {
						keyLevel = append(keyLevel, e.Operation+" "+e.Outcome)
					}
				}
				var wantKey []string // the denied key validation of a Start
				if s.Name != "service-denied" {
					wantKey = []string{"DescribeKey AccessDeniedException"}
				}
				if !slices.Equal(keyLevel, wantKey) {
					t.Errorf("calls of no recommendation: %q, want %q", keyLevel, wantKey)
				}
				if callers != nil || s.Name != "caller-denied" {
					check(t, s.Name, res.Findings)
					continue
				}
				// Without --caller nothing says the unlisted role should not
				// start recommendations: its denial is AUD001, and the grant
				// it suggests is conditional.
				if len(res.Findings) != 1 || res.Findings[0].Rule != "AUD001" ||
					!strings.Contains(res.Findings[0].Message, "if arn:aws:iam::111122223333:role/UnlistedRole is meant to start recommendations") {
					t.Errorf("want one AUD001 with a conditional grant: %+v", res.Findings)
				}
			}
		})
	}
}
