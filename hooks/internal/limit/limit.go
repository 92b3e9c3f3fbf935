// Package limit reads bodies under a limit, for package hooks and the kind
// helpers of hooks/intake: one implementation of the rule that a body over
// its limit is refused, never truncated.
package limit

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"
)

// ErrTooLarge is returned by Read for a body over its limit.
var ErrTooLarge = errors.New("hooks: body too large")

// maxPresize caps the buffer ReadSized makes from a declared size before
// a byte has arrived: a sender that declares a large body and sends
// little holds no more than this until it sends more.
const maxPresize = 64 << 10

// Read reads all of r if it is at most limit bytes, and returns ErrTooLarge
// (with what it read, at most limit bytes) otherwise.
func Read(r io.Reader, limit int64) ([]byte, error) { return ReadSized(r, limit, -1) }

// ReadSized is Read for a body whose sender declared its size (an HTTP
// Content-Length; -1 or 0 when unknown): the buffer is made at that size
// (up to maxPresize) with a byte to spare for seeing the end, so that a
// body of the declared size is read without the buffer growing. The size
// is a hint only; the limit holds whatever it says. A body of unknown
// size (an SMTP message, a chunked request) is read into a pooled buffer
// and copied out at its length: grown from 512 bytes, its buffer would
// cost about three times the body in allocations.
func ReadSized(r io.Reader, limit, size int64) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	if size > 0 {
		return readInto(make([]byte, 0, min(size, maxPresize-1)+1), r, limit)
	}
	buf := scratch.Get().(*[]byte)
	b, err := readInto((*buf)[:0], r, limit)
	out := append(make([]byte, 0, len(b)), b...)
	if cap(b) <= maxScratch {
		*buf = b
		scratch.Put(buf)
	}
	return out, err
}

// scratch holds the buffers bodies of unknown size are read into.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxScratch is the largest buffer put back in scratch: a rare huge body
// should not stay in memory.
const maxScratch = 1 << 20

// readInto appends r to b up to one byte past limit, and returns it as
// ReadSized does.
func readInto(b []byte, r io.Reader, limit int64) ([]byte, error) {
	n := limit + 1 // one byte more than the limit tells a body over it
	if n <= 0 {    // limit is math.MaxInt64: no overflow, no truncation
		n = math.MaxInt64
	}
	var err error
	for int64(len(b)) < n {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // let append choose the growth
		}
		room := b[len(b):cap(b)]
		if rest := n - int64(len(b)); int64(len(room)) > rest {
			room = room[:rest]
		}
		var m int
		m, err = r.Read(room)
		b = b[:len(b)+m]
		if err != nil {
			break
		}
	}
	if int64(len(b)) > limit {
		return b[:limit], ErrTooLarge
	}
	if err != nil && err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return b, ErrTooLarge
		}
		return b, fmt.Errorf("hooks: read body: %w", err)
	}
	return b, nil
}
