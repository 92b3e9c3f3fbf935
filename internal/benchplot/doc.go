// Package benchplot measures loopback HTTP throughput of the library's
// delivery modes against concurrent connections and draws it as a PNG line
// chart. It is internal: the chart in docs/throughput.png and the figures
// in BENCHMARKS.md come from command benchplot (cmd/benchplot).
//
// StartBare, StartSync and StartQueue start in-process loopback servers: a
// bare net/http handler that only json.Unmarshals the body (the baseline),
// a form hook in sync mode (hooks.Sync, a Trigger that does nothing), and a
// form hook in queue mode (hooks.Queue with its dispatcher running). Sweep
// drives them with internal/loadgen at each connection count and keeps the
// median of several runs. Chart draws line charts with gonum.org/v1/plot,
// the only package of the module that imports it.
//
// # Caveats
//
// The load generator and the servers share one process and its CPUs, so
// absolute figures are lower than a separate client would measure, and
// noisy on a shared machine: compare each target with the baseline
// measured in the same round (Sweep interleaves the targets' runs for
// that). Between queue-mode runs the Sweep waits for the dispatcher to
// deliver the backlog, so a run's figure includes the dispatcher's work
// done during that run but not after it. Latency is closed-loop (see
// internal/loadgen): under overload the tail is understated.
package benchplot
