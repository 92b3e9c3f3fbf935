package schema_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/inbound-hooks/inbound/schema"
)

// compile compiles the event schema, asserting formats (date-time), with
// no loader for anything outside it.
func compile(t testing.TB) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.Event()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseLoader(noLoader{})
	if err := c.AddResource("event.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("event.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// noLoader refuses every external reference: the schema is self-contained.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) { return nil, fmt.Errorf("no loading of %s", url) }

func validate(s *jsonschema.Schema, line []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// readmeEvents returns the lines of the README's ```json blocks.
func readmeEvents(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	in := false
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "```json"):
			in = true
		case strings.HasPrefix(l, "```"):
			in = false
		case in && strings.TrimSpace(l) != "":
			lines = append(lines, l)
		}
	}
	return lines
}

func TestREADMEEvents(t *testing.T) {
	s := compile(t)
	lines := readmeEvents(t)
	kinds := map[string]bool{}
	for _, l := range lines {
		if err := validate(s, []byte(l)); err != nil {
			t.Errorf("README event %s\n does not follow the schema: %v", l, err)
		}
		var e struct {
			Kind string `json:"hook_kind"`
		}
		_ = json.Unmarshal([]byte(l), &e)
		kinds[e.Kind] = true
	}
	for _, k := range []string{"form", "web", "email"} {
		if !kinds[k] {
			t.Errorf("the README shows no %s event (kinds %v)", k, kinds)
		}
	}
}

// TestSchemaRejects: the schema is strict enough to catch a drifting shape.
func TestSchemaRejects(t *testing.T) {
	s := compile(t)
	ok := `{"id":"06h1qwhs8srpf8xyx4zb9hm70m","hook_id":"h","hook_kind":"form","hook_name":"Contact","received_at":"2026-11-27T07:39:48.934994449Z","data":{"a":"b"}}`
	if err := validate(s, []byte(ok)); err != nil {
		t.Fatalf("a minimal event: %v", err)
	}
	email := `{"id":"06h1qwhs8srpf8xyx4zb9hm70m","hook_id":"h","hook_kind":"email","hook_name":"M","received_at":"2026-11-27T07:39:48Z","content_type":"message/rfc822",` +
		`"data":{"from":"a@b","to":[],"cc":[],"recipients":["t@in"],"subject":"s","message_id":"m"%s},"email":{"from":"a@b","recipients":["t@in"],"subject":"s","objects":[]%s}}`
	if err := validate(s, fmt.Appendf(nil, email, "", "")); err != nil {
		t.Fatalf("a minimal email event: %v", err)
	}
	bad := map[string]string{
		"kind instead of hook_kind":   strings.Replace(ok, `"hook_kind"`, `"kind"`, 1),
		"no data":                     strings.Replace(ok, `,"data":{"a":"b"}`, "", 1),
		"bad id":                      strings.Replace(ok, "06h1qwhs8srpf8xyx4zb9hm70m", "06H1QWHS8SRPF8XYX4ZB9HM70M", 1),
		"bad time":                    strings.Replace(ok, "2026-11-27T07:39:48.934994449Z", "yesterday", 1),
		"unknown field":               strings.Replace(ok, `"data"`, `"extra":1,"data"`, 1),
		"email without email":         strings.Replace(fmt.Sprintf(email, "", ""), `,"email":{"from":"a@b","recipients":["t@in"],"subject":"s","objects":[]}`, "", 1),
		"objects in data too":         fmt.Sprintf(email, `,"objects":[]`, ""),
		"email on a form event":       strings.Replace(fmt.Sprintf(email, "", ""), `"hook_kind":"email"`, `"hook_kind":"form"`, 1),
		"file without sha256":         strings.Replace(ok, `"data"`, `"files":[{"field":"cv","name":"a","content_type":"text/plain","size":1}],"data"`, 1),
		"email with an unknown field": fmt.Sprintf(email, "", `,"body":"x"`),
	}
	for name, doc := range bad {
		if err := validate(s, []byte(doc)); err == nil {
			t.Errorf("%s: accepted %s", name, doc)
		}
	}
}
