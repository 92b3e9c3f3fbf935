package debuglog

import (
	"bytes"
	"encoding/base64"
	"testing"
	"unicode/utf8"
)

func FuzzCapBody(f *testing.F) {
	for _, s := range []string{"", "hello", "012345678é", "\xff\xfe", "日本語のテキスト", "a\x00b"} {
		f.Add([]byte(s), 9)
	}
	f.Fuzz(func(t *testing.T, body []byte, max int) {
		if max < 1 || max > 1<<16 {
			return
		}
		text, enc, truncated := capBody(body, max)
		if truncated != (len(body) > max) {
			t.Fatalf("truncated: got %v, want %v", truncated, len(body) > max)
		}
		kept := []byte(text)
		if enc == EncodingBase64 {
			var err error
			if kept, err = base64.StdEncoding.DecodeString(text); err != nil {
				t.Fatalf("base64: %v", err)
			}
		} else if !utf8.ValidString(text) {
			t.Fatalf("text body is not UTF-8: %q", text)
		}
		if len(kept) > max || !bytes.HasPrefix(body, kept) {
			t.Fatalf("kept %q: want a prefix of %q of at most %d bytes", kept, body, max)
		}
		if !truncated && !bytes.Equal(kept, body) {
			t.Fatalf("kept %q, want all of %q", kept, body)
		}
	})
}
