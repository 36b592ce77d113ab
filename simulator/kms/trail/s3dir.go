package trail

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// S3Dir writes records as CloudTrail log files in the layout CloudTrail
// delivers to S3, under a local directory:
//
//	DIR/AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz
//
// each file a gzipped {"Records":[...]}.
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html#cloudtrail-log-filename-format
//
// Records are grouped by recipient account, region and five-minute window
// of their event time (CloudTrail's delivery granularity) and written by a
// background goroutine when a group reaches MaxRecords, every FlushEvery,
// and on Flush and Close, so that request handlers only append to memory.
// Each file is written to a temporary name and renamed, so a reader never
// sees a partial file.
type S3Dir struct {
	root       string
	maxRecords int

	mu     sync.Mutex
	groups map[groupKey]*group
	ready  []*group // full groups waiting for the writer
	closed bool
	err    error // first write error, reported by Flush and Close

	// writeMu is held while groups are taken off the queues and written,
	// so that Flush, once it holds it, knows every earlier record is in a
	// file. It also guards zw and body, reused from file to file.
	writeMu sync.Mutex
	zw      *gzip.Writer
	body    bytes.Buffer

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

type groupKey struct {
	account, region string
	window          int64 // unix seconds of the five-minute window
}

type group struct {
	key  groupKey
	recs []*Record // encoded by the writer, off the request path
}

// S3DirOptions tunes an S3Dir.
type S3DirOptions struct {
	// MaxRecords per file; default 1000.
	MaxRecords int
	// FlushEvery writes groups that have waited this long; default 5s.
	// Negative disables the timer (files appear on Flush, Close or when a
	// group is full).
	FlushEvery time.Duration
}

// NewS3Dir creates root (0700) if needed and starts the writer.
func NewS3Dir(root string, opts S3DirOptions) (*S3Dir, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("trail dir: %w", err)
	}
	if opts.MaxRecords <= 0 {
		opts.MaxRecords = 1000
	}
	if opts.FlushEvery == 0 {
		opts.FlushEvery = 5 * time.Second
	}
	d := &S3Dir{
		root:       root,
		maxRecords: opts.MaxRecords,
		groups:     map[groupKey]*group{},
		wake:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	go d.run(opts.FlushEvery)
	return d, nil
}

// Write queues r for its file.
func (d *S3Dir) Write(r *Record) error {
	t, err := r.Time()
	if err != nil {
		return fmt.Errorf("trail: record %s: %w", r.EventID, err)
	}
	k := groupKey{account: r.RecipientAccountID, region: r.AWSRegion, window: t.Unix() - t.Unix()%300}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	g := d.groups[k]
	if g == nil {
		g = &group{key: k}
		d.groups[k] = g
	}
	g.recs = append(g.recs, r)
	full := len(g.recs) >= d.maxRecords
	if full {
		delete(d.groups, k)
		d.ready = append(d.ready, g)
	}
	d.mu.Unlock()
	if full {
		select {
		case d.wake <- struct{}{}:
		default: // the writer is already due to run
		}
	}
	return nil
}

func (d *S3Dir) run(every time.Duration) {
	defer close(d.done)
	var tick <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-d.wake:
			d.write(false)
		case <-tick:
			d.write(true)
		case <-d.stop:
			return
		}
	}
}

// write writes the full groups and, with all, the partial ones too.
func (d *S3Dir) write(all bool) {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	d.mu.Lock()
	gs := d.ready
	d.ready = nil
	if all {
		for k, g := range d.groups {
			gs = append(gs, g)
			delete(d.groups, k)
		}
	}
	d.mu.Unlock()
	for _, g := range gs {
		if err := d.writeFile(g); err != nil {
			d.mu.Lock()
			if d.err == nil {
				d.err = err
			}
			d.mu.Unlock()
		}
	}
}

// Flush writes every record written so far to files.
func (d *S3Dir) Flush() error {
	d.write(true)
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// Close flushes and stops the writer.
func (d *S3Dir) Close() error {
	d.mu.Lock()
	already := d.closed
	d.closed = true
	d.mu.Unlock()
	if !already {
		close(d.stop)
		<-d.done
	}
	return d.Flush()
}

func (d *S3Dir) writeFile(g *group) error {
	if len(g.recs) == 0 {
		return nil
	}
	body := &d.body
	body.Reset()
	if d.zw == nil {
		var err error
		if d.zw, err = gzip.NewWriterLevel(body, gzip.BestSpeed); err != nil {
			return fmt.Errorf("trail: gzip: %w", err)
		}
	} else {
		d.zw.Reset(body)
	}
	zw := d.zw
	zw.Write([]byte(`{"Records":[`))
	for i, r := range g.recs {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("trail: encode record %s: %w", r.EventID, err)
		}
		if i > 0 {
			zw.Write([]byte{','})
		}
		zw.Write(b)
	}
	zw.Write([]byte("]}"))
	if err := zw.Close(); err != nil {
		return fmt.Errorf("trail: gzip: %w", err)
	}
	name, err := FileName(g.key.account, g.key.region, time.Unix(g.key.window, 0))
	if err != nil {
		return err
	}
	path := filepath.Join(d.root, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("trail: %w", err)
	}
	return writeAtomic(path, body.Bytes())
}

// FileName returns the S3 key CloudTrail would use for a log file of
// account and region delivered at t, with a fresh 16-character suffix.
func FileName(account, region string, t time.Time) (string, error) {
	u, err := uniqueSuffix()
	if err != nil {
		return "", err
	}
	t = t.UTC()
	return filepath.Join("AWSLogs", account, "CloudTrail", region,
		t.Format("2006"), t.Format("01"), t.Format("02"),
		fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", account, region, t.Format("20060102T1504Z"), u)), nil
}

func uniqueSuffix() (string, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("trail: random: %w", err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:]), nil
}

// writeAtomic writes data to path through a temporary file and a rename,
// so readers see the whole file or none of it.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("trail: %w", err)
	}
	_, werr := tmp.Write(data)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("trail: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("trail: %w", err)
	}
	return nil
}
