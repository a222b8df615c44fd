package ticketcore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/ticketcore"
)

func TestChatDeskAgentFor(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	desk := d.svc.ChatDesk()
	for _, c := range []struct{ notifier, address, want string }{
		{"im", "li", "li"}, {"sms", "13800000012", "wang"}, {"im", "nobody", ""}, {"fax", "li", ""}, {"im", "", ""},
	} {
		got, err := desk.AgentFor(ctx, c.notifier, c.address)
		if got != c.want || (c.want == "") != errors.Is(err, channels.ErrNoAgent) {
			t.Errorf("AgentFor(%s, %q) = %q, %v; want %q", c.notifier, c.address, got, err, c.want)
		}
	}
	bare := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil).svc.ChatDesk()
	if _, err := bare.AgentFor(ctx, "im", "li"); !errors.Is(err, channels.ErrNoAgent) {
		t.Errorf("AgentFor without a desk: %v", err)
	}
	if _, err := bare.Claim(ctx, channels.Act{Ticket: "T-000001", Agent: "li"}); !errors.Is(err, channels.ErrNoAgent) {
		t.Errorf("Claim without a desk: %v", err)
	}
}

// An agent works a ticket from the chat: claims it, raises it, transfers
// it to another group by its display name, answers and solves it; the
// timeline names the agent, summaries show display names.
func TestChatDeskWorksATicket(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	desk := d.svc.ChatDesk()
	d.sendFrom("e1", "u1", "", "repair: 屏幕坏了")
	d.settled("T-000001")
	nobody := ""
	if _, err := d.svc.Change(ctx, "T-000001", "zhou", ticketcore.Patch{Assignee: &nobody}); err != nil {
		t.Fatal(err) // routing gave it to someone; the test starts from an unassigned ticket
	}
	sum, err := desk.Claim(ctx, channels.Act{Ticket: "T-000001", Agent: "wang"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ID != "T-000001" || sum.Status != ticketcore.StatusOpen || sum.Assignee != "王强" || sum.Group != "售后组" ||
		sum.Requester != "客户" || sum.Channel != channels.API || sum.Subject == "" || sum.DueAt.IsZero() {
		t.Errorf("after Claim: %+v", sum)
	}
	if _, err := desk.Claim(ctx, channels.Act{Ticket: "T-000001", Agent: "li"}); !errors.Is(err, ticketcore.ErrConflict) || !strings.Contains(err.Error(), "王强") {
		t.Errorf("a second agent's Claim: %v, want a conflict naming 王强", err)
	}
	if sum, err = desk.Claim(ctx, channels.Act{Ticket: "T-000001", Agent: "wang"}); err != nil || sum.Assignee != "王强" {
		t.Errorf("claiming one's own ticket again: %+v, %v", sum, err)
	}
	if sum, err = desk.SetPriority(ctx, channels.Act{Ticket: "T-000001", Agent: "wang"}, "High"); err != nil || sum.Priority != "high" {
		t.Errorf("SetPriority: %+v, %v", sum, err)
	}
	if _, err := desk.SetPriority(ctx, channels.Act{Ticket: "T-000001", Agent: "wang"}, "asap"); !errors.Is(err, ticketcore.ErrInvalid) || !strings.Contains(err.Error(), "urgent") {
		t.Errorf("an unknown priority: %v", err)
	}
	for _, name := range []string{"财务组", "finance"} {
		if sum, err = desk.Transfer(ctx, channels.Act{Ticket: "T-000001", Agent: "wang"}, name); err != nil || sum.Group != "财务组" || sum.Assignee != "" {
			t.Errorf("Transfer to %s: %+v, %v", name, sum, err)
		}
	}
	_, err = desk.Transfer(ctx, channels.Act{Ticket: "T-000001", Agent: "wang"}, "法务组")
	if !errors.Is(err, ticketcore.ErrInvalid) || !strings.Contains(err.Error(), "售后组 (after_sales)") || !strings.Contains(err.Error(), "财务组 (finance)") {
		t.Errorf("Transfer to an unknown group: %v", err)
	}
	if err := desk.Note(ctx, channels.Act{Ticket: "T-000001", Agent: "wang"}, "转财务核实"); err != nil {
		t.Fatal(err)
	}
	if err := desk.Reply(ctx, channels.Act{Ticket: "T-000001", Agent: "wang"}, "已转财务处理"); err != nil {
		t.Fatal(err)
	}
	if sum, err = desk.Solve(ctx, channels.Act{Ticket: "T-000001", Agent: "wang"}); err != nil || sum.Status != ticketcore.StatusSolved {
		t.Errorf("Solve: %+v, %v", sum, err)
	}
	tk := d.ticket("T-000001")
	if tk.Group != "finance" || tk.Assignee != "" || tk.Priority != "high" {
		t.Errorf("ticket = %+v", tk)
	}
	var changed []string
	for _, e := range tk.Timeline {
		if e.By == "wang" && e.Field != "sla" {
			changed = append(changed, e.Type+":"+e.Field)
		}
	}
	want := []string{"event:status", "event:assignee", "event:priority", "event:assignee", "event:group", "note:", "reply:", "event:status"}
	if !slices.Equal(changed, want) {
		t.Errorf("wang's entries %v, want %v", changed, want)
	}
}

// From a chat an agent assigns a ticket by display name, sets its status
// and merges it; the entries show the chat identity the agent acted as,
// and the channels that show tickets are told of each change.
func TestChatDeskAssignStatusMerge(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	desk := d.svc.ChatDesk()
	d.sendFrom("e1", "u1", "", "repair: 屏幕坏了")
	d.sendFrom("e2", "u2", "", "repair: 屏幕也坏了")
	d.settled("T-000001")
	d.settled("T-000002")
	act := func(key string) channels.Act {
		return channels.Act{Ticket: "T-000001", Agent: "wang", Key: key, Via: "slack:U_WANG"}
	}
	if sum, err := desk.Assign(ctx, act("k1"), "李敏"); err != nil || sum.Assignee != "李敏" {
		t.Errorf("Assign by display name: %+v, %v", sum, err)
	}
	if sum, err := desk.Assign(ctx, act("k2"), "@zhang"); err != nil || sum.Assignee != "张丽" {
		t.Errorf("Assign by @name, taking it from li: %+v, %v", sum, err)
	}
	if _, err := desk.Assign(ctx, act("k3"), "nobody"); !errors.Is(err, ticketcore.ErrInvalid) || !strings.Contains(err.Error(), "zhang") {
		t.Errorf("Assign to no agent: %v", err)
	}
	for _, c := range []struct{ in, want string }{{"Pending", "pending"}, {"on-hold", "on_hold"}, {"open", "open"}} {
		if sum, err := desk.SetStatus(ctx, act("s-"+c.in), c.in); err != nil || sum.Status != c.want {
			t.Errorf("SetStatus(%s): %+v, %v", c.in, sum, err)
		}
	}
	if _, err := desk.SetStatus(ctx, act("s-closed"), "closed"); !errors.Is(err, ticketcore.ErrInvalid) {
		t.Errorf("SetStatus(closed): %v", err)
	}
	if _, err := desk.Merge(ctx, act("m0"), "T-000001"); !errors.Is(err, ticketcore.ErrInvalid) {
		t.Errorf("Merge into itself: %v", err)
	}
	if _, err := desk.Merge(ctx, act("m1"), "T-000404"); !errors.Is(err, channels.ErrNoTicket) {
		t.Errorf("Merge into no ticket: %v", err)
	}
	for range 2 { // the second is a repeated act: nothing more happens
		if sum, err := desk.Merge(ctx, act("m2"), "T-000002"); err != nil || sum.ID != "T-000002" {
			t.Errorf("Merge: %+v, %v", sum, err)
		}
	}
	if tk := d.ticket("T-000001"); tk.MergedInto != "T-000002" || tk.Status != ticketcore.StatusClosed {
		t.Errorf("the merged ticket: merged into %q, %s", tk.MergedInto, tk.Status)
	}
	byWang := 0
	for _, e := range d.ticket("T-000001").Timeline {
		if e.By == "wang" {
			byWang++
			if e.Via != "slack:U_WANG" {
				t.Errorf("wang's %s %s entry via %q", e.Type, e.Field, e.Via)
			}
		} else if e.Via != "" {
			t.Errorf("an entry by %q via %q", e.By, e.Via)
		}
	}
	if byWang < 6 { // assignee ×2 (+ status), status ×3, merged
		t.Errorf("%d entries by wang", byWang)
	}
	d.eventually("the watchers told of both tickets", func() bool { return d.ch.watched("T-000001") && d.ch.watched("T-000002") })
}

// Every operation on a ticket that does not exist says so, wrapping
// channels.ErrNoTicket and ErrNotFound.
func TestChatDeskUnknownTicket(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	desk := d.svc.ChatDesk()
	missing := channels.Act{Ticket: "T-999999", Agent: "li"}
	for name, op := range map[string]func() error{
		"Reply":       func() error { return desk.Reply(ctx, missing, "hi") },
		"Note":        func() error { return desk.Note(ctx, missing, "hi") },
		"Claim":       func() error { _, err := desk.Claim(ctx, missing); return err },
		"Transfer":    func() error { _, err := desk.Transfer(ctx, missing, "finance"); return err },
		"SetPriority": func() error { _, err := desk.SetPriority(ctx, missing, "high"); return err },
		"Solve":       func() error { _, err := desk.Solve(ctx, channels.Act{Ticket: "bogus", Agent: "li"}); return err },
	} {
		err := op()
		if !errors.Is(err, channels.ErrNoTicket) || !errors.Is(err, ticketcore.ErrNotFound) || !strings.Contains(err.Error(), "no ticket") {
			t.Errorf("%s of an unknown ticket: %v", name, err)
		}
	}
	if _, err := desk.Claim(ctx, channels.Act{Ticket: "T-000001", Agent: "ghost"}); !errors.Is(err, channels.ErrNoAgent) {
		t.Errorf("Claim for someone not on the desk: %v", err)
	}
}

// A ticket that breached its SLA needs a breach reason; solving it from
// the chat says so, and where to give it.
func TestChatDeskSolveNeedsABreachReason(t *testing.T) {
	d := newDesk(t, at("2026-04-07 09:00:00"), nil)
	d.sendFrom("e1", "u1", "", "logistics: 我的快递到哪了")
	d.settled("T-000001")
	d.clock.Set(at("2026-04-07 13:00:01"))
	d.eventually("the breach", func() bool { return len(events(d.ticket("T-000001"), ticketcore.EventSLABreach)) == 1 })
	_, err := d.svc.ChatDesk().Solve(context.Background(), channels.Act{Ticket: "T-000001", Agent: "li"})
	if !errors.Is(err, ticketcore.ErrIncomplete) || !strings.Contains(err.Error(), "breach reason") || !strings.Contains(err.Error(), "web console") {
		t.Errorf("Solve of a breached ticket: %v", err)
	}
	if tk := d.ticket("T-000001"); tk.Status == ticketcore.StatusSolved {
		t.Error("the breached ticket was solved without a reason")
	}
}

// The queue lists the agent's active tickets in queue order, at most 20.
func TestChatDeskQueue(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	desk := d.svc.ChatDesk()
	for i := range 23 {
		d.sendFrom(fmt.Sprint("e", i), fmt.Sprint("u", i), "", "consult: 有货吗")
	}
	for i := 1; i <= 23; i++ {
		id := ticketcore.FormatTicketID(uint64(i))
		d.settled(id)
		agent := "li"
		if i == 23 {
			agent = "wang"
		}
		if _, err := d.svc.Change(ctx, id, "zhou", ticketcore.Patch{Assignee: &agent}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := desk.SetPriority(ctx, channels.Act{Ticket: "T-000017", Agent: "li"}, "urgent"); err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Solve(ctx, channels.Act{Ticket: "T-000002", Agent: "li"}); err != nil {
		t.Fatal(err)
	}
	queue, err := desk.Queue(ctx, "li")
	if err != nil {
		t.Fatal(err)
	}
	if len(queue) != 20 || queue[0].ID != "T-000017" {
		t.Fatalf("queue of %d starting %+v; want 20 starting with the urgent T-000017", len(queue), queue[0])
	}
	var tickets []ticketcore.Ticket
	for _, s := range queue {
		tk := d.ticket(s.ID)
		if tk.Assignee != "li" || !ticketcore.IsActive(tk.Status) {
			t.Errorf("%s (%s, %s) is in li's queue", tk.ID, tk.Assignee, tk.Status)
		}
		tickets = append(tickets, tk)
	}
	if !slices.IsSortedFunc(tickets, func(a, b ticketcore.Ticket) int {
		if ticketcore.QueueLess(a, b) {
			return -1
		}
		return 1
	}) {
		t.Errorf("queue not in queue order: %v", queue)
	}
	if _, err := desk.Queue(ctx, "ghost"); !errors.Is(err, channels.ErrNoAgent) {
		t.Errorf("the queue of someone not on the desk: %v", err)
	}
}

// An act's key makes a retried chat callback act once: the second reply
// with the same key writes nothing and sends nothing; another key does.
func TestChatDeskActKeys(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	desk := d.svc.ChatDesk()
	d.sendFrom("e1", "u1", "", "repair: 屏幕坏了")
	d.settled("T-000001")
	act := channels.Act{Ticket: "T-000001", Agent: "li", Key: "wecom/msg/7300000000000000001"}
	for range 2 {
		if err := desk.Reply(ctx, act, "已安排上门维修"); err != nil {
			t.Fatal(err)
		}
	}
	replies := func() int {
		n := 0
		for _, e := range d.ticket("T-000001").Timeline {
			if e.Type == ticketcore.EntryReply && e.By == "li" {
				n++
			}
		}
		return n
	}
	if n := replies(); n != 1 {
		t.Fatalf("%d replies from one chat message delivered twice", n)
	}
	act.Key = "wecom/msg/7300000000000000002"
	if err := desk.Reply(ctx, act, "已安排上门维修"); err != nil || replies() != 2 {
		t.Fatalf("another message with the same text: %v, %d replies", err, replies())
	}
	solve := channels.Act{Ticket: "T-000001", Agent: "li", Key: "wecom/msg/7300000000000000003"}
	if _, err := desk.Solve(ctx, solve); err != nil {
		t.Fatal(err)
	}
	if sum, err := desk.Solve(ctx, solve); err != nil || sum.Status != ticketcore.StatusSolved {
		t.Errorf("a repeated solve: %+v, %v; want the solved ticket and no error", sum, err)
	}
}

// Channels that show tickets hear of every committed change, whoever made
// it: here a ticket the inbox opened, which no agent operation touched.
func TestWatchersSeeEveryChange(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil)
	h.send("m1", "u1", "我要退款")
	h.eventually("the new ticket reaches the watchers", func() bool { return h.ch.watched("T-000001") })
}
