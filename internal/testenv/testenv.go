package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/inbound-hooks/inbound/store/pgstore"
)

// PostgresDSNVar names the variable that holds the test database's DSN.
const PostgresDSNVar = "INBOUND_TEST_PG_DSN"

// CI reports whether the tests run in CI (CI=true), where every test must
// run and a missing service is a failure.
func CI() bool { return os.Getenv("CI") == "true" }

// Need skips t with the message, or fails it when CI reports true.
func Need(t testing.TB, format string, args ...any) {
	t.Helper()
	if CI() {
		t.Fatalf(format+" (required when CI=true)", args...)
	}
	t.Skipf(format, args...)
}

// PostgresDSN returns the DSN of the test database, or skips (fails in CI).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresDSNVar)
	if dsn == "" {
		Need(t, "%s is not set; PostgreSQL tests need it (for example %s=%q)",
			PostgresDSNVar, PostgresDSNVar, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	}
	return dsn
}

// PostgresSchema returns a fresh, random schema name starting with prefix
// and drops that schema, with whatever the test put in it, when the test
// ends (after the cleanups registered later, such as closing stores).
func PostgresSchema(t testing.TB, dsn, prefix string) string {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := prefix + hex.EncodeToString(b) // [a-z0-9_]: no quoting needed
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := pgstore.Open(ctx, dsn, &pgstore.Options{Schema: schema, MaxConns: 1})
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer s.Close()
		pool, _ := pgstore.Pool(s)
		if _, err := pool.Exec(ctx, `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// Chromium returns a Chromium or Chrome binary ($CHROME_PATH, or the first
// of chromium, chromium-browser and google-chrome on $PATH), or skips
// (fails in CI). Browser tests also skip in -short mode.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Need(t, "no Chromium binary (chromium, chromium-browser, google-chrome or $CHROME_PATH); install the Debian package chromium")
	return ""
}

// Browser starts headless Chromium with the flags this machine's closed
// network needs and returns a chromedp context whose actions each get
// timeout. The browser is stopped when the test ends.
func Browser(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chrome := Chromium(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	bctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	// The first action starts the browser; it must not run under a timeout.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start %s: %v", chrome, err)
	}
	ctx, cancel := context.WithTimeout(bctx, timeout)
	t.Cleanup(func() {
		cancel()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// Build compiles the main package pkg (an import path) into the test's
// temporary directory and returns the binary's path. It skips when the go
// command is missing.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is needed to build %s: %v", pkg, err)
	}
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if out, err := exec.Command(goBin, "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// Listen opens a TCP listener on a free 127.0.0.1 port, closed when the
// test ends, and returns it with its base URL ("http://127.0.0.1:port"), so
// that a test can build handlers that need their own address first.
func Listen(t testing.TB) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("loopback listener: %v", err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln, "http://" + ln.Addr().String()
}

// Serve answers HTTP on ln with h, a real net/http server with a header
// timeout, until the test ends.
func Serve(t testing.TB, ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
}

// ServeLoopback serves h on a free 127.0.0.1 port until the test ends and
// returns its base URL.
func ServeLoopback(t testing.TB, h http.Handler) string {
	t.Helper()
	ln, base := Listen(t)
	Serve(t, ln, h)
	return base
}

// RaceSlack returns n under the race detector and 0 without it: what an
// allocation count that relies on a sync.Pool may grow by there, since
// the race detector's Pool drops a quarter of what is put back at random
// and each dropped buffer is made again. n is the test's own bound.
func RaceSlack(n int) int {
	if Race {
		return n
	}
	return 0
}
