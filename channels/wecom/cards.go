package wecom

import (
	"context"
	"fmt"

	"github.com/loopdesk/loopdesk/channels"
)

// cardClicked acts on a button of a ticket card (template_card_event):
// "claim T-…" claims the ticket and turns the button into who claimed it,
// for everyone who got the card; "show T-…" answers the ticket.
func (c *Channel) cardClicked(ctx context.Context, m appMessage) string {
	cmd := parseCommand(m.EventKey)
	if cmd.verb != verbClaim {
		return c.runCommand(ctx, m.FromUserName, cmd)
	}
	agent, refusal := c.agentFor(ctx, m.FromUserName)
	if agent == "" {
		return refusal
	}
	t, err := c.deps.Desk.Claim(ctx, cmd.ticket, agent)
	if err != nil {
		return c.failed(cmd, err)
	}
	c.updateCard(ctx, m, fmt.Sprintf("已由%s接单", t.Assignee))
	return "已接单\n" + c.summary(t)
}

// updateCard replaces the clicked card's buttons with one greyed-out
// label (message/update_template_card, docs path 94888). The response
// code is good once, for 72 hours.
func (c *Channel) updateCard(ctx context.Context, m appMessage, label string) {
	if m.ResponseCode == "" {
		return
	}
	body := map[string]any{"userids": []string{m.FromUserName}, "agentid": c.cfg.AgentID,
		"response_code": m.ResponseCode, "button": map[string]string{"replace_name": label}}
	if err := c.app.post(ctx, "/cgi-bin/message/update_template_card", body, nil); err != nil {
		c.log.Warn("update a ticket card", "err", err)
	}
}

var _ channels.Channel = (*Channel)(nil)
