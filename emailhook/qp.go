package emailhook

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// go-message decodes quoted-printable bodies with mime/quotedprintable,
// whose Read moves one byte per loop and stores its position in the heap
// each time: a GC write barrier per byte while the collector marks, which
// made that decoding a quarter of the SMTP path's CPU. The entities of a
// message are therefore made here (readEntity, nextPart, newEntity), by
// go-message as before, with quoted-printable bodies read through
// qpReader, the same decoder with a faster inner loop.

// qpReader decodes quoted-printable as mime/quotedprintable.Reader does:
// the same lines, the same leniencies, the same bytes returned by each
// Read and the same errors (FuzzQPReader compares them), with one
// difference. The standard reader fails on a line longer than its 4 KiB
// buffer (bufio.ErrBufferFull), which made ReadMessage skip a whole HTML
// part written as one long line, its structured data with it; qpReader
// reads such a line whole. It copies each run of literal bytes at once and
// keeps its position in a local variable while it works.
type qpReader struct {
	br   *bufio.Reader
	rerr error  // last read error
	line []byte // to be consumed before more of br
	long []byte // a line longer than br's buffer, gathered whole
}

func newQPReader(r io.Reader) *qpReader { return &qpReader{br: bufio.NewReader(r)} }

// qpLiteral holds the bytes mime/quotedprintable passes through as they
// are: all but '=' and the control characters other than tab, CR and LF.
var qpLiteral = func() (t [256]bool) {
	for c := range t {
		t[c] = c != '=' && (c >= ' ' && c != 0x7f || c == '\t' || c == '\r' || c == '\n')
	}
	return t
}()

// Read decodes into p, as (*quotedprintable.Reader).Read.
func (r *qpReader) Read(p []byte) (n int, err error) {
	line := r.line
	for len(p) > 0 {
		if len(line) == 0 {
			if r.rerr != nil {
				r.line = line
				return n, r.rerr
			}
			line, r.rerr = r.readLine()
			line = r.trimLine(line)
			continue
		}
		i, m := 0, min(len(line), len(p))
		for i < m && qpLiteral[line[i]] {
			i++
		}
		if i > 0 {
			copy(p, line[:i])
			p, line, n = p[i:], line[i:], n+i
			continue
		}
		b := line[0]
		if b != '=' {
			r.line = line
			return n, fmt.Errorf("quotedprintable: invalid unescaped byte 0x%02x in body", b)
		}
		b, err = qpHexByte(line[1:])
		switch {
		case err == nil:
			line = line[2:] // 2 of the 3; the other 1 below
		case len(line) >= 2 && line[1] != '\r' && line[1] != '\n':
			b = '=' // take the = as a literal =
		default:
			r.line = line
			return n, err
		}
		p[0] = b
		p, line, n = p[1:], line[1:], n+1
	}
	r.line = line
	return n, nil
}

// readLine returns the next line of br with its end of line, however
// long: a line that does not fit br's buffer is gathered in r.long. It is
// called only once the line before is consumed.
func (r *qpReader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, err
	}
	r.long = append(r.long[:0], line...)
	for err == bufio.ErrBufferFull {
		line, err = r.br.ReadSlice('\n')
		r.long = append(r.long, line...)
	}
	return r.long, err
}

// trimLine returns the part of whole, a line just read, that is to be
// decoded: trailing white space dropped, a soft line break removed, a hard
// one restored as it was written. It sets r.rerr for bytes after a soft
// line break's "=", as mime/quotedprintable does.
func (r *qpReader) trimLine(whole []byte) []byte {
	hasLF := bytes.HasSuffix(whole, []byte("\n"))
	hasCR := bytes.HasSuffix(whole, []byte("\r\n"))
	line := bytes.TrimRight(whole, "\n\r \t")
	switch {
	case bytes.HasSuffix(line, []byte("=")):
		rest := bytes.TrimLeft(whole[len(line):], " \t")
		line = line[:len(line)-1]
		if !bytes.HasPrefix(rest, []byte("\n")) && !bytes.HasPrefix(rest, []byte("\r\n")) &&
			!(len(rest) == 0 && len(line) > 0 && r.rerr == io.EOF) {
			r.rerr = fmt.Errorf("quotedprintable: invalid bytes after =: %q", rest)
		}
	case hasCR:
		line = append(line, '\r', '\n')
	case hasLF:
		line = append(line, '\n')
	}
	return line
}

// qpHexByte decodes the two hex digits at the start of v, lower case
// accepted, with mime/quotedprintable's errors.
func qpHexByte(v []byte) (byte, error) {
	if len(v) < 2 {
		return 0, io.ErrUnexpectedEOF
	}
	hi, err := qpFromHex(v[0])
	if err != nil {
		return 0, err
	}
	lo, err := qpFromHex(v[1])
	if err != nil {
		return 0, err
	}
	return hi<<4 | lo, nil
}

func qpFromHex(b byte) (byte, error) {
	switch {
	case b >= '0' && b <= '9':
		return b - '0', nil
	case b >= 'A' && b <= 'F':
		return b - 'A' + 10, nil
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10, nil
	}
	return 0, fmt.Errorf("quotedprintable: invalid hex byte 0x%02x", b)
}

// newEntity is message.New with a quoted-printable body decoded by
// qpReader: go-message is given the header without its
// Content-Transfer-Encoding, so that it converts only the charset, and the
// entity keeps the header as it was. Other entities are message.New's.
func newEntity(h message.Header, body io.Reader) (*message.Entity, error) {
	mediaType, _, _ := h.ContentType()
	if !strings.EqualFold(h.Get("Content-Transfer-Encoding"), "quoted-printable") || strings.HasPrefix(mediaType, "multipart/") {
		return message.New(h, body)
	}
	plain := h.Copy()
	plain.Del("Content-Transfer-Encoding")
	e, err := message.New(plain, newQPReader(body))
	if e != nil {
		e.Header = h
	}
	return e, err
}

// maxHeaderBytes is go-message's limit on a message's header, which
// message.Read applies.
const maxHeaderBytes = 1 << 20

// readEntity is message.Read, with the entity made by newEntity.
func readEntity(r io.Reader) (*message.Entity, error) {
	lr := &headerLimitReader{r: r, n: maxHeaderBytes}
	br := bufio.NewReader(lr)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return nil, err
	}
	lr.n = math.MaxInt64
	return newEntity(message.Header{Header: h}, br)
}

// headerLimitReader is message.Read's limit on the header: reading past n
// bytes fails with go-message's error.
type headerLimitReader struct {
	r io.Reader
	n int64
}

func (l *headerLimitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errHeaderTooBig
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// errHeaderTooBig is go-message's error for a header past maxHeaderBytes,
// with its text.
var errHeaderTooBig = errors.New("message: header exceeds maximum size")

// nextPart is (message.MultipartReader).NextPart, with the entity made by
// newEntity.
func nextPart(mr *textproto.MultipartReader) (*message.Entity, error) {
	p, err := mr.NextPart()
	if err != nil {
		return nil, err
	}
	return newEntity(message.Header{Header: p.Header}, p)
}
