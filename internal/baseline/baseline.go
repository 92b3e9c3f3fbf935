// Package baseline is the bare reference the repository's benchmarks
// measure themselves against: a net/http handler that only reads a body and
// json.Unmarshals it, one that writes a body to disk durably, and the
// bodies they send (a JSON order, a large email). Keeping one of each means
// every ratio in BENCHMARKS.md compares against the same work.
package baseline

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
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

// DurableHandler reads the whole body, writes it to a new file in dir and
// syncs the file to disk before answering 202, then removes the file: the
// least any handler can do that makes a body durable before its 2xx. On a
// large body it is the floor of the disk, which the ratio of a queue-mode
// hook to it takes out of the figure. Errors answer 500.
func DurableHandler(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.CreateTemp(dir, "body-*")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer os.Remove(f.Name())
		_, err = io.Copy(f, r.Body)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})
}

// BigEmail returns a message of about n bytes with the given Message-ID
// (without its angle brackets): an HTML part with a JSON-LD Order and a
// random base64 attachment, in lines of 76 characters, making up the rest.
func BigEmail(n int, messageID string) []byte {
	raw := make([]byte, n/78*76*3/4) // base64 in lines of 76 characters and CRLF
	_, _ = rand.Read(raw)
	var m bytes.Buffer
	m.Grow(n + 1024)
	m.WriteString("From: shop@example.com\r\nTo: buyer@example.org\r\nSubject: Your order\r\n" +
		"Message-ID: <" + messageID + ">\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		`<html><body><script type="application/ld+json">{"@context":"https://schema.org","@type":"Order","orderNumber":"A-1"}</script></body></html>` +
		"\r\n--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment; filename=\"big.bin\"\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString(raw)
	for len(enc) > 76 {
		m.WriteString(enc[:76])
		m.WriteString("\r\n")
		enc = enc[76:]
	}
	m.WriteString(enc + "\r\n--b1--\r\n")
	return m.Bytes()
}

// Post posts body to url with the given header (nil for none) and
// returns the time from the start of the POST to the end of reading the
// answer, which must be a 202: any other status is an error carrying the
// answer's body.
func Post(url string, header http.Header, body []byte) (time.Duration, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	answer, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	took := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusAccepted {
		err = fmt.Errorf("got %d %s, want 202", resp.StatusCode, answer)
	}
	return took, err
}
