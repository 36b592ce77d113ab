package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// writeGitHub writes GitHub Actions workflow commands, which the runner turns
// into annotations on the pull request's files:
// https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands
// Suppressed findings are left out: an annotation cannot be marked as such.
func writeGitHub(w io.Writer, rep *Report, _ Options) error {
	for _, f := range rep.sorted() {
		if f.Suppressed {
			continue
		}
		var props []string
		if f.File != "" {
			props = append(props, "file="+escapeProperty(f.File))
			if f.Line > 0 {
				props = append(props, "line="+strconv.Itoa(f.Line))
				if f.Column > 0 {
					props = append(props, "col="+strconv.Itoa(f.Column))
				}
			}
		}
		title := f.Rule
		if f.Title != "" {
			title += " " + f.Title
		}
		props = append(props, "title="+escapeProperty(title))
		msg := f.Message
		// Without a file the annotation lands on the run summary, where the
		// message alone would not say which key or recommendation it is about.
		if f.File == "" && (f.Resource != "" || f.RecommendationARN != "") {
			msg = f.location() + ": " + msg
		}
		fmt.Fprintf(w, "::%s %s::%s\n", githubCommand(f.Severity), strings.Join(props, ","), escapeData(msg))
	}
	for _, e := range rep.inputErrors() {
		props := []string{"file=" + escapeProperty(e.File)}
		if e.Line > 0 {
			props = append(props, "line="+strconv.Itoa(e.Line), "col="+strconv.Itoa(max(e.Column, 1)))
		}
		props = append(props, "title="+escapeProperty("kmslint input error"))
		fmt.Fprintf(w, "::error %s::%s\n", strings.Join(props, ","), escapeData(e.Error))
	}
	_, err := fmt.Fprintln(w, summaryLine(rep))
	return err
}

func githubCommand(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return "notice"
}

// The runner splits a command at "::" and its properties at "," and "=", and
// ends it at a line break; these escapes are the ones @actions/core applies
// (toolkit packages/core/src/command.ts, escapeData and escapeProperty).
var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func escapeData(s string) string     { return dataEscaper.Replace(s) }
func escapeProperty(s string) string { return propertyEscaper.Replace(s) }
