package hardening

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hcase is one bad (or borderline) input and what the server must answer.
// Paths, header values and bodies may hold {placeholders} (see
// server.setup); each case has a unique marker, put in its body where it
// fits, to tell whether anything of it was delivered.
type hcase struct {
	name string

	// An HTTP request (when smtp and custom are nil).
	method  string // default POST
	path    string
	header  map[string]string
	body    func(s *server, marker string) []byte
	chunked bool // send the body without a Content-Length

	// An SMTP transaction.
	smtp *smtpCase

	// custom runs a case that needs its own client (slow bodies, bursts);
	// the suite still probes the server after it.
	custom func(t *testing.T, s *server, marker string)

	// Expectations of an HTTP case: the status, the error code (for 4xx),
	// headers that must be present with these values.
	status     int
	code       string
	wantHeader map[string]string
	// event checks the delivered event of an accepted request; nil means
	// the request must not be delivered.
	event func(t *testing.T, s *server, marker string, e eventLine, raw string)
}

// smtpCase is one SMTP transaction: MAIL FROM, RCPT TO rcpt, then DATA
// unless rcptCode is set.
type smtpCase struct {
	rcpt     string
	rcptCode int // the expected reply to RCPT; 0 means 250 and DATA follows
	data     func(s *server, marker string) []byte
	dataCode int // the expected reply to the end of DATA: 250, 552...
}

const (
	mib = 1 << 20
	// emailLimit is emailhook.DefaultMaxMessageBytes, which the server
	// keeps for both the HTTP and the SMTP email paths.
	emailLimit = 25 * mib
)

func TestHardening(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs examples/server; skipped with -short")
	}
	start := time.Now()
	bin := buildServer(t)

	// The "remote" @context: any request to it is a failure.
	var remoteHits atomic.Int64
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		remoteHits.Add(1)
		w.Header().Set("Content-Type", "application/ld+json")
		_, _ = io.WriteString(w, `{"@context":{"orderNumber":"http://remote.example/fetched"}}`)
	}))
	defer remote.Close()
	// The file: @context: its content must never reach an event.
	secret := "FILE-SECRET-7f3a9c"
	ctxFile := filepath.Join(t.TempDir(), "context.jsonld")
	if err := os.WriteFile(ctxFile, []byte(`{"@context":{"secret":"`+secret+`","orderNumber":"http://`+secret+`/n"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fileURL := "file://" + ctxFile

	table := cases(&remoteHits, secret)
	for _, mode := range []string{"sync", "queue"} {
		t.Run(mode, func(t *testing.T) {
			s := startServer(t, bin, mode)
			s.setup(t, remote.URL+"/context.jsonld", fileURL)
			s.probe(t, "first-probe-"+mode)
			// A slowloris runs beside the table: headers trickled forever
			// must be cut off by the server's ReadHeaderTimeout (10s).
			loris := slowHeaders(s.base)
			var rejected []string
			for i, c := range table {
				marker := fmt.Sprintf("case-%03d-%s-end", i, mode)
				ok := t.Run(c.name, func(t *testing.T) { runCase(t, s, c, marker) })
				if !ok && s.stopped() {
					t.Fatalf("the server is gone after %q", c.name)
				}
				if c.event == nil && c.custom == nil {
					rejected = append(rejected, marker)
				}
			}
			// In queue mode an event is delivered after its answer: check
			// again, once the last probe is through, that no rejected input
			// was delivered late.
			s.probe(t, "last-probe-"+mode)
			if r := <-loris; r.err != nil {
				t.Errorf("slow headers: %v", r.err)
			} else if r.took > slowHeaderLimit {
				t.Errorf("slow headers: the server held the connection %v, want at most %v", r.took, slowHeaderLimit)
			} else {
				t.Logf("slow headers: connection closed after %v", r.took.Round(time.Millisecond))
			}
			for _, m := range rejected {
				if got := s.events.containing(`"` + m + `"`); len(got) > 0 {
					t.Errorf("rejected input %s was delivered: %s", m, got[0])
				}
			}
			if bad := s.events.nonEvents(); len(bad) > 0 {
				t.Errorf("stdout has %d lines that are not events, first %q", len(bad), tail(bad[0], 200))
			}
			s.stop(t)
			if out := strings.ToLower(s.stderr.String()); strings.Contains(out, "panic") {
				t.Errorf("the server's stderr mentions a panic:\n%s", tail(s.stderr.String(), 4000))
			}
			// The stopped server's file compacts, to no more than it was.
			if before, after := s.compact(t); after > before {
				t.Errorf("server compact: the file grew from %d to %d bytes", before, after)
			} else {
				t.Logf("server compact: %d -> %d bytes", before, after)
			}
		})
	}
	if n := remoteHits.Load(); n != 0 {
		t.Errorf("the remote @context server got %d requests, want 0", n)
	}
	t.Logf("suite took %v", time.Since(start).Round(time.Millisecond))
}

// stopped reports whether the server process has exited.
func (s *server) stopped() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

func runCase(t *testing.T, s *server, c hcase, marker string) {
	switch {
	case c.custom != nil:
		c.custom(t, s, marker)
	case c.smtp != nil:
		runSMTP(t, s, c, marker)
	default:
		runHTTP(t, s, c, marker)
	}
	s.probe(t, "probe-"+marker)
	if c.event == nil && c.custom == nil {
		// The probe went through after the case; in sync mode anything the
		// case delivered is on stdout by now.
		if got := s.events.containing(`"` + marker + `"`); len(got) > 0 {
			t.Errorf("the rejected input was delivered: %s", tail(got[0], 300))
		}
	}
}

// response is what the suite reads of an HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// send posts (or whatever c.method says) one case's request.
func (s *server) send(ctx context.Context, c hcase, marker string) (*response, error) {
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if c.body != nil {
		b := c.body(s, marker)
		body = bytes.NewReader(b)
		if c.chunked {
			body = struct{ io.Reader }{body} // hides the length: chunked
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+s.expand(c.path), body)
	if err != nil {
		return nil, err
	}
	for k, v := range c.header {
		req.Header.Set(k, s.expand(v))
	}
	if strings.HasPrefix(c.path, "/hooks/form/") && req.Header.Get("X-Forwarded-For") == "" {
		req.Header.Set("X-Forwarded-For", s.nextClientAddr())
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func runHTTP(t *testing.T, s *server, c hcase, marker string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := s.send(ctx, c, marker)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	checkAnswer(t, r, c.status, c.code, c.wantHeader)
	if c.event == nil {
		return
	}
	var ok struct{ ID string }
	if err := json.Unmarshal(r.body, &ok); err != nil || ok.ID == "" {
		t.Fatalf("202 body: got %q, want {\"id\":...} (%v)", r.body, err)
	}
	e, raw, found := s.events.wait(60*time.Second, func(_ string, e eventLine) bool { return e.ID == ok.ID })
	if !found {
		t.Fatalf("event %s was not delivered", ok.ID)
	}
	c.event(t, s, marker, e, raw)
}

// checkAnswer asserts the status, and for an error the contracted JSON
// body {"error":{"code","message"}} and headers.
func checkAnswer(t *testing.T, r *response, status int, code string, hdr map[string]string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status: got %d, want %d (body %q)", r.status, status, tail(string(r.body), 300))
	}
	for k, v := range hdr {
		if got := r.header.Get(k); got != v {
			t.Errorf("header %s: got %q, want %q", k, got, v)
		}
	}
	if status < 400 {
		return
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type: got %q, want application/json", ct)
	}
	var eb struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&eb); err != nil || eb.Error == nil {
		t.Fatalf("error body: got %q, want {\"error\":{\"code\",\"message\"}} (%v)", r.body, err)
	}
	if eb.Error.Code != code {
		t.Errorf("error code: got %q, want %q (message %q)", eb.Error.Code, code, eb.Error.Message)
	}
	if eb.Error.Message == "" {
		t.Errorf("error message: got empty, want a message")
	}
}

func runSMTP(t *testing.T, s *server, c hcase, marker string) {
	t.Helper()
	sc := c.smtp
	cl, err := smtp.Dial(s.smtpAddr)
	if err != nil {
		t.Fatalf("SMTP dial: %v", err)
	}
	defer cl.Close()
	if err := cl.Hello("client.example"); err != nil {
		t.Fatalf("EHLO: %v", err)
	}
	if err := cl.Mail("shop@example.com"); err != nil {
		t.Fatalf("MAIL FROM: %v", err)
	}
	err = cl.Rcpt(s.expand(sc.rcpt))
	if sc.rcptCode != 0 {
		if got := replyCode(err); got != sc.rcptCode {
			t.Fatalf("RCPT TO: got %d (%v), want %d", got, err, sc.rcptCode)
		}
		_ = cl.Quit()
		return
	}
	if err != nil {
		t.Fatalf("RCPT TO: %v", err)
	}
	w, err := cl.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if _, err := w.Write(sc.data(s, marker)); err != nil {
		t.Fatalf("write message: %v", err)
	}
	err = w.Close()
	if got := replyCode(err); got != sc.dataCode {
		t.Fatalf("end of DATA: got %d (%v), want %d", got, err, sc.dataCode)
	}
	if err := cl.Quit(); err != nil {
		t.Errorf("QUIT: %v", err)
	}
	if c.event == nil {
		return
	}
	e, raw, found := s.events.wait(10*time.Second, func(_ string, e eventLine) bool {
		return e.Email != nil && e.Email.Subject == marker
	})
	if !found {
		t.Fatalf("the message %s was not delivered", marker)
	}
	c.event(t, s, marker, e, raw)
}

// replyCode returns the SMTP reply code of a net/smtp error: 250 for nil.
func replyCode(err error) int {
	if err == nil {
		return 250
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return -1
}

// ---- bodies ----

func jsonBody(v string) func(*server, string) []byte {
	return func(s *server, marker string) []byte {
		return []byte(strings.ReplaceAll(s.expand(v), "MARKER", marker))
	}
}

func padded(prefix, suffix string, n int) func(*server, string) []byte {
	return func(_ *server, marker string) []byte {
		var b bytes.Buffer
		b.WriteString(strings.ReplaceAll(prefix, "MARKER", marker))
		b.Write(bytes.Repeat([]byte("x"), n))
		b.WriteString(suffix)
		return b.Bytes()
	}
}

func deepArrays(n int) func(*server, string) []byte {
	return func(_ *server, marker string) []byte {
		return []byte(strings.Repeat("[", n) + `"` + marker + `"` + strings.Repeat("]", n))
	}
}

func deepObjects(n int) func(*server, string) []byte {
	return func(_ *server, marker string) []byte {
		return []byte(strings.Repeat(`{"a":`, n) + `"` + marker + `"` + strings.Repeat("}", n))
	}
}

// manyParts is a multipart form with n parts and a one-letter boundary,
// small enough (about 50 bytes a part) to fit the 1 MiB body limit.
func manyParts(n int) func(*server, string) []byte {
	return func(_ *server, marker string) []byte {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.SetBoundary("b")
		_ = w.WriteField("m", marker)
		for range n - 1 {
			_ = w.WriteField("f", "v")
		}
		_ = w.Close()
		return b.Bytes()
	}
}

// multipartBody is a multipart form with the given fields (in order).
func multipartBody(fields ...string) func(*server, string) []byte {
	return func(_ *server, marker string) []byte {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.SetBoundary("hardening-boundary")
		for i := 0; i+1 < len(fields); i += 2 {
			_ = w.WriteField(fields[i], strings.ReplaceAll(fields[i+1], "MARKER", marker))
		}
		_ = w.Close()
		return b.Bytes()
	}
}

func repeatFields(n int, format string) func(*server, string) []byte {
	return func(_ *server, marker string) []byte {
		parts := []string{"m=" + marker}
		for i := range n {
			parts = append(parts, fmt.Sprintf(format, i))
		}
		return []byte(strings.Join(parts, "&"))
	}
}

// message is an HTML email whose Subject is the marker and whose
// Message-ID (the idempotency key) is unique to it.
func message(marker, html string) []byte {
	return []byte("From: Shop <shop@example.com>\r\n" +
		"To: customer@example.com\r\n" +
		"Subject: " + marker + "\r\n" +
		"Message-ID: <" + marker + "@example.com>\r\n" +
		"Date: Fri, 27 Nov 2026 08:00:00 +0000\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n" +
		html + "\r\n")
}

func ldMessage(context string) func(*server, string) []byte {
	return func(s *server, marker string) []byte {
		html := `<html><body><p>Thank you for your order.</p><script type="application/ld+json">` +
			`{"@context":` + s.expand(context) + `,"@type":"Order","orderNumber":"` + marker + `"}` +
			`</script></body></html>`
		return message(marker, html)
	}
}

// nestedMessage carries a JSON-LD script inside n nested elements, one
// tag a line (SMTP limits lines).
func nestedMessage(n int) func(*server, string) []byte {
	return func(_ *server, marker string) []byte {
		var b strings.Builder
		b.WriteString("<html><body>\r\n")
		for range n {
			b.WriteString("<div>\r\n")
		}
		b.WriteString(`<script type="application/ld+json">{"@context":"https://schema.org","@type":"Order","orderNumber":"` + marker + `"}</script>` + "\r\n")
		for range n {
			b.WriteString("</div>\r\n")
		}
		b.WriteString("</body></html>")
		return message(marker, b.String())
	}
}

// hugeMessage is a plain-text message of at least size bytes in 78-byte
// lines.
func hugeMessage(size int) func(*server, string) []byte {
	return func(_ *server, marker string) []byte {
		head := message(marker, "")
		head = bytes.Replace(head, []byte("text/html"), []byte("text/plain"), 1)
		line := append(bytes.Repeat([]byte("x"), 76), '\r', '\n')
		b := bytes.NewBuffer(make([]byte, 0, size+len(head)+len(line)))
		b.Write(head)
		for b.Len() < size {
			b.Write(line)
		}
		return b.Bytes()
	}
}

// nestedMIME is a message whose body is n multipart/mixed entities, each
// the only part of the one around it, with an HTML part at the bottom.
func nestedMIME(n int, marker string) []byte {
	var b strings.Builder
	b.WriteString("From: Shop <shop@example.com>\r\nTo: customer@example.com\r\nSubject: " + marker +
		"\r\nMessage-ID: <" + marker + "@example.com>\r\nMIME-Version: 1.0\r\n")
	for i := range n {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/html\r\n\r\n<p>hi</p>\r\n")
	for i := n - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// manyHeaders is a message with n extra header fields.
func manyHeaders(n int) func(*server, string) []byte {
	return func(_ *server, marker string) []byte {
		m := message(marker, "<p>hi</p>")
		return append([]byte(strings.Repeat("X-Filler: x\r\n", n)), m...)
	}
}

// brokenPartMessage is a multipart message with an HTML part holding an
// Order whose orderNumber is the marker, and a second part that cannot be
// read: bad base64, an unknown Content-Transfer-Encoding, or a message cut
// short inside it (no closing boundary).
func brokenPartMessage(kind string) func(*server, string) []byte {
	return func(_ *server, marker string) []byte {
		var b strings.Builder
		b.WriteString("From: Shop <shop@example.com>\r\nTo: customer@example.com\r\nSubject: " + marker +
			"\r\nMessage-ID: <" + marker + "@example.com>\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
			`<html><body><script type="application/ld+json">{"@context":"https://schema.org","@type":"Order","orderNumber":"` +
			marker + `"}</script></body></html>` + "\r\n--zz\r\nContent-Type: application/pdf\r\n")
		switch kind {
		case "bad-base64":
			b.WriteString("Content-Transfer-Encoding: base64\r\n\r\n!!!! not base64 ****\r\n--zz--\r\n")
		case "unknown-cte":
			b.WriteString("Content-Transfer-Encoding: x-rot13\r\n\r\nfbzr qngn\r\n--zz--\r\n")
		case "truncated":
			b.WriteString("Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\nJVBER")
		}
		return []byte(b.String())
	}
}

// boundedPosts sends, in the queue-mode server, ten form posts each with a
// 1 MB header and a multipart body just under the 1 MiB limit (a
// "password" field and a ~1 MB file) to a debug-on hook, and checks that
// each event and debug entry keeps at most 16 KiB of headers (the rest
// counted), that the debug entry redacts the password in body and data,
// and that the bbolt file grows by about the bodies, once each: the
// events, with 16 KiB of headers, and ten debug entries. In sync mode
// nothing is queued: it checks one post.
func boundedPosts(t *testing.T, s *server, marker string) {
	hk := s.createHook(t, "bounded "+marker, "form")
	s.admin(t, http.MethodPatch, "/admin/hooks/"+hk.ID, map[string]bool{"debug": true}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const posts = 10
	n := posts
	if s.mode == "sync" {
		n = 1
	}
	before := s.dataSize(t)
	bigHeader := strings.Repeat("h", 1000*1000)
	var ids []string
	for i := range n {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		_ = w.WriteField("m", marker)
		_ = w.WriteField("password", "pw-"+marker)
		fw, _ := w.CreateFormFile("cv", "cv.bin")
		_, _ = fw.Write(bytes.Repeat([]byte{'a' + byte(i)}, 1000*1000))
		_ = w.Close()
		c := hcase{path: "/hooks/form/" + hk.token(t), header: map[string]string{"Content-Type": w.FormDataContentType(), "X-Big": bigHeader},
			body: func(*server, string) []byte { return body.Bytes() }}
		r, err := s.send(ctx, c, marker)
		if err != nil {
			t.Fatalf("post %d: %v", i+1, err)
		}
		checkAnswer(t, r, http.StatusAccepted, "", nil)
		var ok struct{ ID string }
		if err := json.Unmarshal(r.body, &ok); err != nil || ok.ID == "" {
			t.Fatalf("post %d: body %q", i+1, r.body)
		}
		ids = append(ids, ok.ID)
	}
	for _, id := range ids {
		_, raw, found := s.events.wait(60*time.Second, func(_ string, e eventLine) bool { return e.ID == id })
		if !found {
			t.Fatalf("event %s was not delivered", id)
		}
		var e struct {
			HeadersDropped     int `json:"headers_dropped"`
			HeaderBytesDropped int `json:"header_bytes_dropped"`
		}
		if err := json.Unmarshal([]byte(raw), &e); err != nil || e.HeadersDropped != 1 || e.HeaderBytesDropped < 1000*1000 {
			t.Errorf("event %s: got %d header values (%d bytes) dropped, want the 1 MB one: %s", id, e.HeadersDropped, e.HeaderBytesDropped, tail(raw, 300))
		}
	}
	if s.mode == "queue" {
		// The stored event, as the admin API reads it back.
		var st struct {
			Event struct {
				Header         map[string][]string `json:"header"`
				HeadersDropped int                 `json:"headers_dropped"`
				Files          []struct {
					Size int64 `json:"size"`
				} `json:"files"`
			} `json:"event"`
		}
		s.admin(t, http.MethodGet, "/admin/events/"+ids[0], nil, &st)
		size := 0
		for k, vs := range st.Event.Header {
			for _, v := range vs {
				size += len(k) + len(v) + 4
			}
		}
		if size > 16<<10 || st.Event.HeadersDropped != 1 || len(st.Event.Files) != 1 || st.Event.Files[0].Size != 1000*1000 {
			t.Errorf("stored event %s: %d bytes of headers, %d dropped, files %+v; want at most 16 KiB, 1 dropped, the 1 MB file",
				ids[0], size, st.Event.HeadersDropped, st.Event.Files)
		}
	}
	var logs struct {
		Entries []struct {
			Headers        map[string][]string `json:"headers"`
			HeadersDropped int                 `json:"headers_dropped"`
			Body           string              `json:"body"`
			Data           map[string]any      `json:"data"`
			EventID        string              `json:"event_id"`
		} `json:"entries"`
	}
	// The debug log is written in the background: wait for the entries.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		s.admin(t, http.MethodGet, "/admin/hooks/"+hk.ID+"/debug-logs", nil, &logs)
		if len(logs.Entries) >= n || time.Now().After(deadline) {
			break
		}
	}
	if len(logs.Entries) != n {
		t.Fatalf("debug entries: got %d, want %d", len(logs.Entries), n)
	}
	for _, e := range logs.Entries {
		size := 0
		for k, vs := range e.Headers {
			for _, v := range vs {
				size += len(k) + len(v) + 4
			}
		}
		if size > 16<<10 || e.HeadersDropped != 1 || e.Headers["Content-Type"] == nil {
			t.Errorf("debug entry %s: %d bytes of headers, %d dropped; want at most 16 KiB with Content-Type, 1 dropped", e.EventID, size, e.HeadersDropped)
		}
		if strings.Contains(e.Body, "pw-"+marker) || e.Data["password"] != "[redacted]" || !strings.Contains(e.Body, "[redacted]") {
			t.Errorf("debug entry %s: the password is not redacted: data %v, body %q", e.EventID, e.Data["password"], tail(e.Body, 200))
		}
	}
	grew := s.dataSize(t) - before
	t.Logf("%d posts of 2 MB (1 MB header, 1 MB body): the data file grew %d bytes (%.1f MiB)", n, grew, float64(grew)/mib)
	// Each event costs its body once (about 1 MB) and 16 KiB of headers,
	// each debug entry 64 KiB of body and 16 KiB of headers: about 11 MB,
	// and bbolt grows its file by up to 16 MiB more at a time. Before the
	// caps the ten posts needed over 40 MB (body, file content and header
	// in each event, the header in each debug entry).
	if s.mode == "queue" && grew > 32*mib {
		t.Errorf("the data file grew %.1f MiB for %d posts of 1 MB bodies, want at most 32 MiB", float64(grew)/mib, n)
	}
}

// ---- event checks ----

// wantOrderAndWarning checks that a message with one broken part was
// delivered with its readable HTML part's Order and a warning.
func wantOrderAndWarning(t *testing.T, s *server, marker string, e eventLine, raw string) {
	t.Helper()
	wantOrder(t, s, marker, e, raw)
	if e.Email != nil && len(e.Email.Warnings) == 0 {
		t.Errorf("warnings: got none, want one for the broken part: %s", tail(raw, 500))
	}
}

func dataField(t *testing.T, e eventLine, key string) any {
	t.Helper()
	m, ok := e.Data.(map[string]any)
	if !ok {
		t.Fatalf("event data: got %T, want an object", e.Data)
	}
	return m[key]
}

func wantData(kvs ...string) func(*testing.T, *server, string, eventLine, string) {
	return func(t *testing.T, _ *server, marker string, e eventLine, _ string) {
		t.Helper()
		for i := 0; i+1 < len(kvs); i += 2 {
			want := strings.ReplaceAll(kvs[i+1], "MARKER", marker)
			if got := dataField(t, e, kvs[i]); got != want {
				t.Errorf("data[%q]: got %q, want %q", kvs[i], got, want)
			}
		}
	}
}

// wantUnnormalized checks that the email's object is the one written,
// with its foreign @context kept, and an unknown-context warning; and that
// nothing was fetched for it.
func wantUnnormalized(remoteHits *atomic.Int64, secret string, context string) func(*testing.T, *server, string, eventLine, string) {
	return func(t *testing.T, s *server, _ string, e eventLine, raw string) {
		t.Helper()
		if e.Email == nil {
			t.Fatalf("event has no email: %s", tail(raw, 300))
		}
		want := s.expand(context)
		var found bool
		for _, o := range e.Email.Objects {
			if o["orderNumber"] == e.Email.Subject {
				found = true
				if got := o["@context"]; got != want {
					t.Errorf("object @context: got %v, want %q (left as written)", got, want)
				}
			}
		}
		if !found {
			t.Errorf("objects: got %v, want the order %s as written", e.Email.Objects, e.Email.Subject)
		}
		if !slices.ContainsFunc(e.Email.Warnings, func(w string) bool { return strings.Contains(w, "unknown @context") }) {
			t.Errorf("warnings: got %q, want an unknown @context warning", e.Email.Warnings)
		}
		if n := remoteHits.Load(); n != 0 {
			t.Errorf("remote @context requests: got %d, want 0", n)
		}
		if strings.Contains(raw, secret) || strings.Contains(raw, "fetched") {
			t.Errorf("the event carries fetched context content: %s", tail(raw, 500))
		}
	}
}

// wantOrder checks that the email's objects hold the schema.org Order
// whose orderNumber is the marker.
func wantOrder(t *testing.T, _ *server, _ string, e eventLine, raw string) {
	t.Helper()
	if e.Email == nil {
		t.Fatalf("event has no email: %s", tail(raw, 300))
	}
	for _, o := range e.Email.Objects {
		if o["orderNumber"] == e.Email.Subject && o["@type"] == "Order" {
			return
		}
	}
	t.Errorf("objects: got %v, want an Order with orderNumber %s", e.Email.Objects, e.Email.Subject)
}

// ---- custom cases ----

// trickle is a body that yields step bytes every pause.
type trickle struct {
	data  []byte
	step  int
	pause time.Duration
}

func (r *trickle) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	n := min(r.step, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// stall is a body that yields its prefix, then blocks until ctx is done.
type stall struct {
	ctx    context.Context
	prefix []byte
}

func (r *stall) Read(p []byte) (int, error) {
	if len(r.prefix) > 0 {
		n := copy(p, r.prefix)
		r.prefix = r.prefix[n:]
		return n, nil
	}
	<-r.ctx.Done()
	return 0, r.ctx.Err()
}

// slowHeaderLimit is examples/server's ReadHeaderTimeout (10s) plus slack.
const slowHeaderLimit = 14 * time.Second

type lorisResult struct {
	took time.Duration
	err  error
}

// slowHeaders opens a connection to base and sends a request line, then a
// header byte every 250ms without ever ending the headers; it reports how
// long the server kept the connection open (until it closed it or sent
// anything), giving up at twice slowHeaderLimit.
func slowHeaders(base string) <-chan lorisResult {
	out := make(chan lorisResult, 1)
	go func() {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
		if err != nil {
			out <- lorisResult{err: err}
			return
		}
		defer c.Close()
		began := time.Now()
		closed := make(chan struct{})
		go func() {
			defer close(closed)
			_ = c.SetReadDeadline(began.Add(2 * slowHeaderLimit))
			var b [512]byte
			_, _ = c.Read(b[:]) // EOF, a reset, an answer or the deadline
		}()
		if _, err := io.WriteString(c, "POST /hooks/web/abcdefghijklmnopqrstuvwxyz HTTP/1.1\r\nHost: x\r\nX-Slow: "); err != nil {
			out <- lorisResult{err: err}
			return
		}
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-closed:
				out <- lorisResult{took: time.Since(began)}
				return
			case <-tick.C:
				_, _ = c.Write([]byte("a")) // fails once the server has closed; the reader sees it
			}
		}
	}()
	return out
}

// slowBody sends a webhook body a few bytes at a time for about 1.5s;
// the server (ReadTimeout 60s) must wait for it and accept it.
func slowBody(t *testing.T, s *server, marker string) {
	body := []byte(`{"slow":"` + marker + `","pad":"` + strings.Repeat("y", 24) + `"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/hooks/web/"+s.tokens["web"],
		&trickle{data: body, step: 4, pause: 70 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.tokens["key"])
	began := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("slow body: %v", err)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	r := &response{status: resp.StatusCode, header: resp.Header, body: b}
	checkAnswer(t, r, http.StatusAccepted, "", nil)
	if took := time.Since(began); took < 800*time.Millisecond {
		t.Errorf("the slow body took %v; the trickle did not happen", took)
	}
	var ok struct{ ID string }
	if err := json.Unmarshal(b, &ok); err != nil {
		t.Fatalf("202 body %q: %v", b, err)
	}
	if _, _, found := s.events.wait(10*time.Second, func(_ string, e eventLine) bool { return e.ID == ok.ID }); !found {
		t.Fatalf("the slow body's event %s was not delivered", ok.ID)
	}
}

// stalledBody starts a webhook body, stalls, and gives up after 1s; the
// server must not deliver it and must keep serving.
func stalledBody(t *testing.T, s *server, marker string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/hooks/web/"+s.tokens["web"],
		&stall{ctx: ctx, prefix: []byte(`{"stalled":"` + marker + `",`)})
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.tokens["key"])
	resp, err := s.client.Do(req)
	if err == nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		t.Fatalf("stalled body: got status %d (%s) before the body ended, want no answer", resp.StatusCode, b)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stalled body: got %v, want the client's deadline", err)
	}
	s.probe(t, "after-cancel-"+marker)
	if got := s.events.containing(`"` + marker + `"`); len(got) > 0 {
		t.Errorf("the stalled body was delivered: %s", got[0])
	}
}

// rateLimit sends, from one client address, 20 posts to an unknown token
// and 3 oversize bodies (which must not use up its budget: 404 and 413),
// then 11 good form posts at once. With the default -form-rate (1/s,
// burst 10; the queue-mode server) the first 10 are accepted and the 11th
// is refused with 429; with -form-rate 0 (the sync-mode server) all are
// accepted.
func rateLimit(t *testing.T, s *server, marker string) {
	addr := s.nextClientAddr()
	hdr := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": addr}
	c := hcase{path: "/hooks/form/{form}", header: hdr, body: jsonBody("m=MARKER")}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mistakes := []struct {
		c    hcase
		n    int
		want int
	}{
		{hcase{path: "/hooks/form/abcdefghijklmnopqrstuvwxyz234567", header: hdr, body: jsonBody("m=MARKER")}, 20, http.StatusNotFound},
		{hcase{path: "/hooks/form/{form}", header: hdr, body: padded("m=MARKER&big=", "", 2*mib)}, 2, http.StatusRequestEntityTooLarge},
		{hcase{path: "/hooks/form/{form}", header: hdr, body: padded("m=MARKER&big=", "", 2*mib), chunked: true}, 1, http.StatusRequestEntityTooLarge},
	}
	for _, m := range mistakes {
		for i := range m.n {
			r, err := s.send(ctx, m.c, marker)
			if err != nil {
				t.Fatalf("mistake %d: %v", i+1, err)
			}
			if r.status != m.want {
				t.Fatalf("mistake %d (%s): got %d (%s), want %d", i+1, m.c.path, r.status, r.body, m.want)
			}
		}
	}
	if s.mode == "sync" { // -form-rate 0
		for i := range 30 {
			r, err := s.send(ctx, c, marker)
			if err != nil {
				t.Fatalf("post %d: %v", i+1, err)
			}
			if r.status != http.StatusAccepted {
				t.Fatalf("post %d with -form-rate 0: got %d (%s), want 202", i+1, r.status, r.body)
			}
		}
		return
	}
	for i := range 10 {
		r, err := s.send(ctx, c, marker)
		if err != nil {
			t.Fatalf("post %d: %v", i+1, err)
		}
		if r.status != http.StatusAccepted {
			t.Fatalf("post %d of the burst: got %d (%s), want 202", i+1, r.status, r.body)
		}
	}
	r, err := s.send(ctx, c, marker)
	if err != nil {
		t.Fatalf("post 11: %v", err)
	}
	checkAnswer(t, r, http.StatusTooManyRequests, "rate_limited", nil)
	if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After: got %q, want a positive number of seconds", ra)
	}
}

// nestedMultipart posts a 5000-level nested multipart email (about 340
// KB): parsing must stay linear in the input (emailhook's # Security
// promise), so the answer (202, or 400 malformed_message) must come
// within 2s. Each Read of go-message's innermost part goes through every
// enclosing multipart reader, which makes the parse quadratic: 4000 levels
// took 3.2s and 10000 levels 37s on the machine this was written on.
func nestedMultipart(t *testing.T, s *server, marker string) {
	const budget = 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	c := hcase{path: "/hooks/email", header: map[string]string{"Content-Type": "message/rfc822", "X-Envelope-To": "{email}@{domain}"},
		body: func(_ *server, m string) []byte { return nestedMIME(5000, m) }}
	began := time.Now()
	r, err := s.send(ctx, c, marker)
	if err != nil {
		t.Fatalf("5000 nested multipart levels: no answer within %v (%v): the MIME parse is not linear in the input", budget, err)
	}
	t.Logf("answered %d in %v", r.status, time.Since(began).Round(time.Millisecond))
	if r.status == http.StatusAccepted {
		checkAnswer(t, r, http.StatusAccepted, "", nil)
		return
	}
	checkAnswer(t, r, http.StatusBadRequest, "malformed_message", nil)
}

// ---- the table ----

func cases(remoteHits *atomic.Int64, secret string) []hcase {
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	formJSON := map[string]string{"Content-Type": "application/json"}
	multi := map[string]string{"Content-Type": "multipart/form-data; boundary=b"}
	multiNamed := map[string]string{"Content-Type": "multipart/form-data; boundary=hardening-boundary"}
	web := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer {key}"}
	mail := map[string]string{"Content-Type": "message/rfc822", "X-Envelope-To": "{email}@{domain}"}
	with := func(h map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range h {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(out, kv[i])
				continue
			}
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	good := `{"m":"MARKER"}`
	allowForm := map[string]string{"Allow": "OPTIONS, POST"}
	allowPost := map[string]string{"Allow": "POST"}
	bearer := map[string]string{"WWW-Authenticate": "Bearer"}
	fffd := "\uFFFD\uFFFDok"

	return []hcase{
		// Oversized bodies: 413 whether the length is announced or not.
		{name: "form oversized with Content-Length", path: "/hooks/form/{form}", header: form,
			body: padded("m=MARKER&big=", "", 2*mib), status: 413, code: "payload_too_large"},
		{name: "form oversized chunked", path: "/hooks/form/{form}", header: form, chunked: true,
			body: padded("m=MARKER&big=", "", 2*mib), status: 413, code: "payload_too_large"},
		{name: "webhook oversized with Content-Length", path: "/hooks/web/{web}", header: web,
			body: padded(`{"m":"MARKER","big":"`, `"}`, 2*mib), status: 413, code: "payload_too_large"},
		{name: "webhook oversized chunked", path: "/hooks/web/{web}", header: web, chunked: true,
			body: padded(`{"m":"MARKER","big":"`, `"}`, 2*mib), status: 413, code: "payload_too_large"},
		{name: "webhook oversized without a key is 401 first", path: "/hooks/web/{web}", header: with(web, "Authorization", ""),
			body: padded(`{"m":"MARKER","big":"`, `"}`, 2*mib), status: 401, code: "unauthorized", wantHeader: bearer},
		{name: "body exactly at the limit is accepted", path: "/hooks/web/{web}", header: web,
			body: func(_ *server, marker string) []byte {
				head, tailPart := `{"m":"`+marker+`","pad":"`, `"}`
				return padded(head, tailPart, mib-len(head)-len(tailPart))(nil, marker)
			},
			status: 202, event: wantData("m", "MARKER")},

		// Slow bodies (ReadTimeout is 60s: a slow body that finishes is
		// served; one the client abandons leaves the server serving).
		{name: "slow body that finishes", custom: slowBody},
		{name: "stalled body abandoned by the client", custom: stalledBody},

		// Malformed JSON.
		{name: "webhook malformed JSON", path: "/hooks/web/{web}", header: web,
			body: jsonBody(`{"m":"MARKER",`), status: 400, code: "malformed_body"},
		{name: "form hook malformed JSON", path: "/hooks/form/{form}", header: formJSON,
			body: jsonBody(`{"m":"MARKER"`), status: 400, code: "malformed_body"},
		{name: "JSON with trailing data", path: "/hooks/web/{web}", header: web,
			body: jsonBody(`{"m":"MARKER"}{"n":1}`), status: 400, code: "malformed_body"},
		{name: "empty JSON body", path: "/hooks/web/{web}", header: web,
			body: jsonBody(""), status: 400, code: "malformed_body"},
		{name: "JSON with a lone surrogate escape", path: "/hooks/web/{web}", header: web,
			body: jsonBody(`{"m":"MARKER","v":"\ud800ok"}`), status: 202,
			event: wantData("v", "\uFFFDok")},

		// Deep nesting.
		{name: "10000-deep JSON arrays", path: "/hooks/web/{web}", header: web,
			body: deepArrays(10000), status: 400, code: "nesting_too_deep"},
		{name: "10000-deep JSON objects", path: "/hooks/form/{form}", header: formJSON,
			body: deepObjects(10000), status: 400, code: "nesting_too_deep"},
		{name: "deep form key", path: "/hooks/form/{form}", header: form,
			body: jsonBody("m=MARKER&a" + strings.Repeat("[b]", 200) + "=x"), status: 400, code: "nesting_too_deep"},

		// Form allocation bombs.
		{name: "form array-index bomb", path: "/hooks/form/{form}", header: form,
			body: jsonBody("m=MARKER&a[99999999]=x"), status: 400, code: "array_index_too_large"},
		{name: "form array-index bomb in multipart", path: "/hooks/form/{form}", header: multiNamed,
			body: multipartBody("m", "MARKER", "a[99999999]", "x"), status: 400, code: "array_index_too_large"},
		{name: "form sparse-array gap bomb", path: "/hooks/form/{form}", header: form,
			body: repeatFields(600, "a%d[1000]=x"), status: 400, code: "array_index_too_large"},
		{name: "10000 multipart parts", path: "/hooks/form/{form}", header: multi,
			body: manyParts(10000), status: 413, code: "too_many_fields"},
		{name: "10000 urlencoded fields", path: "/hooks/web/{web}", header: with(web, "Content-Type", "application/x-www-form-urlencoded"),
			body: repeatFields(10000, "f%d=v"), status: 413, code: "too_many_fields"},
		{name: "multipart without its boundary", path: "/hooks/form/{form}", header: with(multi, "Content-Type", "multipart/form-data; boundary=zzz"),
			body: manyParts(3), status: 400, code: "malformed_body"},
		{name: "multipart with no boundary parameter", path: "/hooks/form/{form}", header: with(multi, "Content-Type", "multipart/form-data"),
			body: manyParts(3), status: 400, code: "malformed_body"},
		{name: "form with a bad percent-escape", path: "/hooks/form/{form}", header: form,
			body: jsonBody("m=MARKER&v=%zz"), status: 400, code: "malformed_body"},

		// Invalid UTF-8: accepted, each invalid byte replaced by U+FFFD
		// (hooks.DecodeBody: "invalid UTF-8 is accepted, as encoding/json
		// does"; forms are not validated and the event's JSON replaces).
		{name: "invalid UTF-8 in JSON", path: "/hooks/web/{web}", header: web,
			body: jsonBody("{\"m\":\"MARKER\",\"v\":\"\xff\xfeok\"}"), status: 202, event: wantData("m", "MARKER", "v", fffd)},
		{name: "invalid UTF-8 in a JSON key", path: "/hooks/web/{web}", header: web,
			body: jsonBody("{\"m\":\"MARKER\",\"\xffk\":\"v\"}"), status: 202, event: wantData("\uFFFDk", "v")},
		{name: "invalid UTF-8 in form values (escaped)", path: "/hooks/form/{form}", header: form,
			body: jsonBody("m=MARKER&v=%FF%FEok"), status: 202, event: wantData("m", "MARKER", "v", fffd)},
		{name: "invalid UTF-8 in form values (raw)", path: "/hooks/form/{form}", header: form,
			body: jsonBody("m=MARKER&v=\xff\xfeok"), status: 202, event: wantData("m", "MARKER", "v", fffd)},
		{name: "invalid UTF-8 in a multipart value", path: "/hooks/form/{form}", header: multiNamed,
			body: multipartBody("m", "MARKER", "v", "\xff\xfeok"), status: 202, event: wantData("m", "MARKER", "v", fffd)},
		{name: "latin-1 form charset honoured", path: "/hooks/form/{form}", header: with(form, "Content-Type", "application/x-www-form-urlencoded; charset=iso-8859-1"),
			body: jsonBody("m=MARKER&v=%E9t%E9"), status: 202, event: wantData("v", "été")},

		// Content types.
		{name: "form hook text/plain", path: "/hooks/form/{form}", header: with(form, "Content-Type", "text/plain"),
			body: jsonBody("m=MARKER"), status: 202, event: wantData("text", "m=MARKER")},
		{name: "form hook text/html", path: "/hooks/form/{form}", header: with(form, "Content-Type", "text/html"),
			body: jsonBody("m=MARKER"), status: 415, code: "unsupported_media_type"},
		{name: "webhook XML", path: "/hooks/web/{web}", header: with(web, "Content-Type", "application/xml"),
			body: jsonBody("<m>MARKER</m>"), status: 202, event: wantData("m", "MARKER")},
		{name: "webhook XML with entity declarations", path: "/hooks/web/{web}", header: with(web, "Content-Type", "application/xml"),
			body: jsonBody(`<!DOCTYPE m [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><m>MARKER&b;</m>`), status: 400, code: "xml_dtd_not_allowed"},
		{name: "webhook XML nested too deep", path: "/hooks/web/{web}", header: with(web, "Content-Type", "text/xml"),
			body: jsonBody(strings.Repeat("<m>", 200) + "MARKER" + strings.Repeat("</m>", 200)), status: 400, code: "nesting_too_deep"},
		{name: "webhook without Content-Type", path: "/hooks/web/{web}", header: with(web, "Content-Type", ""),
			body: jsonBody(good), status: 415, code: "unsupported_media_type"},
		{name: "unparsable Content-Type", path: "/hooks/web/{web}", header: with(web, "Content-Type", "application/json; ;=;"),
			body: jsonBody(good), status: 415, code: "unsupported_media_type"},
		{name: "unknown JSON charset", path: "/hooks/web/{web}", header: with(web, "Content-Type", "application/json; charset=utf-7"),
			body: jsonBody(good), status: 415, code: "unsupported_charset"},
		{name: "unknown form charset", path: "/hooks/form/{form}", header: with(form, "Content-Type", "application/x-www-form-urlencoded; charset=x-bogus"),
			body: jsonBody("m=MARKER"), status: 415, code: "unsupported_charset"},
		{name: "email as application/json", path: "/hooks/email", header: with(mail, "Content-Type", "application/json"),
			body: jsonBody(good), status: 415, code: "unsupported_media_type"},

		// Methods.
		{name: "GET a form hook", method: http.MethodGet, path: "/hooks/form/{form}",
			status: 405, code: "method_not_allowed", wantHeader: allowForm},
		{name: "PUT a form hook", method: http.MethodPut, path: "/hooks/form/{form}", header: form,
			body: jsonBody("m=MARKER"), status: 405, code: "method_not_allowed", wantHeader: allowForm},
		{name: "GET a webhook", method: http.MethodGet, path: "/hooks/web/{web}",
			status: 405, code: "method_not_allowed", wantHeader: allowPost},
		{name: "DELETE a webhook", method: http.MethodDelete, path: "/hooks/web/{web}", header: web,
			status: 405, code: "method_not_allowed", wantHeader: allowPost},
		{name: "GET the email endpoint", method: http.MethodGet, path: "/hooks/email",
			status: 405, code: "method_not_allowed", wantHeader: allowPost},

		// Tokens.
		{name: "unknown form token", path: "/hooks/form/abcdefghijklmnopqrstuvwxyz", header: form,
			body: jsonBody("m=MARKER"), status: 404, code: "not_found"},
		{name: "unknown webhook token", path: "/hooks/web/abcdefghijklmnopqrstuvwxyz", header: web,
			body: jsonBody(good), status: 404, code: "not_found"},
		{name: "disabled form hook", path: "/hooks/form/{disabledForm}", header: form,
			body: jsonBody("m=MARKER"), status: 404, code: "not_found"},
		{name: "disabled webhook", path: "/hooks/web/{disabledWeb}", header: web,
			body: jsonBody(good), status: 404, code: "not_found"},
		{name: "rotated form hook's old token", path: "/hooks/form/{rotatedForm}", header: form,
			body: jsonBody("m=MARKER"), status: 404, code: "not_found"},
		{name: "rotated form hook's new token works", path: "/hooks/form/{rotatedFormNew}", header: form,
			body: jsonBody("m=MARKER"), status: 202, event: wantData("m", "MARKER")},
		{name: "rotated webhook's old token", path: "/hooks/web/{rotatedWeb}", header: web,
			body: jsonBody(good), status: 404, code: "not_found"},
		{name: "webhook token used on the form path", path: "/hooks/form/{web}", header: form,
			body: jsonBody("m=MARKER"), status: 404, code: "not_found"},
		{name: "token with an extra path segment", path: "/hooks/web/{web}/extra", header: web,
			body: jsonBody(good), status: 404, code: "not_found"},
		{name: "over-long token", path: "/hooks/web/" + strings.Repeat("a", 5000), header: web,
			body: jsonBody(good), status: 404, code: "not_found"},
		{name: "token with escaped punctuation", path: "/hooks/form/..%2F..%2Fadmin", header: form,
			body: jsonBody("m=MARKER"), status: 404, code: "not_found"},
		{name: "email to an unknown recipient over HTTP", path: "/hooks/email", header: with(mail, "X-Envelope-To", "nobody@{domain}"),
			body: ldMessage(`"https://schema.org"`), status: 404, code: "not_found"},
		{name: "email to another domain over HTTP", path: "/hooks/email", header: with(mail, "X-Envelope-To", "{email}@elsewhere.example"),
			body: ldMessage(`"https://schema.org"`), status: 404, code: "not_found"},
		{name: "email to a disabled hook over HTTP", path: "/hooks/email", header: with(mail, "X-Envelope-To", "{disabledEmail}@{domain}"),
			body: ldMessage(`"https://schema.org"`), status: 404, code: "not_found"},
		{name: "email to a rotated hook's old address over HTTP", path: "/hooks/email", header: with(mail, "X-Envelope-To", "{rotatedEmail}@{domain}"),
			body: ldMessage(`"https://schema.org"`), status: 404, code: "not_found"},
		{name: "email with 200000 header fields over HTTP", path: "/hooks/email", header: mail,
			body: manyHeaders(200000), status: 400, code: "malformed_message"},
		{name: "email without a recipient over HTTP", path: "/hooks/email", header: with(mail, "X-Envelope-To", ""),
			body: ldMessage(`"https://schema.org"`), status: 400, code: "recipient_required"},

		// API keys.
		{name: "webhook without a key", path: "/hooks/web/{web}", header: with(web, "Authorization", ""),
			body: jsonBody(good), status: 401, code: "unauthorized", wantHeader: bearer},
		{name: "webhook with a bad key", path: "/hooks/web/{web}", header: with(web, "Authorization", "Bearer not-a-key"),
			body: jsonBody(good), status: 401, code: "unauthorized", wantHeader: bearer},
		{name: "webhook with a key in another scheme", path: "/hooks/web/{web}", header: with(web, "Authorization", "Basic {key}"),
			body: jsonBody(good), status: 401, code: "unauthorized", wantHeader: bearer},
		{name: "webhook with an over-long key", path: "/hooks/web/{web}", header: with(web, "Authorization", "Bearer "+strings.Repeat("k", 8000)),
			body: jsonBody(good), status: 401, code: "unauthorized", wantHeader: bearer},
		{name: "webhook with a revoked key", path: "/hooks/web/{web}", header: with(web, "Authorization", "Bearer {revokedKey}"),
			body: jsonBody(good), status: 401, code: "unauthorized", wantHeader: bearer},
		{name: "webhook with a key without the role", path: "/hooks/web/{web}", header: with(web, "Authorization", "Bearer {noRoleKey}"),
			body: jsonBody(good), status: 403, code: "forbidden"},

		// Form rate limit (the cases above each post from their own address).
		{name: "form burst from one address", custom: rateLimit},

		// JSON-LD contexts that must not be fetched or read.
		{name: "JSON-LD remote @context over HTTP", path: "/hooks/email", header: mail,
			body: ldMessage(`"{remoteContext}"`), status: 202, event: wantUnnormalized(remoteHits, secret, "{remoteContext}")},
		{name: "JSON-LD remote @context over SMTP",
			smtp:  &smtpCase{rcpt: "{email}@{domain}", data: ldMessage(`"{remoteContext}"`), dataCode: 250},
			event: wantUnnormalized(remoteHits, secret, "{remoteContext}")},
		{name: "JSON-LD file @context over HTTP", path: "/hooks/email", header: mail,
			body: ldMessage(`"{fileContext}"`), status: 202, event: wantUnnormalized(remoteHits, secret, "{fileContext}")},
		{name: "JSON-LD file @context over SMTP",
			smtp:  &smtpCase{rcpt: "{email}@{domain}", data: ldMessage(`"{fileContext}"`), dataCode: 250},
			event: wantUnnormalized(remoteHits, secret, "{fileContext}")},
		{name: "JSON-LD schema.org beside a remote @context", path: "/hooks/email", header: mail,
			body: ldMessage(`["https://schema.org","{remoteContext}"]`), status: 202,
			event: func(t *testing.T, _ *server, _ string, e eventLine, raw string) {
				if n := remoteHits.Load(); n != 0 {
					t.Errorf("remote @context requests: got %d, want 0", n)
				}
				if e.Email == nil || !slices.ContainsFunc(e.Email.Warnings, func(w string) bool { return strings.Contains(w, "@context") }) {
					t.Errorf("want an @context warning, got %s", tail(raw, 500))
				}
			}},

		// Hostile HTML.
		{name: "100000 nested tags around JSON-LD over HTTP", path: "/hooks/email", header: mail,
			body: nestedMessage(100000), status: 202, event: wantOrder},
		{name: "100000 nested tags around JSON-LD over SMTP",
			smtp:  &smtpCase{rcpt: "{email}@{domain}", data: nestedMessage(100000), dataCode: 250},
			event: wantOrder},

		// Oversized email.
		{name: "30 MiB email over HTTP with Content-Length", path: "/hooks/email", header: mail,
			body: hugeMessage(30 * mib), status: 413, code: "payload_too_large"},
		{name: "30 MiB email over HTTP chunked", path: "/hooks/email", header: mail, chunked: true,
			body: hugeMessage(30 * mib), status: 413, code: "payload_too_large"},
		{name: "email just under the limit over HTTP", path: "/hooks/email", header: mail,
			body: hugeMessage(emailLimit - 4096), status: 202,
			event: func(t *testing.T, _ *server, _ string, e eventLine, raw string) {
				if e.Email == nil || e.Kind != "email" {
					t.Errorf("want an email event, got %s", tail(raw, 300))
				}
			}},
		{name: "30 MiB email over SMTP",
			smtp: &smtpCase{rcpt: "{email}@{domain}", data: hugeMessage(30 * mib), dataCode: 552}},

		// SMTP recipients.
		{name: "SMTP unknown recipient", smtp: &smtpCase{rcpt: "nobody@{domain}", rcptCode: 550}},
		{name: "SMTP recipient in another domain", smtp: &smtpCase{rcpt: "{email}@elsewhere.example", rcptCode: 550}},
		{name: "SMTP disabled hook", smtp: &smtpCase{rcpt: "{disabledEmail}@{domain}", rcptCode: 550}},
		{name: "SMTP rotated hook's old address", smtp: &smtpCase{rcpt: "{rotatedEmail}@{domain}", rcptCode: 550}},
		{name: "SMTP webhook token as recipient", smtp: &smtpCase{rcpt: "{web}@{domain}", rcptCode: 550}},

		// Mail that is sloppy but readable: the broken part is skipped with
		// a warning, the rest delivered (issue 15, item 2).
		{name: "email with bad base64 in one part over HTTP", path: "/hooks/email", header: mail,
			body: brokenPartMessage("bad-base64"), status: 202, event: wantOrderAndWarning},
		{name: "email with an unknown transfer encoding over HTTP", path: "/hooks/email", header: mail,
			body: brokenPartMessage("unknown-cte"), status: 202, event: wantOrderAndWarning},
		{name: "email with a truncated multipart over HTTP", path: "/hooks/email", header: mail,
			body: brokenPartMessage("truncated"), status: 202, event: wantOrderAndWarning},
		{name: "email with bad base64 in one part over SMTP",
			smtp:  &smtpCase{rcpt: "{email}@{domain}", data: brokenPartMessage("bad-base64"), dataCode: 250},
			event: wantOrderAndWarning},
		{name: "email with an unknown transfer encoding over SMTP",
			smtp:  &smtpCase{rcpt: "{email}@{domain}", data: brokenPartMessage("unknown-cte"), dataCode: 250},
			event: wantOrderAndWarning},
		{name: "email with a truncated multipart over SMTP",
			smtp:  &smtpCase{rcpt: "{email}@{domain}", data: brokenPartMessage("truncated"), dataCode: 250},
			event: wantOrderAndWarning},

		// Bounded storage per public post (issue 15, item 6).
		{name: "form posts with a 1 MB header and a 1 MB upload", custom: boundedPosts},

		// MIME nesting (last: while it fails, the server keeps parsing in
		// the background after the client gives up).
		{name: "email with 5000 nested multipart levels", custom: nestedMultipart},
	}
}
