package inbound_test

import (
	"os"
	"strings"
	"testing"
)

// maxMountLines is how long the README's mounting snippet may be.
const maxMountLines = 24

// TestREADMEMount checks that the README's mounting snippet is short and
// is the body of readmeMount (example_test.go), so that it compiles.
func TestREADMEMount(t *testing.T) {
	_ = readmeMount // compiled, not run: it opens inbound.db and needs an engine
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(readme), "## Mounting it in your server\n")
	_, snippet, ok2 := strings.Cut(sec, "```go\n")
	snippet, _, ok3 := strings.Cut(snippet, "```\n")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README.md has no Go snippet under \"## Mounting it in your server\"")
	}
	if n := strings.Count(snippet, "\n"); n > maxMountLines {
		t.Errorf("the mounting snippet has %d lines, want at most %d", n, maxMountLines)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, ok := strings.Cut(string(src), "func readmeMount() error {\n")
	body, _, ok2 = strings.Cut(body, "\treturn nil\n}\n")
	if !ok || !ok2 {
		t.Fatal("example_test.go has no readmeMount")
	}
	var code strings.Builder
	for _, l := range strings.SplitAfter(body, "\n") {
		code.WriteString(strings.TrimPrefix(l, "\t"))
	}
	if code.String() != snippet {
		t.Errorf("the README's mounting snippet differs from readmeMount in example_test.go:\nREADME:\n%s\nreadmeMount:\n%s", snippet, code.String())
	}
}
