package loadgen_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/internal/baseline"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/boltstore"
)

// sizeStore counts the payload bytes a queue hands to its store.
type sizeStore struct {
	store.Store
	local   store.LocalQueue // the store's, forwarded: a wrapper hides it otherwise
	payload atomic.Int64
}

func (s *sizeStore) Enqueue(ctx context.Context, e *store.QueuedEvent, since time.Time) (string, error) {
	s.payload.Add(int64(len(e.Payload)))
	return s.Store.Enqueue(ctx, e, since)
}

func (s *sizeStore) EnqueueClaimed(ctx context.Context, e *store.QueuedEvent, since time.Time, lease time.Duration) (string, error) {
	s.payload.Add(int64(len(e.Payload)))
	return s.local.EnqueueClaimed(ctx, e, since, lease)
}

func (s *sizeStore) CompleteLater(id string, attempts int, now time.Time) {
	s.local.CompleteLater(id, attempts, now)
}

func (s *sizeStore) FlushCompletions(ctx context.Context) error { return s.local.FlushCompletions(ctx) }

// BenchmarkStoredBytes posts 1 KiB JSON bodies to a form hook in queue
// mode on boltstore and reports what each event costs on disk: the
// payload the queue writes (payload-B/event, written once) and the growth
// of the bbolt file (file-B/event: payload, delivery record, indexes and
// bbolt's pages, free space included), against the body's own 1,024
// bytes (body-B/event, the bare figure).
func BenchmarkStoredBytes(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bytes.db")
	bs, err := boltstore.Open(path, &boltstore.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	lq, ok := store.As[store.LocalQueue](bs)
	if !ok {
		b.Fatal("boltstore: no store.LocalQueue")
	}
	s := &sizeStore{Store: bs, local: lq}
	ctx := context.Background()
	reg, err := hooks.NewRegistry(s, hooks.RegistryOptions{})
	if err != nil {
		b.Fatal(err)
	}
	// Not started: every event stays pending, so nothing is pruned or
	// rewritten while the file is measured.
	q, err := hooks.NewQueue(s, hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil }), hooks.QueueOptions{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: q})
	if err != nil {
		b.Fatal(err)
	}
	fh, err := formhook.New(p, formhook.Options{})
	if err != nil {
		b.Fatal(err)
	}
	h, err := reg.Create(ctx, "", hooks.HookSpec{Name: "bytes", Kind: formhook.KindName})
	if err != nil {
		b.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		return fi.Size()
	}
	const warm = 1000 // past the file's initial allocation
	post := func() {
		r := httptest.NewRequest("POST", "/hooks/form/"+h.Token, bytes.NewReader(benchBody))
		r.Header.Set("Content-Type", "application/json")
		r.RemoteAddr = "127.0.0.1:54321"
		w := httptest.NewRecorder()
		fh.ServeHTTP(w, r)
		if w.Code != http.StatusAccepted {
			b.Fatalf("got %d %s", w.Code, w.Body)
		}
	}
	for range warm {
		post()
	}
	s.payload.Store(0)
	before := size()
	b.ResetTimer()
	for range b.N {
		post()
	}
	b.StopTimer()
	if err := bs.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(benchBody)), "body-B/event")
	b.ReportMetric(float64(s.payload.Load())/float64(b.N), "payload-B/event")
	b.ReportMetric(float64(size()-before)/float64(b.N), "file-B/event")
}

// emailHeader is the header of a raw message posted to the email hook's
// HTTP intake for the recipient to.
func emailHeader(to string) http.Header {
	return http.Header{"Content-Type": {"message/rfc822"}, emailhook.RecipientHeader: {to}}
}

// emailHook returns the email handler of a pipeline delivering to q on s,
// and the address of a hook of it.
func emailHook(b *testing.B, s store.Store, q *hooks.Queue) (http.Handler, string) {
	b.Helper()
	reg, err := hooks.NewRegistry(s, hooks.RegistryOptions{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: q})
	if err != nil {
		b.Fatal(err)
	}
	eh, err := emailhook.NewHandler(p, emailhook.HandlerOptions{Domains: []string{"in.example.com"}})
	if err != nil {
		b.Fatal(err)
	}
	h, err := reg.Create(context.Background(), "", hooks.HookSpec{Name: "mail", Kind: emailhook.KindName})
	if err != nil {
		b.Fatal(err)
	}
	return eh, h.Token + "@in.example.com"
}

// BenchmarkEmail25MiB posts a 25 MiB message to the email hook's HTTP
// handler in queue mode on boltstore (fsync on) and reports the time from
// the start of the POST to the 202 (accept-ms) and from the 202 to the
// Trigger's call (accept-to-delivered-ms, 0 when the Trigger was called
// first), and the payload stored against the message (payload/message),
// beside a bare handler that only reads the same body (bare-ms).
func BenchmarkEmail25MiB(b *testing.B) {
	msg := baseline.BigEmail(25<<20-64<<10, "big@example.com")
	// bare only reads the body; bare-fsync also writes it to a file and
	// syncs it, the disk's floor for a body made durable before its 2xx.
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusAccepted)
		})},
		{"bare-fsync", baseline.DurableHandler(b.TempDir())},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv := httptest.NewServer(tc.h)
			defer srv.Close()
			var total time.Duration
			for range b.N {
				took, err := baseline.Post(srv.URL, nil, msg)
				if err != nil {
					b.Fatal(err)
				}
				total += took
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "bare-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
	// queue-bolt is examples/server's queue: the message stored once,
	// its attachment read from it again on a read back (EmailParts);
	// queue-bolt-kept stores the attachment's content beside it.
	for _, tc := range []struct {
		name  string
		parts hooks.EmailParts
	}{{"queue-bolt", emailhook.Parts}, {"queue-bolt-kept", nil}} {
		b.Run(tc.name, func(b *testing.B) {
			bs, err := boltstore.Open(filepath.Join(b.TempDir(), "email.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			lq, _ := store.As[store.LocalQueue](bs)
			s := &sizeStore{Store: bs, local: lq}
			ctx := context.Background()
			fired := make(chan time.Time, 1)
			q, err := hooks.NewQueue(s, hooks.TriggerFunc(func(context.Context, *hooks.Event) error {
				fired <- time.Now()
				return nil
			}), hooks.QueueOptions{EmailParts: tc.parts})
			if err != nil {
				b.Fatal(err)
			}
			if err := q.Start(ctx); err != nil {
				b.Fatal(err)
			}
			eh, to := emailHook(b, s, q)
			srv := httptest.NewServer(eh)
			b.Cleanup(func() {
				srv.Close()
				_ = q.Shutdown(ctx)
				_ = s.Close()
			})
			var accept, delivered time.Duration
			var sent int64
			for i := range b.N {
				m := bytes.Replace(msg, []byte("Message-ID: <big@"), []byte(fmt.Sprintf("Message-ID: <big-%d@", i)), 1)
				sent += int64(len(m))
				took, err := baseline.Post(srv.URL+"/hooks/email", emailHeader(to), m)
				if err != nil {
					b.Fatal(err)
				}
				acceptedAt := time.Now()
				accept += took
				// The hand-off may call the Trigger before the 202 is read.
				delivered += max(0, (<-fired).Sub(acceptedAt))
			}
			b.ReportMetric(float64(accept.Milliseconds())/float64(b.N), "accept-ms")
			b.ReportMetric(float64(delivered.Microseconds())/1000/float64(b.N), "accept-to-delivered-ms")
			b.ReportMetric(float64(s.payload.Load())/float64(sent), "payload/message")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// orderEmail returns an order confirmation of about 45 KB, as shops send
// them: a text part and the HTML of emailhook's testdata (with its JSON-LD
// Order), both quoted-printable.
func orderEmail(b *testing.B, id int) []byte {
	html, err := os.ReadFile(filepath.Join("..", "..", "emailhook", "testdata", "order-confirmation.html"))
	if err != nil {
		b.Fatal(err)
	}
	qp := func(p []byte) string {
		var buf bytes.Buffer
		w := quotedprintable.NewWriter(&buf)
		_, _ = w.Write(p)
		_ = w.Close()
		return buf.String()
	}
	return []byte("From: shop@example.com\r\nTo: buyer@example.org\r\nSubject: Your order\r\n" +
		fmt.Sprintf("Message-ID: <order-%d@example.com>\r\n", id) + "MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		qp([]byte("Thank you for your order. It ships within two days.\n")) + "\r\n" +
		"--b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		qp(html) + "\r\n--b1--\r\n")
}

// BenchmarkStoredBytesEmail posts an order confirmation (about 45 KB) to
// an email hook in queue mode and reports the payload the queue writes
// per message (payload-B/event) against the message itself (message-B,
// the bare figure), and their ratio (payload/message): "kept" stores the
// text and HTML bodies beside the message, "from-raw" reads them again
// from it (QueueOptions.EmailParts).
func BenchmarkStoredBytesEmail(b *testing.B) {
	for _, tc := range []struct {
		name  string
		parts hooks.EmailParts
	}{{"kept", nil}, {"from-raw", emailhook.Parts}} {
		b.Run(tc.name, func(b *testing.B) {
			bs, err := boltstore.Open(filepath.Join(b.TempDir(), "email.db"), &boltstore.Options{NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			defer bs.Close()
			lq, _ := store.As[store.LocalQueue](bs)
			s := &sizeStore{Store: bs, local: lq}
			q, err := hooks.NewQueue(s, hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil }),
				hooks.QueueOptions{EmailParts: tc.parts})
			if err != nil {
				b.Fatal(err)
			}
			eh, to := emailHook(b, s, q)
			var msgBytes int64
			b.ResetTimer()
			for i := range b.N {
				m := orderEmail(b, i)
				msgBytes += int64(len(m))
				r := httptest.NewRequest("POST", "/hooks/email", bytes.NewReader(m))
				r.Header.Set("Content-Type", "message/rfc822")
				r.Header.Set(emailhook.RecipientHeader, to)
				w := httptest.NewRecorder()
				eh.ServeHTTP(w, r)
				if w.Code != http.StatusAccepted {
					b.Fatalf("got %d %s", w.Code, w.Body)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(msgBytes)/float64(b.N), "message-B")
			b.ReportMetric(float64(s.payload.Load())/float64(b.N), "payload-B/event")
			b.ReportMetric(float64(s.payload.Load())/float64(msgBytes), "payload/message")
		})
	}
}
