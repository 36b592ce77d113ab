package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
)

// Finding is one problem found by lint or audit. Its JSON is the finding
// object of CONTRACT.md ("JSON report (lint and audit)"); the field order here
// is the order in the output.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Message  string   `json:"message"`
	// File is the path the user gave; empty for a live key. Line and Column
	// are 1-based and zero when unknown.
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	Resource  string `json:"resource"`
	Statement string `json:"statement"`
	// Evidence is the authorization request that proves the finding, when
	// one does.
	Evidence   *Evidence `json:"evidence,omitempty"`
	Suppressed bool      `json:"suppressed"`

	// Audit only.
	RecommendationARN string   `json:"recommendationArn,omitempty"`
	EventIDs          []string `json:"eventIds,omitempty"`
}

// Evidence is the request (principal, action, context) that the
// authorization engine decided, and the statements that decided it.
type Evidence struct {
	Principal  string                  `json:"principal"`
	Action     string                  `json:"action"`
	Context    map[string]ContextValue `json:"context"`
	Decision   string                  `json:"decision"`
	Statements []string                `json:"statements"`
}

// MarshalJSON writes empty collections as {} and [] rather than null, so
// that consumers can iterate them without a null check.
func (e Evidence) MarshalJSON() ([]byte, error) {
	type plain Evidence
	p := plain(e)
	if p.Context == nil {
		p.Context = map[string]ContextValue{}
	}
	if p.Statements == nil {
		p.Statements = []string{}
	}
	return marshalNoHTML(p)
}

// ContextValue is the value of one condition-context key. A single-valued
// key is written as a JSON string; a multi-valued key (aws:CalledVia,
// kms:EncryptionContextKeys, or a key given twice on the command line) as an
// array even when it holds one value, because IAM treats the two differently
// (ForAnyValue/ForAllValues).
type ContextValue struct {
	Values []string
	Multi  bool
}

// Single is a single-valued context key.
func Single(v string) ContextValue { return ContextValue{Values: []string{v}} }

// Multi is a multi-valued context key.
func Multi(v ...string) ContextValue { return ContextValue{Values: v, Multi: true} }

// IsList reports whether the value is written as a list.
func (c ContextValue) IsList() bool { return c.Multi || len(c.Values) != 1 }

func (c ContextValue) MarshalJSON() ([]byte, error) {
	if !c.IsList() {
		return marshalNoHTML(c.Values[0])
	}
	if c.Values == nil {
		return []byte("[]"), nil
	}
	return marshalNoHTML(c.Values)
}

func (c *ContextValue) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("context value: %w", err)
		}
		*c = Single(s)
		return nil
	}
	var vs []string
	if err := json.Unmarshal(b, &vs); err != nil || vs == nil {
		return errors.New("context value: want a string or an array of strings")
	}
	*c = Multi(vs...)
	return nil
}

// Compare orders findings for output: by file, position, rule and message,
// then by the remaining identifying fields so that the order never depends on
// the order rules happened to run in.
func Compare(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.File, b.File),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Column, b.Column),
		cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.Message, b.Message),
		cmp.Compare(a.Resource, b.Resource),
		cmp.Compare(a.Statement, b.Statement),
		cmp.Compare(a.RecommendationARN, b.RecommendationARN),
		cmp.Compare(b.Severity, a.Severity),
	)
}

// location names where a finding is for humans: the file, else the live
// key or other resource, else the recommendation.
func (f *Finding) location() string {
	switch {
	case f.File != "":
		return f.File
	case f.Resource != "":
		return f.Resource
	case f.RecommendationARN != "":
		return f.RecommendationARN
	}
	return "(no location)"
}

// pos is "LINE:COL", "LINE" or "-".
func (f *Finding) pos() string {
	switch {
	case f.Line <= 0:
		return "-"
	case f.Column <= 0:
		return fmt.Sprint(f.Line)
	}
	return fmt.Sprintf("%d:%d", f.Line, f.Column)
}
