// Package sla holds the service-level clocks of a ticket: the policy that
// sets their budgets (first response, next response, resolution, one per
// stage), the State stored with the ticket, and the mechanics that start,
// pause, resume, meet, breach and warn on its targets, counting business
// time on a calendar.Calendar.
//
// Everything here is pure and deterministic: the caller passes the current
// time and the calendar, and turns what changed into timeline events and
// durable timers (Timers, TimerID). Choosing a policy for a ticket is the
// caller's job.
//
// It imports only the standard library and ticketcore/calendar; ticketcore
// imports it, never the other way round.
package sla
