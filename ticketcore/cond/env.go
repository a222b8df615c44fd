package cond

import (
	"strings"
	"time"
)

// Env is what every condition sees: one ticket, its contact and the time,
// flattened to the names config authors write (`intent`, `contact.tier`,
// `fields.region`). The caller fills it from the ticket; cond never reads a
// store.
//
// Env has no value methods on purpose: expr would expose them to
// expressions.
type Env struct {
	Intent   string            `expr:"intent"`
	Priority string            `expr:"priority"` // urgent, high, normal or low
	Channel  string            `expr:"channel"`  // api, wecom, email, slack, …
	Status   string            `expr:"status"`
	Type     string            `expr:"type"`  // ticket type, e.g. refund
	Stage    string            `expr:"stage"` // current stage of a staged ticket type
	Group    string            `expr:"group"`
	Assignee string            `expr:"assignee"`
	Tags     []string          `expr:"tags"`
	Fields   map[string]string `expr:"fields"` // extracted and agent-set fields; absent keys read as ""
	Lang     string            `expr:"lang"`
	// Text is the customer's first message.
	Text string `expr:"text"`
	// Waiting counts the customer's messages since the last public reply.
	Waiting int     `expr:"waiting"`
	Contact Contact `expr:"contact"`

	// Now is the evaluation time in the desk's time zone; Hour, Weekday and
	// BusinessHours are derived from it (see SetClock).
	Now           time.Time `expr:"now"`
	Hour          int       `expr:"hour"`    // 0–23
	Weekday       string    `expr:"weekday"` // mon, tue, wed, thu, fri, sat, sun
	BusinessHours bool      `expr:"business_hours"`
}

// Contact is the person behind a ticket, across channels.
type Contact struct {
	Tier   string            `expr:"tier"` // e.g. vip
	Region string            `expr:"region"`
	Name   string            `expr:"name"`
	Tags   []string          `expr:"tags"`
	Attrs  map[string]string `expr:"attrs"` // connector-provided; absent keys read as ""
}

// SetClock sets Now and the fields derived from it. now should already be
// in the desk's time zone (now.In(cal.Location())); businessHours is whether
// the desk's calendar is open at now.
func (e *Env) SetClock(now time.Time, businessHours bool) {
	e.Now = now
	e.Hour = now.Hour()
	e.Weekday = strings.ToLower(now.Weekday().String()[:3])
	e.BusinessHours = businessHours
}
