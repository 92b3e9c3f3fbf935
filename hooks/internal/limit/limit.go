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
// is a hint only; the limit holds whatever it says.
func ReadSized(r io.Reader, limit, size int64) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	n := limit + 1 // one byte more than the limit tells a body over it
	if n <= 0 {    // limit is math.MaxInt64: no overflow, no truncation
		n = math.MaxInt64
	}
	c := int64(512) // as io.ReadAll starts
	if size > 0 && size < n {
		c = min(size+1, maxPresize)
	}
	b := make([]byte, 0, c)
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
