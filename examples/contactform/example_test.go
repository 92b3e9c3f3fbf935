package contactform_test

import (
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/inbound-hooks/inbound/examples/contactform"
)

func Example() {
	page, _ := contactform.New(contactform.Options{Action: "https://example.com/hooks/form/abc123"})
	s := page.Settings("https://example.com")
	fmt.Println(s.RedirectURL, s.Honeypot)

	w := httptest.NewRecorder()
	page.ServeHTTP(w, httptest.NewRequest("GET", "/contact/", nil))
	fmt.Println(w.Code, strings.Contains(w.Body.String(), `action="https://example.com/hooks/form/abc123"`))
	// Output:
	// https://example.com/contact/thanks website
	// 200 true
}
