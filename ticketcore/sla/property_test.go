package sla

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore/calendar"
)

// TestClockProperties drives a State through random pauses, resumptions,
// restarts, warnings, breaches and meets, and checks after every step that
// a running clock's Due is exactly its remaining budget away (Used +
// Between(Since, Due) == Budget), that Used is the business time the
// clock ran, and that every timer sits where its fraction falls.
func TestClockProperties(t *testing.T) {
	cal, err := calendar.New(calendar.Config{
		Name:     "lunch",
		Weekly:   map[string][]string{"mon": {"09:00-12:00", "13:30-18:00"}, "tue": {"09:00-12:00", "13:30-18:00"}, "wed": {"09:00-18:00"}, "thu": {"09:00-18:00"}, "fri": {"09:00-17:00"}},
		Holidays: []string{"2026-09-25..2026-09-27", "2026-10-01..2026-10-07"},
		Workdays: []string{"2026-09-20", "2026-10-10"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := standard
	p.Warn = []float64{0.5, 0.75, 0.9}
	rng := rand.New(rand.NewPCG(3, 2026))
	for run := range 300 {
		now := at(t, "2026-09-14 08:00").Add(time.Duration(rng.Int64N(int64(40 * 24 * time.Hour))))
		s := New(p, now, cal)
		m := model{cal: cal, runningSince: now, running: true}
		for step := range 40 {
			now = now.Add(time.Duration(rng.Int64N(int64(20 * time.Hour))))
			m.apply(s, rng.IntN(6), now)
			if err := checkState(s, p, cal); err != nil {
				t.Fatalf("run %d step %d at %s: %v", run, step, now, err)
			}
			if err := m.check(s, now); err != nil {
				t.Fatalf("run %d step %d at %s: %v", run, step, now, err)
			}
		}
	}
}

// model keeps its own account of the resolution clock, which no operation
// here meets or restarts.
type model struct {
	cal          *calendar.Calendar
	used         time.Duration
	running      bool
	runningSince time.Time
}

func (m *model) apply(s *State, op int, now time.Time) {
	switch op {
	case 0:
		s.Pause(now, m.cal)
		if m.running {
			m.used += m.cal.Between(m.runningSince, now)
			m.running = false
		}
	case 1:
		s.Resume(now, m.cal)
		if !m.running {
			m.running, m.runningSince = true, now
		}
	case 2:
		s.Start(NextResponse, standard.NextResponse, now, m.cal)
		if !m.running { // the ticket is paused: so is the new clock
			s.Pause(now, m.cal)
		}
	case 3:
		s.Meet(NextResponse, now, m.cal)
	case 4:
		for _, tm := range s.Timers(standard, m.cal) {
			if tm.At.After(now) {
				continue
			}
			if tm.Kind == TimerWarn {
				s.MarkWarned(tm.Target, tm.Fraction)
			} else {
				s.Breach(tm.Target, now)
			}
		}
	case 5:
		s.BreachOverdue(now)
	}
}

func (m *model) check(s *State, now time.Time) error {
	res, _ := s.Target(Resolution)
	want := m.used
	if m.running {
		want += m.cal.Between(m.runningSince, now)
	}
	if got := res.UsedAt(now, m.cal); got != want || res.Running() != m.running {
		return errorf("resolution used %v running %v, want %v running %v", got, res.Running(), want, m.running)
	}
	return nil
}

func checkState(s *State, p Policy, cal *calendar.Calendar) error {
	var next time.Time
	for _, tg := range s.Targets {
		if !tg.Running() {
			if !tg.Due.IsZero() {
				return errorf("%s stopped with due %s", tg.Name, tg.Due)
			}
			continue
		}
		left := max(tg.Budget-tg.Used, 0)
		if got := cal.Between(tg.Since, tg.Due); got != left {
			return errorf("%s: used %v + Between(since, due) %v != budget %v", tg.Name, tg.Used, got, tg.Budget)
		}
		if left == 0 && !tg.Due.Equal(tg.Since) {
			return errorf("%s out of budget: due %s, want since %s", tg.Name, tg.Due, tg.Since)
		}
		if next.IsZero() || tg.Due.Before(next) {
			next = tg.Due
		}
	}
	if !s.NextDue().Equal(next) {
		return errorf("NextDue %s, want %s", s.NextDue(), next)
	}
	for _, tm := range s.Timers(p, cal) {
		tg, _ := s.Target(tm.Target)
		if tm.Kind == TimerBreach {
			if !tm.At.Equal(tg.Due) {
				return errorf("%s breach at %s, due %s", tm.Target, tm.At, tg.Due)
			}
			continue
		}
		mark := time.Duration(tm.Fraction * float64(tg.Budget))
		if tm.At.Before(tg.Since) || tm.At.After(tg.Due) ||
			(mark > tg.Used && tg.Used+cal.Between(tg.Since, tm.At) != mark) {
			return errorf("%s warn %v at %s: since %s, due %s, used %v", tm.Target, tm.Fraction, tm.At, tg.Since, tg.Due, tg.Used)
		}
	}
	return nil
}
