package routing

import (
	"slices"

	"github.com/loopdesk/loopdesk/ticketcore/cond"
)

// Decision is what the routing rules do to one ticket. An empty scalar
// means no matching rule set it (or the last one to touch the assignee
// cleared it): the caller keeps the ticket's value, and with a group but no
// assignee asks Assign for one.
type Decision struct {
	// Matched lists the rules that matched, in evaluation order.
	Matched []Match
	// Failed lists the rules whose `when` could not be evaluated, with Err
	// set; they count as not matched.
	Failed   []Match
	Group    string
	Assignee string
	Priority string
	Type     string
	// AddTags is the union of the matched rules' tags, in first-seen order.
	AddTags []string
	// Notify collects the matched rules' notifications in order, each with
	// its Rule set; targets are resolved after assignment (Recipients).
	Notify []Notify
}

// Match records one rule's evaluation: what it set and asked for, or why
// it could not be evaluated.
type Match struct {
	Rule   string
	Set    Actions
	Notify []Notify
	Stop   bool  // the rule matched and ended the evaluation
	Err    error // evaluation error (in Decision.Failed only)
}

// outcome of one rule in a trace.
type outcome int

const (
	notMatched outcome = iota
	matched
	failed
	skipped // after a stop
)

type step struct {
	rule    *rule
	outcome outcome
	err     error
}

// Route evaluates the rules in order against env. Every matching rule
// applies: scalar actions of later matches override earlier ones, tags and
// notifications accumulate, and a matching rule with Stop ends the walk.
func (r *Router) Route(env cond.Env) Decision {
	d, _ := r.evaluate(env)
	return d
}

// evaluate routes env and returns, besides the decision, what happened to
// every rule (for Explain).
func (r *Router) evaluate(env cond.Env) (Decision, []step) {
	var d Decision
	steps := make([]step, len(r.rules))
	stopped := false
	for i := range r.rules {
		rl := &r.rules[i]
		steps[i].rule = rl
		if stopped {
			steps[i].outcome = skipped
			continue
		}
		ok, err := rl.when.Eval(env)
		switch {
		case err != nil:
			steps[i].outcome, steps[i].err = failed, err
			d.Failed = append(d.Failed, Match{Rule: rl.Name, Err: err})
		case ok:
			steps[i].outcome = matched
			d.apply(rl)
			stopped = rl.Stop
		}
	}
	return d, steps
}

// apply adds a matched rule's actions to d.
func (d *Decision) apply(rl *rule) {
	m := Match{Rule: rl.Name, Set: rl.Set.clone(), Stop: rl.Stop}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&d.Group, rl.Set.Group)
	set(&d.Priority, rl.Set.Priority)
	set(&d.Type, rl.Set.Type)
	if rl.Set.Assignee != nil {
		d.Assignee = *rl.Set.Assignee
	}
	for _, t := range rl.Set.Tags {
		if !slices.Contains(d.AddTags, t) {
			d.AddTags = append(d.AddTags, t)
		}
	}
	for _, n := range rl.Notify {
		n.Via = slices.Clone(n.Via)
		n.Rule = rl.Name
		m.Notify = append(m.Notify, n)
		n.Via = slices.Clone(n.Via) // the Match and the Decision do not share
		d.Notify = append(d.Notify, n)
	}
	d.Matched = append(d.Matched, m)
}
