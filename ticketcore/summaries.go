package ticketcore

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"
)

// Summaries. With a summarizer (an LLM) configured, a ticket whose
// conversation has grown long gets a short summary for agents, made
// again when new messages arrive. It is made outside any transaction,
// after the messages are filed, and never holds up filing: a summary
// that fails is simply older until the next message.

// Summarizer writes a short summary of a conversation for agents. lines
// are the conversation, oldest first, each "客户: …" (the customer),
// "客服: …" (an agent's reply) or "备注: …" (an internal note); lang is
// the customer's language. An LLM extractor implements it.
type Summarizer interface {
	Summarize(ctx context.Context, lang string, lines []string) (string, error)
}

// SummaryConfig turns summaries on.
type SummaryConfig struct {
	// Summarizer writes them; nil turns summaries off (the default).
	Summarizer Summarizer
	// MinMessages is how many messages, replies and notes a ticket has
	// before it gets a summary. Defaults to 6.
	MinMessages int
	// Timeout bounds one summary. Defaults to 30s.
	Timeout time.Duration
}

// Summary is a ticket's summary for agents.
type Summary struct {
	Text string    `json:"text"`
	At   time.Time `json:"at"`
	// Messages is how many messages, replies and notes it covers.
	Messages int `json:"messages"`
}

// summaryLines is the most recent conversation a summary reads, and
// lineRunes the most of each line: a summary needs the gist, and a long
// thread must not make a request without bound.
const (
	summaryLines = 60
	lineRunes    = 400
	summaryQueue = 256
)

// summarize asks for the ticket's summary to be made again, without
// blocking the caller; when the queue is full the next message asks again.
func (s *Service) summarize(ticketID string) {
	if s.cfg.Summaries.Summarizer == nil || ticketID == "" {
		return
	}
	select {
	case s.summaries <- ticketID:
	default:
	}
}

// runSummaries makes the summaries asked for, one at a time, until ctx is done.
func (s *Service) runSummaries(ctx context.Context) {
	if s.cfg.Summaries.Summarizer == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-s.summaries:
			if err := s.makeSummary(ctx, id); err != nil && ctx.Err() == nil {
				s.log.Warn("summarize a ticket; it is tried again on its next message", "ticket", id, "err", err)
			}
		}
	}
}

// makeSummary summarizes the ticket when it is long enough and has new
// messages since its summary.
func (s *Service) makeSummary(ctx context.Context, id string) error {
	t, err := s.Ticket(ctx, id)
	if err != nil {
		return err
	}
	lines := conversationLines(t.Timeline)
	if len(lines) < s.cfg.Summaries.MinMessages || (t.Summary != nil && t.Summary.Messages >= len(lines)) {
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.Summaries.Timeout)
	defer cancel()
	text, err := s.cfg.Summaries.Summarizer.Summarize(sctx, t.Lang, lines[max(0, len(lines)-summaryLines):])
	if err != nil {
		return fmt.Errorf("summarize %s: %w", id, err)
	}
	sum := &Summary{Text: text, At: s.cfg.Now(), Messages: len(lines)}
	return s.store.Update(ctx, func(tx Tx) error {
		t, err := tx.Ticket(id)
		if err != nil || (t.Summary != nil && t.Summary.Messages >= sum.Messages) {
			return err // a newer summary won the race
		}
		t.Summary = sum
		return tx.UpdateTicket(t)
	})
}

// conversationLines are the messages, replies and notes of a timeline as
// a summarizer reads them.
func conversationLines(timeline []Entry) []string {
	var out []string
	for _, e := range timeline {
		var who string
		switch {
		case e.Type == EntryMessage:
			who = "客户"
		case e.Type == EntryReply && e.By != BySystem:
			who = "客服"
		case e.Type == EntryNote:
			who = "备注"
		default:
			continue
		}
		text := e.Text
		if utf8.RuneCountInString(text) > lineRunes {
			text = string([]rune(text)[:lineRunes]) + "…"
		}
		out = append(out, who+": "+text)
	}
	return out
}
