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
