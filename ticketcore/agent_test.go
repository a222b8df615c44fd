package ticketcore_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

func ptr[T any](v T) *T { return &v }

func TestChangeRecordsEachChange(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil)
	h.send("e1", "u", "订单没发货")
	h.settled("T-000001")
	before := len(h.ticket("T-000001").Timeline)
	tk, err := h.svc.Change(context.Background(), "T-000001", "alice", ticketcore.Patch{
		Status: ptr("open"), Priority: ptr("urgent"), Assignee: ptr("alice"), Group: ptr("售后"),
		Tags:   ptr([]string{"vip", " vip", "late"}),
		Fields: map[string]*string{"order_id": nil, "region": ptr("北京")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != "open" || tk.Priority != "urgent" || tk.Assignee != "alice" || tk.Group != "售后" ||
		!reflect.DeepEqual(tk.Tags, []string{"late", "vip"}) || !reflect.DeepEqual(tk.Fields, map[string]string{"region": "北京"}) {
		t.Errorf("ticket = %+v", tk)
	}
	got := h.ticket("T-000001").Timeline[before:]
	var fields []string
	for _, e := range got {
		if e.By != "alice" || e.Event != ticketcore.EventChanged {
			t.Errorf("entry = %+v", e)
		}
		fields = append(fields, e.Field)
	}
	want := []string{"status", "priority", "assignee", "group", "tags", "fields.order_id", "fields.region"}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("changed %v, want %v", fields, want)
	}
	// The same patch again changes nothing and records nothing.
	h.svc.Change(context.Background(), "T-000001", "alice", ticketcore.Patch{Status: ptr("open"), Assignee: ptr("alice")})
	if n := len(h.ticket("T-000001").Timeline); n != before+len(want) {
		t.Errorf("a no-op patch added %d entries", n-before-len(want))
	}
}

func TestIllegalChangesChangeNothing(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil)
	h.send("e1", "u", "订单没发货")
	orig := h.settled("T-000001")
	ctx := context.Background()
	for _, c := range []struct {
		p    ticketcore.Patch
		want error
	}{
		{ticketcore.Patch{Status: ptr("closed"), Priority: ptr("low")}, ticketcore.ErrConflict}, // new → closed skips solved
		{ticketcore.Patch{Status: ptr("done")}, ticketcore.ErrInvalid},
		{ticketcore.Patch{Priority: ptr("asap")}, ticketcore.ErrInvalid},
	} {
		if _, err := h.svc.Change(ctx, "T-000001", "alice", c.p); !errors.Is(err, c.want) {
			t.Errorf("%+v: err = %v, want %v", c.p, err, c.want)
		}
	}
	if _, err := h.svc.Change(ctx, "T-999999", "alice", ticketcore.Patch{Status: ptr("open")}); !errors.Is(err, ticketcore.ErrNotFound) {
		t.Errorf("unknown ticket: %v", err)
	}
	if now := h.ticket("T-000001"); !reflect.DeepEqual(now, orig) {
		t.Errorf("ticket changed:\n%+v\n%+v", now, orig)
	}
}

func TestLifecycleTable(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{"new", "open", true}, {"new", "solved", true}, {"new", "closed", false},
		{"open", "pending", true}, {"pending", "on_hold", true}, {"on_hold", "open", true},
		{"solved", "open", true}, {"solved", "closed", true}, {"closed", "open", false},
		{"open", "new", false}, {"open", "open", true}, {"nope", "nope", false},
	} {
		if got := ticketcore.CanTransition(c.from, c.to); got != c.ok {
			t.Errorf("%s → %s: %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}

func TestReplyAndNote(t *testing.T) {
	ch := &fakeChannel{}
	h := newHarness(t, fakeExtractor{}, ch, nil)
	ctx := context.Background()
	h.send("e1", "u", "订单没发货")
	h.settled("T-000001")
	if _, err := h.svc.Note(ctx, "T-000001", "alice", "查了物流，仓库压单"); err != nil {
		t.Fatal(err)
	}
	e, err := h.svc.Reply(ctx, "T-000001", "alice", "已为您催促仓库，今天发出")
	if err != nil {
		t.Fatal(err)
	}
	tk := h.settled("T-000001")
	if tk.Status != ticketcore.StatusOpen {
		t.Errorf("status after first reply = %s", tk.Status)
	}
	sent := ch.attempts()
	if len(sent) != 2 || sent[1].ID != e.MessageID || sent[1].Text != "已为您催促仓库，今天发出" || sent[1].Kind != ticketcore.KindReply {
		t.Errorf("sent = %+v", sent)
	}
	for _, s := range sent {
		if s.Text == "查了物流，仓库压单" {
			t.Error("the note was sent to the customer")
		}
	}
	if notes := entriesOf(tk, ticketcore.EntryNote); len(notes) != 1 || notes[0].By != "alice" {
		t.Errorf("notes = %+v", notes)
	}
	if _, err := h.svc.Reply(ctx, "T-000001", "alice", "  "); !errors.Is(err, ticketcore.ErrInvalid) {
		t.Errorf("empty reply: %v", err)
	}
	for _, s := range []string{"solved", "closed"} {
		if _, err := h.svc.Change(ctx, "T-000001", "alice", ticketcore.Patch{Status: ptr(s)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.svc.Reply(ctx, "T-000001", "alice", "还在吗"); !errors.Is(err, ticketcore.ErrConflict) {
		t.Errorf("reply to a closed ticket: %v", err)
	}
	conv, _ := h.svc.Conversation(ctx, channels.API, "u")
	if len(conv) != 3 {
		t.Errorf("conversation has %d messages, want 3 (message, ack, reply)", len(conv))
	}
}

// A solved ticket cannot be reopened while its conversation has a newer
// active ticket; it can once that one is solved.
func TestReopenWithAnotherActiveTicket(t *testing.T) {
	// Reopening off: the customer writing again opens the newer ticket.
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, func(cfg *ticketcore.Config) { cfg.ReopenWindow = -1 })
	ctx := context.Background()
	h.send("e1", "u", "第一个问题")
	h.settled("T-000001")
	if _, err := h.svc.Change(ctx, "T-000001", "alice", ticketcore.Patch{Status: ptr("solved")}); err != nil {
		t.Fatal(err)
	}
	if tk := h.ticket("T-000001"); tk.SolvedAt.IsZero() {
		t.Error("SolvedAt not set")
	}
	h.send("e2", "u", "第二个问题")
	h.settled("T-000002")
	if _, err := h.svc.Change(ctx, "T-000001", "alice", ticketcore.Patch{Status: ptr("open")}); !errors.Is(err, ticketcore.ErrConflict) {
		t.Fatalf("reopen beside an active ticket: %v", err)
	}
	if _, err := h.svc.Change(ctx, "T-000002", "alice", ticketcore.Patch{Status: ptr("solved")}); err != nil {
		t.Fatal(err)
	}
	tk, err := h.svc.Change(ctx, "T-000001", "alice", ticketcore.Patch{Status: ptr("open")})
	if err != nil || !tk.SolvedAt.IsZero() {
		t.Fatalf("reopen: %v, SolvedAt %v", err, tk.SolvedAt)
	}
	h.send("e3", "u", "补充一下")
	h.eventually("the message joins the reopened ticket", func() bool {
		return len(entriesOf(h.ticket("T-000001"), ticketcore.EntryMessage)) == 2
	})
	if _, err := h.svc.Ticket(ctx, "T-000003"); !errors.Is(err, ticketcore.ErrNotFound) {
		t.Errorf("a third ticket was opened: %v", err)
	}
}
