package hooks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime/multipart"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
)

// formEvent decodes body as the pipeline does and returns its event.
func formEvent(t testing.TB, contentType string, body []byte) *hooks.Event {
	t.Helper()
	d, err := hooks.DecodeBody(contentType, body, hooks.DecodeOptions{})
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return &hooks.Event{ID: "e1", Data: d.Data, ContentType: d.ContentType, Files: d.Files, Raw: body}
}

type address struct {
	City string `form:"city" json:"city"`
	Zip  string `form:"zip" json:"zip"`
}

type item struct {
	SKU string `form:"sku" json:"sku"`
	Qty int    `form:"qty" json:"qty"`
}

type signup struct {
	Name    string            `form:"name" json:"name"`
	Age     int               `form:"age" json:"age"`
	Agree   bool              `form:"agree" json:"agree"`
	Score   float64           `form:"score" json:"score"`
	Born    time.Time         `form:"born" json:"born"`
	Meet    time.Time         `form:"meet" json:"meet"`
	Tags    []string          `form:"tags" json:"tags"`
	Address address           `form:"address" json:"address"`
	Items   []item            `form:"items" json:"items"`
	Nick    *string           `form:"nick" json:"nick"`
	Extra   map[string]string `form:"extra" json:"extra"`
	CV      hooks.File        `form:"cv" json:"-"`
	CVName  string            `form:"cv" json:"-"`
	Docs    []hooks.File      `form:"docs" json:"-"`
	Missing string            `form:"missing" json:"missing"`
}

func multipartBody(t testing.TB, fields [][2]string, files [][3]string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		_ = w.WriteField(f[0], f[1])
	}
	for _, f := range files {
		fw, err := w.CreateFormFile(f[0], f[1])
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write([]byte(f[2]))
	}
	_ = w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

func TestBindForm(t *testing.T) {
	nick := "ada"
	want := signup{
		Name: "Ada", Age: 36, Agree: true, Score: 9.5,
		Born:    time.Date(1815, 12, 10, 0, 0, 0, 0, time.UTC),
		Meet:    time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC),
		Tags:    []string{"math", "engines"},
		Address: address{City: "London", Zip: "W1"},
		Items:   []item{{"A1", 2}, {"B2", 1}},
		Nick:    &nick,
		Extra:   map[string]string{"a": "1", "b": "2"},
	}
	fields := [][2]string{
		{"name", "Ada"}, {"age", "36"}, {"agree", "on"}, {"score", "9.5"}, {"born", "1815-12-10"}, {"meet", "2026-12-01T09:30"},
		{"tags[]", "math"}, {"tags[]", "engines"}, {"address[city]", "London"}, {"address.zip", "W1"},
		{"items[0][sku]", "A1"}, {"items[0][qty]", "2"}, {"items[1].sku", "B2"}, {"items[1].qty", "1"},
		{"nick", "ada"}, {"extra[a]", "1"}, {"extra[b]", "2"},
	}
	t.Run("urlencoded", func(t *testing.T) {
		var parts []string
		for _, f := range fields {
			parts = append(parts, f[0]+"="+f[1])
		}
		e := formEvent(t, "application/x-www-form-urlencoded", []byte(strings.Join(parts, "&")))
		var got signup
		if err := e.Bind(&got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("multipart with files", func(t *testing.T) {
		ct, body := multipartBody(t, fields, [][3]string{{"cv", "cv.txt", "hello"}, {"docs[]", "a.txt", "A"}, {"docs[]", "b.txt", "BB"}})
		e := formEvent(t, ct, body)
		var got signup
		if err := e.Bind(&got); err != nil {
			t.Fatal(err)
		}
		if got.CV.Name != "cv.txt" || string(got.CV.Content) != "hello" || got.CV.Size != 5 || got.CV.SHA256 == "" || got.CVName != "cv.txt" {
			t.Errorf("got cv %+v name %q", got.CV, got.CVName)
		}
		if len(got.Docs) != 2 || got.Docs[0].Name != "a.txt" || string(got.Docs[1].Content) != "BB" {
			t.Errorf("got docs %+v", got.Docs)
		}
		got.CV, got.CVName, got.Docs = hooks.File{}, "", nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
}

func TestBindFormErrors(t *testing.T) {
	tests := []struct {
		body  string
		field string
	}{
		{"age=abc", "age"},
		{"agree=perhaps", "agree"},
		{"born=yesterday", "born"},
		{"items[1][qty]=many", "items[1].qty"},
		{"address[zip]=1&address[city]=x&age=1.5", "age"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			var got signup
			err := formEvent(t, "application/x-www-form-urlencoded", []byte(tt.body)).Bind(&got)
			var be *hooks.BindError
			if !errors.As(err, &be) || be.Field != tt.field {
				t.Fatalf("got %v, want a BindError for %q", err, tt.field)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("message %q does not name %q", err, tt.field)
			}
		})
	}
	// A text field where a File is wanted.
	var f struct {
		CV hooks.File `form:"cv"`
	}
	var be *hooks.BindError
	if err := formEvent(t, "application/x-www-form-urlencoded", []byte("cv=text")).Bind(&f); !errors.As(err, &be) || be.Field != "cv" {
		t.Errorf("got %v, want a BindError for cv", err)
	}
}

func TestBindTarget(t *testing.T) {
	e := formEvent(t, "application/x-www-form-urlencoded", []byte("a=1"))
	var s signup
	for _, v := range []any{nil, s, (*signup)(nil)} {
		if err := e.Bind(v); !errors.Is(err, hooks.ErrBindTarget) {
			t.Errorf("Bind(%T): got %v, want ErrBindTarget", v, err)
		}
	}
}

type push struct {
	Ref        string `json:"ref"`
	Repository struct {
		ID       uint64 `json:"id"`
		FullName string `json:"full_name"`
	} `json:"repository"`
	Commits []struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"commits"`
	Size  int64 `json:"size"`
	Extra any   `json:"extra"`
}

func TestBindJSON(t *testing.T) {
	body := `{"ref":"refs/heads/main","repository":{"id":18446744073709551615,"full_name":"o/r"},` +
		`"commits":[{"id":"c1","message":"fix"}],"size":12345678901234567,"extra":12345678901234567890}`
	d, err := hooks.DecodeBody("application/json", []byte(body), hooks.DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// From the raw body (as the pipeline delivers) and from Data alone (an
	// event a host built) alike.
	var got push
	for _, e := range []*hooks.Event{
		{Data: d.Data, ContentType: d.ContentType, Raw: []byte(body)},
		{Data: d.Data, ContentType: d.ContentType},
	} {
		got = push{}
		if err := e.Bind(&got); err != nil {
			t.Fatal(err)
		}
		if got.Repository.ID != 18446744073709551615 || got.Size != 12345678901234567 || got.Extra != json.Number("12345678901234567890") ||
			got.Ref != "refs/heads/main" || len(got.Commits) != 1 || got.Commits[0].Message != "fix" {
			t.Errorf("raw %v: got %+v", e.Raw != nil, got)
		}
	}
	// A form hook posted JSON binds by the json tags too.
	d, _ = hooks.DecodeBody("application/json", []byte(`{"name":"Ada","tags":["x"],"address":{"city":"Paris"}}`), hooks.DecodeOptions{})
	var s signup
	if err := (&hooks.Event{Data: d.Data, ContentType: d.ContentType}).Bind(&s); err != nil ||
		s.Name != "Ada" || s.Address.City != "Paris" || len(s.Tags) != 1 {
		t.Errorf("got %+v, %v", s, err)
	}
	d, _ = hooks.DecodeBody("application/json", []byte(`{"repository":{"id":"x"}}`), hooks.DecodeOptions{})
	var be *hooks.BindError
	if err := (&hooks.Event{Data: d.Data, ContentType: d.ContentType}).Bind(&got); !errors.As(err, &be) || be.Field != "repository.id" {
		t.Errorf("got %v, want a BindError for repository.id", err)
	}
}

func TestBindEmail(t *testing.T) {
	e := &hooks.Event{ContentType: "message/rfc822",
		Email: &hooks.Email{From: "orders@shop.example", FromName: "Shop", Subject: "Your order", Text: "Thanks",
			Objects: []map[string]any{
				{"@type": "Order", "orderNumber": "1234", "price": "4.50"},
				{"@type": []any{"ParcelDelivery", "Thing"}, "trackingNumber": "Z9"},
				{"@type": "Order", "orderNumber": "second"},
			}},
		Files: []hooks.File{{Field: "attachments", Name: "invoice.pdf", ContentType: "application/pdf", Size: 3, Content: []byte("PDF")}},
	}
	var got struct {
		From    string `json:"from"`
		Name    string `json:"from_name"`
		Subject string `json:"subject"`
		Text    string `json:"text"`
		Order   struct {
			OrderNumber string  `json:"orderNumber"`
			Price       float64 `json:"price,string"`
		} `json:"Order"`
		Parcel struct {
			TrackingNumber string `json:"trackingNumber"`
		} `json:"ParcelDelivery"`
		Objects     []map[string]any `json:"objects"`
		Attachments []hooks.File     `json:"attachments"`
	}
	if err := e.Bind(&got); err != nil {
		t.Fatal(err)
	}
	if got.From != "orders@shop.example" || got.Name != "Shop" || got.Subject != "Your order" || got.Text != "Thanks" ||
		got.Order.OrderNumber != "1234" || got.Parcel.TrackingNumber != "Z9" || len(got.Objects) != 3 {
		t.Errorf("got %+v", got)
	}
	if len(got.Attachments) != 1 || string(got.Attachments[0].Content) != "PDF" {
		t.Errorf("got attachments %+v", got.Attachments)
	}
}

func FuzzBindForm(f *testing.F) {
	f.Add([]byte("name=Ada&age=3&tags[]=a&items[0][sku]=x&address.city=y&born=2020-01-02"))
	f.Add([]byte("a]=1&b[=2&items[x][qty]=1&items[]=3&extra[a][b]=c"))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := hooks.DecodeBody("application/x-www-form-urlencoded", body, hooks.DecodeOptions{})
		if err != nil {
			return
		}
		e := &hooks.Event{Data: d.Data, ContentType: d.ContentType}
		var s signup
		_ = e.Bind(&s)
		var m map[string]any
		_ = e.Bind(&m)
	})
}
