package ticketcore_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/ticketcore"
	"github.com/loopdesk/loopdesk/ticketcore/sla"
)

// countingExtractor is fakeExtractor counting its readings.
type countingExtractor struct{ n atomic.Int64 }

func (e *countingExtractor) Extract(ctx context.Context, req nlu.Request) (nlu.Extraction, error) {
	e.n.Add(1)
	return fakeExtractor{}.Extract(ctx, req)
}

// reopening is a Service on a clock the test moves, with the reopen window
// set by window (0 for the default).
type reopening struct {
	*harness
	clock *clock
	ext   *countingExtractor
}

func newReopening(t *testing.T, window time.Duration) *reopening {
	t.Helper()
	r := &reopening{clock: &clock{t: at("2026-04-07 10:00:00")}, ext: &countingExtractor{}}
	r.harness = newHarness(t, r.ext, &fakeChannel{}, func(cfg *ticketcore.Config) {
		cfg.Now, cfg.ReopenWindow = r.clock.Now, window
	})
	return r
}

func (h *harness) change(id, status string) {
	h.t.Helper()
	if _, err := h.svc.Change(context.Background(), id, "alice", ticketcore.Patch{Status: &status}); err != nil {
		h.t.Fatal(err)
	}
}

// acks counts the acknowledgements queued on a thread.
func (h *harness) acks(thread string) int {
	h.t.Helper()
	var n int
	err := h.store.View(context.Background(), func(tx ticketcore.ReadTx) error {
		msgs, err := tx.Conversation(channels.API, thread)
		for _, m := range msgs {
			if m.Kind == ticketcore.KindAck {
				n++
			}
		}
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) noTicket(id string) {
	h.t.Helper()
	if _, err := h.svc.Ticket(context.Background(), id); !errors.Is(err, ticketcore.ErrNotFound) {
		h.t.Errorf("ticket %s exists (%v), want none", id, err)
	}
}

// statusChanges are a ticket's status change entries.
func statusChanges(tk ticketcore.Ticket) []ticketcore.Entry {
	var out []ticketcore.Entry
	for _, e := range events(tk, ticketcore.EventChanged) {
		if e.Field == "status" {
			out = append(out, e)
		}
	}
	return out
}

// followUp checks that next follows up prev, each naming the other on its
// timeline, the reason on next saying why.
func followUp(t *testing.T, next, prev ticketcore.Ticket, why string) {
	t.Helper()
	if next.FollowUpOf != prev.ID {
		t.Errorf("%s: follow_up_of %q on %s, want %s", next.ID, next.FollowUpOf, next.Thread, prev.ID)
	}
	if fu := events(next, ticketcore.EventFollowUp); len(fu) != 1 || fu[0].Field != "follow_up_of" ||
		fu[0].After != prev.ID || !strings.Contains(fu[0].Reason, why) {
		t.Errorf("%s: follow-up entries %+v, want one naming %s because %q", next.ID, fu, prev.ID, why)
	}
	if fu := events(prev, ticketcore.EventFollowUp); len(fu) != 1 || fu[0].Field != "followed_by" || fu[0].After != next.ID {
		t.Errorf("%s: follow-up entries %+v, want one naming %s", prev.ID, fu, next.ID)
	}
	if n := len(entriesOf(next, ticketcore.EntryMessage)); n != 1 {
		t.Errorf("%s has %d messages, want 1", next.ID, n)
	}
}

// Inside the window the solved ticket opens again on the customer's
// behalf and takes the message: no new ticket, no second
// acknowledgement, no reading of the message.
func TestReplyInsideWindowReopens(t *testing.T) {
	h := newReopening(t, 0) // the default: 7 days
	h.send("e1", "u", "订单没发货")
	h.settled("T-000001")
	h.change("T-000001", ticketcore.StatusSolved)
	h.clock.Advance(7*24*time.Hour - time.Minute)
	r := h.send("e2", "u", "还是没收到")
	h.eventually("the message joins the solved ticket", func() bool {
		return len(entriesOf(h.ticket("T-000001"), ticketcore.EntryMessage)) == 2
	})
	tk := h.ticket("T-000001")
	if tk.Status != ticketcore.StatusOpen || !tk.SolvedAt.IsZero() {
		t.Errorf("status %s, solved_at %v; want open and none", tk.Status, tk.SolvedAt)
	}
	changes := statusChanges(tk)
	reopen := changes[len(changes)-1]
	if len(changes) != 2 || reopen.By != ticketcore.ByCustomer || reopen.Before != ticketcore.StatusSolved ||
		reopen.After != ticketcore.StatusOpen || reopen.Reason != "the customer wrote again within 7 days of the solution" {
		t.Errorf("status changes %+v; want the agent's solution and one reopen by the customer", changes)
	}
	last := tk.Timeline[len(tk.Timeline)-1]
	if last.Type != ticketcore.EntryMessage || last.MessageID != r.MessageID || tk.Timeline[len(tk.Timeline)-2].Seq != reopen.Seq {
		t.Errorf("timeline ends %+v; want the reopen, then the message", tk.Timeline[len(tk.Timeline)-2:])
	}
	if len(events(tk, ticketcore.EventFollowUp)) != 0 || tk.FollowUpOf != "" {
		t.Errorf("a reopened ticket has follow-up marks: %+v", tk)
	}
	h.noTicket("T-000002")
	if n := h.acks("u"); n != 1 {
		t.Errorf("%d acknowledgements, want 1: a reopened ticket is not acknowledged again", n)
	}
	if n := h.ext.n.Load(); n != 1 {
		t.Errorf("%d readings, want 1: a reopening message is not read", n)
	}
	// The reopened ticket is the thread's active ticket again.
	h.send("e3", "u", "在吗")
	h.eventually("the next message joins it", func() bool {
		return len(entriesOf(h.ticket("T-000001"), ticketcore.EntryMessage)) == 3
	})
	h.noTicket("T-000002")
}

// At the end of the window, or once the ticket is closed, or with
// reopening off, the message opens a new ticket that follows the old one
// up; the old ticket stays as it was, with an entry naming the new one.
func TestReplyOpensFollowUp(t *testing.T) {
	for _, c := range []struct {
		name   string
		window time.Duration
		after  time.Duration
		close  bool
		why    string
	}{
		{"window over", 0, 7 * 24 * time.Hour, false, "T-000001 was solved more than 7 days ago"},
		{"short window", 36 * time.Hour, 36*time.Hour + time.Second, false, "more than 36 hours ago"},
		{"closed", 0, time.Minute, true, "T-000001 is closed"},
		{"reopening off", -1, time.Minute, false, "T-000001 is solved and reopening is off"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newReopening(t, c.window)
			h.send("e1", "u", "订单没发货")
			h.settled("T-000001")
			h.change("T-000001", ticketcore.StatusSolved)
			if c.close {
				h.change("T-000001", ticketcore.StatusClosed)
			}
			before := h.ticket("T-000001")
			h.clock.Advance(c.after)
			h.send("e2", "u", "又出问题了")
			next := h.settled("T-000002")
			prev := h.ticket("T-000001")
			followUp(t, next, prev, c.why)
			if prev.Status != before.Status || len(prev.Timeline) != len(before.Timeline)+1 {
				t.Errorf("the old ticket changed beyond one entry: %s, %d entries (was %s, %d)",
					prev.Status, len(prev.Timeline), before.Status, len(before.Timeline))
			}
			if next.Status != ticketcore.StatusNew || h.acks("u") != 2 {
				t.Errorf("follow-up %s is %s with %d acknowledgements on the thread; want new, 2", next.ID, next.Status, h.acks("u"))
			}
		})
	}
}

// A ticket merged away leads to the ticket it was merged into: a merged
// ticket's customer reopens that one inside the window, and follows it up
// once it is closed.
func TestReplyOnMergedTicketsThread(t *testing.T) {
	h := newReopening(t, 0)
	ctx := context.Background()
	for i, thread := range []string{"a", "u", "w"} { // T-000001, 2, 3 in order
		h.send(thread+"1", thread, "门店 "+thread+" 收银机坏了")
		h.settled(ticketcore.FormatTicketID(uint64(i + 1)))
	}
	for _, id := range []string{"T-000002", "T-000003"} {
		if _, err := h.svc.Merge(ctx, id, "T-000001", "alice"); err != nil {
			t.Fatal(err)
		}
	}
	h.change("T-000001", ticketcore.StatusSolved)
	h.clock.Advance(24 * time.Hour)
	h.send("u2", "u", "u 店又坏了")
	h.eventually("the merged ticket's customer reopens the parent", func() bool {
		return h.ticket("T-000001").Status == ticketcore.StatusOpen
	})
	parent := h.ticket("T-000001")
	changes := statusChanges(parent)
	if last := changes[len(changes)-1]; last.By != ticketcore.ByCustomer ||
		last.Reason != "the customer of T-000002 (merged into this ticket) wrote again within 7 days of the solution" {
		t.Errorf("reopen entry %+v", last)
	}
	if msgs := entriesOf(parent, ticketcore.EntryMessage); msgs[len(msgs)-1].Text != "u 店又坏了" {
		t.Errorf("the parent's last message is %+v", msgs[len(msgs)-1])
	}
	if child := h.ticket("T-000002"); child.Status != ticketcore.StatusClosed || len(entriesOf(child, ticketcore.EntryMessage)) != 1 {
		t.Errorf("the merged ticket changed: %s, %d messages", child.Status, len(entriesOf(child, ticketcore.EntryMessage)))
	}
	h.noTicket("T-000004")

	h.change("T-000001", ticketcore.StatusSolved)
	h.change("T-000001", ticketcore.StatusClosed)
	h.send("w2", "w", "w 店又坏了")
	next := h.settled("T-000004")
	if next.Thread != "w" {
		t.Errorf("the follow-up is on %s, want w", next.Thread)
	}
	followUp(t, next, h.ticket("T-000001"), "T-000001 is closed (the conversation of T-000003, merged into T-000001)")
	if fu := events(h.ticket("T-000003"), ticketcore.EventFollowUp); len(fu) != 0 {
		t.Errorf("the merged ticket was named in a follow-up: %+v", fu)
	}
}

// A customer's reopen runs the SLA clocks as an agent's reopen does: the
// resolution met at the solution stays met, and the customer's message
// owes a next response, timed by the ticket's timer.
func TestReopenFollowsTheSLA(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	d.sendFrom("e1", "u1", "", "logistics: 快递呢")
	d.settled("T-000001")
	if _, err := d.svc.Reply(ctx, "T-000001", "li", "已催仓库"); err != nil {
		t.Fatal(err)
	}
	d.change("T-000001", ticketcore.StatusSolved)
	d.clock.Set(at("2026-04-08 10:00:00"))
	d.sendFrom("e2", "u1", "", "logistics: 还没到")
	d.eventually("reopened", func() bool { return d.ticket("T-000001").Status == ticketcore.StatusOpen })
	tk := d.ticket("T-000001")
	if r := target(t, tk, sla.Resolution); !r.Met() {
		t.Errorf("resolution %+v, want met at the solution", r)
	}
	nr := target(t, tk, sla.NextResponse)
	if !nr.Running() || !nr.Due.Equal(at("2026-04-08 18:00:00")) || !tk.DueAt.Equal(nr.Due) {
		t.Errorf("next response %+v, due_at %v; want running, due 8 business hours on", nr, tk.DueAt)
	}
	if st, err := d.store.Stats(ctx); err != nil || st.Timers == 0 {
		t.Errorf("%d timers (%v); the reopened ticket's SLA clock has none", st.Timers, err)
	}
}
