package ticketcore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/configs"
	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/notify"
	"github.com/loopdesk/loopdesk/ticketcore"
	"github.com/loopdesk/loopdesk/ticketcore/routing"
	"github.com/loopdesk/loopdesk/ticketcore/sla"
)

var shanghai = func() *time.Location { l, _ := time.LoadLocation("Asia/Shanghai"); return l }()

// clock is a clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// scripted reads a message as the intent and priority its text starts
// with ("refund/high: …"), with an order id when the text has one.
type scripted struct{}

func (scripted) Extract(_ context.Context, r nlu.Request) (nlu.Extraction, error) {
	head, _, _ := strings.Cut(r.Text, ":")
	intent, prio, _ := strings.Cut(head, "/")
	if prio == "" {
		prio = nlu.PriorityNormal
	}
	ex := nlu.Extraction{Intent: intent, Priority: prio, Lang: nlu.LangZH, Fields: map[string]string{}, Extractor: "scripted"}
	if strings.Contains(r.Text, "order") {
		ex.Fields[nlu.FieldOrderID] = "2026040312345678"
	}
	return ex, nil
}

// desk is a running Service on the embedded e-commerce desk, with the API
// channel and the im and sms notifiers faked.
type desk struct {
	*harness
	clock *clock
	im    *fakeChannel
	sms   *fakeChannel
}

func newDesk(t *testing.T, start time.Time, edit func(*ticketcore.DeskConfig)) *desk {
	t.Helper()
	return newDeskWith(t, start, edit, nil)
}

// newDeskWith is newDesk with mod applied to the Service's config last.
func newDeskWith(t *testing.T, start time.Time, edit func(*ticketcore.DeskConfig), mod func(*ticketcore.Config)) *desk {
	t.Helper()
	src, err := configs.FS.ReadFile(configs.Desk)
	if err != nil {
		t.Fatal(err)
	}
	var dc ticketcore.DeskConfig
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&dc); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&dc)
	}
	d, err := ticketcore.NewDesk(dc)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := ticketcore.ParseTemplates(configs.FS, "templates")
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: start}
	dk := &desk{clock: c, im: &fakeChannel{name: "notify.im"}, sms: &fakeChannel{name: "notify.sms"}}
	dk.harness = startService(t, scripted{}, &fakeChannel{}, func(cfg *ticketcore.Config) {
		cfg.Desk, cfg.Now, cfg.Templates, cfg.Notifiers = d, c.Now, tmpl, []string{"im", "sms"}
		if mod != nil {
			mod(cfg)
		}
	}, dk.im, dk.sms)
	return dk
}

// sendFrom sends text from a customer with a phone the API vouches for.
func (d *desk) sendFrom(external, thread, phone, text string) {
	d.t.Helper()
	_, err := d.svc.HandleMessage(context.Background(), channels.Message{Channel: channels.API,
		ExternalID: external, Thread: thread, From: channels.Party{ID: thread, Name: "客户", Phone: phone, Verified: phone != ""}, Text: text})
	if err != nil {
		d.t.Fatal(err)
	}
}

// notices are the texts a fake notifier channel was asked to send to agent.
func notices(ch *fakeChannel, agent string) []channels.Outbound {
	var out []channels.Outbound
	for _, o := range ch.attempts() {
		if o.To.ID == agent {
			out = append(out, o)
		}
	}
	return out
}

func events(t ticketcore.Ticket, event string) []ticketcore.Entry {
	var out []ticketcore.Entry
	for _, e := range t.Timeline {
		if e.Type == ticketcore.EntryEvent && e.Event == event {
			out = append(out, e)
		}
	}
	return out
}

func target(t *testing.T, tk ticketcore.Ticket, name string) sla.Target {
	t.Helper()
	if tk.SLA == nil {
		t.Fatalf("%s has no SLA", tk.ID)
	}
	tg, ok := tk.SLA.Target(name)
	if !ok {
		t.Fatalf("%s has no SLA target %s: %+v", tk.ID, name, tk.SLA)
	}
	return tg
}

func at(s string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// A VIP's refund at 17:55 on the Friday before Qingming (Sat 4 – Mon 6
// April 2026 off) lands in after-sales with the rules' priority and
// assignee, and its clocks run on business hours: due on Tuesday.
func TestVIPRefundIsRoutedOnBusinessHours(t *testing.T) {
	d := newDesk(t, at("2026-04-01 10:00:00"), nil)
	ctx := context.Background()
	d.sendFrom("e0", "u-vip", "13800138000", "consult: 你们支持7天无理由吗")
	first := d.settled("T-000001")
	if _, err := d.svc.ChangeContact(ctx, first.ContactID, ticketcore.ContactPatch{Tier: ptr("vip")}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.Change(ctx, "T-000001", "zhao", ticketcore.Patch{Status: ptr("solved")}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.Change(ctx, "T-000001", "zhao", ticketcore.Patch{Status: ptr("closed")}); err != nil {
		t.Fatal(err) // closed: the next message opens a ticket of its own
	}
	d.clock.Set(at("2026-04-03 17:55:00"))
	d.sendFrom("e1", "u-vip", "13800138000", "refund: 订单 order 到了是坏的，要退款")
	tk := d.settled("T-000002")
	if tk.ContactID != first.ContactID || tk.Group != "after_sales" || tk.Priority != "high" ||
		tk.Assignee != "li" || tk.Type != "refund" || tk.Stage != "after_sales_review" || !slices.Contains(tk.Tags, "vip") {
		t.Fatalf("ticket = %+v", tk)
	}
	if tk.SLA.Policy != "vip" {
		t.Errorf("policy %s, want vip", tk.SLA.Policy)
	}
	for name, due := range map[string]string{
		sla.FirstResponse:                      "2026-04-07 09:55:00", // 5 min on Friday, 55 on Tuesday
		sla.Resolution:                         "2026-04-08 17:55:00", // 18 business hours
		sla.StagePrefix + "after_sales_review": "2026-04-07 12:55:00",
	} {
		if got := target(t, tk, name).Due; !got.Equal(at(due)) {
			t.Errorf("%s due %s, want %s", name, got.In(shanghai), due)
		}
	}
	if !tk.DueAt.Equal(at("2026-04-07 09:55:00")) {
		t.Errorf("due_at %s", tk.DueAt.In(shanghai))
	}
	var reasons []string
	for _, e := range tk.Timeline {
		reasons = append(reasons, e.Event+":"+e.Field+":"+e.Reason)
	}
	joined := strings.Join(reasons, "\n")
	for _, want := range []string{"routed::rules matched: vip-refund", "changed:priority:rules: vip-refund", "changed:assignee:"} {
		if !strings.Contains(joined, want) {
			t.Errorf("timeline lacks %q:\n%s", want, joined)
		}
	}
	d.eventually("the lead hears of the VIP refund", func() bool { return len(notices(d.im, "zhou")) > 0 })
	if n := notices(d.im, "zhou")[0]; !strings.Contains(n.Text, "T-000002") || n.TicketID != "T-000002" {
		t.Errorf("notice = %+v", n)
	}
}

// A pending ticket's clock stops: the time waiting on the customer does
// not count.
func TestPendingPausesTheClock(t *testing.T) {
	d := newDesk(t, at("2026-04-07 09:00:00"), nil)
	ctx := context.Background()
	d.sendFrom("e1", "u1", "", "logistics: 我的快递到哪了")
	tk := d.settled("T-000001")
	due := target(t, tk, sla.FirstResponse).Due // standard: 4 business hours → 13:00
	if !due.Equal(at("2026-04-07 13:00:00")) {
		t.Fatalf("first response due %s", due.In(shanghai))
	}
	d.clock.Set(at("2026-04-07 10:00:00"))
	if _, err := d.svc.Change(ctx, "T-000001", "li", ticketcore.Patch{Status: ptr("pending")}); err != nil {
		t.Fatal(err)
	}
	if d.ticket("T-000001").DueAt.IsZero() == false {
		t.Error("a pending ticket still has a due time")
	}
	d.clock.Set(at("2026-04-08 10:00:00")) // a whole business day waiting on the customer
	d.sendFrom("e2", "u1", "", "logistics: 单号是多少")
	d.eventually("the customer's message reopens the ticket", func() bool { return d.ticket("T-000001").Status == "open" })
	if got := target(t, d.ticket("T-000001"), sla.FirstResponse).Due; !got.Equal(at("2026-04-08 13:00:00")) {
		t.Errorf("after the pause, due %s, want 2026-04-08 13:00", got.In(shanghai))
	}
}

// Warnings and breaches are announced once each; a breached ticket needs a
// breach reason to be solved.
func TestBreachNeedsAReason(t *testing.T) {
	d := newDesk(t, at("2026-04-07 09:00:00"), nil)
	ctx := context.Background()
	d.sendFrom("e1", "u1", "", "logistics: 我的快递到哪了")
	d.settled("T-000001")
	d.clock.Set(at("2026-04-07 12:00:00")) // 75% of 4h
	d.eventually("the warning", func() bool { return len(events(d.ticket("T-000001"), ticketcore.EventSLAWarning)) == 1 })
	d.clock.Set(at("2026-04-07 13:00:01"))
	d.eventually("the breach", func() bool { return len(events(d.ticket("T-000001"), ticketcore.EventSLABreach)) == 1 })
	d.clock.Advance(time.Hour)
	if _, err := d.svc.Change(ctx, "T-000001", "li", ticketcore.Patch{Status: ptr("solved")}); !errors.Is(err, ticketcore.ErrIncomplete) {
		t.Fatalf("solve without a reason: %v", err)
	}
	tk, err := d.svc.Change(ctx, "T-000001", "li", ticketcore.Patch{Status: ptr("solved"), BreachReason: ptr("仓库系统故障")})
	if err != nil || tk.Status != "solved" {
		t.Fatalf("solve with a reason: %v", err)
	}
	tk = d.ticket("T-000001")
	if w, b := len(events(tk, ticketcore.EventSLAWarning)), len(events(tk, ticketcore.EventSLABreach)); w != 1 || b != 1 {
		t.Errorf("%d warnings and %d breaches, want one each", w, b)
	}
}

// A refund passes after-sales → finance → after-sales: each hand-off checks
// the stage's required fields, moves the ticket to the next group, and
// tells the customer where it is.
func TestRefundStages(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	d.sendFrom("e1", "u1", "", "refund: 不想要了，退款吧，转人工") // no order number, and no questions: a person
	tk := d.settled("T-000001")
	if tk.Stage != "after_sales_review" || tk.Group != "after_sales" {
		t.Fatalf("ticket = %+v", tk)
	}
	if _, err := d.svc.CompleteStage(ctx, "T-000001", "li", nil); !errors.Is(err, ticketcore.ErrIncomplete) || !strings.Contains(err.Error(), "order_id") {
		t.Fatalf("complete without order_id: %v", err)
	}
	tk, err := d.svc.CompleteStage(ctx, "T-000001", "li", map[string]string{"order_id": "2026040712345678"})
	if err != nil || tk.Stage != "finance_refund" || tk.Group != "finance" || (tk.Assignee != "qian" && tk.Assignee != "sun") {
		t.Fatalf("after the first stage: %+v %v", tk, err)
	}
	if _, err := d.svc.CompleteStage(ctx, "T-000001", tk.Assignee, nil); !errors.Is(err, ticketcore.ErrIncomplete) {
		t.Fatalf("finance without refund_amount: %v", err)
	}
	tk, err = d.svc.CompleteStage(ctx, "T-000001", tk.Assignee, map[string]string{"refund_amount": "129.00"})
	if err != nil || tk.Stage != "after_sales_confirm" || tk.Group != "after_sales" {
		t.Fatalf("after finance: %+v %v", tk, err)
	}
	tk, err = d.svc.CompleteStage(ctx, "T-000001", tk.Assignee, nil)
	if err != nil || tk.Stage != "" || tk.Status != "solved" {
		t.Fatalf("after the last stage: %+v %v", tk, err)
	}
	tk = d.settled("T-000001")
	if h := events(tk, ticketcore.EventHandoff); len(h) != 2 || h[0].After != "finance" || h[1].After != "after_sales" {
		t.Errorf("hand-offs: %+v", h)
	}
	var progress []string
	for _, o := range d.ch.attempts() {
		if o.Kind == ticketcore.KindProgress {
			progress = append(progress, o.Text)
		}
	}
	if len(progress) != 2 || !strings.Contains(progress[0], "已转财务处理") || !strings.Contains(progress[1], "已为您办理退款") {
		t.Errorf("progress messages to the customer: %q", progress)
	}
}

// Ten customers' tickets merged into one: one reply reaches each of them
// on their own thread; unmerging gives each its ticket back.
func TestMergeTenAndUnmerge(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	for i := range 10 {
		d.sendFrom(fmt.Sprint("e", i), fmt.Sprint("u", i), "", "repair: 全部门店收银机都打不开了")
	}
	for i := 2; i <= 10; i++ {
		d.settled(ticketcore.FormatTicketID(uint64(i)))
		if _, err := d.svc.Merge(ctx, ticketcore.FormatTicketID(uint64(i)), "T-000001", "zhou"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.svc.Reply(ctx, "T-000001", "li", "系统已恢复，请重启收银机"); err != nil {
		t.Fatal(err)
	}
	threads := map[string]int{}
	d.eventually("the reply reaches ten customers", func() bool {
		clear(threads)
		for _, o := range d.ch.attempts() {
			if o.Kind == ticketcore.KindReply {
				threads[o.Thread]++
			}
		}
		return len(threads) == 10
	})
	for th, n := range threads {
		if n != 1 {
			t.Errorf("thread %s got the reply %d times", th, n)
		}
	}
	d.sendFrom("e-late", d.ticket("T-000005").Thread, "", "repair: 我这里还是不行")
	d.eventually("a merged customer's message lands on the parent", func() bool {
		return len(entriesOf(d.ticket("T-000001"), ticketcore.EntryMessage)) == 2
	})
	child, err := d.svc.Unmerge(ctx, "T-000008", "zhou")
	if err != nil || child.Status == "closed" || child.MergedInto != "" {
		t.Fatalf("unmerge: %+v %v", child, err)
	}
	d.sendFrom("e-after", child.Thread, "", "repair: 现在呢") // tickets are numbered in filing order, not sending order
	d.eventually("after unmerging, the customer's messages go to their own ticket", func() bool {
		return len(entriesOf(d.ticket("T-000008"), ticketcore.EntryMessage)) == 2
	})
	if n := len(d.ticket("T-000001").Conversations); n != 8 {
		t.Errorf("the parent keeps %d conversations, want 8", n)
	}
}

// A customer who writes three times while waiting raises the priority; a
// VIP waiting past half the first-response time makes the ticket urgent,
// which pages the assignee on both urgent notifiers, again and then to
// the lead until someone acknowledges.
func TestEscalationsAndPages(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	d.sendFrom("e1", "u1", "", "logistics: 快递呢")
	d.settled("T-000001")
	d.sendFrom("e2", "u1", "", "logistics: 在吗")
	d.sendFrom("e3", "u1", "", "logistics: 人呢")
	d.eventually("the third message raises the priority", func() bool { return d.ticket("T-000001").Priority == "high" })
	esc := d.ticket("T-000001")
	if e := entriesOf(esc, ticketcore.EntryEvent); !slices.ContainsFunc(e, func(e ticketcore.Entry) bool {
		return e.By == ticketcore.ByEscalation && strings.Contains(e.Reason, "customer-chasing")
	}) {
		t.Errorf("no escalation event with its reason: %+v", e)
	}

	d.sendFrom("v0", "vip", "13900139000", "consult: hi")
	vip := d.settled("T-000002")
	if _, err := d.svc.ChangeContact(ctx, vip.ContactID, ticketcore.ContactPatch{Tier: ptr("vip")}); err != nil {
		t.Fatal(err)
	}
	d.svc.Change(ctx, "T-000002", "zhao", ticketcore.Patch{Status: ptr("solved")})
	d.svc.Change(ctx, "T-000002", "zhao", ticketcore.Patch{Status: ptr("closed")}) // the next message opens a ticket
	d.sendFrom("v1", "vip", "13900139000", "logistics: 我的货呢")
	tk := d.settled("T-000003") // vip policy: first response in 1h
	d.clock.Advance(31 * time.Minute)
	d.eventually("half the SLA makes it urgent", func() bool { return d.ticket("T-000003").Priority == "urgent" })
	if tk := d.ticket("T-000003"); len(events(tk, ticketcore.EventSLABreach)) > 0 || !target(t, tk, sla.FirstResponse).Due.After(d.clock.Now()) {
		t.Errorf("becoming urgent breached the ticket at once: %+v", tk.SLA)
	}
	assignee := d.ticket("T-000003").Assignee
	d.eventually("the assignee is paged on sms and im at once", func() bool {
		return len(notices(d.sms, assignee)) >= 1 && len(notices(d.im, assignee)) >= 1
	})
	d.clock.Advance(16 * time.Minute) // past escalate_after (15m), past repeat_after (5m)
	d.eventually("the page goes to the lead", func() bool { return len(events(d.ticket("T-000003"), "page_escalated")) == 1 })
	if _, err := d.svc.Note(ctx, "T-000003", assignee, "在处理了"); err != nil {
		t.Fatal(err)
	}
	d.eventually("acknowledged", func() bool { return len(events(d.ticket("T-000003"), "page_acked")) >= 1 })
	_ = tk
}

func TestMentionsNotify(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	d.sendFrom("e1", "u1", "", "billing: 发票抬头错了")
	d.settled("T-000001")
	e, err := d.svc.Note(context.Background(), "T-000001", "qian", "@zhou 这个客户上次也开错了，请看一下")
	if err != nil || !slices.Equal(e.Mentions, []string{"zhou"}) {
		t.Fatalf("note: %+v %v", e, err)
	}
	d.eventually("zhou hears of the mention", func() bool {
		return slices.ContainsFunc(notices(d.im, "zhou"), func(o channels.Outbound) bool { return strings.Contains(o.Text, "提到了你") })
	})
}

// Identities of one person across channels become one contact when a
// verified phone matches.
func TestContactsLinkByVerifiedPhone(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	d.sendFrom("e1", "app-user-1", "+86 138-0013-8000", "consult: 有货吗")
	a := d.settled("T-000001")
	_, err := d.svc.HandleMessage(context.Background(), channels.Message{Channel: channels.Email, ExternalID: "<m1@x>",
		Thread: "m1", From: channels.Party{ID: "wf@example.com", Email: "wf@example.com", Phone: "13800138000", Verified: true}, Text: "consult: 邮件问一下"})
	if err != nil {
		t.Fatal(err)
	}
	d.svc.Attach(&fakeChannel{name: channels.Email})
	b := d.settled("T-000002")
	if a.ContactID == "" || a.ContactID != b.ContactID {
		t.Fatalf("contacts %q and %q", a.ContactID, b.ContactID)
	}
	c, _ := d.svc.Contact(context.Background(), a.ContactID)
	if len(c.Identities) != 2 || !slices.Equal(c.Phones, []string{"13800138000"}) {
		t.Errorf("contact = %+v", c)
	}
	// Anyone can type a number into a web form: unverified, it links nobody.
	_, err = d.svc.HandleMessage(context.Background(), channels.Message{Channel: channels.API, ExternalID: "e3",
		Thread: "stranger", From: channels.Party{ID: "stranger", Phone: "13800138000"}, Text: "consult: 我是VIP"})
	if err != nil {
		t.Fatal(err)
	}
	if s := d.settled("T-000003"); s.ContactID == a.ContactID {
		t.Error("an unverified phone linked a stranger to the contact")
	}
}

func TestAvailabilityComesBack(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	if err := d.svc.SetAvailable(ctx, "li", false); err != nil {
		t.Fatal(err)
	}
	if err := d.svc.SetAvailable(ctx, "li", true); err != nil {
		t.Fatal(err)
	}
	agents, _ := d.svc.Agents(ctx)
	for _, a := range agents {
		if a.Name == "li" && !a.Available {
			t.Error("li is still away after coming back")
		}
	}
	d.sendFrom("e1", "u1", "", "repair: 屏幕坏了")
	if tk := d.settled("T-000001"); tk.Assignee != "li" {
		t.Errorf("assignee %q, want li (first in round robin, available again)", tk.Assignee)
	}
}

// A stored due time earlier than the calendar says (the calendar was
// edited) neither breaches early nor spins: the timer moves to the real
// moment.
func TestStaleDueTimeMovesOn(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	d.sendFrom("e1", "u1", "", "logistics: 快递呢")
	tk := d.settled("T-000001")
	stale := at("2026-04-07 10:30:00") // the real first-response due is 14:00
	err := d.store.Update(context.Background(), func(tx ticketcore.Tx) error {
		for i := range tk.SLA.Targets {
			if tk.SLA.Targets[i].Name == sla.FirstResponse {
				tk.SLA.Targets[i].Due = stale
			}
		}
		tk.Timeline = nil
		if err := tx.UpdateTicket(tk); err != nil {
			return err
		}
		return tx.ScheduleTimer(ticketcore.Timer{ID: "sla:T-000001", Kind: "sla", TicketID: "T-000001", Due: stale})
	})
	if err != nil {
		t.Fatal(err)
	}
	d.clock.Set(at("2026-04-07 10:31:00"))
	d.eventually("the timer moves to the real due time", func() bool {
		got := target(t, d.ticket("T-000001"), sla.FirstResponse).Due
		return got.Equal(at("2026-04-07 14:00:00"))
	})
	if n := len(events(d.ticket("T-000001"), ticketcore.EventSLABreach)); n != 0 {
		t.Errorf("%d breaches from a stale due time", n)
	}
}

// A ticket waiting on a third party keeps its clocks stopped even when the
// customer writes or a stage starts.
func TestOnHoldKeepsClocksStopped(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	d.sendFrom("e1", "u1", "", "repair: 坏了")
	d.settled("T-000001")
	d.svc.Reply(ctx, "T-000001", "li", "已联系厂家")
	d.svc.Change(ctx, "T-000001", "li", ticketcore.Patch{Status: ptr("on_hold")})
	d.sendFrom("e2", "u1", "", "repair: 进展如何")
	d.eventually("filed", func() bool { return len(entriesOf(d.ticket("T-000001"), ticketcore.EntryMessage)) == 2 })
	tk := d.ticket("T-000001")
	if nr := target(t, tk, sla.NextResponse); nr.Running() || tk.DueAt != (time.Time{}) {
		t.Errorf("on hold, next response running=%v due_at=%v", nr.Running(), tk.DueAt)
	}
}

// Merging: a ticket others were merged into is not merged on; a ticket of
// the parent's own thread does not double the replies; the child's pages
// end; unmerging restores the child's resolution clock.
func TestMergeEdges(t *testing.T) {
	// Reopening off: the solved ticket's customer writing again opens a second ticket.
	d := newDeskWith(t, at("2026-04-07 10:00:00"), nil, func(cfg *ticketcore.Config) { cfg.ReopenWindow = -1 })
	ctx := context.Background()
	d.sendFrom("a", "ua", "", "repair: a")
	d.settled("T-000001")
	d.svc.Change(ctx, "T-000001", "li", ticketcore.Patch{Status: ptr("solved")})
	d.sendFrom("a2", "ua", "", "repair: a again")
	d.settled("T-000002")
	if _, err := d.svc.Merge(ctx, "T-000001", "T-000002", "zhou"); err != nil {
		t.Fatal(err)
	}
	if n := len(d.ticket("T-000002").Conversations); n != 0 {
		t.Errorf("merging the parent's own thread added %d conversations", n)
	}
	d.sendFrom("b", "ub", "", "repair/urgent: 门店全停了")
	d.sendFrom("c", "uc", "", "repair: c")
	b, c := d.settled("T-000003"), d.settled("T-000004")
	if _, err := d.svc.Merge(ctx, c.ID, b.ID, "zhou"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.svc.Merge(ctx, b.ID, "T-000002", "zhou"); !errors.Is(err, ticketcore.ErrConflict) {
		t.Errorf("merging a parent: %v", err)
	}
	if _, err := d.svc.Merge(ctx, b.ID, "T-000004", "zhou"); !errors.Is(err, ticketcore.ErrConflict) {
		t.Errorf("merging into a merged ticket: %v", err)
	}
	d.sendFrom("e", "ue", "", "repair/urgent: 仓库也停了")
	e := d.settled("T-000005")
	if _, err := d.svc.Merge(ctx, e.ID, b.ID, "zhou"); err != nil {
		t.Fatal(err)
	}
	d.clock.Advance(time.Hour)
	d.eventually("pages and timers settle", func() bool { return len(events(d.ticket(e.ID), "page_acked")) >= 1 })
	if n := len(events(d.ticket(e.ID), "page_repeated")); n != 0 {
		t.Errorf("a merged ticket's page was repeated %d times", n)
	}
	child, err := d.svc.Unmerge(ctx, e.ID, "zhou")
	if err != nil {
		t.Fatal(err)
	}
	if r := target(t, child, sla.Resolution); !r.Running() || r.Met() {
		t.Errorf("after unmerge the resolution clock is %+v", r)
	}
}

// A target that ran out before its timer fired still needs a breach reason
// to solve the ticket, and the breach is recorded.
func TestOverdueBreachIsCaughtUp(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	ctx := context.Background()
	d.sendFrom("e1", "u1", "", "logistics: 快递呢")
	d.settled("T-000001")
	err := d.store.Update(ctx, func(tx ticketcore.Tx) error { return tx.DeleteTimer("sla:T-000001") })
	if err != nil {
		t.Fatal(err)
	}
	d.clock.Set(at("2026-04-08 10:00:00")) // a day late, no timer to say so
	if _, err := d.svc.Change(ctx, "T-000001", "li", ticketcore.Patch{Status: ptr("solved")}); !errors.Is(err, ticketcore.ErrIncomplete) {
		t.Fatalf("solving an overdue ticket without a reason: %v", err)
	}
	if _, err := d.svc.Reply(ctx, "T-000001", "li", "抱歉久等"); err != nil {
		t.Fatal(err)
	}
	if n := len(events(d.ticket("T-000001"), ticketcore.EventSLABreach)); n != 1 {
		t.Errorf("%d breach events, want 1", n)
	}
}

// Two pages opened in one transaction (an urgent rule and the urgent
// notifier) are two pages.
func TestPagesHaveTheirOwnIDs(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	d.sendFrom("e1", "u1", "", "repair/urgent: 全部收银机坏了")
	tk := d.settled("T-000001")
	var ids []string
	for _, e := range events(tk, "paged") {
		id, _, _ := strings.Cut(strings.TrimPrefix(e.Reason, "page "), " ")
		if slices.Contains(ids, id) {
			t.Errorf("page id %s used twice", id)
		}
		ids = append(ids, id)
	}
	if len(ids) != 2 {
		t.Errorf("%d pages, want 2 (the urgent rule and the urgent notifiers): %v", len(ids), ids)
	}
}

func TestDuplicateStageNamesRejected(t *testing.T) {
	dc := ticketcore.DeskConfig{Types: []ticketcore.TypeConfig{{Name: "refund", Stages: []ticketcore.StageConfig{
		{Name: "after_sales", Group: "g"}, {Name: "finance", Group: "g"}, {Name: "after_sales", Group: "g"}}}}}
	dc.Groups = []routing.Group{{Name: "g", Members: []string{"ann"}}}
	dc.Agents = []routing.Agent{{Name: "ann"}}
	_, err := ticketcore.NewDesk(dc)
	if err == nil || !strings.Contains(err.Error(), "a name of its own") {
		t.Errorf("err = %v", err)
	}
	dc.Types[0].Stages[2].Name = "after_sales_confirm"
	if _, err := ticketcore.NewDesk(dc); err != nil {
		t.Errorf("distinct names: %v", err)
	}
}

// The type limit looks at the content, not only at what the sender says.
func TestAttachmentTypeIsSniffed(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, func(c *ticketcore.Config) {
		c.Attachments = ticketcore.AttachmentLimits{Types: []string{"image/*"}}
	})
	h.send("e1", "u", "看图")
	h.settled("T-000001")
	ctx := context.Background()
	page := channels.Attachment{Filename: "x.png", ContentType: "image/png", Data: []byte("<html><script>alert(1)</script></html>")}
	if _, err := h.svc.AddAttachment(ctx, "T-000001", "alice", page, ""); !errors.Is(err, ticketcore.ErrInvalid) {
		t.Errorf("a web page declared as an image: %v", err)
	}
	png := channels.Attachment{Filename: "y.png", ContentType: "image/png", Data: append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)}
	e, err := h.svc.AddAttachment(ctx, "T-000001", "alice", png, "")
	if err != nil || len(e.Attachments) != 1 {
		t.Fatalf("a real image: %+v %v", e, err)
	}
	ref, data, err := h.svc.Attachment(ctx, "T-000001", e.Attachments[0].SHA256)
	if err != nil || ref.Filename != "y.png" || len(data) != len(png.Data) {
		t.Errorf("read back: %+v %d %v", ref, len(data), err)
	}
}

// A channel's group (mail to the after-sales mailbox) is the new ticket's
// group whatever the rules chose; a group the desk does not have is
// ignored and the rules decide.
func TestChannelGroupStartsTheTicket(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	for i, c := range []struct{ group, text, want string }{
		{"finance", "consult: 你们几点下班", "finance"},        // the rules say presales
		{"", "consult: 你们几点下班", "presales"},              // no channel group: the rules
		{"no_such_group", "repair: 屏幕坏了", "after_sales"}, // ignored: the rules decide
	} {
		id := ticketcore.FormatTicketID(uint64(i + 1))
		msg := channels.Message{Channel: channels.Email, ExternalID: fmt.Sprint("g", i), Thread: fmt.Sprint("t", i),
			From: channels.Party{ID: fmt.Sprint("u", i)}, Text: c.text, Group: c.group}
		if _, err := d.svc.HandleMessage(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
		if tk := d.settled(id); tk.Group != c.want || tk.Assignee == "" {
			t.Errorf("%s with group %q: in %q (assignee %q), want %q", c.text, c.group, tk.Group, tk.Assignee, c.want)
		}
	}
}

// The assignee hears when their customer writes again (on the desk's
// notify.via), with what the customer wrote.
func TestAssigneeHearsTheCustomer(t *testing.T) {
	d := newDesk(t, at("2026-04-07 10:00:00"), nil)
	d.sendFrom("e1", "u1", "", "repair: 屏幕坏了")
	tk := d.settled("T-000001")
	if tk.Assignee == "" {
		t.Fatal("the ticket was not assigned")
	}
	d.sendFrom("e2", "u1", "", "修好了吗？")
	d.eventually("the assignee hears the customer", func() bool {
		return slices.ContainsFunc(notices(d.im, tk.Assignee), func(o channels.Outbound) bool {
			return o.Meta[notify.MetaKind] == notify.KindCustomerMessage && strings.Contains(o.Text, "修好了吗？")
		})
	})
}

// An attachment the channel could not fetch (too large, expired at the
// vendor) arrives without content: the ticket gets a note saying why,
// and no file.
func TestAttachmentNotFetchedIsANote(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil)
	msg := channels.Message{Channel: channels.Email, ExternalID: "big-1", Thread: "u", From: channels.Party{ID: "u"},
		Text: "发票在附件里", Attachments: []channels.Attachment{{Filename: "发票.pdf", ContentType: "application/pdf",
			Size: 40 << 20, NotFetched: "over the mailbox's limit of 20 MiB"}}}
	if _, err := h.svc.HandleMessage(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	tk := h.settled("T-000001")
	var notes []string
	for _, e := range tk.Timeline {
		if e.Type == ticketcore.EntryNote {
			notes = append(notes, e.Text)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "发票.pdf") || !strings.Contains(notes[0], "over the mailbox's limit of 20 MiB") {
		t.Errorf("notes %q, want one saying 发票.pdf was not kept and why", notes)
	}
	var m []ticketcore.Message
	h.store.View(context.Background(), func(tx ticketcore.ReadTx) error {
		m, _ = tx.Conversation(channels.Email, "u")
		return nil
	})
	if len(m) == 0 || len(m[0].Attachments) != 1 || m[0].Attachments[0].SHA256 != "" || m[0].Attachments[0].Size != 40<<20 {
		t.Errorf("stored attachment %+v, want no content and the size the channel gave", m)
	}
}
