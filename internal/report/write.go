package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Output formats accepted by Write.
const (
	FormatText   = "text"
	FormatJSON   = "json"
	FormatSARIF  = "sarif"
	FormatJUnit  = "junit"
	FormatGitHub = "github"
)

// Formats lists the formats Write accepts, for flag help and validation.
func Formats() []string {
	return []string{FormatText, FormatJSON, FormatSARIF, FormatJUnit, FormatGitHub}
}

// Options are rendering choices; what was found lives in the Report.
type Options struct {
	// FailOn is the --fail-on threshold: JUnit fails test cases at or above
	// it. The zero value means error, the CLI default.
	FailOn Severity
	// Color enables ANSI colour in text output (the CLI decides: terminal,
	// --no-color, NO_COLOR).
	Color bool
	// Verbose shows suppressed findings and evidence in text output.
	Verbose bool
	// Quiet (-q) keeps text output to findings and input errors: no
	// timelines, no summary line.
	Quiet bool
	// Source returns the content of a finding's file so that text output can
	// quote the offending line. It is a function rather than a file system
	// so that stdin and CloudFormation templates fetched elsewhere work too;
	// nil, or an error, means no quote.
	Source func(file string) ([]byte, error)
	// BaseDir is the directory SARIF artifact URIs are made relative to
	// (the repository root in CI). Relative finding paths are used as they
	// are; absolute ones outside BaseDir become file:// URIs.
	BaseDir string
}

// TextSection is implemented by audit values (Report.Timelines,
// Report.InputErrors) that have a text rendering; the text writer prints them
// after the findings.
type TextSection interface {
	WriteText(w io.Writer, opts Options) error
}

// Write renders rep to w in format.
func Write(w io.Writer, format string, rep *Report, opts Options) error {
	if rep == nil {
		return errors.New("report: no report to write")
	}
	if err := rep.Validate(); err != nil {
		return fmt.Errorf("report: invalid report: %w", err)
	}
	var write func(io.Writer, *Report, Options) error
	switch format {
	case FormatText:
		write = writeText
	case FormatJSON:
		write = writeJSON
	case FormatSARIF:
		write = writeSARIF
	case FormatJUnit:
		write = writeJUnit
	case FormatGitHub:
		write = writeGitHub
	default:
		return fmt.Errorf("report: unknown format %q (want text, json, sarif, junit or github)", format)
	}
	// Writers make many small writes; buffering keeps that from becoming
	// many system calls when w is a file or stdout.
	bw := bufio.NewWriter(w)
	if err := write(bw, rep, opts); err != nil {
		return fmt.Errorf("report: write %s: %w", format, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("report: write %s: %w", format, err)
	}
	return nil
}

// encodeJSON writes v indented by two spaces with a trailing newline. HTML
// escaping is off because reports are not embedded in HTML and "<" in a
// message should read as "<".
func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// marshalNoHTML is json.Marshal without HTML escaping, for MarshalJSON
// methods: the encoder's SetEscapeHTML(false) does not undo escaping that a
// nested json.Marshal already did.
func marshalNoHTML(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func writeJSON(w io.Writer, rep *Report, _ Options) error {
	return encodeJSON(w, rep.toJSON())
}
