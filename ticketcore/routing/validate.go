package routing

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/ticketcore/cond"
)

// Validate checks c on its own: names present and unique, every `when`
// compiles, references to groups, agents and priorities resolve, strategies
// and notify targets are known. Shift names are checked by New, which has
// the calendars. The error joins every problem found, each naming its rule,
// group or agent.
func (c Config) Validate() error {
	_, err := build(c, nil)
	return err
}

// build validates cfg and returns the Router it describes. shifts nil
// skips the check of shift names (Validate).
func build(cfg Config, shifts map[string]Shift) (*Router, error) {
	r := &Router{
		groups: cfg.cloneGroups(), agents: cfg.cloneAgents(),
		groupIdx: map[string]int{}, agentIdx: map[string]int{}, shifts: map[string]Shift{},
	}
	errs := r.indexAgents(shifts)
	errs = append(errs, r.indexGroups()...)
	errs = append(errs, r.compileRules(cfg.Rules)...)
	errs = append(errs, r.compileEscalations(cfg.Escalations)...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// itemName names the i-th item of kind in an error, by name when it has one.
func itemName(kind, name string, i int) string {
	if name == "" {
		return fmt.Sprintf("%s #%d", kind, i+1)
	}
	return fmt.Sprintf("%s %q", kind, name)
}

func (r *Router) indexAgents(shifts map[string]Shift) []error {
	var errs []error
	fail := func(a Agent, i int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", itemName("agent", a.Name, i), fmt.Sprintf(format, args...)))
	}
	for i, a := range r.agents {
		switch _, dup := r.agentIdx[a.Name]; {
		case a.Name == "":
			fail(a, i, "name is empty")
		case dup:
			fail(a, i, "defined twice")
		default:
			r.agentIdx[a.Name] = i
		}
		if a.Capacity < 0 {
			fail(a, i, "capacity %d is negative (0 means no limit)", a.Capacity)
		}
		for via, addr := range a.Notify {
			if strings.TrimSpace(addr) == "" {
				fail(a, i, "notify.%s: empty address", via)
			}
		}
		if a.Shift == "" || shifts == nil {
			continue
		}
		if s := shifts[a.Shift]; s != nil {
			r.shifts[a.Shift] = s
		} else {
			fail(a, i, "shift: unknown calendar %q", a.Shift)
		}
	}
	return errs
}

func (r *Router) indexGroups() []error {
	var errs []error
	fail := func(g Group, i int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", itemName("group", g.Name, i), fmt.Sprintf(format, args...)))
	}
	for i, g := range r.groups {
		switch _, dup := r.groupIdx[g.Name]; {
		case g.Name == "":
			fail(g, i, "name is empty")
		case dup:
			fail(g, i, "defined twice")
		default:
			r.groupIdx[g.Name] = i
		}
		if g.Strategy != RoundRobin && g.Strategy != LeastOpen {
			fail(g, i, "strategy: unknown %q (%s or %s)", g.Strategy, RoundRobin, LeastOpen)
		}
		if g.Lead != "" && !r.hasAgent(g.Lead) {
			fail(g, i, "lead: unknown agent %q", g.Lead)
		}
		if len(g.Members) == 0 {
			fail(g, i, "no members")
		}
		seen := map[string]bool{}
		for _, m := range g.Members {
			if !r.hasAgent(m) {
				fail(g, i, "member %q is not an agent", m)
			} else if seen[m] {
				fail(g, i, "member %q listed twice", m)
			}
			seen[m] = true
		}
	}
	return errs
}

func (r *Router) compileRules(rules []Rule) []error {
	var errs []error
	seen := map[string]bool{}
	for i, rl := range rules {
		var problems []string
		if rl.Name == "" {
			problems = append(problems, "name is empty")
		} else if seen[rl.Name] {
			problems = append(problems, "defined twice")
		}
		seen[rl.Name] = true
		when, err := compileWhen(rl.Name, rl.When)
		if err != nil {
			problems = append(problems, err.Error())
		}
		problems = append(problems, r.checkActions(rl.Set)...)
		for j, n := range rl.Notify {
			problems = append(problems, r.checkNotify(j, n)...)
		}
		for _, p := range problems {
			errs = append(errs, fmt.Errorf("%s: %s", itemName("rule", rl.Name, i), p))
		}
		r.rules = append(r.rules, rule{Rule: rl.clone(), when: when})
	}
	return errs
}

// compileWhen compiles a `when`, reporting expr's error without cond's
// prefix: the caller names the item.
func compileWhen(name, source string) (*cond.Cond, error) {
	c, err := cond.Compile(name, source)
	if ce, ok := errors.AsType[*cond.Error](err); ok {
		return nil, fmt.Errorf("when: %w", ce.Err)
	}
	return c, err
}

func (r *Router) checkActions(a Actions) []string {
	var problems []string
	if a.Group != "" && !r.hasGroup(a.Group) {
		problems = append(problems, fmt.Sprintf("set.group: unknown group %q", a.Group))
	}
	if a.Assignee != nil && *a.Assignee != "" && !r.hasAgent(*a.Assignee) {
		problems = append(problems, fmt.Sprintf("set.assignee: unknown agent %q", *a.Assignee))
	}
	if a.Priority != "" && !nlu.ValidPriority(a.Priority) {
		problems = append(problems, fmt.Sprintf("set.priority: unknown priority %q (%s)", a.Priority, strings.Join(nlu.Priorities(), ", ")))
	}
	for _, t := range a.Tags {
		if strings.TrimSpace(t) == "" {
			problems = append(problems, "set.tags: empty tag")
		}
	}
	return problems
}

func (r *Router) checkNotify(j int, n Notify) []string {
	var problems []string
	switch name, isAgent := strings.CutPrefix(n.To, AgentTarget); {
	case isAgent && !r.hasAgent(name):
		problems = append(problems, fmt.Sprintf("notify[%d].to: unknown agent %q", j, name))
	case !isAgent && n.To != ToGroup && n.To != ToAssignee && n.To != ToLead:
		problems = append(problems, fmt.Sprintf("notify[%d].to: unknown target %q (group, assignee, lead or agent:<name>)", j, n.To))
	}
	if len(n.Via) == 0 {
		problems = append(problems, fmt.Sprintf("notify[%d].via: no notifier", j))
	}
	for _, v := range n.Via {
		if strings.TrimSpace(v) == "" {
			problems = append(problems, fmt.Sprintf("notify[%d].via: empty notifier name", j))
		}
	}
	return problems
}

func (r *Router) compileEscalations(rules []EscalationRule) []error {
	var errs []error
	seen := map[string]bool{}
	for i, e := range rules {
		var problems []string
		if e.Name == "" {
			problems = append(problems, "name is empty")
		} else if seen[e.Name] {
			problems = append(problems, "defined twice")
		}
		seen[e.Name] = true
		when, err := compileWhen(e.Name, e.When)
		if err != nil {
			problems = append(problems, err.Error())
		}
		if f := e.AtSLAFraction; f < 0 || f > 1 || math.IsNaN(f) {
			problems = append(problems, fmt.Sprintf("at_sla_fraction: %v is outside (0, 1]", f))
		}
		switch {
		case e.Raise < 0:
			problems = append(problems, fmt.Sprintf("raise: %d is negative; escalations never lower a priority", e.Raise))
		case e.Raise > 0 && e.RaiseTo != "":
			problems = append(problems, "both raise and raise_to are set")
		case e.Raise == 0 && e.RaiseTo == "":
			problems = append(problems, "neither raise nor raise_to is set")
		case e.RaiseTo != "" && !nlu.ValidPriority(e.RaiseTo):
			problems = append(problems, fmt.Sprintf("raise_to: unknown priority %q (%s)", e.RaiseTo, strings.Join(nlu.Priorities(), ", ")))
		}
		for _, p := range problems {
			errs = append(errs, fmt.Errorf("%s: %s", itemName("escalation", e.Name, i), p))
		}
		r.escalations = append(r.escalations, escalation{EscalationRule: e, when: when})
	}
	return errs
}
