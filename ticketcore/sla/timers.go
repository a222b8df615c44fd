package sla

import (
	"slices"
	"strconv"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore/calendar"
)

// Timer kinds.
const (
	TimerWarn   = "warn"
	TimerBreach = "breach"
)

// Timer is a moment at which a target needs attention: a warning when a
// fraction of its budget is used, or its breach.
type Timer struct {
	Target string
	// Kind is TimerWarn or TimerBreach.
	Kind string
	// Fraction is the share of the budget a warning announces; zero for a
	// breach.
	Fraction float64
	At       time.Time
}

// Timers lists the timers the State needs scheduled now. For each running
// target that has not breached: one warning per fraction of p.WarnAt() not
// yet in Warned, at the instant its used time reaches that fraction of the
// budget (Since, when it already has), unless the budget is already used
// up; then the breach at Due. Paused, met and breached targets need none.
// cal is the State's calendar.
//
// The caller replaces a ticket's scheduled timers with these after every
// change, by TimerID: a timer whose id is no longer listed is deleted.
func (s *State) Timers(p Policy, cal *calendar.Calendar) []Timer {
	if s == nil {
		return nil
	}
	fractions := p.WarnAt()
	var out []Timer
	for _, t := range s.Targets {
		if !t.Running() || t.Breached() {
			continue
		}
		if t.Used < t.Budget {
			out = append(out, t.warnings(fractions, cal)...)
		}
		out = append(out, Timer{Target: t.Name, Kind: TimerBreach, At: t.Due})
	}
	return out
}

func (t Target) warnings(fractions []float64, cal *calendar.Calendar) []Timer {
	var out []Timer
	for _, f := range fractions {
		if slices.Contains(t.Warned, f) {
			continue
		}
		at := t.Since
		if mark := time.Duration(f * float64(t.Budget)); mark > t.Used {
			at = cal.Add(t.Since, mark-t.Used)
		}
		out = append(out, Timer{Target: t.Name, Kind: TimerWarn, Fraction: f, At: at})
	}
	return out
}

// MarkWarned records that the warning at fraction of the target name was
// announced. It reports whether this is news, so that the warning event is
// written once: false when it was already marked, and when the target is
// missing, not running or breached (a timer that outlived its clock).
func (s *State) MarkWarned(name string, fraction float64) bool {
	t := s.find(name)
	if t == nil || !t.Running() || t.Breached() || slices.Contains(t.Warned, fraction) {
		return false
	}
	t.Warned = append(t.Warned, fraction)
	return true
}

// TimerID is the stable id of a ticket's timer, e.g.
// "sla:T-000001:first_response:warn:0.75" or
// "sla:T-000001:stage:finance:breach". A target has one id per kind and
// fraction across restarts and resumptions, so scheduling it again
// replaces the earlier timer and deleting it is exact.
func TimerID(ticketID string, t Timer) string {
	id := "sla:" + ticketID + ":" + t.Target + ":" + t.Kind
	if t.Kind == TimerWarn {
		id += ":" + strconv.FormatFloat(t.Fraction, 'f', -1, 64)
	}
	return id
}
