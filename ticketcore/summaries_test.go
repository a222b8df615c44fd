package ticketcore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// fakeSummarizer summarizes as "N lines, last: …", or fails while broken.
type fakeSummarizer struct {
	mu     sync.Mutex
	calls  [][]string
	broken bool
}

func (f *fakeSummarizer) Summarize(_ context.Context, lang string, lines []string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, lines)
	if f.broken {
		return "", errors.New("the LLM is down")
	}
	return fmt.Sprintf("%d lines (%s), last: %s", len(lines), lang, lines[len(lines)-1]), nil
}

func (f *fakeSummarizer) called() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// A ticket gets its summary once its conversation is long enough, made
// again with each new message; the acknowledgement is not part of it, a
// note and an agent's reply are. A failing summarizer leaves the ticket
// as it is.
func TestSummaries(t *testing.T) {
	sum := &fakeSummarizer{}
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, func(c *ticketcore.Config) {
		c.Summaries = ticketcore.SummaryConfig{Summarizer: sum, MinMessages: 3}
	})
	ctx := context.Background()
	h.send("m1", "u1", "我要退款")
	h.settled("T-000001")
	h.send("m2", "u1", "订单号 2026112500012345")
	h.eventually("the second message filed", func() bool { return h.ticket("T-000001").Waiting == 2 })
	if tk := h.ticket("T-000001"); tk.Summary != nil {
		t.Errorf("a summary of a short conversation: %+v", tk.Summary)
	}
	if _, err := h.svc.Note(ctx, "T-000001", "li", "老客户"); err != nil {
		t.Fatal(err)
	}
	h.eventually("the summary", func() bool { return h.ticket("T-000001").Summary != nil })
	if s := h.ticket("T-000001").Summary; s.Messages != 3 || s.Text != "3 lines (zh), last: 备注: 老客户" {
		t.Errorf("summary %+v", s)
	}
	if _, err := h.svc.Reply(ctx, "T-000001", "li", "已为您办理"); err != nil {
		t.Fatal(err)
	}
	h.eventually("the summary made again", func() bool { return h.ticket("T-000001").Summary.Messages == 4 })
	if s := h.ticket("T-000001").Summary; !strings.HasSuffix(s.Text, "客服: 已为您办理") {
		t.Errorf("summary %+v", s)
	}
	sum.mu.Lock()
	sum.broken = true
	sum.mu.Unlock()
	before := sum.called()
	h.send("m3", "u1", "好的谢谢")
	h.eventually("the summarizer asked", func() bool { return sum.called() > before })
	if tk := h.ticket("T-000001"); tk.Summary.Messages != 4 || tk.Waiting != 1 {
		t.Errorf("after a failed summary: summary %+v, waiting %d", tk.Summary, tk.Waiting)
	}
}
