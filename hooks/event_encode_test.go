package hooks

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/internal/testenv"
)

// oddString holds what a JSON string escapes: quotes, backslashes,
// control characters, the HTML-sensitive <, > and &, U+2028 and U+2029,
// invalid UTF-8, and runes of every width.
const oddString = "a\"b\\c\n\r\t\b\f\x00\x1f\x7f<>&\u2028\u2029é\xff\xc3z€𝄞"

// checkSameAsReflection fails unless e.MarshalJSON writes exactly what
// encoding/json writes by reflection on eventJSON, or both refuse e.
func checkSameAsReflection(t *testing.T, e *Event) {
	t.Helper()
	want, wantErr := json.Marshal((*eventJSON)(e))
	got, err := e.MarshalJSON()
	switch {
	case wantErr != nil && err == nil:
		t.Fatalf("MarshalJSON: got %s, want an error like %v", got, wantErr)
	case wantErr == nil && err != nil:
		t.Fatalf("MarshalJSON: got error %v, want %s", err, want)
	case wantErr != nil:
		if b, err := e.AppendJSON([]byte("x")); err == nil || string(b) != "x" {
			t.Fatalf("AppendJSON: got %q, %v; want \"x\" as it was and an error", b, err)
		}
		return
	case !bytes.Equal(got, want):
		t.Fatalf("MarshalJSON:\ngot  %s\nwant %s", got, want)
	}
	// AppendJSON appends the same bytes after what b holds, and leaves
	// those alone.
	prefix := []byte("line: ")
	b, err := e.AppendJSON(append(make([]byte, 0, 8), prefix...))
	if err != nil || !bytes.Equal(b, append(prefix, want...)) {
		t.Fatalf("AppendJSON:\ngot  %s (%v)\nwant %s%s", b, err, prefix, want)
	}
}

func TestMarshalJSONShapes(t *testing.T) {
	utc := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)
	odd := time.FixedZone("odd", -(3*3600 + 30*60 + 15)) // seconds in the offset, which RFC 3339 drops
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	manyHeaders := http.Header{}
	for i := range 40 { // more names than appendHeader sorts on its stack
		manyHeaders["X-H-"+strconv.Itoa(39-i)] = []string{strconv.Itoa(i)}
	}
	fullEmail := &Email{From: "a@example.com", FromName: "Ada <L>", To: []string{"b@example.com", "c@example.com"},
		Cc: []string{"d@example.com"}, ReplyTo: []string{"r@example.com"}, Recipients: []string{"x@in"}, Subject: oddString,
		MessageID: "m@example.com", InReplyTo: []string{"p@example.com"}, References: []string{"p@example.com", "q@example.com"},
		Date: utc.In(odd), Text: "text & more", HTML: "<p>hi</p>", BodiesTruncated: true,
		Objects:  []map[string]any{{"@type": "Order", "orderNumber": json.Number("12"), "n": []any{nil, true}}, nil, {}},
		Warnings: []string{"w1", oddString},
		Auth: &MailAuth{Source: AuthSourceLocal, SPF: &AuthVerdict{Result: AuthPass, Domain: "example.com"},
			DKIM:  []AuthVerdict{{Result: AuthPass, Domain: "d1", Reason: "ok"}, {Result: AuthFail}},
			DMARC: &AuthVerdict{Result: AuthPass, Domain: "example.com", Policy: "reject"}, Summary: "mx; spf=pass"},
		Sender: &SenderCheck{Allowed: true, Identity: "a@example.com", Reason: "listed"}}
	tests := []struct {
		name string
		e    Event
	}{
		{"zero", Event{}},
		{"every field", Event{ID: "id", Org: "org", HookID: "h", HookKind: Kind("email"), HookName: "name",
			ReceivedAt: utc, Data: map[string]any{"a": "b"}, Raw: []byte("raw body"), ContentType: "message/rfc822",
			Header: http.Header{"B": {"2", "3"}, "A": {"1"}}, HeadersDropped: 2, HeaderBytesDropped: 1234,
			RemoteAddr: "[::1]:25", Files: []File{{Field: "attachments", Name: "a.png", ContentType: "image/png", Size: 3,
				SHA256: "abc", ContentID: "cid1", Inline: true, Content: []byte{0, 1, 2}}},
			Email: fullEmail, IdempotencyKey: "k"}},
		{"odd strings everywhere", Event{ID: oddString, Org: oddString, HookID: oddString, HookKind: Kind(oddString),
			HookName: oddString, Data: oddString, ContentType: oddString, RemoteAddr: oddString, IdempotencyKey: oddString,
			Header: http.Header{oddString: {oddString}, "": {""}},
			Files:  []File{{Field: oddString, Name: oddString, ContentType: oddString, SHA256: oddString, ContentID: oddString}},
			Email: &Email{From: oddString, FromName: oddString, To: []string{oddString}, Subject: oddString,
				MessageID: oddString, Text: oddString, HTML: oddString, Warnings: []string{oddString},
				Auth:   &MailAuth{Source: oddString, SPF: &AuthVerdict{Result: oddString, Reason: oddString}, Summary: oddString},
				Sender: &SenderCheck{Identity: oddString, Reason: oddString}}}},
		{"empty, not nil", Event{Raw: []byte{}, Header: http.Header{}, Files: []File{}, Data: map[string]any{},
			Email: &Email{To: []string{}, Cc: []string{}, ReplyTo: []string{}, Recipients: []string{}, InReplyTo: []string{},
				References: []string{}, Objects: []map[string]any{}, Warnings: []string{},
				Auth: &MailAuth{DKIM: []AuthVerdict{}}, Sender: &SenderCheck{}}}},
		{"nil inside", Event{Header: http.Header{"Nil": nil, "Empty": {}, "One": {""}},
			Data:  map[string]any{"m": map[string]any(nil), "s": []any(nil), "n": nil, "e": []any{}},
			Files: []File{{}, {Content: []byte{}}, {Content: nil, Inline: false}},
			Email: &Email{Objects: []map[string]any{nil}}}},
		{"nil data and email slices", Event{Data: []any(nil), Email: &Email{}}},
		{"numbers", Event{HeadersDropped: -1, HeaderBytesDropped: 1 << 62,
			Files: []File{{Size: -1 << 63}, {Size: 1<<63 - 1}, {Size: 0}},
			Data:  []any{json.Number("0"), json.Number("-0.5e-7"), json.Number(""), 1.5, 7, int64(-3), uint8(2)}}},
		{"many header names", Event{Header: manyHeaders}},
		{"times: non-UTC, seconds in the offset", Event{ReceivedAt: utc.In(odd)}},
		{"times: named zone", Event{ReceivedAt: utc.In(paris), Email: &Email{Date: utc.In(paris)}}},
		{"times: trailing zeros and whole seconds", Event{ReceivedAt: time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC),
			Email: &Email{Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("", 14*3600))}}},
		{"times: monotonic reading", Event{ReceivedAt: time.Now(), Email: &Email{Date: time.Now().In(odd)}}},
		{"times: monotonic reading stripped", Event{ReceivedAt: time.Now().Round(0)}},
		{"times: year 0 and 9999", Event{ReceivedAt: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
			Email: &Email{Date: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)}}},
		{"times: zero in another zone", Event{ReceivedAt: time.Time{}.In(odd), Email: &Email{Date: time.Time{}.In(paris)}}},
		{"times: the Unix epoch is not zero", Event{Email: &Email{Date: time.Unix(0, 0)}}},
		{"files: several, with and without content", Event{Files: []File{
			{Field: "f", Name: "a.txt", ContentType: "text/plain", Size: 3, SHA256: "ab", Content: []byte("abc")},
			{Field: "g", Name: "b.bin", Content: bytes.Repeat([]byte{0xff, 0xfe, 0}, 100)},
			{Field: "h"}}}},
		{"large: raw and files past the pooled buffers", Event{Raw: bytes.Repeat([]byte("<a>"), 40000),
			Files: []File{{Content: bytes.Repeat([]byte{0xfe}, 50000)}}, Data: map[string]any{"a": "b"},
			Email: &Email{Text: strings.Repeat("t&", 20000), HTML: strings.Repeat("<p>", 20000)}}},
		{"large: data past the pooled buffers", Event{Data: map[string]any{"big": strings.Repeat("x<", 50000)}}},
		{"email only objects", Event{Email: &Email{Objects: []map[string]any{{"a": map[string]any{"b": []any{"c"}}}}}}},
		{"auth without checks", Event{Email: &Email{Auth: &MailAuth{}}}},
		{"refused: year 10000", Event{ReceivedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"refused: year -1", Event{ReceivedAt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"refused: offset of 24 hours", Event{ReceivedAt: utc.In(time.FixedZone("", 24*3600))}},
		{"refused: offset of -100 hours", Event{ReceivedAt: utc.In(time.FixedZone("", -100*3600))}},
		{"refused: email date", Event{Email: &Email{Date: time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC)}}},
		{"refused: data", Event{Data: map[string]any{"c": make(chan int)}}},
		{"refused: object", Event{Email: &Email{Objects: []map[string]any{{"n": json.Number("x")}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkSameAsReflection(t, &tt.e)
			wantRefused := strings.HasPrefix(tt.name, "refused")
			if _, err := tt.e.MarshalJSON(); (err != nil) != wantRefused {
				t.Fatalf("MarshalJSON: got error %v, want refused %v", err, wantRefused)
			}
		})
	}
}

// TestMarshalJSONTimeError checks that a time MarshalJSON refuses gives
// encoding/json's error, inside the event's.
func TestMarshalJSONTimeError(t *testing.T) {
	for _, tm := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, 0).In(time.FixedZone("", 25*3600))} {
		e := Event{ID: "e1", ReceivedAt: tm}
		_, want := json.Marshal(tm)
		_, err := e.MarshalJSON()
		if err == nil || want == nil || err.Error() != "hooks: encode event e1: "+want.Error() {
			t.Errorf("%v: got %v, want hooks: encode event e1: %v", tm, err, want)
		}
	}
}

// fillValue sets v, and everything under it, to values that are not
// zero, so that no omitempty member is left out; it records in seen each
// struct type it fills.
func fillValue(t *testing.T, v reflect.Value, seen map[reflect.Type]bool) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString("s<" + v.Type().Name())
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte{1, 2, 0xff})
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fillValue(t, s.Index(i), seen)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, k := range []string{"b", "a"} {
			x := reflect.New(v.Type().Elem()).Elem()
			fillValue(t, x, seen)
			m.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), x)
		}
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillValue(t, p.Elem(), seen)
		v.Set(p)
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]any{"k": []any{"v", json.Number("1")}}))
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 5, 6, 7, 8, 9, 10, time.FixedZone("", 3600))))
			return
		}
		seen[v.Type()] = true
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillValue(t, v.Field(i), seen)
			}
		}
	default:
		t.Fatalf("fillValue: no value for a %s; teach it this kind", v.Type())
	}
}

// TestEventFieldsEncoded fails when a field is added to Event, or to a
// type inside it (File, Email, MailAuth, ...), and appendEvent does not
// write it: with every field set, each JSON name of each of their
// fields must be in the encoding, which must be encoding/json's.
func TestEventFieldsEncoded(t *testing.T) {
	var e Event
	seen := map[reflect.Type]bool{}
	fillValue(t, reflect.ValueOf(&e).Elem(), seen)
	checkSameAsReflection(t, &e)
	got, err := e.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[Event](), reflect.TypeFor[File](), reflect.TypeFor[Email](),
		reflect.TypeFor[MailAuth](), reflect.TypeFor[AuthVerdict](), reflect.TypeFor[SenderCheck]()} {
		if !seen[typ] {
			t.Errorf("%s: not reached by the filled Event", typ)
		}
	}
	for typ := range seen {
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if !bytes.Contains(got, []byte(`"`+name+`":`)) {
				t.Errorf("%s.%s: no %q member in %s", typ.Name(), f.Name, name, got)
			}
		}
	}
}

// FuzzMarshalEvent builds events of many shapes from fuzz input (strings
// in every field, header names and values, times in any zone, numbers)
// and checks that MarshalJSON writes what encoding/json writes by
// reflection, byte for byte, or that both refuse the event.
func FuzzMarshalEvent(f *testing.F) {
	f.Add("id", "X-Name", "value", int64(1778051289), int64(123456789), int32(0), int64(7), uint32(0xffffffff))
	f.Add(oddString, "", "\xff", int64(-62135596800), int64(0), int32(19800), int64(-1), uint32(0x5555))
	f.Add(`{"a":[1,"x<",null]}`, "Content-Type", "application/json", int64(253402300800), int64(1), int32(-86400), int64(1<<40), uint32(0xaaaa))
	f.Fuzz(func(t *testing.T, s, name, value string, sec, nsec int64, offset int32, n int64, shape uint32) {
		bit := func(i int) bool { return shape&(1<<i) != 0 }
		pick := func(i int, v string) string {
			if bit(i) {
				return v
			}
			return ""
		}
		tm := time.Unix(sec, nsec).In(time.FixedZone(name, int(offset)))
		e := &Event{ID: s, Org: pick(0, name), HookID: value, HookKind: Kind(pick(1, s)), HookName: name,
			ContentType: pick(2, value), RemoteAddr: pick(3, s), IdempotencyKey: pick(4, name)}
		if bit(5) {
			e.ReceivedAt = tm
		}
		switch {
		case bit(6):
			if v, err := unmarshalNumbers([]byte(s)); err == nil {
				e.Data = v
			}
		case bit(7):
			e.Data = map[string]any{name: value, s: []any{n, value}}
		default:
			e.Data = s
		}
		if bit(8) {
			e.Raw = []byte(s)
		}
		switch {
		case bit(9):
			e.Header = http.Header{name: {value, s}, s: nil}
		case bit(10):
			e.Header = http.Header{name: {}}
		}
		if bit(11) {
			e.HeadersDropped, e.HeaderBytesDropped = int(n), int(n>>1)
		}
		if bit(12) {
			e.Files = []File{{Field: name, Name: s, ContentType: value, Size: n, SHA256: pick(13, s), ContentID: pick(14, value),
				Inline: bit(15), Content: []byte(pick(16, s))}, {}}
		}
		if bit(17) {
			m := &Email{From: s, FromName: pick(18, value), Subject: value, MessageID: pick(19, name),
				Text: pick(20, s), HTML: pick(21, value), BodiesTruncated: bit(22)}
			if bit(23) {
				m.To, m.Cc, m.Recipients, m.Warnings = []string{name}, []string{}, []string{s, value}, []string{value}
			}
			if bit(24) {
				m.Date = tm
			}
			if bit(25) {
				m.Objects = []map[string]any{{name: s}, nil}
			}
			if bit(26) {
				m.Auth = &MailAuth{Source: name, SPF: &AuthVerdict{Result: s, Domain: pick(27, value)},
					DKIM: []AuthVerdict{{Result: value, Policy: pick(28, s), Reason: pick(29, name)}}, Summary: s}
			}
			if bit(30) {
				m.Sender = &SenderCheck{Allowed: bit(31), Identity: pick(27, name), Reason: value}
			}
			e.Email = m
		}
		checkSameAsReflection(t, e)
	})
}

// TestEncodeEventJSON checks the JSON inside the queue's payload: the
// Event's JSON as encoding/json writes it, less the members stored beside
// it (id, org, hook_id, raw, the files' contents, an email's bodies) and
// those the flags say are decoded again (data, content_type).
func TestEncodeEventJSON(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.FixedZone("", 7200))
	body := []byte(`{"a":[1,"x<"],"b":{}}`)
	tests := []struct {
		name string
		e    *Event
	}{
		{"data from raw", &Event{ID: "e1", Org: "o", HookID: "h", HookKind: "web", HookName: "n", ReceivedAt: now,
			Raw: body, Data: decodeNumbers(t, body), ContentType: "application/json",
			Header: http.Header{"Content-Type": {"application/json"}, "X-A": {"1"}}, RemoteAddr: "1.2.3.4:5"}},
		{"data last, left out", &Event{ID: "e2", HookID: "h", Raw: body, Data: decodeNumbers(t, body)}},
		{"data kept, type not from the header", &Event{ID: "e3", HookID: "h", Raw: []byte("a=1"), Data: map[string]any{"a": "1"},
			ContentType: "application/x-www-form-urlencoded", Header: http.Header{"Content-Type": {"text/plain"}},
			Files: []File{{Field: "f", Name: "a", Size: 1, Content: []byte{1}}, {Field: "g"}}, IdempotencyKey: "k"}},
		{"email", &Event{ID: "e4", HookID: "h", HookKind: "email", Raw: []byte("From: a\r\n\r\nhi"), Data: map[string]any{"subject": "s"},
			ContentType: "message/rfc822", Email: &Email{From: "a", Recipients: []string{"x"}, Date: now, Objects: []map[string]any{}}}},
		{"large email", &Event{ID: "e5", HookID: "h", HookKind: "email", Raw: []byte("From: a\r\n\r\nhi"), Data: map[string]any{"subject": "s"},
			Email: &Email{From: "a", Text: strings.Repeat("text ", 20000), HTML: strings.Repeat("<p>", 30000)}}},
		{"large data", &Event{ID: "e6", HookID: "h", Data: map[string]any{"big": strings.Repeat("x", 100000)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := encodeEvent(tt.e, false)
			if err != nil {
				t.Fatal(err)
			}
			flags := uint64(p[1]) // one byte while the flags are few
			n, w := binary.Uvarint(p[2:])
			got := p[2+w : 2+w+int(n)]

			c := *tt.e
			c.ID, c.Org, c.HookID, c.Raw = "", "", "", nil
			c.Files = nil
			for _, f := range tt.e.Files {
				f.Content = nil
				c.Files = append(c.Files, f)
			}
			if flags&flagTypeFromHeader != 0 {
				c.ContentType = ""
			}
			if flags&flagEmailBodies != 0 {
				m := *c.Email
				m.Text, m.HTML = "", ""
				c.Email = &m
			}
			want, err := json.Marshal((*eventJSON)(&c))
			if err != nil {
				t.Fatal(err)
			}
			want = append([]byte("{"), bytes.TrimPrefix(want, []byte(`{"id":"","hook_id":"",`))...)
			if flags&(flagDataFromRaw|flagDataFromBody) != 0 {
				data, _ := json.Marshal(c.Data)
				want = bytes.Replace(want, []byte(`,"data":`+string(data)), nil, 1)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("payload JSON:\ngot  %s\nwant %s", got, want)
			}
		})
	}
}

// TestMarshalJSONConcurrent checks that encodings running at once, each
// in a buffer of the shared pool, keep their own bytes: every result
// stays what it was when returned.
func TestMarshalJSONConcurrent(t *testing.T) {
	events := make([]Event, 8)
	want := make([][]byte, len(events))
	for i := range events {
		events[i] = Event{ID: strconv.Itoa(i), Data: map[string]any{"n": strings.Repeat(strconv.Itoa(i), 100*i+1)},
			Raw: bytes.Repeat([]byte{byte(i)}, 50*i)}
		want[i], _ = json.Marshal((*eventJSON)(&events[i]))
	}
	errs := make(chan string, len(events))
	for i := range events {
		go func() {
			var kept [][]byte
			for range 200 {
				got, err := events[i].MarshalJSON()
				if err != nil {
					errs <- err.Error()
					return
				}
				if p, err := encodeEvent(&events[i], false); err != nil || len(p) == 0 {
					errs <- "encodeEvent failed"
					return
				}
				kept = append(kept, got)
			}
			for _, got := range kept {
				if !bytes.Equal(got, want[i]) {
					errs <- "event " + strconv.Itoa(i) + ": got " + string(got)
					return
				}
			}
			errs <- ""
		}()
	}
	for range events {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

// TestMarshalJSONEmailBodyOneBuffer: an email event whose HTML body
// escapes to about twice its length (every < and > is six bytes) is
// written into a buffer sized once, not one doubled along the way (which
// cost the SMTP path a tenth of its throughput): at most the buffer and
// the copy handed out, whatever the body's size.
func TestMarshalJSONEmailBodyOneBuffer(t *testing.T) {
	for _, size := range []int{8 << 10, 40 << 10, 200 << 10} {
		html := strings.Repeat("<td><b>x</b></td>", size/17)
		e := &Event{ID: "e1", HookID: "h", HookKind: Kind("email"), Data: map[string]any{"subject": "s"},
			Email: &Email{From: "a@example.com", Subject: "s", Text: strings.Repeat("line\n", size/5), HTML: html,
				Objects: []map[string]any{}}}
		if _, err := e.MarshalJSON(); err != nil { // warms the pool
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := e.MarshalJSON(); err != nil {
				t.Fatal(err)
			}
		})
		// Under the race detector the pooled buffer is sometimes made
		// again (300 samples there never exceeded 3).
		if slack := testenv.RaceSlack(1); allocs > float64(2+slack) {
			t.Errorf("HTML body of %d bytes: %.0f allocations per MarshalJSON, want at most 2 (+%d under the race detector)", len(html), allocs, slack)
		}
	}
}
