package sla

import (
	"testing"
	"time"
)

type wantTimer struct {
	target, kind string
	fraction     float64
	at           string
}

func checkTimers(t *testing.T, got []Timer, want []wantTimer) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("Timers = %+v, want %d timers", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Target != w.target || g.Kind != w.kind || g.Fraction != w.fraction || !g.At.Equal(at(t, w.at)) {
			t.Errorf("timer %d = %s %s %v at %s, want %s %s %v at %s", i, g.Target, g.Kind, g.Fraction, g.At, w.target, w.kind, w.fraction, w.at)
		}
	}
}

func TestTimers(t *testing.T) {
	cal := office(t)
	s := New(standard, at(t, "2026-03-09 09:00"), cal)
	checkTimers(t, s.Timers(standard, cal), []wantTimer{
		{FirstResponse, TimerWarn, 0.75, "2026-03-09 12:00"},
		{FirstResponse, TimerBreach, 0, "2026-03-09 13:00"},
		{Resolution, TimerWarn, 0.75, "2026-03-10 18:00"}, // 18h used at Tuesday's close
		{Resolution, TimerBreach, 0, "2026-03-11 15:00"},
	})

	several := standard
	several.Warn = []float64{0.9, 0.5}
	checkTimers(t, s.Timers(several, cal)[:3], []wantTimer{
		{FirstResponse, TimerWarn, 0.5, "2026-03-09 11:00"},
		{FirstResponse, TimerWarn, 0.9, "2026-03-09 12:36"},
		{FirstResponse, TimerBreach, 0, "2026-03-09 13:00"},
	})

	silent := standard
	silent.Warn = []float64{}
	checkTimers(t, s.Timers(silent, cal), []wantTimer{
		{FirstResponse, TimerBreach, 0, "2026-03-09 13:00"},
		{Resolution, TimerBreach, 0, "2026-03-11 15:00"},
	})
}

func TestTimersAfterMarkWarnedAndBreach(t *testing.T) {
	cal := office(t)
	s := New(standard, at(t, "2026-03-09 09:00"), cal)
	if !s.MarkWarned(FirstResponse, 0.75) || s.MarkWarned(FirstResponse, 0.75) {
		t.Error("MarkWarned: want true once, then false")
	}
	checkTimers(t, s.Timers(standard, cal), []wantTimer{
		{FirstResponse, TimerBreach, 0, "2026-03-09 13:00"},
		{Resolution, TimerWarn, 0.75, "2026-03-10 18:00"},
		{Resolution, TimerBreach, 0, "2026-03-11 15:00"},
	})
	s.Breach(FirstResponse, at(t, "2026-03-09 13:00"))
	checkTimers(t, s.Timers(standard, cal), []wantTimer{
		{Resolution, TimerWarn, 0.75, "2026-03-10 18:00"},
		{Resolution, TimerBreach, 0, "2026-03-11 15:00"},
	})
	if s.MarkWarned(FirstResponse, 0.5) {
		t.Error("MarkWarned on a breached target = true")
	}
	s.Meet(Resolution, at(t, "2026-03-09 14:00"), cal)
	if got := s.Timers(standard, cal); len(got) != 0 {
		t.Errorf("Timers = %+v, want none", got)
	}
	if s.MarkWarned(Resolution, 0.75) {
		t.Error("MarkWarned on a met target = true")
	}
}

// Paused at 12:30 after 3.5 of 4 hours, before the 75% warning was
// announced: on resume the warning is due at once and the breach half an
// hour later.
func TestTimersPastWarnOnResume(t *testing.T) {
	cal := office(t)
	s := New(standard, at(t, "2026-03-09 09:00"), cal)
	s.Pause(at(t, "2026-03-09 12:30"), cal)
	if s.MarkWarned(FirstResponse, 0.75) {
		t.Error("MarkWarned on a paused target = true")
	}
	s.Resume(at(t, "2026-03-10 10:00"), cal)
	checkTimers(t, s.Timers(standard, cal), []wantTimer{
		{FirstResponse, TimerWarn, 0.75, "2026-03-10 10:00"},
		{FirstResponse, TimerBreach, 0, "2026-03-10 10:30"},
		{Resolution, TimerWarn, 0.75, "2026-03-11 15:30"},
		{Resolution, TimerBreach, 0, "2026-03-12 12:30"},
	})
}

// Paused after its due instant before the breach was recorded: on resume
// the breach is due at once and no warning is.
func TestTimersPastBudgetOnResume(t *testing.T) {
	cal := office(t)
	s := New(Policy{Name: "fr", FirstResponse: 4 * time.Hour}, at(t, "2026-03-09 09:00"), cal)
	s.Pause(at(t, "2026-03-09 13:30"), cal)
	s.Resume(at(t, "2026-03-10 10:00"), cal)
	checkTimers(t, s.Timers(standard, cal), []wantTimer{
		{FirstResponse, TimerBreach, 0, "2026-03-10 10:00"},
	})
	// The timer that fired while it was paused would have counted too.
	s.Pause(at(t, "2026-03-10 10:00"), cal)
	if !s.Breach(FirstResponse, at(t, "2026-03-10 10:00")) {
		t.Error("Breach of a paused target out of budget = false")
	}
}

func TestTimerID(t *testing.T) {
	tests := []struct {
		timer Timer
		want  string
	}{
		{Timer{Target: FirstResponse, Kind: TimerWarn, Fraction: 0.75}, "sla:T-000001:first_response:warn:0.75"},
		{Timer{Target: FirstResponse, Kind: TimerWarn, Fraction: 0.5}, "sla:T-000001:first_response:warn:0.5"},
		{Timer{Target: Resolution, Kind: TimerBreach}, "sla:T-000001:resolution:breach"},
		{Timer{Target: StageTarget("finance"), Kind: TimerBreach}, "sla:T-000001:stage:finance:breach"},
	}
	for _, tt := range tests {
		tt.timer.At = time.Unix(1, 0) // the instant is not part of the id
		if got := TimerID("T-000001", tt.timer); got != tt.want {
			t.Errorf("TimerID = %q, want %q", got, tt.want)
		}
	}
}
