package routing

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/ticketcore/cond"
)

// Shift tells whether an agent's working hours include a moment. A
// *calendar.Calendar is one. Implementations must be safe for concurrent use.
type Shift interface {
	Open(t time.Time) bool
}

// Router holds the compiled routing configuration. It is immutable after
// New and safe for concurrent use.
type Router struct {
	groups      []Group
	agents      []Agent
	groupIdx    map[string]int
	agentIdx    map[string]int
	shifts      map[string]Shift // by calendar name, only those agents use
	rules       []rule
	escalations []escalation
}

type rule struct {
	Rule
	when *cond.Cond
}

type escalation struct {
	EscalationRule
	when *cond.Cond
}

// New validates cfg (see Config.Validate), checks that every agent's shift
// names one of shifts (calendars by name), compiles every `when` and returns
// the Router. It copies cfg: later changes to it have no effect. The error
// joins every problem found, each naming its rule, group or agent.
func New(cfg Config, shifts map[string]Shift) (*Router, error) {
	if shifts == nil {
		shifts = map[string]Shift{}
	}
	return build(cfg, shifts)
}

// Group returns the group called name, with defaults applied.
func (r *Router) Group(name string) (Group, bool) {
	i, ok := r.groupIdx[name]
	if !ok {
		return Group{}, false
	}
	return r.groups[i].clone(), true
}

// Agent returns the agent called name, with defaults applied.
func (r *Router) Agent(name string) (Agent, bool) {
	i, ok := r.agentIdx[name]
	if !ok {
		return Agent{}, false
	}
	return r.agents[i].clone(), true
}

// Groups returns every group in configuration order.
func (r *Router) Groups() []Group {
	out := make([]Group, len(r.groups))
	for i, g := range r.groups {
		out[i] = g.clone()
	}
	return out
}

// Agents returns every agent in configuration order.
func (r *Router) Agents() []Agent {
	out := make([]Agent, len(r.agents))
	for i, a := range r.agents {
		out[i] = a.clone()
	}
	return out
}

// Recipients resolves a notification target (Notify.To) to agent names for
// a ticket in group with assignee, after assignment: the group's members,
// its lead, the assignee or the named agent. A ticket nobody could be
// assigned notifies its group instead of its assignee. It returns nil when
// the target resolves to nobody (no group, a group without a lead).
func (r *Router) Recipients(to, group, assignee string) []string {
	g, hasGroup := r.Group(group)
	switch name, isAgent := strings.CutPrefix(to, AgentTarget); {
	case isAgent:
		return []string{name}
	case to == ToAssignee && assignee != "":
		return []string{assignee}
	case (to == ToGroup || to == ToAssignee) && hasGroup:
		return g.Members
	case to == ToLead && hasGroup && g.Lead != "":
		return []string{g.Lead}
	}
	return nil
}

// Notifiers returns the notifier names the rules use (Notify.Via), sorted,
// so cmd can check that each one is configured.
func (r *Router) Notifiers() []string {
	var names []string
	for _, rl := range r.rules {
		for _, n := range rl.Notify {
			names = append(names, n.Via...)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func (r *Router) hasGroup(name string) bool { _, ok := r.groupIdx[name]; return ok }

func (r *Router) hasAgent(name string) bool { _, ok := r.agentIdx[name]; return ok }

// cloneGroups copies the groups with defaults applied.
func (c Config) cloneGroups() []Group {
	out := make([]Group, len(c.Groups))
	for i, g := range c.Groups {
		g = g.clone()
		if g.Display == "" {
			g.Display = g.Name
		}
		if g.Strategy == "" {
			g.Strategy = RoundRobin
		}
		out[i] = g
	}
	return out
}

// cloneAgents copies the agents with defaults applied.
func (c Config) cloneAgents() []Agent {
	out := make([]Agent, len(c.Agents))
	for i, a := range c.Agents {
		a = a.clone()
		if a.Display == "" {
			a.Display = a.Name
		}
		out[i] = a
	}
	return out
}

func (g Group) clone() Group {
	g.Members = slices.Clone(g.Members)
	return g
}

func (a Agent) clone() Agent {
	a.Notify = maps.Clone(a.Notify)
	return a
}

func (rl Rule) clone() Rule {
	rl.Set = rl.Set.clone()
	rl.Notify = slices.Clone(rl.Notify)
	for i := range rl.Notify {
		rl.Notify[i].Via = slices.Clone(rl.Notify[i].Via)
	}
	return rl
}

func (a Actions) clone() Actions {
	if a.Assignee != nil {
		v := *a.Assignee
		a.Assignee = &v
	}
	a.Tags = slices.Clone(a.Tags)
	return a
}
