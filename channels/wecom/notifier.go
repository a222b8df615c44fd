package wecom

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/notify"
)

// NotifierName is the notifier's name: agents' desk entries give their
// WeCom userid as notify: {wecom: userid}.
const NotifierName = channels.WeCom

// cardKinds are the notices that come as a card with Claim and Open
// buttons; the others as markdown (or a textcard linking to the console).
var cardKinds = map[string]string{
	notify.KindNewTicket: "新工单", notify.KindUrgent: "紧急工单", notify.KindPage: "紧急工单",
	notify.KindPageEscalated: "紧急工单（升级）", notify.KindHandoff: "转来的工单",
}

// duplicateWindow is the seconds in which WeCom drops a message with the
// same content to the same member: long enough to catch a delivery the
// outbox retried after a timeout, short enough that a page repeated after
// repeat_after (5 minutes by default) still rings.
const duplicateWindow = 120

// Notifier returns the notifier that tells agents in the app.
func (c *Channel) Notifier() notify.Notifier { return notifier{c} }

type notifier struct{ c *Channel }

func (n notifier) Name() string { return NotifierName }

// Notify sends a notice to the agent's WeCom member (To.Address) through
// message/send, within WeCom's per-member rate: beyond it the outbox is
// asked to wait. Duplicate checking on WeCom's side drops a retried
// delivery of the same notice.
func (n notifier) Notify(ctx context.Context, no notify.Notice) error {
	c := n.c
	if c.app == nil {
		return channels.Permanent(errors.New("wecom: the app is not configured (channels.wecom.secret, agent_id)"))
	}
	member := no.To.Address
	if member == "" {
		return channels.Permanent(fmt.Errorf("wecom: agent %q has no wecom address (notify: {wecom: userid})", no.To.Agent))
	}
	if wait, ok := c.limiter.take(member); !ok {
		return channels.RetryAfter(errors.New("wecom: 30 messages a minute per member reached"), wait)
	}
	var ans struct {
		InvalidUser  string `json:"invaliduser"`
		ResponseCode string `json:"response_code"`
	}
	body := c.noticeBody(no)
	if err := c.app.post(ctx, "/cgi-bin/message/send", body, &ans); err != nil {
		if body["msgtype"] == "template_card" && taskTaken(err) {
			return nil // a retry of a card that went out: its task_id is the outbox id
		}
		return classify(err)
	}
	if ans.InvalidUser != "" {
		return channels.Permanent(errors.New("wecom: the agent's userid is not a member the app can reach (check their wecom address and the app's 可见范围)"))
	}
	if ans.ResponseCode != "" {
		c.rememberCard(ctx, no.TicketID, sentCard{Task: taskID(no.ID), User: member, Code: ans.ResponseCode, At: c.cfg.Now()})
	}
	return nil
}

// noticeBody is message/send's body for a notice.
func (c *Channel) noticeBody(no notify.Notice) map[string]any {
	body := map[string]any{"touser": no.To.Address, "agentid": c.cfg.AgentID,
		"enable_duplicate_check": 1, "duplicate_check_interval": duplicateWindow}
	title := strings.TrimSpace(no.Subject)
	if title == "" {
		title = no.TicketID
	}
	switch {
	case cardKinds[no.Kind] != "" && no.TicketID != "":
		body["msgtype"] = "template_card"
		body["template_card"] = c.ticketCard(no)
	case c.cfg.ConsoleURL != "" && no.TicketID != "":
		body["msgtype"] = "textcard"
		body["textcard"] = map[string]string{"title": no.TicketID + " " + title,
			"description": no.Text, "url": c.cfg.ConsoleURL + "/tickets/" + no.TicketID, "btntxt": "查看"}
	default:
		body["msgtype"] = "markdown"
		body["markdown"] = map[string]string{"content": noticeMarkdown(no)}
	}
	return body
}

// ticketCard is a button_interaction template card (docs path 90236):
// Claim and Open, whose clicks come back as template_card_event.
func (c *Channel) ticketCard(no notify.Notice) map[string]any {
	var facts []map[string]string
	if p := priorityNames[no.Priority]; p != "" {
		facts = append(facts, map[string]string{"keyname": "优先级", "value": p})
	}
	if no.Group != "" {
		facts = append(facts, map[string]string{"keyname": "组", "value": no.Group})
	}
	card := map[string]any{
		"card_type":               "button_interaction",
		"source":                  map[string]any{"desc": "loopdesk"},
		"main_title":              map[string]string{"title": cardKinds[no.Kind] + " " + no.TicketID, "desc": truncate(no.Subject, 60)},
		"sub_title_text":          truncate(no.Text, 300),
		"horizontal_content_list": facts,
		"task_id":                 taskID(no.ID),
		"button_list": []map[string]any{
			{"text": "接单", "style": 1, "key": "claim " + no.TicketID},
			{"text": "查看", "style": 2, "key": "show " + no.TicketID},
		},
	}
	return card
}

func noticeMarkdown(no notify.Notice) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** %s\n", strings.TrimSpace(no.Subject), no.TicketID)
	if p := priorityNames[no.Priority]; p != "" || no.Group != "" {
		fmt.Fprintf(&b, "> 优先级：%s　组：%s\n", p, no.Group)
	}
	b.WriteString(no.Text)
	return b.String()
}

// taskID is a card's task_id: unique per card (the outbox id), at most
// 128 characters of [a-zA-Z0-9_-@].
func taskID(id string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '_' || r == '-' || r == '@' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, truncate(id, 128))
}

// truncate keeps at most n runes of s.
func truncate(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// taskTaken reports WeCom refusing a card whose task_id it has seen, by
// code and message since no code of its own is documented (unverified:
// what the tests' double answers).
func taskTaken(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Code == codeBadParameter && strings.Contains(ae.Msg, "task_id")
}
