package debuglog

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store"
)

// Defaults of Options.
const (
	DefaultKeep    = 10        // entries kept per hook
	DefaultMaxBody = 64 << 10  // bytes of body kept per entry
	DefaultMaxData = 256 << 10 // bytes of encoded decoded data kept per entry
	DefaultBuffer  = 256       // interactions waiting to be written
	DefaultTimeout = 5 * time.Second
)

// EncodingBase64 is Entry.Encoding for a body that is not valid UTF-8.
const EncodingBase64 = "base64"

// Options configures a Log. The zero value works.
type Options struct {
	// Keep is how many entries are kept per hook, newest first; 0 means
	// DefaultKeep (10).
	Keep int
	// MaxBody is how many bytes of a body an entry keeps; longer bodies
	// are cut and marked BodyTruncated, with BodySize the original size.
	// 0 means DefaultMaxBody (64 KiB).
	MaxBody int
	// MaxData is the largest decoded data, encoded as JSON, an entry
	// keeps; larger data is left out and marked DataOmitted. 0 means
	// DefaultMaxData (256 KiB).
	MaxData int
	// Buffer is the length of the queue between Record and the writer;
	// an interaction recorded while it is full is dropped. 0 means
	// DefaultBuffer (256).
	Buffer int
	// RedactFields lists the words of secret-like field names: a body
	// field or data member whose name, lowercased and with everything but
	// letters and digits removed ("api_key" and "apiKey" are "apikey"),
	// contains one of them has its value replaced by hooks.Redacted in the
	// recorded body and data. Nested names match by any part
	// ("user[password]"). nil means the default words: password, passwd,
	// passphrase, secret, token, apikey, accesskey, privatekey,
	// authorization, cardnumber, ccnumber, creditcard, cvv, cvc and ssn.
	// An empty, non-nil list turns this redaction off. The Trigger always
	// gets the event as it came; only the debug log is redacted.
	RedactFields []string
	// Timeout bounds each store write; 0 means DefaultTimeout (5s).
	Timeout time.Duration
	// Logger receives write failures (never bodies or headers); nil
	// discards them.
	Logger *slog.Logger
	// Now returns the current time, used for entry IDs; nil means
	// time.Now.
	Now func() time.Time
}

// Entry is one recorded interaction, as the admin API returns it.
type Entry struct {
	ID         string      `json:"id"` // unique and time-sortable
	Time       time.Time   `json:"time"`
	RemoteAddr string      `json:"remote_addr"`
	Method     string      `json:"method"`
	Path       string      `json:"path"`
	Status     int         `json:"status"`
	Outcome    string      `json:"outcome"`          // one of the hooks.Outcome constants
	Reason     string      `json:"reason,omitempty"` // the error code or drop reason
	Headers    http.Header `json:"headers"`          // redacted, at most 16 KiB
	// HeadersDropped and HeaderBytesDropped count the header values, and
	// their bytes, left out of Headers to keep it within 16 KiB (see
	// hooks.Event.Header).
	HeadersDropped     int `json:"headers_dropped,omitempty"`
	HeaderBytesDropped int `json:"header_bytes_dropped,omitempty"`
	// Body is the body as text, or base64 when Encoding is "base64".
	Body          string `json:"body"`
	Encoding      string `json:"encoding,omitempty"`
	BodyTruncated bool   `json:"body_truncated"`
	BodySize      int    `json:"body_size"` // the size received, before any cut
	// Data is the decoded data as JSON, or null when decoding did not get
	// that far.
	Data         json.RawMessage `json:"data"`
	DataOmitted  bool            `json:"data_omitted,omitempty"` // Data was larger than MaxData
	EventID      string          `json:"event_id,omitempty"`
	TriggerError string          `json:"trigger_error,omitempty"`
	DurationMS   float64         `json:"duration_ms"`
}

// item is what the queue carries: an interaction to write, or a flush
// marker to close once everything before it is written.
type item struct {
	in    *hooks.Interaction
	flush chan struct{}
}

// Log records interactions of debug-on hooks in a store.DebugStore and
// reads them back. It implements hooks.Recorder. Its methods are safe for
// concurrent use.
type Log struct {
	store   store.DebugStore
	keep    int
	maxBody int
	maxData int
	redact  *redactor
	timeout time.Duration
	log     *slog.Logger
	now     func() time.Time
	ids     hooks.IDGenerator

	mu     sync.RWMutex // guards closed and sends on queue
	closed bool
	queue  chan item

	dropped atomic.Uint64
	done    chan struct{} // closed when the writer exits
	base    context.Context
	cancel  context.CancelFunc
}

var _ hooks.Recorder = (*Log)(nil)

// New returns a Log over s and starts its background writer; call Close
// to stop it.
func New(s store.DebugStore, opts Options) (*Log, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: store is nil", ErrInvalid)
	}
	if opts.Keep < 0 || opts.MaxBody < 0 || opts.MaxData < 0 || opts.Buffer < 0 || opts.Timeout < 0 {
		return nil, fmt.Errorf("%w: Keep, MaxBody, MaxData, Buffer and Timeout must not be negative", ErrInvalid)
	}
	l := &Log{
		store: s, keep: opts.Keep, maxBody: opts.MaxBody, maxData: opts.MaxData, redact: newRedactor(opts.RedactFields),
		timeout: opts.Timeout, log: opts.Logger, now: opts.Now, done: make(chan struct{}),
	}
	if l.keep == 0 {
		l.keep = DefaultKeep
	}
	if l.maxBody == 0 {
		l.maxBody = DefaultMaxBody
	}
	if l.maxData == 0 {
		l.maxData = DefaultMaxData
	}
	if l.timeout == 0 {
		l.timeout = DefaultTimeout
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if l.now == nil {
		l.now = time.Now
	}
	buf := opts.Buffer
	if buf == 0 {
		buf = DefaultBuffer
	}
	l.queue = make(chan item, buf)
	l.base, l.cancel = context.WithCancel(context.Background())
	go l.run()
	return l, nil
}

// Keep returns how many entries the Log keeps per hook.
func (l *Log) Keep() int { return l.keep }

// Record queues in to be written. It never blocks: when the queue is full
// or the Log is closed, in is dropped and Dropped counts it. ctx is not
// used for the write, which outlives the request.
func (l *Log) Record(ctx context.Context, in *hooks.Interaction) {
	if in == nil || in.Hook == nil {
		return
	}
	// TryRLock fails only while Close holds or waits for the lock: drop
	// rather than wait.
	if !l.mu.TryRLock() {
		l.dropped.Add(1)
		return
	}
	defer l.mu.RUnlock()
	if l.closed {
		l.dropped.Add(1)
		return
	}
	select {
	case l.queue <- item{in: in}:
	default:
		l.dropped.Add(1)
	}
}

// Dropped returns how many interactions were not recorded: queue full,
// store error, encoding error or recorded after Close.
func (l *Log) Dropped() uint64 { return l.dropped.Load() }

// Flush waits until every interaction recorded before it was written (or
// dropped), or until ctx is done.
func (l *Log) Flush(ctx context.Context) error {
	ch := make(chan struct{})
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ErrClosed
	}
	select {
	case l.queue <- item{flush: ch}:
		l.mu.RUnlock()
	case <-ctx.Done():
		l.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting interactions, writes those already queued, and
// stops the writer. If ctx ends first, the write in progress is cancelled,
// what is left is dropped, and ctx.Err() is returned. Close is idempotent.
func (l *Log) Close(ctx context.Context) error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.queue)
	}
	l.mu.Unlock()
	select {
	case <-l.done:
		l.cancel()
		return nil
	case <-ctx.Done():
		l.cancel()
		<-l.done
		return ctx.Err()
	}
}

func (l *Log) run() {
	defer close(l.done)
	for it := range l.queue {
		if it.flush != nil {
			close(it.flush)
			continue
		}
		if l.base.Err() != nil {
			l.dropped.Add(1)
			continue
		}
		l.write(it.in)
	}
}

func (l *Log) write(in *hooks.Interaction) {
	e := l.build(in)
	data, err := json.Marshal(e)
	if err != nil {
		l.dropped.Add(1)
		l.log.Warn("debuglog: encode entry", "hook", in.Hook.ID, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(l.base, l.timeout)
	defer cancel()
	rec := &store.DebugEntry{ID: e.ID, HookID: in.Hook.ID, Time: e.Time, Data: data}
	if err := l.store.AppendDebug(ctx, rec, l.keep); err != nil {
		l.dropped.Add(1)
		l.log.Warn("debuglog: store entry", "hook", in.Hook.ID, "err", err)
	}
}

// build turns an interaction into an Entry, redacting the headers once
// more and the secret-like fields of the body and data, then capping and
// encoding the body.
func (l *Log) build(in *hooks.Interaction) *Entry {
	e := &Entry{
		ID: l.ids.New(l.now()), Time: in.Time.UTC(), RemoteAddr: in.RemoteAddr, Method: in.Method,
		Path: in.Path, Status: in.Status, Outcome: in.Outcome, Reason: in.Reason,
		Headers: hooks.RedactHeader(in.Header), HeadersDropped: in.HeadersDropped, HeaderBytesDropped: in.HeaderBytesDropped,
		BodySize: len(in.Body), EventID: in.EventID,
		TriggerError: in.TriggerErr, DurationMS: float64(in.Duration) / float64(time.Millisecond),
		Data: json.RawMessage("null"),
	}
	body := l.redact.body(in.Header.Get("Content-Type"), in.Body)
	e.Body, e.Encoding, e.BodyTruncated = capBody(body, l.maxBody)
	if in.Data != nil {
		b, err := json.Marshal(in.Data)
		switch {
		case err != nil:
			e.DataOmitted = true
		case len(b) > l.maxData:
			e.DataOmitted = true
		default:
			e.Data = l.redact.data(b)
		}
	}
	return e
}

// capBody returns body (cut to max bytes) as text when it is valid UTF-8,
// else base64. A UTF-8 body is cut at a character boundary.
func capBody(body []byte, max int) (text, encoding string, truncated bool) {
	if len(body) > max {
		cut := body[:max]
		if !utf8.Valid(cut) {
			// The cut may have split a character: back off to its start when
			// the bytes after the cut complete it.
			for i := 1; i < utf8.UTFMax && i <= len(cut); i++ {
				start := len(cut) - i
				if r, _ := utf8.DecodeRune(body[start:]); r != utf8.RuneError && utf8.Valid(cut[:start]) {
					cut = cut[:start]
					break
				}
			}
		}
		if utf8.Valid(cut) {
			return string(cut), "", true
		}
		return base64.StdEncoding.EncodeToString(body[:max]), EncodingBase64, true
	}
	if utf8.Valid(body) {
		return string(body), "", false
	}
	return base64.StdEncoding.EncodeToString(body), EncodingBase64, false
}

// Entries returns the hook's entries, newest first. Callers check that the
// hook belongs to the caller's org: entries are stored by hook ID.
func (l *Log) Entries(ctx context.Context, hookID string) ([]Entry, error) {
	recs, err := l.store.ListDebug(ctx, hookID)
	if err != nil {
		return nil, fmt.Errorf("debuglog: list entries: %w", err)
	}
	out := make([]Entry, 0, len(recs))
	for _, rec := range recs {
		var e Entry
		if err := json.Unmarshal(rec.Data, &e); err != nil {
			l.log.Warn("debuglog: undecodable entry", "hook", hookID, "entry", rec.ID, "err", err)
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// Entry returns one of the hook's entries, or ErrNotFound.
func (l *Log) Entry(ctx context.Context, hookID, id string) (*Entry, error) {
	rec, err := l.store.GetDebug(ctx, hookID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("debuglog: get entry: %w", err)
	}
	var e Entry
	if err := json.Unmarshal(rec.Data, &e); err != nil {
		return nil, fmt.Errorf("debuglog: decode entry %s: %w", id, err)
	}
	return &e, nil
}

// Clear removes all of the hook's entries.
func (l *Log) Clear(ctx context.Context, hookID string) error {
	if err := l.store.ClearDebug(ctx, hookID); err != nil {
		return fmt.Errorf("debuglog: clear entries: %w", err)
	}
	return nil
}

// RawBody returns the body bytes an entry kept (decoding base64 when
// Encoding says so).
func (e *Entry) RawBody() ([]byte, error) {
	if e.Encoding == EncodingBase64 {
		return base64.StdEncoding.DecodeString(e.Body)
	}
	return []byte(e.Body), nil
}
