// Package schema publishes the JSON shape of an event: the JSON Schema
// (draft 2020-12) of what json.Marshal writes for a hooks.Event. It is the
// one documented shape of an event's JSON: what the durable queue stores,
// what examples/server prints one line per event (without raw, header and
// file content), and what the README shows. The file itself is
// schema/event.schema.json in the repository, for tools in any language.
//
// The tests of this package check the README's event examples against it,
// and examples/hostmodule checks real events of every kind, in sync and
// queue mode.
package schema

import (
	"bytes"
	_ "embed"
)

//go:embed event.schema.json
var event []byte

// Event returns the JSON Schema of an event (a copy: the caller may keep
// or change it).
func Event() []byte { return bytes.Clone(event) }
