package ticketcore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/notify"
	"github.com/loopdesk/loopdesk/ticketcore"
)

// errWindow is what a channel says when the customer's window is used up.
var errWindow = errors.New("48 小时内只能回复 5 条消息")

// failWith makes the channel fail as fn says from now on.
func (c *fakeChannel) failWith(fn func(out channels.Outbound) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fails = fn
}

// sendsOf are the attempts to send the message with id.
func sendsOf(ch *fakeChannel, id string) []channels.Outbound {
	var out []channels.Outbound
	for _, o := range ch.attempts() {
		if o.ID == id {
			out = append(out, o)
		}
	}
	return out
}

// counter sums a counter of reg over its labels. Counters are counted
// after the commit they count, so a test that waits for one knows the
// commit happened.
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

const heldTotal = "loopdesk_outbox_held_total"

func outboxSize(t *testing.T, h *harness) int {
	t.Helper()
	st, err := h.store.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Outbox
}

// A reply the channel holds waits, without counting attempts, through a
// second hold at its until, and goes out once when the customer writes
// again, by a single message or in a batch. Afterwards nothing is held:
// the customer's next message releases nothing.
func TestHeldReplyIsReleasedByTheCustomersNextMessage(t *testing.T) {
	for _, how := range []string{"message", "batch"} {
		t.Run(how, func(t *testing.T) {
			c := &clock{t: at("2026-04-07 10:00:00")}
			reg := prometheus.NewRegistry()
			var holding atomic.Bool
			holding.Store(true)
			ch := &fakeChannel{fails: func(out channels.Outbound) error {
				if out.Kind == ticketcore.KindReply && holding.Load() {
					return channels.Hold(errWindow, c.Now().Add(48*time.Hour))
				}
				return nil
			}}
			h := newHarness(t, fakeExtractor{}, ch, func(cfg *ticketcore.Config) { cfg.Now, cfg.Registerer = c.Now, reg })
			ctx := context.Background()
			h.send("e1", "u", "订单没发货")
			h.settled("T-000001")
			reply, err := h.svc.Reply(ctx, "T-000001", "alice", "已为您催促仓库")
			if err != nil {
				t.Fatal(err)
			}
			h.eventually("the reply is held", func() bool { return counter(t, reg, heldTotal) == 1 })
			tk := h.ticket("T-000001")
			if ev := events(tk, ticketcore.EventDeliveryHeld); len(ev) != 1 || ev[0].Reason != errWindow.Error() || ev[0].MessageID != reply.MessageID {
				t.Errorf("held events = %+v", ev)
			}
			if r := entriesOf(tk, ticketcore.EntryReply); r[len(r)-1].Delivery != channels.DeliveryPending {
				t.Errorf("a held reply's delivery is %s, want pending", r[len(r)-1].Delivery)
			}

			c.Advance(48*time.Hour + time.Second)
			h.eventually("the reply is held again at its until", func() bool { return counter(t, reg, heldTotal) == 2 })
			if ev := events(h.ticket("T-000001"), ticketcore.EventDeliveryHeld); len(ev) != 1 {
				t.Errorf("a second hold of the same reply wrote %d held events, want the first one only", len(ev))
			}

			holding.Store(false)
			c.Advance(time.Second)
			customerWrites(t, h, how, "e2", "还在吗")
			tk = h.settled("T-000001")
			if r := entriesOf(tk, ticketcore.EntryReply); r[len(r)-1].Delivery != channels.DeliverySent {
				t.Errorf("after the customer wrote, delivery is %s", r[len(r)-1].Delivery)
			}
			sends := sendsOf(ch, reply.MessageID)
			if len(sends) != 3 {
				t.Fatalf("%d sends of the reply, want 3 (held, held, sent)", len(sends))
			}
			for _, s := range sends {
				if s.Attempt != 1 {
					t.Errorf("send with attempt %d: holds must not count attempts", s.Attempt)
				}
			}
			if n := outboxSize(t, h); n != 0 {
				t.Fatalf("outbox holds %d items after the reply was sent", n)
			}
			customerWrites(t, h, how, "e3", "谢谢")
			if n := outboxSize(t, h); n != 0 {
				t.Errorf("the customer's next message queued %d items: the sent reply was still listed as held", n)
			}
		})
	}
}

// customerWrites stores a message on thread "u", alone or in a batch.
func customerWrites(t *testing.T, h *harness, how, external, text string) {
	t.Helper()
	msg := channels.Message{Channel: channels.API, ExternalID: external, Thread: "u",
		From: channels.Party{ID: "u"}, Text: text}
	var err error
	if how == "batch" {
		_, err = h.svc.HandleBatch(context.Background(), []channels.Message{msg}, channels.Checkpoint{Key: "api/poll", Value: []byte(external)})
	} else {
		_, err = h.svc.HandleMessage(context.Background(), msg)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// The first hold writes one timeline event and one notice to the
// assignee; a later hold of the same reply writes neither.
func TestFirstHoldTellsTheAssigneeOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	d := newDeskWith(t, at("2026-04-07 10:00:00"), nil, func(cfg *ticketcore.Config) { cfg.Registerer = reg })
	ctx := context.Background()
	d.sendFrom("e1", "u1", "", "repair: 屏幕坏了")
	tk := d.settled("T-000001")
	if tk.Assignee != "li" {
		t.Fatalf("assignee %q, want li", tk.Assignee)
	}
	d.ch.failWith(func(out channels.Outbound) error {
		if out.Kind == ticketcore.KindReply {
			return channels.Hold(errWindow, d.clock.Now().Add(48*time.Hour))
		}
		return nil
	})
	if _, err := d.svc.Reply(ctx, "T-000001", "li", "请问是哪个型号"); err != nil {
		t.Fatal(err)
	}
	d.eventually("the reply is held", func() bool { return counter(t, reg, heldTotal) == 1 })
	d.eventually("li hears why", func() bool { return len(noticesOfKind(d.im, "li", notify.KindDeliveryHeld)) == 1 })
	if n := noticesOfKind(d.im, "li", notify.KindDeliveryHeld)[0]; !strings.Contains(n.Text, errWindow.Error()) || n.TicketID != "T-000001" {
		t.Errorf("held notice = %+v", n)
	}
	d.clock.Advance(48*time.Hour + time.Second)
	d.eventually("the reply is held again", func() bool { return counter(t, reg, heldTotal) == 2 })
	if ev := events(d.ticket("T-000001"), ticketcore.EventDeliveryHeld); len(ev) != 1 {
		t.Errorf("%d held events, want 1", len(ev))
	}
	// Notices are stored in the transaction of the hold that sends them, so
	// the notifier's conversation shows every one, delivered or not.
	if n := storedNotices(t, d, "li", "暂未发出"); n != 1 {
		t.Errorf("%d held notices to li, want 1", n)
	}
}

// noticesOfKind are the notices a fake notifier was asked to send to agent of kind.
func noticesOfKind(ch *fakeChannel, agent, kind string) []channels.Outbound {
	var out []channels.Outbound
	for _, o := range notices(ch, agent) {
		if o.Meta[notify.MetaKind] == kind {
			out = append(out, o)
		}
	}
	return out
}

// storedNotices counts the notices to agent on im whose text has part,
// sent or not.
func storedNotices(t *testing.T, d *desk, agent, part string) int {
	t.Helper()
	conv, err := d.svc.Conversation(context.Background(), notify.ChannelName("im"), agent)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range conv {
		if strings.Contains(m.Text, part) {
			n++
		}
	}
	return n
}

// A held reply whose chance is gone at its until fails as usual, and is
// no longer held: the customer's next message does not send it.
func TestHeldReplyFailsWhenTheChanceIsGone(t *testing.T) {
	start := at("2026-04-07 10:00:00")
	c := &clock{t: start}
	gone := channels.Permanent(errors.New("the 48-hour window closed"))
	ch := &fakeChannel{fails: func(out channels.Outbound) error {
		switch {
		case out.Kind != ticketcore.KindReply:
			return nil
		case c.Now().Before(start.Add(48 * time.Hour)):
			return channels.Hold(errWindow, start.Add(48*time.Hour))
		}
		return gone
	}}
	h, _, reply := holdOne(t, c, ch, nil)
	c.Advance(48*time.Hour + time.Second)
	tk := h.settled("T-000001")
	if r := entriesOf(tk, ticketcore.EntryReply); r[len(r)-1].Delivery != channels.DeliveryFailed {
		t.Errorf("delivery = %s, want failed", r[len(r)-1].Delivery)
	}
	if ev := events(tk, ticketcore.EventDeliveryFailed); len(ev) != 1 || ev[0].Reason != gone.Error() {
		t.Errorf("failure events = %+v", ev)
	}
	if sends := sendsOf(ch, reply.MessageID); len(sends) != 2 || sends[1].Attempt != 1 {
		t.Errorf("sends = %+v, want two, both attempt 1", sends)
	}
	if n := settings(t, h); n != 0 { // without a desk the held index is the only setting
		t.Errorf("%d settings stored after the held reply failed: its thread's held index was not cleaned up", n)
	}
	h.send("e2", "u", "还在吗")
	if n := outboxSize(t, h); n != 0 {
		t.Errorf("the customer's message queued %d items: the failed reply was still listed as held", n)
	}
}

// A held reply that meets a passing failure at its until is retried as
// usual, attempts counted: it no longer waits for the customer, whose next
// message does not queue it again with its old attempts.
func TestHeldReplyRetriedAtItsUntilCountsAttempts(t *testing.T) {
	start := at("2026-04-07 10:00:00")
	c := &clock{t: start}
	var failed atomic.Bool
	ch := &fakeChannel{fails: func(out channels.Outbound) error {
		switch {
		case out.Kind != ticketcore.KindReply:
			return nil
		case c.Now().Before(start.Add(48 * time.Hour)):
			return channels.Hold(errWindow, start.Add(48*time.Hour))
		case !failed.Swap(true):
			return errors.New("503 from peer")
		}
		return nil
	}}
	h, reg, reply := holdOne(t, c, ch, nil)
	c.Advance(48*time.Hour + time.Second)
	h.eventually("the reply fails once", func() bool { return counter(t, reg, "loopdesk_outbox_retries_total") == 1 })
	c.Advance(time.Second) // the retry comes due as the customer writes
	h.send("e2", "u", "还在吗")
	h.settled("T-000001")
	sends := sendsOf(ch, reply.MessageID)
	if len(sends) != 3 || sends[2].Attempt != 2 {
		t.Errorf("sends = %+v, want three: held, failed (attempt 1), sent (attempt 2)", sends)
	}
}

// A hold whose until has already passed is an ordinary failed attempt, so
// a channel that keeps holding cannot keep a message forever.
func TestHoldInThePastCountsAnAttempt(t *testing.T) {
	ch := &fakeChannel{fails: func(out channels.Outbound) error {
		if out.Kind == ticketcore.KindAck {
			return channels.Hold(errWindow, time.Now().Add(-time.Second))
		}
		return nil
	}}
	h := newHarness(t, fakeExtractor{}, ch, nil)
	h.send("e1", "u", "订单没发货")
	tk := h.settled("T-000001")
	if r := entriesOf(tk, ticketcore.EntryReply); r[0].Delivery != channels.DeliveryFailed {
		t.Errorf("delivery = %s, want failed after MaxAttempts", r[0].Delivery)
	}
	sends := ch.attempts()
	if len(sends) != 3 || sends[2].Attempt != 3 {
		t.Errorf("sends = %+v, want attempts 1, 2, 3", sends)
	}
	if n := len(events(tk, ticketcore.EventDeliveryHeld)); n != 0 {
		t.Errorf("%d held events for holds that had run out", n)
	}
}

// A customer who writes while a send is under way, which the channel then
// holds, has already given the chance the channel waits for: the reply
// goes out at once.
func TestCustomerWritingDuringTheSendReleasesTheHold(t *testing.T) {
	c := &clock{t: at("2026-04-07 10:00:00")}
	var h *harness
	var wrote atomic.Bool
	ch := &fakeChannel{fails: func(out channels.Outbound) error {
		if out.Kind != ticketcore.KindReply || wrote.Swap(true) {
			return nil
		}
		c.Advance(time.Second)
		_, err := h.svc.HandleMessage(context.Background(), channels.Message{Channel: channels.API,
			ExternalID: "during", Thread: "u", From: channels.Party{ID: "u"}, Text: "在吗"})
		if err != nil {
			return channels.Permanent(err)
		}
		return channels.Hold(errWindow, c.Now().Add(48*time.Hour))
	}}
	h = newHarness(t, fakeExtractor{}, ch, func(cfg *ticketcore.Config) { cfg.Now = c.Now })
	h.send("e1", "u", "订单没发货")
	h.settled("T-000001")
	reply, err := h.svc.Reply(context.Background(), "T-000001", "alice", "已为您催促仓库")
	if err != nil {
		t.Fatal(err)
	}
	tk := h.settled("T-000001")
	if r := entriesOf(tk, ticketcore.EntryReply); r[len(r)-1].Delivery != channels.DeliverySent {
		t.Errorf("delivery = %s, want sent", r[len(r)-1].Delivery)
	}
	if sends := sendsOf(ch, reply.MessageID); len(sends) != 2 || sends[1].Attempt != 1 {
		t.Errorf("sends = %+v, want two, both attempt 1", sends)
	}
	if n := len(events(tk, ticketcore.EventDeliveryHeld)); n != 0 {
		t.Errorf("%d held events for a reply the customer had already released", n)
	}
}

// A channel's later report that a sent reply failed flips its delivery,
// records why, and tells the assignee, once.
func TestDeliveryFailedReportOnASentReply(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	d.sendFrom("e1", "u1", "", "repair: 屏幕坏了")
	d.settled("T-000001")
	reply, err := d.svc.Reply(ctx, "T-000001", "li", "请问是哪个型号")
	if err != nil {
		t.Fatal(err)
	}
	if r := entriesOf(d.settled("T-000001"), ticketcore.EntryReply); r[len(r)-1].Delivery != channels.DeliverySent {
		t.Fatalf("delivery = %s, want sent", r[len(r)-1].Delivery)
	}
	const reason = "msg_send_fail: the customer blocked the account"
	if err := d.svc.DeliveryFailed(ctx, reply.MessageID, reason); err != nil {
		t.Fatal(err)
	}
	tk := d.ticket("T-000001")
	if r := entriesOf(tk, ticketcore.EntryReply); r[len(r)-1].Delivery != channels.DeliveryFailed {
		t.Errorf("timeline delivery = %s, want failed", r[len(r)-1].Delivery)
	}
	if ev := events(tk, ticketcore.EventDeliveryFailed); len(ev) != 1 || ev[0].Reason != reason || ev[0].MessageID != reply.MessageID {
		t.Errorf("failure events = %+v", ev)
	}
	conv, _ := d.svc.Conversation(ctx, channels.API, "u1")
	if last := conv[len(conv)-1]; last.ID != reply.MessageID || last.Delivery != channels.DeliveryFailed {
		t.Errorf("conversation shows %+v", last)
	}
	d.eventually("li hears of the failure", func() bool { return len(noticesOfKind(d.im, "li", notify.KindDeliveryFail)) == 1 })
	if n := noticesOfKind(d.im, "li", notify.KindDeliveryFail)[0]; !strings.Contains(n.Text, reason) {
		t.Errorf("failure notice = %+v", n)
	}

	if err := d.svc.DeliveryFailed(ctx, reply.MessageID, "again"); err != nil {
		t.Errorf("a second report: %v", err)
	}
	if again := d.ticket("T-000001"); len(again.Timeline) != len(tk.Timeline) || storedNotices(t, d, "li", "未能送达") != 1 {
		t.Error("a second report of the same failure changed something")
	}
	in, err := d.svc.HandleMessage(ctx, channels.Message{Channel: channels.API, ExternalID: "e2", Thread: "u1", Text: "repair: 型号 X1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{in.MessageID, "msg-9999999999-aaaaaaaa", "nonsense"} {
		if err := d.svc.DeliveryFailed(ctx, id, reason); !errors.Is(err, channels.ErrUnknownMessage) {
			t.Errorf("DeliveryFailed(%s) = %v, want ErrUnknownMessage", id, err)
		}
	}
}

// The dispatcher's own final failure tells the assignee too; a notice that
// fails tells nobody, so failures cannot feed each other.
func TestFailedReplyTellsTheAssigneeButAFailedNoticeDoesNot(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	d.sendFrom("e1", "u1", "", "repair: 屏幕坏了")
	d.settled("T-000001")
	blocked := channels.Permanent(errors.New("the customer blocked the account"))
	d.ch.failWith(func(out channels.Outbound) error {
		if out.Kind == ticketcore.KindReply {
			return blocked
		}
		return nil
	})
	d.im.failWith(func(channels.Outbound) error { return channels.Permanent(errors.New("im is down")) })
	if _, err := d.svc.Reply(ctx, "T-000001", "li", "请问是哪个型号"); err != nil {
		t.Fatal(err)
	}
	if ev := events(d.settled("T-000001"), ticketcore.EventDeliveryFailed); len(ev) != 1 || ev[0].Reason != blocked.Error() {
		t.Fatalf("failure events = %+v", ev)
	}
	d.eventually("the failure notice fails too", func() bool {
		conv, _ := d.svc.Conversation(ctx, notify.ChannelName("im"), "li")
		for _, m := range conv {
			if strings.Contains(m.Text, "未能送达") {
				return m.Delivery == channels.DeliveryFailed
			}
		}
		return false
	})
	if n := storedNotices(t, d, "li", "未能送达"); n != 1 {
		t.Errorf("%d failure notices to li, want 1: a failed notice caused another", n)
	}
}

// A held reply whose until has come is being sent when the customer
// writes: the release leaves it to that send rather than queueing it
// again (which would end its claim and send it twice).
func TestReleaseLeavesADueHeldReplyToItsSend(t *testing.T) {
	c := &clock{t: at("2026-04-07 10:00:00")}
	reg := prometheus.NewRegistry()
	var calls atomic.Int32
	inSend, gate := make(chan struct{}), make(chan struct{})
	var sending sync.Once
	ch := &fakeChannel{fails: func(out channels.Outbound) error {
		if out.Kind != ticketcore.KindReply {
			return nil
		}
		if calls.Add(1) == 1 {
			return channels.Hold(errWindow, c.Now().Add(time.Hour))
		}
		sending.Do(func() { close(inSend) })
		<-gate // the send at until is under way…
		return nil
	}}
	h := newHarness(t, fakeExtractor{}, ch, func(cfg *ticketcore.Config) { cfg.Now, cfg.Registerer = c.Now, reg })
	h.send("e1", "u", "订单没发货")
	h.settled("T-000001")
	reply, err := h.svc.Reply(context.Background(), "T-000001", "alice", "已为您催促仓库")
	if err != nil {
		t.Fatal(err)
	}
	h.eventually("the reply is held", func() bool { return counter(t, reg, heldTotal) == 1 })
	c.Advance(time.Hour + time.Second)
	<-inSend
	customerWrites(t, h, "message", "e2", "还在吗") // …when the customer writes
	close(gate)
	h.eventually("the reply sent", func() bool {
		r := entriesOf(h.ticket("T-000001"), ticketcore.EntryReply)
		return r[len(r)-1].Delivery == channels.DeliverySent
	})
	h.settled("T-000001")
	if n := len(sendsOf(ch, reply.MessageID)); n != 2 {
		t.Fatalf("%d sends of the reply, want 2 (held, then sent once)", n)
	}
}

// A channel that keeps holding a reply (its window state lost, say) holds
// it at most MaxHold; then the hold counts as a failed attempt.
func TestHoldEndsAfterMaxHold(t *testing.T) {
	c := &clock{t: at("2026-04-07 10:00:00")}
	reg := prometheus.NewRegistry()
	ch := &fakeChannel{fails: func(out channels.Outbound) error {
		if out.Kind == ticketcore.KindReply {
			return channels.Hold(errWindow, c.Now().Add(48*time.Hour))
		}
		return nil
	}}
	h := newHarness(t, fakeExtractor{}, ch, func(cfg *ticketcore.Config) {
		cfg.Now, cfg.Registerer = c.Now, reg
		cfg.Delivery.MaxHold, cfg.Delivery.MaxAttempts = 72*time.Hour, 1
	})
	h.send("e1", "u", "订单没发货")
	h.settled("T-000001")
	if _, err := h.svc.Reply(context.Background(), "T-000001", "alice", "已为您催促仓库"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		h.eventually("another hold", func() bool { return counter(t, reg, heldTotal) == float64(i) })
		c.Advance(48*time.Hour + time.Second)
	}
	h.eventually("the reply failed", func() bool {
		r := entriesOf(h.ticket("T-000001"), ticketcore.EntryReply)
		return r[len(r)-1].Delivery == channels.DeliveryFailed
	})
	if n := counter(t, reg, heldTotal); n != 2 {
		t.Errorf("held %v times, want 2 (at 0 h and 48 h; the third try at 96 h is past 72 h)", n)
	}
}

// holdOne starts a service on ch (whose Send holds replies), opens
// T-000001 and replies on it; it returns once the reply is held.
func holdOne(t *testing.T, c *clock, ch *fakeChannel, mod func(*ticketcore.Config)) (*harness, *prometheus.Registry, ticketcore.Entry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	h := newHarness(t, fakeExtractor{}, ch, func(cfg *ticketcore.Config) {
		cfg.Now, cfg.Registerer = c.Now, reg
		if mod != nil {
			mod(cfg)
		}
	})
	h.send("e1", "u", "订单没发货")
	h.settled("T-000001")
	reply, err := h.svc.Reply(context.Background(), "T-000001", "alice", "已为您催促仓库")
	if err != nil {
		t.Fatal(err)
	}
	h.eventually("the reply is held", func() bool { return counter(t, reg, heldTotal) == 1 })
	return h, reg, reply
}
