package calendar

import (
	"fmt"
	"strings"
	"time"
)

// day is a civil date, counted in days since 1970-01-01. Dates in a
// Config name days in the calendar's zone; a day only becomes instants
// through hours.on.
type day int64

const secondsPerDay = 24 * 60 * 60

// maxRangeDays bounds a holiday or workday range: a longer one is almost
// certainly a typo in the year.
const maxRangeDays = 366

func dayOf(y int, m time.Month, d int) day {
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / secondsPerDay)
}

// dayAt is the date of t on the wall clock of loc.
func dayAt(t time.Time, loc *time.Location) day {
	return dayOf(t.In(loc).Date())
}

func (n day) date() (int, time.Month, int) {
	return time.Unix(int64(n)*secondsPerDay, 0).UTC().Date()
}

func (n day) weekday() time.Weekday {
	// 1970-01-01 was a Thursday.
	return time.Weekday(((int64(n)+int64(time.Thursday))%7 + 7) % 7)
}

func (n day) String() string {
	y, m, d := n.date()
	return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
}

func parseDay(s string) (day, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("bad date %q: want YYYY-MM-DD", s)
	}
	return dayOf(t.Date()), nil
}

// parseDays reads a date ("2026-10-01") or an inclusive range
// ("2026-10-01..2026-10-07").
func parseDays(s string) (first, last day, err error) {
	from, to, isRange := strings.Cut(s, "..")
	if first, err = parseDay(from); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return first, first, nil
	}
	if last, err = parseDay(to); err != nil {
		return 0, 0, err
	}
	switch {
	case last < first:
		return 0, 0, fmt.Errorf("bad range %q: ends before it starts", s)
	case last-first >= maxRangeDays:
		return 0, 0, fmt.Errorf("bad range %q: longer than %d days", s, maxRangeDays)
	}
	return first, last, nil
}
