package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/internal/testenv"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

func TestDecodeBodyJSON(t *testing.T) {
	deep := strings.Repeat("[", 65) + strings.Repeat("]", 65)
	okDeep := strings.Repeat("[", 64) + strings.Repeat("]", 64)
	tests := []struct {
		name, ct, body string
		want           string // JSON of Data, when no error
		status         int
		code           string
	}{
		{"object", "application/json", `{"a":1,"b":"x"}`, `{"a":1,"b":"x"}`, 0, ""},
		{"charset utf-8", "application/json; charset=UTF-8", `{"a":true}`, `{"a":true}`, 0, ""},
		{"plus json", "application/cloudevents+json", `{"a":null}`, `{"a":null}`, 0, ""},
		{"array", "application/json", `[1,2,3]`, `[1,2,3]`, 0, ""},
		{"scalar string", "application/json", `"hi"`, `"hi"`, 0, ""},
		{"scalar number", "application/json", ` 12345678901234567890 `, `12345678901234567890`, 0, ""},
		{"big int kept", "application/json", `{"id":9007199254740993}`, `{"id":9007199254740993}`, 0, ""},
		{"brackets in strings", "application/json", `{"a":"[[[[{{{{"}`, `{"a":"[[[[{{{{"}`, 0, ""},
		{"depth 64 ok", "application/json", okDeep, okDeep, 0, ""},
		{"too deep", "application/json", deep, "", 400, errcode.TooDeep},
		{"malformed", "application/json", `{"a":`, "", 400, errcode.MalformedBody},
		{"trailing garbage", "application/json", `{"a":1} x`, "", 400, errcode.MalformedBody},
		{"two values", "application/json", `{}{}`, "", 400, errcode.MalformedBody},
		{"empty", "application/json", ``, "", 400, errcode.MalformedBody},
		{"latin1 json", "application/json; charset=latin1", `{}`, "", 415, errcode.UnsupportedCharset},
		{"missing ct", "", `{}`, "", 415, errcode.UnsupportedMedia},
		{"image", "image/png", `{}`, "", 415, errcode.UnsupportedMedia},
		{"bad ct", "application/json; ===", `{}`, "", 415, errcode.UnsupportedMedia},
		{"html", "text/html", `<a/>`, "", 415, errcode.UnsupportedMedia},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecodeBody(tt.ct, []byte(tt.body), DecodeOptions{})
			checkDecode(t, d, err, tt.want, tt.status, tt.code)
		})
	}
}

// TestDecodeJSONLikeEncodingJSON checks the values decodeJSON builds
// (strings cut from one copy of the body, maps and slices made at their
// final size) against encoding/json with UseNumber, on what takes each of
// its paths: escapes, non-ASCII and invalid UTF-8, duplicate names at
// several levels, nesting that shares the member and element stacks.
// Each body is decoded after a failed decode, so that what a failure
// leaves in the pooled state would show, and then the body is overwritten,
// so that data aliasing it would show.
func TestDecodeJSONLikeEncodingJSON(t *testing.T) {
	for _, body := range []string{
		`{"a":"plain","b":"esc\"aped\n","c":"\u00e9t\u00e9","d":"\ud83d\ude00"}`,
		`{"caf\u00e9":1,"naïve":"ünïcødé","k\"q":[]}`,
		"{\"bad\":\"\xff\xfe\",\"half\":\"a\xc3\"}",
		`{"a":1,"a":2,"o":{"a":"x","a":"y","a":{}},"a":3}`,
		`[{"a":[1,[2,[3,{"b":[4,5]}]],6]},[],{},[[],[{}]],"s",-0.5e+3,true,false,null]`,
		`{"items":[{"sku":"A","qty":1},{"sku":"B","qty":2},{"sku":"C","qty":3}],"n":9,"m":{"1":1,"2":2,"3":3,"4":4,"5":5,"6":6,"7":7,"8":8,"9":9,"10":10}}`,
		`"top"`, `12.50`, `[]`, `{}`, `null`,
	} {
		t.Run(fmt.Sprintf("%.24s", body), func(t *testing.T) {
			if _, err := DecodeBody(mediaJSON, []byte(`{"x":[1,{"y":"z",`), DecodeOptions{}); err == nil {
				t.Fatal("a truncated body decoded")
			}
			b := []byte(body)
			d, err := DecodeBody(mediaJSON, b, DecodeOptions{})
			if err != nil {
				t.Fatalf("got err %v, want none", err)
			}
			for i := range b {
				b[i] = ' '
			}
			var want any
			jd := json.NewDecoder(strings.NewReader(body))
			jd.UseNumber()
			if err := jd.Decode(&want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Data, want) {
				t.Fatalf("got %#v, encoding/json gives %#v", d.Data, want)
			}
		})
	}
}

func checkDecode(t *testing.T, d *Decoded, err error, want string, status int, code string) {
	t.Helper()
	if status != 0 {
		var he *Error
		if !errors.As(err, &he) {
			t.Fatalf("got err %v, want *Error %d %s", err, status, code)
		}
		if he.Status != status || he.Code != code {
			t.Fatalf("got %d %s, want %d %s", he.Status, he.Code, status, code)
		}
		return
	}
	if err != nil {
		t.Fatalf("got err %v, want none", err)
	}
	if got := mustJSON(t, d.Data); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestDecodeBodyForm(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name, ct, body string
		want           string
		status         int
		code           string
	}{
		{"plain names", form, "name=Ada&email=ada%40example.com", `{"email":"ada@example.com","name":"Ada"}`, 0, ""},
		{"plus is space", form, "msg=hello+world", `{"msg":"hello world"}`, 0, ""},
		{"empty value kept", form, "a=&b", `{"a":"","b":""}`, 0, ""},
		{"repeated keys", form, "t=1&t=2&t=3", `{"t":["1","2","3"]}`, 0, ""},
		{"brackets append", form, "a[]=x&a[]=y", `{"a":["x","y"]}`, 0, ""},
		{"single bracket append", form, "a[]=x", `{"a":["x"]}`, 0, ""},
		{"nested bracket", form, "a[b]=1&a[c][d]=2", `{"a":{"b":"1","c":{"d":"2"}}}`, 0, ""},
		{"nested dot", form, "a.b=1&a.c.d=2", `{"a":{"b":"1","c":{"d":"2"}}}`, 0, ""},
		{"mixed dot and bracket", form, "a[b].c=1&a.b[d]=2", `{"a":{"b":{"c":"1","d":"2"}}}`, 0, ""},
		{"indexes", form, "a[1]=y&a[0]=x", `{"a":["x","y"]}`, 0, ""},
		{"sparse index", form, "a[2]=z", `{"a":[null,null,"z"]}`, 0, ""},
		{"array of objects", form, "p[0][n]=a&p[0][v]=1&p[1][n]=b", `{"p":[{"n":"a","v":"1"},{"n":"b"}]}`, 0, ""},
		{"append objects", form, "p[][n]=a&p[][n]=b", `{"p":[{"n":"a"},{"n":"b"}]}`, 0, ""},
		{"repeated nested", form, "a[b]=1&a[b]=2", `{"a":{"b":["1","2"]}}`, 0, ""},
		{"plain then append", form, "a=1&a[]=2", `{"a":["1","2"]}`, 0, ""},
		{"index on object is key", form, "a[x]=1&a[0]=2", `{"a":{"0":"2","x":"1"}}`, 0, ""},
		{"unbalanced is plain", form, "a[b=1", `{"a[b":"1"}`, 0, ""},
		{"leading dot is plain", form, ".a=1", `{".a":"1"}`, 0, ""},
		{"mixed", form, "name=Ada&tags[]=x&tags[]=y&addr[city]=Paris&n=1&n=2",
			`{"addr":{"city":"Paris"},"n":["1","2"],"name":"Ada","tags":["x","y"]}`, 0, ""},
		{"utf-8", form, "n=%C3%A9t%C3%A9", `{"n":"été"}`, 0, ""},
		{"iso-8859-1", form + "; charset=ISO-8859-1", "n=%E9t%E9", `{"n":"été"}`, 0, ""},
		{"windows-1252", form + "; charset=windows-1252", "n=%80%E9", `{"n":"€é"}`, 0, ""},
		{"charset utf8 alias", form + "; charset=utf8", "n=%C3%A9", `{"n":"é"}`, 0, ""},
		{"empty body", form, "", `{}`, 0, ""},
		{"unknown charset", form + "; charset=klingon", "a=1", "", 415, errcode.UnsupportedCharset},
		{"bad escape", form, "a=%zz", "", 400, errcode.MalformedBody},
		{"index too large", form, "a[99999999]=x", "", 400, errcode.ArrayIndexTooHigh},
		{"index overflow", form, "a[999999999999999999999999]=x", "", 400, errcode.ArrayIndexTooHigh},
		{"index 1000 ok", form, "a[1000]=x", "", -1, ""},
		{"two sparse arrays ok", form, "a[1000]=x&b[1000]=x", "", -1, ""},
		{"three sparse arrays ok", form, "a[1000]=x&b[1000]=x&c[1000]=x", "", -1, ""},
		{"many sparse arrays", form, sparseFields(40, "a%d[1000]=x"), "", 400, errcode.ArrayIndexTooHigh},
		{"many sparse nested arrays", form, sparseFields(40, "a[%d][999]=x"), "", 400, errcode.ArrayIndexTooHigh},
		{"dense arrays ok", form, strings.Repeat("a[]=x&", 900) + strings.Repeat("b[]=y&", 90), "", -1, ""},
		{"too deep key", form, "a" + strings.Repeat("[b]", 64) + "=1", "", 400, errcode.TooDeep},
		{"conflict value then object", form, "a=1&a[b]=2", "", 400, errcode.MalformedBody},
		{"conflict array then object", form, "a[]=1&a[b]=2", "", 400, errcode.MalformedBody},
		{"too many fields", form, strings.Repeat("a=1&", 1001), "", 413, errcode.TooManyFields},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecodeBody(tt.ct, []byte(tt.body), DecodeOptions{})
			if tt.status == -1 {
				if err != nil {
					t.Fatalf("got err %v, want none", err)
				}
				return
			}
			checkDecode(t, d, err, tt.want, tt.status, tt.code)
		})
	}
}

type part struct {
	name, filename, ct, body string
}

func multipartBody(t testing.TB, parts []part) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := `form-data; name="` + p.name + `"`
		if p.filename != "-" && p.filename != "" {
			disp += `; filename="` + p.filename + `"`
		} else if p.filename == "-" {
			disp += `; filename=""`
		}
		h.Set("Content-Disposition", disp)
		if p.ct != "" {
			h.Set("Content-Type", p.ct)
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(p.body))
	}
	_ = mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func TestDecodeBodyMultipart(t *testing.T) {
	ct, body := multipartBody(t, []part{
		{name: "name", body: "Ada"},
		{name: "tags[]", body: "x"},
		{name: "tags[]", body: "y"},
		{name: "addr[city]", body: "Paris"},
		{name: "empty", body: ""},
		{name: "latin", ct: "text/plain; charset=iso-8859-1", body: "\xe9"},
		{name: "doc", filename: `C:\Users\ada\report.txt`, ct: "text/plain", body: "hello"},
		{name: "bin", filename: "../../etc/x.bin", body: "\x00\x01"},
		{name: "nofile", filename: "-", body: ""},
	})
	d, err := DecodeBody(ct, body, DecodeOptions{})
	if err != nil {
		t.Fatalf("got err %v", err)
	}
	if got, want := mustJSON(t, d.Data), `{"addr":{"city":"Paris"},"empty":"","latin":"é","name":"Ada","tags":["x","y"]}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	want := []File{
		{Field: "doc", Name: "report.txt", ContentType: "text/plain", Size: 5,
			SHA256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", Content: []byte("hello")},
		{Field: "bin", Name: "x.bin", ContentType: "application/octet-stream", Size: 2,
			SHA256: "fe3e8a4ed0a4d5cfb1fa2d0e6ae12bb5ed7ae1a2a9e7c1b9f9b1bb1a0e3f8f43", Content: []byte{0, 1}},
	}
	if len(d.Files) != 2 {
		t.Fatalf("got %d files, want 2", len(d.Files))
	}
	want[1].SHA256 = d.Files[1].SHA256 // checked below against a fresh sum
	if !reflect.DeepEqual(d.Files, want) {
		t.Fatalf("got %+v, want %+v", d.Files, want)
	}
	if d.Files[1].SHA256 != "b413f47d13ee2fe6c845b2ee141af81de858df4ec549a58b7970bb96645bc8d2" {
		t.Fatalf("got sha256 %s", d.Files[1].SHA256)
	}
	if d.ContentType != mediaMultipart {
		t.Fatalf("got %s, want %s", d.ContentType, mediaMultipart)
	}
}

func TestDecodeBodyMultipartErrors(t *testing.T) {
	many := make([]part, 1001)
	for i := range many {
		many[i] = part{name: "a", body: "1"}
	}
	manyCT, manyBody := multipartBody(t, many)
	okCT, okBody := multipartBody(t, []part{{name: "a", body: "1"}})
	badCS, badCSBody := multipartBody(t, []part{{name: "a", ct: "text/plain; charset=nope", body: "1"}})
	tests := []struct {
		name, ct string
		body     []byte
		status   int
		code     string
	}{
		{"no boundary", "multipart/form-data", okBody, 400, errcode.MalformedBody},
		{"wrong boundary", "multipart/form-data; boundary=zzz", okBody, 400, errcode.MalformedBody},
		{"truncated", okCT, okBody[:len(okBody)-10], 400, errcode.MalformedBody},
		{"garbage", okCT, []byte("garbage"), 400, errcode.MalformedBody},
		{"too many parts", manyCT, manyBody, 413, errcode.TooManyFields},
		{"bad part charset", badCS, badCSBody, 415, errcode.UnsupportedCharset},
		{"unknown request charset", okCT + "; charset=nope", okBody, 415, errcode.UnsupportedCharset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecodeBody(tt.ct, tt.body, DecodeOptions{})
			checkDecode(t, d, err, "", tt.status, tt.code)
		})
	}
}

func TestDecodeOptionsLimits(t *testing.T) {
	o := DecodeOptions{MaxDepth: 2, MaxFields: 2, MaxArrayIndex: 3}
	tests := []struct {
		name, ct, body string
		status         int
	}{
		{"json depth 2 ok", mediaJSON, `{"a":{}}`, 0},
		{"json depth 3", mediaJSON, `{"a":{"b":[]}}`, http.StatusBadRequest},
		{"form depth 2 ok", mediaForm, `a[b]=1`, 0},
		{"form depth 3", mediaForm, `a[b][c]=1`, http.StatusBadRequest},
		{"fields 2 ok", mediaForm, `a=1&b=2`, 0},
		{"fields 3", mediaForm, `a=1&b=2&c=3`, http.StatusRequestEntityTooLarge},
		{"index 3 ok", mediaForm, `a[3]=1`, 0},
		{"index 4", mediaForm, `a[4]=1`, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeBody(tt.ct, []byte(tt.body), o)
			got := 0
			if err != nil {
				got = AsError(err).Status
			}
			if got != tt.status {
				t.Fatalf("got status %d (%v), want %d", got, err, tt.status)
			}
		})
	}
}

func TestBaseName(t *testing.T) {
	for in, want := range map[string]string{
		"a.txt": "a.txt", "/x/y/a.txt": "a.txt", `C:\x\a.txt`: "a.txt", "..": "", "x/..": "", "": "",
	} {
		if got := baseName(in); got != want {
			t.Errorf("baseName(%q): got %q, want %q", in, got, want)
		}
	}
}

// checkFuzzResult fails unless err is nil or a 4xx *Error, and the data
// can be written as JSON.
func checkFuzzResult(t *testing.T, d *Decoded, err error) {
	if err != nil {
		var he *Error
		if !errors.As(err, &he) || he.Status < 400 || he.Status > 499 {
			t.Fatalf("got %v, want a 4xx *Error", err)
		}
		return
	}
	if _, err := json.Marshal(d.Data); err != nil {
		t.Fatalf("data not JSON-encodable: %v", err)
	}
}

// valueDepth is the nesting of objects and arrays in a decoded value.
func valueDepth(v any) int {
	d := 0
	switch c := v.(type) {
	case map[string]any:
		for _, e := range c {
			d = max(d, valueDepth(e))
		}
		return d + 1
	case []any:
		for _, e := range c {
			d = max(d, valueDepth(e))
		}
		return d + 1
	}
	return 0
}

// FuzzDecodeJSON checks DecodeBody against encoding/json: the same
// documents are accepted (up to the nesting limit) and give the same
// values.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `"x"`, `1e400`, `-0.5E+3`, `{"a":[1,{"b":null}]}`, `{"a":"\"[["}`, `[[[`,
		`{} {}`, `nul`, `{"a":1,"a":2}`, `"\ud800"`, "\"\xff\"", `[1,]`, ` {"k" : true } `, `[[[[[[[[[1]]]]]]]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		const limit = 8
		d, err := DecodeBody(mediaJSON, body, DecodeOptions{MaxDepth: limit})
		checkFuzzResult(t, d, err)
		var want any
		jd := json.NewDecoder(bytes.NewReader(body))
		jd.UseNumber()
		werr := jd.Decode(&want)
		if werr == nil {
			if _, e := jd.Token(); e != io.EOF {
				werr = errors.New("trailing data")
			}
		}
		if werr != nil || len(bytes.TrimSpace(body)) == 0 {
			if err == nil {
				t.Fatalf("accepted %q, which encoding/json rejects (%v)", body, werr)
			}
			return
		}
		if valueDepth(want) > limit {
			if AsError(err).Code != errcode.TooDeep {
				t.Fatalf("got %v for depth %d, want %s", err, valueDepth(want), errcode.TooDeep)
			}
			return
		}
		if err != nil {
			t.Fatalf("rejected %q (%v), which encoding/json accepts", body, err)
		}
		got, _ := json.Marshal(d.Data)
		exp, _ := json.Marshal(want)
		if !bytes.Equal(got, exp) {
			t.Fatalf("got %s, encoding/json gives %s", got, exp)
		}
	})
}

func FuzzDecodeForm(f *testing.F) {
	for _, s := range []string{"a=1", "a[]=1&a[]=2", "a[b][c]=1", "a.b=1", "a[0][x]=1&a[1]=2", "a=1&a[b]=2",
		"a[99999]=1", "a[=1", "a]=1", "%zz", "a[][]=1", "a..b=1", "a[b]c=1"} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "windows-1252")
	}
	f.Fuzz(func(t *testing.T, body []byte, charset string) {
		ct := mediaForm
		if charset != "" {
			ct += "; charset=" + charset
		}
		d, err := DecodeBody(ct, body, DecodeOptions{MaxDepth: 8, MaxFields: 50, MaxArrayIndex: 50})
		checkFuzzResult(t, d, err)
	})
}

func FuzzDecodeMultipart(f *testing.F) {
	ct, body := multipartBody(f, []part{{name: "a", body: "1"}, {name: "f", filename: "x.txt", body: "hi"},
		{name: "b[c]", ct: "text/plain; charset=latin1", body: "\xe9"}})
	_, boundary, _ := strings.Cut(ct, "boundary=")
	f.Add(body, boundary)
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--x--\r\n"), "x")
	f.Add([]byte("--x\r\n\r\n--x--"), "x")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		ct := "multipart/form-data; boundary=\"" + strings.ReplaceAll(boundary, `"`, "") + "\""
		d, err := DecodeBody(ct, body, DecodeOptions{MaxDepth: 8, MaxFields: 50, MaxArrayIndex: 50})
		checkFuzzResult(t, d, err)
	})
}

// TestDecodeCorpusJSON decodes the real-world JSON of the shared corpus:
// valid JSON must decode, anything else must be a 4xx, never a panic.
func TestDecodeCorpusJSON(t *testing.T) {
	root := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(root); err != nil {
		testenv.Need(t, "the shared corpus (../shared/corpus) is not present")
	}
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext != ".json" && ext != ".jsonld" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		dec, derr := DecodeBody("application/json; charset=utf-8", b, DecodeOptions{})
		if json.Valid(b) {
			if derr != nil {
				t.Errorf("%s: valid JSON rejected: %v", path, derr)
				return nil
			}
			var want any
			jd := json.NewDecoder(bytes.NewReader(b))
			jd.UseNumber()
			_ = jd.Decode(&want)
			if !reflect.DeepEqual(dec.Data, want) {
				t.Errorf("%s: decoded data differs from encoding/json", path)
			}
			return nil
		}
		if he := AsError(derr); derr == nil || he.Status != http.StatusBadRequest {
			t.Errorf("%s: invalid JSON: got %v, want 400", path, derr)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("decoded %d corpus files", n)
}

// sparseFields joins n urlencoded fields made from format and their index.
func sparseFields(n int, format string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(format, i)
	}
	return strings.Join(parts, "&")
}
