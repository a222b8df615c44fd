// Package routing decides who gets a ticket and how pressing it is: the
// ordered routing rules of the desk's configuration, the groups and agents
// that work tickets, assignment inside a group (round robin or least open
// tickets, skipping agents off shift, unavailable or at capacity), and the
// escalation rules that raise a waiting ticket's priority.
//
// A Router is built once from a Config when configuration loads; every
// `when` is compiled then (package cond), so a broken rule stops start-up
// with its name. After New it is immutable and safe for concurrent use.
// Route, Assign and Escalate are pure decisions: they read no store and
// send nothing. The caller (ticketcore) applies a Decision in its store
// transaction, records each change on the timeline with the reason
// returned here, and persists the round-robin cursor.
//
// routing imports cond and the nlu contract (for priorities). It must not
// import ticketcore, which imports it, nor a calendar implementation:
// shifts arrive as the small Shift interface.
package routing
