package ticketcore

import (
	"context"
	"fmt"
	"time"

	"github.com/loopdesk/loopdesk/nlu"
)

// AgentStatus is an agent as routing sees them now.
type AgentStatus struct {
	Name      string   `json:"name"`
	Display   string   `json:"display,omitempty"`
	Groups    []string `json:"groups"`
	Open      int      `json:"open_tickets"`
	Capacity  int      `json:"capacity"`
	Available bool     `json:"available"`
	OnShift   bool     `json:"on_shift"`
	// Notify is the agent's address on each notifier (wecom: userid, …).
	Notify map[string]string `json:"notify,omitempty"`
}

// Agents lists the configured agents with their load and availability.
func (s *Service) Agents(ctx context.Context) ([]AgentStatus, error) {
	if s.desk == nil {
		return []AgentStatus{}, nil
	}
	now := s.cfg.Now()
	out := []AgentStatus{}
	err := s.store.View(ctx, func(tx ReadTx) error {
		out = out[:0]
		st := agentState{tx}
		for _, a := range s.desk.router.Agents() {
			addrs, err := agentAddresses(tx, a)
			if err != nil {
				return err
			}
			out = append(out, AgentStatus{Name: a.Name, Display: a.Display, Groups: s.groupsOf(a.Name),
				Open: st.Open(a.Name), Capacity: a.Capacity, Available: st.Available(a.Name),
				OnShift: s.onShift(a.Shift, now), Notify: addrs})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list agents: %w", err)
	}
	return out, nil
}

func (s *Service) groupsOf(agent string) []string {
	groups := []string{}
	for _, g := range s.desk.router.Groups() {
		for _, m := range g.Members {
			if m == agent {
				groups = append(groups, g.Name)
			}
		}
	}
	return groups
}

func (s *Service) onShift(shift string, now time.Time) bool {
	return shift == "" || s.desk.calendar(shift).Open(now)
}

// SetAvailable marks an agent available for new tickets or away; away
// agents get no new assignments.
func (s *Service) SetAvailable(ctx context.Context, agent string, available bool) error {
	if s.desk == nil {
		return fmt.Errorf("set availability: %w: no desk is configured", ErrNotFound)
	}
	if _, ok := s.desk.router.Agent(agent); !ok {
		return fmt.Errorf("set availability: %w: no agent %q", ErrNotFound, agent)
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		if available {
			return tx.PutMeta(metaAway+agent, nil)
		}
		return tx.PutMeta(metaAway+agent, []byte(s.cfg.Now().Format(time.RFC3339)))
	})
	if err != nil {
		return fmt.Errorf("set availability of %s: %w", agent, err)
	}
	return nil
}

// ExplainRules says which routing rules a ticket would match and what they
// would do, the SLA policy and ticket type it would get, without changing
// anything. Missing priority and status read as normal and new.
func (s *Service) ExplainRules(t Ticket, c Contact, text string, now time.Time) (string, error) {
	if s.desk == nil {
		return "", fmt.Errorf("explain rules: %w: no desk is configured", ErrNotFound)
	}
	return s.desk.Explain(t, c, text, now), nil
}

// Explain is ExplainRules on the desk alone, for `loopdesk rules test`.
func (d *Desk) Explain(t Ticket, c Contact, text string, now time.Time) string {
	if t.Priority == "" {
		t.Priority = nlu.PriorityNormal
	}
	if t.Status == "" {
		t.Status = StatusNew
	}
	env := d.env(t, c, text, now)
	out := d.router.Explain(env)
	applyDecision(&t, d.router.Route(env), now, &effects{}) // the rules' priority selects the policy
	env = d.env(t, c, text, now)
	if p, cal, ok := d.policy(env); ok {
		out += fmt.Sprintf("\nSLA policy: %s (calendar %s)", p.Name, cal.Name())
	} else {
		out += "\nSLA policy: none applies"
	}
	if tt, ok := d.ticketType(t.Type, env); ok {
		out += "\nticket type: " + tt.Name
	}
	return out + "\n"
}
