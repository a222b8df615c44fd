package calendar

import (
	"sync"
	"testing"
	"time"
)

// lunch is Mon–Fri 09:00-12:00 and 13:30-18:00 with a holiday range and a
// make-up Saturday, in Shanghai.
func lunch(t testing.TB) *Calendar {
	return mustNew(t, Config{
		Name:     "lunch",
		Weekly:   weekdays("09:00-12:00", "13:30-18:00"),
		Holidays: []string{"2026-10-01..2026-10-07"},
		Workdays: []string{"2026-10-10"},
	})
}

func TestOpen(t *testing.T) {
	c := lunch(t)
	tests := []struct {
		at   string
		want bool
	}{
		{"2026-09-28 08:59:59", false}, // Monday
		{"2026-09-28 09:00", true},     // opening instant is open
		{"2026-09-28 11:59:59", true},
		{"2026-09-28 12:00", false}, // closing instant is closed
		{"2026-09-28 13:29:59", false},
		{"2026-09-28 13:30", true},
		{"2026-09-28 18:00", false},
		{"2026-09-26 10:00", false}, // Saturday
		{"2026-09-27 10:00", false}, // Sunday
		{"2026-10-02 10:00", false}, // holiday Friday
		{"2026-10-10 10:00", true},  // make-up Saturday, Monday's hours
		{"2026-10-10 12:30", false}, // its lunch break
	}
	for _, tt := range tests {
		if got := c.Open(at(t, c, tt.at)); got != tt.want {
			t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.want)
		}
	}
}

func TestNextOpen(t *testing.T) {
	c := lunch(t)
	tests := []struct{ at, want string }{
		{"2026-09-28 10:00", "2026-09-28 10:00"},
		{"2026-09-28 09:00", "2026-09-28 09:00"},
		{"2026-09-28 12:00", "2026-09-28 13:30"},
		{"2026-09-28 18:00", "2026-09-29 09:00"},
		{"2026-09-25 18:00", "2026-09-28 09:00"}, // Friday evening
		{"2026-09-30 18:00", "2026-10-08 09:00"}, // eve of the holiday
		{"2026-10-09 20:00", "2026-10-10 09:00"}, // make-up Saturday
	}
	for _, tt := range tests {
		if got := c.NextOpen(at(t, c, tt.at)); !got.Equal(at(t, c, tt.want)) {
			t.Errorf("NextOpen(%s) = %s, want %s", tt.at, got, tt.want)
		}
	}
}

func TestAdd(t *testing.T) {
	c := lunch(t)
	tests := []struct {
		name, from string
		d          time.Duration
		want       string
	}{
		{"zero", "2026-09-26 10:00", 0, "2026-09-26 10:00"},
		{"negative", "2026-09-26 10:00", -time.Hour, "2026-09-26 10:00"},
		{"within the morning", "2026-09-28 09:00", 2 * time.Hour, "2026-09-28 11:00"},
		{"ends at the lunch close", "2026-09-28 09:00", 3 * time.Hour, "2026-09-28 12:00"},
		{"over lunch", "2026-09-28 11:00", 2 * time.Hour, "2026-09-28 14:30"},
		{"from lunch", "2026-09-28 12:15", time.Minute, "2026-09-28 13:31"},
		{"from the closing instant", "2026-09-28 18:00", time.Hour, "2026-09-29 10:00"},
		{"over the weekend", "2026-09-25 17:00", 2 * time.Hour, "2026-09-28 10:00"},
		{"from Sunday", "2026-09-27 23:00", 30 * time.Minute, "2026-09-28 09:30"},
		{"over the holiday and lunch", "2026-09-30 17:55", 4 * time.Hour, "2026-10-08 14:25"},
		{"onto a make-up Saturday", "2026-10-09 17:00", 4 * time.Hour, "2026-10-10 12:00"},
		{"a whole day", "2026-09-28 09:00", 7*time.Hour + 30*time.Minute, "2026-09-28 18:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Add(at(t, c, tt.from), tt.d)
			if !got.Equal(at(t, c, tt.want)) {
				t.Errorf("Add(%s, %v) = %s, want %s", tt.from, tt.d, got, tt.want)
			}
		})
	}
}

func TestBetween(t *testing.T) {
	c := lunch(t)
	tests := []struct {
		name, a, b string
		want       time.Duration
	}{
		{"empty", "2026-09-28 10:00", "2026-09-28 10:00", 0},
		{"reversed", "2026-09-28 11:00", "2026-09-28 10:00", 0},
		{"inside", "2026-09-28 10:00", "2026-09-28 11:15", 75 * time.Minute},
		{"over lunch", "2026-09-28 11:00", "2026-09-28 14:00", 90 * time.Minute},
		{"closed only", "2026-09-26 00:00", "2026-09-28 09:00", 0},
		{"a week", "2026-09-14 00:00", "2026-09-21 00:00", 5 * (7*time.Hour + 30*time.Minute)},
		{"holiday week and a make-up Saturday", "2026-10-01 00:00", "2026-10-11 00:00", 3 * (7*time.Hour + 30*time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Between(at(t, c, tt.a), at(t, c, tt.b)); got != tt.want {
				t.Errorf("Between(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// TestAddKeepsLocation: results are in the location of the instant given.
func TestAddKeepsLocation(t *testing.T) {
	c := office(t)
	from := at(t, c, "2026-09-25 17:00").UTC()
	got := c.Add(from, 2*time.Hour)
	if got.Location() != time.UTC || !got.Equal(at(t, c, "2026-09-28 10:00")) {
		t.Errorf("Add = %s, want 2026-09-28 02:00 UTC", got)
	}
}

func TestAlways(t *testing.T) {
	c := Always()
	from := time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)
	if c.Name() != "24x7" || !c.Open(from) || !c.NextOpen(from).Equal(from) {
		t.Fatalf("Always: name %q, open %v", c.Name(), c.Open(from))
	}
	if got := c.Add(from, 90*time.Minute); !got.Equal(from.Add(90 * time.Minute)) {
		t.Errorf("Add = %s", got)
	}
	if got := c.Between(from, from.Add(48*time.Hour)); got != 48*time.Hour {
		t.Errorf("Between = %v", got)
	}
}

// TestConcurrentUse lets the race detector watch shared use of one calendar.
func TestConcurrentUse(t *testing.T) {
	c := lunch(t)
	from := at(t, c, "2026-09-30 17:55")
	want := c.Add(from, 40*time.Hour)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got := c.Add(from, 40*time.Hour); !got.Equal(want) {
				t.Errorf("Add = %s, want %s", got, want)
			}
			c.Between(from, want)
			c.Open(want)
		})
	}
	wg.Wait()
}

func BenchmarkAdd30BusinessDays(b *testing.B) {
	c := mustNew(b, china2026)
	from := at(b, c, "2026-09-14 09:00")
	for b.Loop() {
		c.Add(from, 30*9*time.Hour)
	}
}
