package ticketcore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/notify"
)

// KindNotice is the Kind of outbound messages to agents (through a notifier).
const KindNotice = "notice"

// noticeChannel is the outbox channel of a notifier: notices travel through
// the same durable outbox as replies, with the same retries.
func noticeChannel(via string) string { return "notify." + via }

// notice is a message to agents through notifiers about a ticket.
type notice struct {
	kind   string
	agents []string
	via    []string
	// text is the message; when empty, what (新工单, …) is said with the
	// ticket's id, priority and subject as they are when it is sent.
	text   string
	what   string
	urgent bool
	// page: needs acknowledgement; repeated and escalated to the group lead.
	page bool
}

// send enqueues n for each agent on each notifier that has an address for
// them, and opens a page when n is one. It returns the ids enqueued.
func (s *Service) send(tx Tx, t Ticket, n notice, now time.Time) ([]string, error) {
	if n.text == "" {
		n.text = noticeText(t, n.what)
	}
	var ids []string
	for _, agent := range dedupe(n.agents) {
		a, ok := s.desk.router.Agent(agent)
		if !ok {
			continue
		}
		addrs, err := agentAddresses(tx, a)
		if err != nil {
			return nil, err
		}
		for _, via := range n.via {
			addr := addrs[via]
			if addr == "" || !slices.Contains(s.cfg.Notifiers, via) {
				continue
			}
			out := Message{Channel: noticeChannel(via), Thread: agent, Direction: channels.Out,
				To: channels.Party{ID: agent, Name: a.Display}, Text: n.text, At: now, TicketID: t.ID,
				Kind: KindNotice, Delivery: channels.DeliveryPending, Meta: map[string]string{
					notify.MetaKind: n.kind, notify.MetaAddress: addr, notify.MetaSubject: t.Subject,
					notify.MetaPriority: t.Priority, notify.MetaGroup: t.Group,
					notify.MetaUrgent: strconv.FormatBool(n.urgent || n.page)}}
			if err := tx.AddMessage(&out); err != nil {
				return nil, err
			}
			if err := tx.EnqueueOutbox(OutboxItem{MessageID: out.ID, Due: now}); err != nil {
				return nil, err
			}
			ids = append(ids, out.ID)
		}
	}
	if n.page && len(ids) > 0 {
		return ids, s.openPage(tx, t, n, now)
	}
	return ids, nil
}

// tellAssignee sends text to the assignee of a ticket on the desk's
// routine notifiers, about one of its deliveries. Nobody is told without a
// desk or an assignee, or of a ticket no longer stored.
func (s *Service) tellAssignee(tx Tx, ticketID, kind, text string, now time.Time) error {
	if s.desk == nil {
		return nil
	}
	t, err := tx.Ticket(ticketID)
	if errors.Is(err, ErrNotFound) || err == nil && t.Assignee == "" {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = s.send(tx, t, notice{kind: kind, agents: []string{t.Assignee}, via: s.desk.cfg.Notify.Via, text: text}, now)
	return err
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// recipients resolves a rule's "to" (group, assignee, lead, agent:<name>)
// for a ticket; "assignee" of an unassigned ticket is its group.
func (s *Service) recipients(t Ticket, to string) []string {
	return s.desk.router.Recipients(to, t.Group, t.Assignee)
}

// page is a notice that waits for an agent to acknowledge it: it is sent
// again every RepeatAfter and goes to the group lead after EscalateAfter.
type page struct {
	ID        string    `json:"id"`
	TicketID  string    `json:"ticket_id"`
	Kind      string    `json:"kind"`
	Text      string    `json:"text"`
	Agents    []string  `json:"agents"`
	Via       []string  `json:"via"`
	Repeats   int       `json:"repeats"`
	Escalated bool      `json:"escalated"`
	AckedBy   string    `json:"acked_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

const (
	metaPage      = "page."      // + page id → page
	metaPages     = "pages."     // + ticket id → open page ids
	timerPage     = "page"       // timer kind
	timerPageID   = "page:"      // + page id
	eventPaged    = "paged"      // timeline event
	eventPageAck  = "page_acked" // timeline event
	eventPageEsc  = "page_escalated"
	eventPageSent = "page_repeated"
)

func (s *Service) openPage(tx Tx, t Ticket, n notice, now time.Time) error {
	open, err := openPages(tx, t.ID)
	if err != nil {
		return err
	}
	p := page{ID: fmt.Sprintf("%s-%d-%d", t.ID, now.UnixNano(), len(open)+1), TicketID: t.ID, Kind: n.kind,
		Text: n.text, Agents: n.agents, Via: n.via, CreatedAt: now}
	if err := putJSONMeta(tx, metaPages+t.ID, append(open, p.ID)); err != nil {
		return err
	}
	if err := putJSONMeta(tx, metaPage+p.ID, p); err != nil {
		return err
	}
	if err := appendEntry(tx, t.ID, Entry{Type: EntryEvent, Event: eventPaged, At: now, By: BySystem,
		Reason: fmt.Sprintf("page %s to %s via %s", p.ID, strings.Join(p.Agents, ", "), strings.Join(p.Via, ", "))}); err != nil {
		return err
	}
	return tx.ScheduleTimer(Timer{ID: timerPageID + p.ID, Kind: timerPage, TicketID: t.ID,
		Due: now.Add(s.desk.cfg.Paging.RepeatAfter), Data: map[string]string{"page": p.ID}})
}

func openPages(tx ReadTx, ticketID string) ([]string, error) {
	var ids []string
	_, err := getJSONMeta(tx, metaPages+ticketID, &ids)
	return ids, err
}

// ackPages acknowledges every open page of a ticket: an agent acted on it.
func (s *Service) ackPages(tx Tx, t Ticket, by string, now time.Time) error {
	ids, err := openPages(tx, t.ID)
	if err != nil || len(ids) == 0 {
		return err
	}
	for _, id := range ids {
		if err := tx.DeleteTimer(timerPageID + id); err != nil {
			return err
		}
		var p page
		if ok, err := getJSONMeta(tx, metaPage+id, &p); err != nil || !ok {
			return err
		}
		p.AckedBy = by
		if err := putJSONMeta(tx, metaPage+id, p); err != nil {
			return err
		}
		if err := appendEntry(tx, t.ID, Entry{Type: EntryEvent, Event: eventPageAck, At: now, By: by,
			Reason: "page " + id + " acknowledged"}); err != nil {
			return err
		}
	}
	return putJSONMeta(tx, metaPages+t.ID, []string{})
}

// AckPage acknowledges the pages of a ticket on behalf of by.
func (s *Service) AckPage(ctx context.Context, pageID, by string) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		var p page
		ok, err := getJSONMeta(tx, metaPage+pageID, &p)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: no page %s", ErrNotFound, pageID)
		}
		t, err := tx.Ticket(p.TicketID)
		if err != nil {
			return err
		}
		return s.ackPages(tx, t, by, s.cfg.Now())
	})
	if err != nil {
		return fmt.Errorf("acknowledge page %s: %w", pageID, err)
	}
	return nil
}

// firePage repeats an unacknowledged page and, once EscalateAfter has
// passed, sends it to the group lead too.
func (s *Service) firePage(tx Tx, tm Timer, now time.Time) error {
	var p page
	ok, err := getJSONMeta(tx, metaPage+tm.Data["page"], &p)
	if err != nil || !ok || p.AckedBy != "" || s.desk == nil {
		return err
	}
	t, err := tx.Ticket(p.TicketID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !IsActive(t.Status) { // solved, closed or merged away: nobody need answer the page
		return s.ackPages(tx, t, BySystem, now)
	}
	cfg := s.desk.cfg.Paging
	if p.Repeats < cfg.MaxRepeats {
		p.Repeats++
		n := notice{kind: notify.KindPage, agents: p.Agents, via: p.Via, text: p.Text, urgent: true}
		if _, err := s.send(tx, t, n, now); err != nil {
			return err
		}
		if err := appendEntry(tx, t.ID, Entry{Type: EntryEvent, Event: eventPageSent, At: now, By: BySystem,
			Reason: fmt.Sprintf("page %s not acknowledged; sent again (%d of %d)", p.ID, p.Repeats, cfg.MaxRepeats)}); err != nil {
			return err
		}
	}
	if !p.Escalated && now.Sub(p.CreatedAt) >= cfg.EscalateAfter {
		if err := s.escalatePage(tx, t, &p, now); err != nil {
			return err
		}
	}
	if err := putJSONMeta(tx, metaPage+p.ID, p); err != nil {
		return err
	}
	if p.Repeats >= cfg.MaxRepeats && p.Escalated {
		return nil
	}
	return tx.ScheduleTimer(Timer{ID: timerPageID + p.ID, Kind: timerPage, TicketID: t.ID,
		Due: now.Add(cfg.RepeatAfter), Data: tm.Data})
}

func (s *Service) escalatePage(tx Tx, t Ticket, p *page, now time.Time) error {
	p.Escalated = true
	lead := s.recipients(t, "lead")
	reason := fmt.Sprintf("page %s not acknowledged after %s", p.ID, s.desk.cfg.Paging.EscalateAfter)
	if len(lead) == 0 {
		reason += "; the group has no lead to escalate to"
	} else {
		n := notice{kind: notify.KindPageEscalated, agents: lead, via: p.Via, urgent: true,
			text: fmt.Sprintf("未响应的紧急工单 %s：%s", t.ID, p.Text)}
		if _, err := s.send(tx, t, n, now); err != nil {
			return err
		}
		reason += "; sent to the group lead " + lead[0]
	}
	return appendEntry(tx, t.ID, Entry{Type: EntryEvent, Event: eventPageEsc, At: now, By: BySystem, Reason: reason})
}

func putJSONMeta(tx Tx, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.PutMeta(key, b)
}

func getJSONMeta(tx ReadTx, key string, v any) (bool, error) {
	b, err := tx.Meta(key)
	if err != nil || b == nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return true, fmt.Errorf("%w %s: %v", errBadMeta, key, err)
	}
	return true, nil
}

// errBadMeta: a stored setting that does not decode.
var errBadMeta = errors.New("unreadable setting")
