package schema_test

import (
	"encoding/json"
	"fmt"

	"github.com/inbound-hooks/inbound/schema"
)

func ExampleEvent() {
	var s struct {
		Title    string   `json:"title"`
		Required []string `json:"required"`
	}
	if err := json.Unmarshal(schema.Event(), &s); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Title, s.Required)
	// Output: inbound event [id hook_id hook_kind hook_name received_at data]
}
