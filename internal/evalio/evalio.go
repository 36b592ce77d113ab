// Package evalio reads `kmslint eval` requests and writes decisions: the
// single-request form (flags) and the batch form (JSON lines in, one
// decision per line out, in order). Batch mode is built for throughput:
// lines are decoded, decided and encoded by parallel workers, and a writer
// puts the results back in input order.
package evalio

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/kmslint/kmslint/internal/authz"
	"github.com/kmslint/kmslint/internal/kmsaction"
	"github.com/kmslint/kmslint/internal/policy"
)

// InputError is a malformed request: position in the requests file.
type InputError struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// RequestTemplate fills what a request line leaves out.
type RequestTemplate struct {
	// Resource is the key ARN used when a request names none.
	Resource string
}

// ParseRequestLine decodes one JSON request:
// {"principal":"...","action":"...","resource":"...","context":{"k":"v","k2":["a","b"]}}.
// A string context value is single-valued, an array multivalued; numbers
// and booleans are taken as their JSON text. line numbers the error.
func ParseRequestLine(file string, line int, data []byte, tmpl RequestTemplate, principals *PrincipalCache) (authz.Request, error) {
	fail := func(pos policy.Pos, format string, args ...any) (authz.Request, error) {
		col := pos.Col
		if col == 0 {
			col = 1
		}
		return authz.Request{}, &InputError{File: file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
	}
	n, err := policy.ParseJSON(file, data)
	if err != nil {
		if se, ok := err.(*policy.SyntaxError); ok {
			return fail(se.Pos, "%s", se.Msg)
		}
		return fail(policy.Pos{}, "%v", err)
	}
	if n.Kind != policy.KindObject {
		return fail(n.Pos, "request must be a JSON object, not %s", n.Kind)
	}
	req := authz.Request{Resource: tmpl.Resource, Context: authz.NewContext()}
	var havePrincipal, haveAction bool
	for i := range n.Fields {
		f := &n.Fields[i]
		for j := 0; j < i; j++ {
			if n.Fields[j].Key == f.Key {
				return fail(f.KeyPos, "duplicate key %q (first at %s)", f.Key, n.Fields[j].KeyPos)
			}
		}
		switch f.Key {
		case "principal", "action", "resource":
			if f.Value.Kind != policy.KindString {
				return fail(f.Value.Pos, "%q must be a string, not %s", f.Key, f.Value.Kind)
			}
			switch f.Key {
			case "principal":
				p, err := principals.Parse(f.Value.Str)
				if err != nil {
					return fail(f.Value.Pos, "%v", err)
				}
				req.Principal, havePrincipal = p, true
			case "action":
				if msg := kmsaction.Problem(f.Value.Str); msg != "" {
					return fail(f.Value.Pos, "action %q: %s", f.Value.Str, msg)
				}
				req.Action, haveAction = f.Value.Str, true
			case "resource":
				req.Resource = f.Value.Str
			}
		case "context":
			if f.Value.Kind != policy.KindObject {
				return fail(f.Value.Pos, "\"context\" must be an object of key -> string or array, not %s", f.Value.Kind)
			}
			for j := range f.Value.Fields {
				cf := &f.Value.Fields[j]
				for k := 0; k < j; k++ {
					if strings.EqualFold(f.Value.Fields[k].Key, cf.Key) {
						return fail(cf.KeyPos, "context key %q given twice (first at %s); context keys are case-insensitive", cf.Key, f.Value.Fields[k].KeyPos)
					}
				}
				switch cf.Value.Kind {
				case policy.KindString, policy.KindNumber:
					req.Context.Set(cf.Key, cf.Value.Str)
				case policy.KindBool:
					req.Context.Set(cf.Key, strconv.FormatBool(cf.Value.Bool))
				case policy.KindArray:
					vals := make([]string, 0, len(cf.Value.Items))
					for _, it := range cf.Value.Items {
						switch it.Kind {
						case policy.KindString, policy.KindNumber:
							vals = append(vals, it.Str)
						case policy.KindBool:
							vals = append(vals, strconv.FormatBool(it.Bool))
						default:
							return fail(it.Pos, "context %q: array items must be strings, not %s", cf.Key, it.Kind)
						}
					}
					req.Context.SetMulti(cf.Key, vals...)
				default:
					return fail(cf.Value.Pos, "context %q must be a string or an array of strings, not %s", cf.Key, cf.Value.Kind)
				}
			}
		default:
			return fail(f.KeyPos, "unknown request field %q (want principal, action, resource, context)", f.Key)
		}
	}
	if !havePrincipal {
		return fail(n.Pos, "request has no \"principal\"")
	}
	if !haveAction {
		return fail(n.Pos, "request has no \"action\"")
	}
	if req.Resource == "" && req.Principal.Account != "" {
		// Neither the request nor the policy names the key's account: take
		// the caller's own (a same-account request).
		req.Resource = KeyARNIn(req.Principal.Account)
	}
	return req, nil
}

// PrincipalCache memoises ParsePrincipal: batch inputs repeat a handful of
// principals many times. Safe for concurrent use.
type PrincipalCache struct {
	m sync.Map // string -> authz.Principal
}

// Parse parses s once and remembers the answer.
func (c *PrincipalCache) Parse(s string) (authz.Principal, error) {
	if c == nil {
		return authz.ParsePrincipal(s)
	}
	if v, ok := c.m.Load(s); ok {
		return v.(authz.Principal), nil
	}
	p, err := authz.ParsePrincipal(s)
	if err != nil {
		return p, err
	}
	c.m.Store(s, p)
	return p, nil
}

// AppendResultJSON appends the decision as one compact JSON object:
// {"decision":"Allow","summary":"...","statements":[{"sid":"...","index":0,"effect":"Allow","matched":true,"reason":"..."}]}
// It is hand-written because batch mode emits hundreds of thousands of
// these per second and reflection-based encoding would dominate.
func AppendResultJSON(dst []byte, r *authz.Result) []byte {
	dst = append(dst, `{"decision":"`...)
	dst = append(dst, r.Decision.String()...)
	dst = append(dst, `","summary":`...)
	dst = appendString(dst, r.Summary)
	dst = append(dst, `,"statements":[`...)
	for i := range r.Statements {
		s := &r.Statements[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		if s.Policy != "" {
			dst = append(dst, `"policy":`...)
			dst = appendString(dst, s.Policy)
			dst = append(dst, ',')
		}
		dst = append(dst, `"sid":`...)
		dst = appendString(dst, s.Sid)
		dst = append(dst, `,"index":`...)
		dst = strconv.AppendInt(dst, int64(s.Index), 10)
		dst = append(dst, `,"effect":"`...)
		dst = append(dst, s.Effect...)
		dst = append(dst, `","matched":`...)
		dst = strconv.AppendBool(dst, s.Matched)
		if s.Decisive {
			dst = append(dst, `,"decisive":true`...)
		}
		if s.Via != "" {
			dst = append(dst, `,"via":`...)
			dst = appendString(dst, s.Via)
		}
		dst = append(dst, `,"reason":`...)
		dst = appendString(dst, s.Reason)
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping as encoding/json does
// for the characters that must be escaped (and <, >, & left alone).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// Stats counts what Batch wrote.
type Stats struct {
	Decisions int // requests decided
	Denied    int // of which ExplicitDeny or ImplicitDeny
	Malformed int // lines written as {"error":...,"line":N} instead
}

// MalformedError is Batch's error when request lines were malformed: the
// first of them, and how many there were. Every other line was decided.
type MalformedError struct {
	First *InputError
	Count int
}

func (e *MalformedError) Error() string {
	if e.Count == 1 {
		return e.First.Error()
	}
	more := "line"
	if e.Count > 2 {
		more = "lines"
	}
	return fmt.Sprintf("%s (and %d more malformed request %s; each has an \"error\" object in its place)", e.First, e.Count-1, more)
}

func (e *MalformedError) Unwrap() error { return e.First }

// AppendErrorJSON appends the object written in place of a malformed
// request line: {"error":"...","line":N,"column":N}.
func AppendErrorJSON(dst []byte, e *InputError) []byte {
	dst = append(dst, `{"error":`...)
	dst = appendString(dst, e.Msg)
	dst = append(dst, `,"line":`...)
	dst = strconv.AppendInt(dst, int64(e.Line), 10)
	dst = append(dst, `,"column":`...)
	dst = strconv.AppendInt(dst, int64(e.Col), 10)
	return append(dst, '}')
}

// Batch reads JSON-lines requests from r and writes one line per request
// to w, in input order: the decision, or for a malformed request an
// {"error":...,"line":N} object, so that output line N still answers input
// line N (blank lines are skipped and produce no output). Malformed lines
// make the error a *MalformedError once everything is written; a read or
// write failure stops the batch. No line is ever half-written.
func Batch(file string, r io.Reader, w io.Writer, e *authz.Engine, tmpl RequestTemplate, workers int) (Stats, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	const chunkLines = 512
	type chunk struct {
		first int    // line number of lines[0]
		data  []byte // the chunk's lines, back to back (one allocation)
		ends  []int  // end offset of each line in data
		out   []byte
		stats Stats
		err   *InputError // the chunk's first malformed line
		done  chan struct{}
	}
	// Output buffers go back to the pool once written: batch mode turns
	// over hundreds of megabytes, and recycling keeps the heap (and the
	// scavenger's madvise calls) small.
	var outPool sync.Pool
	cache := &PrincipalCache{}
	jobs := make(chan *chunk, workers*2)
	ordered := make(chan *chunk, workers*4)
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fast := newFastDecoder(cache)
			for c := range jobs {
				buf, _ := outPool.Get().([]byte)
				if want := 3 * len(c.data); cap(buf) < want {
					// A decision is about three times its request line.
					buf = make([]byte, 0, want)
				}
				buf = buf[:0]
				start := 0
				for i, end := range c.ends {
					ln := c.data[start:end]
					start = end
					if len(bytes.TrimSpace(ln)) == 0 {
						continue
					}
					req, ok := fast.decode(ln, tmpl)
					if !ok {
						var err error
						if req, err = ParseRequestLine(file, c.first+i, ln, tmpl, cache); err != nil {
							ie, isInput := err.(*InputError)
							if !isInput {
								ie = &InputError{File: file, Line: c.first + i, Col: 1, Msg: err.Error()}
							}
							if c.err == nil {
								c.err = ie
							}
							c.stats.Malformed++
							buf = AppendErrorJSON(buf, ie)
							buf = append(buf, '\n')
							continue
						}
					}
					res := e.Decide(&req)
					c.stats.Decisions++
					if res.Decision != authz.Allow {
						c.stats.Denied++
					}
					buf = AppendResultJSON(buf, &res)
					buf = append(buf, '\n')
				}
				c.out = buf
				close(c.done)
			}
		}()
	}

	// Writer: in order; after a write failure, drain without writing.
	type written struct {
		stats     Stats
		malformed *InputError
		err       error
	}
	werr := make(chan written, 1)
	go func() {
		bw := bufio.NewWriterSize(w, 1<<16)
		var res written
		for c := range ordered {
			<-c.done
			if res.err != nil {
				continue
			}
			if _, err := bw.Write(c.out); err != nil {
				res.err = fmt.Errorf("write decisions: %w", err)
				continue
			}
			outPool.Put(c.out[:0])
			c.out = nil
			res.stats.Decisions += c.stats.Decisions
			res.stats.Denied += c.stats.Denied
			res.stats.Malformed += c.stats.Malformed
			if res.malformed == nil {
				res.malformed = c.err
			}
		}
		if err := bw.Flush(); err != nil && res.err == nil {
			res.err = fmt.Errorf("write decisions: %w", err)
		}
		werr <- res
	}()

	sc := bufio.NewScanner(r)
	// A request line can carry a large context; allow up to 64 MiB.
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	line := 0
	cur := &chunk{first: 1, done: make(chan struct{})}
	flush := func() {
		ordered <- cur
		jobs <- cur
	}
	var readErr error
	for sc.Scan() {
		line++
		cur.data = append(cur.data, sc.Bytes()...)
		cur.ends = append(cur.ends, len(cur.data))
		if len(cur.ends) == chunkLines {
			size := len(cur.data)
			flush()
			cur = &chunk{first: line + 1, done: make(chan struct{}),
				data: make([]byte, 0, size+size/4), ends: make([]int, 0, chunkLines)}
		}
	}
	if err := sc.Err(); err != nil {
		readErr = &InputError{File: file, Line: line + 1, Col: 1, Msg: fmt.Sprintf("read requests: %v", err)}
	}
	if len(cur.ends) > 0 {
		flush()
	}
	close(jobs)
	close(ordered)
	wg.Wait()
	res := <-werr
	switch {
	case res.err != nil:
		return res.stats, res.err
	case readErr != nil:
		return res.stats, readErr
	case res.malformed != nil:
		return res.stats, &MalformedError{First: res.malformed, Count: res.stats.Malformed}
	}
	return res.stats, nil
}
