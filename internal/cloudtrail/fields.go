package cloudtrail

import (
	"bytes"
	"encoding/json"
)

// span is a byte range [start, end) in the stream; the zero span is "absent".
type span struct{ start, end int64 }

func (sp span) present() bool { return sp.end > sp.start }

// fields records where a few top-level members of a record sit, so that the
// prefilter can look at eventSource and eventName without decoding the record
// and a lookup-events wrapper element can yield its CloudTrailEvent string.
type fields struct {
	source, name, ctEvent span
	firstKey              span // the key bytes (unquoted) of the record's first member
	// odd is set when a key is escaped or not ASCII: encoding/json would
	// unescape and case-fold it, so the captures above may have missed a
	// member it will decode, and the prefilter must defer to decoding.
	odd bool
}

// offer looks at one member of the record's top-level object; the spans are
// stream offsets of the quoted key and of the value.
func (f *fields) offer(s *scanner, kstart, kend, vstart, vend int64) {
	key := s.buf[kstart+1-s.base : kend-1-s.base]
	v := span{vstart, vend}
	// encoding/json matches keys case-insensitively and the last duplicate
	// wins, so the capture does the same to agree with the decoder.
	switch len(key) {
	case len("eventSource"):
		if asciiEqualFold(key, "eventSource") {
			f.source = v
			return
		}
	case len("eventName"):
		if asciiEqualFold(key, "eventName") {
			f.name = v
			return
		}
	case len("CloudTrailEvent"):
		if asciiEqualFold(key, "CloudTrailEvent") {
			f.ctEvent = v
			return
		}
	}
	if !f.odd {
		for _, c := range key {
			if c == '\\' || c >= 0x80 {
				f.odd = true
				break
			}
		}
	}
}

// rebase turns the stream offsets into offsets relative to a record that
// starts at stream offset at.
func (f *fields) rebase(at int64) {
	for _, sp := range []*span{&f.source, &f.name, &f.ctEvent, &f.firstKey} {
		if sp.present() {
			sp.start -= at
			sp.end -= at
		}
	}
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y || x < 'a' || x > 'z' {
			return false
		}
	}
	return true
}

// stringIs reports whether the JSON value data[sp] is a string equal to one of
// want. unsure is set when the string has escapes and only decoding can tell.
func stringIs(data []byte, sp span, want []string) (match, unsure bool) {
	if !sp.present() {
		return false, false
	}
	v := data[sp.start:sp.end]
	if len(v) < 2 || v[0] != '"' {
		return false, false
	}
	v = v[1 : len(v)-1]
	if bytes.IndexByte(v, '\\') >= 0 {
		return false, true
	}
	for _, w := range want {
		if string(v) == w {
			return true, false
		}
	}
	return false, false
}

// unquote decodes the JSON string data[sp].
func unquote(data []byte, sp span) ([]byte, bool) {
	if !sp.present() || data[sp.start] != '"' {
		return nil, false
	}
	v := data[sp.start:sp.end]
	if inner := v[1 : len(v)-1]; bytes.IndexByte(inner, '\\') < 0 {
		return append([]byte(nil), inner...), true
	}
	var str string
	if err := json.Unmarshal(v, &str); err != nil {
		return nil, false
	}
	return []byte(str), true
}
