package emailhook

import "testing"

func testExtractor(t testing.TB) *Extractor {
	t.Helper()
	x, err := NewExtractor(ExtractOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// script is one data script's type and raw text.
type script struct {
	typ  string
	text []byte
}

// pullScripts returns the data scripts of doc.
func pullScripts(doc []byte) []script {
	var out []script
	eachScript(doc, func(typ string, text []byte) {
		out = append(out, script{typ: typ, text: append([]byte(nil), text...)})
	})
	return out
}
