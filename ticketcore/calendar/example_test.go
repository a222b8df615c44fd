package calendar_test

import (
	"fmt"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore/calendar"
)

// A four-hour first response asked for at 17:55 on the eve of the 2026
// National Day holiday falls due on the next workday.
func ExampleCalendar_Add() {
	cal, err := calendar.New(calendar.Config{
		Name: "cn-support",
		// TimeZone defaults to Asia/Shanghai.
		Weekly: map[string][]string{
			"mon": {"09:00-18:00"}, "tue": {"09:00-18:00"}, "wed": {"09:00-18:00"},
			"thu": {"09:00-18:00"}, "fri": {"09:00-18:00"},
		},
		Holidays: []string{"2026-09-25..2026-09-27", "2026-10-01..2026-10-07"},
		Workdays: []string{"2026-09-20", "2026-10-10"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	asked := time.Date(2026, 9, 30, 17, 55, 0, 0, cal.Location())
	due := cal.Add(asked, 4*time.Hour)
	fmt.Println(due.Format("Mon 2006-01-02 15:04"))
	fmt.Println(cal.Between(asked, due))
	// Output:
	// Thu 2026-10-08 12:55
	// 4h0m0s
}
