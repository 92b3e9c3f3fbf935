package benchplot

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"image/color"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/internal/baseline"
	"github.com/inbound-hooks/inbound/internal/loadgen"
	"github.com/inbound-hooks/inbound/store"
)

// MaxConnections bounds one entry of a connection list.
const MaxConnections = 4096

// DefaultConnections is the sweep of the published chart.
var DefaultConnections = []int{1, 2, 4, 8, 16, 32, 64}

// Target is a loopback HTTP server under test, started by StartBare,
// StartSync or StartQueue.
type Target struct {
	// Name labels the target in tables and the chart legend.
	Name string
	// URL receives the load.
	URL string
	// Header is sent with every request.
	Header http.Header

	srv    *http.Server
	settle func(ctx context.Context) error // between runs; nil: nothing to wait for
	stop   func(ctx context.Context) error // after the server stops
}

// Close stops the server, then whatever the target runs behind it (a
// queue's dispatcher); it does not close the store it was given.
func (t *Target) Close(ctx context.Context) error {
	err := t.srv.Shutdown(ctx)
	if t.stop != nil {
		err = errors.Join(err, t.stop(ctx))
	}
	return err
}

// serve starts h on a loopback port.
func serve(name, path string, h http.Handler) (*Target, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("benchplot: listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &Target{
		Name:   name,
		URL:    "http://" + ln.Addr().String() + path,
		Header: http.Header{"Content-Type": {"application/json"}},
		srv:    srv,
	}, nil
}

// StartBare starts the baseline handler (baseline.Handler) on a loopback
// port.
func StartBare(name string) (*Target, error) {
	return serve(name, "/", baseline.Handler())
}

// nopTrigger accepts every event and does nothing.
var nopTrigger = hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil })

// formHook creates a form hook in s and returns a formhook.Handler for it
// with delivery d, and the hook's path.
func formHook(ctx context.Context, s store.Store, d hooks.Delivery) (http.Handler, string, error) {
	reg, err := hooks.NewRegistry(s, hooks.RegistryOptions{})
	if err != nil {
		return nil, "", err
	}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: d})
	if err != nil {
		return nil, "", err
	}
	fh, err := formhook.New(p, formhook.Options{})
	if err != nil {
		return nil, "", err
	}
	h, err := reg.Create(ctx, "", hooks.HookSpec{Name: "benchplot", Kind: formhook.KindName})
	if err != nil {
		return nil, "", err
	}
	return fh, reg.Address(h), nil
}

// StartSync starts a form hook (default formhook.Options, debug off) in
// sync mode, hooks.Sync with a Trigger that does nothing, on s: the 202 is
// sent after the Trigger returns; nothing is written to s per request.
func StartSync(ctx context.Context, name string, s store.Store) (*Target, error) {
	h, path, err := formHook(ctx, s, hooks.Sync(nopTrigger))
	if err != nil {
		return nil, fmt.Errorf("benchplot: sync target: %w", err)
	}
	return serve(name, path, h)
}

// StartQueue starts a form hook in queue mode on s (hooks.Queue with
// default options and a Trigger that does nothing), with its dispatcher
// running: the 202 is sent once the event is committed to s. Between runs
// the Sweep waits until the dispatcher has delivered the backlog, so that
// a run does not inherit the previous one's work.
func StartQueue(ctx context.Context, name string, s store.Store) (*Target, error) {
	q, err := hooks.NewQueue(s, nopTrigger, hooks.QueueOptions{})
	if err != nil {
		return nil, fmt.Errorf("benchplot: queue target: %w", err)
	}
	h, path, err := formHook(ctx, s, q)
	if err != nil {
		return nil, fmt.Errorf("benchplot: queue target: %w", err)
	}
	if err := q.Start(ctx); err != nil {
		return nil, fmt.Errorf("benchplot: queue target: %w", err)
	}
	t, err := serve(name, path, h)
	if err != nil {
		_ = q.Shutdown(ctx)
		return nil, err
	}
	t.settle = func(ctx context.Context) error { return drain(ctx, q) }
	t.stop = q.Shutdown
	return t, nil
}

// drainTimeout bounds the wait for a queue's backlog between runs.
const drainTimeout = 2 * time.Minute

func drain(ctx context.Context, q *hooks.Queue) error {
	ctx, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	for {
		n, err := q.Depth(ctx)
		if err != nil {
			return fmt.Errorf("benchplot: queue depth: %w", err)
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %d events pending", ErrNotDrained, n)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// SweepOptions configures Sweep. Duration or Requests is required.
type SweepOptions struct {
	// Connections are the concurrency levels; nil means
	// DefaultConnections.
	Connections []int
	// Runs is how many runs each point is the median of; 0 means 3.
	Runs int
	// Duration bounds one run, when positive.
	Duration time.Duration
	// Requests bounds one run, when positive; with Duration as well,
	// whichever comes first ends the run.
	Requests int
	// Body is the request body; nil means baseline.Body(1024).
	Body []byte
	// Progress, when set, is called after each run with the target, the
	// connection count and the run's result.
	Progress func(target string, conns int, r *loadgen.Result)
}

// Measurement is one point of a sweep: a target at a connection count.
type Measurement struct {
	Target      string
	Connections int
	// Throughput is the median of the runs' requests per second.
	Throughput float64
	// P50 and P99 are the medians of the runs' latency percentiles.
	P50, P99 time.Duration
	// Runs holds each run's requests per second, in order.
	Runs []float64
}

// Sweep measures every target at every connection count: for each count,
// it warms each target's connections up, then makes opts.Runs rounds, one
// run per target in turn, so that a target's figures and the first
// (baseline) target's are taken close together on a machine whose load
// varies. It fails on the first transport error or non-2xx answer.
// Results are ordered by connection count, then target.
func Sweep(ctx context.Context, targets []*Target, opts SweepOptions) ([]Measurement, error) {
	if len(targets) == 0 {
		return nil, ErrNoTargets
	}
	if opts.Duration <= 0 && opts.Requests <= 0 {
		return nil, ErrNoLimit
	}
	conns := opts.Connections
	if conns == nil {
		conns = DefaultConnections
	}
	for _, c := range conns {
		if c < 1 || c > MaxConnections {
			return nil, fmt.Errorf("%w: %d", ErrConnections, c)
		}
	}
	runs := opts.Runs
	if runs <= 0 {
		runs = 3
	}
	body := opts.Body
	if body == nil {
		body = baseline.Body(1024)
	}
	var out []Measurement
	for _, c := range conns {
		results := make([][]*loadgen.Result, len(targets))
		clients := make([]*http.Client, len(targets))
		for i, t := range targets {
			tr := loadgen.NewTransport(c)
			defer tr.CloseIdleConnections()
			clients[i] = &http.Client{Transport: tr}
			// Warm the connections up; the result is not kept.
			if _, err := runOnce(ctx, t, clients[i], c, body, 0, 2*c); err != nil {
				return nil, err
			}
		}
		for range runs {
			for i, t := range targets {
				res, err := runOnce(ctx, t, clients[i], c, body, opts.Duration, opts.Requests)
				if err != nil {
					return nil, err
				}
				if opts.Progress != nil {
					opts.Progress(t.Name, c, res)
				}
				results[i] = append(results[i], res)
			}
		}
		for i, t := range targets {
			m := Measurement{Target: t.Name, Connections: c}
			var p50, p99 []time.Duration
			for _, r := range results[i] {
				m.Runs = append(m.Runs, r.Throughput())
				p50, p99 = append(p50, r.Percentile(0.5)), append(p99, r.Percentile(0.99))
			}
			m.Throughput, m.P50, m.P99 = median(m.Runs), median(p50), median(p99)
			out = append(out, m)
		}
	}
	return out, nil
}

// runOnce runs load on t, then lets it settle.
func runOnce(ctx context.Context, t *Target, client *http.Client, conns int, body []byte, d time.Duration, n int) (*loadgen.Result, error) {
	res, err := loadgen.Run(ctx, loadgen.Options{URL: t.URL, Header: t.Header, Body: body,
		Connections: conns, Duration: d, Requests: n, Client: client})
	if err != nil {
		return nil, fmt.Errorf("benchplot: %s at %d connections: %w", t.Name, conns, err)
	}
	if res.Errors > 0 {
		return nil, fmt.Errorf("%w: %s at %d connections: %d of %d (first: %v)",
			ErrRequests, t.Name, conns, res.Errors, res.Requests, res.FirstError)
	}
	if t.settle != nil {
		if err := t.settle(ctx); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// median returns the middle value (the mean of the two middle values for
// an even count), or zero for none.
func median[T int64 | float64 | time.Duration](vs []T) T {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ParseConnections parses a comma-separated list of connection counts,
// such as "1,2,4,8", each from 1 to MaxConnections.
func ParseConnections(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > MaxConnections {
			return nil, fmt.Errorf("%w: %q", ErrConnections, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// ChartOf draws the measurements as a log2-x chart of throughput against
// connections, one series per target, in the targets' order of first
// appearance. A target's name picks its style: the part before the first
// '-' (the mode: bare, sync, queue) its colour, and a "-pg" suffix (the
// PostgreSQL store) a dashed line, so that one mode on two stores shares
// a colour.
func ChartOf(ms []Measurement, title, subtitle string) *Chart {
	c := &Chart{Title: title, Subtitle: subtitle, XLabel: "concurrent connections",
		YLabel: "requests per second", LogX: true}
	idx := map[string]int{}
	modes := map[string]color.RGBA{}
	for _, m := range ms {
		i, ok := idx[m.Target]
		if !ok {
			i = len(c.Series)
			idx[m.Target] = i
			mode, _, _ := strings.Cut(m.Target, "-")
			col, ok := modes[mode]
			if !ok {
				col = palette[len(modes)%len(palette)]
				modes[mode] = col
			}
			c.Series = append(c.Series, Series{Name: m.Target, Color: col, Dashed: strings.HasSuffix(m.Target, "-pg")})
		}
		c.Series[i].Points = append(c.Series[i].Points, Point{X: float64(m.Connections), Y: m.Throughput})
	}
	return c
}

// WriteMarkdown writes the measurements as a markdown table, one row per
// connection count: each target's req/s and p50, and for every target but
// the first its throughput as a ratio to the first's (the baseline).
func WriteMarkdown(w io.Writer, ms []Measurement) error {
	names, rows := pivot(ms)
	var b strings.Builder
	b.WriteString("| connections |")
	sep := "|---:|"
	for i, n := range names {
		fmt.Fprintf(&b, " %s req/s |", n)
		sep += "---:|"
		if i > 0 {
			fmt.Fprintf(&b, " %s x %s |", n, names[0])
			sep += "---:|"
		}
	}
	for _, n := range names {
		fmt.Fprintf(&b, " %s p50 ms |", n)
		sep += "---:|"
	}
	b.WriteString("\n" + sep + "\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %d |", r.conns)
		for i, m := range r.byTarget {
			fmt.Fprintf(&b, " %s |", cell(m, func(m *Measurement) string { return fmt.Sprintf("%.0f", m.Throughput) }))
			if i > 0 {
				fmt.Fprintf(&b, " %s |", ratioCell(m, r.byTarget[0]))
			}
		}
		for _, m := range r.byTarget {
			fmt.Fprintf(&b, " %s |", cell(m, func(m *Measurement) string { return msString(m.P50) }))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteCSV writes one line per measurement: target, connections, req/s,
// ratio to the first target at the same count, p50 and p99 in ms, and
// each run's req/s separated by spaces.
func WriteCSV(w io.Writer, ms []Measurement) error {
	names, rows := pivot(ms)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"target", "connections", "req_s", "x_" + names[0], "p50_ms", "p99_ms", "runs_req_s"})
	for _, r := range rows {
		for _, m := range r.byTarget {
			if m == nil {
				continue
			}
			var runs []string
			for _, v := range m.Runs {
				runs = append(runs, fmt.Sprintf("%.0f", v))
			}
			_ = cw.Write([]string{m.Target, strconv.Itoa(m.Connections), fmt.Sprintf("%.0f", m.Throughput),
				ratioCell(m, r.byTarget[0]), msString(m.P50), msString(m.P99), strings.Join(runs, " ")})
		}
	}
	cw.Flush()
	return cw.Error()
}

type row struct {
	conns    int
	byTarget []*Measurement // by position in names; nil when missing
}

// pivot groups measurements by connection count, in order of appearance.
func pivot(ms []Measurement) ([]string, []row) {
	var names []string
	pos := map[string]int{}
	for _, m := range ms {
		if _, ok := pos[m.Target]; !ok {
			pos[m.Target] = len(names)
			names = append(names, m.Target)
		}
	}
	if len(names) == 0 {
		names = []string{"baseline"}
	}
	var rows []row
	at := map[int]int{}
	for i := range ms {
		m := &ms[i]
		j, ok := at[m.Connections]
		if !ok {
			j = len(rows)
			at[m.Connections] = j
			rows = append(rows, row{conns: m.Connections, byTarget: make([]*Measurement, len(names))})
		}
		rows[j].byTarget[pos[m.Target]] = m
	}
	return names, rows
}

func cell(m *Measurement, f func(*Measurement) string) string {
	if m == nil {
		return "-"
	}
	return f(m)
}

func ratioCell(m, base *Measurement) string {
	if m == nil || base == nil || base.Throughput <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", m.Throughput/base.Throughput)
}

func msString(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
}
