// Package cloudtrail reads CloudTrail events for `kmslint audit`: log files
// (plain or gzip'd, S3 delivery {"Records":[...]}, JSON lines, single events,
// `aws cloudtrail lookup-events` output), directories in the S3 layout,
// standard input, S3 prefixes and the LookupEvents API.
//
// Reading is built for volume: sources are read in parallel, each one
// streamed through a validating splitter that cuts records out of the byte
// stream, and only records whose eventSource and eventName can match the
// Filter are decoded. Memory stays bounded by the workers' buffers, not by
// file sizes.
//
// Bad input is reported, not fatal: an unreadable file or record becomes an
// InputError and the rest is read.
package cloudtrail

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"sync"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"
)

// StdinName is the path that stands for standard input; events read from it
// carry it as their Source.
const StdinName = "-"

// DefaultMaxRecordBytes bounds the size of one record. CloudTrail's own
// events are far smaller; the bound keeps a corrupt file from pinning memory.
const DefaultMaxRecordBytes = 16 << 20

// Inputs names what to read. Paths come first, then S3 prefixes, then the
// lookup (which runs alongside the others).
type Inputs struct {
	// Paths are files, directories (walked recursively in lexical order) and
	// StdinName.
	Paths []string
	// S3 are s3://bucket/prefix URIs; every object under the prefix that
	// looks like a CloudTrail log file is read.
	S3 []string
	// S3Client serves S3; it is required when S3 is not empty.
	S3Client S3API
	// Lookup, when set, reads the LookupEvents API.
	Lookup *Lookup
}

// Options tune a Read. The zero value is ready to use.
type Options struct {
	// Workers is how many sources are read at once; 0 means GOMAXPROCS.
	Workers int
	// Filter selects the events delivered; nil means DefaultFilter().
	Filter *Filter
	// MaxRecordBytes bounds one record; 0 means DefaultMaxRecordBytes.
	MaxRecordBytes int
	// Stdin is read for StdinName; nil means os.Stdin.
	Stdin io.Reader
	// Progress, when set, is told the bytes read so far (before
	// decompression) and the total size of the inputs found so far (it grows
	// while directories and prefixes are listed; standard input and the
	// lookup add nothing). Calls are serialised, one per read chunk.
	Progress func(read, total int64)
	// Skipped, when set, is told each file, directory or S3 object left out
	// of a directory walk or prefix listing, and why. Calls come from one
	// goroutine.
	Skipped func(name, reason string)
}

// Stats counts what a Read saw.
type Stats struct {
	Files   int   // files, S3 objects and streams opened; the lookup counts as one once it answers
	Records int   // records seen, readable or not
	Matched int   // events that passed the filter and were delivered
	Bytes   int64 // bytes read from the inputs, before decompression
	Skipped int   // files, directories and objects left out of walks and listings
}

// Result is what a Read found besides the events.
type Result struct {
	Stats Stats
	// Errors lists what could not be read, in input order (the order of
	// Inputs, then of the walk or listing, then of records in a source).
	Errors []InputError
}

// InputError is a source or record that could not be read. The rest of the
// input is read regardless.
type InputError struct {
	Source string // file path, StdinName, s3:// URI or LookupSource
	Record int    // 0-based record index in Source; -1 when the problem is the source itself
	Line   int    // 1-based line of the problem in the (decompressed) source; 0 when unknown
	Col    int    // 1-based byte column; 0 when unknown
	Err    error
	// Unreadable is set when the caller named this input (a path, StdinName,
	// an S3 URI, the lookup) and nothing at all could be read from it: a
	// missing or unreadable path, data that is not JSON from its first byte,
	// an S3 listing or a LookupEvents call that failed at once. It marks
	// errors of the command line rather than of the data (for kmslint, exit
	// status 2).
	Unreadable bool
}

func (e *InputError) Error() string {
	where := e.Source
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d:%d", where, e.Line, e.Col)
	}
	if e.Record >= 0 {
		return fmt.Sprintf("%s: record %d: %v", where, e.Record, e.Err)
	}
	return fmt.Sprintf("%s: %v", where, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// Read reads the inputs and calls fn for every event that passes the filter.
//
// fn is never called concurrently (calls are serialised) and owns the Event
// it gets. Events of one source arrive in record order; the order across
// sources is unspecified since sources are read in parallel. An error from fn
// stops the read and is returned.
//
// Read returns a non-nil error only for a malformed Inputs (bad S3 URI,
// standard input named twice, S3 without a client), a cancelled ctx (the
// cause is returned), or fn's error; unreadable input is reported in
// Result.Errors. The Result holds what was read until then in every case.
func Read(ctx context.Context, in Inputs, opts Options, fn func(*Event) error) (Result, error) {
	uris, err := in.check()
	if err != nil {
		return Result{}, err
	}
	r := &run{opts: opts, fn: fn, filter: opts.Filter, maxRec: opts.MaxRecordBytes}
	if r.filter == nil {
		r.filter = DefaultFilter()
	}
	if r.maxRec <= 0 {
		r.maxRec = DefaultMaxRecordBytes
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.cancel = cancel
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan *job)
	g.Go(func() error {
		defer close(jobs)
		return r.enumerate(gctx, in, uris, jobs)
	})
	for range workers {
		g.Go(func() error {
			w := &worker{r: r, br: bufio.NewReaderSize(nil, 64<<10)}
			for j := range jobs {
				if gctx.Err() == nil {
					w.read(gctx, j)
				}
			}
			return nil
		})
	}
	if in.Lookup != nil {
		g.Go(func() error { return r.lookup(gctx, in.Lookup) })
	}
	err = g.Wait()
	if cause := context.Cause(ctx); cause != nil {
		err = cause
	}
	return r.result(), err
}

func (in *Inputs) check() ([]S3URI, error) {
	stdin := 0
	for _, p := range in.Paths {
		if p == StdinName {
			stdin++
		}
	}
	if stdin > 1 {
		return nil, errors.New("standard input (-) named more than once")
	}
	if len(in.S3) > 0 && in.S3Client == nil {
		return nil, errors.New("S3 inputs given without an S3 client")
	}
	if in.Lookup != nil && in.Lookup.Client == nil {
		return nil, errors.New("lookup requested without a CloudTrail client")
	}
	uris := make([]S3URI, len(in.S3))
	for i, s := range in.S3 {
		u, err := ParseS3URI(s)
		if err != nil {
			return nil, err
		}
		uris[i] = u
	}
	return uris, nil
}

// run is the state of one Read shared by its goroutines.
type run struct {
	opts   Options
	filter *Filter
	maxRec int
	fn     func(*Event) error
	cancel context.CancelCauseFunc
	seq    int // next source sequence number; enumerator goroutine only

	fnMu   sync.Mutex // serialises fn
	failed bool       // fn returned an error; guarded by fnMu

	mu    sync.Mutex // guards what follows and serialises Progress
	stats Stats
	total int64
	errs  []seqError
}

// seqError orders errors by the position of their source in the input.
type seqError struct {
	seq int
	err InputError
}

// lookupSeq sorts the lookup's errors after those of files and prefixes.
const lookupSeq = math.MaxInt

func (r *run) result() Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	slices.SortStableFunc(r.errs, func(a, b seqError) int { return cmp.Compare(a.seq, b.seq) })
	res := Result{Stats: r.stats, Errors: make([]InputError, len(r.errs))}
	for i, e := range r.errs {
		res.Errors[i] = e.err
	}
	return res
}

func (r *run) deliver(ev *Event) {
	r.fnMu.Lock()
	defer r.fnMu.Unlock()
	if r.failed {
		return
	}
	if err := r.fn(ev); err != nil {
		r.failed = true
		r.cancel(err)
		return
	}
	r.mu.Lock()
	r.stats.Matched++
	r.mu.Unlock()
}

func (r *run) addBytes(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Bytes += int64(n)
	if r.opts.Progress != nil {
		r.opts.Progress(r.stats.Bytes, r.total)
	}
}

// enumError records a problem found while listing inputs.
func (r *run) enumError(e InputError) {
	seq := r.seq
	r.seq++
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, seqError{seq, e})
}

func (r *run) skip(name, reason string) {
	r.mu.Lock()
	r.stats.Skipped++
	r.mu.Unlock()
	if r.opts.Skipped != nil {
		r.opts.Skipped(name, reason)
	}
}

// finish adds what a source yielded to the totals.
func (r *run) finish(src *source, opened bool, records int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if opened {
		r.stats.Files++
	}
	r.stats.Records += records
	for _, e := range src.errs {
		r.errs = append(r.errs, seqError{src.seq, e})
	}
}

// job is one source to read.
type job struct {
	seq   int
	name  string
	named bool // the user named it (not found in a walk or listing)
	size  int64
	open  func(ctx context.Context) (io.ReadCloser, error)
}

// enumerate lists the sources in input order and hands them to the workers.
func (r *run) enumerate(ctx context.Context, in Inputs, uris []S3URI, jobs chan<- *job) error {
	send := func(j *job) error {
		j.seq = r.seq
		r.seq++
		if j.size > 0 {
			r.mu.Lock()
			r.total += j.size
			r.mu.Unlock()
		}
		select {
		case jobs <- j:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	for _, p := range in.Paths {
		if err := r.enumeratePath(ctx, p, send); err != nil {
			return err
		}
	}
	for _, u := range uris {
		if err := r.enumerateS3(ctx, in.S3Client, u, send); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) stdin() io.Reader {
	if r.opts.Stdin != nil {
		return r.opts.Stdin
	}
	return os.Stdin
}

// worker reads sources one after another, reusing its buffers.
type worker struct {
	r  *run
	br *bufio.Reader
	gz gzip.Reader
	sp splitter
}

func (w *worker) read(ctx context.Context, j *job) {
	src := &source{r: w.r, seq: j.seq, name: j.name, named: j.named}
	opened := false
	defer func() { w.r.finish(src, opened, w.sp.next) }()
	w.sp.next = 0
	rc, err := j.open(ctx)
	if err != nil {
		if ctx.Err() == nil {
			src.errs = append(src.errs, InputError{Source: j.name, Record: -1, Err: err, Unreadable: j.named})
		}
		return
	}
	defer rc.Close()
	opened = true
	w.br.Reset(&countingReader{r: rc, run: w.r})
	var in io.Reader = w.br
	// Decide by content, not name: CloudTrail writes .json.gz, people gunzip
	// and rename, and S3 may hand back either.
	if head, _ := w.br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		if err := w.gz.Reset(w.br); err != nil {
			if ctx.Err() == nil {
				src.errs = append(src.errs, InputError{Source: j.name, Record: -1,
					Err: fmt.Errorf("gzip: %w", err), Unreadable: j.named})
			}
			return
		}
		in = &w.gz
	}
	w.sp.reset(ctx, in, w.r.maxRec, src)
	w.sp.run()
}

type countingReader struct {
	r   io.Reader
	run *run
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.run.addBytes(n)
	}
	return n, err
}

// source turns what the splitter finds in one source into events and errors.
type source struct {
	r     *run
	seq   int
	name  string
	named bool
	errs  []InputError
}

func (src *source) record(sp *splitter, rec *rawRecord) {
	if rec.top && rec.index == 0 && !rec.fields.source.present() && !rec.fields.name.present() && !rec.fields.odd {
		// Every CloudTrail record has eventSource and eventName; a first
		// top-level object with neither is another JSON file (the key policy
		// meant for --policy, say), not a log whose records are all broken.
		e := InputError{Source: src.name, Record: -1, Err: notCloudTrail(rec.data), Unreadable: src.named}
		e.Line, e.Col = sp.s.position(rec.at)
		src.errs = append(src.errs, e)
		sp.stop = true
		return
	}
	f := src.r.filter
	if !f.pre(rec) {
		return
	}
	ev := new(Event)
	if err := decodeEvent(rec.data, ev); err != nil {
		off := rec.at
		if at, ok := jsonErrorOffset(err); ok && rec.inStream {
			off += at
		}
		src.problem(sp, rec.index, off, fmt.Errorf("cannot decode event: %w", err))
		return
	}
	if !f.match(ev) {
		return
	}
	ev.Source, ev.Record = src.name, rec.index
	src.r.deliver(ev)
}

func (src *source) problem(sp *splitter, index int, off int64, err error) {
	e := InputError{Source: src.name, Record: index, Err: err}
	if off >= 0 {
		e.Line, e.Col = sp.s.position(off)
	}
	e.Unreadable = src.named && index < 0 && sp.next == 0
	src.errs = append(src.errs, e)
}

// notCloudTrail says what a JSON object that is no CloudTrail log seems to
// be instead, when that is recognisable.
func notCloudTrail(obj []byte) error {
	const want = `want {"Records":[...]}, an array of records, or one record per line`
	if bytes.Contains(obj, []byte(`"Statement"`)) {
		return fmt.Errorf("not a CloudTrail log but a policy (it has a Statement); to explain denials with it, pass it as --policy FILE; %s", want)
	}
	return fmt.Errorf("not a CloudTrail log: a JSON object with no Records and no eventSource or eventName; %s", want)
}

// jsonErrorOffset digs the byte offset out of a decoding error.
func jsonErrorOffset(err error) (int64, bool) {
	var de *DecodeError
	if errors.As(err, &de) {
		return de.Offset, true
	}
	return 0, false
}
