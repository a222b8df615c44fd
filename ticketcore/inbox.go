package ticketcore

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/wait"
	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/notify"
	"github.com/loopdesk/loopdesk/ticketcore/routing"
	"github.com/loopdesk/loopdesk/ticketcore/sla"
)

// errNeedsExtraction rolls back a filing that found no active ticket after
// all, so the message is read before it opens one.
var errNeedsExtraction = errors.New("message needs extraction")

// runInbox claims inbox messages and hands each to the worker of its
// thread, so one thread's messages are filed in the order they arrived.
func (s *Service) runInbox(ctx context.Context) {
	workers := make([]chan Message, s.cfg.Workers)
	var wg sync.WaitGroup
	for i := range workers {
		workers[i] = make(chan Message, 4*s.cfg.BatchSize)
		wg.Go(func() { s.work(ctx, workers[i]) })
	}
	defer func() {
		for _, w := range workers {
			close(w)
		}
		wg.Wait()
	}()
	seed := maphash.MakeSeed()
	for {
		msgs, err := s.store.ClaimInbox(ctx, s.cfg.Now(), 2*s.cfg.Workers*s.cfg.BatchSize, s.cfg.Lease)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Error("claim inbox", "err", err)
			if !wait.Sleep(ctx, time.Second) {
				return
			}
			continue
		}
		if len(msgs) == 0 && !s.idle(ctx, s.inboxWake) {
			return
		}
		for _, m := range msgs {
			w := workers[maphash.String(seed, m.Channel+"\x00"+m.Thread)%uint64(len(workers))]
			select {
			case w <- m:
			case <-ctx.Done():
				return // unqueued claims return to the inbox when their lease ends
			}
		}
	}
}

// work files the messages of in, a batch at a time: whatever has queued
// up, to BatchSize, goes into one transaction. Batches keep the number of
// transactions, and so the writer's time taken from new messages coming in,
// small under load.
//
// During a burst (new messages arriving faster than BurstRate a second),
// work rests after each batch, up to IntakeYield times as long as the
// batch took, as PostgreSQL's vacuum rests by its cost delay: acknowledging
// the burst comes first, filing catches up when it is over. At a steady
// rate below BurstRate it does not rest.
//
// Once ctx is done, the batch in hand is finished and the rest of in is
// dropped: those messages stay in the inbox for the next start.
func (s *Service) work(ctx context.Context, in <-chan Message) {
	batch := make([]Message, 0, s.cfg.BatchSize)
	for m := range in {
		if ctx.Err() != nil {
			continue
		}
		batch = drain(in, append(batch[:0], m))
		arrived, start := s.intake.arrived.Load(), time.Now()
		s.file(context.WithoutCancel(ctx), batch)
		if s.intake.arrived.Load() != arrived {
			time.Sleep(time.Duration(float64(time.Since(start)) * s.rest()))
		}
	}
}

// rest is how long a worker rests after a batch, as a multiple of the
// time the batch took: nothing below BurstRate, IntakeYield from twice it,
// in proportion between.
func (s *Service) rest() float64 {
	if s.cfg.IntakeYield <= 0 {
		return 0
	}
	over := (s.intake.rate(time.Now()) - s.cfg.BurstRate) / s.cfg.BurstRate // a rate: wall time, not the injected clock
	return s.cfg.IntakeYield * min(max(over, 0), 1)
}

// intake measures how fast new messages arrive.
type intake struct {
	arrived atomic.Int64
	mu      sync.Mutex
	since   time.Time // start of the current measurement
	base    int64     // arrived at since
	last    float64   // the last rate measured, per second
}

// rate is the arrival rate over the last quarter second or more.
func (in *intake) rate(now time.Time) float64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := in.arrived.Load()
	if d := now.Sub(in.since); d >= 250*time.Millisecond {
		if !in.since.IsZero() {
			in.last = float64(n-in.base) / d.Seconds()
		}
		in.since, in.base = now, n
	}
	return in.last
}

// drain adds to batch what is queued in in, without waiting, until batch
// is full (its capacity) or in is empty.
func drain[T any](in <-chan T, batch []T) []T {
	for len(batch) < cap(batch) {
		select {
		case v, ok := <-in:
			if !ok {
				return batch
			}
			batch = append(batch, v)
		default:
			return batch
		}
	}
	return batch
}

// filing is what one filing transaction did, for after the commit.
type filing struct {
	filed    []Message // in the order filed
	created  []string  // channels of the tickets opened
	deferred []Message // to be read first, then filed in a transaction of their own
}

// file puts each message on its thread's active ticket, or reads it and
// opens a ticket. The extractor runs outside any transaction; if a ticket
// appeared for the thread meanwhile, the reading is simply not used. A batch
// that fails is filed again one message at a time, so one bad message does
// not hold up the others; what fails stays in the inbox for a later claim.
func (s *Service) file(ctx context.Context, batch []Message) {
	readings := s.read(ctx, batch)
	for len(batch) > 0 {
		var f filing
		err := s.store.Update(ctx, func(tx Tx) error {
			f = filing{}
			return s.fileBatchTx(tx, batch, readings, &f)
		})
		if err != nil && len(batch) > 1 {
			s.fileOneByOne(ctx, batch)
			return
		}
		if err != nil {
			s.log.Error("file inbound message; it stays in the inbox", "message", batch[0].ID,
				"channel", batch[0].Channel, "err", err)
			return
		}
		s.filed(f)
		for _, m := range f.deferred {
			if readings[m.ID] == nil {
				e := s.extract(ctx, m)
				readings[m.ID] = &e
			}
		}
		batch = f.deferred
	}
}

// fileOneByOne files each message of a failed batch on its own. Once one
// fails, the later messages of its thread wait with it, so that the
// thread keeps its order.
func (s *Service) fileOneByOne(ctx context.Context, batch []Message) {
	failed := map[string]bool{}
	for _, m := range batch {
		thread := m.Channel + "\x00" + m.Thread
		if failed[thread] {
			continue
		}
		s.file(ctx, []Message{m})
		if queued, err := s.queued(ctx, m.ID); err != nil || queued {
			failed[thread] = true
		}
	}
}

func (s *Service) queued(ctx context.Context, msgID string) (queued bool, err error) {
	err = s.store.View(ctx, func(tx ReadTx) error {
		queued, err = tx.InInbox(msgID)
		return err
	})
	return queued, err
}

// read extracts the messages that will open a ticket: the first of the
// batch on each thread that has no active ticket, unless it reopens the
// ticket the thread had. The thread's later messages join the ticket the
// first one opens.
func (s *Service) read(ctx context.Context, batch []Message) map[string]*nlu.Extraction {
	need := make([]Message, 0, len(batch))
	_ = s.store.View(ctx, func(tx ReadTx) error { // on error the filing transaction looks again
		need = need[:0]
		now := s.cfg.Now()
		seen := make(map[string]bool, len(batch))
		for _, m := range batch {
			thread := m.Channel + "\x00" + m.Thread
			if seen[thread] {
				continue
			}
			seen[thread] = true
			if id, err := tx.ActiveTicket(m.Channel, m.Thread); err != nil || id != "" || m.TicketID != "" {
				continue
			}
			if sq, err := s.sequelOf(tx, m, now); err == nil && !sq.reopen {
				need = append(need, m)
			}
		}
		return nil
	})
	readings := make(map[string]*nlu.Extraction, len(need))
	for _, m := range need {
		e := s.extract(ctx, m)
		readings[m.ID] = &e
	}
	return readings
}

// fileBatchTx files the batch in order. A message that turns out to need a
// reading it does not have is deferred, with every later message of its
// thread, so that the thread keeps its order.
func (s *Service) fileBatchTx(tx Tx, batch []Message, readings map[string]*nlu.Extraction, f *filing) error {
	var held map[string]bool
	for _, m := range batch {
		thread := m.Channel + "\x00" + m.Thread
		if held[thread] {
			f.deferred = append(f.deferred, m)
			continue
		}
		err := s.fileTx(tx, &m, readings[m.ID], f) // sets m.TicketID
		if errors.Is(err, errNeedsExtraction) {
			if held == nil {
				held = map[string]bool{}
			}
			held[thread] = true
			f.deferred = append(f.deferred, m)
			continue
		}
		if err != nil {
			return err
		}
		f.filed = append(f.filed, m)
	}
	return nil
}

// filed counts what a committed filing did and wakes the dispatcher for the
// acknowledgements it queued.
func (s *Service) filed(f filing) {
	now := s.cfg.Now()
	for _, m := range f.filed {
		s.metrics.processing.Observe(seconds(m.At, now))
		s.summarize(m.TicketID)
	}
	for _, ch := range f.created {
		s.metrics.created.WithLabelValues(ch).Inc()
	}
	if len(f.created) > 0 {
		wake(s.outboxWake)
	}
}

// fileTx files m, the message as claimed. One no longer in the inbox was
// filed before, by a claim that outlived its lease: nothing to do.
func (s *Service) fileTx(tx Tx, m *Message, ex *nlu.Extraction, f *filing) error {
	if queued, err := tx.InInbox(m.ID); err != nil || !queued {
		return err
	}
	active, err := tx.ActiveTicket(m.Channel, m.Thread)
	if err != nil {
		return err
	}
	if active != "" {
		if err := s.endAskingTx(tx, active, m.Channel, m.Thread); err != nil {
			return err
		}
		err = s.appendMessage(tx, active, m)
	} else {
		err = s.fileUnanswered(tx, m, ex, f)
	}
	if err != nil {
		return err
	}
	return tx.CompleteInbox(m.ID)
}

// fileUnanswered files m on a thread without an active ticket: it reopens
// the ticket the thread had, or opens one (following that ticket up) from
// the reading ex, which it needs then.
func (s *Service) fileUnanswered(tx Tx, m *Message, ex *nlu.Extraction, f *filing) error {
	sq, err := s.sequelOf(tx, *m, s.cfg.Now())
	switch {
	case err != nil:
		return err
	case sq.reopen:
		return s.reopenTx(tx, sq, m)
	case ex == nil:
		return errNeedsExtraction
	}
	if s.desk != nil {
		if asked, err := s.askTx(tx, m, *ex, f); err != nil || asked {
			return err
		}
	}
	return s.openTicket(tx, m, *ex, sq, f, opening{})
}

// appendMessage adds a customer's message to their active ticket. A ticket
// waiting on the customer opens again; the customer's next-response clock
// starts if someone had answered; a customer who keeps writing while
// waiting may escalate the ticket.
func (s *Service) appendMessage(tx Tx, ticketID string, m *Message) error {
	t, err := tx.Ticket(ticketID)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	before := timerIDs(s.timers(t))
	var fx effects
	fx.entries = append(append(fx.entries, messageEntry(*m, now)), skippedNotes(*m, now)...)
	if t.Status == StatusPending {
		fx.change(now, ByCustomer, "status", t.Status, StatusOpen, "the customer wrote again")
		t.Status = StatusOpen
		if s.desk != nil {
			s.followStatus(&t, StatusPending, now)
		}
	}
	t.Waiting++
	if s.desk != nil {
		if err := s.customerWrote(tx, &t, now, &fx); err != nil {
			return err
		}
		if t.Assignee != "" {
			fx.notices = append(fx.notices, notice{kind: notify.KindCustomerMessage, agents: []string{t.Assignee},
				via: s.desk.cfg.Notify.Via, text: fmt.Sprintf("客户在工单 %s 中写道：%s", t.ID, m.Text)})
		}
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(t); err != nil {
		return err
	}
	if err := fx.write(s, tx, t, now); err != nil {
		return err
	}
	if err := s.syncTimers(tx, t, before); err != nil {
		return err
	}
	m.TicketID = t.ID
	return tx.UpdateMessage(*m)
}

// customerWrote starts the next-response clock after a reply and applies
// the escalations a customer message triggers.
func (s *Service) customerWrote(tx Tx, t *Ticket, now time.Time, fx *effects) error {
	if t.SLA != nil {
		p := s.slaPolicy(*t)
		nr, _ := t.SLA.Target(sla.NextResponse)
		owed := nr.Budget > 0 && !nr.Met() // a next response is still owed, its clock running or paused
		if fr, ok := t.SLA.Target(sla.FirstResponse); ok && fr.Met() && p.NextResponse > 0 && !owed {
			s.catchUpBreaches(t, now, fx) // breaches whose timer has not fired are recorded first
			s.startClock(t, sla.NextResponse, p.NextResponse, now)
			t.Escalated = slices.DeleteFunc(t.Escalated, func(k string) bool { return strings.HasPrefix(k, sla.NextResponse+"@") })
		}
	}
	c, err := ticketContact(tx, *t)
	if err != nil {
		return err
	}
	for _, e := range s.desk.router.Escalate(s.env(*t, c, "", now), routing.CustomerMessage) {
		s.raise(t, c, e.Priority, e.Reason, now, fx)
	}
	return nil
}

// ticketContact is the contact of a ticket, or an empty one.
func ticketContact(tx ReadTx, t Ticket) (Contact, error) {
	if t.ContactID == "" {
		return Contact{}, nil
	}
	c, err := tx.Contact(t.ContactID)
	if errors.Is(err, ErrNotFound) {
		return Contact{}, nil
	}
	return c, err
}

// opening is what else a ticket opens with when the bot asked the
// customer for fields first (slot filling).
type opening struct {
	turns   []openTurn // after the first message: the bot's questions and the customer's answers, in order
	missing []string   // the fields still missing
	why     string     // why it opens with fields missing
}

// messages are the customer's messages of o's turns.
func (o opening) messages() []*Message {
	var out []*Message
	for _, t := range o.turns {
		if t.msg != nil {
			out = append(out, t.msg)
		}
	}
	return out
}

// openTicket creates a ticket for m from its extraction — contact,
// routing, type, assignment and SLA when a desk is configured — with the
// acknowledgement reply in the outbox. A ticket that follows up sq.prev
// says so, and so does sq.prev.
func (s *Service) openTicket(tx Tx, m *Message, ex nlu.Extraction, sq sequel, f *filing, o opening) error {
	now := s.cfg.Now()
	t := Ticket{Status: StatusNew, Priority: ex.Priority, Intent: ex.Intent,
		Fields: maps.Clone(ex.Fields), Channel: m.Channel, Thread: m.Thread, Requester: m.From,
		Tags: []string{}, Subject: subjectOf(m.Text), Lang: ex.Lang, Waiting: 1 + len(o.messages()), CreatedAt: now, UpdatedAt: now,
		FollowUpOf: sq.prev.ID, Reading: readingOf(ex), Missing: o.missing}
	var fx effects
	if s.desk != nil {
		c, err := contactFor(tx, *m, now)
		if err != nil {
			return err
		}
		t.ContactID = c.ID
		if err := s.routeNew(tx, &t, c, m, now, &fx); err != nil {
			return err
		}
	}
	if err := tx.CreateTicket(&t); err != nil {
		return err
	}
	created := Entry{Type: EntryEvent, Event: EventCreated, At: now, By: BySystem,
		After: map[string]any{"intent": ex.Intent, "priority": ex.Priority, "fields": t.Fields, "extractor": ex.Extractor,
			"confidence": ex.Confidence, "fallback": ex.Fallback, "field_sources": t.Reading.Fields},
		Reason: strings.Join(ex.Reasons, "; ")}
	head := []Entry{created}
	if t.FollowUpOf != "" {
		onNew, onOld := followUpEntries(t, sq, now)
		head = append(head, onNew)
		if err := appendEntry(tx, t.FollowUpOf, onOld); err != nil {
			return err
		}
	}
	head = append(append(head, messageEntry(*m, now)), skippedNotes(*m, now)...)
	head = append(head, o.entries(now)...)
	fx.entries = append(head, fx.entries...)
	if err := fx.write(s, tx, t, now); err != nil {
		return err
	}
	if err := s.syncTimers(tx, t, nil); err != nil {
		return err
	}
	for _, msg := range append([]*Message{m}, o.messages()...) {
		msg.TicketID = t.ID
		if err := tx.UpdateMessage(*msg); err != nil {
			return err
		}
	}
	text, err := s.cfg.Templates.Render(TemplateAck, t.Lang, TemplateData{TicketID: t.ID,
		Subject: t.Subject, Name: t.Requester.Name, Intent: t.Intent, Priority: t.Priority})
	if err != nil {
		return err
	}
	if _, err := s.enqueueReply(tx, t, primary(t), text, BySystem, KindAck, m.Meta, now); err != nil {
		return err
	}
	f.created = append(f.created, t.Channel)
	return nil
}

// entries are the timeline entries of what happened before the ticket
// opened: each question of the bot, each answer of the customer, and
// what is still missing.
func (o opening) entries(now time.Time) []Entry {
	var out []Entry
	for _, t := range o.turns {
		if t.msg == nil {
			out = append(out, Entry{Type: EntryEvent, Event: eventAsked, At: now, By: ByBot, Text: t.question})
			continue
		}
		out = append(append(out, messageEntry(*t.msg, now)), skippedNotes(*t.msg, now)...)
	}
	if len(o.missing) > 0 {
		out = append(out, Entry{Type: EntryEvent, Event: eventAsked, At: now, By: ByBot, Field: "missing_fields",
			After: o.missing, Reason: "opened without " + strings.Join(o.missing, ", ") + ": " + o.why})
	}
	return out
}

func messageEntry(m Message, at time.Time) Entry {
	return Entry{Type: EntryMessage, Direction: channels.In, Text: m.Text, At: at,
		By: ByCustomer, MessageID: m.ID}
}

func appendEntry(tx Tx, ticketID string, e Entry) error { return tx.AppendEntry(ticketID, &e) }

// enqueueReply stores an outbound message to a conversation of the
// ticket, its timeline entry, and its outbox item.
func (s *Service) enqueueReply(tx Tx, t Ticket, to Conversation, text, by, kind string, meta map[string]string, now time.Time) (Entry, error) {
	out := Message{Channel: to.Channel, Thread: to.Thread, Direction: channels.Out, To: to.Requester,
		Text: text, Meta: meta, At: now, TicketID: t.ID, Kind: kind, Delivery: channels.DeliveryPending}
	if err := tx.AddMessage(&out); err != nil {
		return Entry{}, err
	}
	e := Entry{Type: EntryReply, Direction: channels.Out, Text: text, At: now, By: by,
		MessageID: out.ID, Delivery: channels.DeliveryPending}
	if err := tx.AppendEntry(t.ID, &e); err != nil {
		return Entry{}, err
	}
	out.EntrySeq = e.Seq
	if err := tx.UpdateMessage(out); err != nil {
		return Entry{}, err
	}
	return e, tx.EnqueueOutbox(OutboxItem{MessageID: out.ID, Due: now})
}

// extract reads m; a failing extractor never stops a ticket from being
// created: the message is filed as intent other, priority normal.
func (s *Service) extract(ctx context.Context, m Message) nlu.Extraction {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ExtractTimeout)
	defer cancel()
	ex, err := s.extractor.Extract(ctx, nlu.Request{Text: m.Text, Channel: m.Channel})
	if err != nil {
		s.log.Warn("extract failed; filing as other", "message", m.ID, "err", err)
		ex = nlu.Extraction{Intent: nlu.IntentOther, Priority: nlu.PriorityNormal,
			Extractor: "none", Reasons: []string{"the extractor failed: " + err.Error()}}
	}
	if ex.Intent == "" {
		ex.Intent = nlu.IntentOther
	}
	if !nlu.ValidPriority(ex.Priority) {
		ex.Priority = nlu.PriorityNormal
	}
	if ex.Lang == "" {
		ex.Lang = nlu.DetectLang(m.Text)
	}
	if ex.Fields == nil {
		ex.Fields = map[string]string{}
	}
	return ex
}
