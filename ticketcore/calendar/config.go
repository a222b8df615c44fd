package calendar

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultTimeZone is the zone of a Config that names none.
const DefaultTimeZone = "Asia/Shanghai"

// Config describes a business-hours calendar. It is plain data; New
// applies the defaults and validates it.
//
// Hours are wall-clock intervals "HH:MM-HH:MM" in the calendar's zone,
// from 00:00 to 24:00, listed in order without overlap. Dates are
// "YYYY-MM-DD" or inclusive ranges "YYYY-MM-DD..YYYY-MM-DD" (at most a
// year long). A day is closed when it is a holiday; otherwise it opens with
// WorkdayHours when it is a make-up workday, else with its weekly hours.
type Config struct {
	// Name identifies the calendar; SLA policies refer to it. Required.
	Name string `yaml:"name"`
	// TimeZone is the IANA zone of the hours and dates. Defaults to
	// "Asia/Shanghai".
	TimeZone string `yaml:"time_zone"`
	// Weekly maps mon, tue, wed, thu, fri, sat and sun (in any case) to
	// the day's opening hours, e.g. fri: ["09:00-12:00", "13:30-18:00"].
	// A day that is absent or empty is closed. At least one day must open.
	Weekly map[string][]string `yaml:"weekly"`
	// Holidays are closed all day, whatever their weekday.
	Holidays []string `yaml:"holidays"`
	// Workdays are make-up workdays (调休), usually a Saturday or Sunday
	// worked in exchange for a longer holiday. They open with WorkdayHours.
	// A date cannot be both a holiday and a workday.
	Workdays []string `yaml:"workdays"`
	// WorkdayHours are the opening hours of a make-up workday. Defaults to
	// Monday's hours.
	WorkdayHours []string `yaml:"workday_hours"`
}

var weekdayKeys = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// New builds the calendar cfg describes. Its errors name the calendar and
// each bad value.
func New(cfg Config) (*Calendar, error) {
	if strings.TrimSpace(cfg.Name) == "" {
		return nil, errors.New("calendar: name is required")
	}
	c := &Calendar{name: cfg.Name}
	var errs []error
	var err error
	if c.loc, err = loadZone(cfg.TimeZone); err != nil {
		errs = append(errs, err)
	}
	if c.weekly, err = parseWeekly(cfg.Weekly); err != nil {
		errs = append(errs, err)
	}
	if c.exceptions, err = parseExceptions(cfg, c.weekly[time.Monday]); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("calendar %q: %w", cfg.Name, err)
	}
	return c, nil
}

func loadZone(name string) (*time.Location, error) {
	if name == "" {
		name = DefaultTimeZone
	}
	if name == "Local" {
		return nil, errors.New(`time_zone "Local": name an IANA zone such as "Asia/Shanghai"`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time_zone %q: unknown zone (%v)", name, err)
	}
	return loc, nil
}

func parseWeekly(weekly map[string][]string) ([7][]hours, error) {
	var week [7][]hours
	var errs []error
	keys := make([]string, 0, len(weekly))
	for k := range weekly {
		keys = append(keys, k)
	}
	slices.Sort(keys) // errors in a stable order
	open := false
	seen := make(map[time.Weekday]bool)
	for _, k := range keys {
		wd, ok := weekdayKeys[strings.ToLower(k)]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("weekly: unknown day %q: want mon, tue, wed, thu, fri, sat or sun", k))
			continue
		case seen[wd]:
			errs = append(errs, fmt.Errorf("weekly: day %q listed twice", k))
			continue
		}
		seen[wd] = true
		h, err := parseDayHours(weekly[k])
		if err != nil {
			errs = append(errs, fmt.Errorf("weekly %s: %w", k, err))
			continue
		}
		week[wd] = h
		open = open || len(h) > 0
	}
	if !open && len(errs) == 0 {
		errs = append(errs, errors.New("weekly: no day has opening hours"))
	}
	return week, errors.Join(errs...)
}

// parseExceptions maps each holiday to no hours and each make-up workday
// to the workday hours.
func parseExceptions(cfg Config, monday []hours) (map[day][]hours, error) {
	var errs []error
	workHours := monday
	if len(cfg.WorkdayHours) > 0 {
		h, err := parseDayHours(cfg.WorkdayHours)
		if err != nil {
			errs = append(errs, fmt.Errorf("workday_hours: %w", err))
		}
		workHours = h
	} else if len(cfg.Workdays) > 0 && len(monday) == 0 {
		errs = append(errs, errors.New("workday_hours: required when Monday is closed"))
	}
	out := make(map[day][]hours)
	holidays := make(map[day]bool)
	errs = append(errs, eachDay(cfg.Holidays, "holidays", func(n day) error {
		holidays[n] = true
		out[n] = nil
		return nil
	}))
	errs = append(errs, eachDay(cfg.Workdays, "workdays", func(n day) error {
		if holidays[n] {
			return fmt.Errorf("%s is both a holiday and a workday", n)
		}
		out[n] = workHours
		return nil
	}))
	return out, errors.Join(errs...)
}

// eachDay calls fn for every date that the list names.
func eachDay(list []string, field string, fn func(day) error) error {
	var errs []error
	for _, s := range list {
		first, last, err := parseDays(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
			continue
		}
		for n := first; n <= last; n++ {
			if err := fn(n); err != nil {
				errs = append(errs, fmt.Errorf("%s %q: %w", field, s, err))
				break
			}
		}
	}
	return errors.Join(errs...)
}
