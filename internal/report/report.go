// Package report holds the findings model shared by `kmslint lint` and
// `kmslint audit` and writes it in every output format: text for people,
// json (the contract format), sarif for code scanning, junit for CI test
// tabs, and github workflow commands for pull-request annotations.
//
// Producers fill a Report in any order; every writer sorts the findings
// itself (see Compare), so output is deterministic.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
)

// FormatVersion is the "version" of the JSON report; it changes only when the
// JSON shape changes incompatibly.
const FormatVersion = 1

// Kind says which command produced a report; it selects the summary keys and
// the audit-only members of the JSON.
type Kind uint8

const (
	KindLint Kind = iota
	KindAudit
)

// Tool identifies the program in reports.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Summary holds what was read. The per-severity counts of the JSON summary
// are not stored here: they are computed from the findings when the report is
// written, so they cannot disagree with them.
type Summary struct {
	Files int // both kinds

	Policies int // lint

	Records         int // audit
	KMSEvents       int // audit
	Recommendations int // audit
}

// Report is the result of one lint or audit run.
type Report struct {
	Kind     Kind
	Tool     Tool
	Findings []Finding
	Summary  Summary

	// Timelines (audit only) and InputErrors, written as "timelines" and
	// "inputErrors". Any JSON-marshalable value works; a value that
	// implements TextSection also appears in text output, and one that
	// implements InputErrorList in SARIF, JUnit and GitHub output (lint's
	// InputErrors does both).
	Timelines   any
	InputErrors any

	// Documents (lint only) are the proofs of each linted document,
	// written as "documents" when there are any (proofs.go).
	Documents []DocumentProofs

	// Rules are the rules that ran. They are not part of the JSON report:
	// SARIF lists them as the tool's rules and JUnit turns a rule without
	// findings into a passing test case. Rules referenced by findings but
	// missing here are described from the findings.
	Rules []RuleMeta
	// Inputs are the files (or live keys) that were checked, so that JUnit
	// can show clean ones as passing suites. Not part of the JSON report.
	Inputs []string
}

// New returns an empty report of the given kind for kmslint at version.
func New(kind Kind, version string) *Report {
	return &Report{Kind: kind, Tool: Tool{Name: "kmslint", Version: version}}
}

// Counts are the findings of a report by severity. Suppressed findings are
// counted apart and in no severity, because they never fail a run.
type Counts struct {
	Error, Warning, Info, Suppressed int
}

// Counts tallies the findings.
func (r *Report) Counts() Counts {
	var c Counts
	for i := range r.Findings {
		f := &r.Findings[i]
		switch {
		case f.Suppressed:
			c.Suppressed++
		case f.Severity == SeverityError:
			c.Error++
		case f.Severity == SeverityWarning:
			c.Warning++
		case f.Severity == SeverityInfo:
			c.Info++
		}
	}
	return c
}

// ExitCode is the process exit status the findings call for: 1 when an
// unsuppressed finding is at or above failOn, else 0. The zero failOn means
// the CLI default, error.
func (r *Report) ExitCode(failOn Severity) int {
	t := threshold(failOn)
	for i := range r.Findings {
		if f := &r.Findings[i]; !f.Suppressed && f.Severity >= t {
			return 1
		}
	}
	return 0
}

// Sort puts the findings in output order (see Compare).
func (r *Report) Sort() { slices.SortStableFunc(r.Findings, Compare) }

// sorted returns the findings in output order without changing the report.
// It sorts indexes rather than findings: a stable sort of large structs
// spends its time moving them.
func (r *Report) sorted() []Finding {
	if slices.IsSortedFunc(r.Findings, Compare) {
		return r.Findings
	}
	idx := make([]int, len(r.Findings))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return Compare(r.Findings[a], r.Findings[b]) })
	fs := make([]Finding, len(idx))
	for i, j := range idx {
		fs[i] = r.Findings[j]
	}
	return fs
}

// Validate reports findings that no writer can render faithfully: a missing
// rule id, an invalid severity, or a negative position.
func (r *Report) Validate() error {
	var errs []error
	for i := range r.Findings {
		f := &r.Findings[i]
		switch {
		case f.Rule == "":
			errs = append(errs, fmt.Errorf("finding %d (%s): no rule id", i, f.location()))
		case !f.Severity.Valid():
			errs = append(errs, fmt.Errorf("finding %d (%s %s): invalid severity %d", i, f.Rule, f.location(), f.Severity))
		case f.Line < 0 || f.Column < 0:
			errs = append(errs, fmt.Errorf("finding %d (%s %s): negative position %d:%d", i, f.Rule, f.location(), f.Line, f.Column))
		}
	}
	return errors.Join(errs...)
}

type lintSummary struct {
	Files    int `json:"files"`
	Policies int `json:"policies"`
	Error    int `json:"error"`
	Warning  int `json:"warning"`
	Info     int `json:"info"`
}

type auditSummary struct {
	Files           int `json:"files"`
	Records         int `json:"records"`
	KMSEvents       int `json:"kmsEvents"`
	Recommendations int `json:"recommendations"`
	Error           int `json:"error"`
	Warning         int `json:"warning"`
	Info            int `json:"info"`
}

// jsonReport fixes the member order of the JSON report. Timelines are nil,
// and so omitted, in lint reports, as are InputErrors when there are none.
type jsonReport struct {
	Version     int       `json:"version"`
	Tool        Tool      `json:"tool"`
	Findings    []Finding `json:"findings"`
	Timelines   any       `json:"timelines,omitempty"`
	InputErrors any       `json:"inputErrors,omitempty"`
	// Documents: lint's per-document proofs.
	Documents []DocumentProofs `json:"documents,omitempty"`
	Summary   any              `json:"summary"`
}

// MarshalJSON writes the report in the shape of CONTRACT.md, findings sorted.
func (r Report) MarshalJSON() ([]byte, error) {
	return json.Marshal(r.toJSON())
}

func (r *Report) toJSON() jsonReport {
	out := jsonReport{Version: FormatVersion, Tool: r.Tool, Findings: r.sorted()}
	if out.Findings == nil {
		out.Findings = []Finding{}
	}
	c := r.Counts()
	switch r.Kind {
	case KindAudit:
		out.Timelines = emptyList(r.Timelines)
		out.InputErrors = emptyList(r.InputErrors)
		out.Summary = auditSummary{
			Files: r.Summary.Files, Records: r.Summary.Records, KMSEvents: r.Summary.KMSEvents,
			Recommendations: r.Summary.Recommendations,
			Error:           c.Error, Warning: c.Warning, Info: c.Info,
		}
	default:
		// A lint report lists input errors only when there are some, so
		// that a clean run's JSON stays as it was.
		if !isNil(r.InputErrors) && len(r.inputErrors()) > 0 {
			out.InputErrors = r.InputErrors
		}
		out.Documents = r.Documents
		out.Summary = lintSummary{
			Files: r.Summary.Files, Policies: r.Summary.Policies,
			Error: c.Error, Warning: c.Warning, Info: c.Info,
		}
	}
	return out
}

// emptyList turns an absent audit member (nil, or a nil slice or map inside
// the interface) into [] so that the key is always there and never null.
func emptyList(v any) any {
	if isNil(v) {
		return []struct{}{}
	}
	return v
}

// isNil reports whether v is nil or holds a nil pointer, slice or map.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface, reflect.Func, reflect.Chan:
		return rv.IsNil()
	}
	return false
}
