package hardening

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	// adminToken is the server's -admin-token.
	adminToken = "hardening-admin-token-0123456789abcdef"
	// emailDomain is the server's default -email-domain.
	emailDomain = "in.localhost"
)

// buildServer builds ./examples/server into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is needed to build the server: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "server")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/inbound-hooks/inbound/examples/server")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// lockedBuffer collects a stream safely for concurrent reading.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// eventLine is the part of an examples/server stdout line the suite reads.
type eventLine struct {
	ID          string `json:"id"`
	HookID      string `json:"hook_id"`
	Kind        string `json:"hook_kind"`
	ContentType string `json:"content_type"`
	Data        any    `json:"data"`
	Files       []struct {
		Field string `json:"field"`
		Name  string `json:"name"`
		Size  int64  `json:"size"`
	} `json:"files"`
	Email *struct {
		Subject    string           `json:"subject"`
		MessageID  string           `json:"message_id"`
		Recipients []string         `json:"recipients"`
		Objects    []map[string]any `json:"objects"`
		Warnings   []string         `json:"warnings"`
	} `json:"email"`
}

// eventLog holds the server's stdout, one event per line.
type eventLog struct {
	mu      sync.Mutex
	lines   []string
	events  []eventLine
	bad     []string      // lines that are not event JSON
	changed chan struct{} // closed and replaced when a line arrives
	closed  bool          // stdout reached EOF
}

func newEventLog() *eventLog { return &eventLog{changed: make(chan struct{})} }

func (l *eventLog) add(line string) {
	var e eventLine
	err := json.Unmarshal([]byte(line), &e)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil || e.ID == "" {
		l.bad = append(l.bad, line)
	} else {
		l.lines = append(l.lines, line)
		l.events = append(l.events, e)
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *eventLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	close(l.changed)
	l.changed = make(chan struct{})
}

// wait returns the first event for which match is true, waiting up to
// timeout for it.
func (l *eventLog) wait(timeout time.Duration, match func(raw string, e eventLine) bool) (eventLine, string, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		for i, e := range l.events {
			if line := l.lines[i]; match(line, e) {
				l.mu.Unlock()
				return e, line, true
			}
		}
		ch, closed := l.changed, l.closed
		l.mu.Unlock()
		if closed {
			return eventLine{}, "", false
		}
		select {
		case <-ch:
		case <-deadline.C:
			return eventLine{}, "", false
		}
	}
}

// containing returns the event lines that contain s.
func (l *eventLog) containing(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// nonEvents returns the stdout lines that were not event lines.
func (l *eventLog) nonEvents() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.bad...)
}

// server is one running examples/server and what the suite created in it.
type server struct {
	mode     string // -delivery
	cmd      *exec.Cmd
	base     string // http://127.0.0.1:port
	smtpAddr string
	stderr   *lockedBuffer
	events   *eventLog
	exited   chan struct{} // closed when the process has exited
	exitErr  error         // valid after exited is closed
	client   *http.Client
	xff      atomic.Uint32 // source of distinct client addresses for form posts

	tokens   map[string]string // placeholder name -> value
	replacer *strings.Replacer
}

// bannerAddrs finds the listen addresses in the server's first stderr line.
var bannerAddrs = regexp.MustCompile(`\(HTTP (127\.0\.0\.1:[0-9]+), SMTP (127\.0\.0\.1:[0-9]+)\)`)

// startServer runs bin on loopback ports chosen by the kernel (read back
// from the banner), with a fresh data file and the extra flags given, and
// stops it when the test ends.
func startServer(t *testing.T, bin, mode string, extra ...string) *server {
	t.Helper()
	data := filepath.Join(t.TempDir(), "inbound.db")
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-smtp-addr", "127.0.0.1:0", "-data", data,
		"-admin-token", adminToken, "-delivery", mode, "-seed=false",
		// Form posts carry a distinct X-Forwarded-For each, so the form rate
		// limit (1/s, burst 10 per client) does not turn cases into 429s.
		"-trusted-proxies", "127.0.0.1/32"}, extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	s := &server{mode: mode, cmd: cmd, stderr: &lockedBuffer{}, events: newEventLog(), exited: make(chan struct{})}
	addrs := make(chan []string, 1)
	var pipes sync.WaitGroup
	pipes.Add(2)
	go func() {
		defer pipes.Done()
		sc := bufio.NewScanner(stderrPipe)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		found := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.stderr, line)
			if m := bannerAddrs.FindStringSubmatch(line); m != nil && !found {
				found = true
				addrs <- m[1:]
			}
		}
		_, _ = io.Copy(s.stderr, stderrPipe)
		close(addrs)
	}()
	go func() {
		defer pipes.Done()
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		for sc.Scan() {
			s.events.add(sc.Text())
		}
		s.events.close()
	}()
	go func() {
		pipes.Wait() // Wait must not run before the pipes are drained
		s.exitErr = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
			return
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("%s server stderr:\n%s", mode, tail(s.stderr.String(), 4000))
		}
	})
	select {
	case m, ok := <-addrs:
		if !ok {
			t.Fatalf("the server exited before its banner:\n%s", s.stderr.String())
		}
		s.base, s.smtpAddr = "http://"+m[0], m[1]
	case <-time.After(30 * time.Second):
		t.Fatalf("the server printed no banner in 30s:\n%s", s.stderr.String())
	}
	s.client = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}}
	t.Cleanup(s.client.CloseIdleConnections)
	return s
}

// tail returns the end of s, at most n bytes.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// alive fails t when the process has exited or its stderr mentions a panic.
func (s *server) alive(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
		t.Fatalf("the server exited: %v\n%s", s.exitErr, tail(s.stderr.String(), 4000))
	default:
	}
	if out := s.stderr.String(); strings.Contains(strings.ToLower(out), "panic") {
		t.Fatalf("the server's stderr mentions a panic:\n%s", tail(out, 4000))
	}
}

// admin calls the admin API and decodes its JSON answer into out.
func (s *server) admin(t *testing.T, method, p string, in, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.base+p, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("admin %s %s: %v", method, p, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		t.Fatalf("admin %s %s: status %d: %s", method, p, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("admin %s %s: %v: %s", method, p, err, b)
		}
	}
}

type hookOut struct {
	ID      string `json:"id"`
	Address string `json:"address"`
}

// token returns the token in a hook address (a URL or an email address).
func (h hookOut) token(t *testing.T) string {
	t.Helper()
	if local, _, ok := strings.Cut(h.Address, "@"); ok && !strings.Contains(h.Address, "/") {
		return local
	}
	u, err := url.Parse(h.Address)
	if err != nil || path.Base(u.Path) == "" {
		t.Fatalf("hook address %q: %v", h.Address, err)
	}
	return path.Base(u.Path)
}

func (s *server) createHook(t *testing.T, name, kind string) hookOut {
	t.Helper()
	var h hookOut
	s.admin(t, http.MethodPost, "/admin/hooks", map[string]string{"name": name, "type": kind}, &h)
	if h.ID == "" || h.Address == "" {
		t.Fatalf("create hook %q: got %+v", name, h)
	}
	return h
}

func (s *server) createKey(t *testing.T, name string, roles []string) (id, key string) {
	t.Helper()
	var k struct{ ID, Key string }
	s.admin(t, http.MethodPost, "/admin/keys", map[string]any{"name": name, "roles": roles}, &k)
	if k.ID == "" || k.Key == "" {
		t.Fatalf("create key %q: got %+v", name, k)
	}
	return k.ID, k.Key
}

// setup creates through the admin API every hook and key the cases name,
// and the placeholders that stand for them in paths, headers and bodies.
func (s *server) setup(t *testing.T, remoteContext, fileContext string) {
	t.Helper()
	form := s.createHook(t, "form", "form")
	web := s.createHook(t, "web", "web")
	email := s.createHook(t, "email", "email")
	disabledForm := s.createHook(t, "disabled form", "form")
	s.admin(t, http.MethodPatch, "/admin/hooks/"+disabledForm.ID, map[string]bool{"disabled": true}, nil)
	disabledWeb := s.createHook(t, "disabled web", "web")
	s.admin(t, http.MethodPatch, "/admin/hooks/"+disabledWeb.ID, map[string]bool{"disabled": true}, nil)
	disabledEmail := s.createHook(t, "disabled email", "email")
	s.admin(t, http.MethodPatch, "/admin/hooks/"+disabledEmail.ID, map[string]bool{"disabled": true}, nil)
	rotatedForm := s.createHook(t, "rotated form", "form")
	var rotatedFormNew hookOut
	s.admin(t, http.MethodPost, "/admin/hooks/"+rotatedForm.ID+"/rotate", nil, &rotatedFormNew)
	rotatedWeb := s.createHook(t, "rotated web", "web")
	s.admin(t, http.MethodPost, "/admin/hooks/"+rotatedWeb.ID+"/rotate", nil, nil)
	rotatedEmail := s.createHook(t, "rotated email", "email")
	s.admin(t, http.MethodPost, "/admin/hooks/"+rotatedEmail.ID+"/rotate", nil, nil)
	_, key := s.createKey(t, "good", []string{"org.hooks"})
	_, noRole := s.createKey(t, "no role", []string{"billing.read"})
	revokedID, revoked := s.createKey(t, "revoked", []string{"org.hooks"})
	s.admin(t, http.MethodDelete, "/admin/keys/"+revokedID, nil, nil)

	s.tokens = map[string]string{
		"form": form.token(t), "web": web.token(t), "email": email.token(t),
		"disabledForm": disabledForm.token(t), "disabledWeb": disabledWeb.token(t),
		"disabledEmail": disabledEmail.token(t),
		"rotatedForm":   rotatedForm.token(t), "rotatedFormNew": rotatedFormNew.token(t),
		"rotatedWeb": rotatedWeb.token(t), "rotatedEmail": rotatedEmail.token(t),
		"key": key, "noRoleKey": noRole, "revokedKey": revoked,
		"domain": emailDomain, "remoteContext": remoteContext, "fileContext": fileContext,
	}
	var pairs []string
	for k, v := range s.tokens {
		pairs = append(pairs, "{"+k+"}", v)
	}
	s.replacer = strings.NewReplacer(pairs...)
	if s.tokens["rotatedForm"] == s.tokens["rotatedFormNew"] {
		t.Fatalf("rotation kept the token %q", s.tokens["rotatedForm"])
	}
}

// expand replaces the {placeholders} in v.
func (s *server) expand(v string) string { return s.replacer.Replace(v) }

// nextClientAddr returns a distinct address for X-Forwarded-For.
func (s *server) nextClientAddr() string {
	n := s.xff.Add(1)
	return fmt.Sprintf("10.%d.%d.%d", n>>16&0xff, n>>8&0xff, n&0xff)
}

// probe checks that the server still takes a good webhook post and
// delivers it, and still greets on SMTP.
func (s *server) probe(t *testing.T, marker string) {
	t.Helper()
	s.alive(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body := `{"probe":"` + marker + `"}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/hooks/web/"+s.tokens["web"], strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.tokens["key"])
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("probe after the case: %v", err)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("probe after the case: got status %d (%s), want 202", resp.StatusCode, b)
	}
	var ok struct{ ID string }
	if err := json.Unmarshal(b, &ok); err != nil || ok.ID == "" {
		t.Fatalf("probe after the case: body %q: %v", b, err)
	}
	if _, _, found := s.events.wait(10*time.Second, func(_ string, e eventLine) bool { return e.ID == ok.ID }); !found {
		t.Fatalf("probe after the case: event %s was not delivered", ok.ID)
	}
	c, err := net.DialTimeout("tcp", s.smtpAddr, 5*time.Second)
	if err != nil {
		t.Fatalf("probe after the case: SMTP dial: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	greeting, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(greeting, "220") {
		t.Fatalf("probe after the case: SMTP greeting %q: %v", greeting, err)
	}
	_, _ = io.WriteString(c, "QUIT\r\n")
	s.alive(t)
}

// stop sends SIGTERM and checks that the server exits cleanly and in time.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("the server did not exit within 15s of SIGTERM")
	}
	if s.exitErr != nil {
		t.Errorf("server exit: got %v, want a clean exit\n%s", s.exitErr, tail(s.stderr.String(), 4000))
	}
}
