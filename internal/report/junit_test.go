package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// parsedSuites is how a CI parser sees the XML: read with encoding/xml,
// independently of the writer's structs.
type parsedSuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped   *struct{} `xml:"skipped"`
			SystemOut *string   `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, out []byte) parsedSuites {
	t.Helper()
	var s parsedSuites
	if err := xml.Unmarshal(out, &s); err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s", err, out)
	}
	tests, failures, skipped := 0, 0, 0
	for _, suite := range s.Suites {
		if suite.Name == "" {
			t.Error("suite without a name")
		}
		f, sk := 0, 0
		for _, c := range suite.Cases {
			if c.Name == "" || c.Classname == "" {
				t.Errorf("suite %s: case without name or classname", suite.Name)
			}
			if c.Failure != nil {
				f++
			}
			if c.Skipped != nil {
				sk++
			}
		}
		if suite.Tests != len(suite.Cases) || suite.Failures != f || suite.Skipped != sk || suite.Errors != 0 {
			t.Errorf("suite %s counts tests=%d failures=%d skipped=%d, children say %d, %d, %d",
				suite.Name, suite.Tests, suite.Failures, suite.Skipped, len(suite.Cases), f, sk)
		}
		tests += suite.Tests
		failures += suite.Failures
		skipped += suite.Skipped
	}
	if s.Tests != tests || s.Failures != failures || s.Skipped != skipped {
		t.Errorf("testsuites counts %d/%d/%d, suites add up to %d/%d/%d", s.Tests, s.Failures, s.Skipped, tests, failures, skipped)
	}
	return s
}

func TestJUnitParsesAndFollowsFailOn(t *testing.T) {
	rep := lintReport()
	tests := []struct {
		failOn       Severity
		wantFailures int
	}{
		{SeverityError, 3},   // ACR006, ACR009, KMS008
		{0, 3},               // the default is error
		{SeverityWarning, 5}, // + ACR004, ACR007; KMS006 is suppressed
		{SeverityInfo, 6},    // + ACR012
		{Never, 0},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := Write(&buf, FormatJUnit, rep, Options{FailOn: tt.failOn}); err != nil {
			t.Fatal(err)
		}
		s := parseJUnit(t, buf.Bytes())
		if s.Failures != tt.wantFailures || s.Skipped != 1 {
			t.Errorf("fail-on %v: %d failures, %d skipped; want %d, 1", tt.failOn, s.Failures, s.Skipped, tt.wantFailures)
		}
		if got := rep.ExitCode(tt.failOn); (got == 1) != (tt.wantFailures > 0) {
			t.Errorf("fail-on %v: exit code %d disagrees with %d JUnit failures", tt.failOn, got, tt.wantFailures)
		}
	}
}

func TestJUnitSuites(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, FormatJUnit, lintReport(), Options{}); err != nil {
		t.Fatal(err)
	}
	s := parseJUnit(t, buf.Bytes())
	var names []string
	for _, suite := range s.Suites {
		names = append(names, suite.Name)
		// Every rule that ran appears in every suite: as a passing case when
		// it found nothing there.
		if len(suite.Cases) < len(testRules) {
			t.Errorf("suite %s has %d cases for %d rules", suite.Name, len(suite.Cases), len(testRules))
		}
	}
	want := []string{liveKey, "policies/clean.json", "policies/key.json", "templates/key.yaml"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("suites %q, want %q", names, want)
	}
}

// Policies and trails are user input: control characters and a CDATA
// terminator in a message must not break the XML.
func TestJUnitHostileText(t *testing.T) {
	msg := "bad \x1b[31m\x00 ]]> </failure> & \"q\" \ufffe end"
	rep := &Report{Findings: []Finding{{Rule: "KMS001", Severity: SeverityError, Title: "t\x01", Message: msg, File: "a\x02.json", Line: 1, Column: 1}}}
	var buf bytes.Buffer
	if err := Write(&buf, FormatJUnit, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	s := parseJUnit(t, buf.Bytes())
	f := s.Suites[0].Cases[0].Failure
	if f == nil || !strings.Contains(f.Text, "]]> </failure> & \"q\"") || !strings.Contains(f.Message, "]]> </failure>") {
		t.Errorf("failure lost its text: %+v", f)
	}
}
