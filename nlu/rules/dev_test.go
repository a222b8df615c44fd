package rules_test

import (
	"context"
	"io/fs"
	"os"
	"testing"

	"github.com/loopdesk/loopdesk/configs"
	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/nlu/rules"
)

// embedded builds the extractor from the embedded default configuration,
// exactly as `loopdesk serve` does.
func embedded(t testing.TB) *rules.Extractor { return extractorFrom(t, configs.FS) }

// extractorFrom builds the extractor from the nlu directory of fsys.
func extractorFrom(t testing.TB, fsys fs.FS) *rules.Extractor {
	t.Helper()
	cfg, err := rules.ParseConfig(fsys, "nlu")
	if err != nil {
		t.Fatal(err)
	}
	ext, err := rules.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ext
}

func readExamples(t testing.TB, path string) []nlu.Example {
	t.Helper()
	exs, err := nlu.ReadExamplesFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return exs
}

// TestDevAcceptance holds the acceptance figures on the labeled dev set.
func TestDevAcceptance(t *testing.T) {
	ext := embedded(t)
	exs := readExamples(t, "../testdata/dev.jsonl")
	s, err := nlu.Evaluate(context.Background(), ext, exs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dev n=%d intent_accuracy=%.3f intent_macro_f1=%.3f priority_accuracy=%.3f field P/R/F1=%.3f/%.3f/%.3f",
		s.N, s.IntentAccuracy, s.IntentMacroF1, s.PriorityAccuracy, s.FieldPrecision, s.FieldRecall, s.FieldF1)
	if s.IntentAccuracy < 0.85 {
		t.Errorf("intent_accuracy = %.3f, want >= 0.85", s.IntentAccuracy)
	}
	if s.FieldF1 < 0.95 {
		t.Errorf("field_f1 = %.3f, want >= 0.95", s.FieldF1)
	}
	if testing.Verbose() && os.Getenv("NLU_MISSES") != "" {
		logMisses(t, s)
	}
}
