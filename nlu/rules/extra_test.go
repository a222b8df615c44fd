package rules_test

import (
	"context"
	"os"
	"testing"

	"github.com/loopdesk/loopdesk/nlu"
)

// TestLabeledSets reports the figures on every labeled file written for
// this package from LABELS.md alone (none taken from dev.jsonl, each checked
// with check_labels.py) and holds the acceptance thresholds on them, so a
// vocabulary or training change that breaks one shows up.
//
// What the figures mean differs: the training files are what the text
// model learns from (their figures are fit, not generalization), and
// blind1–3 were each scored once while unseen, then tuned on and added to
// training. blind4 was scored unseen by the current vocabulary and model
// and is not in training: it is the held-out estimate (see
// nlu/testdata/README.md). Do not tune on it; write a new batch instead.
func TestLabeledSets(t *testing.T) {
	ext := embedded(t)
	for _, path := range []string{
		"../../configs/nlu/training/extra.jsonl",
		"../../configs/nlu/training/train1.jsonl",
		"../../configs/nlu/training/train2.jsonl",
		"../../configs/nlu/training/blind1.jsonl",
		"../../configs/nlu/training/blind2.jsonl",
		"../../configs/nlu/training/blind3.jsonl",
		"../testdata/blind4.jsonl",
	} {
		s, err := nlu.Evaluate(context.Background(), ext, readExamples(t, path))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s n=%d intent_accuracy=%.3f intent_macro_f1=%.3f priority_accuracy=%.3f field P/R/F1=%.3f/%.3f/%.3f",
			path, s.N, s.IntentAccuracy, s.IntentMacroF1, s.PriorityAccuracy, s.FieldPrecision, s.FieldRecall, s.FieldF1)
		if s.IntentAccuracy < 0.85 || s.FieldF1 < 0.95 {
			t.Errorf("%s below the acceptance figures", path)
		}
		if testing.Verbose() && os.Getenv("NLU_MISSES") != "" {
			logMisses(t, s)
		}
	}
}

func logMisses(t *testing.T, s nlu.Score) {
	for _, m := range s.Errors {
		t.Logf("%s gold=%s/%s got=%s/%s %v fields gold=%v got=%v\n    %s", m.Example.ID,
			m.Example.Intent, m.Example.Priority, m.Got.Intent, m.Got.Priority, m.Got.Reasons,
			m.Example.Fields, m.Got.Fields, m.Example.Text)
	}
}
