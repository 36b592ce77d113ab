package trail

import (
	"errors"
	"sync"
)

// Sink receives records. Implementations are safe for concurrent use.
type Sink interface {
	// Write takes a record; the sink may keep the pointer, so callers must
	// not modify the record afterwards.
	Write(r *Record) error
	// Flush makes every record written so far durable or visible.
	Flush() error
	// Close flushes and releases the sink; later writes fail.
	Close() error
}

// ErrClosed is returned by writes to a closed sink.
var ErrClosed = errors.New("trail: sink is closed")

// Memory keeps records in memory, in the order they were written.
type Memory struct {
	mu     sync.Mutex
	recs   []*Record
	closed bool
}

// NewMemory returns an empty in-memory sink.
func NewMemory() *Memory { return &Memory{} }

// Write appends r.
func (m *Memory) Write(r *Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.recs = append(m.recs, r)
	return nil
}

// Flush is a no-op: records are visible as soon as they are written.
func (m *Memory) Flush() error { return nil }

// Close stops accepting records; those already written stay readable.
func (m *Memory) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	return nil
}

// Records returns copies of the records written so far.
func (m *Memory) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Record, len(m.recs))
	for i, r := range m.recs {
		out[i] = *r
	}
	return out
}

// Len is the number of records written so far.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.recs)
}

// Reset forgets every record (between test cases sharing one server).
func (m *Memory) Reset() {
	m.mu.Lock()
	m.recs = nil
	m.mu.Unlock()
}

// Multi fans records out to several sinks.
type Multi []Sink

// Write writes r to every sink and returns the first error.
func (ms Multi) Write(r *Record) error {
	var first error
	for _, s := range ms {
		if err := s.Write(r); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Flush flushes every sink.
func (ms Multi) Flush() error {
	var errs []error
	for _, s := range ms {
		errs = append(errs, s.Flush())
	}
	return errors.Join(errs...)
}

// Close closes every sink.
func (ms Multi) Close() error {
	var errs []error
	for _, s := range ms {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
