package report

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// JUnit XML has no formal standard; this follows the shape that GitLab's and
// Jenkins's parsers read: testsuites > testsuite > testcase with failure or
// skipped children, counts as attributes.

type junitTestsuites struct {
	XMLName  xml.Name         `xml:"testsuites"`
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Errors   int              `xml:"errors,attr"`
	Skipped  int              `xml:"skipped,attr"`
	Suites   []junitTestsuite `xml:"testsuite"`
}

type junitTestsuite struct {
	Name     string          `xml:"name,attr"`
	Tests    int             `xml:"tests,attr"`
	Failures int             `xml:"failures,attr"`
	Errors   int             `xml:"errors,attr"`
	Skipped  int             `xml:"skipped,attr"`
	Cases    []junitTestcase `xml:"testcase"`
}

type junitTestcase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitOutput  `xml:"system-out,omitempty"`
}

// junitOutput and the failure text are CDATA so that the multi-line detail
// keeps its line breaks for people reading the XML or a CI log.
type junitOutput struct {
	Text string `xml:",cdata"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// writeJUnit writes a test suite per file (or live key) and, in it, a test
// case per finding plus a passing one for each rule that ran and found
// nothing there. A finding fails its case only at or above --fail-on, so
// the CI test tab agrees with the exit code; below it, the finding is in the
// passing case's output; suppressed findings are skipped cases.
func writeJUnit(w io.Writer, rep *Report, opts Options) error {
	failOn := threshold(opts.FailOn)
	findings := rep.sorted()
	rules := newRuleSet(rep, findings)
	byInput := map[string][]Finding{}
	for _, in := range rep.Inputs {
		byInput[in] = nil
	}
	for _, f := range findings {
		byInput[f.location()] = append(byInput[f.location()], f)
	}
	// An input error is an errored test case of its file's suite: the
	// file was not checked.
	inputErrs := map[string][]InputError{}
	for _, e := range rep.inputErrors() {
		if _, ok := byInput[e.File]; !ok {
			byInput[e.File] = nil
		}
		inputErrs[e.File] = append(inputErrs[e.File], e)
	}
	out := junitTestsuites{Name: "kmslint"}
	for _, name := range slices.Sorted(maps.Keys(byInput)) {
		suite := junitTestsuite{Name: name}
		for _, e := range inputErrs[name] {
			suite.Cases = append(suite.Cases, junitTestcase{Name: "input", Classname: name, File: e.File,
				Error: &junitFailure{Message: e.Error, Type: "input error", Text: xmlText(e.String())}})
			suite.Tests++
			suite.Errors++
		}
		// Cases in rule order, a rule's findings in position order.
		type ruleCase struct {
			rule string
			c    junitTestcase
		}
		var cases []ruleCase
		hit := map[string]bool{}
		for _, f := range byInput[name] {
			hit[f.Rule] = true
			cases = append(cases, ruleCase{f.Rule, junitCase(&f, name, failOn, rules.get(f.Rule))})
		}
		for _, r := range rep.Rules {
			if !hit[r.ID] && r.ID != "" {
				hit[r.ID] = true
				cases = append(cases, ruleCase{r.ID, junitTestcase{Name: caseName(r.ID, r.Title, ""), Classname: name}})
			}
		}
		slices.SortStableFunc(cases, func(a, b ruleCase) int { return cmp.Compare(a.rule, b.rule) })
		for _, rc := range cases {
			suite.Cases = append(suite.Cases, rc.c)
		}
		for _, c := range suite.Cases[suite.Errors:] {
			suite.Tests++
			switch {
			case c.Failure != nil:
				suite.Failures++
			case c.Skipped != nil:
				suite.Skipped++
			}
		}
		out.Tests += suite.Tests
		out.Errors += suite.Errors
		out.Failures += suite.Failures
		out.Skipped += suite.Skipped
		out.Suites = append(out.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitCase(f *Finding, suite string, failOn Severity, rule RuleMeta) junitTestcase {
	c := junitTestcase{Name: caseName(f.Rule, f.Title, f.pos()), Classname: suite, File: f.File}
	detail := xmlText(findingDetail(f, rule))
	switch {
	case f.Suppressed:
		c.Skipped = &junitSkipped{Message: "suppressed: " + f.Message}
	case f.Severity >= failOn:
		c.Failure = &junitFailure{Message: f.Message, Type: f.Severity.String(), Text: detail}
	default:
		c.SystemOut = &junitOutput{Text: detail}
	}
	return c
}

// caseName is "RULE Title" plus the position, so that CI history can follow
// a case across runs while two findings of one rule stay distinct.
func caseName(rule, title, pos string) string {
	name := rule
	if title != "" {
		name += " " + title
	}
	if pos != "" && pos != "-" {
		name += " (" + pos + ")"
	}
	return name
}

// findingDetail is the body of a failure: everything a reader of the CI job
// needs without opening the JSON report.
func findingDetail(f *Finding, rule RuleMeta) string {
	var b strings.Builder
	where := f.location()
	if f.File != "" && f.Line > 0 {
		where += ":" + f.pos()
	}
	fmt.Fprintf(&b, "%s: %s %s: %s\n", where, f.Severity, f.Rule, f.Message)
	if f.Resource != "" && f.Resource != f.location() {
		fmt.Fprintf(&b, "resource: %s\n", f.Resource)
	}
	if f.Statement != "" {
		fmt.Fprintf(&b, "statement: %s\n", f.Statement)
	}
	if f.Evidence != nil {
		fmt.Fprintf(&b, "evidence: %s\n", evidenceText(f.Evidence))
	}
	if f.RecommendationARN != "" && f.RecommendationARN != f.location() {
		fmt.Fprintf(&b, "recommendation: %s\n", f.RecommendationARN)
	}
	if len(f.EventIDs) > 0 {
		fmt.Fprintf(&b, "events: %s\n", strings.Join(f.EventIDs, ", "))
	}
	if rule.Fix != "" {
		fmt.Fprintf(&b, "fix: %s\n", rule.Fix)
	}
	return b.String()
}

// xmlText replaces the characters XML 1.0 cannot carry at all (most control
// characters); encoding/xml does that for attributes and escaped text but
// writes CDATA as it is.
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r >= 0xd800 && r <= 0xdfff, r == 0xfffe, r == 0xffff:
			return utf8.RuneError
		}
		return r
	}, s)
}
