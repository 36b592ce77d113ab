package report

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestQuoteLine(t *testing.T) {
	long := strings.Repeat("a", 150) + "X" + strings.Repeat("b", 150)
	tests := []struct {
		name        string
		line        string
		col         int
		text, caret string
	}{
		{"start", `"Sid": "x"`, 1, `"Sid": "x"`, "^"},
		{"middle", `  "Effect": "Alow"`, 13, `  "Effect": "Alow"`, "            ^"},
		{"tabs are kept in the caret line", "\t\"Effect\": 1", 2, "\t\"Effect\": 1", "\t^"},
		{"past the end", "ab", 9, "ab", "  ^"},
		{"no column", "ab", 0, "ab", ""},
		{"characters, not bytes", `"Sid": "schlüssel", "x"`, 21, `"Sid": "schlüssel", "x"`, strings.Repeat(" ", 20) + "^"},
		{"control characters replaced", "a\x1b[2Jb", 6, "a\ufffd[2Jb", "     ^"},
		{"invalid UTF-8", "a\xffb", 3, "a\ufffdb", "  ^"},
		{"long line cut around the column", long, 151,
			"…" + strings.Repeat("a", 40) + "X" + strings.Repeat("b", 59) + "…",
			strings.Repeat(" ", 41) + "^"},
		{"long line, column near the start", long, 3, strings.Repeat("a", 100) + "…", "  ^"},
		{"long line, column at the end", long, 301,
			"…" + strings.Repeat("b", 100), strings.Repeat(" ", 100) + "^"},
		{"long line, column past the end", long, 400,
			"…" + strings.Repeat("b", 100), strings.Repeat(" ", 101) + "^"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, caret := quoteLine([]byte(tt.line), tt.col)
			if text != tt.text || caret != tt.caret {
				t.Errorf("quoteLine(%q, %d) =\n  %q\n  %q\nwant\n  %q\n  %q", tt.line, tt.col, text, caret, tt.text, tt.caret)
			}
		})
	}
}

func TestSourceLine(t *testing.T) {
	src := &sourceFile{data: []byte("one\r\ntwo\n\nfour")}
	src.starts = []int{0, 5, 9, 10}
	tests := []struct {
		n    int
		want string
		ok   bool
	}{{1, "one", true}, {2, "two", true}, {3, "", true}, {4, "four", true}, {5, "", false}, {0, "", false}}
	for _, tt := range tests {
		got, ok := src.line(tt.n)
		if string(got) != tt.want || ok != tt.ok {
			t.Errorf("line(%d) = %q, %v; want %q, %v", tt.n, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTextSourceUnavailable(t *testing.T) {
	rep := lintReport()
	calls := map[string]int{}
	var buf bytes.Buffer
	err := Write(&buf, FormatText, rep, Options{Source: func(file string) ([]byte, error) {
		calls[file]++
		return nil, errors.New("gone")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), " | ") {
		t.Errorf("quoted a line from a file that could not be read:\n%s", buf.String())
	}
	for file, n := range calls {
		if n != 1 {
			t.Errorf("read %s %d times, want once", file, n)
		}
	}
	if _, ok := calls[""]; ok {
		t.Error("asked for the source of a finding without a file")
	}
}

func TestTextSuppressed(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Write(&buf, FormatText, lintReport(), Options{Verbose: verbose}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(buf.String(), "KMS006"); got != verbose {
			t.Errorf("verbose=%v: suppressed KMS006 shown=%v", verbose, got)
		}
	}
}

// -q: findings only, no summary line.
func TestTextQuiet(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		var buf bytes.Buffer
		rep := lintReport()
		if err := Write(&buf, FormatText, rep, Options{Quiet: quiet}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if got := strings.Contains(out, summaryLine(rep)); got == quiet {
			t.Errorf("quiet=%v: summary shown=%v:\n%s", quiet, got, out)
		}
		if !strings.Contains(out, rep.Findings[0].Rule) {
			t.Errorf("quiet=%v: finding missing:\n%s", quiet, out)
		}
	}
}

func TestTextNoColorUnlessAsked(t *testing.T) {
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Write(&buf, FormatText, lintReport(), Options{Color: color, Source: testSource}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(buf.String(), "\x1b["); got != color {
			t.Errorf("Color=%v: escape codes present=%v", color, got)
		}
	}
}

// A hostile Sid or message must not reach the terminal as an escape
// sequence or split the output into fake lines.
func TestTextCleansMessages(t *testing.T) {
	rep := &Report{Findings: []Finding{{Rule: "KMS013", Severity: SeverityWarning, File: "a\x1b]0;x\x07.json",
		Message: "duplicate Sid \"\x1b[2J\"\nfake line", Line: 1, Column: 1}}}
	var buf bytes.Buffer
	if err := Write(&buf, FormatText, rep, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.ContainsAny(out, "\x1b\x07") || strings.Contains(out, "\nfake line") {
		t.Errorf("control characters reached the output: %q", out)
	}
}

func TestSummaryLine(t *testing.T) {
	tests := []struct {
		name string
		rep  *Report
		want string
	}{
		{"clean", &Report{Summary: Summary{Files: 1, Policies: 1}}, "no problems found in 1 file (1 policy)"},
		{"plurals", &Report{Summary: Summary{Files: 2, Policies: 4}, Findings: []Finding{
			{Severity: SeverityError}, {Severity: SeverityError}, {Severity: SeverityError}, {Severity: SeverityWarning}}},
			"3 errors, 1 warning in 2 files (4 policies)"},
		{"info is uncountable", &Report{Summary: Summary{Files: 1, Policies: 1}, Findings: []Finding{
			{Severity: SeverityInfo}, {Severity: SeverityInfo}}}, "2 info in 1 file (1 policy)"},
		{"only suppressed", &Report{Summary: Summary{Files: 1, Policies: 1}, Findings: []Finding{
			{Severity: SeverityError, Suppressed: true}}}, "no problems found in 1 file (1 policy); 1 suppressed"},
		{"live key", &Report{Summary: Summary{Policies: 1}, Findings: []Finding{{Severity: SeverityError}}},
			"1 error in 1 policy"},
		{"audit", &Report{Kind: KindAudit, Summary: Summary{Files: 55, Records: 2900, KMSEvents: 240, Recommendations: 1}},
			"no problems found in 55 files (2900 records, 240 KMS events, 1 recommendation)"},
		{"audit without files", &Report{Kind: KindAudit, Summary: Summary{Records: 10, KMSEvents: 1}},
			"no problems found in 10 records (1 KMS event, 0 recommendations)"},
	}
	for _, tt := range tests {
		if got := summaryLine(tt.rep); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

var errSection = errors.New("section failed")

type textSectionErr struct{}

func (textSectionErr) WriteText(io.Writer, Options) error { return errSection }

func TestTextSectionError(t *testing.T) {
	rep := auditReport()
	rep.Timelines = textSectionErr{}
	err := Write(&bytes.Buffer{}, FormatText, rep, Options{})
	if !errors.Is(err, errSection) {
		t.Errorf("Write = %v, want the section's error", err)
	}
}
