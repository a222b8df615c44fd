package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/slack-go/slack"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/notify"
)

// Ticket threads. The first notice about a ticket posts its card (subject,
// priority, group, Claim, a priority menu and Solve) into its group's
// Slack channel; the thread under the card is the ticket: later notices
// are lines in it, the customer's new messages are mirrored into it, and
// an agent's thread reply goes to the customer (// or note: keeps it
// internal).
const (
	cardKey   = "slack/card/"   // + ticket id → where its card is
	threadKey = "slack/thread/" // + channel:ts of a card → its ticket id
)

// card is where a ticket's card is, and the notices said in its thread.
type card struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	// Said maps the notices said (by their said key) to the outbox id of
	// the copy that said them; the latest saidKept are kept.
	Said []said `json:"said,omitempty"`
}

type said struct {
	Key string `json:"k"`
	By  string `json:"by"`
}

// saidKept bounds a card's record: copies of one notice arrive within
// moments of each other, never after dozens of later notices.
const saidKept = 32

// sayer is who said the notice of key on the card, if anyone.
func (c *card) sayer(key string) string {
	for _, s := range c.Said {
		if s.Key == key {
			return s.By
		}
	}
	return ""
}

// Notifier returns the notifier that posts ticket cards and notices into
// the groups' Slack channels (Config.Groups).
func (c *Channel) Notifier() notify.Notifier { return notifier{c} }

type notifier struct{ c *Channel }

func (n notifier) Name() string { return NotifierName }

// Notify posts n into its ticket's thread, first posting the card. A
// notice sent to several agents says the same thing once; a group without
// a Slack channel gets nothing. The notices of one ticket are handled one
// at a time (they are sent at once: a new ticket to the group, its
// assignment to the agent), so that it gets one card and each notice
// one line.
func (n notifier) Notify(ctx context.Context, no notify.Notice) error {
	c := n.c
	channel := c.cfg.Groups[no.Group]
	if channel == "" || no.TicketID == "" {
		return nil
	}
	unlock := c.cardLocks.lock(no.TicketID)
	defer unlock()
	at, err := c.cardOf(ctx, no, channel)
	if err != nil {
		return err
	}
	// The copies of one notice (one per agent, enqueued together, so
	// created at the same instant) say it once: the first claims it, a
	// retry of that one (a failed post) is still its, the others say
	// nothing. The same words said again later are said again. What the
	// customer wrote is mirrored once per message anyway.
	if no.Kind != notify.KindCustomerMessage {
		key := noticeKey(no)
		if by := at.sayer(key); by != "" && by != no.ID {
			return nil
		}
		if at.sayer(key) == "" {
			at.Said = append(at.Said, said{Key: key, By: no.ID})
			at.Said = at.Said[max(0, len(at.Said)-saidKept):]
			if err := c.saveCard(ctx, no.TicketID, at); err != nil {
				return err
			}
		}
	}
	out := channels.Outbound{ID: no.ID, Thread: at.Channel + ":" + at.TS, Text: no.Text, Attempt: no.Attempt}
	if err := c.Send(ctx, out); err != nil {
		return err
	}
	c.refreshCard(ctx, no.TicketID, at) // a notice follows a change
	return nil
}

// noticeKey names what a notice says, at the instant it was made.
func noticeKey(no notify.Notice) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%d", no.Kind, no.Text, no.CreatedAt.UnixNano()))
	return hex.EncodeToString(sum[:8])
}

// TicketChanged brings the ticket's card up to date, when it has one: the
// core calls it after a change of status, assignee, priority or group,
// from Slack or anywhere else.
func (c *Channel) TicketChanged(ctx context.Context, ticketID string) {
	raw, err := c.deps.State.Get(ctx, cardKey+ticketID)
	if err != nil || raw == nil {
		return
	}
	var at card
	if err := json.Unmarshal(raw, &at); err != nil {
		c.log.Warn("read where a ticket's card is", "err", err)
		return
	}
	c.refreshCard(ctx, ticketID, at)
}

var _ channels.TicketWatcher = (*Channel)(nil)

// refreshCard shows the ticket as it is now on its card: priority,
// assignee and status; once solved or closed, without buttons.
func (c *Channel) refreshCard(ctx context.Context, ticketID string, at card) {
	if c.deps.Desk == nil {
		return
	}
	t, err := c.deps.Desk.Ticket(ctx, ticketID)
	if err != nil {
		c.log.Warn("read a ticket for its card", "err", err)
		return
	}
	blocks := cardBlocks(t)
	if _, _, _, err := c.api.UpdateMessageContext(ctx, at.Channel, at.TS, slack.MsgOptionText(t.ID+" "+t.Subject, true), slack.MsgOptionBlocks(blocks...)); err != nil {
		c.log.Warn("update a ticket card", "err", err)
	}
}

// cardOf returns the ticket's card, posting it first when there is none.
// The caller holds the ticket's lock.
func (c *Channel) cardOf(ctx context.Context, no notify.Notice, channel string) (card, error) {
	var at card
	if raw, err := c.deps.State.Get(ctx, cardKey+no.TicketID); err != nil {
		return card{}, err
	} else if raw != nil {
		return at, json.Unmarshal(raw, &at)
	}
	// Keyed by the ticket: a notice retried after a post whose answer was
	// lost finds the card it posted.
	ts, err := c.post(ctx, channel, "", "card/"+no.TicketID, no.Attempt,
		slack.MsgOptionText(no.TicketID+" "+no.Subject, true), slack.MsgOptionBlocks(cardBlocks(c.summaryOf(ctx, no))...))
	if err != nil {
		return card{}, err
	}
	at = card{Channel: channel, TS: ts}
	if err := c.saveCard(ctx, no.TicketID, at); err != nil {
		return card{}, err
	}
	return at, c.deps.State.Update(ctx, threadKey+channel+":"+ts, func([]byte) ([]byte, error) { return []byte(no.TicketID), nil })
}

// summaryOf is the ticket a notice is about, as the desk has it; without a
// desk, what the notice says of it.
func (c *Channel) summaryOf(ctx context.Context, no notify.Notice) channels.TicketSummary {
	if c.deps.Desk != nil {
		t, err := c.deps.Desk.Ticket(ctx, no.TicketID)
		if err == nil {
			return t
		}
		c.log.Warn("read a ticket for its card", "err", err)
	}
	return channels.TicketSummary{ID: no.TicketID, Subject: no.Subject, Priority: no.Priority, Group: no.Group, Status: "new"}
}

func (c *Channel) saveCard(ctx context.Context, ticketID string, at card) error {
	raw, err := json.Marshal(at)
	if err != nil {
		return err
	}
	return c.deps.State.Update(ctx, cardKey+ticketID, func([]byte) ([]byte, error) { return raw, nil })
}

// stripes serializes work on one key (a ticket) without a lock per key:
// keys share one of a fixed set of mutexes.
type stripes [64]sync.Mutex

func (s *stripes) lock(key string) (unlock func()) {
	h := fnv.New32a()
	h.Write([]byte(key))
	m := &s[h.Sum32()%uint32(len(s))]
	m.Lock()
	return m.Unlock
}

// mrkdwn escapes text for Slack's markup: a customer's subject shows as
// written, and "<!channel>" in it pings nobody.
var mrkdwn = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// cardBlocks is a ticket's card: what it is, who asked on which channel,
// intent, priority, group, the SLA due time (in the reader's time zone)
// and the fields read from the message; who has it and how it stands;
// and the buttons while it is open.
func cardBlocks(t channels.TicketSummary) []slack.Block {
	text := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
	}
	facts := []string{}
	if t.Requester != "" {
		facts = append(facts, fmt.Sprintf("%s (%s)", mrkdwn.Replace(t.Requester), t.Channel))
	}
	if t.Intent != "" {
		facts = append(facts, "意图 "+t.Intent)
	}
	facts = append(facts, "优先级 "+t.Priority, "组 "+mrkdwn.Replace(t.Group))
	if !t.DueAt.IsZero() {
		facts = append(facts, fmt.Sprintf("SLA <!date^%d^{date_short_pretty} {time}|%s>", t.DueAt.Unix(), t.DueAt.UTC().Format("2006-01-02 15:04 UTC")))
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(text(fmt.Sprintf("*%s* %s", t.ID, mrkdwn.Replace(t.Subject))), nil, nil),
		slack.NewContextBlock("", text(strings.Join(facts, " · "))),
	}
	if len(t.Fields) > 0 {
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(t.Fields)) {
			kv = append(kv, fmt.Sprintf("%s: `%s`", k, mrkdwn.Replace(t.Fields[k])))
		}
		blocks = append(blocks, slack.NewContextBlock("", text(strings.Join(kv, " · "))))
	}
	open := t.Status != "solved" && t.Status != "closed"
	switch {
	case !open:
		blocks = append(blocks, slack.NewContextBlock("", text(fmt.Sprintf("状态 %s · 处理人 %s", t.Status, mrkdwn.Replace(t.Assignee)))))
	case t.Assignee != "":
		blocks = append(blocks, slack.NewContextBlock("", text(fmt.Sprintf("处理人 %s · 状态 %s", mrkdwn.Replace(t.Assignee), t.Status))))
	}
	if !open {
		return blocks
	}
	plain := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	button := func(id, label string) slack.BlockElement {
		return slack.NewButtonBlockElement(id, t.ID, plain(label))
	}
	var options []*slack.OptionBlockObject
	for _, p := range []struct{ value, label string }{{"urgent", "紧急 urgent"}, {"high", "高 high"}, {"normal", "普通 normal"}, {"low", "低 low"}} {
		options = append(options, slack.NewOptionBlockObject(t.ID+" "+p.value, plain(p.label), nil))
	}
	choose := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("优先级 Priority"), "priority", options...)
	return append(blocks, slack.NewActionBlock("ticket", button("claim", "接单 Claim"), choose, button("solve", "解决 Solve")))
}
