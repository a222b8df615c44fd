package sla

import (
	"encoding/json"
	"testing"
	"time"
)

func TestNewDue(t *testing.T) {
	cal := office(t)
	tests := []struct{ name, created, firstResponse, resolution string }{
		{"Monday morning", "2026-03-09 10:00", "2026-03-09 14:00", "2026-03-11 16:00"},
		{"Friday late afternoon", "2026-03-13 17:00", "2026-03-16 12:00", "2026-03-18 14:00"},
		{"Friday afternoon", "2026-03-13 15:00", "2026-03-16 10:00", "2026-03-18 12:00"},
		{"Saturday", "2026-03-14 11:00", "2026-03-16 13:00", "2026-03-18 15:00"},
		{"Friday at the close", "2026-03-13 18:00", "2026-03-16 13:00", "2026-03-18 15:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(standard, at(t, tt.created), cal)
			if s.Policy != "standard" || s.Calendar != "office" || len(s.Targets) != 2 {
				t.Fatalf("New = %+v", s)
			}
			wantDue(t, s, FirstResponse, tt.firstResponse)
			wantDue(t, s, Resolution, tt.resolution)
			if !s.NextDue().Equal(at(t, tt.firstResponse)) {
				t.Errorf("NextDue = %s, want %s", s.NextDue(), tt.firstResponse)
			}
		})
	}
}

func TestNewWithoutBudgets(t *testing.T) {
	s := New(Policy{Name: "resolution-only", Resolution: time.Hour}, at(t, "2026-03-09 10:00"), office(t))
	if _, ok := s.Target(FirstResponse); ok || !s.Running(Resolution) {
		t.Errorf("targets = %+v, want resolution only", s.Targets)
	}
}

// A ticket pending from Friday 17:00 to Monday 10:00 is due later by the
// two business hours it waited (Friday 17-18, Monday 09-10).
func TestPauseResume(t *testing.T) {
	cal := office(t)
	s := New(standard, at(t, "2026-03-13 14:00"), cal)
	wantDue(t, s, FirstResponse, "2026-03-13 18:00")
	wantDue(t, s, Resolution, "2026-03-18 11:00")

	pause, resume := at(t, "2026-03-13 17:00"), at(t, "2026-03-16 10:00")
	s.Pause(pause, cal)
	for _, tg := range s.Targets {
		if !tg.Paused() || tg.Running() || tg.Used != 3*time.Hour || !tg.Due.IsZero() {
			t.Errorf("paused %s = %+v, want 3h used and no due", tg.Name, tg)
		}
	}
	if !s.NextDue().IsZero() || len(s.Timers(standard, cal)) != 0 {
		t.Errorf("paused: NextDue %s, timers %v; want none", s.NextDue(), s.Timers(standard, cal))
	}
	s.Pause(resume, cal) // pausing twice changes nothing
	s.Resume(resume, cal)
	wantDue(t, s, FirstResponse, "2026-03-16 11:00")
	wantDue(t, s, Resolution, "2026-03-18 13:00")
	if waited := cal.Between(pause, resume); waited != 2*time.Hour {
		t.Errorf("waited %v of business time, want 2h", waited)
	}
}

func TestMeet(t *testing.T) {
	cal := office(t)
	s := New(standard, at(t, "2026-03-09 09:00"), cal)
	if !s.Meet(FirstResponse, at(t, "2026-03-09 11:30"), cal) {
		t.Fatal("Meet = false")
	}
	fr := target(t, s, FirstResponse)
	if !fr.Met() || fr.Running() || fr.Paused() || fr.Used != 150*time.Minute || fr.Breached() {
		t.Errorf("met first response = %+v", fr)
	}
	if s.Meet(FirstResponse, at(t, "2026-03-09 12:00"), cal) {
		t.Error("second Meet = true")
	}
	// A met target stays met across a pause and a resume.
	s.Pause(at(t, "2026-03-09 12:00"), cal)
	s.Resume(at(t, "2026-03-09 14:00"), cal)
	if s.Running(FirstResponse) || !s.Running(Resolution) {
		t.Errorf("after resume: %+v", s.Targets)
	}
	// Meeting a paused target keeps its used time.
	s.Pause(at(t, "2026-03-09 15:00"), cal)
	s.Meet(Resolution, at(t, "2026-03-10 15:00"), cal)
	if res := target(t, s, Resolution); res.Used != 4*time.Hour || !res.MetAt.Equal(at(t, "2026-03-10 15:00")) {
		t.Errorf("resolution = %+v, want 4h used", res)
	}
	if s.Breached() {
		t.Error("Breached = true for targets met on time")
	}
}

func TestBreachThenMeet(t *testing.T) {
	cal := office(t)
	s := New(standard, at(t, "2026-03-09 09:00"), cal)
	due := at(t, "2026-03-09 13:00")
	if !s.Breach(FirstResponse, due) {
		t.Fatal("Breach = false")
	}
	if s.Breach(FirstResponse, due.Add(time.Minute)) {
		t.Error("second Breach = true")
	}
	if !s.Running(FirstResponse) || !s.Breached() || !target(t, s, FirstResponse).BreachedAt.Equal(due) {
		t.Errorf("breached first response = %+v", target(t, s, FirstResponse))
	}
	if !s.Meet(FirstResponse, at(t, "2026-03-09 14:00"), cal) {
		t.Fatal("Meet of a late target = false")
	}
	fr := target(t, s, FirstResponse)
	if fr.Used != 5*time.Hour || !fr.BreachedAt.Equal(due) || !s.Breached() {
		t.Errorf("late first response = %+v; want 5h used, still breached", fr)
	}
}

// A target met after its due instant, before its breach timer fired, is
// recorded as breached at its due instant.
func TestMeetLate(t *testing.T) {
	cal := office(t)
	s := New(standard, at(t, "2026-03-09 09:00"), cal)
	s.Meet(FirstResponse, at(t, "2026-03-09 13:30"), cal)
	if fr := target(t, s, FirstResponse); !fr.BreachedAt.Equal(at(t, "2026-03-09 13:00")) || !s.Breached() {
		t.Errorf("late first response = %+v, want breached at 13:00", fr)
	}
	// Met on the last business instant before the close: on time.
	s = New(standard, at(t, "2026-03-13 14:00"), cal)
	s.Meet(FirstResponse, at(t, "2026-03-13 17:59"), cal)
	if s.Breached() {
		t.Error("met at 17:59 for an 18:00 due: breached")
	}
	// Met on Saturday for a Friday 18:00 due: late, though no business
	// time passed since the close.
	s = New(standard, at(t, "2026-03-13 14:00"), cal)
	s.Meet(FirstResponse, at(t, "2026-03-14 10:00"), cal)
	if fr := target(t, s, FirstResponse); !fr.BreachedAt.Equal(at(t, "2026-03-13 18:00")) || fr.Used != 4*time.Hour {
		t.Errorf("met on Saturday = %+v, want breached at Friday 18:00", fr)
	}
}

func TestBreachRefused(t *testing.T) {
	cal := office(t)
	s := New(standard, at(t, "2026-03-09 09:00"), cal)
	s.Meet(FirstResponse, at(t, "2026-03-09 10:00"), cal)
	if s.Breach(FirstResponse, at(t, "2026-03-09 13:00")) {
		t.Error("Breach of a met target = true")
	}
	if s.Breach(NextResponse, at(t, "2026-03-09 13:00")) {
		t.Error("Breach of a missing target = true")
	}
	s.Pause(at(t, "2026-03-09 12:00"), cal)
	if s.Breach(Resolution, at(t, "2026-03-11 16:00")) {
		t.Error("Breach of a paused target with budget left = true")
	}
	if s.Breached() {
		t.Error("Breached = true")
	}
}

func TestBreachOverdue(t *testing.T) {
	cal := office(t)
	s := New(standard, at(t, "2026-03-09 09:00"), cal)
	if got := s.BreachOverdue(at(t, "2026-03-09 12:59")); len(got) != 0 {
		t.Errorf("BreachOverdue before due = %v", got)
	}
	now := at(t, "2026-03-09 13:00")
	if got := s.BreachOverdue(now); len(got) != 1 || got[0] != FirstResponse {
		t.Errorf("BreachOverdue at due = %v, want [first_response]", got)
	}
	if s.Breach(FirstResponse, now) || len(s.BreachOverdue(now)) != 0 {
		t.Error("a breach recorded twice")
	}
}

func TestNextResponseRestart(t *testing.T) {
	cal := office(t)
	s := New(standard, at(t, "2026-03-09 09:00"), cal)
	s.Meet(FirstResponse, at(t, "2026-03-09 10:00"), cal)

	s.Start(NextResponse, standard.NextResponse, at(t, "2026-03-09 11:00"), cal)
	wantDue(t, s, NextResponse, "2026-03-09 13:00")
	s.Breach(NextResponse, at(t, "2026-03-09 13:00"))
	s.MarkWarned(NextResponse, 0.75)
	s.Meet(NextResponse, at(t, "2026-03-09 13:30"), cal)

	// The customer writes again at 17:00: a fresh clock from zero.
	s.Start(NextResponse, standard.NextResponse, at(t, "2026-03-09 17:00"), cal)
	wantDue(t, s, NextResponse, "2026-03-10 10:00")
	nr := target(t, s, NextResponse)
	if nr.Used != 0 || nr.Met() || nr.Breached() || len(nr.Warned) != 0 || s.Breached() {
		t.Errorf("restarted next response = %+v", nr)
	}
	if len(s.Targets) != 3 {
		t.Errorf("targets = %d, want 3 (one next response)", len(s.Targets))
	}
	// A policy without a next response starts nothing.
	s.Start(NextResponse, 0, at(t, "2026-03-10 09:30"), cal)
	if !target(t, s, NextResponse).Since.Equal(at(t, "2026-03-09 17:00")) {
		t.Error("Start with no budget changed the target")
	}
}

func TestStages(t *testing.T) {
	cal := office(t)
	s := New(standard, at(t, "2026-03-09 09:00"), cal)
	finance := StageTarget("finance")
	s.Start(finance, standard.Budget(finance), at(t, "2026-03-09 16:00"), cal)
	wantDue(t, s, finance, "2026-03-10 15:00")

	// Back from finance early: the stage clock goes away.
	if !s.Cancel(finance) || s.Cancel(finance) {
		t.Error("Cancel: want true once, then false")
	}
	if _, ok := s.Target(finance); ok {
		t.Error("cancelled stage target still listed")
	}
	// Entering again starts it afresh; completing it meets it.
	s.Start(finance, standard.Budget(finance), at(t, "2026-03-11 09:00"), cal)
	s.Meet(finance, at(t, "2026-03-11 12:00"), cal)
	if f := target(t, s, finance); f.Used != 3*time.Hour || !f.Met() {
		t.Errorf("met stage = %+v", f)
	}
	// A stage without a budget in the policy has no target.
	s.Start(StageTarget("after_sales"), standard.Budget(StageTarget("after_sales")), at(t, "2026-03-11 12:00"), cal)
	if _, ok := s.Target(StageTarget("after_sales")); ok {
		t.Error("stage without a budget got a target")
	}
}

func TestNilState(t *testing.T) {
	var s *State
	if s.Running(Resolution) || s.Breached() || !s.NextDue().IsZero() || s.Timers(standard, office(t)) != nil {
		t.Error("nil State answered as if it had targets")
	}
	if _, ok := s.Target(Resolution); ok {
		t.Error("nil State has a target")
	}
}

// The State is stored as JSON; paused, met and running targets must read
// back the same.
func TestJSONRoundTrip(t *testing.T) {
	cal := office(t)
	s := New(standard, at(t, "2026-03-09 09:00"), cal)
	s.Meet(FirstResponse, at(t, "2026-03-09 10:00"), cal)
	s.Start(StageTarget("finance"), 8*time.Hour, at(t, "2026-03-09 10:00"), cal)
	s.MarkWarned(Resolution, 0.75)
	s.Pause(at(t, "2026-03-09 11:00"), cal)
	s.Resume(at(t, "2026-03-09 11:00"), cal)
	s.Pause(at(t, "2026-03-09 12:00"), cal)
	s.Resume(at(t, "2026-03-09 12:00"), cal)
	s.Cancel(StageTarget("finance"))
	s.Pause(at(t, "2026-03-09 13:00"), cal)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for i, tg := range s.Targets {
		g := back.Targets[i]
		if g.Name != tg.Name || g.Met() != tg.Met() || g.Paused() != tg.Paused() || g.Used != tg.Used || len(g.Warned) != len(tg.Warned) {
			t.Errorf("target %d: %+v read back as %+v", i, tg, g)
		}
	}
	back.Resume(at(t, "2026-03-10 09:00"), cal)
	if !back.Running(Resolution) || back.Running(FirstResponse) {
		t.Errorf("resumed after a round trip: %+v", back.Targets)
	}
}
