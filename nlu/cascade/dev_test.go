package cascade_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/nlu/cascade"
	"github.com/loopdesk/loopdesk/nlu/llm/llmtest"
	"github.com/loopdesk/loopdesk/redact"
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
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	examples, err := nlu.ReadExamples(f)
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

// goldServer answers each request with the gold label of the dev message
// it carries, writing masked values as their placeholders, the way a
// model that read the message right would.
func goldServer(t *testing.T, examples []nlu.Example) *llmtest.Server {
	type gold struct {
		ex nlu.Example
		ps *redact.Pseudonyms
	}
	byMasked := map[string]gold{}
	for _, ex := range examples {
		masked, ps := redact.Pseudonymize(ex.Text)
		byMasked[strings.TrimSpace(masked)] = gold{ex, ps}
	}
	return llmtest.NewServer(t, func(r llmtest.Request) llmtest.Reply {
		g, ok := byMasked[r.Message()]
		if !ok {
			t.Errorf("request %d carries no dev message: %q", r.N, r.Message())
			return llmtest.Reply{Status: 500}
		}
		fields := map[string]string{}
		for k, v := range g.ex.Fields {
			fields[k] = placeholderOf(v, g.ps)
		}
		return llmtest.Reply{Content: llmtest.Answer(g.ex.Intent, g.ex.Priority, fields, 0.95)}
	})
}

// placeholderOf is the placeholder standing for the gold value v, or v.
func placeholderOf(v string, ps *redact.Pseudonyms) string {
	for _, ph := range ps.Placeholders() {
		orig, _ := ps.Original(ph)
		digits := strings.Map(func(r rune) rune {
			if '0' <= r && r <= '9' {
				return r
			}
			return -1
		}, orig)
		if strings.ToLower(orig) == v || strings.HasSuffix(digits, v) && len(v) == 11 {
			return ph
		}
	}
	return v
}
