package ticketcore

import (
	"context"
	"errors"
	"hash/maphash"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/nlu"
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
		workers[i] = make(chan Message, 64)
		wg.Go(func() {
			for m := range workers[i] {
				s.work(context.WithoutCancel(ctx), m)
			}
		})
	}
	defer func() {
		for _, w := range workers {
			close(w)
		}
		wg.Wait()
	}()
	seed := maphash.MakeSeed()
	for {
		msgs, err := s.store.ClaimInbox(ctx, s.cfg.Now(), s.cfg.Workers*32, s.cfg.Lease)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Error("claim inbox", "err", err)
			if !backoff(ctx, time.Second) {
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

// work files one message. A failure leaves it in the inbox; it is claimed
// again when its lease runs out.
func (s *Service) work(ctx context.Context, m Message) {
	if err := s.file(ctx, m); err != nil {
		s.log.Error("file inbound message", "message", m.ID, "channel", m.Channel, "err", err)
	}
}

// filing is what one filing transaction did, for after the commit.
type filing struct {
	created  bool
	enqueued bool
}

// file puts m on its thread's active ticket, or reads it and opens a ticket.
// The extractor runs outside any transaction; if a ticket appeared for the
// thread meanwhile, the reading is simply not used.
func (s *Service) file(ctx context.Context, m Message) error {
	var ex *nlu.Extraction
	if m.TicketID == "" && !s.hasActiveTicket(ctx, m) {
		e := s.extract(ctx, m)
		ex = &e
	}
	for {
		var f filing
		err := s.store.Update(ctx, func(tx Tx) error {
			f = filing{}
			return s.fileTx(tx, m.ID, ex, &f)
		})
		if errors.Is(err, errNeedsExtraction) {
			e := s.extract(ctx, m)
			ex = &e
			continue
		}
		if err != nil {
			return err
		}
		if f.created {
			s.metrics.created.WithLabelValues(m.Channel).Inc()
		}
		if f.enqueued {
			wake(s.outboxWake)
		}
		s.metrics.processing.Observe(seconds(m.At, s.cfg.Now()))
		return nil
	}
}

func (s *Service) hasActiveTicket(ctx context.Context, m Message) bool {
	var id string
	_ = s.store.View(ctx, func(tx ReadTx) error { // on error the filing transaction looks again
		var err error
		id, err = tx.ActiveTicket(m.Channel, m.Thread)
		return err
	})
	return id != ""
}

func (s *Service) fileTx(tx Tx, msgID string, ex *nlu.Extraction, f *filing) error {
	m, err := tx.Message(msgID)
	if err != nil {
		return err
	}
	if m.TicketID != "" { // filed before; the claim outlived its lease
		return tx.CompleteInbox(m.ID)
	}
	active, err := tx.ActiveTicket(m.Channel, m.Thread)
	if err != nil {
		return err
	}
	if active != "" {
		err = s.appendMessage(tx, active, &m)
	} else if ex == nil {
		return errNeedsExtraction
	} else {
		err = s.openTicket(tx, &m, *ex, f)
	}
	if err != nil {
		return err
	}
	return tx.CompleteInbox(m.ID)
}

// appendMessage adds a customer's message to their active ticket. A ticket
// waiting on the customer opens again.
func (s *Service) appendMessage(tx Tx, ticketID string, m *Message) error {
	t, err := tx.Ticket(ticketID)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	if err := appendEntry(tx, t.ID, messageEntry(*m, now)); err != nil {
		return err
	}
	if t.Status == StatusPending {
		ch := changeEntry(now, ByCustomer, "status", t.Status, StatusOpen, "the customer wrote again")
		if err := appendEntry(tx, t.ID, ch); err != nil {
			return err
		}
		t.Status = StatusOpen
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(t); err != nil {
		return err
	}
	m.TicketID = t.ID
	return tx.UpdateMessage(*m)
}

// openTicket creates a ticket for m from its extraction, with the
// acknowledgement reply in the outbox.
func (s *Service) openTicket(tx Tx, m *Message, ex nlu.Extraction, f *filing) error {
	now := s.cfg.Now()
	t := Ticket{Status: StatusNew, Priority: ex.Priority, Intent: ex.Intent,
		Fields: maps.Clone(ex.Fields), Channel: m.Channel, Thread: m.Thread, Requester: m.From,
		Tags: []string{}, Subject: subjectOf(m.Text), Lang: ex.Lang, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateTicket(&t); err != nil {
		return err
	}
	created := Entry{Type: EntryEvent, Event: EventCreated, At: now, By: BySystem,
		After:  map[string]any{"intent": t.Intent, "priority": t.Priority, "fields": t.Fields, "extractor": ex.Extractor, "confidence": ex.Confidence},
		Reason: strings.Join(ex.Reasons, "; ")}
	if err := appendEntry(tx, t.ID, created); err != nil {
		return err
	}
	if err := appendEntry(tx, t.ID, messageEntry(*m, now)); err != nil {
		return err
	}
	m.TicketID = t.ID
	if err := tx.UpdateMessage(*m); err != nil {
		return err
	}
	text, err := s.cfg.Templates.Render(TemplateAck, t.Lang, TemplateData{TicketID: t.ID,
		Subject: t.Subject, Name: t.Requester.Name, Intent: t.Intent, Priority: t.Priority})
	if err != nil {
		return err
	}
	if _, err := s.enqueueReply(tx, t, text, BySystem, KindAck, m.Meta, now); err != nil {
		return err
	}
	f.created, f.enqueued = true, true
	return nil
}

func messageEntry(m Message, at time.Time) Entry {
	return Entry{Type: EntryMessage, Direction: channels.In, Text: m.Text, At: at,
		By: ByCustomer, MessageID: m.ID}
}

func appendEntry(tx Tx, ticketID string, e Entry) error { return tx.AppendEntry(ticketID, &e) }

// enqueueReply stores an outbound message to the ticket's requester on the
// ticket's channel, its timeline entry, and its outbox item.
func (s *Service) enqueueReply(tx Tx, t Ticket, text, by, kind string, meta map[string]string, now time.Time) (Entry, error) {
	out := Message{Channel: t.Channel, Thread: t.Thread, Direction: channels.Out, To: t.Requester,
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
