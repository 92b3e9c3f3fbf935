package emailhook

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// qpReads reads r to its first error (at most 1<<16 calls) with buffers of
// size, and returns every call's result: the bytes, their count and the
// error. A reader that behaves as mime/quotedprintable.Reader gives the
// same list.
func qpReads(r io.Reader, size int) []string {
	var out []string
	p := make([]byte, size)
	for range 1 << 16 {
		n, err := r.Read(p)
		out = append(out, fmt.Sprintf("%d %q %v", n, p[:n], err))
		if err != nil {
			// The error must stay: read once more.
			n, err = r.Read(p)
			return append(out, fmt.Sprintf("%d %q %v", n, p[:n], err))
		}
	}
	return out
}

// qpSource returns in as the reader kind mode names, so that both sides of
// a comparison see their input arrive alike: whole, one byte at a time,
// with the end in the last read, or ending in an error other than io.EOF.
func qpSource(in []byte, mode byte) io.Reader {
	switch mode % 4 {
	case 1:
		return iotest.OneByteReader(bytes.NewReader(in))
	case 2:
		return iotest.DataErrReader(bytes.NewReader(in))
	case 3:
		return io.MultiReader(bytes.NewReader(in), iotest.ErrReader(errors.New("link down")))
	}
	return bytes.NewReader(in)
}

// stdQPReader is mime/quotedprintable's reader, with a line buffer of
// 1 MiB instead of 4 KiB (it keeps a *bufio.Reader it is given): what
// qpReader does, reading a longer line whole.
func stdQPReader(r io.Reader) io.Reader {
	return quotedprintable.NewReader(bufio.NewReaderSize(r, 1<<20))
}

// checkQP compares qpReader with mime/quotedprintable.Reader on in (with
// lines up to 1 MiB: see stdQPReader).
func checkQP(t *testing.T, in []byte, size int, mode byte) {
	t.Helper()
	want := qpReads(stdQPReader(qpSource(in, mode)), size)
	got := qpReads(newQPReader(qpSource(in, mode)), size)
	if len(got) != len(want) {
		t.Fatalf("input %q, reads of %d, source %d: got %d reads, want %d\ngot  %q\nwant %q", in, size, mode%4, len(got), len(want), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("input %q, reads of %d, source %d: read %d: got %s, want %s", in, size, mode%4, i, got[i], want[i])
		}
	}
}

// qpCases are inputs on the edges of mime/quotedprintable's rules.
var qpCases = []string{
	"",
	"plain text\r\nsecond line\r\n",
	"caf=C3=A9 na=c3=afve\n",
	"soft=\r\nbreak=\nand = sign\r\n",
	"trailing space   \r\ntrailing tab\t\t\n",
	"= \r\n",
	"=  x\r\n",
	"ends with soft break=",
	"=",
	"==\r\n",
	"=4",
	"=4\r\n",
	"=\r",
	"a=\rb\n",
	"=G1 literal\r\n",
	"=1G\r\n",
	"bare\rcarriage\rreturns\n",
	"ctrl \x01 byte\n",
	"del \x7f byte\n",
	"high \xff\xfe bytes\n",
	"nul \x00\n",
	"=0D=0A encoded line end\r\n",
	"\n\n\r\n\r\n",
	"  \t  \r\n",
	strings.Repeat("x", 4095) + "\n" + strings.Repeat("y", 4096) + "\n",
	strings.Repeat("x", 4096),
	strings.Repeat("z", 5000) + "\r\nafter\r\n",
	strings.Repeat("=3D", 2000) + "\r\n",
	strings.Repeat("a", 4094) + "=\r\nb",
	`<td style=3D"color:#333;font-size:14px">Total =E2=82=AC 42</td>` + "\r\n",
}

func TestQPReaderMatchesStdlib(t *testing.T) {
	for _, c := range qpCases {
		for _, size := range []int{1, 2, 3, 7, 64, 4096, 1 << 16} {
			for mode := range byte(4) {
				checkQP(t, []byte(c), size, mode)
			}
		}
	}
}

// TestQPReaderCorpus decodes the corpus's HTML, quoted-printable encoded
// and also as it is (raw HTML read as quoted-printable, as a mislabelled
// part is), with both decoders.
func TestQPReaderCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*", "*.html"))
	files = append(files, "testdata/order-confirmation.html")
	for _, f := range files {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var enc bytes.Buffer
		w := quotedprintable.NewWriter(&enc)
		_, _ = w.Write(doc)
		_ = w.Close()
		for _, size := range []int{512, 32 << 10} {
			checkQP(t, enc.Bytes(), size, 0)
			checkQP(t, doc, size, 0)
		}
	}
}

func FuzzQPReader(f *testing.F) {
	for _, c := range qpCases {
		f.Add([]byte(c), uint16(64), byte(0))
	}
	f.Add([]byte("a=\r\nb=3Dc\r\n"), uint16(1), byte(1))
	f.Add([]byte("x=\r\n"), uint16(512), byte(2))
	f.Add([]byte("y=41="), uint16(3), byte(3))
	f.Fuzz(func(t *testing.T, in []byte, size uint16, mode byte) {
		checkQP(t, in, int(size%8192)+1, mode)
	})
}

// messageParts lists the entities of a message read with go-message alone
// (message.Read and MultipartReader) or as ReadMessage reads them
// (readEntity and nextPart): header, new-entity error, body and read
// error, depth first.
func messageParts(raw []byte, ours bool) []string {
	var out []string
	var walk func(e *message.Entity, newErr error, depth int)
	walk = func(e *message.Entity, newErr error, depth int) {
		var h bytes.Buffer
		_ = textproto.WriteHeader(&h, e.Header.Header)
		out = append(out, fmt.Sprintf("%d header %q error %v", depth, h.Bytes(), newErr))
		if mt, params, _ := e.Header.ContentType(); strings.HasPrefix(mt, "multipart/") {
			next := e.MultipartReader().NextPart
			if ours {
				mr := textproto.NewMultipartReader(e.Body, params["boundary"])
				next = func() (*message.Entity, error) { return nextPart(mr) }
			}
			for {
				p, err := next()
				if p == nil {
					out = append(out, fmt.Sprintf("%d end %v", depth, err))
					return
				}
				walk(p, err, depth+1)
			}
		}
		body, err := io.ReadAll(e.Body)
		out = append(out, fmt.Sprintf("%d body %q error %v", depth, body, err))
	}
	var e *message.Entity
	var err error
	if ours {
		e, err = readEntity(bytes.NewReader(raw))
	} else {
		e, err = message.Read(bytes.NewReader(raw))
	}
	if e == nil {
		return []string{fmt.Sprint("read error ", err)}
	}
	walk(e, err, 0)
	return out
}

// checkParts compares messageParts both ways on raw.
func checkParts(t *testing.T, raw []byte) {
	t.Helper()
	want, got := messageParts(raw, false), messageParts(raw, true)
	if strings.Contains(strings.Join(want, "\n"), bufio.ErrBufferFull.Error()) {
		// go-message failed a quoted-printable line longer than 4 KiB,
		// which qpReader reads whole (TestReadMessageLongQPLine).
		return
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("message %q:\ngot  %q\nwant %q", raw, got, want)
	}
}

// TestReadMessageLongQPLine reads a message whose HTML part is one
// quoted-printable line of 12 KB, which mime/quotedprintable (and so
// go-message) fails: ReadMessage keeps the whole part and its structured
// data, as mail clients show it.
func TestReadMessageLongQPLine(t *testing.T) {
	order := `<script type=3D"application/ld+json">{"@context":"https://schema.org","@type":"Order","orderNumber":"L-1"}</script>`
	html := "<html><body>" + strings.Repeat(`<td style=3D"color:#333">row</td>`, 400) + order + "</body></html>"
	raw := "From: shop@example.com\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + html + "\r\n"
	if len(html) < 3*4096 {
		t.Fatalf("the line is %d bytes: too short to test anything", len(html))
	}
	msg, err := testExtractor(t).ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(html, "=3D", "=") + "\r\n"
	if msg.HTML != want {
		t.Fatalf("got %d bytes of HTML (warnings %v), want %d", len(msg.HTML), msg.Warnings, len(want))
	}
	if len(msg.Objects) != 1 || msg.Objects[0]["orderNumber"] != "L-1" {
		t.Fatalf("got objects %v, warnings %v", msg.Objects, msg.Warnings)
	}
	// The standard decoder fails the same line.
	if _, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(html))); !errors.Is(err, bufio.ErrBufferFull) {
		t.Fatalf("mime/quotedprintable: got %v, want bufio.ErrBufferFull (then this test checks nothing new)", err)
	}
}

// entityCases are messages whose entities go-message makes with a
// transfer decoding: quoted-printable at the top and in parts, base64,
// unknown encodings and charsets, and a header past go-message's limit.
var entityCases = []string{
	"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<p class=3D\"x\">caf=C3=A9</p>=\r\n",
	"Content-Transfer-Encoding: Quoted-Printable\r\n\r\nbad =\x01 byte\r\n",
	"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nna=EFve\r\n",
	"Content-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx=41\r\n",
	"Content-Type: multipart/alternative; boundary=b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsoft=\r\nbreak\r\n" +
		"--b\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+aGk8L2I+\r\n" +
		"--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n" +
		"--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + strings.Repeat("w", 5000) + "\r\n" +
		"--b--\r\n",
	"Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/related; boundary=i\r\n\r\n" +
		"--i\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=3D=3d=\r\n--i--\r\n--o\r\nContent-Type: text/plain\r\n\r\ncut short",
	"X-Long: " + strings.Repeat("h", 1<<20) + "\r\n\r\nbody\r\n",
	" leading space\r\n\r\n",
	"not a header\r\n\r\n",
}

func TestEntitiesMatchGoMessage(t *testing.T) {
	for _, c := range entityCases {
		checkParts(t, []byte(c))
	}
	for _, name := range []string{"multipart-alternative-qp.eml", "base64-latin1.eml", "text-only.eml"} {
		raw, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		checkParts(t, raw)
	}
	checkParts(t, qpOrderMail(t))
	eml, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*", "*.eml"))
	for _, f := range eml {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkParts(t, raw)
	}
}

func FuzzEntities(f *testing.F) {
	for _, c := range entityCases[:len(entityCases)-3] {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkParts(t, raw) })
}
