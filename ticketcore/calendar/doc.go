// Package calendar holds business-hours calendars: weekly opening hours in
// a time zone, public holidays and make-up workdays (调休). SLA clocks count
// time on a Calendar, so a four-hour target set at 17:55 on the eve of a
// holiday falls due on the next workday.
//
// A Calendar is built once from a plain Config by New and is immutable:
// its methods are pure functions of their arguments (they never read the
// wall clock) and safe for concurrent use.
//
// It imports only the standard library; ticketcore and its sla package
// import it, never the other way round.
package calendar
