package wecom

import (
	"context"
	"encoding/json"
	"time"
)

// Cards. A new or urgent ticket goes to several agents as cards with
// Claim and Open buttons; once one claims it (by a click or a command),
// every card of the ticket shows who did. Each card's response_code (from
// message/send, or from the click on it) is good once, for 72 hours; they
// are kept per ticket in the State until used.
const (
	cardsKey = "wecom/cards/" // + ticket id → the cards sent about it
	cardLife = 72 * time.Hour
	maxCards = 50 // kept per ticket, newest
)

// sentCard is one card sent, and the code that updates it.
type sentCard struct {
	Task string    `json:"task"`
	User string    `json:"user"`
	Code string    `json:"code"`
	At   time.Time `json:"at"`
}

// cardClicked acts on a button of a ticket card (template_card_event):
// the button's key is a command ("claim T-…", "show T-…").
func (c *Channel) cardClicked(ctx context.Context, m appMessage, key string) reaction {
	return c.runCommand(ctx, m.FromUserName, parseCommand(m.EventKey), key)
}

// rememberCard keeps the code that updates a card sent about ticketID.
func (c *Channel) rememberCard(ctx context.Context, ticketID string, card sentCard) {
	err := c.deps.State.Update(ctx, cardsKey+ticketID, func(old []byte) ([]byte, error) {
		var cards []sentCard
		_ = json.Unmarshal(old, &cards)
		cards = append(cards, card)
		return json.Marshal(cards[max(0, len(cards)-maxCards):])
	})
	if err != nil {
		c.log.Warn("remember a ticket card", "err", err)
	}
}

// closeCards turns the buttons of every card about ticketID into label
// (message/update_template_card, docs path 94888): the clicked one with
// the click's code, the others with the codes kept when they were sent.
func (c *Channel) closeCards(ctx context.Context, ticketID, label string, clicked appMessage) {
	var cards []sentCard
	err := c.deps.State.Update(ctx, cardsKey+ticketID, func(old []byte) ([]byte, error) {
		_ = json.Unmarshal(old, &cards)
		return nil, nil // each code is good once: taken now
	})
	if err != nil {
		c.log.Warn("read a ticket's cards", "err", err)
	}
	if clicked.ResponseCode != "" {
		c.updateCard(ctx, clicked.FromUserName, clicked.ResponseCode, label)
	}
	for _, card := range cards {
		if card.Task != clicked.TaskID && c.cfg.Now().Sub(card.At) < cardLife {
			c.updateCard(ctx, card.User, card.Code, label)
		}
	}
}

// updateCard replaces a card's buttons with one greyed-out label.
func (c *Channel) updateCard(ctx context.Context, user, code, label string) {
	body := map[string]any{"userids": []string{user}, "agentid": c.cfg.AgentID,
		"response_code": code, "button": map[string]string{"replace_name": label}}
	if err := c.app.post(ctx, "/cgi-bin/message/update_template_card", body, nil); err != nil {
		c.log.Warn("update a ticket card", "err", err)
	}
}
