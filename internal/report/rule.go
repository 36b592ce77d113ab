package report

import (
	"cmp"
	"slices"
)

// RuleMeta describes a rule for SARIF, JUnit and `kmslint rules`/`explain`.
// The lint package fills it from the rules' METADATA annotations.
type RuleMeta struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Severity    Severity `json:"severity"`
	Profile     string   `json:"profile,omitempty"`
	Description string   `json:"description,omitempty"`
	Fix         string   `json:"fix,omitempty"`
	HelpURI     string   `json:"helpUri,omitempty"`
}

// ruleSet is the rules a writer describes: the report's Rules plus one entry,
// made from the finding, for each rule that only appears in findings (a rule
// from --rules without metadata, or a producer that did not list its rules).
// Ordered by id.
type ruleSet struct {
	rules []RuleMeta
	index map[string]int
}

func newRuleSet(rep *Report, findings []Finding) *ruleSet {
	byID := make(map[string]RuleMeta, len(rep.Rules))
	for _, r := range rep.Rules {
		if r.ID != "" {
			byID[r.ID] = r
		}
	}
	for i := range findings {
		f := &findings[i]
		if _, ok := byID[f.Rule]; !ok {
			byID[f.Rule] = RuleMeta{ID: f.Rule, Title: f.Title, Severity: f.Severity}
		}
	}
	rs := &ruleSet{rules: make([]RuleMeta, 0, len(byID)), index: make(map[string]int, len(byID))}
	for _, r := range byID {
		rs.rules = append(rs.rules, r)
	}
	slices.SortFunc(rs.rules, func(a, b RuleMeta) int { return cmp.Compare(a.ID, b.ID) })
	for i, r := range rs.rules {
		rs.index[r.ID] = i
	}
	return rs
}

func (rs *ruleSet) get(id string) RuleMeta { return rs.rules[rs.index[id]] }
