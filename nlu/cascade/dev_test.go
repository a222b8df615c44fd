package cascade_test

import (
	"context"
	"testing"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/nlu/cascade"
	"github.com/loopdesk/loopdesk/nlu/llm/llmtest"
)

// Acceptance 2: the cascade on the dev set, with a scripted server that
// answers the gold labels for whatever it is asked, scores at least the
// rules-only figures, and is asked about fewer than half of the messages.
// The held-out blind4 set shows the same on messages the rules were not
// tuned on.
func TestDevCascade(t *testing.T) {
	for _, file := range []string{"dev.jsonl", "blind4.jsonl"} {
		t.Run(file, func(t *testing.T) { testCascadeOn(t, "../testdata/"+file) })
	}
}

func testCascadeOn(t *testing.T, path string) {
	examples, err := nlu.ReadExamplesFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := goldServer(t, examples)
	model := newLLM(t, srv, nil)
	cas, err := cascade.New(cascade.Config{Rules: embeddedRules(t), LLM: model,
		Required: map[string][]string{nlu.IntentRefund: {nlu.FieldOrderID}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	base, err := nlu.Evaluate(ctx, embeddedRules(t), examples)
	if err != nil {
		t.Fatal(err)
	}
	got, err := nlu.Evaluate(ctx, cas, examples)
	if err != nil {
		t.Fatal(err)
	}
	st, use := cas.Stats(), model.Usage()
	t.Logf("rules   n=%d intent_accuracy=%.3f macro_f1=%.3f priority_accuracy=%.3f field P/R/F1=%.3f/%.3f/%.3f",
		base.N, base.IntentAccuracy, base.IntentMacroF1, base.PriorityAccuracy, base.FieldPrecision, base.FieldRecall, base.FieldF1)
	t.Logf("cascade n=%d intent_accuracy=%.3f macro_f1=%.3f priority_accuracy=%.3f field P/R/F1=%.3f/%.3f/%.3f",
		got.N, got.IntentAccuracy, got.IntentMacroF1, got.PriorityAccuracy, got.FieldPrecision, got.FieldRecall, got.FieldF1)
	t.Logf("LLM asked for %d of %d messages (%.1f%%), %d calls, %.0f prompt and %.0f completion tokens per message",
		st.Consulted, st.Messages, 100*float64(st.Consulted)/float64(st.Messages), use.Calls,
		float64(use.PromptTokens)/float64(got.N), float64(use.CompletionTokens)/float64(got.N))
	if got.IntentAccuracy < base.IntentAccuracy || got.FieldF1 < base.FieldF1 {
		t.Errorf("cascade below the rules: intent %.3f < %.3f or field F1 %.3f < %.3f",
			got.IntentAccuracy, base.IntentAccuracy, got.FieldF1, base.FieldF1)
	}
	if 2*st.Consulted >= st.Messages || 2*srv.Calls() >= len(examples) {
		t.Errorf("LLM asked for %d of %d messages (%d calls), want fewer than half", st.Consulted, st.Messages, srv.Calls())
	}
	if st.Fallbacks != 0 {
		t.Errorf("%d fallbacks against a server that always answers", st.Fallbacks)
	}
}

// goldServer answers each request with the gold label of the message it
// carries.
func goldServer(t *testing.T, examples []nlu.Example) *llmtest.Server {
	gold := llmtest.Gold(examples)
	return llmtest.NewServer(t, func(r llmtest.Request) llmtest.Reply {
		a, ok := gold(r)
		if !ok {
			t.Errorf("request %d carries no labeled message: %q", r.N, r.Message())
			return llmtest.Reply{Status: 500}
		}
		return llmtest.Reply{Content: a}
	})
}
