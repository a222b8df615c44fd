package sla

import (
	"slices"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore/calendar"
)

// The methods here change a State in place. Each takes the current time
// and, where business time is counted, the calendar of the State's policy
// (the one named by State.Calendar); cal must not be nil.

// New starts the clocks of a ticket created at now: the first response and
// resolution targets to which the policy gives a budget.
func New(p Policy, now time.Time, cal *calendar.Calendar) *State {
	s := &State{Policy: p.Name, Calendar: cal.Name(), Targets: []Target{}}
	s.Start(FirstResponse, p.FirstResponse, now, cal)
	s.Start(Resolution, p.Resolution, now, cal)
	return s
}

// Start starts the target name with a fresh budget at now, replacing any
// target of that name from zero: Used, MetAt, BreachedAt and Warned
// reset. It serves the next response each time the customer writes after
// a reply, and StageTarget(stage) on entering a stage. A budget of zero or
// less starts nothing. The clock runs even if other targets are paused;
// call Pause afterwards for a ticket that waits.
func (s *State) Start(name string, budget time.Duration, now time.Time, cal *calendar.Calendar) {
	if budget <= 0 {
		return
	}
	t := Target{Name: name, Budget: budget}
	t.run(now, cal)
	if i := s.index(name); i >= 0 {
		s.Targets[i] = t
		return
	}
	s.Targets = append(s.Targets, t)
}

// Pause stops every running clock at now, as when the ticket goes to
// pending or on_hold.
func (s *State) Pause(now time.Time, cal *calendar.Calendar) {
	for i := range s.Targets {
		if s.Targets[i].Running() {
			s.Targets[i].stop(now, cal)
		}
	}
}

// Resume restarts every paused clock at now on the budget it has left;
// Due moves later by exactly the business time spent paused. Met targets
// stay met.
func (s *State) Resume(now time.Time, cal *calendar.Calendar) {
	for i := range s.Targets {
		if s.Targets[i].Paused() {
			s.Targets[i].run(now, cal)
		}
	}
}

// Meet records that the target name was met at now and stops its clock.
// A target met once its budget has run out is late: if its breach had not
// been recorded yet (the timer had not fired), BreachedAt is set to the
// instant it fell due (now, for a paused target). Meet reports whether it
// changed anything: false for a met or missing target.
func (s *State) Meet(name string, now time.Time, cal *calendar.Calendar) bool {
	t := s.find(name)
	if t == nil || t.Met() {
		return false
	}
	late, due := t.outOfBudget(now), t.Due
	t.stop(now, cal)
	t.MetAt = now
	if late && !t.Breached() {
		t.BreachedAt = now
		if !due.IsZero() {
			t.BreachedAt = due
		}
	}
	return true
}

// Cancel removes the target name, as when the ticket leaves a stage early
// or its policy drops a target. It reports whether there was one. A
// cancelled target's breach is forgotten with it.
func (s *State) Cancel(name string) bool {
	i := s.index(name)
	if i < 0 {
		return false
	}
	s.Targets = slices.Delete(s.Targets, i, i+1)
	return true
}

// Breach records that the target name breached at now, as its breach timer
// fires. The clock keeps running: a late target can still be met. Breach
// reports whether this is news, so that the breach event is written once:
// false for a missing, met or already breached target, and for a paused
// one with budget left (a timer that fired as the clock stopped). A running
// target is trusted to be due, so that a replica whose clock lags the
// timer's does not lose the breach.
func (s *State) Breach(name string, now time.Time) bool {
	t := s.find(name)
	if t == nil || t.Met() || t.Breached() || (t.Paused() && t.Used < t.Budget) {
		return false
	}
	t.BreachedAt = now
	return true
}

// BreachOverdue breaches, at now, every open target whose budget has run
// out but whose breach is not recorded yet, and returns their names. Call
// it before deciding on something that depends on a breach (solving
// without a breach reason) so that a timer still in flight does not matter.
func (s *State) BreachOverdue(now time.Time) []string {
	var names []string
	for i := range s.Targets {
		t := &s.Targets[i]
		if !t.Met() && !t.Breached() && t.outOfBudget(now) {
			t.BreachedAt = now
			names = append(names, t.Name)
		}
	}
	return names
}

func (s *State) index(name string) int {
	if s == nil {
		return -1
	}
	return slices.IndexFunc(s.Targets, func(t Target) bool { return t.Name == name })
}

func (s *State) find(name string) *Target {
	if i := s.index(name); i >= 0 {
		return &s.Targets[i]
	}
	return nil
}
