package emailhook

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"

	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/htmlindex"
)

// maxPostParts bounds the fields and files of a provider's form post.
const maxPostParts = 1000

// postForm is a provider's form post: text fields and file parts.
type postForm struct {
	values map[string][]string
	files  []postFile
}

type postFile struct {
	field, name, contentType string
	content                  []byte
}

func (f *postForm) get(k string) string {
	if vs := f.values[k]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

func (f *postForm) file(field string) *postFile {
	for i := range f.files {
		if f.files[i].field == field {
			return &f.files[i]
		}
	}
	return nil
}

var errNotForm = errors.New("not a form")

// readPostForm reads a multipart/form-data or urlencoded body. Text fields
// are kept as bytes-as-string (their charset is the provider's business:
// SendGrid names it per field); parts with a file name are files.
func readPostForm(contentType string, body []byte) (*postForm, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, errNotForm
	}
	f := &postForm{values: map[string][]string{}}
	switch mt {
	case "application/x-www-form-urlencoded":
		if bytes.Count(body, []byte("&")) >= maxPostParts {
			return nil, errors.New("too many fields")
		}
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		f.values = vals
		return f, nil
	case "multipart/form-data":
	default:
		return nil, errNotForm
	}
	if params["boundary"] == "" {
		return nil, errors.New("no multipart boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for n := 0; ; n++ {
		p, err := mr.NextRawPart() // no transfer decoding games: providers send plain parts
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			return nil, err
		}
		if n >= maxPostParts {
			return nil, errors.New("too many parts")
		}
		// The body is in memory already and bounded: reading a part whole
		// cannot exceed it.
		content, err := io.ReadAll(p)
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			if dec, err := decodeBase64(content); err == nil {
				content = dec
			}
		}
		name := p.FormName()
		if name == "" {
			continue
		}
		if fn := p.FileName(); fn != "" || p.Header.Get("Content-Type") != "" && !strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			f.files = append(f.files, postFile{field: name, name: baseName(fn), contentType: p.Header.Get("Content-Type"), content: content})
			continue
		}
		f.values[name] = append(f.values[name], string(content))
	}
}

// baseName drops any directory a sender put in a file name.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	return name
}

// toUTF8 converts s from the named charset; an unknown or absent charset
// leaves s as it is.
func toUTF8(s, charset string) string {
	cs := strings.ToLower(strings.TrimSpace(charset))
	if cs == "" || cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii" {
		return s
	}
	enc, err := htmlindex.Get(cs)
	if err != nil {
		return s
	}
	out, err := enc.NewDecoder().String(s)
	if err != nil {
		return s
	}
	return out
}

// headerFields reads a raw header block ("Name: value" lines, folded or
// not) into ordered fields. A block that does not end with an empty line
// is read to its end.
func headerFields(raw string) ([][2]string, error) {
	raw = strings.TrimLeft(raw, "\r\n")
	if !strings.HasSuffix(raw, "\n\n") && !strings.HasSuffix(raw, "\r\n\r\n") {
		raw = strings.TrimRight(raw, "\r\n") + "\r\n\r\n"
	}
	h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		return nil, err
	}
	var out [][2]string
	fs := h.Fields()
	for fs.Next() {
		out = append(out, [2]string{fs.Key(), fs.Value()})
	}
	return out, nil
}

// decodeBase64 decodes standard base64, ignoring line breaks and spaces.
func decodeBase64(b []byte) ([]byte, error) {
	clean := bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, b)
	out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(out, clean)
	return out[:n], err
}

// rawHeader reads the header of a raw message.
func rawHeader(raw []byte) textproto.Header {
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	return h
}
