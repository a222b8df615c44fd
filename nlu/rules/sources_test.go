package rules_test

import (
	"context"
	"testing"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/nlu/rules"
)

// Every field the rules return names the rules as its source, so a ticket
// can show who read each value.
func TestFieldSources(t *testing.T) {
	got, err := embedded(t).Extract(context.Background(),
		nlu.Request{Text: "订单号 2026112500012345 还没发货，电话 13800138000"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Fields) != 2 || len(got.FieldSources) != len(got.Fields) {
		t.Fatalf("fields %v, sources %v", got.Fields, got.FieldSources)
	}
	for k := range got.Fields {
		src := got.FieldSources[k]
		if src.Extractor != rules.Name || src.Confidence != rules.FieldConfidence {
			t.Errorf("source of %s = %+v", k, src)
		}
	}
	if got.Fallback != "" {
		t.Errorf("fallback %q on a rules result", got.Fallback)
	}
}
