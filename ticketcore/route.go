package ticketcore

import (
	"fmt"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/nlu"
	"github.com/loopdesk/loopdesk/notify"
	"github.com/loopdesk/loopdesk/ticketcore/cond"
	"github.com/loopdesk/loopdesk/ticketcore/routing"
)

// Actors of automatic changes on the timeline.
const (
	ByRules      = "rules"
	ByRouting    = "routing"
	ByEscalation = "escalation"
)

// Events of routing.
const (
	EventRouted     = "routed"
	EventUnassigned = "unassigned"
)

// effects are what a transaction does besides writing the ticket: timeline
// entries and notices, recorded once the ticket has its id.
type effects struct {
	entries []Entry
	notices []notice
}

func (fx *effects) change(at time.Time, by, field string, before, after any, reason string) {
	fx.entries = append(fx.entries, changeEntry(at, by, field, before, after, reason))
}

func (fx *effects) write(s *Service, tx Tx, t Ticket, now time.Time) error {
	for _, e := range fx.entries {
		if err := appendEntry(tx, t.ID, e); err != nil {
			return err
		}
	}
	for _, n := range fx.notices {
		if _, err := s.send(tx, t, n, now); err != nil {
			return err
		}
	}
	return nil
}

// env is what routing, SLA and type conditions see of a ticket.
func (s *Service) env(t Ticket, c Contact, text string, now time.Time) cond.Env {
	return s.desk.env(t, c, text, now)
}

// env is what conditions see of a ticket and its contact at now.
func (d *Desk) env(t Ticket, c Contact, text string, now time.Time) cond.Env {
	env := cond.Env{Intent: t.Intent, Priority: t.Priority, Channel: t.Channel, Status: t.Status,
		Type: t.Type, Stage: t.Stage, Group: t.Group, Assignee: t.Assignee, Tags: t.Tags,
		Fields: t.Fields, Lang: t.Lang, Text: text, Waiting: t.Waiting,
		Contact: cond.Contact{Tier: c.Tier, Region: c.Region, Name: c.Name, Tags: c.Tags, Attrs: c.Attrs}}
	env.SetClock(now.In(d.loc), d.businessHours().Open(now))
	return env
}

// channelGroup puts a new ticket in the group its channel gives it (mail
// to the after-sales mailbox), over what the rules chose: the company
// decided where that mailbox goes. A group the desk does not have is
// ignored with a warning.
func (s *Service) channelGroup(t *Ticket, group string, now time.Time, fx *effects) {
	if group == "" || group == t.Group {
		return
	}
	if _, ok := s.desk.router.Group(group); !ok {
		s.log.Warn("a channel gives a group the desk does not have; the rules decide", "group", group)
		return
	}
	fx.change(now, ByRouting, "group", t.Group, group, "the channel's group for this conversation")
	t.Group = group
}

// routeNew applies the desk to a ticket about to be created from m:
// routing rules (and the channel's group over theirs), its type and first
// stage, assignment inside the group, and the SLA policy. Priority comes
// from the extractor, then from the rules.
func (s *Service) routeNew(tx Tx, t *Ticket, c Contact, m *Message, now time.Time, fx *effects) error {
	text := m.Text
	d := s.desk.router.Route(s.env(*t, c, text, now))
	for _, f := range d.Failed {
		s.log.Warn("a routing rule failed to evaluate; it counts as not matched", "rule", f.Rule, "err", f.Err)
	}
	applyDecision(t, d, now, fx)
	s.channelGroup(t, m.Group, now, fx)
	if tt, ok := s.desk.ticketType(t.Type, s.env(*t, c, text, now)); ok {
		t.Type = tt.Name
		if len(tt.Stages) > 0 {
			t.Stage = tt.Stages[0].Name
			fx.change(now, ByRouting, "stage", "", t.Stage, "ticket type "+tt.Name)
			if g := tt.Stages[0].Group; g != t.Group {
				fx.change(now, ByRouting, "group", t.Group, g, "stage "+t.Stage)
				t.Group = g
			}
		}
	}
	if t.Group != "" && t.Assignee == "" {
		if err := s.assign(tx, t, now, fx); err != nil {
			return err
		}
	}
	s.startSLA(t, s.env(*t, c, text, now), now)
	for _, n := range d.Notify {
		fx.notices = append(fx.notices, notice{kind: notify.KindNewTicket, agents: s.recipients(*t, n.To),
			via: n.Via, page: n.Page, urgent: n.Page, what: "新工单"})
	}
	if t.Priority == nlu.PriorityUrgent {
		fx.notices = append(fx.notices, s.urgentPage(*t))
	}
	return nil
}

// applyDecision records what the matched rules set.
func applyDecision(t *Ticket, d routing.Decision, now time.Time, fx *effects) {
	var names []string
	for _, m := range d.Matched {
		names = append(names, m.Rule)
	}
	if len(names) > 0 {
		fx.entries = append(fx.entries, Entry{Type: EntryEvent, Event: EventRouted, At: now, By: ByRules,
			Reason: "rules matched: " + strings.Join(names, ", ")})
	}
	reason := "rules: " + strings.Join(names, ", ")
	for _, f := range []struct {
		name string
		to   string
		at   *string
	}{{"group", d.Group, &t.Group}, {"assignee", d.Assignee, &t.Assignee},
		{"priority", d.Priority, &t.Priority}, {"type", d.Type, &t.Type}} {
		if f.to != "" && f.to != *f.at {
			fx.change(now, ByRules, f.name, *f.at, f.to, reason)
			*f.at = f.to
		}
	}
	if len(d.AddTags) > 0 {
		tags := normalizeTags(append(append([]string{}, t.Tags...), d.AddTags...))
		fx.change(now, ByRules, "tags", t.Tags, tags, reason)
		t.Tags = tags
	}
}

// assign picks an agent of the ticket's group by the group's strategy.
func (s *Service) assign(tx Tx, t *Ticket, now time.Time, fx *effects) error {
	key := "routing.cursor." + t.Group
	cursor, err := tx.Meta(key)
	if err != nil {
		return err
	}
	agent, next, reason := s.desk.router.Assign(t.Group, now, agentState{tx}, string(cursor))
	if agent == "" {
		fx.entries = append(fx.entries, Entry{Type: EntryEvent, Event: EventUnassigned, At: now,
			By: ByRouting, Reason: reason})
		return nil
	}
	if err := tx.PutMeta(key, []byte(next)); err != nil {
		return err
	}
	fx.change(now, ByRouting, "assignee", t.Assignee, agent, reason)
	t.Assignee = agent
	fx.notices = append(fx.notices, notice{kind: notify.KindAssigned, agents: []string{agent},
		via: s.desk.cfg.Notify.Via, what: "分配给你的工单"})
	return nil
}

// agentState answers routing's questions about agents from the store.
type agentState struct{ tx ReadTx }

func (a agentState) Open(agent string) int {
	n, err := a.tx.OpenTickets(agent)
	if err != nil {
		return 1 << 30 // unknown: treat as full rather than overload
	}
	return n
}

func (a agentState) Available(agent string) bool {
	away, err := a.tx.Meta(metaAway + agent)
	return err == nil && len(away) == 0 // PutMeta(key, nil) stores an empty value: back again
}

// metaAway + agent name is set while the agent is away.
const metaAway = "agent.away."

// urgentPage pages the assignee (else the group) on the urgent notifiers.
func (s *Service) urgentPage(t Ticket) notice {
	return notice{kind: notify.KindUrgent, agents: s.recipients(t, "assignee"),
		via: s.desk.cfg.Notify.Urgent, page: true, urgent: true, what: "紧急工单"}
}

func noticeText(t Ticket, what string) string {
	return fmt.Sprintf("%s %s [%s] %s", what, t.ID, t.Priority, t.Subject)
}

// raise sets a higher priority for an escalation, with its reason, and
// applies the SLA policy the new priority selects.
func (s *Service) raise(t *Ticket, c Contact, to, reason string, now time.Time, fx *effects) {
	if nlu.PriorityRank(to) >= nlu.PriorityRank(t.Priority) {
		return
	}
	fx.entries = append(fx.entries, Entry{Type: EntryEvent, Event: EventEscalated, At: now, By: ByEscalation,
		Field: "priority", Before: t.Priority, After: to, Reason: reason})
	t.Priority = to
	if r := s.reselectPolicy(t, s.env(*t, c, "", now), now); r != "" {
		fx.entries = append(fx.entries, Entry{Type: EntryEvent, Event: EventChanged, Field: "sla",
			At: now, By: ByEscalation, Reason: r})
	}
	if to == nlu.PriorityUrgent {
		fx.notices = append(fx.notices, s.urgentPage(*t))
	}
}
