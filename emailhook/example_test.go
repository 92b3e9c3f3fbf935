package emailhook_test

import (
	"encoding/json"
	"fmt"
	"log"
	"strings"

	"github.com/inbound-hooks/inbound/emailhook"
)

func ExampleExtract() {
	html := `<html><body>
<script type="application/ld+json">
{"@context": "http://schema.org", "type": "ParcelDelivery",
 "trackingNumber": "1Z999AA1", "carrier": {"@type": "Organization", "name": "Parcel Co"},}
</script>
<p>Your parcel is on its way.</p></body></html>`
	res, err := emailhook.Extract([]byte(html))
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range res.Objects {
		b, _ := json.Marshal(o)
		fmt.Println(string(b))
	}
	for _, w := range res.Warnings {
		fmt.Println(w)
	}
	// Output:
	// {"@context":"https://schema.org","@type":"ParcelDelivery","carrier":{"@type":"Organization","name":"Parcel Co"},"trackingNumber":"1Z999AA1"}
	// script 1 (application/ld+json): removed trailing comma
}

func ExampleReadMessage() {
	raw := "From: Shop <orders@shop.example>\r\n" +
		"To: buyer@example.org\r\n" +
		"Subject: Order 42\r\n" +
		"Message-ID: <42@shop.example>\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n" +
		"\r\n" +
		`<div itemscope itemtype="http://schema.org/Order"><meta itemprop="orderNumber" content="42"></div>`
	msg, err := emailhook.ReadMessage(strings.NewReader(raw))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msg.From[0].Address, msg.MessageID, msg.Subject)
	fmt.Println(msg.Objects[0]["@type"], msg.Objects[0]["orderNumber"])
	// Output:
	// orders@shop.example 42@shop.example Order 42
	// Order 42
}
