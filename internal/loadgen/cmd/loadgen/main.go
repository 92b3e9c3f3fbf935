// Command loadgen sends HTTP load to one URL and prints throughput and
// latency percentiles.
//
//	loadgen -url http://127.0.0.1:8080/hooks/form/TOKEN -c 64 -d 10s \
//	        -body-file event.json -content-type application/json
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/inbound-hooks/inbound/internal/loadgen"
)

type headers http.Header

func (h headers) String() string { return fmt.Sprint(http.Header(h)) }

func (h headers) Set(s string) error {
	k, v, ok := strings.Cut(s, ":")
	if !ok {
		return fmt.Errorf("want Name: value, got %q", s)
	}
	http.Header(h).Add(strings.TrimSpace(k), strings.TrimSpace(v))
	return nil
}

func main() {
	hdr := headers{}
	url := flag.String("url", "", "request URL (required)")
	method := flag.String("method", http.MethodPost, "HTTP method")
	conns := flag.Int("c", 1, "concurrent connections")
	dur := flag.Duration("d", 10*time.Second, "duration (0: use -n)")
	n := flag.Int("n", 0, "number of requests (0: use -d)")
	bodyFile := flag.String("body-file", "", "file whose content is the request body (at most 64 MiB)")
	ctype := flag.String("content-type", "application/json", "Content-Type of the body")
	flag.Var(hdr, "H", "extra header, Name: value (repeatable)")
	flag.Parse()
	if err := run(*url, *method, *conns, *dur, *n, *bodyFile, *ctype, http.Header(hdr)); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(url, method string, conns int, dur time.Duration, n int, bodyFile, ctype string, hdr http.Header) error {
	var body []byte
	if bodyFile != "" {
		f, err := os.Open(bodyFile)
		if err != nil {
			return err
		}
		defer f.Close()
		const limit = 64 << 20
		body, err = io.ReadAll(io.LimitReader(f, limit+1))
		if err != nil {
			return err
		}
		if len(body) > limit {
			return fmt.Errorf("%s is larger than 64 MiB", bodyFile)
		}
	}
	if ctype != "" && len(body) > 0 {
		hdr.Set("Content-Type", ctype)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if n > 0 {
		dur = 0
	}
	res, err := loadgen.Run(ctx, loadgen.Options{Method: method, URL: url, Header: hdr, Body: body,
		Connections: conns, Duration: dur, Requests: n})
	if err != nil {
		return err
	}
	fmt.Println(res)
	fmt.Println("status:", res.Status)
	if res.FirstError != nil {
		fmt.Println("first error:", res.FirstError)
	}
	return nil
}
