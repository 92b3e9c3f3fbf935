package admin_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/inbound-hooks/inbound/admin"
	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/internal/testenv"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// TestBrowser drives the admin page in headless Chromium: sign in, add a
// form hook, copy its address, turn debug on, post to the address, and
// see the request in the debug view; then take the entry's data as the
// example and see its fields.
func TestBrowser(t *testing.T) {

	ln, base := testenv.Listen(t)
	s := memstore.New()
	reg, err := hooks.NewRegistry(s, hooks.RegistryOptions{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := hooks.NewKeyring(s, hooks.KeyringOptions{})
	dlog, err := debuglog.New(s, debuglog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dlog.Close(context.Background()) })
	fired := make(chan *hooks.Event, 1)
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Recorder: dlog,
		Delivery: hooks.Sync(hooks.TriggerFunc(func(_ context.Context, e *hooks.Event) error {
			select {
			case fired <- e:
			default:
			}
			return nil
		}))})
	if err != nil {
		t.Fatal(err)
	}
	forms, err := formhook.New(p, formhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const adminToken = "browser-test-admin-token"
	adm, err := admin.New(reg, keys, dlog, admin.Options{Authorizer: admin.BearerToken(adminToken)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/hooks/form/", forms)
	mux.Handle("/admin/", adm)
	testenv.Serve(t, ln, mux)

	ctx := testenv.Browser(t, 90*time.Second)

	do := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(sel chromedp.CSS) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	poll := func(name, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			t.Fatalf("%s: waiting for %s: %v", name, expr, err)
		}
	}

	do("sign in",
		chromedp.Navigate(base+"/admin/"),
		chromedp.WaitVisible(chromedp.ID("token-input")),
		chromedp.SendKeys(chromedp.ID("token-input"), adminToken),
		chromedp.Click(chromedp.ID("login-btn")),
		chromedp.WaitVisible(chromedp.ID("new-hook-name")),
	)
	do("add a form hook",
		chromedp.SendKeys(chromedp.ID("new-hook-name"), "Contact form"),
		chromedp.SendKeys(chromedp.ID("new-hook-description"), "the site's contact form"),
		chromedp.SetValue(chromedp.ID("new-hook-type"), "form"),
		chromedp.Click(chromedp.ID("new-hook-submit")),
		chromedp.WaitVisible(chromedp.ID("hook-detail")),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-testid="hook-row"][data-hook-name="Contact form"]`)),
	)
	hs, err := reg.List(context.Background(), "")
	if err != nil || len(hs) != 1 {
		t.Fatalf("hooks after adding: got %d, %v; want 1", len(hs), err)
	}
	want := reg.Address(hs[0])
	if shown := text(`#detail-address`); shown != want {
		t.Fatalf("address shown: got %q, want %q", shown, want)
	}

	do("copy the address", chromedp.Click(chromedp.ID("copy-address")))
	poll("copy", `document.getElementById('copy-status').textContent !== ''`)
	if got := text(`#copy-status`); got != "Copied" {
		t.Errorf("copy status: got %q, want %q", got, "Copied")
	}
	copiedAttr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("copy-status"), "data-copied"))
	if err != nil {
		t.Fatal(err)
	}
	copied := copiedAttr.Value
	if copied != want {
		t.Fatalf("copied: got %q, want %q", copied, want)
	}

	do("turn debug on", chromedp.Click(chromedp.ID("debug-toggle")))
	poll("debug on", `(document.querySelector('td[data-testid="hook-debug"]') || {}).textContent === 'on'`)
	if h, _ := reg.Get(context.Background(), "", hs[0].ID); !h.Debug {
		t.Fatal("debug is not on in the registry after the toggle")
	}

	req, _ := http.NewRequest(http.MethodPost, copied, strings.NewReader(url.Values{
		"name": {"Ada Lovelace"}, "email": {"ada@example.com"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "session=browser-test-secret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("post to the copied address: got %d, want 202", res.StatusCode)
	}
	select {
	case <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("the trigger did not fire")
	}
	if err := dlog.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	do("see the entry in the debug view",
		chromedp.Click(chromedp.ID("debug-refresh")),
		chromedp.WaitVisible(chromedp.CSS(`li[data-testid="debug-entry"] summary`)),
		chromedp.Click(chromedp.CSS(`li[data-testid="debug-entry"] summary`)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-testid="debug-entry"] pre`)),
	)
	summary := text(`li[data-testid="debug-entry"] summary`)
	details := text(`li[data-testid="debug-entry"] details`)
	for _, s := range []string{"POST", "202", "accepted"} {
		if !strings.Contains(summary, s) {
			t.Errorf("entry summary %q lacks %q", summary, s)
		}
	}
	for _, s := range []string{"ada@example.com", "Ada Lovelace", hooks.Redacted} {
		if !strings.Contains(details, s) {
			t.Errorf("entry details lack %q:\n%s", s, details)
		}
	}
	if strings.Contains(details, "browser-test-secret") {
		t.Errorf("the debug view shows the cookie in clear:\n%s", details)
	}

	do("use the entry as example data",
		chromedp.Click(chromedp.CSS(`li[data-testid="debug-entry"] button[data-testid="use-as-example"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-testid="field"][data-path="email"]`)),
	)
	if fields := text(`#fields-list`); !strings.Contains(fields, "email") || !strings.Contains(fields, "name") || !strings.Contains(fields, "string") {
		t.Errorf("fields: got %q, want email and name strings", fields)
	}
}
