package replicatest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/internal/testenv"
)

const (
	clients = 16
	// phase1 is how many posts are sent while both replicas are up.
	phase1 = 400
	// killAfter is how many posts are answered 2xx in the second phase
	// before replica B is killed with SIGKILL.
	killAfter = 600
	// totalAccepts is how many 2xx answers the test collects, at least.
	totalAccepts = 2400
	// lease is the replicas' -queue-lease: how long an event claimed by
	// the killed replica waits before the survivor claims it again.
	// examples/server gives each trigger attempt half of it.
	lease = 3 * time.Second
)

// replica is one examples/server process.
type replica struct {
	name string
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port

	mu        sync.Mutex
	delivered map[string]int // event ID -> lines printed with it
	badLines  []string
	stderr    bytes.Buffer // the replica's logs, for failure messages

	addr       chan string   // the HTTP address from the banner; closed at stderr EOF
	stdoutDone chan struct{} // closed at stdout EOF
	exit       chan error    // the Wait result, once
}

// bannerAddr finds the HTTP listen address in the server's banner.
var bannerAddr = regexp.MustCompile(`\(HTTP (127\.0\.0\.1:[0-9]+)`)

// startReplica starts the server (ready waits until it serves) on the shared schema, with the survivor's
// -queue-lease, SMTP off, no demo data, and 127.0.0.1 as a trusted proxy
// (the test gives each post its own X-Forwarded-For client address, as a
// load balancer would, so that the form hook's per-client rate limit does
// not throttle the load).
// startTwoReplicas builds examples/server and starts two replicas, A and
// B, at once on a new PostgreSQL schema (they race to migrate it), with one
// random admin token; it returns when both answer. It skips with -short.
func startTwoReplicas(t *testing.T) (a, b *replica, adminToken string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds examples/server and runs two replicas on PostgreSQL; skipped with -short")
	}
	dsn := testenv.PostgresDSN(t)
	schema := testenv.PostgresSchema(t, dsn, "replicatest_")
	bin := testenv.Build(t, "github.com/inbound-hooks/inbound/examples/server")
	tok := make([]byte, 32)
	_, _ = rand.Read(tok)
	adminToken = hex.EncodeToString(tok)
	a = startReplica(t, bin, "A", dsn, schema, adminToken)
	b = startReplica(t, bin, "B", dsn, schema, adminToken)
	a.ready(t)
	b.ready(t)
	return a, b, adminToken
}

func startReplica(t *testing.T, bin, name, dsn, schema, adminToken string) *replica {
	t.Helper()
	cmd := exec.Command(bin,
		"-pg", dsn, "-pg-schema", schema,
		"-addr", "127.0.0.1:0", "-smtp-addr", "",
		"-delivery", "queue", "-queue-lease", lease.String(),
		"-admin-token", adminToken, "-seed=false",
		"-trusted-proxies", "127.0.0.1/32")
	cmd.Env = append(os.Environ(), "INBOUND_PG_DSN=", "INBOUND_ADMIN_TOKEN=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start replica %s: %v", name, err)
	}
	r := &replica{name: name, cmd: cmd, delivered: map[string]int{},
		addr: make(chan string, 1), stdoutDone: make(chan struct{}), exit: make(chan error, 1)}
	var pipes sync.WaitGroup
	pipes.Add(2)
	go func() {
		defer pipes.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Text()
			r.mu.Lock()
			if r.stderr.Len() < 1<<20 {
				r.stderr.WriteString(line + "\n")
			}
			r.mu.Unlock()
			if m := bannerAddr.FindStringSubmatch(line); m != nil && !found {
				found = true
				r.addr <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		close(r.addr)
	}()
	go func() {
		defer pipes.Done()
		defer close(r.stdoutDone)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var ev struct {
				ID string `json:"id"`
			}
			err := json.Unmarshal(sc.Bytes(), &ev)
			r.mu.Lock()
			if err != nil || ev.ID == "" {
				r.badLines = append(r.badLines, sc.Text())
			} else {
				r.delivered[ev.ID]++
			}
			r.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() {
		pipes.Wait() // Wait closes the pipes: read them to EOF first
		r.exit <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-r.exit
		if t.Failed() {
			t.Logf("replica %s stderr:\n%s", name, r.logs())
		}
	})
	return r
}

// ready waits until r prints its banner, and sets r.base.
func (r *replica) ready(t *testing.T) {
	t.Helper()
	select {
	case a, ok := <-r.addr:
		if !ok {
			t.Fatalf("replica %s exited before serving:\n%s", r.name, r.logs())
		}
		r.base = "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatalf("replica %s did not start within 30s:\n%s", r.name, r.logs())
	}
}

func (r *replica) logs() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stderr.String()
}

// counts returns a copy of how many times the replica printed each ID,
// and its lines that were not an event.
func (r *replica) counts() (map[string]int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := make(map[string]int, len(r.delivered))
	for id, n := range r.delivered {
		m[id] = n
	}
	return m, append([]string(nil), r.badLines...)
}

// deliveries adds up the replicas' counts.
func deliveries(t *testing.T, rs ...*replica) map[string]int {
	t.Helper()
	all := map[string]int{}
	for _, r := range rs {
		m, bad := r.counts()
		if len(bad) > 0 {
			t.Fatalf("replica %s printed %d lines that are not events with an id, e.g. %q", r.name, len(bad), bad[0])
		}
		for id, n := range m {
			all[id] += n
		}
	}
	return all
}

// admin calls the admin API of r and decodes the JSON answer into out.
func (r *replica) admin(t *testing.T, token, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, r.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s on replica %s: %v", method, path, r.name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s on replica %s: %v", method, path, r.name, err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s on replica %s: got status %d, want 2xx: %s", method, path, r.name, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s %s on replica %s: decode %q: %v", method, path, r.name, b, err)
	}
}

// pending returns how many events the store holds as pending (waiting
// for, or in, a delivery attempt), as replica r's admin API lists them.
func (r *replica) pending(t *testing.T, token string) int {
	t.Helper()
	var out struct {
		Events []json.RawMessage `json:"events"`
	}
	r.admin(t, token, http.MethodGet, "/admin/events?state=pending&limit=1000", nil, &out)
	return len(out.Events)
}

// sender posts form bodies to the replicas from concurrent clients.
type sender struct {
	t        *testing.T
	client   *http.Client
	path     string // /hooks/form/{token}
	seq      atomic.Int64
	accepted sync.Map // event ID -> true, for every 2xx
	count    atomic.Int64
	failedB  atomic.Int64 // posts to the killed replica that got no 2xx
}

// post sends one form post to r. It returns the event ID of a 2xx answer,
// or "" and the reason.
func (s *sender) post(r *replica) (string, error) {
	n := s.seq.Add(1)
	body := fmt.Sprintf("name=client&n=%d&text=%s", n, strings.Repeat("x", 200))
	req, err := http.NewRequest(http.MethodPost, r.base+s.path, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// One client address per post (10.0.0.0/8 has room for all of them).
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255))
	resp, err := s.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return "", err
	}
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("status %d from replica %s: %s", resp.StatusCode, r.name, b)
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("2xx body %q from replica %s: %v", b, r.name, err)
	}
	s.accepted.Store(out.ID, true)
	s.count.Add(1)
	return out.ID, nil
}

// run sends from clients goroutines until stop returns true. Each post
// goes to pick(n) for the post's sequence number n. A post to a replica for
// which tolerate reports true may fail (it is being killed): it is counted
// in failedB and not retried; any other failure fails the test.
func (s *sender) run(pick func(n int64) *replica, tolerate func(*replica) bool, stop func() bool) {
	var wg sync.WaitGroup
	var turn atomic.Int64
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop() {
				r := pick(turn.Add(1))
				if _, err := s.post(r); err != nil {
					if tolerate(r) {
						s.failedB.Add(1)
						continue
					}
					s.t.Errorf("post to replica %s: %v", r.name, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// ids returns the accepted event IDs.
func (s *sender) ids() []string {
	var ids []string
	s.accepted.Range(func(k, _ any) bool {
		ids = append(ids, k.(string))
		return true
	})
	return ids
}

// waitDelivered waits until every ID in want has been printed by one of
// rs, or the deadline passes, and returns the deliveries seen.
func waitDelivered(t *testing.T, want []string, deadline time.Time, rs ...*replica) map[string]int {
	t.Helper()
	for {
		seen := deliveries(t, rs...)
		var missing []string
		for _, id := range want {
			if seen[id] == 0 {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 {
			return seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted events were never delivered, e.g. %v", len(missing), len(want), missing[:min(5, len(missing))])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTwoReplicasOneKilled(t *testing.T) {
	a, b, adminToken := startTwoReplicas(t)

	// One form hook, created on A; its token works on B too.
	var hook struct {
		ID      string `json:"id"`
		Address string `json:"address"`
	}
	a.admin(t, adminToken, http.MethodPost, "/admin/hooks", map[string]string{"name": "replicas", "type": "form"}, &hook)
	u, err := url.Parse(hook.Address)
	if err != nil || !strings.HasPrefix(u.Path, "/hooks/form/") {
		t.Fatalf("hook address %q: want a /hooks/form/ URL (%v)", hook.Address, err)
	}

	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	s := &sender{t: t, client: &http.Client{Transport: tr, Timeout: 10 * time.Second}, path: u.Path}
	alternate := func(n int64) *replica {
		if n%2 == 0 {
			return a
		}
		return b
	}
	never := func(*replica) bool { return false }
	start := time.Now()

	// Phase 1: both up. Every accepted event is delivered exactly once.
	var sent atomic.Int64
	s.run(alternate, never, func() bool { return sent.Add(1) > phase1 })
	if t.Failed() {
		return
	}
	phase1IDs := s.ids()
	if len(phase1IDs) != phase1 {
		t.Fatalf("phase 1: got %d accepted events, want %d", len(phase1IDs), phase1)
	}
	waitDelivered(t, phase1IDs, time.Now().Add(20*time.Second), a, b)
	// Once nothing is pending, nothing more can be delivered: the counts
	// are final.
	for deadline := time.Now().Add(10 * time.Second); a.pending(t, adminToken) > 0; {
		if time.Now().After(deadline) {
			t.Fatal("phase 1: events still pending 10s after all were delivered")
		}
		time.Sleep(50 * time.Millisecond)
	}
	seen := deliveries(t, a, b)
	byA, _ := a.counts()
	for _, id := range phase1IDs {
		if n := seen[id]; n != 1 {
			t.Errorf("phase 1: event %s delivered %d times, want 1", id, n)
		}
	}
	if len(seen) != phase1 {
		t.Errorf("phase 1: got %d distinct events delivered, want %d", len(seen), phase1)
	}
	if len(byA) == 0 || len(byA) == len(seen) {
		t.Logf("phase 1: replica A delivered %d of %d events: one replica did all the work", len(byA), len(seen))
	}
	t.Logf("phase 1: %d events, each delivered once (%d by A, %d by B), %v",
		phase1, len(byA), len(seen)-len(byA), time.Since(start).Round(time.Millisecond))
	if t.Failed() {
		return
	}

	// Phase 2: kill B with SIGKILL mid-stream; then send to A only.
	var killed atomic.Bool
	phase2Start := s.count.Load()
	pick := func(n int64) *replica {
		if killed.Load() {
			return a
		}
		return alternate(n)
	}
	tolerate := func(r *replica) bool { return r == b && killed.Load() }
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.run(pick, tolerate, func() bool { return s.count.Load() >= totalAccepts })
	}()
	for s.count.Load() < phase2Start+killAfter {
		select {
		case <-done:
			t.Fatalf("phase 2: the clients stopped after %d answers, before the kill", s.count.Load())
		case <-time.After(time.Millisecond):
		}
	}
	killed.Store(true)
	if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill replica B: %v", err)
	}
	atKill := s.count.Load()
	<-done
	if t.Failed() {
		return
	}
	// B's lines printed before the kill count: read its stdout to EOF.
	select {
	case <-b.stdoutDone:
	case <-time.After(10 * time.Second):
		t.Fatal("replica B's stdout did not close after SIGKILL")
	}
	want := s.ids()
	t.Logf("phase 2: %d events accepted in all (%d by the kill); %d posts to B failed around the kill",
		len(want), atKill, s.failedB.Load())

	// Events B had claimed but not completed are delivered by A once their
	// lease runs out.
	waitStart := time.Now()
	seen = waitDelivered(t, want, time.Now().Add(lease+20*time.Second), a, b)
	dups, extra := 0, 0
	for id, n := range seen {
		if n > 1 {
			dups += n - 1
		}
		if _, ok := s.accepted.Load(id); !ok {
			extra++ // committed by B, but the answer was lost in the kill
		}
	}
	t.Logf("phase 2: all %d accepted events delivered (%v after the last answer); %d duplicate deliveries (allowed across a crash); %d delivered events whose answer was lost in the kill",
		len(want), time.Since(waitStart).Round(time.Millisecond), dups, extra)
	var dead struct {
		Events []json.RawMessage `json:"events"`
	}
	a.admin(t, adminToken, http.MethodGet, "/admin/events?state=dead", nil, &dead)
	if len(dead.Events) != 0 {
		t.Errorf("got %d dead events, want 0", len(dead.Events))
	}

	// The survivor stops cleanly on SIGTERM.
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM replica A: %v", err)
	}
	select {
	case err := <-a.exit:
		if err != nil {
			t.Errorf("replica A exit after SIGTERM: %v", err)
		}
		a.exit <- err // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("replica A did not stop after SIGTERM")
	}
	t.Logf("total %v", time.Since(start).Round(time.Millisecond))
}
