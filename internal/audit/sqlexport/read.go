package sqlexport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kmslint/kmslint/internal/cloudtrail"
)

// Stats count what one export held.
type Stats struct {
	Records int // result rows, readable or not
	Matched int // events that passed the filter and were delivered
}

// reader collects one export's counts and errors.
type reader struct {
	name   string
	filter *cloudtrail.Filter
	fn     func(*cloudtrail.Event) error
	stats  Stats
	errs   []cloudtrail.InputError
}

func newReader(name string, f *cloudtrail.Filter, fn func(*cloudtrail.Event) error) *reader {
	if f == nil {
		f = cloudtrail.DefaultFilter()
	}
	return &reader{name: name, filter: f, fn: fn}
}

func (rd *reader) fail(record, line int, err error) {
	rd.errs = append(rd.errs, cloudtrail.InputError{Source: rd.name, Record: record, Line: line, Col: min(line, 1), Err: err})
}

// deliver maps and hands on one row; only fn's error is returned.
func (rd *reader) deliver(r row, index, line int) error {
	ev, err := r.event()
	if err != nil {
		rd.fail(index, line, err)
		return nil
	}
	if !matches(rd.filter, ev) {
		return nil
	}
	ev.Source, ev.Record = rd.name, index
	if err := rd.fn(ev); err != nil {
		return err
	}
	rd.stats.Matched++
	return nil
}

// ReadAthenaCSV reads an Athena query result in CSV (a header row of
// column names, then one row per event) and calls fn for every event that
// passes f (nil: cloudtrail.DefaultFilter()). name is the Source of the
// events and errors. Rows that cannot be read become InputErrors with
// their 0-based row index and line; the rest is read. Only fn's error is
// returned.
func ReadAthenaCSV(r io.Reader, name string, f *cloudtrail.Filter, fn func(*cloudtrail.Event) error) (Stats, []cloudtrail.InputError, error) {
	rd := newReader(name, f, fn)
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			err = errors.New("empty: no header row")
		}
		rd.fail(-1, 1, fmt.Errorf("not an Athena CSV result: %w", err))
		return rd.stats, rd.errs, nil
	}
	cols := make([]string, len(header))
	for i, h := range header {
		cols[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	}
	if err := checkColumns(cols); err != nil {
		rd.fail(-1, 1, err)
		return rd.stats, rd.errs, nil
	}
	for index := 0; ; index++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return rd.stats, rd.errs, nil
		}
		rd.stats.Records++
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			// encoding/csv resumes at the next record after a parse
			// error, so one bad row costs only itself.
			rd.fail(index, line, err)
			continue
		}
		line, _ := cr.FieldPos(0)
		rw := make(row, len(cols))
		for i, v := range rec {
			rw[cols[i]] = v
		}
		if err := rd.deliver(rw, index, line); err != nil {
			return rd.stats, rd.errs, err
		}
	}
}

// checkColumns refuses a result that is not one of an audit query: without
// these no event can be rebuilt.
func checkColumns(cols []string) error {
	have := map[string]bool{}
	for _, c := range cols {
		have[c] = true
	}
	var missing []string
	for _, c := range []string{"eventsource", "eventname", "eventtime"} {
		if !have[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("not a result of the kmslint audit query: no column %s", strings.Join(missing, ", "))
	}
	return nil
}

// ReadLakeJSON reads a CloudTrail Lake query result as JSON and calls fn
// for every event that passes f, as ReadAthenaCSV. It takes the output of
// `aws cloudtrail get-query-results` (one response, or several pages one
// after another), whose QueryResultRows hold each row as a list of
// one-member objects {"column": "value"} in column order
// (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_GetQueryResults.html),
// a bare JSON array of such rows, and rows written as plain objects (JSON
// lines). Rows are decoded one at a time, so a result of any size streams.
func ReadLakeJSON(r io.Reader, name string, f *cloudtrail.Filter, fn func(*cloudtrail.Event) error) (Stats, []cloudtrail.InputError, error) {
	rd := newReader(name, f, fn)
	lr := &lakeReader{rd: rd, dec: json.NewDecoder(bufio.NewReader(r))}
	if err := lr.run(); err != nil {
		return rd.stats, rd.errs, err
	}
	return rd.stats, rd.errs, nil
}

type lakeReader struct {
	rd    *reader
	dec   *json.Decoder
	index int
	// deliverErr is fn's error, to tell it from malformed input.
	deliverErr error
}

// errStop ends the read after malformed input has been reported.
var errStop = errors.New("stop")

func (lr *lakeReader) run() error {
	for values := 0; ; values++ {
		tok, err := lr.dec.Token()
		if err == io.EOF {
			if values == 0 {
				lr.rd.fail(-1, 0, errors.New("not a CloudTrail Lake result: empty"))
			}
			return nil
		}
		if err != nil {
			lr.broken(err)
			return lr.deliverErr
		}
		switch tok {
		case json.Delim('{'):
			err = lr.object()
		case json.Delim('['):
			err = lr.rows()
		default:
			err = fmt.Errorf("unexpected %v at the top level", tok)
			lr.broken(err)
			err = errStop
		}
		if err != nil {
			return lr.deliverErr
		}
	}
}

// broken reports malformed JSON at the current row.
func (lr *lakeReader) broken(err error) {
	rec := lr.index
	lr.index++
	lr.rd.stats.Records++ // the row that could not be read still counts
	lr.rd.fail(rec, 0, fmt.Errorf("at byte %d: %w", lr.dec.InputOffset(), err))
}

// object reads a top-level object after its '{': a GetQueryResults
// response, or one row written as an object.
func (lr *lakeReader) object() error {
	fields := map[string]json.RawMessage{}
	response := false
	for lr.dec.More() {
		tok, err := lr.dec.Token()
		if err != nil {
			lr.broken(err)
			return errStop
		}
		key, _ := tok.(string)
		if strings.EqualFold(key, "QueryResultRows") {
			response = true
			if tok, err := lr.dec.Token(); err != nil || tok != json.Delim('[') {
				if tok == nil && err == nil {
					continue // "QueryResultRows": null
				}
				if err == nil {
					err = fmt.Errorf("QueryResultRows is %v, not a list", tok)
				}
				lr.broken(err)
				return errStop
			}
			if err := lr.rows(); err != nil {
				return err
			}
			continue
		}
		var v json.RawMessage
		if err := lr.dec.Decode(&v); err != nil {
			lr.broken(err)
			return errStop
		}
		fields[strings.ToLower(key)] = v
	}
	if _, err := lr.dec.Token(); err != nil { // '}'
		lr.broken(err)
		return errStop
	}
	if response {
		return nil
	}
	if _, ok := fields["queryid"]; ok || fields["querystatus"] != nil {
		return nil // a response without rows
	}
	r := row{}
	for k, v := range fields {
		r[k] = scalar(v)
	}
	return lr.row(r)
}

// rows reads row elements after a '[' up to its ']'.
func (lr *lakeReader) rows() error {
	for lr.dec.More() {
		var raw json.RawMessage
		if err := lr.dec.Decode(&raw); err != nil {
			lr.broken(err)
			return errStop
		}
		r, err := parseRow(raw)
		if err != nil {
			lr.rd.stats.Records++
			lr.rd.fail(lr.index, 0, err)
			lr.index++
			continue
		}
		if err := lr.row(r); err != nil {
			return err
		}
	}
	if _, err := lr.dec.Token(); err != nil { // ']'
		lr.broken(err)
		return errStop
	}
	return nil
}

func (lr *lakeReader) row(r row) error {
	lr.rd.stats.Records++
	index := lr.index
	lr.index++
	if err := lr.rd.deliver(r, index, 0); err != nil {
		lr.deliverErr = err
		return err
	}
	return nil
}

// parseRow reads a row as GetQueryResults writes it, a list of one-member
// objects, or as one object.
func parseRow(raw json.RawMessage) (row, error) {
	raw = bytes.TrimSpace(raw)
	r := row{}
	switch {
	case len(raw) > 0 && raw[0] == '[':
		var cells []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &cells); err != nil {
			return nil, fmt.Errorf("row is not a list of {column: value} objects: %w", err)
		}
		for _, c := range cells {
			for k, v := range c {
				r[strings.ToLower(k)] = scalar(v)
			}
		}
	case len(raw) > 0 && raw[0] == '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, err
		}
		for k, v := range obj {
			r[strings.ToLower(k)] = scalar(v)
		}
	default:
		return nil, fmt.Errorf("row is %.20s, not a list or an object", raw)
	}
	return r, nil
}

// scalar is a cell's text: a string's value, "" for null, and any other
// JSON (a number, a nested object) as its text.
func scalar(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return string(v)
}
