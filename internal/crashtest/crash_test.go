package crashtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/internal/testenv"
)

const (
	clients      = 16
	killAfter    = 1000 // 2xx answers before the SIGKILL
	totalAccepts = 2000 // 2xx answers over both runs, at least
)

// server is one run of the crash-test server.
type server struct {
	cmd   *exec.Cmd
	addr  string
	token string
	exit  chan error
}

func buildServer(t *testing.T) string {
	t.Helper()
	return testenv.Build(t, "github.com/inbound-hooks/inbound/internal/crashtest/server")
}

func startServer(t *testing.T, bin, data, delivered string, flags ...string) *server {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-data", data, "-delivered", delivered}, flags...)...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	s := &server{cmd: cmd, exit: make(chan error, 1)}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
		s.exit <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.exit
	})
	select {
	case line, ok := <-lines:
		var hello struct{ Addr, Token string }
		if !ok || json.Unmarshal([]byte(line), &hello) != nil || hello.Addr == "" {
			t.Fatalf("server start line: got %q", line)
		}
		s.addr, s.token = hello.Addr, hello.Token
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not start")
	}
	return s
}

// load sends form posts to s from concurrent clients until stop returns
// true, recording the ID of every 2xx answer. A client stops at its first
// transport error (the server was killed).
func load(t *testing.T, s *server, accepted *sync.Map, count *atomic.Int64, stop func() bool) {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	url := "http://" + s.addr + "/hooks/form/" + s.token
	var wg sync.WaitGroup
	var seq atomic.Int64
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop() {
				body := fmt.Sprintf("name=client&n=%d&text=%s", seq.Add(1), strings.Repeat("x", 200))
				resp, err := c.Post(url, "application/x-www-form-urlencoded", strings.NewReader(body))
				if err != nil {
					return
				}
				b, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
				resp.Body.Close()
				if err != nil {
					return
				}
				if resp.StatusCode/100 != 2 {
					t.Errorf("status %d: %s", resp.StatusCode, b)
					return
				}
				var r struct{ ID string }
				if err := json.Unmarshal(b, &r); err != nil || r.ID == "" {
					t.Errorf("2xx body %q: %v", b, err)
					return
				}
				accepted.Store(r.ID, true)
				count.Add(1)
			}
		}()
	}
	wg.Wait()
}

// readDelivered returns how many times each ID is in the file.
func readDelivered(t *testing.T, path string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for line := range bytes.Lines(b) {
		if id, ok := bytes.CutSuffix(line, []byte("\n")); ok && len(id) > 0 {
			seen[string(id)]++
		}
	}
	return seen
}

func TestKillLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server; skipped with -short")
	}
	bin := buildServer(t)
	dir := t.TempDir()
	data, delivered := filepath.Join(dir, "inbound.db"), filepath.Join(dir, "delivered.txt")

	var accepted sync.Map
	var count atomic.Int64

	// Run 1: kill it with SIGKILL once killAfter events are accepted, with
	// the clients still sending.
	s1 := startServer(t, bin, data, delivered)
	done := make(chan struct{})
	go func() {
		defer close(done)
		load(t, s1, &accepted, &count, func() bool { return false })
	}()
	for count.Load() < killAfter {
		select {
		case <-done:
			t.Fatalf("the clients stopped after %d answers, before the kill", count.Load())
		case <-time.After(time.Millisecond):
		}
	}
	if err := s1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill: %v", err)
	}
	<-done
	firstRun := count.Load()

	// Run 2: the same data file; send the rest.
	s2 := startServer(t, bin, data, delivered)
	load(t, s2, &accepted, &count, func() bool { return count.Load() >= totalAccepts })
	if t.Failed() {
		return
	}
	var want []string
	accepted.Range(func(k, _ any) bool {
		want = append(want, k.(string))
		return true
	})
	t.Logf("accepted %d events: %d before the SIGKILL, %d after the restart", len(want), firstRun, int64(len(want))-firstRun)

	// Events claimed by the killed run are delivered again when their
	// lease (2s in the server) runs out.
	waitStart := time.Now()
	var seen map[string]int
	var missing []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen = readDelivered(t, delivered)
		missing = missing[:0]
		for _, id := range want {
			if seen[id] == 0 {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	waited := time.Since(waitStart).Round(time.Millisecond)
	if len(missing) > 0 {
		t.Fatalf("%d of %d accepted events never reached the trigger, e.g. %v", len(missing), len(want), missing[:min(5, len(missing))])
	}
	dups, extra := 0, 0
	for id, n := range seen {
		if n > 1 {
			dups += n - 1
		}
		if _, ok := accepted.Load(id); !ok {
			extra++ // committed, but the answer was lost in the kill
		}
	}
	t.Logf("all %d accepted events delivered (%v after the last answer); %d duplicate deliveries; %d delivered events whose answer was lost in the kill",
		len(want), waited, dups, extra)

	// A graceful stop of the second run drains and exits cleanly.
	if err := s2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case err := <-s2.exit:
		if err != nil {
			t.Fatalf("server exit after SIGTERM: %v", err)
		}
		s2.exit <- err // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not stop after SIGTERM")
	}
}

// waitDelivered waits until every ID in want is in the delivered file, or
// fails the test after 30 seconds, and returns how often each ID is there.
func waitDelivered(t *testing.T, path string, want []string) map[string]int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen := readDelivered(t, path)
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
			t.Fatalf("%d of %d accepted events never reached the trigger, e.g. %v", len(missing), len(want), missing[:min(5, len(missing))])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestKillBetweenCommitAndHandOff kills the server while every event it
// accepted is committed but not delivered: its Trigger never returns
// (-hold), so the events handed straight to local workers (committed
// already claimed) and those queued behind them are all in flight. After
// a restart on the same file, each accepted event must be delivered.
func TestKillBetweenCommitAndHandOff(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server; skipped with -short")
	}
	bin := buildServer(t)
	dir := t.TempDir()
	data, delivered := filepath.Join(dir, "inbound.db"), filepath.Join(dir, "delivered.txt")
	var accepted sync.Map
	var count atomic.Int64

	const held = 200 // more than the workers: hand-offs, then plain enqueues
	s1 := startServer(t, bin, data, delivered, "-hold")
	done := make(chan struct{})
	go func() {
		defer close(done)
		load(t, s1, &accepted, &count, func() bool { return count.Load() >= held })
	}()
	<-done
	if t.Failed() {
		return
	}
	if err := s1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill: %v", err)
	}
	<-s1.exit
	s1.exit <- nil // for the cleanup
	if n := len(readDelivered(t, delivered)); n != 0 {
		t.Fatalf("the held run delivered %d events, want 0", n)
	}

	s2 := startServer(t, bin, data, delivered)
	var want []string
	accepted.Range(func(k, _ any) bool {
		want = append(want, k.(string))
		return true
	})
	start := time.Now()
	seen := waitDelivered(t, delivered, want)
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	t.Logf("all %d events accepted before the kill delivered %v after the restart; %d duplicate deliveries",
		len(want), time.Since(start).Round(time.Millisecond), dups)
	if err := s2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
}
