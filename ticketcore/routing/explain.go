package routing

import (
	"errors"
	"fmt"
	"strings"

	"github.com/loopdesk/loopdesk/ticketcore/cond"
)

// Explain routes env and describes, for people, what happened: each rule
// in order, whether it matched (and, when its `when` failed, the error),
// then the resulting decision. `loopdesk rules test` and the rules dry-run
// API print it. The layout is for reading, not parsing.
func (r *Router) Explain(env cond.Env) string {
	d, steps := r.evaluate(env)
	var b strings.Builder
	b.WriteString("rules:\n")
	if len(steps) == 0 {
		b.WriteString("  (none configured)\n")
	}
	stoppedBy := ""
	for i, s := range steps {
		writeStep(&b, i+1, s, stoppedBy)
		if s.outcome == matched && s.rule.Stop {
			stoppedBy = s.rule.Name
		}
	}
	r.writeDecision(&b, d)
	return b.String()
}

func writeStep(b *strings.Builder, n int, s step, stoppedBy string) {
	rl := s.rule
	switch s.outcome {
	case matched:
		stop := ""
		if rl.Stop {
			stop = " (stop: later rules are not evaluated)"
		}
		fmt.Fprintf(b, "  %d. %s: matched%s\n", n, rl.Name, stop)
	case notMatched:
		fmt.Fprintf(b, "  %d. %s: not matched\n", n, rl.Name)
	case failed:
		err := s.err
		if ce, ok := errors.AsType[*cond.Error](err); ok {
			err = ce.Err // the rule's name is already on the line
		}
		fmt.Fprintf(b, "  %d. %s: error, counts as not matched: %s\n", n, rl.Name, indent(err.Error(), "       "))
	case skipped:
		fmt.Fprintf(b, "  %d. %s: not evaluated (stopped by %s)\n", n, rl.Name, stoppedBy)
	}
	when := rl.When
	if strings.TrimSpace(when) == "" {
		when = "(always)"
	}
	fmt.Fprintf(b, "     when: %s\n", indent(when, "           "))
	if s.outcome != matched {
		return
	}
	if set := formatActions(rl.Set); set != "" {
		fmt.Fprintf(b, "     set: %s\n", set)
	}
	for _, nt := range rl.Notify {
		fmt.Fprintf(b, "     notify: %s\n", formatNotify(nt))
	}
}

func formatActions(a Actions) string {
	var parts []string
	add := func(key, v string) {
		if v != "" {
			parts = append(parts, key+"="+v)
		}
	}
	add("group", a.Group)
	if a.Assignee != nil {
		parts = append(parts, fmt.Sprintf("assignee=%q", *a.Assignee))
	}
	add("priority", a.Priority)
	add("type", a.Type)
	if len(a.Tags) > 0 {
		parts = append(parts, "tags="+strings.Join(a.Tags, ","))
	}
	return strings.Join(parts, " ")
}

func formatNotify(n Notify) string {
	s := n.To + " via " + strings.Join(n.Via, "+")
	if n.Page {
		s += ", page"
	}
	return s
}

func (r *Router) writeDecision(b *strings.Builder, d Decision) {
	or := func(v, dflt string) string {
		if v == "" {
			return dflt
		}
		return v
	}
	assignee := or(d.Assignee, "unchanged")
	if g, ok := r.Group(d.Group); ok && d.Assignee == "" {
		assignee = fmt.Sprintf("none yet: %s assigns by %s", g.Name, g.Strategy)
	}
	b.WriteString("decision:\n")
	fmt.Fprintf(b, "  group: %s\n", or(d.Group, "unchanged"))
	fmt.Fprintf(b, "  assignee: %s\n", assignee)
	fmt.Fprintf(b, "  priority: %s\n", or(d.Priority, "unchanged"))
	fmt.Fprintf(b, "  type: %s\n", or(d.Type, "unchanged"))
	fmt.Fprintf(b, "  add tags: %s\n", or(strings.Join(d.AddTags, ", "), "none"))
	if len(d.Notify) == 0 {
		b.WriteString("  notify: nobody\n")
	}
	for _, n := range d.Notify {
		fmt.Fprintf(b, "  notify: %s (%s)\n", formatNotify(n), n.Rule)
	}
}

// indent prefixes every line after the first, so multi-line expr errors
// and expressions stay under their heading.
func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}
