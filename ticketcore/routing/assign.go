package routing

import (
	"fmt"
	"strings"
	"time"
)

// AgentState is the live state of agents that assignment needs, read by
// the caller from its store (inside its transaction, so counts are
// consistent with the assignment it records).
type AgentState interface {
	// Open returns how many active tickets the agent holds, across groups.
	Open(agent string) int
	// Available reports whether the agent takes new tickets (not paused,
	// away or signed out).
	Available(agent string) bool
}

// Assign picks the member of group who gets a ticket at now. Members off
// shift (their Shift not Open at now), unavailable, or at capacity are
// skipped. With round_robin the walk starts after cursor, the agent who got
// the group's previous ticket (an unknown or empty cursor starts at the
// first member), and wraps around; with least_open the free member with the
// fewest open tickets wins, ties going to the member listed first.
//
// nextCursor is the agent picked, for the caller to persist as the group's
// cursor; when nobody is free it is cursor unchanged. reason says who got
// the ticket and who was skipped and why, for the timeline; when agent is ""
// it says why nobody could take it. st may be nil: everyone is then
// available with no open tickets (a dry run).
func (r *Router) Assign(group string, now time.Time, st AgentState, cursor string) (agent, nextCursor, reason string) {
	i, ok := r.groupIdx[group]
	if !ok {
		return "", cursor, fmt.Sprintf("no group %q", group)
	}
	g := r.groups[i]
	var skipped []string
	pick, open := "", 0
	for _, m := range r.walk(g, cursor) {
		n, why := r.busy(m, now, st)
		switch {
		case why != "":
			skipped = append(skipped, fmt.Sprintf("%s (%s)", m, why))
		case pick == "" || n < open:
			pick, open = m, n
		}
		if pick != "" && g.Strategy == RoundRobin {
			break
		}
	}
	if pick == "" {
		return "", cursor, fmt.Sprintf("nobody free in %s: %s", g.Name, strings.Join(skipped, ", "))
	}
	if g.Strategy == RoundRobin {
		reason = fmt.Sprintf("%s is next in %s (round robin)", pick, g.Name)
	} else {
		reason = fmt.Sprintf("%s has the fewest open tickets in %s (%d)", pick, g.Name, open)
	}
	if len(skipped) > 0 {
		reason += "; skipped " + strings.Join(skipped, ", ")
	}
	return pick, pick, reason
}

// walk returns the members in the order the group's strategy considers
// them: for round robin, starting after cursor.
func (r *Router) walk(g Group, cursor string) []string {
	if g.Strategy != RoundRobin {
		return g.Members
	}
	start := 0
	for i, m := range g.Members {
		if m == cursor {
			start = i + 1
		}
	}
	n := len(g.Members)
	order := make([]string, 0, n)
	for k := range n {
		order = append(order, g.Members[(start+k)%n])
	}
	return order
}

// busy returns the agent's open tickets and, when the agent cannot take
// one at now, why not.
func (r *Router) busy(name string, now time.Time, st AgentState) (open int, why string) {
	a := r.agents[r.agentIdx[name]]
	if s := r.shifts[a.Shift]; a.Shift != "" && s != nil && !s.Open(now) {
		return 0, fmt.Sprintf("off shift %q", a.Shift)
	}
	if st == nil {
		return 0, ""
	}
	if !st.Available(name) {
		return 0, "unavailable"
	}
	open = st.Open(name)
	if a.Capacity > 0 && open >= a.Capacity {
		return open, fmt.Sprintf("at capacity %d/%d", open, a.Capacity)
	}
	return open, ""
}
