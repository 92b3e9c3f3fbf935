package hooks_test

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/go-playground/form/v4"

	"github.com/inbound-hooks/inbound/hooks"
)

const benchForm = "name=Ada&age=36&agree=on&score=9.5&born=1815-12-10&tags[]=math&tags[]=engines" +
	"&address[city]=London&address[zip]=W1&items[0][sku]=A1&items[0][qty]=2&items[1][sku]=B2&items[1][qty]=1"

// BenchmarkBindForm binds a decoded form event; the baseline is what a
// host does by hand with form/v4 on url.ParseQuery of the raw body (which
// cannot read tags[] and must be given the keys form/v4 expects).
func BenchmarkBindForm(b *testing.B) {
	e := formEvent(b, "application/x-www-form-urlencoded", []byte(benchForm))
	b.ReportAllocs()
	for b.Loop() {
		var s signup
		if err := e.Bind(&s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBindFormBaseline(b *testing.B) {
	dec := form.NewDecoder()
	dec.SetNamespacePrefix("[")
	dec.SetNamespaceSuffix("]")
	dec.RegisterCustomTypeFunc(func(v []string) (any, error) { return time.Parse(time.DateOnly, v[0]) }, time.Time{})
	raw := "name=Ada&age=36&agree=on&score=9.5&born=1815-12-10&tags=math&tags=engines" +
		"&address[city]=London&address[zip]=W1&items[0][sku]=A1&items[0][qty]=2&items[1][sku]=B2&items[1][qty]=1"
	b.ReportAllocs()
	for b.Loop() {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			b.Fatal(err)
		}
		var s signup
		if err := dec.Decode(&s, vals); err != nil {
			b.Fatal(err)
		}
	}
}

const benchJSON = `{"ref":"refs/heads/main","repository":{"id":18446744073709551615,"full_name":"o/r"},` +
	`"commits":[{"id":"c1","message":"fix"},{"id":"c2","message":"more"}],"size":12345678901234567,"extra":{"a":[1,2,3]}}`

// BenchmarkBindJSON binds a decoded JSON event; the baseline unmarshals
// the raw body straight into the struct.
func BenchmarkBindJSON(b *testing.B) {
	d, err := hooks.DecodeBody("application/json", []byte(benchJSON), hooks.DecodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	e := &hooks.Event{Data: d.Data, ContentType: d.ContentType, Raw: []byte(benchJSON)}
	b.ReportAllocs()
	for b.Loop() {
		var p push
		if err := e.Bind(&p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBindJSONBaseline(b *testing.B) {
	raw := []byte(benchJSON)
	b.ReportAllocs()
	for b.Loop() {
		var p push
		if err := json.Unmarshal(raw, &p); err != nil {
			b.Fatal(err)
		}
	}
}
