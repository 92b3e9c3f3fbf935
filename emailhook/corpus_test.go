package emailhook

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/internal/testenv"
)

const corpusDir = "../../shared/corpus/email"

// TestCorpusKItinerary checks Extract against kitinerary's expected output,
// both sides normalized to schema.org compact form.
func TestCorpusKItinerary(t *testing.T) {
	dir := filepath.Join(corpusDir, "kitinerary", "structureddata")
	files, _ := filepath.Glob(filepath.Join(dir, "*.html"))
	if len(files) == 0 {
		testenv.Need(t, "the shared corpus (../shared/corpus) is not present")
	}
	x := testExtractor(t)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".html")
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			res, err := x.Extract(doc)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			wantRaw, err := os.ReadFile(strings.TrimSuffix(f, ".html") + ".json")
			if err != nil {
				t.Fatal(err)
			}
			var wantList []map[string]any
			if err := json.Unmarshal(wantRaw, &wantList); err != nil {
				t.Fatal(err)
			}
			var want []map[string]any
			for _, w := range wantList {
				out, err := x.norm.normalize(w, nil)
				if err != nil {
					t.Fatalf("normalize expected: %v", err)
				}
				want = append(want, out...)
			}
			got := roundTrip(t, res.Objects)
			want2 := roundTrip(t, want)
			if !reflect.DeepEqual(got, want2) {
				t.Errorf("got %s\nwant %s\nwarnings %v", js(got), js(want2), res.Warnings)
			}
		})
	}
}

func roundTrip(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out == nil {
		out = []any{}
	}
	return out
}

func js(v any) string {
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

// TestCorpusAudriga is a smoke test over the audriga examples: the raw
// JSON-LD files (wrapped in a script element) and the microdata HTML
// snippets each yield at least one object without error.
func TestCorpusAudriga(t *testing.T) {
	base := filepath.Join(corpusDir, "audriga-schema-org-examples", "data", "email")
	jsonFiles, _ := filepath.Glob(filepath.Join(base, "json-ld", "*.json"))
	htmlFiles, _ := filepath.Glob(filepath.Join(base, "microdata", "*.html"))
	if len(jsonFiles)+len(htmlFiles) == 0 {
		testenv.Need(t, "the shared corpus (../shared/corpus) is not present")
	}
	x := testExtractor(t)
	for _, f := range append(jsonFiles, htmlFiles...) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(f, ".json") {
				b = []byte(ldScript(string(b)))
			}
			res, err := x.Extract(b)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if len(res.Objects) == 0 {
				t.Fatalf("got no objects (warnings %v), want at least one", res.Warnings)
			}
			for _, o := range res.Objects {
				if o["@context"] != outputContext {
					t.Errorf("got @context %v, want %s (warnings %v)", o["@context"], outputContext, res.Warnings)
				}
			}
		})
	}
}

// TestCorpusSyntheticMessage reads kitinerary's synthetic flight booking.
func TestCorpusSyntheticMessage(t *testing.T) {
	f, err := os.Open(filepath.Join(corpusDir, "kitinerary", "synthetic", "flight-booking.eml"))
	if err != nil {
		testenv.Need(t, "the shared corpus (../shared/corpus) is not present")
	}
	defer f.Close()
	msg, err := ReadMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "Your Flight Booking" || msg.MessageID != "2218054.ElGaqSPkdT@vlocalhost" {
		t.Errorf("got subject %q, id %q; want Your Flight Booking, 2218054.ElGaqSPkdT@vlocalhost", msg.Subject, msg.MessageID)
	}
	if len(msg.From) != 1 || msg.From[0].Address != "noreply@non-existing-airline.com" {
		t.Errorf("got From %v, want noreply@non-existing-airline.com", msg.From)
	}
	if len(msg.Objects) == 0 || msg.Objects[0]["@type"] != "FlightReservation" || msg.Objects[0]["reservationNumber"] != "RXJ34P" {
		t.Errorf("got objects %v, want the FlightReservation RXJ34P", msg.Objects)
	}
	if !strings.Contains(msg.Text, "flight-reservation") {
		t.Errorf("got text %q, want the plain part", msg.Text)
	}
}
