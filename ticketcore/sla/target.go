package sla

import (
	"time"

	"github.com/loopdesk/loopdesk/ticketcore/calendar"
)

// A target is in one of three states, told apart by its fields alone:
// running (Since set), paused (Since and MetAt zero) or met (MetAt set).
// A cancelled target is not kept: Cancel removes it from State.Targets.
// Breached is orthogonal: BreachedAt set means the budget ran out, and it
// stays set when the target is met late.

// Running reports whether the target's clock runs.
func (t Target) Running() bool { return !t.Since.IsZero() }

// Paused reports whether the target's clock is stopped but the target is
// still open, as while the ticket waits on the customer or a third party.
func (t Target) Paused() bool { return t.Since.IsZero() && t.MetAt.IsZero() }

// Met reports whether the target was met, on time or late.
func (t Target) Met() bool { return !t.MetAt.IsZero() }

// Breached reports whether the target's budget ran out, whether or not it
// was met afterwards.
func (t Target) Breached() bool { return !t.BreachedAt.IsZero() }

// UsedAt is the business time the target has consumed by now.
func (t Target) UsedAt(now time.Time, cal *calendar.Calendar) time.Duration {
	if t.Running() {
		return t.Used + cal.Between(t.Since, now)
	}
	return t.Used
}

// outOfBudget reports whether the target's budget has run out by now: a
// running clock has reached Due, a stopped one has used it all.
func (t Target) outOfBudget(now time.Time) bool {
	if t.Running() {
		return !now.Before(t.Due)
	}
	return t.Used >= t.Budget
}

// run starts the clock at now on the budget that is left; Due is now when
// nothing is left.
func (t *Target) run(now time.Time, cal *calendar.Calendar) {
	t.Since = now
	t.Due = cal.Add(now, t.Budget-t.Used)
}

// stop stops the clock at now, adding the business time since it started.
func (t *Target) stop(now time.Time, cal *calendar.Calendar) {
	if t.Running() {
		t.Used += cal.Between(t.Since, now)
	}
	t.Since, t.Due = time.Time{}, time.Time{}
}
