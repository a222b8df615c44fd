package storetest

import (
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore"
)

// Leases are long and instants explicit: an item is looked at before its
// lease ends and a second past it, never at the boundary.
const lease = time.Minute

func claimInbox(t *testing.T, s ticketcore.Store, now time.Time, limit int) []string {
	t.Helper()
	msgs, err := s.ClaimInbox(ctx, now, limit, lease)
	if err != nil {
		t.Fatalf("ClaimInbox: %v", err)
	}
	return ids(msgs, messageID)
}

func claimOutbox(t *testing.T, s ticketcore.Store, now time.Time, limit int) []ticketcore.OutboxItem {
	t.Helper()
	items, err := s.ClaimOutbox(ctx, now, limit, lease)
	if err != nil {
		t.Fatalf("ClaimOutbox: %v", err)
	}
	return items
}

func claimTimers(t *testing.T, s ticketcore.Store, now time.Time, limit int) []string {
	t.Helper()
	timers, err := s.ClaimTimers(ctx, now, limit, lease)
	if err != nil {
		t.Fatalf("ClaimTimers: %v", err)
	}
	return ids(timers, timerID)
}

func expectIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !sameIDs(got, want) {
		t.Errorf("%s: %v, want %v", what, got, want)
	}
}

// failing runs fn in an Update that then fails, so nothing fn did commits.
func failing(t *testing.T, s ticketcore.Store, fn func(ticketcore.Tx) error) {
	t.Helper()
	err := s.Update(ctx, func(tx ticketcore.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errBoom
	})
	wantErrIs(t, "failing update", err, errBoom)
}

func testInboxClaims(t *testing.T, h Harness) {
	s := h.Open(t)
	msgs := addMessages(t, s, inbound("e1", "u1", "one"), inbound("e2", "u2", "two"), inbound("e3", "u1", "three"))
	m1, m2, m3 := msgs[0].ID, msgs[1].ID, msgs[2].ID
	update(t, s, func(tx ticketcore.Tx) error {
		for _, m := range msgs {
			if err := tx.EnqueueInbox(m.ID); err != nil {
				return err
			}
		}
		return tx.EnqueueInbox(m1) // queueing again changes nothing
	})
	expectIDs(t, "first claim", claimInbox(t, s, t0, 2), m1, m2)
	expectIDs(t, "second claim", claimInbox(t, s, t0, 10), m3)
	expectIDs(t, "all claimed", claimInbox(t, s, t0.Add(lease/2), 10))
	t1 := t0.Add(lease + time.Second)
	expectIDs(t, "leases ran out", claimInbox(t, s, t1, 10), m1, m2, m3)

	update(t, s, func(tx ticketcore.Tx) error { return tx.CompleteInbox(m1) })
	update(t, s, func(tx ticketcore.Tx) error { return tx.CompleteInbox(m1) }) // done twice: no error
	failing(t, s, func(tx ticketcore.Tx) error { return tx.CompleteInbox(m2) })
	expectIDs(t, "a rolled-back completion keeps the claim", claimInbox(t, s, t1, 10))
	t2 := t1.Add(lease + time.Second)
	expectIDs(t, "after the completions", claimInbox(t, s, t2, 10), m2, m3)
	if st := stats(t, s); st.Inbox != 2 {
		t.Errorf("Stats.Inbox = %d, want 2", st.Inbox)
	}
	wantQueued(t, s, "inbox", ticketcore.ReadTx.InInbox, map[string]bool{m1: false, m2: true, m3: true, "nonsense": false})
	err := s.Update(ctx, func(tx ticketcore.Tx) error { return tx.EnqueueInbox("msg-9999999999") })
	wantErrIs(t, "EnqueueInbox of an unknown message", err, ticketcore.ErrNotFound)
}

// outboxFixture stores three outbound messages queued with different due
// times: late (t0+2m), now (t0) and soon (t0+1m).
func outboxFixture(t *testing.T, s ticketcore.Store) (late, now, soon ticketcore.Message) {
	msgs := addMessages(t, s, outbound("u1", "late"), outbound("u1", "now"), outbound("u2", "soon"))
	due := []time.Duration{2 * time.Minute, 0, time.Minute}
	update(t, s, func(tx ticketcore.Tx) error {
		for i, m := range msgs {
			if err := tx.EnqueueOutbox(ticketcore.OutboxItem{MessageID: m.ID, Due: t0.Add(due[i])}); err != nil {
				return err
			}
		}
		return nil
	})
	return msgs[0], msgs[1], msgs[2]
}

func testOutboxClaims(t *testing.T, h Harness) {
	s := h.Open(t)
	late, now, soon := outboxFixture(t, s)
	items := claimOutbox(t, s, t0.Add(90*time.Second), 10)
	expectIDs(t, "due items, earliest first", ids(items, outboxID), now.ID, soon.ID)
	if len(items) == 2 {
		sameJSON(t, "claimed item's message", now, items[0].Message)
		if !items[1].Due.Equal(t0.Add(time.Minute)) || items[1].Attempts != 0 {
			t.Errorf("claimed item %+v, want due %v and no attempts", items[1], t0.Add(time.Minute))
		}
	}
	expectIDs(t, "claimed items are hidden", ids(claimOutbox(t, s, t0.Add(90*time.Second), 10), outboxID))

	update(t, s, func(tx ticketcore.Tx) error { return tx.CompleteOutbox(now.ID) })
	failing(t, s, func(tx ticketcore.Tx) error { return tx.CompleteOutbox(soon.ID) })
	t1 := t0.Add(90*time.Second + lease + time.Second)
	expectIDs(t, "after one completion and one rolled back", ids(claimOutbox(t, s, t1, 10), outboxID), soon.ID, late.ID)
	if st := stats(t, s); st.Outbox != 2 {
		t.Errorf("Stats.Outbox = %d, want 2", st.Outbox)
	}
	wantQueued(t, s, "outbox", ticketcore.ReadTx.InOutbox, map[string]bool{now.ID: false, soon.ID: true, late.ID: true, "nonsense": false})
	update(t, s, func(tx ticketcore.Tx) error {
		return tx.RescheduleOutbox(ticketcore.OutboxItem{MessageID: now.ID, Due: t0, Attempts: 1})
	})
	if st := stats(t, s); st.Outbox != 2 {
		t.Errorf("rescheduling a completed item queued it again: Stats.Outbox = %d, want 2", st.Outbox)
	}
}

// testOutboxReschedule: rescheduling stores attempts and error, moves the
// item in due order, and ends its claim.
func testOutboxReschedule(t *testing.T, h Harness) {
	s := h.Open(t)
	late, now, soon := outboxFixture(t, s)
	expectIDs(t, "claim", ids(claimOutbox(t, s, t0, 10), outboxID), now.ID)
	retry := ticketcore.OutboxItem{MessageID: now.ID, Due: t0.Add(3 * time.Minute), Attempts: 1, LastError: "503 from peer"}
	update(t, s, func(tx ticketcore.Tx) error { return tx.RescheduleOutbox(retry) })
	expectIDs(t, "not due yet", ids(claimOutbox(t, s, t0.Add(time.Second), 10), outboxID))
	items := claimOutbox(t, s, t0.Add(3*time.Minute), 10)
	expectIDs(t, "rescheduled in due order, claim ended", ids(items, outboxID), soon.ID, late.ID, now.ID)
	if len(items) == 3 {
		got := items[2]
		if got.Attempts != 1 || got.LastError != retry.LastError || !got.Due.Equal(retry.Due) {
			t.Errorf("rescheduled item %+v, want %+v", got, retry)
		}
	}
	again := retry
	again.Due, again.Attempts = t0.Add(3*time.Minute), 2
	update(t, s, func(tx ticketcore.Tx) error { return tx.RescheduleOutbox(again) })
	expectIDs(t, "rescheduling a claimed item ends its claim",
		ids(claimOutbox(t, s, t0.Add(3*time.Minute), 10), outboxID), now.ID)
}

func testTimerClaims(t *testing.T, h Harness) {
	s := h.Open(t)
	a := ticketcore.Timer{ID: "sla:T-000001", Kind: "sla_breach", TicketID: "T-000001", Due: t0,
		Data: map[string]string{"target": "first_reply"}}
	b := ticketcore.Timer{ID: "autoclose:T-000002", Kind: "autoclose", Due: t0.Add(time.Minute)}
	c := ticketcore.Timer{ID: "csat:T-000003", Kind: "csat", Due: t0.Add(10 * time.Minute)}
	update(t, s, func(tx ticketcore.Tx) error {
		for _, tm := range []ticketcore.Timer{c, b, a} {
			if err := tx.ScheduleTimer(tm); err != nil {
				return err
			}
		}
		return nil
	})
	timers, err := s.ClaimTimers(ctx, t0.Add(2*time.Minute), 10, lease)
	if err != nil || len(timers) != 2 {
		t.Fatalf("ClaimTimers = %v, %v; want a and b", timers, err)
	}
	sameJSON(t, "claimed timer", a, timers[0])
	expectIDs(t, "claimed timers are hidden", claimTimers(t, s, t0.Add(2*time.Minute), 10))

	a.Due = t0.Add(150 * time.Second) // b stays claimed until t0+3m
	update(t, s, func(tx ticketcore.Tx) error { return tx.ScheduleTimer(a) })
	expectIDs(t, "scheduling again ends the claim", claimTimers(t, s, a.Due, 10), a.ID)
	update(t, s, func(tx ticketcore.Tx) error {
		if err := tx.DeleteTimer(b.ID); err != nil {
			return err
		}
		return tx.DeleteTimer("no-such-timer")
	})
	expectIDs(t, "deleted timers are gone", claimTimers(t, s, t0.Add(10*time.Minute), 10), a.ID, c.ID)
	failing(t, s, func(tx ticketcore.Tx) error { return tx.DeleteTimer(c.ID) })
	expectIDs(t, "a rolled-back deletion keeps the claim", claimTimers(t, s, t0.Add(10*time.Minute), 10))
	expectIDs(t, "after the leases", claimTimers(t, s, t0.Add(20*time.Minute), 10), a.ID, c.ID)
	if st := stats(t, s); st.Timers != 2 {
		t.Errorf("Stats.Timers = %d, want 2", st.Timers)
	}
}

func testStats(t *testing.T, h Harness) {
	s := h.Open(t)
	if st := stats(t, s); st != (ticketcore.Stats{}) {
		t.Errorf("empty store: Stats = %+v", st)
	}
	msgs := addMessages(t, s, inbound("e1", "u", "a"), inbound("e2", "u", "b"), outbound("u", "c"))
	update(t, s, func(tx ticketcore.Tx) error {
		for _, step := range []error{
			tx.EnqueueInbox(msgs[0].ID), tx.EnqueueInbox(msgs[1].ID), tx.EnqueueInbox(msgs[1].ID),
			tx.EnqueueOutbox(ticketcore.OutboxItem{MessageID: msgs[2].ID, Due: t0}),
			tx.EnqueueOutbox(ticketcore.OutboxItem{MessageID: msgs[2].ID, Due: t0.Add(time.Hour)}),
			tx.ScheduleTimer(ticketcore.Timer{ID: "x", Kind: "k", Due: t0}),
			tx.ScheduleTimer(ticketcore.Timer{ID: "x", Kind: "k", Due: t0.Add(time.Hour)}),
			tx.ScheduleTimer(ticketcore.Timer{ID: "y", Kind: "k", Due: t0}),
			tx.CompleteInbox(msgs[0].ID),
			tx.DeleteTimer("y"),
		} {
			if step != nil {
				return step
			}
		}
		return nil
	})
	if st, want := stats(t, s), (ticketcore.Stats{Inbox: 1, Outbox: 1, Timers: 1}); st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
	if got := claimOutbox(t, s, t0.Add(30*time.Minute), 10); len(got) != 0 {
		t.Errorf("enqueueing an item again did not move its due time: claimed %v", ids(got, outboxID))
	}
}

// wantQueued checks InInbox or InOutbox for each message id.
func wantQueued(t *testing.T, s ticketcore.Store, queue string, in func(ticketcore.ReadTx, string) (bool, error), want map[string]bool) {
	t.Helper()
	view(t, s, func(tx ticketcore.ReadTx) error {
		for id, w := range want {
			got, err := in(tx, id)
			if err != nil {
				return err
			}
			if got != w {
				t.Errorf("%s holds %s: %v, want %v", queue, id, got, w)
			}
		}
		return nil
	})
}
