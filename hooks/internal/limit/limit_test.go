package limit

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/inbound-hooks/inbound/internal/testenv"
)

func TestReadSized(t *testing.T) {
	errBroken := errors.New("broken")
	long := strings.Repeat("x", 3000)
	tests := []struct {
		name        string
		r           func() io.Reader
		limit, size int64
		want        string
		err         error // ErrTooLarge, or one that errors.Is finds
	}{
		{"empty", func() io.Reader { return strings.NewReader("") }, 10, -1, "", nil},
		{"at the limit", func() io.Reader { return strings.NewReader("abc") }, 3, -1, "abc", nil},
		{"over the limit", func() io.Reader { return strings.NewReader("abcd") }, 3, -1, "abc", ErrTooLarge},
		{"declared size", func() io.Reader { return strings.NewReader("abc") }, 10, 3, "abc", nil},
		{"declared too small", func() io.Reader { return strings.NewReader(long) }, 5000, 3, long, nil},
		{"declared too large", func() io.Reader { return strings.NewReader("abc") }, 5000, 4000, "abc", nil},
		{"declared over the limit", func() io.Reader { return strings.NewReader(long) }, 100, 3000, long[:100], ErrTooLarge},
		{"declared max", func() io.Reader { return strings.NewReader("abc") }, math.MaxInt64, math.MaxInt64, "abc", nil},
		{"no limit", func() io.Reader { return strings.NewReader(long) }, math.MaxInt64, -1, long, nil},
		{"one byte at a time", func() io.Reader { return iotest.OneByteReader(strings.NewReader(long)) }, 5000, 3000, long, nil},
		{"data with EOF", func() io.Reader { return iotest.DataErrReader(strings.NewReader("abc")) }, 3, 3, "abc", nil},
		{"read error", func() io.Reader { return io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(errBroken)) }, 10, 5, "ab", errBroken},
		{"MaxBytesReader", func() io.Reader {
			return http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader("abcd")), 2)
		}, 10, -1, "ab", ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ReadSized(tt.r(), tt.limit, tt.size)
			if string(b) != tt.want {
				t.Errorf("got %d bytes %.20q, want %d bytes %.20q", len(b), b, len(tt.want), tt.want)
			}
			if tt.err == nil && err != nil || tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("got err %v, want %v", err, tt.err)
			}
			// Read is ReadSized without a size: the same answer.
			rb, rerr := Read(tt.r(), tt.limit)
			if !bytes.Equal(rb, b) || (rerr == nil) != (err == nil) {
				t.Errorf("Read: got %d bytes, %v; ReadSized gives %d bytes, %v", len(rb), rerr, len(b), err)
			}
		})
	}
}

// TestReadSizedAllocs pins that a body of its declared size is read into
// one buffer.
func TestReadSizedAllocs(t *testing.T) {
	body := []byte(strings.Repeat("x", 1024))
	r := bytes.NewReader(body)
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(body)
		if b, err := ReadSized(r, 1<<20, int64(len(body))); err != nil || len(b) != len(body) {
			t.Fatalf("got %d bytes, %v", len(b), err)
		}
	})
	if allocs != 1 {
		t.Fatalf("got %v allocations, want 1", allocs)
	}
}

// TestReadUnsizedOwnBuffer checks that a body of unknown size, read
// through the pooled buffer, is returned in a slice of its own at its
// length: the next read does not change it.
func TestReadUnsizedOwnBuffer(t *testing.T) {
	first, err := Read(strings.NewReader("first body"), 100)
	if err != nil {
		t.Fatal(err)
	}
	if cap(first) != len(first) {
		t.Errorf("got cap %d for %d bytes, want the body's length", cap(first), len(first))
	}
	over, err := Read(strings.NewReader(strings.Repeat("y", 200)), 100)
	if !errors.Is(err, ErrTooLarge) || len(over) != 100 {
		t.Fatalf("got %d bytes, %v; want 100 and ErrTooLarge", len(over), err)
	}
	if _, err := Read(strings.NewReader(strings.Repeat("z", 50)), 100); err != nil {
		t.Fatal(err)
	}
	if string(first) != "first body" || string(over) != strings.Repeat("y", 100) {
		t.Fatalf("a later read changed earlier results: %q, %.10q", first, over)
	}
}

// TestReadUnsizedAllocs pins that a body of unknown size costs one
// allocation, its own copy, once the pool holds a buffer.
func TestReadUnsizedAllocs(t *testing.T) {
	body := []byte(strings.Repeat("x", 48<<10))
	r := bytes.NewReader(body)
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(body)
		if b, err := Read(r, 1<<20); err != nil || len(b) != len(body) {
			t.Fatalf("got %d bytes, %v", len(b), err)
		}
	})
	// Under the race detector a dropped buffer is grown again from 512
	// bytes: about a dozen appends for 48 KiB, a quarter of the time.
	if slack := testenv.RaceSlack(6); allocs > float64(1+slack) {
		t.Fatalf("got %v allocations, want 1 (+%d under the race detector)", allocs, slack)
	}
}
