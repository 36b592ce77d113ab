package lint

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/kmslint/kmslint/internal/report"
)

// TestRuleExamplesFire: the example `kmslint explain` prints for a rule is a
// statement that rule reports. Each example replaces the canonical
// statement of the same Sid (or joins the canonical policy when it has no
// Sid there), so that the rest of the policy is sound.
func TestRuleExamplesFire(t *testing.T) {
	var canon struct {
		Version   string           `json:"Version"`
		Statement []map[string]any `json:"Statement"`
	}
	if err := json.Unmarshal(canonical(t), &canon); err != nil {
		t.Fatal(err)
	}
	l := newTestLinter(t, Options{})
	checked := 0
	for _, d := range l.docs {
		var st map[string]any
		if json.Unmarshal([]byte(d.Example), &st) != nil || st["Effect"] == nil {
			continue // prose, or a whole policy described in words
		}
		// The example takes the place of the canonical statements of its
		// Sid, and of those of its principal whose actions it lists too.
		var stmts []map[string]any
		for _, c := range canon.Statement {
			same := c["Sid"] != nil && c["Sid"] == st["Sid"]
			if same || (jsonEqual(c["Principal"], st["Principal"]) && subset(c["Action"], st["Action"])) {
				continue
			}
			stmts = append(stmts, c)
		}
		stmts = append(stmts, st)
		doc, err := json.Marshal(map[string]any{"Version": canon.Version, "Statement": stmts})
		if err != nil {
			t.Fatal(err)
		}
		fs, err := l.Lint(context.Background(), loadDocs(t, d.ID+".json", doc), Env{Account: "111122223333", Region: "us-east-1"})
		if err != nil {
			t.Fatalf("%s: %v", d.ID, err)
		}
		if !slices.ContainsFunc(fs, func(f report.Finding) bool { return f.Rule == d.ID }) {
			var got []string
			for _, f := range fs {
				got = append(got, f.Rule)
			}
			t.Errorf("%s: its example gives %v, not %s", d.ID, got, d.ID)
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("only %d rules have a statement as example", checked)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// subset reports whether every action of a (a string or a list) is in b.
func subset(a, b any) bool {
	list := func(v any) []string {
		switch v := v.(type) {
		case string:
			return []string{v}
		case []any:
			var out []string
			for _, x := range v {
				s, _ := x.(string)
				out = append(out, s)
			}
			return out
		}
		return nil
	}
	bs := list(b)
	for _, x := range list(a) {
		if !slices.Contains(bs, x) {
			return false
		}
	}
	return len(list(a)) > 0
}
