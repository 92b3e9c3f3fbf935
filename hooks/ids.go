package hooks

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"sync"
	"time"
)

// idEncoding is Crockford's base32 alphabet in lowercase. Its characters
// are in ascending byte order, so encoded IDs sort like their bytes.
var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// IDGenerator makes unique, time-sortable IDs: 48 bits of Unix milliseconds
// then 80 random bits (crypto/rand), 26 lowercase characters. Within one
// generator, IDs made in the same millisecond still sort in the order they
// were made. The zero value is ready to use and safe for concurrent use.
type IDGenerator struct {
	mu     sync.Mutex
	lastMS uint64
	last   [10]byte
}

// New returns a new ID for time now.
func (g *IDGenerator) New(now time.Time) string {
	ms := uint64(now.UnixMilli())
	var b [16]byte
	g.mu.Lock()
	if ms <= g.lastMS {
		// Same (or an earlier, after a clock step) millisecond: keep the
		// previous timestamp and increment the random part so order holds.
		ms = g.lastMS
		incr(g.last[:])
	} else {
		g.lastMS = ms
		_, _ = rand.Read(g.last[:]) // crypto/rand.Read never fails (Go 1.24+)
	}
	copy(b[6:], g.last[:])
	g.mu.Unlock()
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(b[:6], ts[2:])
	return idEncoding.EncodeToString(b[:])
}

func incr(b []byte) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return
		}
	}
}

// IDTime returns the time encoded in an ID made by an IDGenerator, and
// false when id is not such an ID.
func IDTime(id string) (time.Time, bool) {
	if len(id) != 26 {
		return time.Time{}, false
	}
	b, err := idEncoding.DecodeString(id)
	if err != nil || len(b) != 16 {
		return time.Time{}, false
	}
	var ts [8]byte
	copy(ts[2:], b[:6])
	return time.UnixMilli(int64(binary.BigEndian.Uint64(ts[:]))).UTC(), true
}

// randomToken returns n random bytes from crypto/rand, encoded with
// idEncoding: lowercase letters and digits only, safe in a URL path segment
// and in an email local part.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return idEncoding.EncodeToString(b)
}
