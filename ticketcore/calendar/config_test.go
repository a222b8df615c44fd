package calendar

import (
	"strings"
	"testing"
	"time"
)

func TestNewErrors(t *testing.T) {
	base := func(edit func(*Config)) Config {
		cfg := Config{Name: "support", Weekly: weekdays("09:00-18:00")}
		edit(&cfg)
		return cfg
	}
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error
	}{
		{"no name", Config{Weekly: weekdays("09:00-18:00")}, []string{"name is required"}},
		{"unknown zone", base(func(c *Config) { c.TimeZone = "Asia/Beijing" }), []string{`time_zone "Asia/Beijing"`}},
		{"local zone", base(func(c *Config) { c.TimeZone = "Local" }), []string{`time_zone "Local"`}},
		{"unknown day", base(func(c *Config) { c.Weekly["monday"] = []string{"09:00-18:00"} }), []string{`unknown day "monday"`}},
		{"day twice", base(func(c *Config) { c.Weekly["MON"] = []string{"10:00-11:00"} }), []string{`day "mon" listed twice`}},
		{"bad format", base(func(c *Config) { c.Weekly["sat"] = []string{"9-18"} }), []string{"weekly sat", `"9-18"`}},
		{"hour 25", base(func(c *Config) { c.Weekly["sat"] = []string{"09:00-25:00"} }), []string{`"09:00-25:00"`}},
		{"starts at 24:00", base(func(c *Config) { c.Weekly["sat"] = []string{"24:00-24:00"} }), []string{`"24:00-24:00"`}},
		{"reversed", base(func(c *Config) { c.Weekly["sat"] = []string{"18:00-09:00"} }), []string{`"18:00-09:00"`, "ends before it starts"}},
		{"overlap", base(func(c *Config) { c.Weekly["mon"] = []string{"09:00-12:00", "11:00-13:00"} }), []string{"weekly mon", `"11:00-13:00"`, "overlap"}},
		{"unordered", base(func(c *Config) { c.Weekly["mon"] = []string{"13:00-18:00", "09:00-12:00"} }), []string{`"09:00-12:00"`, "in order"}},
		{"never open", Config{Name: "support", Weekly: map[string][]string{"sat": nil}}, []string{"no day has opening hours"}},
		{"bad date", base(func(c *Config) { c.Holidays = []string{"2026-02-30"} }), []string{"holidays", `"2026-02-30"`}},
		{"bad range", base(func(c *Config) { c.Workdays = []string{"2026-10-08..2026-10-01"} }), []string{"workdays", "ends before it starts"}},
		{"range too long", base(func(c *Config) { c.Holidays = []string{"2026-01-01..2027-01-02"} }), []string{"longer than 366 days"}},
		{"holiday and workday", base(func(c *Config) {
			c.Holidays = []string{"2026-10-01..2026-10-07"}
			c.Workdays = []string{"2026-10-07"}
		}), []string{"2026-10-07 is both a holiday and a workday"}},
		{"workday hours needed", Config{Name: "support", Weekly: map[string][]string{"sat": {"09:00-12:00"}}, Workdays: []string{"2026-10-10"}}, []string{"workday_hours: required"}},
		{"bad workday hours", base(func(c *Config) { c.WorkdayHours = []string{"09:00"} }), []string{"workday_hours", `"09:00"`}},
		{"several at once", base(func(c *Config) {
			c.TimeZone = "Mars/Olympus"
			c.Holidays = []string{"tomorrow"}
		}), []string{`"Mars/Olympus"`, `"tomorrow"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
			if tt.cfg.Name != "" && !strings.Contains(err.Error(), `calendar "support"`) {
				t.Errorf("error %q does not name the calendar", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c := mustNew(t, Config{
		Name:     "defaults",
		Weekly:   map[string][]string{"MON": {"08:00-17:00"}, "tue": {"00:00-24:00"}},
		Workdays: []string{"2026-10-10"},
	})
	if got := c.Location().String(); got != DefaultTimeZone {
		t.Errorf("Location = %s, want %s", got, DefaultTimeZone)
	}
	if c.Name() != "defaults" {
		t.Errorf("Name = %q", c.Name())
	}
	// The make-up Saturday takes Monday's hours.
	sat := at(t, c, "2026-10-10 08:00")
	if got := c.Between(sat, sat.Add(24*time.Hour)); got != 9*time.Hour {
		t.Errorf("make-up Saturday has %v, want Monday's 9h", got)
	}
	// 24:00 closes at the next midnight.
	tue := at(t, c, "2026-10-13 00:00")
	if got := c.Between(tue, tue.Add(48*time.Hour)); got != 24*time.Hour {
		t.Errorf("Tuesday 00:00-24:00 has %v, want 24h", got)
	}
}

func TestWorkdayHours(t *testing.T) {
	c := mustNew(t, Config{
		Name:         "short-saturdays",
		Weekly:       weekdays("09:00-18:00"),
		Workdays:     []string{"2026-10-10"},
		WorkdayHours: []string{"10:00-12:00"},
	})
	if got := c.Add(at(t, c, "2026-10-09 17:00"), 2*time.Hour); !got.Equal(at(t, c, "2026-10-10 11:00")) {
		t.Errorf("Add = %s, want 2026-10-10 11:00", got)
	}
}
