package prompts

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// sample is a fixed input for the golden files: two intents, the
// priorities, two fields, one example.
var sample = Extract{
	Intents: []Choice{{"refund", "wants money back; no goods go back"},
		{"logistics", "asks about the delivery of an order"}},
	Priorities: []Choice{{"urgent", "outage or safety hazard"}, {"high", ""}, {"normal", "the default"}, {"low", ""}},
	Fields:     []Choice{{"order_id", "order number"}, {"phone", "mobile number"}},
	Examples: []Example{{Text: "快递三天没动了，电话 ⟦PHONE_1⟧",
		Answer: `{"intent":"logistics","priority":"normal","fields":{"order_id":null,"phone":"⟦PHONE_1⟧"},"confidence":1}`}},
	Text: "订单 2026112500012345 不要了，帮我退款",
}

func TestGolden(t *testing.T) {
	withSchema := sample
	withSchema.Schema = `{"type":"object"}`
	for _, c := range []struct {
		golden, name string
		data         any
	}{
		{"extract.v1.golden", "extract.v1", sample},
		{"extract.v1.schema.golden", "extract.v1", withSchema},
		{"repair.v1.golden", "repair.v1", Repair{Problem: "unexpected end of JSON input"}},
		{"repair.v1.schema.golden", "repair.v1", Repair{Problem: "invalid character 'x'", Schema: `{"type":"object"}`}},
	} {
		p, err := Render(c.name, c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.golden, err)
		}
		got := "=== system\n" + p.System + "\n=== user\n" + p.User + "\n"
		path := filepath.Join("testdata", c.golden)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./prompts -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs from the rendered prompt (go test ./prompts -update rewrites it):\n%s", path, got)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	if _, err := Render("extract.v0", sample); err == nil || !strings.Contains(err.Error(), "extract.v1") {
		t.Errorf("unknown prompt: %v", err)
	}
	// A field the template names but the data lacks is an error, not "<no value>".
	if _, err := Render("repair.v1", struct{ Problem string }{"x"}); err == nil {
		t.Error("rendering with the wrong data succeeded")
	}
	if names := Names(); len(names) < 2 || names[0] != "extract.v1" {
		t.Errorf("Names() = %v", names)
	}
}
