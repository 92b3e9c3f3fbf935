package hooks

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/internal/baseline"
)

// viaStdlib round-trips v through encoding/json, decoding numbers as
// json.Number: what appendData must agree with.
func viaStdlib(t *testing.T, v any) (any, bool) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	return decodeNumbers(t, b), true
}

func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return out
}

func TestAppendData(t *testing.T) {
	tests := []struct {
		name string
		v    any
		ok   bool
	}{
		{"null", nil, true},
		{"bools", []any{true, false}, true},
		{"escapes", "a\"b\\c\n\r\t\x00\x1f\x7f<>&\u2028é", true},
		{"invalid UTF-8", "a\xffb\xc3", true},
		{"numbers", []any{json.Number("0"), json.Number("-1.5e+3"), json.Number("123456789012345678901234567890")}, true},
		{"empty number", json.Number(""), true},
		{"bad number", json.Number("1x"), false},
		{"leading zero", json.Number("01"), false},
		{"nested", map[string]any{"a": map[string]any{"b": []any{map[string]any{}, []any{}}}, "": "empty key"}, true},
		{"other types", map[string]any{"f": 1.5, "i": 7, "s": []string{"x"}}, true},
		{"unencodable", map[string]any{"c": make(chan int)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := appendData(nil, tt.v, 0)
			if !tt.ok {
				if err == nil {
					t.Fatalf("got %q, want an error", b)
				}
				return
			}
			if err != nil {
				t.Fatalf("appendData: %v", err)
			}
			want, _ := viaStdlib(t, tt.v)
			if got := decodeNumbers(t, b); !reflect.DeepEqual(got, want) {
				t.Fatalf("got %#v, want %#v (encoded %q)", got, want, b)
			}
		})
	}
}

func TestAppendDataTooDeep(t *testing.T) {
	var v any = "x"
	for range maxDataDepth + 2 {
		v = []any{v}
	}
	if _, err := appendData(nil, v, 0); err == nil {
		t.Fatal("got nil, want an error for data nested too deep")
	}
}

// FuzzAppendData checks that appendData writes what encoding/json
// writes, byte for byte, for any decoded JSON document and any string.
func FuzzAppendData(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x",null,true,{"b":-0.5e3}]}`, `"\u0000\ud800"`, `[]`, "\"\xff\"", `{"":{"":""}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		// Any string, even invalid UTF-8.
		s := string(in)
		b, err := appendData(nil, s, 0)
		if err != nil {
			t.Fatalf("appendData(string): %v", err)
		}
		if want, _ := json.Marshal(s); !bytes.Equal(b, want) {
			t.Fatalf("string %q: got %s, want %s", s, b, want)
		}
		// Any JSON document, decoded as the decoders do.
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		b, err = appendData(nil, v, 0)
		if err != nil {
			t.Fatalf("appendData(%q): %v", in, err)
		}
		if want, _ := json.Marshal(v); !bytes.Equal(b, want) {
			t.Fatalf("document %q: got %s, want %s", in, b, want)
		}
	})
}

// BenchmarkEncodeEvent compares the queue's payload encoding with plain
// json.Marshal of the same event (1 KiB JSON body, decoded as the JSON
// decoder does).
func BenchmarkEncodeEvent(b *testing.B) {
	raw := []byte(`{"order_id":12345678901,"email":"buyer@example.com","total":99.5,"paid":true,"items":[`)
	for i := 0; len(raw) < 1000; i++ {
		if i > 0 {
			raw = append(raw, ',')
		}
		raw = append(raw, `{"sku":"SKU-0000`+string(rune('0'+i%10))+`","qty":3,"price":9.99}`...)
	}
	raw = append(raw, "]}"...)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var data any
	if err := dec.Decode(&data); err != nil {
		b.Fatal(err)
	}
	e := &Event{ID: "01jd0000000000000000000000", HookID: "h", HookKind: Kind("web"), Data: data, Raw: raw,
		ContentType: "application/json"}
	b.Run("bare-json.Marshal", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := json.Marshal((*eventJSON)(e)); err != nil { // by reflection
				b.Fatal(err)
			}
		}
	})
	b.Run("appendData", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		buf := make([]byte, 0, 2*len(raw))
		for b.Loop() {
			if _, err := appendData(buf, data, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("MarshalJSON", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := e.MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	// examples/server's event line: the event without its raw body.
	line := *e
	line.Raw = nil
	b.Run("MarshalJSON-line", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := line.MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encodeEvent", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := encodeEvent(e, false); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// roundTrip encodes e for the queue and decodes it back, as the queue
// does after a crash or a retry.
func roundTrip(t *testing.T, e *Event) *Event {
	t.Helper()
	p, err := encodeEvent(e, false)
	if err != nil {
		t.Fatalf("encodeEvent: %v", err)
	}
	got, err := decodeEvent(p, e.ID, e.Org, e.HookID, nil)
	if err != nil {
		t.Fatalf("decodeEvent: %v", err)
	}
	return got
}

func TestEncodeEventRoundTrip(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)
	jsonBody := []byte(` {"n":12345678901234567890,"s":"a\"b\u00e9","l":[1.5,true,null,{}],"o":{"x":[]}}` + "\n")
	tests := []struct {
		name     string
		e        *Event
		fromRaw  bool // Data is expected to be left out, as the raw body's decoding
		maxBytes int
	}{
		{"json body", &Event{ID: "e1", Org: "o", HookID: "h", HookKind: Kind("web"), ReceivedAt: now, Raw: jsonBody,
			Data: decodeNumbers(t, jsonBody), ContentType: "application/json"}, true, 0},
		{"json data not from raw", &Event{ID: "e2", HookID: "h", ReceivedAt: now, Raw: jsonBody,
			Data: map[string]any{"n": json.Number("1")}}, false, 0},
		{"duplicate keys", &Event{ID: "e3", HookID: "h", ReceivedAt: now, Raw: []byte(`{"a":1,"a":1}`),
			Data: map[string]any{"a": json.Number("1"), "b": json.Number("1")}}, false, 0},
		{"escaped key", &Event{ID: "e4", HookID: "h", ReceivedAt: now, Raw: []byte(`{"\u0061":1}`),
			Data: map[string]any{"a": json.Number("1")}}, false, 0},
		{"empty raw", &Event{ID: "e5", HookID: "h", ReceivedAt: now, Raw: []byte{}, Data: map[string]any{}}, false, 0},
		{"nil raw", &Event{ID: "e6", HookID: "h", ReceivedAt: now}, false, 0},
		{"binary raw and files", &Event{ID: "e7", HookID: "h", ReceivedAt: now, Raw: []byte{0xff, 0, '{'},
			Data: map[string]any{"f": []any{"x"}},
			Files: []File{{Field: "f", Name: "a", Size: 3, Content: []byte{1, 2, 3}}, {Field: "g", Name: "empty", Content: []byte{}},
				{Field: "h", Name: "none"}}}, false, 0},
		{"invalid UTF-8 in a string", &Event{ID: "e8", HookID: "h", ReceivedAt: now, Raw: []byte("\"a\xffb\""), Data: "a\ufffdb"}, true, 0},
		{"1 KiB JSON webhook", &Event{ID: "06h37106f0t6swpxayqq83pkem", Org: "", HookID: "06h37106exq77kyazcs8fctjmm",
			HookKind: Kind("web"), HookName: "perf", ReceivedAt: now, Raw: benchBody, Data: decodeNumbers(t, benchBody),
			ContentType: "application/json", RemoteAddr: "127.0.0.1:54321",
			Header: map[string][]string{"Authorization": {Redacted}, "Content-Type": {"application/json"}, "Content-Length": {"1024"}}},
			true, 1331 - 80}, // 1.3 KiB, less the store's delivery record
		{"email", emailEvent(now, strings.Repeat("<p>a &amp; b</p>\n", 64), "a & b\n"), false, 0},
		{"email with empty bodies", emailEvent(now, "", ""), false, 0},
		{"email bodies with invalid UTF-8", emailEvent(now, "<b>\xff</b>", "\xfe"), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := encodeEvent(tt.e, false)
			if err != nil {
				t.Fatal(err)
			}
			if fromRaw := p[1]&flagDataFromRaw != 0; fromRaw != tt.fromRaw {
				t.Fatalf("data from raw: got %v, want %v", fromRaw, tt.fromRaw)
			}
			if tt.maxBytes > 0 && len(p) > tt.maxBytes {
				t.Fatalf("payload: got %d bytes for a %d-byte body, want at most %d", len(p), len(tt.e.Raw), tt.maxBytes)
			}
			t.Logf("%d-byte body: %d-byte payload", len(tt.e.Raw), len(p))
			if got := roundTrip(t, tt.e); !reflect.DeepEqual(got, tt.e) {
				t.Fatalf("round trip:\ngot  %#v\nwant %#v", got, tt.e)
			}
		})
	}
}

// emailEvent is an email event with the given bodies and attachments, as
// emailhook makes one: its raw body the message, from which testParts
// reads them.
func emailEvent(now time.Time, html, text string, attachments ...string) *Event {
	raw := "From: a@example.com\r\nSubject: Hi\r\n\r\n" + text + "\x00" + html
	var files []File
	for i, a := range attachments {
		raw += "\x00" + a
		files = append(files, File{Field: "attachments", Name: fmt.Sprint("a", i), Size: int64(len(a)), Content: []byte(a)})
	}
	return &Event{ID: "e9", HookID: "h", HookKind: Kind("email"), ReceivedAt: now, ContentType: "message/rfc822",
		Raw: []byte(raw), Data: map[string]any{"subject": "Hi"}, Files: files,
		Email: &Email{From: "a@example.com", Recipients: []string{"x@in"}, Subject: "Hi", Date: now,
			Text: text, HTML: html, Objects: []map[string]any{{"@type": "Order"}}, Warnings: []string{"w"}}}
}

// testParts is the EmailParts of emailEvent's messages: after the header,
// the text, the HTML and each attachment, separated by NULs.
func testParts(raw []byte) (*MessageParts, error) {
	_, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		return nil, errors.New("no header")
	}
	f := bytes.Split(body, []byte{0})
	if len(f) < 2 {
		return nil, errors.New("no NUL")
	}
	p := &MessageParts{Text: string(f[0]), HTML: string(f[1])}
	for _, a := range f[2:] {
		p.Attachments = append(p.Attachments, bytes.Clone(a))
	}
	return p, nil
}

// TestEncodeEventPartsFromRaw checks that an email event whose bodies and
// attachments the queue can read again from its raw message is stored
// without them, and reads back deep-equal with the queue's EmailParts, and
// not without it.
func TestEncodeEventPartsFromRaw(t *testing.T) {
	html := strings.Repeat("<p>a &amp; b</p>\n", 128)
	pdf := strings.Repeat("%PDF", 512)
	e := emailEvent(time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC), html, "a & b", pdf, "")
	p, err := encodeEvent(e, true)
	if err != nil {
		t.Fatal(err)
	}
	flags, _ := binary.Uvarint(p[1:])
	if flags&flagPartsFromRaw == 0 || flags&(flagEmailBodies|flagFileRefs) != 0 {
		t.Fatalf("flags %b: want flagPartsFromRaw, and neither flagEmailBodies nor flagFileRefs", flags)
	}
	// The message once, and the JSON without the bodies and contents.
	for _, part := range []string{html, pdf} {
		if n := bytes.Count(p, []byte(part)); n != 1 {
			t.Fatalf("the payload holds a %d-byte part %d times, want once (in the raw message)", len(part), n)
		}
	}
	kept, err := encodeEvent(e, false)
	if err != nil {
		t.Fatal(err)
	}
	if max := len(kept) - len(html) - len(pdf); len(p) > max {
		t.Fatalf("payload %d bytes, want at most %d (the one that keeps the parts, %d, less them)", len(p), max, len(kept))
	}
	got, err := decodeEvent(p, e.ID, e.Org, e.HookID, testParts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip:\ngot  %#v %#v\nwant %#v %#v", got.Email, got.Files, e.Email, e.Files)
	}
	if _, err := decodeEvent(p, e.ID, e.Org, e.HookID, nil); err == nil || !strings.Contains(err.Error(), "EmailParts") {
		t.Fatalf("decodeEvent without EmailParts: got %v, want an error naming the option", err)
	}
	broken := func([]byte) (*MessageParts, error) { return nil, errors.New("unreadable") }
	if _, err := decodeEvent(p, e.ID, e.Org, e.HookID, broken); err == nil || !strings.Contains(err.Error(), "unreadable") {
		t.Fatalf("decodeEvent with a failing EmailParts: got %v, want its error", err)
	}
	fewer := func(raw []byte) (*MessageParts, error) {
		mp, err := testParts(raw)
		if err == nil {
			mp.Attachments = mp.Attachments[:1]
		}
		return mp, err
	}
	if _, err := decodeEvent(p, e.ID, e.Org, e.HookID, fewer); err == nil || !strings.Contains(err.Error(), "attachments") {
		t.Fatalf("decodeEvent with fewer attachments than files: got %v, want an error", err)
	}
	// An event without an email has nothing to leave out.
	plain := &Event{ID: "e", HookID: "h", Raw: []byte("x"), Data: "x", Files: []File{{Name: "f", Content: []byte("c")}}}
	pp, err := encodeEvent(plain, true)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := binary.Uvarint(pp[1:]); f&(flagPartsFromRaw|flagEmailBodies) != 0 {
		t.Fatalf("flags %b for an event without an email", f)
	}
	if got := roundTrip(t, plain); !reflect.DeepEqual(got, plain) {
		t.Fatalf("round trip without an email: got %#v", got)
	}
}

// TestPartsFromRaw checks when a Queue may leave an email's parts out:
// only when the kind said it read them from the body (the context carries
// their origin) and neither they nor Raw changed since.
func TestPartsFromRaw(t *testing.T) {
	now := time.Unix(0, 0).UTC()
	e := emailEvent(now, "<p>x</p>", "x", "attached")
	ctx := withPartsOrigin(context.Background(), e)
	if !partsFromRaw(ctx, e) {
		t.Fatal("the parts as decoded: want true")
	}
	same := *e
	m := *e.Email
	m.HTML = strings.Clone(m.HTML) // equal bytes elsewhere
	same.Email, same.Raw = &m, bytes.Clone(e.Raw)
	same.Files = []File{e.Files[0]}
	same.Files[0].Content = bytes.Clone(e.Files[0].Content)
	if !partsFromRaw(ctx, &same) {
		t.Fatal("equal copies of the parts and raw: want true")
	}
	for _, tc := range []struct {
		name   string
		change func(e *Event)
	}{
		{"HTML changed", func(e *Event) { e.Email.HTML += "!" }},
		{"text changed", func(e *Event) { e.Email.Text = "" }},
		{"raw changed", func(e *Event) { e.Raw = append(bytes.Clone(e.Raw), '!') }},
		{"raw gone", func(e *Event) { e.Raw = nil }},
		{"email gone", func(e *Event) { e.Email = nil }},
		{"attachment changed", func(e *Event) { e.Files = []File{{Content: []byte("other")}} }},
		{"attachment added", func(e *Event) { e.Files = append(e.Files, File{Content: []byte("x")}) }},
		{"attachment gone", func(e *Event) { e.Files = nil }},
	} {
		c := *e
		m := *e.Email
		c.Email = &m
		c.Files = slices.Clone(e.Files)
		tc.change(&c)
		if partsFromRaw(ctx, &c) {
			t.Errorf("%s: want false", tc.name)
		}
	}
	if partsFromRaw(context.Background(), e) {
		t.Error("no origin in the context: want false")
	}
}

// TestEncodeEventEmailBodies checks that an email's bodies are stored after
// the JSON as they are, not escaped inside it: an HTML body of 2 KiB costs
// the payload its own bytes, not the third more of its escapes.
func TestEncodeEventEmailBodies(t *testing.T) {
	html := strings.Repeat("<p>a &amp; b</p>\n", 128)
	e := emailEvent(time.Unix(0, 0).UTC(), html, "a & b")
	p, err := encodeEvent(e, false)
	if err != nil {
		t.Fatal(err)
	}
	flags, _ := binary.Uvarint(p[1:])
	if flags&flagEmailBodies == 0 {
		t.Fatal("flagEmailBodies not set for an email event")
	}
	js, err := e.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	// The payload holds the raw body and the bodies once each, and the
	// JSON without them: less than the JSON alone, which has the HTML
	// escaped.
	if len(p) >= len(js) {
		t.Fatalf("payload %d bytes, want fewer than the event's JSON (%d bytes, HTML escaped)", len(p), len(js))
	}
	if bytes.Contains(p, []byte(`\u003cp\u003e`)) {
		t.Fatal("the payload holds the HTML body escaped as JSON")
	}
	if !bytes.Contains(p, []byte(html)) {
		t.Fatal("the payload does not hold the HTML body as it is")
	}
	// A payload whose JSON carries a body while the flag says it follows
	// is refused.
	both := bytes.Replace(p, []byte(`"subject":"Hi","date"`), []byte(`"subject":"Hi","text":"x","date"`), 1)
	both = fixJSONLength(t, both, len(both)-len(p))
	if _, err := decodeEvent(both, "e", "", "h", nil); err == nil {
		t.Fatal("decodeEvent accepted a body both in the JSON and after it")
	}
}

// fixJSONLength adds grew to the JSON length of payload p (which must be a
// one-byte uvarint of flags followed by the length).
func fixJSONLength(t *testing.T, p []byte, grew int) []byte {
	t.Helper()
	_, w := binary.Uvarint(p[1:])
	n, w2 := binary.Uvarint(p[1+w:])
	out := append([]byte(nil), p[:1+w]...)
	out = binary.AppendUvarint(out, n+uint64(grew))
	return append(out, p[1+w+w2:]...)
}

// benchBody is the 1 KiB JSON body of the load tests.
var benchBody = baseline.Body(1024)

func TestJSONTextEqual(t *testing.T) {
	tests := []struct {
		text string
		v    any
		want bool
	}{
		{`{"a":[1,"x",null,true,false,{}]}`, map[string]any{"a": []any{json.Number("1"), "x", nil, true, false, map[string]any{}}}, true},
		{` "x" `, "x", true},
		{`"x" "y"`, "x", false},
		{`1.0`, json.Number("1"), false},
		{`1.0`, json.Number("1.0"), true},
		{`01`, json.Number("01"), false},
		{`"\u00e9"`, "é", true},
		{`"\ud800"`, "\ufffd", true},
		{`{"a":1}`, map[string]any{"a": json.Number("1"), "b": nil}, false},
		{`{"a":1,"b":2}`, map[string]any{"a": json.Number("1")}, false},
		{`[1,2]`, []any{json.Number("1")}, false},
		{`[1]`, []any{json.Number("1"), json.Number("2")}, false},
		{`{"a" 1}`, map[string]any{"a": json.Number("1")}, false},
		{"\"a\x01\"", "a\x01", false},
		{`tru`, true, false},
		{``, nil, false},
	}
	for _, tt := range tests {
		if got := jsonTextEqual([]byte(tt.text), tt.v); got != tt.want {
			t.Errorf("jsonTextEqual(%q, %#v): got %v, want %v", tt.text, tt.v, got, tt.want)
		}
	}
}

// FuzzJSONTextEqual checks the promise the queue's payload relies on:
// whenever jsonTextEqual(text, v) holds, encoding/json decodes text to a
// value deep-equal to v. v is the decoding of another document (or of
// text itself), so that both equal and unequal pairs are tried.
func FuzzJSONTextEqual(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x",null,true,{"b":-0.5e3}]}`, `"\u0000\ud800"`, `[]`, "\"\xff\"", `{"":{"":""}}`, `{"a":1,"a":1}`} {
		f.Add([]byte(s), []byte(s))
	}
	f.Fuzz(func(t *testing.T, text, other []byte) {
		for _, src := range [][]byte{text, other} {
			dec := json.NewDecoder(bytes.NewReader(src))
			dec.UseNumber()
			var v any
			if dec.Decode(&v) != nil {
				continue
			}
			if !jsonTextEqual(text, v) {
				continue
			}
			got, err := unmarshalNumbers(text)
			if err != nil {
				t.Fatalf("jsonTextEqual(%q, %#v) holds but the text does not decode: %v", text, v, err)
			}
			if !reflect.DeepEqual(got, v) {
				t.Fatalf("jsonTextEqual(%q, %#v) holds but the text decodes to %#v", text, v, got)
			}
		}
	})
}

// TestEncodeEventFilesInRaw checks that a multipart form's files are
// stored once: as their place in the raw body, not as a second copy.
func TestEncodeEventFilesInRaw(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16) // 64 KiB
	other := bytes.Repeat([]byte{7}, 4096)
	raw := []byte("--b\r\nContent-Disposition: form-data; name=\"cv\"; filename=\"cv.bin\"\r\n\r\n")
	raw = append(raw, big...)
	raw = append(raw, "\r\n--b\r\nContent-Disposition: form-data; name=\"p\"; filename=\"p.bin\"\r\n\r\n"...)
	raw = append(raw, big...) // the same bytes twice: the second file is the second copy
	raw = append(raw, "\r\n--b--\r\n"...)
	tests := []struct {
		name     string
		files    []File
		maxBytes int // the payload's bound
	}{
		{"two files in the body", []File{{Field: "cv", Name: "cv.bin", Content: big}, {Field: "p", Name: "p.bin", Content: big},
			{Field: "e", Name: "empty", Content: []byte{}}, {Field: "n", Name: "none"}}, len(raw) + 1024},
		{"a small file and one not in the body", []File{{Field: "s", Content: []byte("0123")}, {Field: "cv", Content: big},
			{Field: "x", Content: other}}, len(raw) + len(other) + 1024},
		{"not found first: no search after it", []File{{Field: "x", Content: other}, {Field: "cv", Content: big}},
			len(raw) + len(other) + len(big) + 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Event{ID: "e", HookID: "h", HookKind: "form", Raw: raw, ContentType: "multipart/form-data",
				Data: map[string]any{}, Files: tt.files}
			p, err := encodeEvent(e, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(p) > tt.maxBytes {
				t.Errorf("payload: got %d bytes for a %d-byte body, want at most %d", len(p), len(raw), tt.maxBytes)
			}
			t.Logf("%d-byte body: %d-byte payload", len(raw), len(p))
			got := roundTrip(t, e)
			if !reflect.DeepEqual(got, e) {
				t.Fatalf("round trip:\ngot  %#v\nwant %#v", got.Files, e.Files)
			}
		})
	}
	// Another content type is not searched.
	e := &Event{ID: "e", HookID: "h", Raw: raw, ContentType: "message/rfc822", Data: map[string]any{},
		Files: []File{{Field: "attachments", Content: big}}}
	if p, _ := encodeEvent(e, false); len(p) < len(raw)+len(big) {
		t.Errorf("an email's attachment: got a %d-byte payload, want the content stored on its own", len(p))
	}
}

// TestEncodeEventDataFromBody checks that a large form, XML or text body
// whose decoding is Data is stored once, and that a Data changed after
// decoding (a honeypot field removed) is stored as it is.
func TestEncodeEventDataFromBody(t *testing.T) {
	big := strings.Repeat("a b+c", 2000)
	tests := []struct {
		name, ct, body string
		edit           func(any)
		fromBody       bool
	}{
		{"urlencoded", "application/x-www-form-urlencoded", "m=x&big=" + url.QueryEscape(big) + "&a[b]=1&t[]=1&t[]=2", nil, true},
		{"latin-1 form", "application/x-www-form-urlencoded; charset=iso-8859-1", "v=%E9t%E9&big=" + big, nil, true},
		{"xml", "application/xml", "<o id=\"7\"><big>" + big + "</big><i>1</i><i>2</i></o>", nil, true},
		{"text", "text/plain", big, nil, true},
		{"honeypot removed", "application/x-www-form-urlencoded", "m=x&website=&big=" + big,
			func(v any) { delete(v.(map[string]any), "website") }, false},
		{"small form", "application/x-www-form-urlencoded", "m=x", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecodeBody(tt.ct, []byte(tt.body), DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.edit != nil {
				tt.edit(d.Data)
			}
			e := &Event{ID: "e", HookID: "h", HookKind: "form", Raw: []byte(tt.body), Data: d.Data, ContentType: d.ContentType,
				Header: map[string][]string{"Content-Type": {tt.ct}}}
			p, err := encodeEvent(e, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := p[1]&flagDataFromBody != 0; got != tt.fromBody {
				t.Errorf("data from the body: got %v, want %v", got, tt.fromBody)
			}
			if tt.fromBody && len(p) > len(tt.body)+512 {
				t.Errorf("payload: got %d bytes for a %d-byte body, want the body once", len(p), len(tt.body))
			}
			if got := roundTrip(t, e); !reflect.DeepEqual(got, e) {
				t.Fatalf("round trip:\ngot  %#v\nwant %#v", got.Data, e.Data)
			}
		})
	}
}

// FuzzDecodePayload feeds arbitrary stored payloads to decodeEvent: it
// must return an event or an error, never panic; and an event encoded
// from a decodable JSON body round-trips deep-equal.
func FuzzDecodePayload(f *testing.F) {
	e := &Event{ID: "e", HookID: "h", Raw: []byte(`{"a":1}`), Data: map[string]any{"a": json.Number("1")},
		Files: []File{{Name: "f", Content: []byte{1}}}}
	p, _ := encodeEvent(e, false)
	f.Add(p, []byte(`{"a":1}`))
	f.Add([]byte{1, 1, 2, '{', '}', 0}, []byte(`[1,2]`))
	f.Add([]byte(`{"id":"x"}`), []byte(`"s"`))
	big := bytes.Repeat([]byte("x"), minFileRef)
	mp, _ := encodeEvent(&Event{ID: "e", HookID: "h", Raw: append([]byte("--b\r\n\r\n"), big...),
		ContentType: "multipart/form-data", Files: []File{{Name: "f", Content: big}, {Name: "g"}}}, false)
	f.Add(mp, []byte(`{}`))
	form := "big=" + strings.Repeat("x", minDataFromBody)
	fp, _ := encodeEvent(&Event{ID: "e", HookID: "h", Raw: []byte(form), Data: map[string]any{"big": form[4:]},
		Header: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}}}, false)
	f.Add(fp, []byte(`{}`))
	ep, _ := encodeEvent(emailEvent(time.Unix(0, 0).UTC(), "<p>x</p>", "x"), false)
	f.Add(ep, []byte(`{}`))
	rp, _ := encodeEvent(emailEvent(time.Unix(0, 0).UTC(), "<p>x</p>", "x", "pdf", ""), true)
	f.Add(rp, []byte(`{}`))
	f.Fuzz(func(t *testing.T, payload, body []byte) {
		_, _ = decodeEvent(payload, "e", "o", "h", nil)
		_, _ = decodeEvent(payload, "e", "o", "h", testParts)
		v, err := unmarshalNumbers(body)
		if err != nil {
			return
		}
		e := &Event{ID: "e", HookID: "h", Raw: body, Data: v}
		p, err := encodeEvent(e, false)
		if err != nil {
			return // data encoding/json would refuse too
		}
		got, err := decodeEvent(p, "e", "", "h", nil)
		if err != nil {
			t.Fatalf("decodeEvent(encodeEvent(%q)): %v", body, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("round trip of %q:\ngot  %#v\nwant %#v", body, got, e)
		}
	})
}

// TestMarshalJSON checks that Event.MarshalJSON writes exactly what
// encoding/json writes by reflection of the Event's fields and tags, for
// events of every shape, so that the one encoding changes no byte of the
// Event's JSON.
func TestMarshalJSON(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)
	many := map[string]any{}
	for i := range 40 { // more keys than appendData sorts on its stack
		many[string(rune('z'-i%26))+strings.Repeat("k", i)] = json.Number(strconv.Itoa(i))
	}
	tests := []struct {
		name string
		e    Event
	}{
		{"zero", Event{}},
		{"1 KiB JSON webhook", Event{ID: "06h37106f0t6swpxayqq83pkem", HookID: "h", HookKind: Kind("web"), HookName: "perf",
			ReceivedAt: now, Raw: benchBody, Data: decodeNumbers(t, benchBody), ContentType: "application/json",
			RemoteAddr: "127.0.0.1:54321", IdempotencyKey: "k",
			Header: map[string][]string{"Authorization": {Redacted}, "Content-Type": {"application/json"}, "X-B": {"1", "2"}}}},
		{"escapes and HTML", Event{ID: "e", Org: "o<>", Data: map[string]any{
			"<a>&": "a\"b\\c\n\r\t\b\f\x00\x1f\x7f<>&\u2028\u2029é\xffz", "": []any{}, "n": nil, "t": true, "f": false,
			"num": json.Number("-1.5e+3"), "big": json.Number("123456789012345678901234567890"), "empty": json.Number(""),
		}}},
		{"many keys, nested", Event{ID: "e", Data: map[string]any{"m": many, "a": []any{many, []any{map[string]any{}}}}}},
		{"other Go types", Event{ID: "e", Data: map[string]any{"f": 1.5, "i": 7, "s": []string{"x"}, "m": map[string]int{"b": 1, "a": 2}}}},
		{"form data", Event{ID: "e", Data: map[string]any{"name": "Ada", "tags": []any{"a", "b"}, "addr": map[string]any{"city": "X"}}}},
		{"files and email", Event{ID: "e", HookKind: Kind("email"), Data: map[string]any{"subject": "Hi"},
			Files: []File{{Field: "f", Name: "a.txt", ContentType: "text/plain", Size: 3, SHA256: "ab", Content: []byte{1, 2, 3}}},
			Email: &Email{From: "a@example.com", Recipients: []string{"x@in"}, Subject: "Hi", Date: now,
				Objects: []map[string]any{{"@type": "Order", "orderNumber": json.Number("12")}}}}},
		{"string data", Event{ID: "e", Data: "just a string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal((*eventJSON)(&tt.e))
			if err != nil {
				t.Fatal(err)
			}
			got, err := tt.e.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("MarshalJSON:\ngot  %s\nwant %s", got, want)
			}
			viaMarshal, err := json.Marshal(&tt.e)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(viaMarshal, want) {
				t.Fatalf("json.Marshal:\ngot  %s\nwant %s", viaMarshal, want)
			}
			again, _ := tt.e.MarshalJSON()
			if !bytes.Equal(again, got) {
				t.Fatalf("a second MarshalJSON differs:\n%s\n%s", again, got)
			}
		})
	}
	bad := Event{ID: "bad", Data: map[string]any{"c": make(chan int)}}
	if _, err := json.Marshal(bad); err == nil {
		t.Fatal("an unencodable Data: got no error")
	}
}

// eventJSON is Event without its methods: json.Marshal of an *eventJSON
// writes the Event's fields by reflection on their JSON tags, the
// reference appendEvent must agree with byte for byte.
type eventJSON Event
