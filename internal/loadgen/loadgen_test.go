package loadgen_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/internal/loadgen"
)

func TestRun(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		if string(b) != "hello" || r.Header.Get("X-Test") != "1" || r.Method != http.MethodPut {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if r.URL.Query().Get("fail") != "" && n%2 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	tests := []struct {
		name      string
		url       string
		conns     int
		requests  int
		wantErrs  int
		wantCount int
	}{
		{"one connection", srv.URL, 1, 20, 0, 20},
		{"eight connections", srv.URL, 8, 100, 0, 100},
		{"errors counted", srv.URL + "?fail=1", 1, 10, 5, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			res, err := loadgen.Run(context.Background(), loadgen.Options{Method: http.MethodPut, URL: tt.url,
				Header: http.Header{"X-Test": {"1"}}, Body: []byte("hello"), Connections: tt.conns, Requests: tt.requests})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Requests != tt.wantCount || int(calls.Load()) != tt.wantCount {
				t.Fatalf("requests: got %d (server saw %d), want %d", res.Requests, calls.Load(), tt.wantCount)
			}
			if res.Errors != tt.wantErrs {
				t.Fatalf("errors: got %d, want %d (%v)", res.Errors, tt.wantErrs, res.FirstError)
			}
			if got := res.Status[http.StatusAccepted]; got != tt.wantCount-tt.wantErrs {
				t.Fatalf("202s: got %d, want %d", got, tt.wantCount-tt.wantErrs)
			}
			p50, p99, pmax := res.Percentile(0.5), res.Percentile(0.99), res.Percentile(1)
			if p50 <= 0 || p50 > p99 || p99 > pmax {
				t.Fatalf("percentiles: got p50 %v p99 %v max %v, want 0 < p50 <= p99 <= max", p50, p99, pmax)
			}
			if res.Throughput() <= 0 {
				t.Fatalf("throughput: got %v, want > 0", res.Throughput())
			}
		})
	}
}

func TestRunDuration(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	start := time.Now()
	res, err := loadgen.Run(context.Background(), loadgen.Options{Method: http.MethodGet, URL: srv.URL,
		Connections: 4, Duration: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("a 50ms run took %v", d)
	}
	if res.Requests == 0 || res.Errors != 0 {
		t.Fatalf("got %d requests, %d errors (%v), want some and none", res.Requests, res.Errors, res.FirstError)
	}
}

func TestRunTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	url := srv.URL
	srv.Close() // nothing listens any more
	res, err := loadgen.Run(context.Background(), loadgen.Options{URL: url, Requests: 3})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Errors != 3 || res.Status[0] != 3 || res.FirstError == nil {
		t.Fatalf("got %d errors, status %v, first %v; want 3 transport errors", res.Errors, res.Status, res.FirstError)
	}
	if res.Percentile(0.5) != 0 {
		t.Fatalf("p50 without successes: got %v, want 0", res.Percentile(0.5))
	}
}

func TestRunInvalid(t *testing.T) {
	tests := []struct {
		name string
		opts loadgen.Options
		want error
	}{
		{"no limit", loadgen.Options{URL: "http://127.0.0.1:1/"}, loadgen.ErrNoLimit},
		{"no URL", loadgen.Options{Requests: 1}, loadgen.ErrNoURL},
		{"bad URL", loadgen.Options{URL: "http://[::1", Requests: 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadgen.Run(context.Background(), tt.opts)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("got %v, want an error (%v)", err, tt.want)
			}
		})
	}
}
