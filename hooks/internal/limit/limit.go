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

// Read reads all of r if it is at most limit bytes, and returns ErrTooLarge
// (with what it read, at most limit bytes) otherwise.
func Read(r io.Reader, limit int64) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	n := limit + 1
	if n <= 0 { // limit is math.MaxInt64: no overflow, no truncation
		n = math.MaxInt64
	}
	b, err := io.ReadAll(io.LimitReader(r, n))
	if int64(len(b)) > limit {
		return b[:limit], ErrTooLarge
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return b, ErrTooLarge
		}
		return b, fmt.Errorf("hooks: read body: %w", err)
	}
	return b, nil
}
