package sla

import (
	"slices"
	"time"
)

// The queries accept a nil *State, a ticket to which no policy applies.

// Target returns a copy of the target name.
func (s *State) Target(name string) (Target, bool) {
	i := s.index(name)
	if i < 0 {
		return Target{}, false
	}
	t := s.Targets[i]
	t.Warned = slices.Clone(t.Warned)
	return t, true
}

// Running reports whether the target name exists and its clock runs.
func (s *State) Running(name string) bool {
	t, ok := s.Target(name)
	return ok && t.Running()
}

// Breached reports whether any target has breached. A breach sticks: a
// target met late still counts, so solving the ticket needs a breach
// reason. It is forgotten only with the target itself, when Cancel removes
// it or Start restarts it (the next response of a new customer message);
// the timeline keeps the breach event either way.
func (s *State) Breached() bool {
	return s != nil && slices.ContainsFunc(s.Targets, Target.Breached)
}

// NextDue is the earliest Due of the running targets, breached ones
// included, for sorting queues; zero when no clock runs.
func (s *State) NextDue() time.Time {
	var next time.Time
	if s == nil {
		return next
	}
	for _, t := range s.Targets {
		if t.Running() && (next.IsZero() || t.Due.Before(next)) {
			next = t.Due
		}
	}
	return next
}
