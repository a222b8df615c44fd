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
	if t.Stage != "" {
		s.startClock(t, sla.StagePrefix+t.Stage, s.stageBudget(*t, t.Stage), now)
	}
	t.DueAt = t.SLA.NextDue()
}

// stageBudget is a stage's SLA: the policy's budget for it when it names
// one, else the stage's own.
func (s *Service) stageBudget(t Ticket, stage string) time.Duration {
	if b := s.slaPolicy(t).Budget(sla.StagePrefix + stage); b > 0 {
		return b
	}
	if tt, ok := s.desk.ticketType(t.Type, cond.Env{}); ok {
		if st, _, ok := tt.stage(stage); ok {
			return st.SLA
		}
	}
	return 0
}

// running reports whether a ticket in status st runs its SLA clocks.
func running(st string) bool { return st == StatusNew || st == StatusOpen }

// startClock starts a target's clock; on a ticket that waits (pending,
// on hold) it starts paused.
func (s *Service) startClock(t *Ticket, name string, budget time.Duration, now time.Time) {
	if t.SLA == nil || budget <= 0 {
		return
	}
	cal := s.slaCalendar(*t)
	t.SLA.Start(name, budget, now, cal)
	if !running(t.Status) {
		t.SLA.Pause(now, cal)
	}
	t.DueAt = t.SLA.NextDue()
}

// refreshClocks recounts the running clocks up to now on the calendar as
// it is configured now, so their due times follow calendar edits.
func (s *Service) refreshClocks(t *Ticket, now time.Time) {
	if t.SLA == nil || !running(t.Status) {
		return
	}
	cal := s.slaCalendar(*t)
	t.SLA.Pause(now, cal)
	t.SLA.Resume(now, cal)
}

// catchUpBreaches records the breaches of targets whose time ran out
// before their timer fired (the timer is about to), so that nothing done
// to the ticket now can skip them.
func (s *Service) catchUpBreaches(t *Ticket, now time.Time, fx *effects) {
	if t.SLA == nil || s.desk == nil {
		return
	}
	for _, name := range t.SLA.BreachOverdue(now) {
		tg, _ := t.SLA.Target(name)
		t.Breached = true
		s.slaBreach(*t, tg, now, fx)
	}
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
// (after a priority change, say) to its clocks. A more lenient budget
// applies whole; a stricter one counts from the change: it can bring a due
// time earlier, never into the past (a ticket is not late the moment it
// becomes urgent).
func (s *Service) reselectPolicy(t *Ticket, env cond.Env, now time.Time) string {
	p, cal, ok := s.desk.policy(env)
	if !ok || t.SLA == nil || p.Name == t.SLA.Policy {
		return ""
	}
	old := t.SLA.Policy
	t.SLA.Pause(now, s.slaCalendar(*t))
	t.SLA.Policy, t.SLA.Calendar = p.Name, cal.Name()
	for i := range t.SLA.Targets {
		tg := &t.SLA.Targets[i]
		b := p.Budget(tg.Name)
		switch {
		case b <= 0 || !tg.MetAt.IsZero():
		case b >= tg.Budget:
			tg.Budget = b
		default:
			tg.Budget = tg.Used + min(max(tg.Budget-tg.Used, 0), b)
		}
	}
	if running(t.Status) {
		t.SLA.Resume(now, cal)
	}
	t.DueAt = t.SLA.NextDue()
	return fmt.Sprintf("SLA policy %s replaces %s", p.Name, old)
}
