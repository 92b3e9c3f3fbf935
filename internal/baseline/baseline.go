// Package baseline is the bare reference the repository's benchmarks
// measure themselves against: a net/http handler that only reads a body and
// json.Unmarshals it, and the JSON order body they all send. Keeping one of
// each means every ratio in BENCHMARKS.md compares against the same work.
package baseline

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
)

// MaxBody is how much of a body Handler reads: the hooks' default limit.
const MaxBody = 1 << 20

// Handler reads the body (at most MaxBody bytes) and only json.Unmarshals
// it, answering 202 with a small JSON id as a hook does, or 400.
func Handler() http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(io.LimitReader(r.Body, MaxBody))
		var v any
		if err == nil {
			err = json.Unmarshal(b, &v)
		}
		if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"id":"%d"}`, n.Add(1))
	})
}

// Body returns a JSON object of exactly n bytes: an order with an
// integer id, line items and padding. Below about 90 bytes the object is
// the smallest order, longer than n.
func Body(n int) []byte {
	const note = `,"note":""`
	m := map[string]any{"order_id": 12345678901, "email": "buyer@example.com", "total": 99.5, "paid": true}
	var items []any
	b, _ := json.Marshal(m)
	for i := 0; ; i++ {
		next := append(items, map[string]any{"sku": fmt.Sprintf("SKU-%05d", i), "qty": i%5 + 1, "price": 9.99})
		m["items"] = next
		nb, _ := json.Marshal(m)
		if len(nb)+len(note) > n {
			break
		}
		items, b = next, nb
	}
	if items == nil {
		delete(m, "items")
	} else {
		m["items"] = items
	}
	m["note"] = strings.Repeat("x", max(0, n-len(b)-len(note)))
	b, _ = json.Marshal(m)
	return b
}
