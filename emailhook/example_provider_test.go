package emailhook_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

func ExamplePostmarkHandler() {
	ctx := context.Background()
	reg, err := hooks.NewRegistry(memstore.New(), hooks.RegistryOptions{BaseURL: "https://example.com"})
	if err != nil {
		log.Fatal(err)
	}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(
		func(_ context.Context, e *hooks.Event) error {
			fmt.Println(e.Email.Subject, e.Email.Objects[0]["@type"], e.Email.Objects[0]["orderNumber"])
			fmt.Println(e.Email.Auth.Summary)
			return nil
		}))})
	if err != nil {
		log.Fatal(err)
	}
	h, err := emailhook.NewPostmarkHandler(p, emailhook.PostmarkOptions{
		ProviderOptions: emailhook.ProviderOptions{Domains: []string{"in.example.com"}},
		Credential:      emailhook.Credential{Secret: "s3cret"},
	})
	if err != nil {
		log.Fatal(err)
	}
	hook, err := reg.Create(ctx, "", hooks.HookSpec{Name: "Orders", Kind: emailhook.KindName})
	if err != nil {
		log.Fatal(err)
	}

	// What Postmark posts for mail to SERVERHASH+<token>@inbound.postmarkapp.com.
	body := `{"FromFull":{"Email":"shop@example.net","Name":"Shop"},
 "ToFull":[{"Email":"customer@example.org","Name":""}],
 "OriginalRecipient":"abc123+` + hook.Token + `@inbound.postmarkapp.com","MailboxHash":"` + hook.Token + `",
 "Subject":"Order 1234","Date":"Fri, 27 Nov 2026 08:00:00 +0000",
 "HtmlBody":"<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@type\":\"Order\",\"orderNumber\":\"1234\"}</script>",
 "Headers":[{"Name":"Message-ID","Value":"<o-1234@example.net>"},
  {"Name":"Received-SPF","Value":"Pass (sender SPF authorized) identity=mailfrom; envelope-from=bounce@example.net"}]}`
	r := httptest.NewRequest(http.MethodPost, "/hooks/email/postmark", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.SetBasicAuth("inbound", "s3cret")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	fmt.Println(w.Code)
	// Output:
	// Order 1234 Order 1234
	// postmark; spf=pass smtp.mailfrom=bounce@example.net
	// 200
}
