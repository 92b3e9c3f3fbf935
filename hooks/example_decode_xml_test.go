package hooks_test

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/inbound-hooks/inbound/hooks"
)

func ExampleDecodeBody_xml() {
	body := `<?xml version="1.0"?>
<order id="7">
  <item sku="a">2</item>
  <item sku="b">1</item>
  <note>leave at the door</note>
</order>`
	d, err := hooks.DecodeBody("application/xml", []byte(body), hooks.DecodeOptions{})
	if err != nil {
		log.Fatal(err)
	}
	b, _ := json.Marshal(d.Data)
	fmt.Println(string(b))
	for _, f := range hooks.Fields(d.Data) {
		fmt.Println(f.Path, f.Type)
	}
	// Output:
	// {"order":{"@id":"7","item":[{"$text":"2","@sku":"a"},{"$text":"1","@sku":"b"}],"note":"leave at the door"}}
	// order object
	// order.@id string
	// order.item array
	// order.item[] object
	// order.item[].$text string
	// order.item[].@sku string
	// order.note string
}
