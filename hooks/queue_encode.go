package hooks

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The queue's payload of an Event is the Event's JSON, as MarshalJSON
// writes it (appendEvent is the one list of its members), with
// the bulk bytes taken out and stored beside it as they are: the raw body
// and the files' contents, which JSON would carry in base64 (a third more
// bytes, and an encoding and a decoding of each). The JSON also leaves out
// what the store keeps anyway (the event's ID, org and hook ID) and, when
// the body is JSON text whose decoding is exactly Data, Data itself: it is
// decoded again from the raw body on the rare read back (after a crash, a
// retry or a lease that ran out). A 1 KiB JSON webhook so costs the body
// plus a few hundred bytes, not two copies of it in base64.
//
// Likewise a large Data that is exactly what DecodeBody makes of the raw
// body (a big form, XML or text body, as a kind decoded it) is left out
// and decoded again on the read back. A multipart form carries each
// file's bytes as they are inside the raw body: such a file's content is stored as its place in Raw (offset and
// length), so that an upload is stored once, not twice.
//
// The layout:
//
//	payloadVersion (1 byte) | uvarint flags |
//	uvarint len(JSON) | JSON |
//	uvarint len(Raw)+1 (0: nil) | Raw |
//	for each file of the JSON, unless flagPartsFromRaw: uvarint len(Content)+1 (0: nil) | Content
//	  or, with flagFileRefs: uvarint 0 (nil) | uvarint 1, uvarint len(Content)+1, Content |
//	  uvarint 2, uvarint offset, uvarint length (Content is Raw[offset:offset+length])
//	with flagEmailBodies: uvarint len(Email.Text)+1 | Text | uvarint len(Email.HTML)+1 | HTML
//
// An email's bodies are stored after the files, as they are, like the raw
// body: in the JSON an HTML body would be escaped (each <, > and & six
// bytes), which costs its encoding a byte-by-byte pass and the store
// about a fifth more bytes than the HTML itself. Better still, when the
// email kind read them and the attachments' contents from the raw message
// and the queue can read them again (QueueOptions.EmailParts), none of
// them is stored (flagPartsFromRaw): the message is, once.
//
// Payloads of the first format were the JSON alone (starting with '{');
// decodeEvent reads both.
const payloadVersion = 1

// Flags of a payload.
const (
	// flagDataFromRaw: Data is the JSON decoding of Raw (numbers as
	// json.Number) and is not in the JSON.
	flagDataFromRaw = 1 << iota
	// flagTypeFromHeader: ContentType is the first Content-Type header
	// value and is not in the JSON.
	flagTypeFromHeader
	// flagFileRefs: each file's content is tagged, and may be a place in
	// Raw (see the layout).
	flagFileRefs
	// flagDataFromBody: Data is what DecodeBody makes of Raw with the
	// first Content-Type header value (a form, XML, text) and is not in
	// the JSON.
	flagDataFromBody
	// flagEmailBodies: Email.Text and Email.HTML are stored after the
	// files' contents and are not in the JSON.
	flagEmailBodies
	// flagPartsFromRaw: Email.Text, Email.HTML and the files' contents
	// are what the queue's EmailParts reads from Raw, and are stored
	// nowhere.
	flagPartsFromRaw

	knownFlags = flagDataFromRaw | flagTypeFromHeader | flagFileRefs | flagDataFromBody | flagEmailBodies | flagPartsFromRaw
)

// minDataFromBody is the smallest body whose Data encodeEvent tries to
// leave out as the body's decoding: the check decodes the body again,
// which is worth its cost only for a large body.
const minDataFromBody = 4 << 10

// replayDecode are the options a Data left out as flagDataFromBody is
// decoded again with. Limits only refuse, so any limits a kind decoded
// the body under, if these are as wide, give the same Data; encodeEvent
// checks that they do before it leaves Data out.
var replayDecode = DecodeOptions{MaxDepth: 1000, MaxFields: 1 << 20, MaxArrayIndex: 1 << 16}

// dataFromBody reports whether e.Data is what DecodeBody makes of e.Raw
// with e's first Content-Type header value.
func dataFromBody(e *Event) bool {
	ct := e.Header["Content-Type"]
	if len(ct) == 0 || ct[0] == "" || e.Raw == nil {
		return false
	}
	d, err := DecodeBody(ct[0], e.Raw, replayDecode)
	return err == nil && reflect.DeepEqual(d.Data, e.Data)
}

// decodeDataFromBody is the inverse of leaving Data out as
// flagDataFromBody.
func decodeDataFromBody(e *Event) (any, error) {
	ct := e.Header["Content-Type"]
	if len(ct) == 0 || ct[0] == "" {
		return nil, errors.New("no content type to decode the body with")
	}
	d, err := DecodeBody(ct[0], e.Raw, replayDecode)
	if err != nil {
		return nil, err
	}
	return d.Data, nil
}

// Tags of a file's content with flagFileRefs.
const (
	fileNil   = 0
	fileBytes = 1
	fileInRaw = 2
)

// minFileRef is the smallest file content looked for in the raw body:
// below it, a reference saves too little to be worth the search.
const minFileRef = 512

// eventParts says which members of an Event's JSON appendEvent writes:
// MarshalJSON writes them all; the queue's payload leaves out what is
// stored beside the JSON.
type eventParts uint8

const (
	// partKeys: id, org and hook_id, which the queue's store keeps
	// beside the payload.
	partKeys eventParts = 1 << iota
	// partData: data, which the payload may decode again from raw.
	partData
	// partRaw: raw, which the payload stores as it is after the JSON.
	partRaw
	// partContentType: content_type, which the payload may take from the
	// Content-Type header.
	partContentType
	// partFileContents: each file's content, which the payload stores
	// after the JSON (or as its place in raw).
	partFileContents
	// partEmailBodies: an email's text and HTML bodies, which the
	// payload stores after the JSON.
	partEmailBodies

	allParts = partKeys | partData | partRaw | partContentType | partFileContents | partEmailBodies
)

// jsonBufs holds the buffers an Event's JSON is written into before it is
// copied out at its length (*[]byte): the encoding allocates once,
// whatever the size of Data, which no cheap estimate knows (a Data
// without its raw body, as examples/server writes its event lines, made
// a buffer sized by estimate grow three times).
var jsonBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledJSON is the largest buffer put back in jsonBufs, and the
// bulk (see eventBulk) past which an event's JSON is written straight
// into a buffer of that size instead: the copy would cost more than a
// margin of spare bytes.
const maxPooledJSON = 64 << 10

// marshalEvent returns the JSON of e with the given parts, in a slice
// allocated once (see jsonBufs).
func marshalEvent(e *Event, parts eventParts) ([]byte, error) {
	js, buf, err := writeEventJSON(e, parts)
	if err != nil || buf == nil {
		return js, err
	}
	out := bytes.Clone(js)
	releaseEventJSON(buf, js)
	return out, nil
}

// writeEventJSON writes the JSON of e with the given parts into a buffer
// from jsonBufs, returned as buf for releaseEventJSON once js is copied;
// an event whose bulk passes maxPooledJSON is written into a buffer of
// its own, and buf is nil.
func writeEventJSON(e *Event, parts eventParts) (js []byte, buf *[]byte, err error) {
	bulk := eventBulk(e, parts)
	if bulk > maxPooledJSON {
		js, err = appendEvent(make([]byte, 0, bulk+bulk/8+4096), e, parts)
		return js, nil, err
	}
	buf = jsonBufs.Get().(*[]byte)
	if js, err = appendEvent(slices.Grow((*buf)[:0], bulk+4096), e, parts); err != nil {
		jsonBufs.Put(buf)
		return nil, nil, err
	}
	return js, buf, nil
}

// releaseEventJSON puts back in jsonBufs the buffer js was written in,
// unless it grew past maxPooledJSON.
func releaseEventJSON(buf *[]byte, js []byte) {
	if cap(js) > maxPooledJSON {
		return
	}
	*buf = js[:0]
	jsonBufs.Put(buf)
}

// eventBulk is the length of the largest members of e's JSON with the
// given parts, which are known before writing it: the raw body and the
// files' contents in base64, an email's bodies.
func eventBulk(e *Event, parts eventParts) int {
	n := 0
	if parts&partRaw != 0 {
		n += base64.StdEncoding.EncodedLen(len(e.Raw))
	}
	if parts&partFileContents != 0 {
		for i := range e.Files {
			n += base64.StdEncoding.EncodedLen(len(e.Files[i].Content))
		}
	}
	if e.Email != nil && parts&partEmailBodies != 0 {
		// Escapes make a text body a little longer and an HTML body
		// up to about twice as long (each <, > and & is six bytes):
		// a buffer grown once, not doubled along the way.
		n += len(e.Email.Text) + len(e.Email.Text)/4 + 2*len(e.Email.HTML)
	}
	return n
}

// appendEvent appends the JSON of e with the given parts: byte for byte
// what encoding/json writes for the Event's fields by their JSON tags
// (field order, omitempty and omitzero, escaping, sorted header names,
// times as time.Time.MarshalJSON, bytes in base64), without reflection.
// It is the one encoding of an Event, for Event.MarshalJSON and the
// queue's payload alike, and appendMembers the one list of its members
// for encoding; Event's tags, which must agree with it
// (TestEventFieldsEncoded), are what decoding reads.
func appendEvent(b []byte, e *Event, parts eventParts) ([]byte, error) {
	b, err := appendMembers(b, e, parts)
	if err != nil {
		return nil, fmt.Errorf("hooks: encode event %s: %w", e.ID, err)
	}
	return b, nil
}

// appendMembers appends the JSON object of e's members (see appendEvent).
func appendMembers(b []byte, e *Event, parts eventParts) ([]byte, error) {
	var err error
	b = append(b, '{')
	if parts&partKeys != 0 {
		b = append(b, `"id":`...)
		b = appendString(b, e.ID)
		b = appendStringMember(b, `,"org":`, e.Org)
		b = append(b, `,"hook_id":`...)
		b = appendString(b, e.HookID)
		b = append(b, ',')
	}
	b = append(b, `"hook_kind":`...)
	b = appendString(b, string(e.HookKind))
	b = append(b, `,"hook_name":`...)
	b = appendString(b, e.HookName)
	b = append(b, `,"received_at":`...)
	if b, err = appendTime(b, e.ReceivedAt); err != nil {
		return nil, err
	}
	if parts&partData != 0 {
		b = append(b, `,"data":`...)
		if b, err = appendData(b, e.Data, 0); err != nil {
			return nil, err
		}
	}
	if parts&partRaw != 0 && len(e.Raw) > 0 {
		b = append(b, `,"raw":`...)
		b = appendBase64(b, e.Raw)
	}
	if parts&partContentType != 0 && e.ContentType != "" {
		b = append(b, `,"content_type":`...)
		b = appendString(b, e.ContentType)
	}
	if len(e.Header) > 0 {
		b = append(b, `,"header":`...)
		b = appendHeader(b, e.Header)
	}
	if e.HeadersDropped != 0 {
		b = append(b, `,"headers_dropped":`...)
		b = strconv.AppendInt(b, int64(e.HeadersDropped), 10)
	}
	if e.HeaderBytesDropped != 0 {
		b = append(b, `,"header_bytes_dropped":`...)
		b = strconv.AppendInt(b, int64(e.HeaderBytesDropped), 10)
	}
	b = appendStringMember(b, `,"remote_addr":`, e.RemoteAddr)
	if len(e.Files) > 0 {
		b = append(b, `,"files":[`...)
		for i := range e.Files {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFile(b, &e.Files[i], parts&partFileContents != 0)
		}
		b = append(b, ']')
	}
	if e.Email != nil {
		b = append(b, `,"email":`...)
		if b, err = appendEmail(b, e.Email, parts&partEmailBodies != 0); err != nil {
			return nil, err
		}
	}
	b = appendStringMember(b, `,"idempotency_key":`, e.IdempotencyKey)
	return append(b, '}'), nil
}

// appendFile appends the JSON of f, with its content when withContent.
func appendFile(b []byte, f *File, withContent bool) []byte {
	b = append(b, `{"field":`...)
	b = appendString(b, f.Field)
	b = append(b, `,"name":`...)
	b = appendString(b, f.Name)
	b = append(b, `,"content_type":`...)
	b = appendString(b, f.ContentType)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, f.Size, 10)
	b = append(b, `,"sha256":`...)
	b = appendString(b, f.SHA256)
	b = appendStringMember(b, `,"content_id":`, f.ContentID)
	if f.Inline {
		b = append(b, `,"inline":true`...)
	}
	if withContent && len(f.Content) > 0 {
		b = append(b, `,"content":`...)
		b = appendBase64(b, f.Content)
	}
	return append(b, '}')
}

// appendEmail appends the JSON of m, with its text and HTML bodies when
// withBodies.
func appendEmail(b []byte, m *Email, withBodies bool) ([]byte, error) {
	b = append(b, `{"from":`...)
	b = appendString(b, m.From)
	b = appendStringMember(b, `,"from_name":`, m.FromName)
	b = appendStringsMember(b, `,"to":`, m.To)
	b = appendStringsMember(b, `,"cc":`, m.Cc)
	b = appendStringsMember(b, `,"reply_to":`, m.ReplyTo)
	b = append(b, `,"recipients":`...)
	b = appendStrings(b, m.Recipients)
	b = append(b, `,"subject":`...)
	b = appendString(b, m.Subject)
	b = appendStringMember(b, `,"message_id":`, m.MessageID)
	b = appendStringsMember(b, `,"in_reply_to":`, m.InReplyTo)
	b = appendStringsMember(b, `,"references":`, m.References)
	if !m.Date.IsZero() {
		b = append(b, `,"date":`...)
		var err error
		if b, err = appendTime(b, m.Date); err != nil {
			return nil, err
		}
	}
	if withBodies {
		b = appendStringMember(b, `,"text":`, m.Text)
		b = appendStringMember(b, `,"html":`, m.HTML)
	}
	if m.BodiesTruncated {
		b = append(b, `,"bodies_truncated":true`...)
	}
	b = append(b, `,"objects":`...)
	if m.Objects == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, o := range m.Objects {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendData(b, o, 0); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	b = appendStringsMember(b, `,"warnings":`, m.Warnings)
	if a := m.Auth; a != nil {
		b = append(b, `,"auth":{"source":`...)
		b = appendString(b, a.Source)
		if a.SPF != nil {
			b = append(b, `,"spf":`...)
			b = appendVerdict(b, a.SPF)
		}
		if len(a.DKIM) > 0 {
			b = append(b, `,"dkim":[`...)
			for i := range a.DKIM {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendVerdict(b, &a.DKIM[i])
			}
			b = append(b, ']')
		}
		if a.DMARC != nil {
			b = append(b, `,"dmarc":`...)
			b = appendVerdict(b, a.DMARC)
		}
		b = append(b, `,"summary":`...)
		b = appendString(b, a.Summary)
		b = append(b, '}')
	}
	if s := m.Sender; s != nil {
		b = append(b, `,"sender":{"allowed":`...)
		b = strconv.AppendBool(b, s.Allowed)
		b = appendStringMember(b, `,"identity":`, s.Identity)
		b = append(b, `,"reason":`...)
		b = appendString(b, s.Reason)
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendVerdict appends the JSON of v.
func appendVerdict(b []byte, v *AuthVerdict) []byte {
	b = append(b, `{"result":`...)
	b = appendString(b, v.Result)
	b = appendStringMember(b, `,"domain":`, v.Domain)
	b = appendStringMember(b, `,"policy":`, v.Policy)
	b = appendStringMember(b, `,"reason":`, v.Reason)
	return append(b, '}')
}

// appendStringsMember appends the member name (with its comma and
// colon) and ss, unless ss is empty (omitempty).
func appendStringsMember(b []byte, name string, ss []string) []byte {
	if len(ss) == 0 {
		return b
	}
	return appendStrings(append(b, name...), ss)
}

// appendStringMember appends the member name (which holds its leading
// comma and its colon) with the string s, unless s is empty (omitempty).
func appendStringMember(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return appendString(append(b, name...), s)
}

// appendStrings appends ss as a JSON array of strings; nil is null.
func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendHeader appends h as a JSON object, names in order.
func appendHeader(b []byte, h map[string][]string) []byte {
	var buf [smallMap]member[[]string]
	ms, pooled := sortedMembers(h, buf[:0], &headerMembers)
	b = append(b, '{')
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, m.key)
		b = append(b, ':')
		b = appendStrings(b, m.val)
	}
	releaseMembers(ms, pooled, &headerMembers)
	return append(b, '}')
}

// appendBase64 appends p as a JSON string in standard base64, as
// encoding/json writes a []byte.
func appendBase64(b, p []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, p)
	return append(b, '"')
}

// appendTime appends t as time.Time.MarshalJSON writes it (RFC 3339 with
// nanoseconds), and refuses what it refuses (a year outside 0..9999, a
// zone offset of 24 hours or more) with encoding/json's error.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	n0 := len(b)
	b = t.AppendFormat(b, time.RFC3339Nano)
	// The checks of time.Time.MarshalJSON, on the text it writes.
	bad := b[n0+len("9999")] != '-' // the year is not four digits
	if !bad && b[len(b)-1] != 'Z' {
		c := b[len(b)-len("Z07:00")]
		h := b[len(b)-len("07:00"):]
		bad = '0' <= c && c <= '9' || 10*(h[0]-'0')+(h[1]-'0') >= 24
	}
	if bad {
		_, err := json.Marshal(t)
		if err == nil {
			err = errors.New("time outside RFC 3339")
		}
		return nil, err
	}
	return append(b, '"'), nil
}

// smallMap is the most members of a header map whose sorted members
// live on the stack, and of a member slice sortedMembers sorts by
// insertion.
const smallMap = 16

// smallDataMap is the most members of a Data object whose sorted members
// live on the stack (appendSmallMap). It is smaller than smallMap because
// each level of nesting stacks its array: with 8 members (256 bytes, not
// 512), the event line of the yardstick's five-level webhook body fits a
// connection goroutine's 8 KiB stack, where 16 made it grow to 16 KiB
// after every garbage collection had shrunk it (runtime.newstack was 5 %
// of examples/server's CPU). Objects of more members are sorted in a
// pooled slice (appendLargeMap).
const smallDataMap = 8

// member is one member of a map, by key.
type member[V any] struct {
	key string
	val V
}

// Pools of member slices for maps larger than smallMap.
var (
	dataMembers   sync.Pool // of *[]member[any]
	headerMembers sync.Pool // of *[]member[[]string]
)

// maxPooledMembers is the largest member slice put back in a pool: one
// huge map does not keep its slice alive.
const maxPooledMembers = 4096

// sortedMembers returns the members of m sorted by key, in buf when they
// fit, else in a slice from pool (returned as pooled, for
// releaseMembers). The values come with the keys, from one pass over the
// map, with no lookup of each key afterwards.
func sortedMembers[V any](m map[string]V, buf []member[V], pool *sync.Pool) (ms []member[V], pooled *[]member[V]) {
	if len(m) > cap(buf) {
		pooled, _ = pool.Get().(*[]member[V])
		if pooled == nil || cap(*pooled) < len(m) {
			s := make([]member[V], 0, len(m))
			pooled = &s
		}
		buf = *pooled
	}
	ms = buf[:0]
	for k, v := range m {
		ms = append(ms, member[V]{k, v})
	}
	if len(ms) <= smallMap {
		// Insertion sort: for the small maps of most data, cheaper than
		// a general sort through a comparison function.
		for i := 1; i < len(ms); i++ {
			for j := i; j > 0 && ms[j].key < ms[j-1].key; j-- {
				ms[j], ms[j-1] = ms[j-1], ms[j]
			}
		}
	} else {
		slices.SortFunc(ms, func(a, b member[V]) int { return strings.Compare(a.key, b.key) })
	}
	return ms, pooled
}

// releaseMembers puts the slice of ms back in its pool when it came from
// there, its members cleared so that the pool holds no data alive.
func releaseMembers[V any](ms []member[V], pooled *[]member[V], pool *sync.Pool) {
	if pooled == nil || cap(*pooled) > maxPooledMembers {
		return
	}
	clear(ms)
	pool.Put(pooled)
}

// encodeEvent encodes e for the queue (see payloadVersion): the JSON is
// written by appendEvent without what is stored beside it. partsFromRaw
// says that e's email bodies and files' contents need not be stored: the
// queue reads them again from Raw with its EmailParts.
func encodeEvent(e *Event, partsFromRaw bool) ([]byte, error) {
	parts := partData | partContentType
	var flags uint64
	if e.Raw != nil && jsonTextEqual(e.Raw, e.Data) {
		flags |= flagDataFromRaw
		parts &^= partData
	} else if len(e.Raw) >= minDataFromBody && dataFromBody(e) {
		flags |= flagDataFromBody
		parts &^= partData
	}
	if ct := e.Header["Content-Type"]; e.ContentType != "" && len(ct) > 0 && ct[0] == e.ContentType {
		flags |= flagTypeFromHeader
		parts &^= partContentType
	}
	size := len(e.Raw)
	// An email's bodies are never in the payload's JSON (parts has no
	// partEmailBodies): they follow it, or are read again from Raw.
	switch {
	case e.Email != nil && partsFromRaw:
		flags |= flagPartsFromRaw
	case e.Email != nil:
		flags |= flagEmailBodies
		size += 2*binary.MaxVarintLen64 + len(e.Email.Text) + len(e.Email.HTML)
	}
	var refs []int
	if flags&flagPartsFromRaw == 0 {
		if refs = fileRefs(e); refs != nil {
			flags |= flagFileRefs
		}
		for i := range e.Files {
			size += 2*binary.MaxVarintLen64 + 1
			if refs == nil || refs[i] < 0 {
				size += len(e.Files[i].Content)
			}
		}
	}
	js, buf, err := writeEventJSON(e, parts)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(js)+size)
	b = append(b, payloadVersion)
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendUvarint(b, uint64(len(js)))
	b = append(b, js...)
	if buf != nil {
		releaseEventJSON(buf, js)
	}
	b = appendBytes(b, e.Raw)
	for i, f := range e.Files {
		switch {
		case flags&flagPartsFromRaw != 0:
		case refs == nil:
			b = appendBytes(b, f.Content)
		case f.Content == nil:
			b = append(b, fileNil)
		case refs[i] >= 0:
			b = append(b, fileInRaw)
			b = binary.AppendUvarint(b, uint64(refs[i]))
			b = binary.AppendUvarint(b, uint64(len(f.Content)))
		default:
			b = append(b, fileBytes)
			b = appendBytes(b, f.Content)
		}
	}
	if flags&flagEmailBodies != 0 {
		b = appendStringBytes(b, e.Email.Text)
		b = appendStringBytes(b, e.Email.HTML)
	}
	return b, nil
}

// fileRefs returns, for each file of a multipart form event, the offset in
// e.Raw where its content is found as it is, or -1; nil when no file is.
// Parts come in order, so each search starts where the last match ended,
// and the search stops at the first file that is not found (a form whose
// parts were transformed): the cost stays linear in the body.
func fileRefs(e *Event) []int {
	if e.ContentType != "multipart/form-data" || len(e.Files) == 0 || len(e.Raw) < minFileRef {
		return nil
	}
	var refs []int
	from, searching := 0, true
	for i, f := range e.Files {
		off := -1
		if searching && len(f.Content) >= minFileRef {
			if j := bytes.Index(e.Raw[from:], f.Content); j >= 0 {
				off = from + j
				from = off + len(f.Content)
			} else {
				searching = false
			}
		}
		if off >= 0 && refs == nil {
			refs = make([]int, len(e.Files))
			for k := range i {
				refs[k] = -1
			}
		}
		if refs != nil {
			refs[i] = off
		}
	}
	return refs
}

// appendBytes appends p with its length plus one in front (0 for nil).
func appendBytes(b, p []byte) []byte {
	if p == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(p))+1)
	return append(b, p...)
}

// appendStringBytes appends s's bytes with their length plus one in
// front, as appendBytes does for a non-nil slice.
func appendStringBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s))+1)
	return append(b, s...)
}

// cutString is the inverse of appendStringBytes.
func cutString(b []byte) (s string, rest []byte, err error) {
	p, rest, err := cutBytes(b)
	if err == nil && p == nil {
		err = errors.New("missing text")
	}
	return string(p), rest, err
}

// cutBytes is the inverse of appendBytes.
func cutBytes(b []byte) (p, rest []byte, err error) {
	n, w := binary.Uvarint(b)
	switch {
	case w <= 0:
		return nil, nil, errors.New("bad length")
	case n == 0:
		return nil, b[w:], nil
	case n-1 > uint64(len(b)-w):
		return nil, nil, errors.New("length past the end")
	}
	end := w + int(n-1)
	return b[w:end:end], b[end:], nil
}

// cutFile reads a file's content tagged as flagFileRefs says; a place in
// raw gives a slice of raw.
func cutFile(b, raw []byte) (p, rest []byte, err error) {
	if len(b) == 0 {
		return nil, nil, errors.New("missing file tag")
	}
	switch b[0] {
	case fileNil:
		return nil, b[1:], nil
	case fileBytes:
		return cutBytes(b[1:])
	case fileInRaw:
		off, w := binary.Uvarint(b[1:])
		if w <= 0 {
			return nil, nil, errors.New("bad offset")
		}
		b = b[1+w:]
		n, w := binary.Uvarint(b)
		if w <= 0 {
			return nil, nil, errors.New("bad length")
		}
		if off > uint64(len(raw)) || n > uint64(len(raw))-off {
			return nil, nil, errors.New("place past the raw body")
		}
		end := int(off + n)
		return raw[off:end:end], b[w:], nil
	}
	return nil, nil, errors.New("unknown file tag")
}

// decodeEvent is the inverse of encodeEvent; id, org and hookID are the
// ones the store keeps with the payload, and read reads the email parts
// a payload with flagPartsFromRaw left out. Numbers become json.Number, as
// the decoders produce them, so that the Trigger sees the same types in
// queue mode as in sync mode. Raw and the files' contents share p's
// memory, which the store hands out read-only.
func decodeEvent(p []byte, id, org, hookID string, read EmailParts) (*Event, error) {
	if len(p) > 0 && p[0] == '{' {
		return decodeEventJSON(p) // the first format
	}
	e, err := decodePayload(p, read)
	if err != nil {
		return nil, fmt.Errorf("hooks: decode queued event: %w", err)
	}
	e.ID, e.Org, e.HookID = id, org, hookID
	return e, nil
}

func decodePayload(p []byte, read EmailParts) (*Event, error) {
	if len(p) == 0 || p[0] != payloadVersion {
		return nil, errors.New("unknown payload format")
	}
	flags, w := binary.Uvarint(p[1:])
	if w <= 0 || flags&^knownFlags != 0 {
		return nil, errors.New("bad flags")
	}
	rest := p[1+w:]
	n, w := binary.Uvarint(rest)
	if w <= 0 || n > uint64(len(rest)-w) {
		return nil, errors.New("bad JSON length")
	}
	js := rest[w : w+int(n)]
	rest = rest[w+int(n):]
	e, err := unmarshalEvent(js)
	if err != nil {
		return nil, err
	}
	if e.Raw, rest, err = cutBytes(rest); err != nil {
		return nil, fmt.Errorf("raw: %w", err)
	}
	for i := range e.Files {
		if e.Files[i].Content != nil {
			return nil, errors.New("file content inside the JSON")
		}
		if flags&flagPartsFromRaw != 0 {
			continue // read from Raw below
		}
		if flags&flagFileRefs != 0 {
			e.Files[i].Content, rest, err = cutFile(rest, e.Raw)
		} else {
			e.Files[i].Content, rest, err = cutBytes(rest)
		}
		if err != nil {
			return nil, fmt.Errorf("file %d: %w", i, err)
		}
	}
	if flags&(flagEmailBodies|flagPartsFromRaw) != 0 && (e.Email == nil || e.Email.Text != "" || e.Email.HTML != "") {
		return nil, errors.New("email bodies without an email, or both in the JSON and elsewhere")
	}
	if flags&flagEmailBodies != 0 {
		if e.Email.Text, rest, err = cutString(rest); err != nil {
			return nil, fmt.Errorf("email text: %w", err)
		}
		if e.Email.HTML, rest, err = cutString(rest); err != nil {
			return nil, fmt.Errorf("email HTML: %w", err)
		}
	}
	if len(rest) != 0 {
		return nil, errors.New("data after the event")
	}
	if flags&flagTypeFromHeader != 0 {
		ct := e.Header["Content-Type"]
		if e.ContentType != "" || len(ct) == 0 || ct[0] == "" {
			return nil, errors.New("content type both in the JSON and in the header")
		}
		e.ContentType = ct[0]
	}
	if flags&flagDataFromBody != 0 {
		if e.Data != nil || e.Raw == nil || flags&flagDataFromRaw != 0 {
			return nil, errors.New("data both in the JSON and in the raw body")
		}
		if e.Data, err = decodeDataFromBody(e); err != nil {
			return nil, fmt.Errorf("data from the body: %w", err)
		}
	}
	if flags&flagDataFromRaw != 0 {
		if e.Data != nil || e.Raw == nil {
			return nil, errors.New("data both in the JSON and in the raw body")
		}
		if e.Data, err = unmarshalNumbers(e.Raw); err != nil {
			return nil, fmt.Errorf("data from the raw body: %w", err)
		}
	}
	if flags&flagPartsFromRaw != 0 {
		if err := setParts(e, flags, read); err != nil {
			return nil, fmt.Errorf("email parts from the raw message: %w", err)
		}
	}
	return e, nil
}

// setParts reads e's email bodies and files' contents from e.Raw with
// read, for a payload with flagPartsFromRaw (and without flagEmailBodies
// or flagFileRefs).
func setParts(e *Event, flags uint64, read EmailParts) error {
	switch {
	case flags&(flagEmailBodies|flagFileRefs) != 0:
		return errors.New("stored both after the JSON and as read from the raw message")
	case e.Raw == nil:
		return errors.New("no raw message")
	case read == nil:
		return errors.New("they are to be read from the raw message, and QueueOptions.EmailParts is not set")
	}
	p, err := read(e.Raw)
	if err != nil {
		return err
	}
	if len(p.Attachments) != len(e.Files) {
		return fmt.Errorf("the message has %d attachments, the event %d files", len(p.Attachments), len(e.Files))
	}
	e.Email.Text, e.Email.HTML = p.Text, p.HTML
	for i := range e.Files {
		e.Files[i].Content = p.Attachments[i]
	}
	return nil
}

// decodeEventJSON reads a payload of the first format: the Event's JSON.
func decodeEventJSON(b []byte) (*Event, error) {
	e, err := unmarshalEvent(b)
	if err != nil {
		return nil, fmt.Errorf("hooks: decode queued event: %w", err)
	}
	return e, nil
}

// unmarshalEvent decodes one Event's JSON, numbers as json.Number.
func unmarshalEvent(b []byte) (*Event, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var e Event
	if err := dec.Decode(&e); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the event")
	}
	return &e, nil
}

// unmarshalNumbers decodes one JSON value, numbers as json.Number, and
// refuses anything after it but white space.
func unmarshalNumbers(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("data after the value")
	}
	return v, nil
}

// jsonTextEqual reports whether b is one JSON value (with white space
// around it) whose decoding by encoding/json, numbers as json.Number, is
// deep-equal to v, without decoding it: it walks the text and v together,
// and allocates only for strings with escapes. It may answer false for
// some texts that do decode to v (objects with escaped or repeated keys,
// or more than maxCheckedKeys keys): the caller then stores v itself.
func jsonTextEqual(b []byte, v any) bool {
	c := textCmp{b: b}
	if !c.value(v, 0) {
		return false
	}
	c.ws()
	return c.i == len(c.b)
}

// maxCheckedKeys is the most keys of one object jsonTextEqual checks for
// repeats (pairwise); larger objects are not compared.
const maxCheckedKeys = 64

type textCmp struct {
	b []byte
	i int
}

func (c *textCmp) ws() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *textCmp) lit(s string) bool {
	if len(c.b)-c.i < len(s) || string(c.b[c.i:c.i+len(s)]) != s {
		return false
	}
	c.i += len(s)
	return true
}

func (c *textCmp) value(v any, depth int) bool {
	if depth > maxDataDepth {
		return false
	}
	c.ws()
	if c.i >= len(c.b) {
		return false
	}
	switch c.b[c.i] {
	case '{':
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		return c.object(m, depth)
	case '[':
		a, ok := v.([]any)
		if !ok {
			return false
		}
		c.i++
		c.ws()
		if c.i < len(c.b) && c.b[c.i] == ']' {
			c.i++
			return len(a) == 0
		}
		for n := 0; ; n++ {
			if n >= len(a) || !c.value(a[n], depth+1) {
				return false
			}
			if more, ok := c.next(']'); !ok || !more {
				return ok && n+1 == len(a)
			}
		}
	case '"':
		s, ok := v.(string)
		if !ok {
			return false
		}
		raw, esc, ok := c.str()
		if !ok {
			return false
		}
		if !esc {
			return string(raw) == s
		}
		var u string
		return json.Unmarshal(c.b[c.i-len(raw)-2:c.i], &u) == nil && u == s
	case 't':
		bv, ok := v.(bool)
		return ok && bv && c.lit("true")
	case 'f':
		bv, ok := v.(bool)
		return ok && !bv && c.lit("false")
	case 'n':
		return v == nil && c.lit("null")
	}
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	start := c.i
	for c.i < len(c.b) && isNumberByte(c.b[c.i]) {
		c.i++
	}
	tok := c.b[start:c.i]
	return string(tok) == string(n) && isJSONNumber(string(n))
}

func isNumberByte(b byte) bool {
	return b >= '0' && b <= '9' || b == '-' || b == '+' || b == '.' || b == 'e' || b == 'E'
}

// object compares the object at c.i with m.
func (c *textCmp) object(m map[string]any, depth int) bool {
	c.i++
	c.ws()
	if c.i < len(c.b) && c.b[c.i] == '}' {
		c.i++
		return len(m) == 0
	}
	if len(m) > maxCheckedKeys {
		return false
	}
	var keys [maxCheckedKeys][]byte
	for n := 0; ; n++ {
		if n >= len(m) {
			return false // more keys than m has (or repeats)
		}
		c.ws()
		if c.i >= len(c.b) || c.b[c.i] != '"' {
			return false
		}
		k, esc, ok := c.str()
		if !ok || esc {
			return false
		}
		for _, prev := range keys[:n] {
			if string(prev) == string(k) {
				return false
			}
		}
		keys[n] = k
		x, ok := m[string(k)]
		if !ok {
			return false
		}
		c.ws()
		if c.i >= len(c.b) || c.b[c.i] != ':' {
			return false
		}
		c.i++
		if !c.value(x, depth+1) {
			return false
		}
		if more, ok := c.next('}'); !ok || !more {
			return ok && n+1 == len(m)
		}
	}
}

// next consumes what follows an array element or object member: a comma
// (more follows) or the container's closing byte (it ends). ok is false
// for anything else, or the end of the text.
func (c *textCmp) next(closing byte) (more, ok bool) {
	c.ws()
	if c.i >= len(c.b) {
		return false, false
	}
	switch c.b[c.i] {
	case ',':
		c.i++
		return true, true
	case closing:
		c.i++
		return false, true
	}
	return false, false
}

// str scans the string at c.i (which is '"') and returns its bytes between
// the quotes and whether it has escapes. Without escapes it must be valid
// UTF-8 with no control characters, which encoding/json would keep as
// they are; with escapes the caller has encoding/json decode it.
func (c *textCmp) str() (raw []byte, esc, ok bool) {
	start := c.i + 1
	for i := start; i < len(c.b); {
		b := c.b[i]
		switch {
		case b == '"':
			c.i = i + 1
			return c.b[start:i], esc, true
		case b == '\\':
			esc = true
			i += 2
		case b < 0x20:
			return nil, false, false
		case b < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(c.b[i:])
			if r == utf8.RuneError && size == 1 {
				if !esc {
					esc = true // let encoding/json replace it, as it does
				}
			}
			i += size
		}
	}
	return nil, false, false
}

// maxDataDepth bounds appendData's recursion; decoded data is far
// shallower (defaultMaxDepth), and encoding/json refuses to decode deeper.
const maxDataDepth = 10000

// appendData appends v as JSON to dst.
func appendData(dst []byte, v any, depth int) ([]byte, error) {
	if depth > maxDataDepth {
		return nil, errDataTooDeep()
	}
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case string:
		return appendString(dst, v), nil
	case json.Number:
		if v == "" {
			return append(dst, '0'), nil // as encoding/json writes it
		}
		if !isJSONNumber(string(v)) {
			return nil, invalidNumber(v)
		}
		return append(dst, v...), nil
	case map[string]any:
		if v == nil {
			return append(dst, "null"...), nil // as encoding/json writes a nil map
		}
		// Keys in order, as encoding/json writes them: the same Event
		// always gives the same bytes.
		if len(v) > smallDataMap {
			return appendLargeMap(dst, v, depth)
		}
		return appendSmallMap(dst, v, depth)
	case []any:
		if v == nil {
			return append(dst, "null"...), nil // as encoding/json writes a nil slice
		}
		dst = append(dst, '[')
		for i, x := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendData(dst, x, depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	}
	return appendMarshaled(dst, v)
}

// The cold paths of appendData are functions of their own, so that their
// calls' arguments (fmt's and json.Marshal's interface values) do not
// enlarge appendData's frame, which each level of the data stacks.

// errDataTooDeep is appendData's error past maxDataDepth.
func errDataTooDeep() error { return fmt.Errorf("data nests deeper than %d levels", maxDataDepth) }

// invalidNumber is appendData's error for a json.Number that is not a
// number literal.
func invalidNumber(n json.Number) error { return fmt.Errorf("invalid number literal %q", string(n)) }

// appendMarshaled appends v as encoding/json writes it: a value of a type
// decoding never makes, which a Trigger or host put in Data.
func appendMarshaled(dst []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// appendSmallMap appends a map of at most smallDataMap members. It is a
// function of its own so that the arrays it sorts in are on the stack of a
// map's level only: appendData, which every value of the data passes
// through, keeps a small frame, and the stack of the goroutine that
// writes an event (a server's connection goroutine) grows less.
func appendSmallMap(dst []byte, v map[string]any, depth int) ([]byte, error) {
	// A small map's members go into an array on this stack, sorted
	// by an array of their indexes: stores into a local array need
	// no write barrier, which a slice (or swapping members that hold
	// pointers) would take while the GC runs, as it often does
	// under load.
	var buf [smallDataMap]member[any]
	var order [smallDataMap]uint8
	n := 0
	for k, x := range v {
		if n == len(buf) {
			break // only if v is written to meanwhile, a data race
		}
		buf[n] = member[any]{k, x}
		order[n] = uint8(n)
		for j := n; j > 0 && buf[order[j]].key < buf[order[j-1]].key; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
		n++
	}
	dst = append(dst, '{')
	for i := range n {
		var err error
		if dst, err = appendDataMember(dst, i, &buf[order[i]], depth); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// appendLargeMap appends a map of more than smallDataMap members (see
// appendData), sorted in a slice from a pool.
func appendLargeMap(dst []byte, v map[string]any, depth int) ([]byte, error) {
	ms, pooled := sortedMembers(v, nil, &dataMembers)
	defer releaseMembers(ms, pooled, &dataMembers)
	dst = append(dst, '{')
	for i := range ms {
		var err error
		if dst, err = appendDataMember(dst, i, &ms[i], depth); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// appendDataMember appends the i-th member m of a Data object at depth
// (a comma before every member but the first, then "key":value).
func appendDataMember(dst []byte, i int, m *member[any], depth int) ([]byte, error) {
	if i > 0 {
		dst = append(dst, ',')
	}
	dst = appendString(dst, m.key)
	dst = append(dst, ':')
	return appendData(dst, m.val, depth+1)
}

// plainByte holds the ASCII bytes appendString copies as they are.
var plainByte = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string, byte for byte as
// encoding/json writes it: <, > and & escaped (encoding/json's default
// HTML escaping), U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainByte[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// isJSONNumber reports whether s is a JSON number literal.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}
