package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/httpjson"
)

// NotifierName is the name agents' Slack user ids go under in the desk
// (notify: {slack: U0123}), through which Slack users map to agents.
const NotifierName = channels.Slack

// commandHelp lists /ticket's forms. The ticket may be left out: it is
// then the one the agent last named, clicked or replied to.
const commandHelp = "`/ticket T-000123` (show) · `/ticket claim [T-000123]` · `/ticket assign [T-000123] @someone` · " +
	"`/ticket priority [T-000123] urgent|high|normal|low` · `/ticket status [T-000123] open|pending|on_hold|solved` · " +
	"`/ticket merge [T-000123] into T-000456` · `/ticket note [T-000123] text` · `/ticket reply [T-000123] text` · " +
	"`/ticket solve [T-000123]` · `/ticket mine`. Without a ticket id a command acts on the ticket you last named, clicked or replied to."

// answerWithin is how long /ticket's answer may take before Slack is told
// "working on it" and the answer follows through the response_url: Slack
// gives a command 3 seconds.
const answerWithin = 2 * time.Second

// commandTimeout bounds a command that went on past answerWithin.
const commandTimeout = time.Minute

// commands serves /ticket (HTTP); Socket Mode comes in through envelope.
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
	httpjson.Write(w, http.StatusOK, ephemeral(c.answer(r.Context(), cmd)))
}

func ephemeral(text string) map[string]string {
	return map[string]string{"response_type": "ephemeral", "text": text}
}

// answer runs the command and returns its answer (ephemeral, to the agent
// only) when it is done within answerWithin; otherwise it says the
// command is under way and posts the answer to the command's response_url
// when it is done. The change itself is keyed by the command's trigger
// id, so a retried request acts once.
func (c *Channel) answer(ctx context.Context, cmd slack.SlashCommand) string {
	done := make(chan string, 1)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commandTimeout)
	go func() {
		defer cancel()
		done <- c.runCommand(ctx, cmd)
	}()
	wait := time.NewTimer(c.answerWithin)
	defer wait.Stop()
	select {
	case text := <-done:
		return text
	case <-wait.C:
	}
	go func() {
		text := <-done
		if cmd.ResponseURL == "" {
			return
		}
		msg := &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: text}
		pctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := slack.PostWebhookCustomHTTPContext(pctx, cmd.ResponseURL, c.cfg.HTTPClient, msg); err != nil {
			c.log.Warn("answer a slash command through its response_url", "err", err)
		}
	}()
	return "Working on it…"
}

// runCommand carries out /ticket for the Slack user and says how it went.
func (c *Channel) runCommand(ctx context.Context, cmd slack.SlashCommand) string {
	fields := strings.Fields(cmd.Text)
	if len(fields) == 0 || strings.EqualFold(fields[0], "help") {
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
	if id, ok := channels.TicketID(fields[0]); ok && len(fields) == 1 {
		fields = []string{"show", id}
	}
	verb := strings.ToLower(fields[0])
	if verb == "mine" {
		return c.queue(ctx, agent)
	}
	ticket, rest := c.ticketOf(ctx, cmd.UserID, verb, fields[1:])
	if ticket == "" {
		return "Name the ticket (no ticket was named or clicked before): " + commandHelp
	}
	act := channels.Act{Ticket: ticket, Agent: agent, Key: "slack/command/" + cmd.TriggerID, Via: NotifierName + ":" + cmd.UserID}
	t, err := c.act(ctx, verb, act, rest)
	if err != nil {
		return "Not done: " + err.Error()
	}
	c.setCurrent(ctx, cmd.UserID, t.ID)
	return fmt.Sprintf("%s %s — %s · %s · %s · %s", done[verb], t.ID, t.Subject, t.Status, t.Priority, assignee(t))
}

func assignee(t channels.TicketSummary) string {
	if t.Assignee == "" {
		return "unassigned"
	}
	return t.Assignee
}

// ticketOf reads the ticket a command names after its verb, or else takes
// the user's current ticket; rest is the command's argument. For merge
// the last ticket named is where to merge into, the one before it (or the
// current one) what is merged.
func (c *Channel) ticketOf(ctx context.Context, user, verb string, args []string) (ticket, rest string) {
	if verb == "merge" && len(args) > 0 {
		into, _ := ticketRef(args[len(args)-1])
		if len(args) > 1 {
			ticket, _ = ticketRef(args[0])
		}
		if ticket == "" {
			ticket = c.current(ctx, user)
		}
		return ticket, into
	}
	if len(args) > 0 {
		if id, ok := ticketRef(args[0]); ok {
			return id, strings.Join(args[1:], " ")
		}
	}
	return c.current(ctx, user), strings.Join(args, " ")
}

// ticketRef reads a word as a ticket only when it is written as one —
// "T-000123", "t-123", "#123" — never bare digits: with the ticket left
// out, "/ticket reply 2 parcels are on the way" replies "2 parcels…" on
// the current ticket, not to the customer of T-000002.
func ticketRef(word string) (string, bool) {
	w := strings.ToUpper(word)
	if !strings.HasPrefix(w, "#") && !strings.HasPrefix(w, "T-") {
		return "", false
	}
	return channels.TicketID(word)
}

// currentKey + Slack user id → the ticket the user last named, clicked
// or replied to.
const currentKey = "slack/current/"

func (c *Channel) current(ctx context.Context, user string) string {
	raw, err := c.deps.State.Get(ctx, currentKey+user)
	if err != nil {
		c.log.Warn("read an agent's current ticket", "err", err)
	}
	return string(raw)
}

func (c *Channel) setCurrent(ctx context.Context, user, ticket string) {
	err := c.deps.State.Update(ctx, currentKey+user, func([]byte) ([]byte, error) { return []byte(ticket), nil })
	if err != nil {
		c.log.Warn("remember an agent's current ticket", "err", err)
	}
}

var done = map[string]string{"show": "", "claim": "Claimed", "assign": "Assigned", "priority": "Priority set:",
	"status": "Status set:", "merge": "Merged into", "note": "Noted on", "reply": "Replied on", "solve": "Solved"}

// act makes the change a verb asks for.
func (c *Channel) act(ctx context.Context, verb string, a channels.Act, rest string) (channels.TicketSummary, error) {
	desk := c.deps.Desk
	switch verb {
	case "show":
		return desk.Ticket(ctx, a.Ticket)
	case "claim":
		return desk.Claim(ctx, a)
	case "assign":
		agent, err := c.mentioned(ctx, rest)
		if err != nil {
			return channels.TicketSummary{}, err
		}
		return desk.Assign(ctx, a, agent)
	case "priority":
		return desk.SetPriority(ctx, a, rest)
	case "status":
		return desk.SetStatus(ctx, a, rest)
	case "solve":
		return desk.Solve(ctx, a)
	case "merge":
		if rest == "" {
			return channels.TicketSummary{}, errors.New("name the ticket to merge into: `/ticket merge T-000123 into T-000456`")
		}
		return desk.Merge(ctx, a, rest)
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

// mention is a Slack user mention as a command with should_escape gets it.
var mention = regexp.MustCompile(`^<@([^|>\s]+)(?:\|[^>]*)?>$`)

// mentioned is the agent an assign names: a Slack mention (<@U0123|wang>)
// maps through the user's Slack id or profile email; anything else is an
// agent's name or display name, for the desk to find.
func (c *Channel) mentioned(ctx context.Context, who string) (string, error) {
	who = strings.TrimSpace(who)
	if who == "" {
		return "", errors.New("name who gets the ticket: `/ticket assign T-000123 @someone`")
	}
	m := mention.FindStringSubmatch(who)
	if m == nil {
		return strings.TrimPrefix(who, "@"), nil
	}
	agent, err := c.agentFor(ctx, m[1])
	if errors.Is(err, channels.ErrNoAgent) {
		return "", fmt.Errorf("%s is not a loopdesk agent", who)
	}
	return agent, err
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
