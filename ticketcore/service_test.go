package ticketcore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/ticketcore"
	"github.com/loopdesk/loopdesk/ticketcore/boltstore"
)

// fakeChannel records what it is asked to send and fails as told.
type fakeChannel struct {
	name    string // defaults to the API channel
	mu      sync.Mutex
	sent    []channels.Outbound
	fails   func(out channels.Outbound) error
	changed []string // tickets the core said changed (channels.TicketWatcher)
}

func (c *fakeChannel) TicketChanged(_ context.Context, ticketID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changed = append(c.changed, ticketID)
}

func (c *fakeChannel) watched(ticketID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.changed, ticketID)
}

func (c *fakeChannel) Name() string {
	if c.name == "" {
		return channels.API
	}
	return c.name
}

func (c *fakeChannel) Send(_ context.Context, out channels.Outbound) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, out)
	if c.fails != nil {
		return c.fails(out)
	}
	return nil
}

func (c *fakeChannel) attempts() []channels.Outbound {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sent)
}

// memBlobs is a blob store in memory.
type memBlobs struct {
	mu   sync.Mutex
	data map[string][]byte
}

func newMemBlobs() *memBlobs { return &memBlobs{data: map[string][]byte{}} }

func (b *memBlobs) Put(_ context.Context, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:])
	b.mu.Lock()
	defer b.mu.Unlock()
	b.data[id] = slices.Clone(data)
	return id, nil
}

func (b *memBlobs) Get(_ context.Context, id string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d, ok := b.data[id]; ok {
		return d, nil
	}
	return nil, fmt.Errorf("blob %s: %w", id, ticketcore.ErrNotFound)
}

// fakeExtractor reads every message as a refund with an order id, or fails.
type fakeExtractor struct{ err error }

func (e fakeExtractor) Extract(_ context.Context, req nlu.Request) (nlu.Extraction, error) {
	if e.err != nil {
		return nlu.Extraction{}, e.err
	}
	return nlu.Extraction{Intent: nlu.IntentRefund, Priority: nlu.PriorityHigh,
		Fields: map[string]string{nlu.FieldOrderID: "2026112500012345"}, Lang: nlu.DetectLang(req.Text),
		Extractor: "fake", Reasons: []string{"H1 test"}}, nil
}

var templates = fstest.MapFS{
	"t/ack.zh.tmpl": {Data: []byte("已收到您的问题，工单号 {{.TicketID}}。")},
	"t/ack.en.tmpl": {Data: []byte("Received; your ticket is {{.TicketID}}.")},
}

type harness struct {
	t     *testing.T
	svc   *ticketcore.Service
	store *boltstore.Store
	ch    *fakeChannel
	stop  func()
}

func newHarness(t *testing.T, ext nlu.Extractor, ch *fakeChannel, mod func(*ticketcore.Config)) *harness {
	t.Helper()
	return startService(t, ext, ch, mod)
}

// startService runs a Service on a fresh bolt store with ch and more
// channels attached.
func startService(t *testing.T, ext nlu.Extractor, ch *fakeChannel, mod func(*ticketcore.Config), more ...*fakeChannel) *harness {
	t.Helper()
	store, err := boltstore.Open(boltstore.Config{Path: filepath.Join(t.TempDir(), "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := ticketcore.ParseTemplates(templates, "t")
	if err != nil {
		t.Fatal(err)
	}
	cfg := ticketcore.Config{Templates: tmpl, Blobs: newMemBlobs(), Logger: slog.New(slog.DiscardHandler), PollInterval: 5 * time.Millisecond,
		Delivery: ticketcore.DeliveryConfig{Backoff: time.Millisecond, MaxBackoff: time.Millisecond, MaxAttempts: 3}}
	if mod != nil {
		mod(&cfg)
	}
	svc, err := ticketcore.New(cfg, store, ext)
	if err != nil {
		t.Fatal(err)
	}
	svc.Attach(ch)
	for _, c := range more {
		svc.Attach(c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx) }()
	h := &harness{t: t, svc: svc, store: store, ch: ch}
	h.stop = sync.OnceFunc(func() { cancel(); <-done; store.Close() })
	t.Cleanup(h.stop)
	return h
}

func (h *harness) send(external, thread, text string) channels.Receipt {
	h.t.Helper()
	r, err := h.svc.HandleMessage(context.Background(), channels.Message{Channel: channels.API,
		ExternalID: external, Thread: thread, From: channels.Party{ID: thread, Name: "王芳"}, Text: text})
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

// eventually polls cond until it holds; the deadline only guards against a
// hang and never decides the outcome of a passing run.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (h *harness) ticket(id string) ticketcore.Ticket {
	h.t.Helper()
	t, err := h.svc.Ticket(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

// settled waits until the ticket's last reply has a final delivery state.
func (h *harness) settled(id string) ticketcore.Ticket {
	h.t.Helper()
	var t ticketcore.Ticket
	h.eventually("delivery of "+id+" settles", func() bool {
		tk, err := h.svc.Ticket(context.Background(), id)
		if err != nil {
			return false
		}
		t = tk
		for _, e := range slices.Backward(t.Timeline) {
			if e.Type == ticketcore.EntryReply {
				return e.Delivery != channels.DeliveryPending
			}
		}
		return false
	})
	return t
}

func entriesOf(t ticketcore.Ticket, typ string) []ticketcore.Entry {
	var out []ticketcore.Entry
	for _, e := range t.Timeline {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestNewMessageOpensTicketWithAck(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil)
	r := h.send("e1", "user-1", "订单 2026112500012345 还没发货")
	tk := h.settled("T-000001")
	if tk.Status != ticketcore.StatusNew || tk.Intent != nlu.IntentRefund || tk.Priority != nlu.PriorityHigh ||
		tk.Fields[nlu.FieldOrderID] != "2026112500012345" || tk.Channel != channels.API ||
		tk.Thread != "user-1" || tk.Requester.Name != "王芳" || tk.Lang != nlu.LangZH {
		t.Errorf("ticket = %+v", tk)
	}
	msgs := entriesOf(tk, ticketcore.EntryMessage)
	if len(msgs) != 1 || msgs[0].MessageID != r.MessageID || msgs[0].By != ticketcore.ByCustomer {
		t.Errorf("message entries = %+v", msgs)
	}
	replies := entriesOf(tk, ticketcore.EntryReply)
	if len(replies) != 1 || replies[0].Text != "已收到您的问题，工单号 T-000001。" || replies[0].Delivery != channels.DeliverySent {
		t.Fatalf("reply entries = %+v", replies)
	}
	sent := h.ch.attempts()
	if len(sent) != 1 || sent[0].ID != replies[0].MessageID || sent[0].Kind != ticketcore.KindAck ||
		sent[0].Thread != "user-1" || sent[0].TicketID != "T-000001" || sent[0].Attempt != 1 {
		t.Errorf("sent = %+v", sent)
	}
	if created := entriesOf(tk, ticketcore.EntryEvent); len(created) != 1 || created[0].Event != ticketcore.EventCreated || created[0].Reason != "H1 test" {
		t.Errorf("events = %+v", created)
	}
	conv, err := h.svc.Conversation(context.Background(), channels.API, "user-1")
	if err != nil || len(conv) != 2 || conv[0].Direction != channels.In || conv[1].Direction != channels.Out || conv[1].Delivery != channels.DeliverySent {
		t.Errorf("conversation = %+v, %v", conv, err)
	}
}

func TestEnglishMessageGetsEnglishAck(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil)
	h.send("e1", "u", "My order has not shipped yet")
	tk := h.settled("T-000001")
	if r := entriesOf(tk, ticketcore.EntryReply); r[0].Text != "Received; your ticket is T-000001." {
		t.Errorf("ack = %q", r[0].Text)
	}
}

func TestDuplicatesChangeNothing(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil)
	var wg sync.WaitGroup
	receipts := make([]channels.Receipt, 3)
	for i := range receipts {
		wg.Go(func() { receipts[i] = h.send("same", "user-1", "订单还没发货") })
	}
	wg.Wait()
	again := h.send("same", "user-1", "订单还没发货")
	dups := 0
	for _, r := range append(receipts, again) {
		if r.MessageID != again.MessageID {
			t.Errorf("receipts differ: %+v", receipts)
		}
		if r.Duplicate {
			dups++
		}
	}
	if dups != 3 {
		t.Errorf("%d duplicates of 4, want 3", dups)
	}
	h.settled("T-000001")
	conv, _ := h.svc.Conversation(context.Background(), channels.API, "user-1")
	tickets, _, _ := h.svc.Tickets(context.Background(), ticketcore.TicketQuery{})
	if len(conv) != 2 || len(tickets) != 1 {
		t.Errorf("conversation %d messages, %d tickets; want 2 and 1", len(conv), len(tickets))
	}
}

func TestThreadMessagesAppendInOrder(t *testing.T) {
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, nil)
	for i := range 20 {
		h.send(fmt.Sprint("e", i), "user-1", fmt.Sprint("message ", i))
	}
	h.eventually("all messages filed", func() bool {
		tk, err := h.svc.Ticket(context.Background(), "T-000001")
		return err == nil && len(entriesOf(tk, ticketcore.EntryMessage)) == 20
	})
	tk := h.ticket("T-000001")
	for i, e := range entriesOf(tk, ticketcore.EntryMessage) {
		if e.Text != fmt.Sprint("message ", i) {
			t.Fatalf("entry %d is %q", i, e.Text)
		}
	}
	if _, err := h.svc.Ticket(context.Background(), "T-000002"); !errors.Is(err, ticketcore.ErrNotFound) {
		t.Errorf("a second ticket was opened: %v", err)
	}
}

func TestCustomerReplyReopensPendingAndSolvedStartsNew(t *testing.T) {
	// Reopening off: a solved ticket's customer gets a follow-up (reopen_test.go has the window).
	h := newHarness(t, fakeExtractor{}, &fakeChannel{}, func(cfg *ticketcore.Config) { cfg.ReopenWindow = -1 })
	ctx := context.Background()
	h.send("e1", "u", "第一条")
	h.settled("T-000001")
	pending := ticketcore.StatusPending
	if _, err := h.svc.Change(ctx, "T-000001", "alice", ticketcore.Patch{Status: &pending}); err != nil {
		t.Fatal(err)
	}
	h.send("e2", "u", "第二条")
	h.eventually("pending ticket reopens", func() bool { return h.ticket("T-000001").Status == ticketcore.StatusOpen })
	ev := entriesOf(h.ticket("T-000001"), ticketcore.EntryEvent)
	if last := ev[len(ev)-1]; last.Field != "status" || last.Before != "pending" || last.After != "open" || last.By != ticketcore.ByCustomer {
		t.Errorf("reopen event = %+v", last)
	}
	solved := ticketcore.StatusSolved
	if _, err := h.svc.Change(ctx, "T-000001", "alice", ticketcore.Patch{Status: &solved}); err != nil {
		t.Fatal(err)
	}
	h.send("e3", "u", "又有问题")
	tk := h.settled("T-000002")
	if tk.Thread != "u" || len(entriesOf(tk, ticketcore.EntryMessage)) != 1 || tk.FollowUpOf != "T-000001" {
		t.Errorf("follow-up ticket = %+v", tk)
	}
}

func TestExtractorFailureStillOpensTicket(t *testing.T) {
	h := newHarness(t, fakeExtractor{err: errors.New("model down")}, &fakeChannel{}, nil)
	h.send("e1", "u", "hello there, my order is late")
	tk := h.settled("T-000001")
	if tk.Intent != nlu.IntentOther || tk.Priority != nlu.PriorityNormal || tk.Lang != nlu.LangEN {
		t.Errorf("ticket = %+v", tk)
	}
}

func TestTransientFailuresAreRetriedWithTheSameID(t *testing.T) {
	ch := &fakeChannel{}
	ch.fails = func(out channels.Outbound) error {
		if out.Attempt < 3 {
			return errors.New("connection refused")
		}
		return nil
	}
	h := newHarness(t, fakeExtractor{}, ch, nil)
	h.send("e1", "u", "hi")
	tk := h.settled("T-000001")
	if r := entriesOf(tk, ticketcore.EntryReply); r[0].Delivery != channels.DeliverySent {
		t.Errorf("delivery = %s", r[0].Delivery)
	}
	sent := ch.attempts()
	if len(sent) != 3 || sent[0].ID != sent[1].ID || sent[1].ID != sent[2].ID {
		t.Errorf("attempts = %+v", sent)
	}
}

func TestPermanentAndExhaustedFailuresAreRecorded(t *testing.T) {
	for name, fail := range map[string]error{
		"permanent": channels.Permanent(errors.New("recipient unknown")),
		"exhausted": errors.New("503 from peer"),
	} {
		t.Run(name, func(t *testing.T) {
			ch := &fakeChannel{fails: func(channels.Outbound) error { return fail }}
			h := newHarness(t, fakeExtractor{}, ch, nil)
			h.send("e1", "u", "hi")
			tk := h.settled("T-000001")
			if r := entriesOf(tk, ticketcore.EntryReply); r[0].Delivery != channels.DeliveryFailed {
				t.Errorf("delivery = %s", r[0].Delivery)
			}
			ev := entriesOf(tk, ticketcore.EntryEvent)
			if last := ev[len(ev)-1]; last.Event != ticketcore.EventDeliveryFailed || last.Reason != fail.Error() {
				t.Errorf("last event = %+v", last)
			}
			want := map[string]int{"permanent": 1, "exhausted": 3}[name]
			if n := len(ch.attempts()); n != want {
				t.Errorf("%d attempts, want %d", n, want)
			}
		})
	}
}
