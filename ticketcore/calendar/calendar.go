package calendar

import (
	"iter"
	"time"
)

// Calendar tells open business time from closed time. Build one with New
// or Always; it is immutable and safe for concurrent use. Business time is
// real elapsed time inside opening hours, so an hour is an hour even on
// the night a zone changes its offset.
type Calendar struct {
	name string
	loc  *time.Location
	// always marks the 24×7 calendar, which needs no spans.
	always bool
	// weekly holds the hours of each weekday, indexed by time.Weekday.
	weekly [7][]hours
	// exceptions holds the hours of the dates that do not follow the
	// week: none for a holiday, the workday hours for a make-up workday.
	exceptions map[day][]hours
}

// Always returns the 24×7 calendar, named "24x7", on which every instant
// is open. Its Location is UTC, which only matters for display.
func Always() *Calendar {
	return &Calendar{name: "24x7", loc: time.UTC, always: true}
}

// Name is the calendar's name from its Config.
func (c *Calendar) Name() string { return c.name }

// Location is the zone the calendar's hours and dates are in.
func (c *Calendar) Location() *time.Location { return c.loc }

// Open reports whether t is business time. An interval includes its
// opening instant and excludes its closing one.
func (c *Calendar) Open(t time.Time) bool {
	if c.always {
		return true
	}
	start, _ := c.nextSpan(t)
	return !t.Before(start)
}

// NextOpen is t when t is business time, else the next opening instant.
func (c *Calendar) NextOpen(t time.Time) time.Time {
	if c.always {
		return t
	}
	if start, _ := c.nextSpan(t); start.After(t) {
		return start.In(t.Location())
	}
	return t
}

// Add returns the earliest instant at which d of business time has
// passed since t. Counting starts at t, or at the next opening when t is
// closed; when d runs out exactly at a closing instant, Add returns that
// closing instant, not the next opening. A d of zero or less returns t.
// The result is in t's location. Whole opening intervals are consumed at
// once, so a budget of weeks costs a few dozen steps.
func (c *Calendar) Add(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	if c.always {
		return t.Add(d)
	}
	for start, end := range c.spans(t) {
		start = later(start, t)
		if avail := end.Sub(start); d > avail {
			d -= avail
			continue
		}
		return start.Add(d).In(t.Location())
	}
	panic("calendar: spans ended") // spans never ends
}

// Between is the business time in [a, b); zero when b is not after a.
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if c.always {
		return b.Sub(a)
	}
	var sum time.Duration
	for start, end := range c.spans(a) {
		if !start.Before(b) {
			break
		}
		sum += earlier(end, b).Sub(later(start, a))
	}
	return sum
}

// spans yields the open intervals [start, end) that end after t, in time
// order, day by day. Adjacent intervals may touch (00:00-24:00 on
// consecutive days); none overlap. It starts a day before t's date so that
// a zone whose midnight is skipped cannot hide an interval.
//
// It always yields again eventually: New requires some weekly hours, and
// holidays are finite.
func (c *Calendar) spans(t time.Time) iter.Seq2[time.Time, time.Time] {
	return func(yield func(start, end time.Time) bool) {
		var last time.Time
		for n := dayAt(t, c.loc) - 1; ; n++ {
			for _, h := range c.hoursOn(n) {
				start, end := h.on(n, c.loc)
				// A wall time in a skipped hour may land before the end of
				// the previous interval; clip it, and drop what is empty.
				start = later(start, last)
				if !end.After(start) {
					continue
				}
				last = end
				if end.After(t) && !yield(start, end) {
					return
				}
			}
		}
	}
}

// nextSpan is the first open interval that ends after t.
func (c *Calendar) nextSpan(t time.Time) (start, end time.Time) {
	for start, end = range c.spans(t) {
		break
	}
	return start, end
}

func (c *Calendar) hoursOn(n day) []hours {
	if h, ok := c.exceptions[n]; ok {
		return h
	}
	return c.weekly[n.weekday()]
}

func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if a.After(b) {
		return b
	}
	return a
}
