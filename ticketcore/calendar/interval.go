package calendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// hours is one opening interval of a day on the wall clock, in minutes
// after midnight: [from, to), with to at most 24*60.
type hours struct{ from, to int }

const minutesPerDay = 24 * 60

// parseHours reads "09:00-12:00"; "00:00-24:00" is the whole day.
func parseHours(s string) (hours, error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return hours{}, fmt.Errorf("bad hours %q: want HH:MM-HH:MM", s)
	}
	f, errF := parseClock(from)
	t, errT := parseClock(to)
	switch {
	case errF != nil || errT != nil || f == minutesPerDay:
		return hours{}, fmt.Errorf("bad hours %q: want HH:MM-HH:MM, 00:00 to 24:00", s)
	case t <= f:
		return hours{}, fmt.Errorf("bad hours %q: ends before it starts", s)
	}
	return hours{f, t}, nil
}

// parseClock reads "HH:MM" (00:00 to 24:00) as minutes after midnight.
func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(hh) != 2 || len(mm) != 2 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	h, errH := strconv.ParseUint(hh, 10, 8)
	m, errM := strconv.ParseUint(mm, 10, 8)
	if errH != nil || errM != nil || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return int(h)*60 + int(m), nil
}

// parseDayHours reads the intervals of one day, which must be in order
// and must not overlap (touching is allowed).
func parseDayHours(list []string) ([]hours, error) {
	out := make([]hours, 0, len(list))
	for _, s := range list {
		h, err := parseHours(s)
		if err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && h.from < out[n-1].to {
			return nil, fmt.Errorf("hours %q overlap or precede %q: list them in order without overlap", s, list[n-1])
		}
		out = append(out, h)
	}
	return out, nil
}

// on is the interval as instants on day n in loc. The wall clock decides:
// 09:00-18:00 is nine hours on any day, while 00:00-24:00 lasts 23 or 25
// hours on the days a zone changes its offset.
func (h hours) on(n day, loc *time.Location) (start, end time.Time) {
	y, m, d := n.date()
	start = time.Date(y, m, d, h.from/60, h.from%60, 0, 0, loc)
	end = time.Date(y, m, d, h.to/60, h.to%60, 0, 0, loc)
	return start, end
}

func (h hours) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", h.from/60, h.from%60, h.to/60, h.to%60)
}
