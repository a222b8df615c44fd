package sla

import (
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zoneinfo

	"github.com/loopdesk/loopdesk/ticketcore/calendar"
)

// office is Mon–Fri 09:00-18:00 in Shanghai. In March 2026 the 9th is a
// Monday and the 13th a Friday.
func office(t testing.TB) *calendar.Calendar {
	t.Helper()
	h := []string{"09:00-18:00"}
	c, err := calendar.New(calendar.Config{Name: "office", Weekly: map[string][]string{
		"mon": h, "tue": h, "wed": h, "thu": h, "fri": h,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// standard is 4h first response, 2h next response, 24h resolution, an 8h
// finance stage, warnings at the default 75%.
var standard = Policy{
	Name:          "standard",
	Calendar:      "office",
	FirstResponse: 4 * time.Hour,
	NextResponse:  2 * time.Hour,
	Resolution:    24 * time.Hour,
	Stages:        map[string]time.Duration{"finance": 8 * time.Hour},
}

// at reads "2006-01-02 15:04" in Shanghai.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatalf("bad test time %q", s)
	}
	return v
}

func target(t testing.TB, s *State, name string) Target {
	t.Helper()
	tg, ok := s.Target(name)
	if !ok {
		t.Fatalf("no target %s", name)
	}
	return tg
}

func wantDue(t testing.TB, s *State, name, due string) {
	t.Helper()
	tg := target(t, s, name)
	if !tg.Running() || !tg.Due.Equal(at(t, due)) {
		t.Errorf("%s: running %v, due %s; want due %s", name, tg.Running(), tg.Due, due)
	}
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
