package hooks_test

import (
	"context"
	"fmt"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
)

// A Trigger binds a form post into the host's own struct: `form` tags,
// tags[] into a slice, an int, a date and a nested struct.
func ExampleEvent_Bind() {
	type Contact struct {
		Name    string    `form:"name"`
		Age     int       `form:"age"`
		Tags    []string  `form:"tags"`
		Visit   time.Time `form:"visit"`
		Address struct {
			City string `form:"city"`
		} `form:"address"`
	}
	trigger := hooks.TriggerFunc(func(ctx context.Context, e *hooks.Event) error {
		var c Contact
		if err := e.Bind(&c); err != nil {
			return err // in sync mode the sender sees 503; return a *hooks.Error to choose
		}
		fmt.Printf("%s (%d) %v %s %s\n", c.Name, c.Age, c.Tags, c.Visit.Format("Jan 2"), c.Address.City)
		return nil
	})

	// What formhook's pipeline makes of a urlencoded post.
	body := []byte("name=Ada&age=36&tags[]=math&tags[]=engines&visit=2026-12-24&address[city]=London")
	d, _ := hooks.DecodeBody("application/x-www-form-urlencoded", body, hooks.DecodeOptions{})
	_ = trigger.Fire(context.Background(), &hooks.Event{Data: d.Data, ContentType: d.ContentType})

	// A value that does not fit names its field.
	d, _ = hooks.DecodeBody("application/x-www-form-urlencoded", []byte("name=Bob&age=old"), hooks.DecodeOptions{})
	var c Contact
	err := (&hooks.Event{Data: d.Data, ContentType: d.ContentType}).Bind(&c)
	fmt.Println(err)
	// Output:
	// Ada (36) [math engines] Dec 24 London
	// hooks: bind age: Invalid Integer Value 'old' Type 'int' Namespace 'age'
}

// A GitHub-style JSON webhook binds with encoding/json; large numbers keep
// every digit.
func ExampleEvent_Bind_webhook() {
	body := []byte(`{"ref":"refs/heads/main","repository":{"id":9007199254740993,"full_name":"octo/hello"},"commits":[{"id":"c0ffee","message":"Fix it"}]}`)
	d, _ := hooks.DecodeBody("application/json", body, hooks.DecodeOptions{})
	e := &hooks.Event{Data: d.Data, ContentType: d.ContentType}

	var push struct {
		Ref        string `json:"ref"`
		Repository struct {
			ID       int64  `json:"id"`
			FullName string `json:"full_name"`
		} `json:"repository"`
		Commits []struct {
			ID      string `json:"id"`
			Message string `json:"message"`
		} `json:"commits"`
	}
	if err := e.Bind(&push); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(push.Ref, push.Repository.ID, push.Repository.FullName, push.Commits[0].Message)
	// Output: refs/heads/main 9007199254740993 octo/hello Fix it
}

// An email binds from its message fields; each schema.org type of its
// objects names the first object of that type, and "attachments" holds its
// files.
func ExampleEvent_Bind_email() {
	e := &hooks.Event{ContentType: "message/rfc822",
		Email: &hooks.Email{From: "orders@shop.example", FromName: "Tea Shop", Subject: "Your order 1234",
			Objects: []map[string]any{{"@context": "https://schema.org", "@type": "Order", "orderNumber": "1234",
				"acceptedOffer": map[string]any{"@type": "Offer", "price": "4.50", "priceCurrency": "EUR"}}}},
		Files: []hooks.File{{Field: "attachments", Name: "invoice.pdf", ContentType: "application/pdf", Size: 8, Content: []byte("%PDF-1.4")}},
	}
	var mail struct {
		FromName string `json:"from_name"`
		Subject  string `json:"subject"`
		Order    struct {
			OrderNumber string `json:"orderNumber"`
			Offer       struct {
				Price    string `json:"price"`
				Currency string `json:"priceCurrency"`
			} `json:"acceptedOffer"`
		} `json:"Order"`
		Attachments []hooks.File `json:"attachments"`
	}
	if err := e.Bind(&mail); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(mail.FromName, "|", mail.Subject, "|", mail.Order.OrderNumber, mail.Order.Offer.Price, mail.Order.Offer.Currency)
	fmt.Println(mail.Attachments[0].Name, string(mail.Attachments[0].Content))
	// Output:
	// Tea Shop | Your order 1234 | 1234 4.50 EUR
	// invoice.pdf %PDF-1.4
}
