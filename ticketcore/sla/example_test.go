package sla_test

import (
	"fmt"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore/calendar"
	"github.com/loopdesk/loopdesk/ticketcore/sla"
)

// A ticket created on Friday afternoon waits on the customer over the
// weekend; its first response falls due later by the business time it
// waited, and its timers move with it.
func Example() {
	nineToSix := []string{"09:00-18:00"}
	cal, err := calendar.New(calendar.Config{Name: "office", Weekly: map[string][]string{
		"mon": nineToSix, "tue": nineToSix, "wed": nineToSix, "thu": nineToSix, "fri": nineToSix,
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	policy := sla.Policy{Name: "standard", FirstResponse: 4 * time.Hour, Resolution: 24 * time.Hour}
	shanghai := cal.Location()

	st := sla.New(policy, time.Date(2026, 3, 13, 14, 0, 0, 0, shanghai), cal)
	st.Pause(time.Date(2026, 3, 13, 17, 0, 0, 0, shanghai), cal)  // pending
	st.Resume(time.Date(2026, 3, 16, 10, 0, 0, 0, shanghai), cal) // the customer answers
	for _, tm := range st.Timers(policy, cal) {
		fmt.Println(sla.TimerID("T-000001", tm), tm.At.Format("Mon 15:04"))
	}
	// Output:
	// sla:T-000001:first_response:warn:0.75 Mon 10:00
	// sla:T-000001:first_response:breach Mon 11:00
	// sla:T-000001:resolution:warn:0.75 Tue 16:00
	// sla:T-000001:resolution:breach Wed 13:00
}
