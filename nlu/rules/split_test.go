package rules_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/loopdesk/loopdesk/nlu"
)

// TestDevHalves reports the figures on the odd- and even-numbered halves of
// dev.jsonl separately. The vocabulary was written from LABELS.md while
// reading only the odd half; the even half estimates how the figures hold on
// unseen messages. It asserts nothing beyond the acceptance test.
func TestDevHalves(t *testing.T) {
	ext := embedded(t)
	var halves [2][]nlu.Example
	for _, ex := range readExamples(t, "../testdata/dev.jsonl") {
		n, err := strconv.Atoi(ex.ID[len(ex.ID)-4:])
		if err != nil {
			t.Fatal(err)
		}
		halves[n%2] = append(halves[n%2], ex)
	}
	for i, name := range []string{"even (held out)", "odd (read while tuning)"} {
		s, err := nlu.Evaluate(context.Background(), ext, halves[i])
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s n=%d intent_accuracy=%.3f intent_macro_f1=%.3f priority_accuracy=%.3f field_f1=%.3f",
			name, s.N, s.IntentAccuracy, s.IntentMacroF1, s.PriorityAccuracy, s.FieldF1)
	}
}
