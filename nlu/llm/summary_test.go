package llm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/nlu/llm"
	"github.com/loopdesk/loopdesk/nlu/llm/llmtest"
)

// A summary is asked of the model without the customer's phone number and
// comes back with it restored; a server that fails gives an error (the
// ticket keeps its older summary).
func TestSummarize(t *testing.T) {
	var seen string
	srv := llmtest.NewServer(t, func(r llmtest.Request) llmtest.Reply {
		if r.N > 1 {
			return llmtest.Reply{Status: 500}
		}
		seen = string(r.Raw)
		var phone string
		for _, m := range r.Messages {
			if i := strings.Index(m.Content, "⟦"); i >= 0 {
				phone = m.Content[i : i+strings.Index(m.Content[i:], "⟧")+len("⟧")]
			}
		}
		return llmtest.Reply{Content: "客户要求退款，留了电话 " + phone + "，客服已办理。"}
	})
	model := newExtractor(t, srv, func(c *llm.Config) { c.Retries = -1 })
	lines := []string{"客户: 我要退款，电话 13800138000", "客服: 已为您办理"}
	got, err := model.Summarize(context.Background(), nlu.LangZH, lines)
	if err != nil || got != "客户要求退款，留了电话 13800138000，客服已办理。" {
		t.Fatalf("summary %q, %v", got, err)
	}
	if strings.Contains(seen, "13800138000") || !strings.Contains(seen, "已为您办理") {
		t.Errorf("the request: %s", seen)
	}
	if _, err := model.Summarize(context.Background(), nlu.LangZH, lines); err == nil {
		t.Error("a 500 gave a summary")
	}
	if _, err := model.Summarize(context.Background(), nlu.LangZH, nil); err == nil {
		t.Error("an empty conversation was summarized")
	}
}

// Summaries failing never open extraction's breaker: messages still reach
// the model while summaries are refused.
func TestSummariesHaveTheirOwnBreaker(t *testing.T) {
	srv := llmtest.NewServer(t, func(r llmtest.Request) llmtest.Reply {
		if r.Schema() == nil { // a summary
			return llmtest.Reply{Status: 500}
		}
		return llmtest.Reply{Content: llmtest.Answer("logistics", "normal", nil, 0.9)}
	})
	model := newExtractor(t, srv, func(c *llm.Config) {
		c.Retries = -1
		c.Breaker = llm.BreakerConfig{Failures: 2, Cooldown: time.Hour}
	})
	lines := []string{"客户: 快递到哪了", "客服: 在路上"}
	for range 3 {
		if _, err := model.Summarize(context.Background(), nlu.LangZH, lines); err == nil {
			t.Fatal("a 500 gave a summary")
		}
	}
	if calls := srv.Calls(); calls != 2 {
		t.Errorf("%d summary calls, want 2 before the summaries' breaker opens", calls)
	}
	if got, err := extract(t, model, "我的快递到哪了"); err != nil || got.Intent != "logistics" {
		t.Errorf("an extraction after failed summaries: %+v, %v", got, err)
	}
}
