package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// collector records what a splitter hands out.
type collector struct {
	records []string
	indexes []int
	probs   []prob
}

type prob struct {
	index     int
	line, col int
	msg       string
}

func (c *collector) record(sp *splitter, r *rawRecord) {
	c.records = append(c.records, string(r.data))
	c.indexes = append(c.indexes, r.index)
}

func (c *collector) problem(sp *splitter, index int, off int64, err error) {
	p := prob{index: index, msg: err.Error()}
	if off >= 0 {
		p.line, p.col = sp.s.position(off)
	}
	c.probs = append(c.probs, p)
}

// split runs a splitter over data. tiny feeds it one byte per read into a
// 16-byte buffer, so that every refill, compaction and growth path runs.
func split(data []byte, tiny bool, maxRecord int) (*collector, int) {
	var sp splitter
	var r io.Reader = bytes.NewReader(data)
	if tiny {
		sp.s.buf = make([]byte, 16)
		r = iotest.OneByteReader(r)
	}
	c := &collector{}
	sp.reset(context.Background(), r, maxRecord, c)
	sp.run()
	return c, sp.next
}

func TestSplitRecords(t *testing.T) {
	long := strings.Repeat("x", 100)
	tests := []struct {
		name     string
		in       string
		maxRec   int
		records  []string
		indexes  []int
		seen     int
		probs    []prob // msg is a substring
		anyProbs int    // when > 0, only the number of problems is checked
	}{
		{name: "records wrapper", in: `{"Records":[{"a":1},{"b":2}]}`,
			records: []string{`{"a":1}`, `{"b":2}`}, indexes: []int{0, 1}, seen: 2},
		{name: "empty records", in: `{"Records":[]}`},
		{name: "records after other members", in: `{"x":[1,{"y":2}],"Records":[{"a":1}],"z":"w"}`,
			records: []string{`{"a":1}`}, indexes: []int{0}, seen: 1},
		{name: "pretty records", in: "{\n  \"Records\": [\n    {\n      \"a\": 1\n    },\n    {\"b\": [true, false, null, -1.5e3]}\n  ]\n}\n",
			records: []string{"{\n      \"a\": 1\n    }", `{"b": [true, false, null, -1.5e3]}`}, indexes: []int{0, 1}, seen: 2},
		{name: "bare array", in: `[{"a":1} , {"b":2}]`,
			records: []string{`{"a":1}`, `{"b":2}`}, indexes: []int{0, 1}, seen: 2},
		{name: "json lines", in: "{\"a\":1}\n{\"b\":2}\r\n\n{\"c\":3}",
			records: []string{`{"a":1}`, `{"b":2}`, `{"c":3}`}, indexes: []int{0, 1, 2}, seen: 3},
		{name: "single pretty event", in: "{\n  \"a\": {\n    \"b\": [1, 2]\n  }\n}\n",
			records: []string{"{\n  \"a\": {\n    \"b\": [1, 2]\n  }\n}"}, indexes: []int{0}, seen: 1},
		{name: "byte order mark", in: "\xef\xbb\xbf{\"Records\":[{\"a\":1}]}",
			records: []string{`{"a":1}`}, indexes: []int{0}, seen: 1},
		{name: "empty input", in: ""},
		{name: "blank input", in: " \n\t\r\n"},
		{name: "lookup-events output",
			in:      `{"Events":[{"EventId":"1","CloudTrailEvent":"{\"eventName\":\"Decrypt\",\"x\":\"a\\\\b\"}"},{"EventId":"2","CloudTrailEvent":" {} "}],"NextToken":"t"}`,
			records: []string{`{"eventName":"Decrypt","x":"a\\b"}`, `{}`}, indexes: []int{0, 1}, seen: 2},
		{name: "lookup element without CloudTrailEvent",
			in:   `{"Events":[{"EventId":"1"},{"EventId":"2","CloudTrailEvent":"[1]"},{"EventId":"3","CloudTrailEvent":"{\"a\":}"},{"EventId":"4","CloudTrailEvent":"{} x"}]}`,
			seen: 4,
			probs: []prob{{0, 1, 12, "without a CloudTrailEvent"}, {1, 1, 28, "not a JSON object"},
				{2, 1, 68, "CloudTrailEvent, byte 6: invalid character '}'"}, {3, 1, 113, "byte 4: data after the event object"}}},
		{name: "records that are not objects", in: `{"Records":[{"a":1},42,"s",null,[1],true,{"b":2}]}`,
			records: []string{`{"a":1}`, `{"b":2}`}, indexes: []int{0, 6}, seen: 7,
			probs: []prob{{1, 1, 21, "record is a number"}, {2, 1, 24, "record is a string"},
				{3, 1, 28, "record is null"}, {4, 1, 33, "record is an array"}, {5, 1, 37, "record is a boolean"}}},
		{name: "broken record, next one recovered",
			in:      `{"Records":[{"eventVersion":"1","a":1},{"eventVersion":"1","b":tru},{"eventVersion":"1","c":3}]}`,
			records: []string{`{"eventVersion":"1","a":1}`, `{"eventVersion":"1","c":3}`}, indexes: []int{0, 2}, seen: 3,
			probs: []prob{{1, 1, 67, "invalid character '}' in literal true"}}},
		{name: "cut-off record with the next one appended to it",
			in:      `{"Records":[{"eventVersion":"1","a":{"x":"abc{"eventVersion":"1","c":3},{"eventVersion":"1","d":4}]}`,
			records: []string{`{"eventVersion":"1","c":3}`, `{"eventVersion":"1","d":4}`}, indexes: []int{1, 2}, seen: 3,
			probs: []prob{{0, 1, 48, "invalid character 'e' after object key:value pair"}}},
		{name: "resynchronising on the input's own first key",
			in:      `[{"k":1},{"k":2,"x":[},{"k":3}]`,
			records: []string{`{"k":1}`, `{"k":3}`}, indexes: []int{0, 2}, seen: 3,
			probs: []prob{{1, 1, 22, "looking for beginning of value"}}},
		{name: "missing comma between records", in: `[{"eventVersion":1} {"eventVersion":2}]`,
			records: []string{`{"eventVersion":1}`, `{"eventVersion":2}`}, indexes: []int{0, 1}, seen: 2,
			probs: []prob{{-1, 1, 21, "invalid character '{' after record 0"}}},
		{name: "trailing comma", in: `{"Records":[{"a":1},]}`,
			records: []string{`{"a":1}`}, indexes: []int{0}, seen: 1, probs: []prob{{-1, 1, 21, "trailing comma"}}},
		{name: "truncated inside a record", in: `{"Records":[{"a":1},{"b":`,
			records: []string{`{"a":1}`}, indexes: []int{0}, seen: 2, probs: []prob{{1, 1, 26, "unexpected end of input"}}},
		{name: "truncated between records", in: `{"Records":[{"a":1},`,
			records: []string{`{"a":1}`}, indexes: []int{0}, seen: 1, probs: []prob{{-1, 1, 21, "unexpected end of input"}}},
		{name: "truncated after the array", in: `{"Records":[{"a":1}]`,
			records: []string{`{"a":1}`}, indexes: []int{0}, seen: 1, probs: []prob{{-1, 1, 21, "unexpected end of input"}}},
		{name: "not JSON", in: "hello\nworld", probs: []prob{{-1, 1, 1, "not a CloudTrail log: starts with 'h'"}}},
		{name: "JSON but no log", in: " 42", probs: []prob{{-1, 1, 2, "not a CloudTrail log: starts with '4'"}}},
		{name: "json lines with a bad line", in: "{\"a\":1}\n{\"b\" 2}\n{\"c\":3}\n",
			records: []string{`{"a":1}`, `{"c":3}`}, indexes: []int{0, 2}, seen: 3,
			probs: []prob{{1, 2, 6, "after object key"}}},
		{name: "json lines with a garbage line", in: "{\"a\":1}\nnot json\n  indented\n{\"c\":3}\n",
			records: []string{`{"a":1}`, `{"c":3}`}, indexes: []int{0, 2}, seen: 3,
			probs: []prob{{1, 2, 2, "in literal null"}}},
		{name: "json lines with a scalar line", in: "{\"a\":1}\n\"s\"\n{\"c\":3}\n",
			records: []string{`{"a":1}`, `{"c":3}`}, indexes: []int{0, 2}, seen: 3,
			probs: []prob{{1, 2, 1, "record is a string"}}},
		{name: "positions on later lines", in: "{\"Records\":[\n{\"a\":1},\n  {\"b\":x}\n]}",
			records: []string{`{"a":1}`}, indexes: []int{0}, seen: 2,
			probs: []prob{{1, 3, 8, "looking for beginning of value"}}},
		{name: "Records not an array", in: `{"Records":5}`, probs: []prob{{-1, 1, 12, `"Records" is not an array`}}},
		{name: "control character in a string", in: "{\"Records\":[{\"a\":\"x\x01\"},{\"eventVersion\":1}]}",
			records: []string{`{"eventVersion":1}`}, indexes: []int{1}, seen: 2,
			probs: []prob{{0, 1, 20, "invalid character 0x01 in string literal"}}},
		{name: "bad escape", in: `[{"a":"\x"},{"a":"\u12G4"},{"a":"\u00e9\n\"\\\/"}]`,
			records: []string{`{"a":"\u00e9\n\"\\\/"}`}, indexes: []int{2}, seen: 3,
			probs: []prob{{0, 1, 9, "in string escape code"}, {1, 1, 23, "invalid character 'G' in \\u hexadecimal"}}},
		{name: "bad numbers", in: "[{\"a\":01},{\"a\":-},{\"a\":1.},{\"a\":1e},{\"a\":-0.5E+7}]",
			records: []string{`{"a":-0.5E+7}`}, indexes: []int{4}, seen: 5, anyProbs: 4},
		{name: "record larger than the limit", in: `{"Records":[{"a":"` + long + `"},{"b":1}]}`, maxRec: 50,
			records: []string{`{"b":1}`}, indexes: []int{1}, seen: 2, probs: []prob{{0, 1, 13, "record larger than 50 bytes"}}},
		{name: "nesting too deep", in: `{"Records":[{"a":` + strings.Repeat("[", maxDepth+5),
			seen: 1, probs: []prob{{0, 1, 10017, "nesting deeper than 10000 levels"}}},
		{name: "too many errors", in: strings.Repeat("{\"b\" 2}\n", 150), seen: 101, anyProbs: maxProblems + 1},
		// Top-level objects: the splitter's member hook decides, key by
		// key, whether the object is a wrapper or a record.
		{name: "a Records key below the top is a record's member", in: `{"a":{"Records":[{"x":1}]}}`,
			records: []string{`{"a":{"Records":[{"x":1}]}}`}, indexes: []int{0}, seen: 1},
		{name: "json lines, then a wrapper", in: "{\"a\":1}\n{\"Records\":[{\"b\":2}]}\n",
			records: []string{`{"a":1}`, `{"b":2}`}, indexes: []int{0, 1}, seen: 2},
		{name: "broken member before the wrapper key", in: "{\"x\":tru,\"Records\":[{\"a\":1}]}\n{\"c\":3}",
			records: []string{`{"c":3}`}, indexes: []int{1}, seen: 2,
			probs: []prob{{0, 1, 9, "invalid character ',' in literal true"}}},
		{name: "broken member after the records", in: `{"Records":[{"a":1}],"x":tru}`,
			records: []string{`{"a":1}`}, indexes: []int{0}, seen: 1,
			probs: []prob{{-1, 1, 29, "invalid character '}' in literal true"}}},
		{name: "resynchronising in a wrapper after a json line", in: "{\"eventVersion\":\"1\"}\n{\"Records\":[{\"eventVersion\":\"1\",\"b\":tru},{\"eventVersion\":\"1\",\"c\":3}]}",
			records: []string{`{"eventVersion":"1"}`, `{"eventVersion":"1","c":3}`}, indexes: []int{0, 2}, seen: 3,
			probs: []prob{{1, 2, 40, "invalid character '}' in literal true"}}},
		{name: "json line larger than the limit", in: `{"a":"` + long + "\"}\n{\"b\":1}", maxRec: 50,
			records: []string{`{"b":1}`}, indexes: []int{1}, seen: 2, probs: []prob{{0, 1, 1, "record larger than 50 bytes"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			maxRec := tt.maxRec
			if maxRec == 0 {
				maxRec = 1 << 20
			}
			for _, tiny := range []bool{false, true} {
				c, seen := split([]byte(tt.in), tiny, maxRec)
				if !reflect.DeepEqual(c.records, tt.records) || !reflect.DeepEqual(c.indexes, tt.indexes) {
					t.Errorf("tiny=%v: records %q at %v, want %q at %v", tiny, c.records, c.indexes, tt.records, tt.indexes)
				}
				if seen != tt.seen {
					t.Errorf("tiny=%v: %d records seen, want %d", tiny, seen, tt.seen)
				}
				if tt.anyProbs > 0 {
					if len(c.probs) != tt.anyProbs {
						t.Errorf("tiny=%v: %d problems, want %d: %v", tiny, len(c.probs), tt.anyProbs, c.probs)
					}
					continue
				}
				if len(c.probs) != len(tt.probs) {
					t.Errorf("tiny=%v: problems %v, want %v", tiny, c.probs, tt.probs)
					continue
				}
				for i, p := range c.probs {
					w := tt.probs[i]
					// A released oversized record has no position left with a tiny buffer.
					posOK := p.line == w.line && p.col == w.col || tt.maxRec > 0 && tiny && p.line == 0
					if p.index != w.index || !posOK || !strings.Contains(p.msg, w.msg) {
						t.Errorf("tiny=%v: problem %d = %+v, want %+v", tiny, i, p, w)
					}
				}
			}
		})
	}
}

// scanOne checks that data is exactly one JSON value.
func scanOne(data []byte, tiny bool) bool {
	var s scanner
	var r io.Reader = bytes.NewReader(data)
	if tiny {
		s.buf = make([]byte, 16)
		r = iotest.OneByteReader(r)
	}
	s.reset(context.Background(), r, 1<<30)
	if err := s.value(0); err != nil {
		return false
	}
	_, more := s.peek()
	return !more
}

func TestScannerAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, `""`, `0`, `-0`, `1.5`, `-1e+10`, `1E-2`, `true`, `false`, `null`, ` {"a" : [ 1 , { } ] } `,
		`"\u00e9\ud83d\ude00\b\f\n\r\t\/\\\""`, "\"\xff\xfe\"", `{"a":1,"a":2}`,
		`{`, `}`, `[1,]`, `{"a":1,}`, `{"a"}`, `{a:1}`, `01`, `1.`, `.5`, `-`, `1e`, `1e+`, `+1`, `tru`, `nul`,
		`"abc`, "\"a\nb\"", `"\q"`, `"\u12"`, `[1 2]`, `{"a":1 "b":2}`, `1 2`, `[` + strings.Repeat("[", 20) + `]`,
		`NaN`, `Infinity`, `'a'`, "\x00",
	} {
		want := json.Valid([]byte(in))
		for _, tiny := range []bool{false, true} {
			if got := scanOne([]byte(in), tiny); got != want {
				t.Errorf("scan(%q, tiny=%v) = %v, json.Valid = %v", in, tiny, got, want)
			}
		}
	}
}

// FuzzSplitRecords holds the splitter to three things on any input: it agrees
// with itself whatever the read and buffer sizes, everything it hands out is
// a well-formed JSON object, and on valid {"Records":[...]} input it yields
// exactly the array's objects, as encoding/json sees them.
func FuzzSplitRecords(f *testing.F) {
	for _, s := range []string{
		`{"Records":[{"eventVersion":"1.08","eventSource":"kms.amazonaws.com"},{"a":[1,2,{"b":null}]}]}`,
		"{\"a\":1}\n{\"b\":2}\n", `[{"a":1},2,"x",{"b":true}]`, `{"Records":[{"eventVersion":"1","b":tru},{"eventVersion":"1"}]}`,
		`{"Events":[{"EventId":"1","CloudTrailEvent":"{\"eventVersion\":\"1.08\"}"}],"NextToken":"x"}`,
		`{"Records":[{"a":"\u00e9\"\\"},`, "\xef\xbb\xbf[]", `{"x":1,"Records":5}`, `hello`, ``,
		"{\"a\":1}\nnot json\n{\"c\":3}", `[{"k":1} {"k":2}]`, `{"Records":[{"a":1},]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Count(data, []byte("[")) > 1000 {
			return // deep nesting is covered by the table test; here it only slows the search
		}
		whole, seenWhole := split(data, false, 1<<30)
		tiny, seenTiny := split(data, true, 1<<30)
		if !reflect.DeepEqual(whole, tiny) || seenWhole != seenTiny {
			t.Fatalf("buffering changes the result:\nwhole %d %+v\ntiny  %d %+v", seenWhole, whole, seenTiny, tiny)
		}
		for i, r := range whole.records {
			if !json.Valid([]byte(r)) || r[0] != '{' {
				t.Fatalf("record %d is not a JSON object: %q", i, r)
			}
			if whole.indexes[i] >= seenWhole {
				t.Fatalf("record index %d beyond %d records seen", whole.indexes[i], seenWhole)
			}
		}
		for _, p := range whole.probs {
			if p.index >= seenWhole || p.line < 0 || p.col < 0 {
				t.Fatalf("bad problem %+v (%d records seen)", p, seenWhole)
			}
		}
		if scanOne(data, false) != json.Valid(data) {
			t.Fatalf("scanner and json.Valid disagree on %q", data)
		}
		if !json.Valid(data) {
			return
		}
		for _, p := range whole.probs {
			// A CloudTrailEvent string holds a document of its own, which
			// valid JSON around it does not make valid.
			if strings.HasPrefix(p.msg, "CloudTrailEvent") {
				continue
			}
			if strings.HasPrefix(p.msg, "invalid character") || strings.Contains(p.msg, "end of input") {
				t.Fatalf("syntax problem %+v in valid JSON", p)
			}
		}
		want, ok := recordsOf(data)
		if !ok {
			return
		}
		var got []string
		for _, r := range whole.records {
			got = append(got, compact(t, []byte(r)))
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("records %q, encoding/json finds %q", got, want)
		}
	})
}

// recordsOf returns the compacted objects of a {"Records":[...]} document
// with a single Records member, as encoding/json reads it.
func recordsOf(data []byte) ([]string, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil || bytes.Count(data, []byte(`"Records"`)) != 1 || bytes.Contains(data, []byte(`"Events"`)) {
		return nil, false
	}
	var elems []json.RawMessage
	if json.Unmarshal(top["Records"], &elems) != nil {
		return nil, false
	}
	var out []string
	for _, e := range elems {
		var b bytes.Buffer
		if json.Compact(&b, e) != nil {
			return nil, false
		}
		if b.Len() > 0 && b.Bytes()[0] == '{' {
			out = append(out, b.String())
		}
	}
	return out, true
}

func compact(t *testing.T, data []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		t.Fatalf("compact %q: %v", data, err)
	}
	return b.String()
}

func ExampleInputError() {
	e := &InputError{Source: "trail.json", Record: 3, Line: 1, Col: 812, Err: fmt.Errorf("record is a number, not an object")}
	fmt.Println(e)
	// Output: trail.json:1:812: record 3: record is a number, not an object
}
