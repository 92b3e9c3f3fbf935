package hostmodule_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/inbound-hooks/inbound/examples/hostmodule"
	"github.com/inbound-hooks/inbound/store/memstore"
)

func ExampleNew() {
	ctx := context.Background()
	h, err := hostmodule.New(ctx, memstore.New(), hostmodule.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := httptest.NewRequest("POST", h.Registry.Address(h.Signups), strings.NewReader("name=Ada&age=36&tags[]=math&tags[]=engines"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code)
	s := h.Received()[0].Value.(*hostmodule.Signup)
	fmt.Println(s.Name, s.Age, s.Tags)
	// Output:
	// 202
	// Ada 36 [math engines]
}
