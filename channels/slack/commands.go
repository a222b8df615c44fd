package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/slack-go/slack"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/httpjson"
)

// NotifierName is the name agents' Slack user ids go under in the desk
// (notify: {slack: U0123}), through which Slack users map to agents.
const NotifierName = channels.Slack

// commandHelp lists /ticket's forms.
const commandHelp = "`/ticket show T-000123` · `/ticket claim T-000123` · `/ticket priority T-000123 urgent` · " +
	"`/ticket note T-000123 text` · `/ticket reply T-000123 text` · `/ticket solve T-000123` · `/ticket mine`"

// commands serves /ticket. The answer (ephemeral, to the agent only) is
// given at once: the desk's changes take milliseconds, well inside
// Slack's 3 seconds; each is keyed by the command's trigger id, so a
// retried request acts once.
func (c *Channel) commands(w http.ResponseWriter, r *http.Request) {
	_, ok := c.readSigned(w, r)
	if !ok {
		return
	}
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		httpjson.WriteError(w, httpjson.Errorf(http.StatusBadRequest, "malformed_command", "the body is not a slash command"))
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]string{"response_type": "ephemeral", "text": c.runCommand(r.Context(), cmd)})
}

// runCommand carries out /ticket for the Slack user and says how it went.
func (c *Channel) runCommand(ctx context.Context, cmd slack.SlashCommand) string {
	fields := strings.Fields(cmd.Text)
	if len(fields) == 0 || fields[0] == "help" {
		return commandHelp
	}
	if c.deps.Desk == nil {
		return "Ticket commands are not on in this loopdesk."
	}
	agent, err := c.agentFor(ctx, cmd.UserID)
	if errors.Is(err, channels.ErrNoAgent) {
		return fmt.Sprintf("Your Slack user (%s) is not a loopdesk agent: an admin adds `slack: %s` to your notify addresses.", cmd.UserID, cmd.UserID)
	} else if err != nil {
		c.log.Error("map a Slack user to an agent", "err", err)
		return "Not available right now; try again shortly."
	}
	verb := strings.ToLower(fields[0])
	if verb == "mine" {
		return c.queue(ctx, agent)
	}
	var ticket string
	if len(fields) > 1 {
		ticket, _ = channels.TicketID(fields[1])
	}
	if ticket == "" {
		return "Name the ticket: " + commandHelp
	}
	act := channels.Act{Ticket: ticket, Agent: agent, Key: "slack/command/" + cmd.TriggerID}
	rest := strings.TrimSpace(strings.Join(fields[2:], " "))
	t, err := c.act(ctx, verb, act, rest)
	if err != nil {
		return "Not done: " + err.Error()
	}
	return fmt.Sprintf("%s %s — %s · %s · %s", done[verb], t.ID, t.Subject, t.Status, t.Priority)
}

var done = map[string]string{"show": "", "claim": "Claimed", "priority": "Priority set:", "note": "Noted on",
	"reply": "Replied on", "solve": "Solved"}

// act makes the change a verb asks for.
func (c *Channel) act(ctx context.Context, verb string, a channels.Act, rest string) (channels.TicketSummary, error) {
	desk := c.deps.Desk
	switch verb {
	case "show":
		return desk.Ticket(ctx, a.Ticket)
	case "claim":
		return desk.Claim(ctx, a)
	case "priority":
		return desk.SetPriority(ctx, a, rest)
	case "solve":
		return desk.Solve(ctx, a)
	case "note", "reply":
		if rest == "" {
			return channels.TicketSummary{}, errors.New("the text is empty")
		}
		write := desk.Note
		if verb == "reply" {
			write = desk.Reply
		}
		if err := write(ctx, a, rest); err != nil {
			return channels.TicketSummary{}, err
		}
		return desk.Ticket(ctx, a.Ticket)
	}
	return channels.TicketSummary{}, fmt.Errorf("no command %q; %s", verb, commandHelp)
}

// queue lists the agent's tickets.
func (c *Channel) queue(ctx context.Context, agent string) string {
	list, err := c.deps.Desk.Queue(ctx, agent)
	if err != nil {
		c.log.Error("list an agent's tickets", "err", err)
		return "Not available right now; try again shortly."
	}
	if len(list) == 0 {
		return "You have no open tickets."
	}
	lines := []string{fmt.Sprintf("Your tickets (%d):", len(list))}
	for _, t := range list {
		lines = append(lines, fmt.Sprintf("• %s [%s] %s", t.ID, t.Priority, t.Subject))
	}
	return strings.Join(lines, "\n")
}
