package contactform_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/inbound-hooks/inbound/examples/contactform"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/internal/testenv"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// TestBrowserSubmit fills in and submits the contact form in headless
// Chromium, lands on the thank-you page through the form hook's 303, and
// checks the event the Trigger got. Then it plays a bot that fills the
// honeypot: it lands on the same page, and nothing fires.
func TestBrowserSubmit(t *testing.T) {

	ln, base := testenv.Listen(t)
	ctx0 := context.Background()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	reg, err := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	fired := make(chan *hooks.Event, 4)
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{
		Delivery: hooks.Sync(hooks.TriggerFunc(func(_ context.Context, e *hooks.Event) error {
			fired <- e
			return nil
		}))})
	if err != nil {
		t.Fatal(err)
	}
	forms, err := formhook.New(p, formhook.Options{RateLimit: 10, Burst: 10})
	if err != nil {
		t.Fatal(err)
	}
	hook, err := reg.Create(ctx0, "", hooks.HookSpec{Name: "Contact", Kind: formhook.KindName})
	if err != nil {
		t.Fatal(err)
	}
	page, err := contactform.New(contactform.Options{Action: reg.Address(hook)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Update(ctx0, "", hook.ID, hooks.HookUpdate{Settings: page.Settings(base)}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(formhook.DefaultPrefix, forms)
	mux.Handle(contactform.DefaultPrefix, page)
	testenv.Serve(t, ln, mux)

	attachment := []byte("Meeting notes\nline two\n")
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, attachment, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(attachment)

	ctx := testenv.Browser(t, 90*time.Second)
	do := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	location := func() string {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	thanks := base + contactform.DefaultPrefix + contactform.ThanksPage

	do("fill in and submit the form",
		chromedp.Navigate(base+contactform.DefaultPrefix),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "Ada Lovelace"),
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.com"),
		chromedp.SendKeys(chromedp.ID("message"), "About the analytical engine."),
		chromedp.Click(chromedp.ID("topic-sales")),
		chromedp.Click(chromedp.ID("topic-press")),
		chromedp.SetUploadFiles(chromedp.ID("attachment"), []string{path}),
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.ID("thanks")),
	)
	if got := location(); got != thanks {
		t.Fatalf("landed on %q, want %q", got, thanks)
	}
	var ev *hooks.Event
	select {
	case ev = <-fired:
	case <-time.After(10 * time.Second):
		t.Fatal("the trigger did not fire")
	}
	data, _ := json.Marshal(ev.Data)
	want := `{"email":"ada@example.com","message":"About the analytical engine.","name":"Ada Lovelace","topics":["sales","press"]}`
	if string(data) != want {
		t.Errorf("got data %s, want %s (topics an array, honeypot absent)", data, want)
	}
	if len(ev.Files) != 1 {
		t.Fatalf("got %d files, want 1", len(ev.Files))
	}
	f := ev.Files[0]
	if f.Field != "attachment" || f.Name != "notes.txt" || f.Size != int64(len(attachment)) || f.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("got file %s %q size %d sha256 %s, want attachment notes.txt %d %x", f.Field, f.Name, f.Size, f.SHA256, len(attachment), sum)
	}
	if ev.ContentType != "multipart/form-data" {
		t.Errorf("got content type %q, want %q", ev.ContentType, "multipart/form-data")
	}

	// A bot fills every field, the hidden honeypot too.
	do("fill in the form like a bot",
		chromedp.Navigate(base+contactform.DefaultPrefix),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "Bot"),
		chromedp.SendKeys(chromedp.ID("email"), "bot@spam.example"),
	)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`(() => { document.getElementById('website').value = 'http://spam.example'; return true })()`)); err != nil {
		t.Fatal(err)
	}
	do("submit as a bot",
		chromedp.Click(chromedp.ID("send")),
		chromedp.WaitVisible(chromedp.ID("thanks")),
	)
	if got := location(); got != thanks {
		t.Fatalf("bot landed on %q, want %q", got, thanks)
	}
	select {
	case ev := <-fired:
		t.Fatalf("the honeypot post fired an event: %v", ev.Data)
	case <-time.After(300 * time.Millisecond):
	}
}
