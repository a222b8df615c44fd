package calendar

import (
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zoneinfo
)

func mustNew(t testing.TB, cfg Config) *Calendar {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%q): %v", cfg.Name, err)
	}
	return c
}

// at reads "2006-01-02 15:04" (or with seconds) on the calendar's wall clock.
func at(t testing.TB, c *Calendar, s string) time.Time {
	t.Helper()
	for _, layout := range []string{time.DateTime, "2006-01-02 15:04"} {
		if v, err := time.ParseInLocation(layout, s, c.Location()); err == nil {
			return v
		}
	}
	t.Fatalf("bad test time %q", s)
	return time.Time{}
}

// office is Mon–Fri 09:00-18:00 in Shanghai, without holidays.
func office(t testing.TB) *Calendar {
	nineToSix := []string{"09:00-18:00"}
	return mustNew(t, Config{Name: "office", Weekly: map[string][]string{
		"mon": nineToSix, "tue": nineToSix, "wed": nineToSix, "thu": nineToSix, "fri": nineToSix,
	}})
}

func weekdays(h ...string) map[string][]string {
	return map[string][]string{"mon": h, "tue": h, "wed": h, "thu": h, "fri": h}
}
