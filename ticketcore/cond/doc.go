// Package cond compiles and evaluates the conditions of loopdesk's
// configuration: the `when` of routing rules, escalations and SLA policies.
// A condition is a github.com/expr-lang/expr expression over Env, a flat
// view of one ticket and its contact, and must yield a bool.
//
// Conditions are compiled and type-checked when configuration loads, so a
// misspelt field (`contact.teir`), a type mismatch (`priority > 3`) or a
// non-bool result stops start-up with the rule's name instead of failing on
// the first ticket. Map lookups are lenient: a field the ticket does not
// have (`fields.region`) reads as "".
//
// Time comes only from Env.Now (the injected clock, in the desk's time
// zone): the variable `now` shadows expr's wall-clock builtin of the same
// name. expr's `date("…")` parses in the process's local zone unless given a
// zone, as in date("2025-10-01 09:00", "2006-01-02 15:04", "Asia/Shanghai").
//
// cond imports only the standard library and expr; ticketcore, routing and
// the SLA code import it, never the other way round.
package cond
