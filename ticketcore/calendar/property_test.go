package calendar

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestProperties checks, on random instants, that Add and Between are
// inverses and that Between adds up, on calendars with lunch breaks,
// holidays, make-up days, year ends and daylight-saving changes.
func TestProperties(t *testing.T) {
	gap := mustNew(t, Config{Name: "ny-gap", TimeZone: "America/New_York", Weekly: map[string][]string{
		"sun": {"00:30-01:45", "01:50-02:30", "02:45-03:15", "23:00-24:00"},
		"mon": {"00:00-24:00"},
		"wed": {"09:00-12:00", "13:30-18:00"},
	}})
	cals := []*Calendar{
		mustNew(t, china2026),
		lunch(t),
		gap,
		mustNew(t, Config{Name: "ny-office", TimeZone: "America/New_York", Weekly: weekdays("09:00-17:00")}),
	}
	rng := rand.New(rand.NewPCG(2026, 10))
	lo := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	span := int64(time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC).Sub(lo) / time.Minute)
	instant := func() time.Time {
		t := lo.Add(time.Duration(rng.Int64N(span)) * time.Minute)
		if rng.IntN(4) == 0 {
			t = t.Add(time.Duration(rng.Int64N(int64(time.Minute))))
		}
		return t
	}
	for _, c := range cals {
		for range 2000 {
			a := instant()
			b := a.Add(time.Duration(rng.Int64N(int64(90 * 24 * time.Hour))))
			checkInverse(t, c, a, b, time.Duration(rng.Int64N(int64(300*time.Hour)))+1)
			m := a.Add(time.Duration(rng.Int64N(int64(b.Sub(a)) + 1)))
			if sum := c.Between(a, m) + c.Between(m, b); sum != c.Between(a, b) {
				t.Fatalf("%s: Between(%s, %s) = %v, but via %s it is %v", c.Name(), a, b, c.Between(a, b), m, sum)
			}
			if got := c.NextOpen(a).Equal(a); got != c.Open(a) {
				t.Fatalf("%s: Open(%s) = %v but NextOpen = %s", c.Name(), a, c.Open(a), c.NextOpen(a))
			}
		}
	}
}

func checkInverse(t *testing.T, c *Calendar, a, b time.Time, d time.Duration) {
	t.Helper()
	if got := c.Between(a, c.Add(a, d)); got != d {
		t.Fatalf("%s: Between(%s, Add(%s, %v)) = %v", c.Name(), a, a, d, got)
	}
	r := c.Add(a, c.Between(a, b))
	switch {
	case c.Open(b) && (b.Equal(a) || c.Open(b.Add(-time.Nanosecond))):
		// Open and not an opening instant: Add lands exactly on b.
		if !r.Equal(b) {
			t.Fatalf("%s: Add(%s, Between(%s, %s)) = %s, want %s", c.Name(), a, a, b, r, b)
		}
	default:
		// Add lands on the earliest instant with that business time:
		// the last close before b, or a.
		if r.After(b) || c.Between(r, b) != 0 {
			t.Fatalf("%s: Add(%s, Between(%s, %s)) = %s, want the last close before %s", c.Name(), a, a, b, r, b)
		}
	}
}
