package audit

import (
	"fmt"
	"io"

	"github.com/kmslint/kmslint/internal/cloudtrail"
	"github.com/kmslint/kmslint/internal/report"
)

// Timelines are the report's "timelines": one per recommendation.
type Timelines []Timeline

// WriteText prints each recommendation's events, with the key's lifecycle
// events merged in time order.
func (ts Timelines) WriteText(w io.Writer, _ report.Options) error {
	for i := range ts {
		t := &ts[i]
		if i > 0 {
			fmt.Fprintln(w)
		}
		if t.RecommendationARN != "" {
			fmt.Fprintf(w, "recommendation %s\n  key %s\n", t.RecommendationARN, t.Key)
		} else {
			fmt.Fprintf(w, "key %s\n  AgentCore calls of no recommendation in the trail\n", t.Key)
		}
		merged := make([]Entry, 0, len(t.Events)+len(t.KeyEvents))
		merged = append(merged, t.Events...)
		merged = append(merged, t.KeyEvents...)
		sortEntries(merged)
		for _, e := range merged {
			who := string(e.Who)
			if isLifecycle(e.Operation) {
				who = "key"
			}
			if _, err := fmt.Fprintf(w, "  %s  %-20s %-8s %-24s %s\n",
				e.Time.UTC().Format("2006-01-02T15:04:05Z"), e.Operation, who, e.Outcome, e.Principal); err != nil {
				return err
			}
		}
	}
	return nil
}

func isLifecycle(op string) bool { return lifecycleEvents[op] }

// InputError is an unreadable file or record, as the JSON report's
// "inputErrors" lists it.
type InputError struct {
	File   string `json:"file"`
	Record int    `json:"record"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Error  string `json:"error"`
}

// InputErrors are the report's "inputErrors".
type InputErrors []InputError

// NewInputErrors converts the reader's errors.
func NewInputErrors(errs []cloudtrail.InputError) InputErrors {
	out := make(InputErrors, 0, len(errs))
	for _, e := range errs {
		msg := ""
		if e.Err != nil {
			msg = e.Err.Error()
		}
		out = append(out, InputError{File: e.Source, Record: e.Record, Line: e.Line, Column: e.Col, Error: msg})
	}
	return out
}

// WriteText lists the errors after the timelines.
func (es InputErrors) WriteText(w io.Writer, _ report.Options) error {
	if len(es) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%d input error(s), the rest was audited:\n", len(es))
	for _, e := range es {
		if _, err := fmt.Fprintf(w, "  %s\n", e.String()); err != nil {
			return err
		}
	}
	return nil
}

// String is the error as one line: FILE[:LINE:COL]: record N: what.
func (e InputError) String() string {
	pos := e.File
	if e.Line > 0 {
		pos = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	}
	if e.Record >= 0 {
		return fmt.Sprintf("%s: record %d: %s", pos, e.Record, e.Error)
	}
	return fmt.Sprintf("%s: %s", pos, e.Error)
}
