package ticketcore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/loopdesk/loopdesk/internal/wait"
	"github.com/loopdesk/loopdesk/notify"
	"github.com/loopdesk/loopdesk/ticketcore/routing"
	"github.com/loopdesk/loopdesk/ticketcore/sla"
)

// runTimers claims due timers and fires each in a transaction that also
// deletes it, so a restart neither misses nor repeats one.
func (s *Service) runTimers(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		timers, err := s.store.ClaimTimers(ctx, s.cfg.Now(), 64, s.cfg.Lease)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Error("claim timers", "err", err)
			if !wait.Sleep(ctx, time.Second) {
				return
			}
			continue
		}
		if len(timers) == 0 && !s.idle(ctx, nil) {
			return
		}
		for _, tm := range timers {
			if err := s.fire(context.WithoutCancel(ctx), tm); err != nil {
				s.log.Error("fire timer; it fires again when its claim ends", "timer", tm.ID, "err", err)
			}
		}
	}
}

func (s *Service) fire(ctx context.Context, tm Timer) error {
	now := s.cfg.Now()
	var f filing
	err := s.store.Update(ctx, func(tx Tx) error {
		f = filing{}
		if err := tx.DeleteTimer(tm.ID); err != nil {
			return err
		}
		switch tm.Kind {
		case timerSLA:
			return s.fireSLA(tx, tm, now)
		case timerPage:
			return s.firePage(tx, tm, now)
		case timerAsk:
			if s.desk != nil {
				return s.fireAsk(tx, tm, now, &f)
			}
		}
		s.log.Error("dropping a timer of an unknown kind", "timer", tm.ID, "kind", tm.Kind)
		return nil
	})
	if err == nil {
		s.filed(f)
		wake(s.outboxWake) // the notices it may have queued
	}
	return err
}

// fireSLA announces the warnings, breaches and escalations of a ticket's
// SLA clocks that are due, once each: what was announced is marked on the
// ticket in the same transaction that deletes the timer. A moment that is
// not due after all (the clock was paused or moved) waits; syncing sets
// the timer again for the next one.
func (s *Service) fireSLA(tx Tx, tm Timer, now time.Time) error {
	t, err := tx.Ticket(tm.TicketID)
	if errors.Is(err, ErrNotFound) || s.desk == nil {
		return nil
	}
	if err != nil || t.SLA == nil || !IsActive(t.Status) {
		return err
	}
	// Recount the clocks on today's calendar first: a calendar edited since
	// they were set (a holiday added) moves their moments, and a moment
	// set for the old calendar must neither fire early nor come back.
	s.refreshClocks(&t, now)
	var fx effects
	for _, m := range s.moments(t) {
		if m.At.After(now) {
			break
		}
		if err := s.announce(tx, &t, m, now, &fx); err != nil {
			return err
		}
	}
	t.DueAt, t.UpdatedAt = t.SLA.NextDue(), now
	if err := tx.UpdateTicket(t); err != nil {
		return err
	}
	if err := fx.write(s, tx, t, now); err != nil {
		return err
	}
	return s.syncTimers(tx, t, nil)
}

// announce handles one due moment, if the clock really is there.
func (s *Service) announce(tx Tx, t *Ticket, m sla.Timer, now time.Time, fx *effects) error {
	tg, ok := t.SLA.Target(m.Target)
	if !ok || tg.Since.IsZero() {
		return nil
	}
	used := consumed(tg, now, s.slaCalendar(*t))
	reached := used >= time.Duration(m.Fraction*float64(tg.Budget))
	switch {
	case m.Kind == sla.TimerWarn && reached && t.SLA.MarkWarned(m.Target, m.Fraction):
		s.slaWarning(*t, tg, m.Fraction, now, fx)
	case m.Kind == sla.TimerBreach && used >= tg.Budget && t.SLA.Breach(m.Target, now):
		t.Breached = true
		s.slaBreach(*t, tg, now, fx)
	case m.Kind == slaEscalate && reached:
		return s.slaEscalate(tx, t, m.Target, m.Fraction, now, fx)
	}
	return nil
}

func (s *Service) slaWarning(t Ticket, tg sla.Target, f float64, now time.Time, fx *effects) {
	reason := fmt.Sprintf("%s has used %.0f%% of %s; due %s", tg.Name, f*100, tg.Budget, tg.Due.In(s.desk.loc).Format(time.DateTime))
	fx.entries = append(fx.entries, Entry{Type: EntryEvent, Event: EventSLAWarning, Field: tg.Name, At: now, By: BySystem, Reason: reason})
	to := "assignee"
	if t.Assignee == "" {
		to = "lead"
	}
	fx.notices = append(fx.notices, notice{kind: notify.KindSLAWarning, agents: s.recipients(t, to),
		via: s.desk.cfg.Notify.Via, what: "SLA 即将超时"})
}

func (s *Service) slaBreach(t Ticket, tg sla.Target, now time.Time, fx *effects) {
	reason := fmt.Sprintf("%s breached: %s of business time used", tg.Name, tg.Budget)
	fx.entries = append(fx.entries, Entry{Type: EntryEvent, Event: EventSLABreach, Field: tg.Name, At: now, By: BySystem, Reason: reason})
	agents := append(s.recipients(t, "assignee"), s.recipients(t, "lead")...)
	fx.notices = append(fx.notices, notice{kind: notify.KindSLABreach, agents: agents,
		via: s.desk.cfg.Notify.Urgent, urgent: true, what: "SLA 已超时"})
}

func (s *Service) slaEscalate(tx Tx, t *Ticket, target string, f float64, now time.Time, fx *effects) error {
	key := escalationKey(target, f)
	if slices.Contains(t.Escalated, key) {
		return nil
	}
	t.Escalated = append(t.Escalated, key)
	c, err := ticketContact(tx, *t)
	if err != nil {
		return err
	}
	for _, e := range s.desk.router.Escalate(s.env(*t, c, "", now), routing.SLAFraction(f)) {
		s.raise(t, c, e.Priority, e.Reason, now, fx)
	}
	return nil
}
