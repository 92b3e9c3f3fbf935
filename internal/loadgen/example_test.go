package loadgen_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/inbound-hooks/inbound/internal/loadgen"
)

func ExampleRun() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()

	res, err := loadgen.Run(context.Background(), loadgen.Options{
		URL:         srv.URL,
		Header:      http.Header{"Content-Type": {"application/json"}},
		Body:        []byte(`{"hello":"world"}`),
		Connections: 4,
		Requests:    100,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Requests, res.Errors, res.Status[http.StatusAccepted], res.Percentile(0.5) > 0)
	// Output: 100 0 100 true
}
