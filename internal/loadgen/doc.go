// Package loadgen is a small HTTP load generator: N concurrent
// connections (keep-alive, one shared http.Transport) send the same request
// for a duration or a request count, and Run reports throughput and latency
// percentiles. Command loadgen (cmd/loadgen) runs it from the command line;
// BenchmarkQueueLoad uses it to compare queue-mode delivery with a bare
// net/http handler.
//
// # Caveats
//
// In the benchmark, the generator and the server under test share one
// process and its CPUs, so absolute figures are lower than a separate
// client would measure; compare the ratio to the bare handler measured in
// the same run. Latency is
// measured from just before the request is sent to the end of reading the
// response body, per request (closed-loop: a slow server lowers the offered
// load, so tail latency under overload is understated).
package loadgen
