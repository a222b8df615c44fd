package cascade_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/nlu/cascade"
)

// stub is an extractor that answers with a function and counts its calls.
type stub struct {
	calls atomic.Int64
	fn    func(nlu.Request) (nlu.Extraction, error)
}

func (s *stub) Extract(_ context.Context, req nlu.Request) (nlu.Extraction, error) {
	s.calls.Add(1)
	return s.fn(req)
}

func fixed(ex nlu.Extraction, err error) *stub {
	return &stub{fn: func(nlu.Request) (nlu.Extraction, error) { return ex, err }}
}

func reading(extractor, intent, priority string, conf float64, fields map[string]string) nlu.Extraction {
	src := map[string]nlu.FieldSource{}
	for k := range fields {
		src[k] = nlu.FieldSource{Extractor: extractor, Confidence: conf}
	}
	return nlu.Extraction{Intent: intent, Priority: priority, Fields: fields, FieldSources: src,
		Confidence: conf, Extractor: extractor, Lang: nlu.LangZH}
}

func newCascade(t *testing.T, cfg cascade.Config) *cascade.Extractor {
	t.Helper()
	c, err := cascade.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func run(t *testing.T, c nlu.Extractor, text string) nlu.Extraction {
	t.Helper()
	ex, err := c.Extract(context.Background(), nlu.Request{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// The LLM is asked only when the rules are unsure or a required field is
// missing; otherwise the rules' reading is returned as it is.
func TestWhenTheLLMIsAsked(t *testing.T) {
	model := reading("llm", "refund", "normal", 0.9, map[string]string{"order_id": "2026112500012345"})
	for _, c := range []struct {
		name  string
		rules nlu.Extraction
		ask   bool
	}{
		{"sure", reading("rules", "logistics", "normal", 0.8, nil), false},
		{"unsure", reading("rules", "other", "low", 0.3, nil), true},
		{"required field missing", reading("rules", "refund", "normal", 0.9, nil), true},
		{"required field present", reading("rules", "refund", "normal", 0.9, map[string]string{"order_id": "1"}), false},
	} {
		llm := fixed(model, nil)
		cas := newCascade(t, cascade.Config{Rules: fixed(c.rules, nil), LLM: llm,
			Required: map[string][]string{"refund": {"order_id"}}})
		got := run(t, cas, c.name)
		if asked := llm.calls.Load() == 1; asked != c.ask {
			t.Errorf("%s: LLM asked = %v, want %v", c.name, asked, c.ask)
		}
		if !c.ask && got.Extractor != "rules" {
			t.Errorf("%s: %+v", c.name, got)
		}
	}
}

// Rules fields stay, the model fills the missing ones, each with its
// source; the model's intent is taken only when the rules were unsure.
func TestMerge(t *testing.T) {
	rules := reading("rules", "refund", "normal", 0.9, map[string]string{"order_id": "2026112500012345"})
	model := reading("llm", "return", "normal", 0.8, map[string]string{"order_id": "999999999999", "amount": "268.00"})
	cas := newCascade(t, cascade.Config{Rules: fixed(rules, nil), LLM: fixed(model, nil),
		Required: map[string][]string{"refund": {"amount"}}})
	got := run(t, cas, "x")
	if got.Intent != "refund" || got.Extractor != "rules" || got.Confidence != 0.9 {
		t.Errorf("sure rules lost their intent: %+v", got)
	}
	if got.Fields["order_id"] != "2026112500012345" || got.Fields["amount"] != "268.00" {
		t.Errorf("fields %v", got.Fields)
	}
	if got.FieldSources["order_id"].Extractor != "rules" || got.FieldSources["amount"].Extractor != "llm" {
		t.Errorf("sources %v", got.FieldSources)
	}

	rules.Confidence = 0.2
	cas = newCascade(t, cascade.Config{Rules: fixed(rules, nil), LLM: fixed(model, nil)})
	if got := run(t, cas, "x"); got.Intent != "return" || got.Extractor != "llm" || got.Confidence != 0.8 {
		t.Errorf("unsure rules kept their intent: %+v", got)
	}
}

// The model moves a priority only between normal and low, and only with
// its own intent; urgent and high come from the rules alone.
func TestPriorityPolicy(t *testing.T) {
	for _, c := range []struct {
		rules, model string
		rulesConf    float64
		want         string
	}{
		{"normal", "urgent", 0.3, "normal"}, // never raised to urgent
		{"low", "high", 0.3, "low"},         // nor to high
		{"urgent", "normal", 0.3, "urgent"}, // a hazard the rules saw stays
		{"high", "low", 0.3, "high"},
		{"low", "normal", 0.3, "normal"}, // other → refund: L1 no longer applies
		{"normal", "low", 0.3, "low"},    // refund → feedback
		{"normal", "low", 0.9, "normal"}, // the rules' intent stood, so does its priority
	} {
		cas := newCascade(t, cascade.Config{
			Rules: fixed(reading("rules", "other", c.rules, c.rulesConf, nil), nil),
			LLM:   fixed(reading("llm", "refund", c.model, 0.9, nil), nil), Always: c.rulesConf < 0.5})
		if got := run(t, cas, "x"); got.Priority != c.want {
			t.Errorf("rules %s (confidence %.1f), model %s: got %s, want %s", c.rules, c.rulesConf, c.model, got.Priority, c.want)
		}
	}
}

// An LLM failure returns the rules' reading with the reason; it is never
// an error while the rules work.
func TestFallback(t *testing.T) {
	rules := reading("rules", "other", "low", 0.2, map[string]string{"phone": "13800138000"})
	for _, c := range []struct {
		err    error
		reason string
	}{
		{&nlu.ExtractError{Reason: nlu.FallbackBreakerOpen, Err: nlu.ErrUnavailable}, nlu.FallbackBreakerOpen},
		{context.DeadlineExceeded, nlu.FallbackTimeout},
		{errors.New("boom"), nlu.FallbackError},
	} {
		cas := newCascade(t, cascade.Config{Rules: fixed(rules, nil), LLM: fixed(nlu.Extraction{}, c.err)})
		got := run(t, cas, "x")
		if got.Fallback != c.reason || got.Intent != "other" || got.Fields["phone"] != "13800138000" || got.Extractor != "rules" {
			t.Errorf("%v: %+v", c.err, got)
		}
		if s := cas.Stats(); s.Fallbacks != 1 || s.Consulted != 1 {
			t.Errorf("stats %+v", s)
		}
	}
	// Both failing is the one error.
	cas := newCascade(t, cascade.Config{Rules: fixed(nlu.Extraction{}, errors.New("rules broke")),
		LLM: fixed(nlu.Extraction{}, errors.New("llm broke"))})
	if _, err := cas.Extract(context.Background(), nlu.Request{Text: "x"}); err == nil {
		t.Error("both failed, no error")
	}
	// Rules failing alone leaves the model's reading, its urgent capped.
	cas = newCascade(t, cascade.Config{Rules: fixed(nlu.Extraction{}, errors.New("rules broke")),
		LLM: fixed(reading("llm", "refund", "urgent", 0.9, nil), nil)})
	if got := run(t, cas, "x"); got.Intent != "refund" || got.Priority != "normal" {
		t.Errorf("rules failed: %+v", got)
	}
}

// Repeated texts are answered from the cache, normalized (width, case,
// spaces); failures are not cached; the cache is bounded.
func TestCache(t *testing.T) {
	rules := fixed(reading("rules", "other", "low", 0.2, nil), nil)
	var fail atomic.Bool
	llm := &stub{fn: func(r nlu.Request) (nlu.Extraction, error) {
		if fail.Load() {
			return nlu.Extraction{}, errors.New("down")
		}
		return reading("llm", "logistics", "normal", 0.9, map[string]string{"order_id": "X"}), nil
	}}
	cas := newCascade(t, cascade.Config{Rules: rules, LLM: llm, CacheSize: 2})
	for _, text := range []string{"Where is ORDER 1?", "where  is order　１?", "where is order 1?"} {
		got := run(t, cas, text)
		got.Fields["order_id"] = "mutated" // a caller's change must not reach the cache
	}
	if n := llm.calls.Load(); n != 1 {
		t.Errorf("%d calls for one normalized text", n)
	}
	if got := run(t, cas, "Where is ORDER 1?"); got.Fields["order_id"] != "X" {
		t.Errorf("cached reading changed: %v", got.Fields)
	}
	run(t, cas, "b")
	run(t, cas, "c") // evicts "where is order 1?"
	run(t, cas, "where is order 1?")
	if n := llm.calls.Load(); n != 4 {
		t.Errorf("%d calls, want 4 after eviction", n)
	}
	fail.Store(true)
	run(t, cas, "d")
	fail.Store(false)
	if got := run(t, cas, "d"); got.Fallback != "" || llm.calls.Load() != 6 {
		t.Errorf("a failure was cached: %+v", got)
	}
	if s := cas.Stats(); s.CacheHits != 3 || s.Messages != 9 {
		t.Errorf("stats %+v", s)
	}
}

func TestNames(t *testing.T) {
	r, l := fixed(nlu.Extraction{}, nil), fixed(nlu.Extraction{}, nil)
	if c := newCascade(t, cascade.Config{Rules: r, LLM: l}); c.Name() != "cascade" {
		t.Errorf("name %s", c.Name())
	}
	if c := newCascade(t, cascade.Config{Rules: r, LLM: l, Always: true}); c.Name() != "llm" {
		t.Errorf("name %s", c.Name())
	}
	if _, err := cascade.New(cascade.Config{Rules: r}); err == nil {
		t.Error("no LLM accepted")
	}
}
