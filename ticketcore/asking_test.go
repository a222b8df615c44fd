package ticketcore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// questions are the bot's questions sent on a thread.
func questions(ch *fakeChannel, thread string) []string {
	var out []string
	for _, o := range ch.attempts() {
		if o.Thread == thread && o.Kind == ticketcore.KindAsk {
			out = append(out, o.Text)
		}
	}
	return out
}

// sendFiled sends text from a customer and waits until it is filed.
func (d *desk) sendFiled(external, thread, text string) {
	d.t.Helper()
	r, err := d.svc.HandleMessage(context.Background(), channels.Message{Channel: channels.API,
		ExternalID: external, Thread: thread, From: channels.Party{ID: thread, Name: "客户"}, Text: text})
	if err != nil {
		d.t.Fatal(err)
	}
	d.eventually("message "+external+" filed", func() bool {
		var queued bool
		err := d.store.View(context.Background(), func(tx ticketcore.ReadTx) error {
			var err error
			queued, err = tx.InInbox(r.MessageID)
			return err
		})
		return err == nil && !queued
	})
}

// asked sends text, lets the customer pause past the grace period, and
// waits for the bot's n-th question on the thread.
func (d *desk) asked(external, thread, text string, n int) {
	d.t.Helper()
	d.sendFiled(external, thread, text)
	d.clock.Advance(grace)
	d.eventually(fmt.Sprintf("question %d on %s", n, thread[:min(len(thread), 8)]), func() bool { return len(questions(d.ch, thread)) == n })
}

// grace is the embedded desk's pause before the bot asks.
const grace = 3 * time.Second

// A refund without its order number gets the question first; the answer
// completes the ticket, which opens with both messages and the question
// on its timeline.
func TestAskingForAMissingField(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	d.asked("e1", "u1", "refund: 不想要了，退款吧", 1)
	if q := questions(d.ch, "u1")[0]; !strings.Contains(q, "订单号") || !strings.Contains(q, "人工") {
		t.Errorf("the question: %q", q)
	}
	d.noTicket("T-000001")

	d.sendFrom("e2", "u1", "", "other: order 2026040312345678") // the scripted extractor reads this order id
	tk := d.settled("T-000001")
	if tk.Intent != "refund" || tk.Fields["order_id"] != "2026040312345678" || len(tk.Missing) != 0 || tk.Waiting != 2 ||
		tk.Subject != "refund: 不想要了，退款吧" || tk.Reading == nil || tk.Reading.Extractor != "scripted" {
		t.Errorf("the ticket: %+v", tk)
	}
	var kinds []string
	for _, e := range tk.Timeline {
		if e.Type == ticketcore.EntryMessage || e.Event == "asked" {
			kinds = append(kinds, e.Type+":"+e.By)
		}
	}
	if want := []string{"message:customer", "event:bot", "message:customer"}; !slices.Equal(kinds, want) {
		t.Errorf("timeline %v, want %v", kinds, want)
	}
	d.eventually("the acknowledgement", func() bool {
		return slices.ContainsFunc(d.ch.attempts(), func(o channels.Outbound) bool { return o.Kind == ticketcore.KindAck && o.TicketID == "T-000001" })
	})
	if n := len(questions(d.ch, "u1")); n != 1 {
		t.Errorf("%d questions, want 1", n)
	}
}

// A customer who asks for a person gets one at once: the ticket opens
// with the field marked missing.
func TestAskingHandsOverToAPerson(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	d.asked("e1", "u1", "refund: 退款", 1)
	d.sendFrom("e2", "u1", "", "other: 转人工")
	tk := d.settled("T-000001")
	if !slices.Equal(tk.Missing, []string{"order_id"}) || tk.Intent != "refund" {
		t.Errorf("the ticket: missing %v, intent %s", tk.Missing, tk.Intent)
	}
	if !slices.ContainsFunc(tk.Timeline, func(e ticketcore.Entry) bool { return strings.Contains(e.Reason, "asked for a person") }) {
		t.Error("the timeline does not say why the ticket opened without its order number")
	}
	// Asking for a person in the first message: no question at all.
	d.sendFrom("e3", "u2", "", "refund: 退款，我要人工客服")
	d.settled("T-000002")
	if q := questions(d.ch, "u2"); len(q) != 0 {
		t.Errorf("questions to a customer who asked for a person: %q", q)
	}
}

// A customer who does not answer gets their ticket after the timeout; one
// who answers without the field is asked max_asks times, then gets it.
func TestAskingGivesUp(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	d.asked("e1", "u1", "refund: 退款", 1)
	d.clock.Advance(9 * time.Minute)
	d.asked("e2", "u2", "refund: 也要退款", 1)
	d.noTicket("T-000001")
	d.clock.Advance(2 * time.Minute) // u1's 10 minutes are up, u2's not
	tk := d.settled("T-000001")
	if tk.Thread != "u1" || !slices.Equal(tk.Missing, []string{"order_id"}) ||
		!slices.ContainsFunc(tk.Timeline, func(e ticketcore.Entry) bool { return strings.Contains(e.Reason, "no answer within 10m") }) {
		t.Errorf("the ticket after the timeout: %+v", tk)
	}
	d.asked("e3", "u2", "other: 嗯", 2)
	d.sendFrom("e4", "u2", "", "other: 不记得了")
	tk = d.settled("T-000002")
	if tk.Thread != "u2" || tk.Waiting != 3 || !slices.Equal(tk.Missing, []string{"order_id"}) {
		t.Errorf("the ticket after two questions: %+v", tk)
	}
	d.clock.Advance(time.Hour) // the timer of a conversation that opened is gone: no third ticket
	d.sendFrom("e5", "u3", "", "other: 你好")
	d.settled("T-000003")
	if tk := d.ticket("T-000003"); tk.Thread != "u3" {
		t.Errorf("T-000003 is on %s, want u3", tk.Thread)
	}
}

// While the bot asks on a thread, an agent reopens the thread's earlier
// ticket: the waiting message and the answer join that ticket, and the
// bot stops waiting — no second ticket for the conversation.
func TestAskingEndsWhenTheThreadHasATicket(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	d.sendFrom("e0", "u1", "", "consult: 你好")
	d.settled("T-000001")
	d.change("T-000001", ticketcore.StatusSolved)
	d.clock.Advance(8 * 24 * time.Hour) // past the reopen window: a new ticket, so the bot asks
	d.asked("e1", "u1", "refund: 退款", 1)
	open := ticketcore.StatusOpen
	if _, err := d.svc.Change(ctx, "T-000001", "zhao", ticketcore.Patch{Status: &open}); err != nil {
		t.Fatal(err)
	}
	d.sendFrom("e2", "u1", "", "other: order 2026040312345678")
	d.eventually("both messages on T-000001", func() bool {
		var texts []string
		for _, e := range d.ticket("T-000001").Timeline {
			if e.Type == ticketcore.EntryMessage {
				texts = append(texts, e.Text)
			}
		}
		return slices.Equal(texts, []string{"consult: 你好", "refund: 退款", "other: order 2026040312345678"})
	})
	d.clock.Advance(time.Hour) // the bot's timeout is long past: it opens nothing
	d.sendFrom("e3", "u2", "", "consult: 在吗")
	if tk := d.settled("T-000002"); tk.Thread != "u2" {
		t.Errorf("T-000002 is on %s, want the next customer's u2", tk.Thread)
	}
}

// A thread as long as a store key may be is asked about like any other:
// the asking's keys are hashed.
func TestAskingOnALongThread(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	thread := strings.Repeat("x", 4000)
	d.asked("e1", thread, "refund: 退款", 1)
	d.sendFrom("e2", thread, "", "other: order 2026040312345678")
	if tk := d.settled("T-000001"); tk.Thread != thread || tk.Fields["order_id"] == "" {
		t.Errorf("the ticket: %+v", tk)
	}
}

// A question that cannot be delivered opens the ticket at once: the
// customer will not answer what they never got.
func TestAskingQuestionUndeliverable(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	d.ch.failWith(func(out channels.Outbound) error {
		if out.Kind == ticketcore.KindAsk {
			return channels.Permanent(errors.New("the customer's window is closed"))
		}
		return nil
	})
	d.sendFiled("e1", "u1", "refund: 退款")
	d.clock.Advance(grace)
	tk := d.settled("T-000001")
	if !slices.Equal(tk.Missing, []string{"order_id"}) ||
		!slices.ContainsFunc(tk.Timeline, func(e ticketcore.Entry) bool { return strings.Contains(e.Reason, "could not be delivered") }) {
		t.Errorf("the ticket: missing %v, timeline %+v", tk.Missing, tk.Timeline)
	}
}

// A customer who splits their request ("退款", then the order number) is
// not asked for what they were typing: the bot waits for a pause.
func TestAskingWaitsForAPause(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	d.sendFiled("e1", "u1", "refund: 退款")
	d.clock.Advance(grace / 2)
	d.sendFiled("e2", "u1", "other: 嗯") // still typing: the pause starts again
	d.clock.Advance(grace / 2)
	d.sendFiled("e3", "u1", "other: order 2026040312345678")
	tk := d.settled("T-000001")
	if q := questions(d.ch, "u1"); len(q) != 0 || tk.Waiting != 3 || tk.Fields["order_id"] == "" {
		t.Errorf("questions %q; ticket waiting %d, fields %v", q, tk.Waiting, tk.Fields)
	}
	d.asked("e4", "u2", "refund: 退款", 1) // one who pauses is asked

	// Two messages, then the pause and the question, then the answer: the
	// timeline tells it in that order.
	d.sendFiled("e5", "u3", "refund: 退款")
	d.clock.Advance(grace / 2)
	d.asked("e6", "u3", "other: 嗯", 1)
	d.sendFrom("e7", "u3", "", "other: order 2026040312345678")
	tk = d.settled("T-000002")
	head := func(s string) string { r := []rune(s); return string(r[:min(len(r), 8)]) }
	var turns []string
	for _, e := range tk.Timeline {
		if e.Type == ticketcore.EntryMessage || e.Event == "asked" {
			turns = append(turns, e.By+":"+head(e.Text))
		}
	}
	want := []string{"customer:refund: ", "customer:other: 嗯", "bot:" + head(questions(d.ch, "u3")[0]), "customer:other: o"}
	if tk.Thread != "u3" || !slices.Equal(turns, want) {
		t.Errorf("the timeline of %s: %q, want %q", tk.Thread, turns, want)
	}
}
