package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Options describes a load run. URL and one of Duration or Requests are
// required.
type Options struct {
	// Method is the HTTP method; "" means POST.
	Method string
	// URL is the request URL.
	URL string
	// Header is sent with every request (Content-Type, for example).
	Header http.Header
	// Body is sent with every request.
	Body []byte
	// Connections is how many requests are in flight at once, each on its
	// own keep-alive connection; 0 means 1.
	Connections int
	// Duration stops the run after this long, when positive.
	Duration time.Duration
	// Requests stops the run after this many requests, when positive. With
	// Duration as well, whichever comes first ends the run.
	Requests int
	// Client sends the requests; nil means a client over
	// NewTransport(Connections).
	Client *http.Client
}

// NewTransport returns a keep-alive transport for n concurrent
// connections to one host: MaxIdleConnsPerHost is n, so that no connection
// is closed and reopened between requests.
func NewTransport(n int) *http.Transport {
	return &http.Transport{
		MaxIdleConns:        n,
		MaxIdleConnsPerHost: n,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
}

// Result is the outcome of a run.
type Result struct {
	Requests int           // requests completed (any status)
	Errors   int           // transport errors and non-2xx answers
	Status   map[int]int   // answers by status code
	Elapsed  time.Duration // wall time of the run
	// FirstError is the first transport error or non-2xx status, for
	// diagnosis.
	FirstError error
	latencies  []time.Duration // sorted; successful requests only
}

// Throughput returns completed requests per second.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile returns the latency at or below which the fraction p (0 to 1)
// of successful requests completed, or 0 without any.
func (r *Result) Percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	p = min(max(p, 0), 1)
	i := int(p*float64(len(r.latencies))+0.5) - 1
	return r.latencies[min(max(i, 0), len(r.latencies)-1)]
}

// String summarises the result on one line.
func (r *Result) String() string {
	return fmt.Sprintf("%d requests in %v: %.0f req/s, %d errors; latency p50 %v p90 %v p99 %v max %v",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.Throughput(), r.Errors,
		r.Percentile(0.50), r.Percentile(0.90), r.Percentile(0.99), r.Percentile(1))
}

// maxBody is how much of a response body is read (and discarded).
const maxBody = 1 << 20

// Run sends requests as opts says until the duration passes, the request
// count is reached, or ctx is done, and reports what happened. A
// connection's transport error does not stop the others.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.URL == "" {
		return nil, ErrNoURL
	}
	if opts.Duration <= 0 && opts.Requests <= 0 {
		return nil, ErrNoLimit
	}
	if opts.Method == "" {
		opts.Method = http.MethodPost
	}
	n := max(opts.Connections, 1)
	client := opts.Client
	if client == nil {
		tr := NewTransport(n)
		defer tr.CloseIdleConnections()
		client = &http.Client{Transport: tr}
	}
	// Check the request once, so that a bad URL is an error, not N.
	if _, err := http.NewRequestWithContext(ctx, opts.Method, opts.URL, nil); err != nil {
		return nil, fmt.Errorf("loadgen: %w", err)
	}
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	var left atomic.Int64 // requests still to start, when counted
	left.Store(int64(opts.Requests))
	type worker struct {
		lat    []time.Duration
		errs   int
		status map[int]int
		first  error
	}
	workers := make([]worker, n)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := &workers[w]
			wk.status = map[int]int{}
			for ctx.Err() == nil {
				if opts.Requests > 0 && left.Add(-1) < 0 {
					return
				}
				req, _ := http.NewRequestWithContext(ctx, opts.Method, opts.URL, bytes.NewReader(opts.Body))
				for k, vs := range opts.Header {
					req.Header[k] = vs
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
					resp.Body.Close()
				}
				d := time.Since(t0)
				if err != nil {
					if ctx.Err() != nil {
						return // the run ended mid-request: not an error
					}
					wk.errs++
					if wk.first == nil {
						wk.first = err
					}
					wk.status[0]++
					continue
				}
				wk.status[resp.StatusCode]++
				if resp.StatusCode/100 != 2 {
					wk.errs++
					if wk.first == nil {
						wk.first = fmt.Errorf("loadgen: status %d", resp.StatusCode)
					}
					continue
				}
				wk.lat = append(wk.lat, d)
			}
		}()
	}
	wg.Wait()
	res := &Result{Elapsed: time.Since(start), Status: map[int]int{}}
	for _, wk := range workers {
		res.latencies = append(res.latencies, wk.lat...)
		res.Errors += wk.errs
		for code, c := range wk.status {
			res.Status[code] += c
			res.Requests += c
		}
		if res.FirstError == nil {
			res.FirstError = wk.first
		}
	}
	slices.Sort(res.latencies)
	return res, nil
}
