package ticketcore

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore/calendar"
	"github.com/loopdesk/loopdesk/ticketcore/cond"
	"github.com/loopdesk/loopdesk/ticketcore/sla"
)

// Timer kinds of the SLA clock, and SLA events on the timeline.
const (
	timerSLA = "sla"

	EventSLAWarning = "sla_warning"
	EventSLABreach  = "sla_breach"
	EventEscalated  = "escalated"
)

// timer kinds inside an SLA timer's data, beside sla's warn and breach.
const slaEscalate = "escalate"

// startSLA gives a new ticket the SLA policy its condition selects, with
// the clock of its first stage when it has stages.
func (s *Service) startSLA(t *Ticket, env cond.Env, now time.Time) {
	p, cal, ok := s.desk.policy(env)
	if !ok {
		return
	}
	t.SLA = sla.New(p, now, cal)
	if st, budget := s.stageBudget(*t); budget > 0 {
		t.SLA.Start(sla.StagePrefix+st, budget, now, cal)
	}
	t.DueAt = t.SLA.NextDue()
}

// stageBudget is the current stage and its SLA, if the ticket has one.
func (s *Service) stageBudget(t Ticket) (string, time.Duration) {
	tt, ok := s.desk.ticketType(t.Type, cond.Env{})
	if !ok || t.Stage == "" {
		return "", 0
	}
	st, _, ok := tt.stage(t.Stage)
	if !ok {
		return "", 0
	}
	return st.Name, st.SLA
}

// slaCalendar is the calendar of a ticket's SLA clock.
func (s *Service) slaCalendar(t Ticket) *calendar.Calendar {
	if t.SLA == nil {
		return calendar.Always()
	}
	return s.desk.calendar(t.SLA.Calendar)
}

// slaPolicy is the policy a ticket's SLA state was started with.
func (s *Service) slaPolicy(t Ticket) sla.Policy {
	for _, p := range s.desk.policies {
		if t.SLA != nil && p.policy.Name == t.SLA.Policy {
			return p.policy
		}
	}
	return sla.Policy{Warn: []float64{}}
}

// moments are what a ticket's SLA clocks wait for: warnings, breaches,
// and the escalations that fire at a fraction of a response target. A
// ticket that is not active waits for nothing.
func (s *Service) moments(t Ticket) []sla.Timer {
	if t.SLA == nil || !IsActive(t.Status) || s.desk == nil {
		return nil
	}
	cal := s.slaCalendar(t)
	out := t.SLA.Timers(s.slaPolicy(t), cal)
	for _, tg := range t.SLA.Targets {
		if tg.Since.IsZero() || (tg.Name != sla.FirstResponse && tg.Name != sla.NextResponse) {
			continue
		}
		for _, f := range s.desk.router.SLAFractions() {
			if !slices.Contains(t.Escalated, escalationKey(tg.Name, f)) {
				out = append(out, sla.Timer{Target: tg.Name, Kind: slaEscalate, Fraction: f, At: fractionAt(tg, f, cal)})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b sla.Timer) int { return a.At.Compare(b.At) })
	return out
}

// timers are the store timers a ticket wants: one per ticket, at its
// earliest SLA moment. Firing it handles every moment that is due and
// sets it again for the next, so a ticket costs one timer, not one per
// warning, breach and escalation.
func (s *Service) timers(t Ticket) []Timer {
	ms := s.moments(t)
	if len(ms) == 0 {
		return nil
	}
	return []Timer{{ID: timerSLA + ":" + t.ID, Kind: timerSLA, TicketID: t.ID, Due: ms[0].At}}
}

// fractionAt is when a running target reaches fraction f of its budget.
func fractionAt(tg sla.Target, f float64, cal *calendar.Calendar) time.Time {
	left := time.Duration(f*float64(tg.Budget)) - tg.Used
	if left <= 0 {
		return tg.Since
	}
	return cal.Add(tg.Since, left)
}

// consumed is the business time a running target has used by now.
func consumed(tg sla.Target, now time.Time, cal *calendar.Calendar) time.Duration {
	if tg.Since.IsZero() {
		return tg.Used
	}
	return tg.Used + cal.Between(tg.Since, now)
}

func escalationKey(target string, f float64) string {
	return target + "@" + strconv.FormatFloat(f, 'g', -1, 64)
}

func timerIDs(ts []Timer) []string {
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return ids
}

// syncTimers makes the store hold exactly the SLA timers t wants, given
// the ids it wanted before the change (deleted unless still wanted).
func (s *Service) syncTimers(tx Tx, t Ticket, before []string) error {
	want := s.timers(t)
	keep := timerIDs(want)
	for _, id := range before {
		if !slices.Contains(keep, id) {
			if err := tx.DeleteTimer(id); err != nil {
				return err
			}
		}
	}
	for _, tm := range want {
		if err := tx.ScheduleTimer(tm); err != nil {
			return err
		}
	}
	return nil
}

// pauseSLA and resumeSLA follow the status: the clock stops while the
// ticket waits on the customer or a third party, and when it is solved.
func (s *Service) followStatus(t *Ticket, from string, now time.Time) {
	if t.SLA == nil || from == t.Status {
		return
	}
	cal := s.slaCalendar(*t)
	running := func(st string) bool { return st == StatusNew || st == StatusOpen }
	switch {
	case t.Status == StatusSolved || t.Status == StatusClosed:
		t.SLA.Meet(sla.Resolution, now, cal)
		t.SLA.Pause(now, cal)
	case running(from) && !running(t.Status):
		t.SLA.Pause(now, cal)
	case !running(from) && running(t.Status):
		t.SLA.Resume(now, cal)
	}
	t.DueAt = t.SLA.NextDue()
}

// reselectPolicy applies the policy the ticket's attributes select now
// (after a priority change, say) to the clocks already running: budgets
// change, the time used stays.
func (s *Service) reselectPolicy(t *Ticket, env cond.Env, now time.Time) string {
	p, cal, ok := s.desk.policy(env)
	if !ok || t.SLA == nil || p.Name == t.SLA.Policy {
		return ""
	}
	old := t.SLA.Policy
	t.SLA.Pause(now, s.slaCalendar(*t))
	t.SLA.Policy, t.SLA.Calendar = p.Name, cal.Name()
	for i := range t.SLA.Targets {
		if b := p.Budget(t.SLA.Targets[i].Name); b > 0 {
			t.SLA.Targets[i].Budget = b
		}
	}
	if running := t.Status == StatusNew || t.Status == StatusOpen; running {
		t.SLA.Resume(now, cal)
	}
	t.DueAt = t.SLA.NextDue()
	return fmt.Sprintf("SLA policy %s replaces %s", p.Name, old)
}
