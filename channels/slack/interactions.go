package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/httpjson"
)

// interactions serves the buttons of ticket cards: Claim, the priority
// menu and Solve act as the agent the Slack user maps to (once per click,
// keyed by its trigger id); the card then shows the change, as it does
// any other (TicketChanged).
func (c *Channel) interactions(w http.ResponseWriter, r *http.Request) {
	_, ok := c.readSigned(w, r)
	if !ok {
		return
	}
	var cb slack.InteractionCallback
	if err := r.ParseForm(); err != nil || json.Unmarshal([]byte(r.FormValue("payload")), &cb) != nil {
		httpjson.WriteError(w, httpjson.Errorf(http.StatusBadRequest, "malformed_interaction", "the body is not a Slack interaction"))
		return
	}
	if cb.Type == slack.InteractionTypeBlockActions && len(cb.ActionCallback.BlockActions) > 0 {
		if answer := c.clicked(r.Context(), cb); answer != "" {
			httpjson.Write(w, http.StatusOK, map[string]any{"response_type": "ephemeral", "text": answer, "replace_original": false})
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// clicked acts on a card's button and returns what to tell the agent
// when it did not work.
func (c *Channel) clicked(ctx context.Context, cb slack.InteractionCallback) string {
	a := cb.ActionCallback.BlockActions[0]
	if c.deps.Desk == nil {
		return "Ticket commands are not on in this loopdesk."
	}
	agent, err := c.agentFor(ctx, cb.User.ID)
	if errors.Is(err, channels.ErrNoAgent) {
		return fmt.Sprintf("Your Slack user (%s) is not a loopdesk agent.", cb.User.ID)
	} else if err != nil {
		return "Not available right now; try again shortly."
	}
	act := channels.Act{Ticket: a.Value, Agent: agent, Key: "slack/click/" + cb.TriggerID, Via: NotifierName + ":" + cb.User.ID}
	switch a.ActionID {
	case "claim":
		_, err = c.deps.Desk.Claim(ctx, act)
	case "solve":
		_, err = c.deps.Desk.Solve(ctx, act)
	case "priority": // the option's value is "T-000123 urgent"
		var priority string
		act.Ticket, priority, _ = strings.Cut(a.SelectedOption.Value, " ")
		_, err = c.deps.Desk.SetPriority(ctx, act, priority)
	default:
		return ""
	}
	if err != nil {
		return "Not done: " + err.Error()
	}
	c.setCurrent(ctx, cb.User.ID, act.Ticket) // the card shows the change: the core tells TicketChanged
	return ""
}
