package report

import (
	"fmt"
	"io"
	"strconv"
)

// InputError is a file that could not be read or resolved: the other
// inputs were still checked. Lint reports carry them as "inputErrors".
type InputError struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Error  string `json:"error"`
}

// String is the error as one line: FILE[:LINE:COL]: what.
func (e InputError) String() string {
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(max(e.Column, 1)) + ": " + e.Error
	}
	return e.File + ": " + e.Error
}

// InputErrors is the "inputErrors" member of a lint report. The text,
// SARIF, JUnit and GitHub writers show them too (InputErrorList).
type InputErrors []InputError

// InputErrorList is implemented by a Report.InputErrors value that the
// SARIF, JUnit and GitHub writers can render.
type InputErrorList interface {
	List() []InputError
}

// List returns the errors.
func (es InputErrors) List() []InputError { return es }

// WriteText lists the errors after the findings.
func (es InputErrors) WriteText(w io.Writer, _ Options) error {
	if len(es) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s, the other inputs were checked:\n", plural(len(es), "input error"))
	for _, e := range es {
		if _, err := fmt.Fprintf(w, "  %s\n", clean(e.String())); err != nil {
			return err
		}
	}
	return nil
}

// inputErrors are the report's input errors the writers can render.
func (r *Report) inputErrors() []InputError {
	if l, ok := r.InputErrors.(InputErrorList); ok && !isNil(r.InputErrors) {
		return l.List()
	}
	return nil
}
