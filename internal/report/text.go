package report

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ANSI SGR codes used when Options.Color is set.
const (
	sgrError   = "1;31"
	sgrWarning = "1;33"
	sgrInfo    = "1;36"
	sgrRule    = "2"
)

// maxQuote is how many characters of a source line text output quotes. A
// minified key policy is one long line; quoting all of it under every
// finding would bury the findings.
const maxQuote = 100

// quoteLead is how many characters of context the quote keeps before the
// column when it has to cut a long line.
const quoteLead = 40

func writeText(w io.Writer, rep *Report, opts Options) error {
	t := textWriter{w: w, opts: opts, sources: map[string]*sourceFile{}}
	var shown []Finding
	for _, f := range rep.sorted() {
		if !f.Suppressed || opts.Verbose {
			shown = append(shown, f)
		}
	}
	// An audit reads as a story: each recommendation's timeline first, then
	// what is wrong with it, then what could not be read. Lint reports have
	// no timelines, so their output does not change.
	cw := &countingWriter{w: w}
	if !opts.Quiet {
		if err := writeSection(cw, rep.Timelines, opts); err != nil {
			return err
		}
	}
	for i, g := range groupByLocation(shown) {
		if i > 0 || cw.n > 0 {
			fmt.Fprintln(w)
		}
		t.group(g)
	}
	if err := writeSection(w, rep.InputErrors, opts); err != nil {
		return err
	}
	if opts.Quiet {
		return nil
	}
	if len(shown) > 0 || cw.n > 0 {
		fmt.Fprintln(w)
	}
	if line := proofLine(rep.Documents); line != "" {
		fmt.Fprintln(w, line)
	}
	_, err := fmt.Fprintln(w, summaryLine(rep))
	return err
}

// writeSection prints an audit value that has a text rendering.
func writeSection(w io.Writer, v any, opts Options) error {
	if s, ok := v.(TextSection); ok && !isNil(v) {
		return s.WriteText(w, opts)
	}
	return nil
}

// countingWriter tells whether a section printed anything.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

type findingGroup struct {
	name     string
	findings []Finding
}

// groupByLocation groups sorted findings by file (or, for findings without
// one, by resource), keeping the sorted order within and between groups.
func groupByLocation(fs []Finding) []findingGroup {
	var groups []findingGroup
	index := map[string]int{}
	for _, f := range fs {
		name := f.location()
		i, ok := index[name]
		if !ok {
			i = len(groups)
			index[name] = i
			groups = append(groups, findingGroup{name: name})
		}
		groups[i].findings = append(groups[i].findings, f)
	}
	return groups
}

type textWriter struct {
	w       io.Writer
	opts    Options
	sources map[string]*sourceFile
}

func (t *textWriter) group(g findingGroup) {
	posW, sevW, ruleW, lineW := 0, 0, 0, 0
	for i := range g.findings {
		f := &g.findings[i]
		posW = max(posW, len(f.pos()))
		sevW = max(sevW, len(f.Severity.String()))
		ruleW = max(ruleW, utf8.RuneCountInString(clean(f.Rule)))
		lineW = max(lineW, len(strconv.Itoa(f.Line)))
	}
	fmt.Fprintln(t.w, clean(g.name))
	for i := range g.findings {
		f := &g.findings[i]
		msg := clean(f.Message)
		if f.Suppressed {
			msg += " (suppressed)"
		}
		sev, rule := f.Severity.String(), clean(f.Rule)
		fmt.Fprintf(t.w, "  %-*s  %s  %s  %s\n", posW, f.pos(),
			t.color(severityColor(f.Severity), sev)+spaces(sevW-len(sev)),
			t.color(sgrRule, rule)+spaces(ruleW-utf8.RuneCountInString(rule)), msg)
		t.quote(f, lineW)
		if t.opts.Verbose {
			t.details(f)
		}
	}
}

// quote prints the finding's source line with a caret under its column.
func (t *textWriter) quote(f *Finding, lineW int) {
	if f.File == "" || f.Line <= 0 || t.opts.Source == nil {
		return
	}
	src := t.source(f.File)
	line, ok := src.line(f.Line)
	if !ok {
		return
	}
	text, caret := quoteLine(line, f.Column)
	fmt.Fprintf(t.w, "    %*d | %s\n", lineW, f.Line, text)
	if caret != "" {
		fmt.Fprintf(t.w, "    %s | %s\n", spaces(lineW), caret)
	}
}

// details prints what -v adds: where exactly, and the request that proves it.
func (t *textWriter) details(f *Finding) {
	const indent = "      "
	var where []string
	if f.Resource != "" && f.Resource != f.location() {
		where = append(where, "resource "+clean(f.Resource))
	}
	if f.Statement != "" {
		where = append(where, "statement "+clean(f.Statement))
	}
	if len(where) > 0 {
		fmt.Fprintf(t.w, "%sin %s\n", indent, strings.Join(where, ", "))
	}
	if e := f.Evidence; e != nil {
		fmt.Fprintf(t.w, "%sevidence: %s\n", indent, evidenceText(e))
	}
	if f.RecommendationARN != "" && f.RecommendationARN != f.location() {
		fmt.Fprintf(t.w, "%srecommendation: %s\n", indent, clean(f.RecommendationARN))
	}
	if len(f.EventIDs) > 0 {
		fmt.Fprintf(t.w, "%sevents: %s\n", indent, clean(strings.Join(f.EventIDs, ", ")))
	}
}

// evidenceText renders a request and its decision on one line:
// "PRINCIPAL ACTION {k=v, k2=[a b]} -> Decision (Sid, Sid2)".
func evidenceText(e *Evidence) string {
	var b strings.Builder
	b.WriteString(e.Principal)
	b.WriteByte(' ')
	b.WriteString(e.Action)
	if len(e.Context) > 0 {
		b.WriteString(" {")
		for i, k := range slices.Sorted(maps.Keys(e.Context)) {
			if i > 0 {
				b.WriteString(", ")
			}
			v := e.Context[k]
			b.WriteString(k)
			b.WriteByte('=')
			if v.IsList() {
				b.WriteString("[" + strings.Join(v.Values, " ") + "]")
			} else {
				b.WriteString(v.Values[0])
			}
		}
		b.WriteByte('}')
	}
	if e.Decision != "" {
		b.WriteString(" -> " + e.Decision)
	}
	if len(e.Statements) > 0 {
		b.WriteString(" (" + strings.Join(e.Statements, ", ") + ")")
	}
	return clean(b.String())
}

func (t *textWriter) color(code, s string) string {
	if !t.opts.Color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func severityColor(s Severity) string {
	switch s {
	case SeverityError:
		return sgrError
	case SeverityWarning:
		return sgrWarning
	}
	return sgrInfo
}

// spaces pads a coloured column: fmt's widths would count the escape codes.
func spaces(n int) string { return strings.Repeat(" ", max(0, n)) }

// sourceFile is a file's content with its line starts, read once per Write.
type sourceFile struct {
	data   []byte
	starts []int
}

func (t *textWriter) source(file string) *sourceFile {
	if s, ok := t.sources[file]; ok {
		return s
	}
	s := &sourceFile{}
	if data, err := t.opts.Source(file); err == nil {
		s.data = data
		s.starts = append(s.starts, 0)
		for i, c := range data {
			if c == '\n' {
				s.starts = append(s.starts, i+1)
			}
		}
	}
	t.sources[file] = s
	return s
}

// line returns 1-based line n without its line ending.
func (s *sourceFile) line(n int) ([]byte, bool) {
	if n < 1 || n > len(s.starts) {
		return nil, false
	}
	end := len(s.data)
	if n < len(s.starts) {
		end = s.starts[n] - 1
	}
	return bytes.TrimSuffix(s.data[s.starts[n-1]:end], []byte("\r")), true
}

// quoteLine renders a source line for a terminal and a caret line pointing
// at 1-based column col (counted in characters; past the end points just
// after the last one; below 1 means no caret). Lines longer than maxQuote are
// cut around the column and marked with "…". The caret line copies the tabs
// of the quoted text so that the caret lines up however wide a tab is shown.
func quoteLine(line []byte, col int) (text, caret string) {
	runes := []rune(string(line))
	c := min(col-1, len(runes))
	start, end := 0, len(runes)
	if len(runes) > maxQuote {
		start = max(0, c-quoteLead)
		end = min(len(runes), start+maxQuote)
		start = max(0, end-maxQuote)
	}
	var tb, cb strings.Builder
	if start > 0 {
		tb.WriteString("…")
		cb.WriteByte(' ')
	}
	for i, r := range runes[start:end] {
		switch {
		case r == '\t':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			r = utf8.RuneError
		}
		tb.WriteRune(r)
		if start+i < c {
			if r == '\t' {
				cb.WriteByte('\t')
			} else {
				cb.WriteByte(' ')
			}
		}
	}
	if end < len(runes) {
		tb.WriteString("…")
	}
	if col < 1 {
		return tb.String(), ""
	}
	cb.WriteByte('^')
	return tb.String(), cb.String()
}

// clean makes a value from a policy or a trail safe to print on one
// terminal line: line breaks and tabs become spaces, other control
// characters (an ESC could restyle or rewrite the terminal) become U+FFFD.
func clean(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case isControl(r):
			return utf8.RuneError
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// summaryLine is the last line of text and github output, e.g.
// "3 errors, 1 warning in 2 files (4 policies)".
func summaryLine(rep *Report) string {
	c := rep.Counts()
	var found []string
	for _, n := range []struct {
		count int
		noun  string
	}{{c.Error, "error"}, {c.Warning, "warning"}, {c.Info, "info"}} {
		if n.count > 0 {
			found = append(found, plural(n.count, n.noun))
		}
	}
	var scope []string
	s := rep.Summary
	if rep.Kind == KindAudit {
		scope = []string{plural(s.Files, "file"), plural(s.Records, "record"),
			plural(s.KMSEvents, "KMS event"), plural(s.Recommendations, "recommendation")}
	} else {
		scope = []string{plural(s.Files, "file"), plural(s.Policies, "policy")}
	}
	// A live key has no file: lead with what was read rather than "0 files".
	if s.Files == 0 {
		scope = scope[1:]
	}
	where := scope[0]
	if len(scope) > 1 {
		where += " (" + strings.Join(scope[1:], ", ") + ")"
	}
	line := "no problems found in " + where
	if len(found) > 0 {
		line = strings.Join(found, ", ") + " in " + where
	}
	if c.Suppressed > 0 {
		line += "; " + strconv.Itoa(c.Suppressed) + " suppressed"
	}
	if n := len(rep.inputErrors()); n > 0 {
		line += "; " + plural(n, "input error")
	}
	return line
}

func plural(n int, noun string) string {
	switch {
	case n == 1 || noun == "info":
	case strings.HasSuffix(noun, "y"):
		noun = noun[:len(noun)-1] + "ies"
	default:
		noun += "s"
	}
	return strconv.Itoa(n) + " " + noun
}
