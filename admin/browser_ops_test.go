package admin_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-smtp"

	"github.com/inbound-hooks/inbound/activity"
	"github.com/inbound-hooks/inbound/admin"
	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/internal/testenv"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/webhook"
)

// Values a stranger might post, meant to run script if a view rendered
// them as HTML: each sets window.__pwned or changes document.title.
var xssValues = []string{
	`<script>window.__pwned=1;document.title='pwned'</script>`,
	`"><img src=x onerror="window.__pwned=1;document.title='pwned'">`,
	`'><svg onload=window.__pwned=1>`,
}

// TestBrowserOperator walks the admin page through what an operator does
// on a bad day, in headless Chromium over a real durable queue: a trigger
// that fails makes an event dead, the page lists it with its error, and a
// replay from the page delivers it; a webhook's signature secret is set
// and rotated from the page, and posts signed with either secret pass
// during the overlap; a key is created with a chosen role; the activity
// chart counts the posts. Values posted to the hooks hold script that
// must never run. Screenshots of each screen go to a temporary folder
// (logged; kept for a person to look at).
func TestBrowserOperator(t *testing.T) {
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
	act := activity.New(activity.Options{})
	tel := hooks.Telemetry{Observer: act}
	var broken atomic.Bool
	broken.Store(true)
	var mu sync.Mutex
	fired := map[string]int{}
	mailFrom := map[string]string{} // event ID -> From of the mail delivered
	q, err := hooks.NewQueue(s, hooks.TriggerFunc(func(_ context.Context, e *hooks.Event) error {
		if broken.Load() {
			return errors.New("engine down: " + xssValues[1])
		}
		mu.Lock()
		fired[e.ID]++
		if e.Email != nil {
			mailFrom[e.ID] = e.Email.From
		}
		mu.Unlock()
		return nil
	}), hooks.QueueOptions{MaxAttempts: 1, PollInterval: 20 * time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, Telemetry: tel})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Shutdown(context.Background()) })
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Recorder: dlog, Delivery: q, Telemetry: tel})
	if err != nil {
		t.Fatal(err)
	}
	forms, err := formhook.New(p, formhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	webs, err := webhook.New(p, keys, webhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Mail arrives over SMTP on a loopback listener; SPF (checked against
	// a fake DNS) passes for both sender domains, so the sender policy is
	// what tells them apart.
	mailBackend, err := emailhook.NewBackend(p, emailhook.SMTPOptions{Domains: []string{"in.example.test"},
		AuthChecker: emailhook.NewAuthChecker(emailhook.AuthCheckerOptions{Resolver: spfResolver{"partner.example", "stranger.example"}})})
	if err != nil {
		t.Fatal(err)
	}
	smtpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpSrv := mailBackend.NewServer("")
	go func() { _ = smtpSrv.Serve(smtpLn) }()
	t.Cleanup(func() { _ = smtpSrv.Close() })
	const adminToken = "browser-ops-admin-token"
	adm, err := admin.New(reg, keys, dlog, admin.Options{Authorizer: admin.BearerToken(adminToken), Events: q, Activity: act})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(forms.Prefix(), forms)
	mux.Handle(webs.Prefix(), webs)
	mux.Handle("/admin/", adm)
	testenv.Serve(t, ln, mux)

	shots, err := os.MkdirTemp("", "inbound-admin-screens-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)

	ctx := testenv.Browser(t, 120*time.Second)
	failShot := func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if b, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(shots, "failed.png"), b, 0o644)
		}
	}
	do := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			failShot()
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	poll := func(name, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			failShot()
			t.Fatalf("%s: waiting for %s: %v", name, expr, err)
		}
	}
	shot := func(name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eval := func(expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr+"; true")); err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
	}
	// noScriptRan checks that nothing posted ran as script.
	noScriptRan := func(where string) {
		t.Helper()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.title === 'inbound admin' && window.__pwned === undefined && window.__canary === 'intact'`))
		if err != nil || !ok {
			t.Fatalf("%s: posted script ran (or the page lost its state): %v", where, err)
		}
	}

	// Hooks an operator has: a form hook and a webhook, named with what a
	// careless admin might paste.
	ctxb := context.Background()
	form, err := reg.Create(ctxb, "", hooks.HookSpec{Name: "Orders " + xssValues[0], Kind: formhook.KindName})
	if err != nil {
		t.Fatal(err)
	}
	web, err := reg.Create(ctxb, "", hooks.HookSpec{Name: "Payments " + xssValues[2], Kind: webhook.KindName})
	if err != nil {
		t.Fatal(err)
	}
	formURL, webURL := reg.Address(form), reg.Address(web)

	post := func(target string, body string, ctype string, hdr map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}

	// 1. A post while the engine is down: one attempt, then dead.
	formBody := url.Values{"name": {xssValues[0]}, "note": {xssValues[1]}, "email": {"ada@example.com"}}.Encode()
	if code := post(formURL, formBody, "application/x-www-form-urlencoded", map[string]string{"X-Note": xssValues[2]}); code != http.StatusAccepted {
		t.Fatalf("form post: got %d, want 202", code)
	}
	// And one refused post, for the chart's rejected count.
	if code := post(formURL, "{", "application/json", nil); code != http.StatusBadRequest {
		t.Fatalf("malformed post: got %d, want 400", code)
	}
	deadline := time.Now().Add(20 * time.Second)
	var deadID string
	for deadID == "" {
		evs, err := q.Events(ctxb, "", store.EventQuery{State: store.StateDead})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 1 {
			deadID = evs[0].ID
		} else if time.Now().After(deadline) {
			t.Fatal("the event did not go dead")
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}

	do("sign in",
		chromedp.Navigate(base+"/admin/"),
		chromedp.WaitVisible(chromedp.ID("token-input")),
	)
	shot("01-sign-in")
	eval(`window.__canary = 'intact'`)
	do("sign in",
		chromedp.SendKeys(chromedp.ID("token-input"), adminToken),
		chromedp.Click(chromedp.ID("login-btn")),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-testid="event-row"][data-state="dead"]`)),
	)
	noScriptRan("hooks and events lists")
	shot("02-hooks-and-events")
	if got := text(`#org-events tr[data-event-id="` + deadID + `"] [data-testid="event-error"]`); !strings.Contains(got, "engine down: "+xssValues[1]) {
		t.Fatalf("dead event's error: got %q", got)
	}

	// 2. Filters: dead events of the form hook, searched by ID.
	do("filter",
		chromedp.SetValue(chromedp.CSS(`#org-events select[data-filter="state"]`), "dead"),
		chromedp.SetValue(chromedp.CSS(`#org-events select[data-filter="hook"]`), form.ID),
		chromedp.SendKeys(chromedp.CSS(`#org-events input[data-filter="id"]`), deadID),
		chromedp.Click(chromedp.CSS(`[data-testid="org-events-apply"]`)),
	)
	poll("filtered list", `(document.querySelector('[data-testid="org-events-list"]').getAttribute('data-query') || '').includes('id=') &&
		document.querySelectorAll('#org-events tr[data-testid="event-row"]').length === 1`)
	do("open the dead event",
		chromedp.Click(chromedp.CSS(`#org-events tr[data-event-id="`+deadID+`"] button[data-testid="open-event"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#org-events [data-testid="event-detail"]`)),
	)
	detail := text(`#org-events [data-testid="event-detail"]`)
	for _, want := range []string{xssValues[0], xssValues[1], "X-Note: " + xssValues[2], "engine down"} {
		if !strings.Contains(detail, want) {
			t.Errorf("event detail lacks %q:\n%s", want, detail)
		}
	}
	noScriptRan("event detail")
	shot("03-dead-event-detail")

	// 3. Replay from the page once the engine is back.
	broken.Store(false)
	do("replay", chromedp.Click(chromedp.CSS(`#org-events [data-testid="detail-replay"]`)))
	poll("replayed", `(document.getElementById('status').textContent || '').startsWith('1 event(s) replayed')`)
	deadline = time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := fired[deadID]
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the replayed event was not delivered")
		}
		time.Sleep(20 * time.Millisecond)
	}
	do("show delivered events",
		chromedp.SetValue(chromedp.CSS(`#org-events select[data-filter="state"]`), "delivered"),
		chromedp.Click(chromedp.CSS(`[data-testid="org-events-apply"]`)),
	)
	poll("delivered", `!!document.querySelector('#org-events tr[data-event-id="`+deadID+`"][data-state="delivered"]')`)
	shot("04-replayed-delivered")

	// 4. A field error shown beside its setting.
	do("open the form hook",
		chromedp.Click(chromedp.CSS(`tr[data-hook-id="`+form.ID+`"] button[data-testid="open-hook"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#settings-form [data-setting="redirect_url"]`)),
		chromedp.SendKeys(chromedp.CSS(`#settings-form [data-setting="redirect_url"]`), "javascript:alert(1)"),
		chromedp.Click(chromedp.CSS(`#settings-form [data-testid="save-settings"]`)),
	)
	poll("field error", `(document.querySelector('#settings-form [data-field="redirect_url"]').textContent || '').includes('redirect_url must be')`)
	shot("05-form-settings-error")
	do("fix the setting",
		chromedp.SetValue(chromedp.CSS(`#settings-form [data-setting="redirect_url"]`), "https://example.com/thanks"),
		chromedp.SetValue(chromedp.CSS(`#settings-form [data-setting="allowed_origins"]`), "https://example.com"),
		chromedp.SetValue(chromedp.CSS(`#settings-form [data-setting="rate_limit"]`), "5"),
		chromedp.Click(chromedp.CSS(`#settings-form [data-testid="save-settings"]`)),
	)
	poll("saved", `document.getElementById('status').textContent === 'Settings saved.'`)
	if h, _ := reg.Get(ctxb, "", form.ID); h.Settings.(*formhook.Settings).RedirectURL != "https://example.com/thanks" ||
		h.Settings.(*formhook.Settings).RateLimit == nil || len(h.Settings.(*formhook.Settings).AllowedOrigins) != 1 {
		t.Fatalf("form settings after saving: %+v", h.Settings)
	}

	// 5. A webhook signature: set, then rotated with overlap.
	const first, second = "first-secret-0123456789", "second-secret-9876543210"
	do("open the webhook",
		chromedp.Click(chromedp.CSS(`tr[data-hook-id="`+web.ID+`"] button[data-testid="open-hook"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#settings-form [data-setting="signature"]`)),
		chromedp.SetValue(chromedp.CSS(`#settings-form [data-setting="auth"]`), "signature"),
		chromedp.SetValue(chromedp.CSS(`#settings-form [data-setting="signature"]`), "github"),
		chromedp.SendKeys(chromedp.CSS(`#settings-form [data-setting="signature.secrets"]`), first),
		chromedp.Click(chromedp.CSS(`#settings-form [data-testid="save-settings"]`)),
	)
	poll("signature set", `document.querySelectorAll('#settings-form [data-fingerprint]').length === 1`)
	do("rotate",
		chromedp.SendKeys(chromedp.CSS(`#settings-form [data-setting="add_secret"]`), second),
		chromedp.Click(chromedp.CSS(`#settings-form [data-testid="add-secret"]`)),
	)
	poll("secret added", `document.querySelectorAll('#settings-form [data-fingerprint]').length === 2`)
	page, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(`html`)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page, first) || strings.Contains(page, second) {
		t.Fatal("the page shows a signature secret")
	}
	shot("06-webhook-secrets-rotated")
	sign := func(secret, body string) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(body))
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	for i, secret := range []string{first, second, "wrong-secret"} {
		body := fmt.Sprintf(`{"payment":%d,"memo":%q}`, i, xssValues[i])
		code := post(webURL, body, "application/json", map[string]string{"X-Hub-Signature-256": sign(secret, body), "Idempotency-Key": "pay-" + xssValues[i]})
		if want := map[bool]int{true: http.StatusAccepted, false: http.StatusUnauthorized}[secret != "wrong-secret"]; code != want {
			t.Fatalf("post signed with secret %d: got %d, want %d", i, code, want)
		}
	}
	do("drop the old secret", chromedp.Click(chromedp.CSS(`#settings-form [data-testid="drop-secrets"]`)))
	poll("dropped", `document.querySelectorAll('#settings-form [data-fingerprint]').length === 1`)
	body := `{"payment":9}`
	if code := post(webURL, body, "application/json", map[string]string{"X-Hub-Signature-256": sign(first, body)}); code != http.StatusUnauthorized {
		t.Fatalf("post signed with the dropped secret: got %d, want 401", code)
	}
	if code := post(webURL, body, "application/json", map[string]string{"X-Hub-Signature-256": sign(second, body)}); code != http.StatusAccepted {
		t.Fatalf("post signed with the new secret: got %d, want 202", code)
	}

	// 6. The activity chart shows the posts just made.
	do("refresh", chromedp.Click(chromedp.CSS(`[data-testid="refresh-all"]`)))
	poll("webhook activity", `(() => { const l = document.querySelector('#detail-activity [data-testid="activity-totals"]');
		return l && l.getAttribute('data-accepted') === '3' && l.getAttribute('data-rejected') === '2'; })()`)
	poll("form activity", `(() => { const l = document.querySelector('tr[data-hook-id="`+form.ID+`"] [data-testid="activity-totals"]');
		return l && l.getAttribute('data-accepted') === '1' && l.getAttribute('data-rejected') === '1' && l.getAttribute('data-failed') === '1'; })()`)
	if got := text(`#detail-activity [data-testid="last-error"]`); !strings.Contains(got, "rejected") {
		t.Errorf("webhook's last error: got %q", got)
	}
	// The hook's own event list, searched by idempotency key.
	do("search the webhook's events by key",
		chromedp.SendKeys(chromedp.CSS(`#hook-events input[data-filter="key"]`), "pay-"+xssValues[1]),
		chromedp.Click(chromedp.CSS(`[data-testid="hook-events-apply"]`)),
	)
	poll("webhook events by key", `(document.querySelector('[data-testid="hook-events-list"]').getAttribute('data-query') || '').includes('key=') &&
		document.querySelectorAll('#hook-events tr[data-testid="event-row"]').length === 1`)
	do("open it",
		chromedp.Click(chromedp.CSS(`#hook-events button[data-testid="open-event"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#hook-events [data-testid="event-detail"]`)),
	)
	if d := text(`#hook-events [data-testid="event-detail"]`); !strings.Contains(d, "pay-"+xssValues[1]) || !strings.Contains(d, xssValues[1]) {
		t.Errorf("webhook event detail: %s", d)
	}
	noScriptRan("webhook detail, activity and events")
	shot("07-webhook-activity-and-events")

	// 7. A key with a chosen role.
	do("create a key",
		chromedp.SendKeys(chromedp.ID("new-key-name"), "ops "+xssValues[1]),
		chromedp.Click(chromedp.CSS(`#known-roles input[value="org.hooks"]`)), // untick the default
		chromedp.SendKeys(chromedp.ID("new-key-other-roles"), "ops.read"),
		chromedp.Click(chromedp.ID("new-key-submit")),
		chromedp.WaitVisible(chromedp.ID("new-key-value")),
	)
	poll("key listed", `[...document.querySelectorAll('tr[data-testid="key-row"] [data-testid="key-roles"]')].some((c) => c.textContent === 'ops.read')`)
	ks, err := keys.List(ctxb, "")
	if err != nil || len(ks) != 1 || strings.Join(ks[0].Roles, ",") != "ops.read" {
		t.Fatalf("keys: got %+v, %v", ks, err)
	}
	noScriptRan("keys")
	shot("08-key-with-role")

	// 8. An email hook added from the page, with a sender policy set from
	// the page: an invalid entry is refused beside its field, then only
	// partner.example may send.
	do("add an email hook",
		chromedp.SendKeys(chromedp.ID("new-hook-name"), "Invoices "+xssValues[1]),
		chromedp.SetValue(chromedp.ID("new-hook-type"), "email"),
		chromedp.Click(chromedp.ID("new-hook-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#settings-form [data-setting="sender_policy.mode"]`)),
	)
	var mailHook *hooks.Hook
	if hs, err := reg.List(ctxb, ""); err == nil {
		for _, h := range hs {
			if h.Kind == emailhook.KindName {
				mailHook = h
			}
		}
	}
	if mailHook == nil {
		t.Fatal("the email hook added from the page is not in the registry")
	}
	poll("email hook shown", `document.getElementById('hook-detail').getAttribute('data-hook-id') === '`+mailHook.ID+`'`)
	do("an invalid sender policy",
		chromedp.SetValue(chromedp.CSS(`#settings-form [data-setting="sender_policy.mode"]`), "reject"),
		chromedp.SendKeys(chromedp.CSS(`#settings-form [data-setting="sender_policy.allowed"]`), "partner.example\nnot a domain!"),
		chromedp.Click(chromedp.CSS(`#settings-form [data-testid="save-settings"]`)),
	)
	poll("policy field error", `(document.querySelector('#settings-form [data-field="sender_policy.allowed"]').textContent || '').startsWith('sender_policy.allowed "not a domain!" is not an address or a domain')`)
	shot("09-email-policy-error")
	if h, _ := reg.Get(ctxb, "", mailHook.ID); h.Settings.(*emailhook.Settings).SenderPolicy != nil {
		t.Fatalf("an invalid policy was saved: %+v", h.Settings.(*emailhook.Settings).SenderPolicy)
	}
	do("a valid sender policy",
		chromedp.SetValue(chromedp.CSS(`#settings-form [data-setting="sender_policy.allowed"]`), "partner.example"),
		chromedp.Click(chromedp.CSS(`#settings-form [data-testid="save-settings"]`)),
	)
	poll("policy saved", `document.getElementById('status').textContent === 'Settings saved.' &&
		document.querySelector('#settings-form [data-setting="sender_policy.mode"]').value === 'reject'`)
	// The saved setting, as the admin API gives it.
	var got struct {
		Settings struct {
			SenderPolicy *emailhook.SenderPolicy `json:"sender_policy"`
		} `json:"settings"`
	}
	adminGet(t, base+"/admin/hooks/"+mailHook.ID, adminToken, &got)
	if sp := got.Settings.SenderPolicy; sp == nil || sp.Mode != emailhook.PolicyReject || strings.Join(sp.Allowed, ",") != "partner.example" {
		t.Fatalf("sender policy through the admin API: %+v", sp)
	}
	shot("10-email-policy-saved")
	// Its effect: the stranger is refused at DATA, the partner delivered.
	rcpt := reg.Address(mailHook)
	send := func(from string) error {
		msg := "From: " + from + "\r\nTo: " + rcpt + "\r\nSubject: invoice " + xssValues[0] + "\r\nMessage-ID: <" + from + ".1@test>\r\n\r\nPlease pay.\r\n"
		c, err := smtp.Dial(smtpLn.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.SendMail(from, []string{rcpt}, strings.NewReader(msg))
	}
	var se *smtp.SMTPError
	if err := send("mallory@stranger.example"); !errors.As(err, &se) || se.Code != 550 {
		t.Fatalf("mail from a sender outside the policy: got %v, want a 550 refusal", err)
	}
	if err := send("billing@partner.example"); err != nil {
		t.Fatalf("mail from an allowed sender: %v", err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for {
		evs, err := q.Events(ctxb, "", store.EventQuery{HookID: mailHook.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 1 && evs[0].State == string(store.StateDelivered) {
			mu.Lock()
			from := mailFrom[evs[0].ID]
			mu.Unlock()
			if from != "billing@partner.example" {
				t.Fatalf("the delivered mail is from %q", from)
			}
			break
		}
		if len(evs) > 1 || time.Now().After(deadline) {
			t.Fatalf("events of the email hook: got %d, want the partner's mail alone, delivered", len(evs))
		}
		time.Sleep(20 * time.Millisecond)
	}
	do("show the email hook's events", chromedp.Click(chromedp.CSS(`[data-testid="hook-events-apply"]`)))
	poll("one email event", `document.querySelectorAll('#hook-events tr[data-testid="event-row"]').length === 1`)
	noScriptRan("email hook")

	// 9. Headers over the budget: a post to the form hook with debug on
	// carries one huge header; the debug entry and the event say it was
	// dropped, and how many bytes.
	do("open the form hook, debug on",
		chromedp.Click(chromedp.CSS(`tr[data-hook-id="`+form.ID+`"] button[data-testid="open-hook"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#settings-form [data-setting="redirect_url"]`)),
		chromedp.Click(chromedp.ID("debug-toggle")),
	)
	poll("debug on", `(document.querySelector('tr[data-hook-id="`+form.ID+`"] [data-testid="hook-debug"]') || {}).textContent === 'on'`)
	if code := post(formURL, url.Values{"name": {"huge"}}.Encode(), "application/x-www-form-urlencoded",
		map[string]string{"X-Huge": strings.Repeat("h", 20000), "X-Small": xssValues[0]}); code != http.StatusAccepted {
		t.Fatalf("post with a huge header: got %d, want 202", code)
	}
	var entries struct {
		Entries []struct {
			EventID            string `json:"event_id"`
			HeadersDropped     int    `json:"headers_dropped"`
			HeaderBytesDropped int    `json:"header_bytes_dropped"`
		} `json:"entries"`
	}
	// The debug log records after the answer: wait for the entry.
	for deadline = time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		adminGet(t, base+"/admin/hooks/"+form.ID+"/debug-logs", adminToken, &entries)
		if len(entries.Entries) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(entries.Entries) != 1 || entries.Entries[0].HeadersDropped != 1 || entries.Entries[0].HeaderBytesDropped < 20000 {
		t.Fatalf("debug entries through the API: %+v", entries.Entries)
	}
	wantNote := fmt.Sprintf("1 header (%d bytes) dropped over the 16 KiB budget", entries.Entries[0].HeaderBytesDropped)
	do("show the debug entry",
		chromedp.Click(chromedp.ID("debug-refresh")),
		chromedp.WaitVisible(chromedp.CSS(`#debug-entries li[data-testid="debug-entry"] summary`)),
		chromedp.Click(chromedp.CSS(`#debug-entries li[data-testid="debug-entry"] summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#debug-entries [data-testid="headers-dropped"]`)),
	)
	if got := text(`#debug-entries [data-testid="headers-dropped"]`); got != wantNote {
		t.Errorf("debug entry's note: got %q, want %q", got, wantNote)
	}
	if d := text(`#debug-entries li[data-testid="debug-entry"]`); !strings.Contains(d, "X-Small: "+xssValues[0]) || strings.Contains(d, "hhhhhhhh") {
		t.Errorf("debug entry's headers: %s", d)
	}
	noScriptRan("debug entry")
	shot("11-debug-headers-dropped")
	evID := entries.Entries[0].EventID
	do("open the event",
		chromedp.Click(chromedp.CSS(`[data-testid="hook-events-apply"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#hook-events tr[data-event-id="`+evID+`"] button[data-testid="open-event"]`)),
		chromedp.Click(chromedp.CSS(`#hook-events tr[data-event-id="`+evID+`"] button[data-testid="open-event"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#hook-events [data-testid="event-detail"] [data-testid="headers-dropped"]`)),
	)
	if got := text(`#hook-events [data-testid="headers-dropped"]`); got != wantNote {
		t.Errorf("event's note: got %q, want %q", got, wantNote)
	}
	noScriptRan("event with dropped headers")

	// 10. At 400 px wide.
	do("narrow", chromedp.EmulateViewport(400, 900))
	for i, id := range []string{"app", "hook-detail", "settings-form", "hook-events", "debug-entries", "events-section", "keys-section"} {
		eval(`document.getElementById('` + id + `').scrollIntoView()`)
		b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("12-narrow-%d-%s.png", i, id)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eval(`window.scrollTo(0, 0)`)
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= 400`))
	if err != nil || !wide {
		culprits, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 401 && e.offsetParent !== null).slice(0, 8).map((e) => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('; ')`))
		t.Errorf("at 400 px the page scrolls sideways (scrollWidth > 400): %v; widest: %s", err, culprits)
	}
	// Every control in view: nothing to reach by scrolling a table sideways.
	outside, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#app button, #app input, #app select, #app textarea, #app summary')]
		.filter((e) => e.offsetParent !== null && e.type !== 'hidden')
		.filter((e) => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > 400; })
		.slice(0, 8).map((e) => e.tagName + '[' + (e.getAttribute('data-testid') || e.id || e.textContent) + '] ' + Math.round(e.getBoundingClientRect().right)).join('; ')`))
	if err != nil || outside != "" {
		t.Errorf("at 400 px controls lie outside the screen: %v %s", err, outside)
	}
	noScriptRan("narrow")
}

// spfResolver is a DNS where each of its domains publishes an SPF record
// passing 127.0.0.1, and nothing else exists.
type spfResolver []string

func (r spfResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	for _, d := range r {
		if strings.EqualFold(strings.TrimSuffix(name, "."), d) {
			return []string{"v=spf1 ip4:127.0.0.1 -all"}, nil
		}
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (spfResolver) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (spfResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (spfResolver) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}
}

// adminGet reads an admin API resource as JSON into v.
func adminGet(t *testing.T, target, token string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", target, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
