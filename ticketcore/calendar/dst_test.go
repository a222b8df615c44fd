package calendar

import (
	"testing"
	"time"
)

// New York leaves EST for EDT on 2026-03-08 at 02:00 and returns on
// 2026-11-01 at 02:00.
func TestDST(t *testing.T) {
	week := weekdays("09:00-17:00")
	office := mustNew(t, Config{Name: "ny-office", TimeZone: "America/New_York", Weekly: week})
	allDay := []string{"00:00-24:00"}
	wall := mustNew(t, Config{Name: "ny-wall", TimeZone: "America/New_York", Weekly: map[string][]string{
		"mon": allDay, "tue": allDay, "wed": allDay, "thu": allDay, "fri": allDay, "sat": allDay, "sun": allDay,
	}})
	night := mustNew(t, Config{Name: "ny-night", TimeZone: "America/New_York", Weekly: map[string][]string{
		"sun": {"01:00-04:00"}, "mon": {"09:00-17:00"},
	}})
	tests := []struct {
		name    string
		cal     *Calendar
		from    string
		d       time.Duration
		want    string
		wantUTC string
	}{
		{"office over spring forward", office, "2026-03-06 16:00", 2 * time.Hour, "2026-03-09 10:00", "2026-03-09 14:00"},
		{"office over fall back", office, "2026-10-30 16:00", 2 * time.Hour, "2026-11-02 10:00", "2026-11-02 15:00"},
		{"24h of wall days over spring forward", wall, "2026-03-07 12:00", 24 * time.Hour, "2026-03-08 13:00", "2026-03-08 17:00"},
		{"24h of wall days over fall back", wall, "2026-10-31 12:00", 24 * time.Hour, "2026-11-01 11:00", "2026-11-01 16:00"},
		{"hours across the skipped hour", night, "2026-03-08 00:00", 2 * time.Hour, "2026-03-08 04:00", "2026-03-08 08:00"},
		{"over a year end", office, "2026-12-31 16:30", time.Hour, "2027-01-01 09:30", "2027-01-01 14:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := at(t, tt.cal, tt.from)
			got := tt.cal.Add(from, tt.d)
			if !got.Equal(at(t, tt.cal, tt.want)) || got.UTC().Format("2006-01-02 15:04") != tt.wantUTC {
				t.Errorf("Add(%s, %v) = %s (%s), want %s (%s UTC)", tt.from, tt.d, got, got.UTC(), tt.want, tt.wantUTC)
			}
			if span := tt.cal.Between(from, got); span != tt.d {
				t.Errorf("Between(%s, %s) = %v, want %v", tt.from, got, span, tt.d)
			}
		})
	}
	// A wall day is 23 hours in spring and 25 in autumn.
	for day, want := range map[string]time.Duration{"2026-03-08": 23 * time.Hour, "2026-11-01": 25 * time.Hour, "2026-11-02": 24 * time.Hour} {
		from := at(t, wall, day+" 00:00")
		next := time.Date(from.Year(), from.Month(), from.Day()+1, 0, 0, 0, 0, from.Location())
		if got := wall.Between(from, next); got != want {
			t.Errorf("wall day %s has %v, want %v", day, got, want)
		}
	}
}
