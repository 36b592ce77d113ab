package cloudtrail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// arrayKind says what the elements of a record array are.
type arrayKind uint8

const (
	// eventArray holds CloudTrail records: {"Records":[...]} or a bare array.
	eventArray arrayKind = iota
	// lookupArray holds `aws cloudtrail lookup-events` output elements,
	// {"Events":[{"EventId":...,"CloudTrailEvent":"<record as a JSON string>"}]}.
	lookupArray
)

// defaultAnchor is the first key a record of each kind starts with when
// CloudTrail or the AWS CLI wrote it; resynchronisation looks for it until the
// input has shown its own.
var defaultAnchor = [...][]byte{eventArray: []byte("eventVersion"), lookupArray: []byte("EventId")}

// maxProblems bounds the errors kept per source: past it, the source is most
// likely not CloudTrail at all and listing more helps nobody.
const maxProblems = 100

// rawRecord is one well-formed record object handed to a recordHandler.
type rawRecord struct {
	data   []byte // the record's JSON object; valid only during the call
	index  int    // 0-based position of the record in its source
	fields fields // spans relative to data
	// at is the stream offset to blame for problems with this record, or -1.
	// When the record was decoded from a CloudTrailEvent string, offsets
	// inside data do not map onto the stream and inStream is false.
	at       int64
	inStream bool
	// top is set for a record that is a top-level object of the stream
	// (JSON lines, a single event) rather than an element of a wrapper or
	// array: the form any other JSON file takes too.
	top bool
}

// recordHandler receives what a splitter finds. It is called synchronously,
// so the splitter's buffer (and position lookups) stay valid during calls.
type recordHandler interface {
	record(sp *splitter, r *rawRecord)
	// problem reports an unreadable record (index >= 0) or source (-1) at a
	// stream offset (-1 when none applies).
	problem(sp *splitter, index int, off int64, err error)
}

// splitter cuts one input stream into records. It accepts any sequence of
// top-level JSON values: a {"Records":[...]} or {"Events":[...]} wrapper, a
// bare array of records, or record objects one after another (JSON lines, or
// a single event). Records are validated fully but only copied or decoded by
// the handler, which is where the prefilter saves the work.
type splitter struct {
	s      scanner
	inner  scanner // for records that arrive as CloudTrailEvent strings
	h      recordHandler
	next   int // index of the next record: the number of records seen so far
	probs  int
	stop   bool
	anchor []byte     // first key of the first good record, to resynchronise on
	top    topMembers // the top-level object being read
}

// reset prepares the splitter for a new stream, keeping its buffers. A nil r
// prepares it for innerRecord calls only.
func (sp *splitter) reset(ctx context.Context, r io.Reader, maxRecord int, h recordHandler) {
	if r == nil {
		sp.s.resetBytes(nil)
	} else {
		sp.s.reset(ctx, r, maxRecord)
	}
	sp.h = h
	sp.next, sp.probs, sp.stop, sp.anchor = 0, 0, false, sp.anchor[:0]
}

// run splits the whole stream.
func (sp *splitter) run() {
	s := &sp.s
	if s.need(3) && bytes.Equal(s.buf[s.pos:s.pos+3], []byte("\xef\xbb\xbf")) {
		s.pos += 3 // a UTF-8 byte order mark, as some editors write
	}
	first := true
	for !sp.stop {
		c, ok := s.peek()
		if !ok {
			sp.ended()
			return
		}
		if first && c != '{' && c != '[' {
			// Every form of CloudTrail log starts with one of these; anything
			// else is some other file, not a log with a broken first record.
			sp.fail(-1, s.off(), fmt.Errorf("not a CloudTrail log: starts with %s, not '{' or '['", quoteByte(c)))
			return
		}
		first = false
		switch c {
		case '{':
			sp.topObject()
		case '[':
			sp.array(eventArray)
		default:
			sp.topOther()
		}
	}
}

// cancelled reports whether the run was cancelled, which is what ended the
// stream then (a cancelled S3 body read fails with its own wrapping of the
// context's error); that is the caller's doing and no input error.
func (sp *splitter) cancelled() bool {
	return sp.s.ctx != nil && sp.s.ctx.Err() != nil
}

// ended reports a read error that ended the stream between records.
func (sp *splitter) ended() {
	if err := sp.s.rerr; err != nil && !errors.Is(err, io.EOF) && !sp.cancelled() {
		sp.fail(-1, sp.s.off(), fmt.Errorf("read failed: %w", err))
	}
	sp.stop = true
}

// endedEarly reports that the stream ended inside a structure, between records.
func (sp *splitter) endedEarly() {
	if !sp.cancelled() {
		e := sp.s.endErr().(*scanError)
		sp.fail(-1, e.off, e)
	}
	sp.stop = true
}

func (sp *splitter) fail(index int, off int64, err error) {
	if sp.probs++; sp.probs > maxProblems {
		sp.h.problem(sp, -1, off, fmt.Errorf("more than %d errors; the rest of the input is skipped", maxProblems))
		sp.stop = true
		return
	}
	sp.h.problem(sp, index, off, err)
}

// failRecord reports a record that did not scan and says whether scanning
// can go on (not at the end of the input).
func (sp *splitter) failRecord(index int, err error) bool {
	var e *scanError
	if !errors.As(err, &e) {
		e = &scanError{off: sp.s.off(), msg: err.Error()}
	}
	if e.eof {
		if !sp.cancelled() {
			sp.fail(index, e.off, e)
		}
		sp.stop = true
		return false
	}
	sp.fail(index, e.off, e)
	return !sp.stop
}

// topObject reads a top-level object: a wrapper whose Records or Events member
// holds the records, or else a record in its own right.
func (sp *splitter) topObject() {
	s := &sp.s
	start := s.off()
	s.keep, s.overflow = s.pos, false
	top := &sp.top
	*top = topMembers{sp: sp}
	err := s.object(1, nil, top)
	if err == errStopObject {
		err = nil
	}
	switch {
	case top.wrapper:
		s.keep = -1
		if err != nil {
			// The records are behind us; what broke is the wrapper itself.
			if e := err.(*scanError); !e.eof || !sp.cancelled() {
				sp.fail(-1, e.off, e)
			}
			sp.stop = true
		}
	case err != nil:
		idx := sp.next
		sp.next++
		if sp.failRecord(idx, err) {
			sp.nextLine(start + 1)
		}
		s.keep = -1
	default:
		idx := sp.next
		sp.next++
		sp.emit(eventArray, idx, start, &top.f, true)
		s.keep = -1
	}
}

// topMembers scans the members of a top-level object: until a Records or
// Events member shows it is a wrapper, it may be a record (JSON lines, a
// single event), so its fields are captured as a record's.
type topMembers struct {
	sp      *splitter
	f       fields
	wrapper bool
}

func (t *topMembers) member(s *scanner, kstart, kend int64, c byte) error {
	vstart := s.off()
	if !t.wrapper && !s.overflow {
		if kind, ok := wrapperKey(s.buf[kstart+1-s.base : kend-1-s.base]); ok {
			t.wrapper = true
			s.keep = -1
			if c != '[' {
				t.sp.fail(-1, vstart, fmt.Errorf("%s is not an array", s.buf[kstart-s.base:kend-s.base]))
				return s.value(1)
			}
			if !t.sp.array(kind) {
				return errStopObject
			}
			return nil
		}
	}
	if err := s.value(1); err != nil {
		return err
	}
	if !t.wrapper && !s.overflow {
		t.f.offer(s, kstart, kend, vstart, s.off())
	}
	return nil
}

func wrapperKey(key []byte) (arrayKind, bool) {
	switch string(key) {
	case "Records":
		return eventArray, true
	case "Events":
		return lookupArray, true
	}
	return 0, false
}

// topOther reads a top-level value that is not an object: never a record.
func (sp *splitter) topOther() {
	s := &sp.s
	idx := sp.next
	sp.next++
	start := s.off()
	s.keep = s.pos
	defer func() { s.keep = -1 }()
	c, _ := s.peek()
	if !startsValue(c) {
		sp.fail(idx, start, fmt.Errorf("invalid character %s looking for beginning of value", quoteByte(c)))
		sp.nextLine(start + 1)
		return
	}
	if err := s.value(0); err != nil {
		if sp.failRecord(idx, err) {
			sp.nextLine(start + 1)
		}
		return
	}
	sp.fail(idx, start, notObject(c))
}

func notObject(c byte) error {
	what := "a number"
	switch c {
	case '[':
		what = "an array"
	case '"':
		what = "a string"
	case 't', 'f':
		what = "a boolean"
	case 'n':
		what = "null"
	}
	return fmt.Errorf("record is %s, not an object", what)
}

// array reads an array of records whose '[' is the next byte. It returns
// false when the splitter has to stop.
func (sp *splitter) array(kind arrayKind) bool {
	s := &sp.s
	s.pos++
	c, ok := s.peek()
	if !ok {
		sp.endedEarly()
		return false
	}
	if c == ']' {
		s.pos++
		return true
	}
	for {
		idx := sp.next
		sp.next++
		start := s.off()
		s.keep, s.overflow = s.pos, false
		var f fields
		var err error
		if c == '{' {
			if err = s.object(1, &f, nil); err == nil {
				sp.learnAnchor(&f)
				sp.emit(kind, idx, start, &f, false)
			}
		} else if err = s.value(0); err == nil {
			sp.fail(idx, start, notObject(c))
		}
		if err != nil {
			if !sp.failRecord(idx, err) || !sp.resync(start+1, kind, &f) {
				s.keep = -1
				return false
			}
			c = '{'
			continue
		}
		s.keep = -1
		if sp.stop {
			return false
		}
		if c, ok = s.peek(); !ok {
			sp.endedEarly()
			return false
		}
		switch c {
		case ',':
			s.pos++
			if c, ok = s.peek(); !ok {
				sp.endedEarly()
				return false
			}
			if c == ']' {
				sp.fail(-1, s.off(), errors.New("trailing comma before ']'"))
				s.pos++
				return !sp.stop
			}
		case ']':
			s.pos++
			return true
		default:
			sp.fail(-1, s.off(), fmt.Errorf("invalid character %s after record %d", quoteByte(c), idx))
			if sp.stop || !sp.resync(s.off(), kind, nil) {
				return false
			}
			c = '{'
		}
	}
}

// emit hands a scanned record object at [start, pos) to the handler.
func (sp *splitter) emit(kind arrayKind, idx int, start int64, f *fields, top bool) {
	s := &sp.s
	// Checked here too, not only when a refill releases the record, so the
	// limit does not depend on how the input happened to be buffered.
	if s.overflow || s.off()-start > int64(s.maxKeep) {
		sp.fail(idx, start, fmt.Errorf("record larger than %d bytes", s.maxKeep))
		return
	}
	data := s.buf[start-s.base : s.pos]
	f.rebase(start)
	if kind == lookupArray {
		doc, ok := unquote(data, f.ctEvent)
		if !ok {
			sp.fail(idx, start, errors.New("lookup-events element without a CloudTrailEvent string"))
			return
		}
		sp.innerRecord(idx, start, doc)
		return
	}
	sp.h.record(sp, &rawRecord{data: data, index: idx, fields: *f, at: start, inStream: true, top: top})
}

// innerRecord checks and hands on a record that arrived as a JSON string
// (lookup-events output, LookupEvents API); at is the stream offset to blame.
func (sp *splitter) innerRecord(idx int, at int64, doc []byte) {
	in := &sp.inner
	in.resetBytes(doc)
	c, ok := in.peek()
	if !ok || c != '{' {
		sp.fail(idx, at, errors.New("CloudTrailEvent is not a JSON object"))
		return
	}
	start := in.off()
	var f fields
	if err := in.object(1, &f, nil); err != nil {
		e := err.(*scanError)
		sp.fail(idx, at, fmt.Errorf("CloudTrailEvent, byte %d: %s", e.off+1, e.msg))
		return
	}
	end := in.pos
	if _, more := in.peek(); more {
		sp.fail(idx, at, fmt.Errorf("CloudTrailEvent, byte %d: data after the event object", in.off()+1))
		return
	}
	f.rebase(start)
	sp.h.record(sp, &rawRecord{data: doc[start:end], index: idx, fields: f, at: at})
}

func (sp *splitter) learnAnchor(f *fields) {
	if len(sp.anchor) == 0 && f.firstKey.present() && !sp.s.overflow {
		sp.anchor = append(sp.anchor, sp.s.buf[f.firstKey.start-sp.s.base:f.firstKey.end-sp.s.base]...)
	}
}

// resync looks, from stream offset from on, for the start of the next record:
// '{', blanks, then the key records in this input start with. Starting just
// after the broken record's '{' (not where the error was noticed) finds a
// record that begins inside the broken one, as when a write was cut short
// and the next record was appended to it.
func (sp *splitter) resync(from int64, kind arrayKind, broken *fields) bool {
	s := &sp.s
	anchors := [2][]byte{sp.anchor, defaultAnchor[kind]}
	if len(anchors[0]) == 0 && broken != nil && broken.firstKey.present() && !s.overflow &&
		broken.firstKey.start >= s.base {
		anchors[0] = append([]byte(nil), s.buf[broken.firstKey.start-s.base:broken.firstKey.end-s.base]...)
	}
	if from < s.base || from > s.base+int64(s.end) {
		from = s.off() // the broken record outgrew the buffer: search from here
	}
	s.pos = int(from - s.base)
	for {
		s.keep = s.pos
		i := bytes.IndexByte(s.buf[s.pos:s.end], '{')
		if i < 0 {
			s.pos = s.end
			if !s.fill() {
				s.keep = -1
				sp.ended()
				return false
			}
			continue
		}
		s.pos += i
		s.keep = s.pos
		if sp.atAnchor(anchors[:]) {
			s.keep = -1
			return true
		}
		s.pos++
	}
}

// atAnchor reports whether the '{' at pos is followed by blanks and one of
// the quoted anchors.
func (sp *splitter) atAnchor(anchors [][]byte) bool {
	s := &sp.s
	j := 1
	for {
		if !s.need(j + 1) {
			return false
		}
		if c := s.buf[s.pos+j]; c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			break
		}
		j++
	}
	if s.buf[s.pos+j] != '"' {
		return false
	}
	for _, a := range anchors {
		if len(a) == 0 || !s.need(j+len(a)+2) {
			continue
		}
		if bytes.Equal(s.buf[s.pos+j+1:s.pos+j+1+len(a)], a) && s.buf[s.pos+j+1+len(a)] == '"' {
			return true
		}
	}
	return false
}

// nextLine moves to the next line that starts with '{' after stream offset
// from: in JSON lines each record is a line, and a pretty-printed event's
// nested objects are indented, so that is where the next record begins.
func (sp *splitter) nextLine(from int64) {
	s := &sp.s
	if from < s.base || from > s.base+int64(s.end) {
		from = s.off()
	}
	s.pos = int(from - s.base)
	s.keep = -1
	for {
		i := bytes.IndexByte(s.buf[s.pos:s.end], '\n')
		if i < 0 {
			s.pos = s.end
			if !s.fill() {
				sp.ended()
				return
			}
			continue
		}
		s.pos += i + 1
		if !s.need(1) {
			sp.ended()
			return
		}
		if s.buf[s.pos] == '{' {
			return
		}
	}
}
