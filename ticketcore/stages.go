package ticketcore

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/notify"
	"github.com/loopdesk/loopdesk/ticketcore/sla"
)

// Events of staged tickets.
const (
	EventStageCompleted = "stage_completed"
	EventHandoff        = "handoff"
)

// CompleteStage completes the current stage of a staged ticket on behalf
// of by, after merging fields into the ticket's: the stage's required
// fields must be there (ErrIncomplete names the missing ones). The ticket
// moves to the next stage — its group, an agent of it, its SLA clock, a
// notice to the group and, when configured, a progress message to the
// customer — or, after the last, is done (and solved when its type says so).
func (s *Service) CompleteStage(ctx context.Context, id, by string, fields map[string]string) (Ticket, error) {
	if s.desk == nil {
		return Ticket{}, fmt.Errorf("complete stage of %s: %w: no desk is configured", id, ErrConflict)
	}
	var t Ticket
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if t, err = tx.Ticket(id); err != nil {
			return err
		}
		return s.completeStageTx(tx, &t, by, fields)
	})
	if err != nil {
		return Ticket{}, fmt.Errorf("complete stage of %s: %w", id, err)
	}
	wake(s.outboxWake)
	return t, nil
}

func (s *Service) completeStageTx(tx Tx, t *Ticket, by string, fields map[string]string) error {
	tt, ok := s.desk.ticketType(t.Type, s.env(*t, Contact{}, "", time.Time{}))
	if !ok || t.Stage == "" || !IsActive(t.Status) {
		return fmt.Errorf("%w: the ticket has no stage to complete", ErrConflict)
	}
	st, i, ok := tt.stage(t.Stage)
	if !ok {
		return fmt.Errorf("%w: stage %q is not one of type %s", ErrConflict, t.Stage, tt.Name)
	}
	now := s.cfg.Now()
	before := timerIDs(s.timers(*t))
	var fx effects
	for _, k := range sortedKeys(fields) {
		if t.Fields[k] != fields[k] {
			fx.change(now, by, "fields."+k, t.Fields[k], fields[k], "")
		}
	}
	t.Fields = mergeFields(t.Fields, fields)
	if missing := missingFields(st, t.Fields); len(missing) > 0 {
		return fmt.Errorf("%w: stage %s needs %s", ErrIncomplete, st.Name, strings.Join(missing, ", "))
	}
	s.catchUpBreaches(t, now, &fx)
	if t.SLA != nil {
		t.SLA.Meet(sla.StagePrefix+st.Name, now, s.slaCalendar(*t))
	}
	next := ""
	if i+1 < len(tt.Stages) {
		next = tt.Stages[i+1].Name
	}
	fx.entries = append(fx.entries, Entry{Type: EntryEvent, Event: EventStageCompleted, At: now, By: by,
		Field: "stage", Before: st.Name, After: next})
	t.Stage = next
	if next == "" {
		return s.finishStages(tx, t, tt, by, now, &fx, before)
	}
	if err := s.enterStage(tx, t, tt.Stages[i+1], by, now, &fx); err != nil {
		return err
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(*t); err != nil {
		return err
	}
	if err := fx.write(s, tx, *t, now); err != nil {
		return err
	}
	if err := s.progress(tx, *t, tt.Stages[i+1], by, now); err != nil {
		return err
	}
	return s.syncTimers(tx, *t, before)
}

func mergeFields(have, add map[string]string) map[string]string {
	out := maps.Clone(have)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range add {
		if strings.TrimSpace(v) == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func missingFields(st StageConfig, fields map[string]string) []string {
	var missing []string
	for _, f := range st.Required {
		if strings.TrimSpace(fields[f]) == "" {
			missing = append(missing, f)
		}
	}
	return missing
}

// enterStage hands the ticket to the stage's group: a member of it, the
// stage's SLA clock, and a notice to whoever now has it.
func (s *Service) enterStage(tx Tx, t *Ticket, st StageConfig, by string, now time.Time, fx *effects) error {
	fx.entries = append(fx.entries, Entry{Type: EntryEvent, Event: EventHandoff, At: now, By: by,
		Field: "group", Before: t.Group, After: st.Group, Reason: "stage " + st.Name})
	t.Group, t.Assignee = st.Group, ""
	if err := s.assign(tx, t, now, fx); err != nil {
		return err
	}
	s.startClock(t, sla.StagePrefix+st.Name, s.stageBudget(*t, st.Name), now)
	to := "group"
	if t.Assignee != "" {
		to = "assignee"
	}
	fx.notices = append(fx.notices, notice{kind: notify.KindHandoff, agents: s.recipients(*t, to),
		via: s.desk.cfg.Notify.Via, what: "转到" + st.Group + "的工单"})
	return nil
}

// progress tells the customer the ticket moved on, when the stage has a
// progress template.
func (s *Service) progress(tx Tx, t Ticket, st StageConfig, by string, now time.Time) error {
	if st.Progress == "" {
		return nil
	}
	text, err := s.cfg.Templates.Render(st.Progress, t.Lang, TemplateData{TicketID: t.ID,
		Subject: t.Subject, Name: t.Requester.Name, Intent: t.Intent, Priority: t.Priority, Stage: st.Name})
	if err != nil {
		return err
	}
	for _, conv := range append([]Conversation{primary(t)}, t.Conversations...) {
		meta, err := threadMeta(tx, conv.Channel, conv.Thread)
		if err != nil {
			return err
		}
		if _, err := s.enqueueReply(tx, t, conv, text, by, KindProgress, meta, now); err != nil {
			return err
		}
	}
	return nil
}

// finishStages ends a staged ticket's last stage: solved when its type
// says so, else left for an agent to solve.
func (s *Service) finishStages(tx Tx, t *Ticket, tt ticketType, by string, now time.Time, fx *effects, before []string) error {
	if tt.SolveWhenDone {
		old := t.Status
		t.Status, t.SolvedAt = StatusSolved, now
		if err := checkChange(tx, Ticket{Status: old}, *t); err != nil {
			return err
		}
		fx.change(now, by, "status", old, StatusSolved, "the last stage is complete")
		s.followStatus(t, old, now)
	}
	t.UpdatedAt = now
	if err := tx.UpdateTicket(*t); err != nil {
		return err
	}
	if err := fx.write(s, tx, *t, now); err != nil {
		return err
	}
	return s.syncTimers(tx, *t, before)
}
