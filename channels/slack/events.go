package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/slack-go/slack/slackevents"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/httpjson"
)

// maxBody bounds a request from Slack (events are a few KiB).
const maxBody = 1 << 20

// seenTTL is how long an event id is remembered: Slack retries for about
// an hour at most.
const seenTTL = 24 * time.Hour

// events serves the Events API URL: the URL check, and events. The
// message a customer wrote is stored before Slack gets its 200 (a few
// milliseconds, well inside Slack's 3 seconds), so nothing acknowledged is
// lost; a retry (X-Slack-Retry-Num) changes nothing: the message's key is
// its channel and ts, and the event id is remembered.
func (c *Channel) events(w http.ResponseWriter, r *http.Request) {
	body, ok := c.readSigned(w, r)
	if !ok {
		return
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		httpjson.WriteError(w, httpjson.Errorf(http.StatusBadRequest, "malformed_event", "the body is not a Slack event"))
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		if v, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent); ok {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, v.Challenge)
			return
		}
	case slackevents.CallbackEvent:
		if err := c.callback(r.Context(), ev, r.Header.Get("X-Slack-Retry-Num")); err != nil {
			c.log.Error("handle a Slack event; Slack will retry", "err", err)
			httpjson.WriteError(w, httpjson.Errorf(http.StatusInternalServerError, "internal", "the event could not be stored; retry"))
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// callback handles one event. The work is made idempotent first (a
// customer's message is keyed by its channel and ts, so a retry stores
// nothing again), then the event id is remembered: a retry of an event
// handled already is recognised and logged. Remembering it first would
// lose the event when storing failed and Slack's retry were dropped.
func (c *Channel) callback(ctx context.Context, ev slackevents.EventsAPIEvent, retry string) error {
	if m, ok := ev.InnerEvent.Data.(*slackevents.MessageEvent); ok {
		if msg, ok := c.customerMessage(m); ok {
			if _, err := c.deps.Handler.HandleMessage(ctx, msg); err != nil && !errors.Is(err, channels.ErrInvalid) {
				return err
			}
		}
		if err := c.threadReply(ctx, m); err != nil {
			return err
		}
	}
	outer, _ := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if outer == nil || outer.EventID == "" {
		return nil
	}
	first, err := c.deps.State.Once(ctx, "slack/event/"+outer.EventID, seenTTL)
	if err == nil && !first {
		c.log.Debug("a repeated Slack event changed nothing", "retry", retry)
	}
	return err
}

// customerMessage is a customer's message, when m is one: written by a
// person (no bot, no edit or join), in a direct message to the app (when
// those are customers) or in a customer channel.
func (c *Channel) customerMessage(m *slackevents.MessageEvent) (channels.Message, bool) {
	if m.BotID != "" || m.SubType != "" || m.User == "" || m.Text == "" {
		return channels.Message{}, false
	}
	thread := m.Channel
	switch {
	case m.ChannelType == "im" && c.cfg.DirectMessages:
	case c.customers[m.Channel]:
		root := m.ThreadTimeStamp
		if root == "" {
			root = m.TimeStamp
		}
		thread = m.Channel + ":" + root
	default:
		return channels.Message{}, false
	}
	return channels.Message{Channel: channels.Slack, ExternalID: m.Channel + ":" + m.TimeStamp, Thread: thread,
		From: channels.Party{ID: m.User}, Text: m.Text, SentAt: slackTime(m.TimeStamp),
		Meta: map[string]string{"channel": m.Channel}}, true
}

// slackTime reads a Slack ts ("1712345678.000100").
func slackTime(ts string) time.Time {
	var sec, micro int64
	if _, err := fmt.Sscanf(ts, "%d.%d", &sec, &micro); err != nil {
		return time.Time{}
	}
	return time.Unix(sec, micro*1000)
}

// threadReply carries out an agent's reply in a ticket's thread: to the
// customer, or a note when it starts with a note marker. Keyed by the
// message, so Slack's retries act once. A reply from someone who is no
// agent, or in a thread that is no ticket's, does nothing.
func (c *Channel) threadReply(ctx context.Context, m *slackevents.MessageEvent) error {
	if c.deps.Desk == nil || !c.staff[m.Channel] || m.ThreadTimeStamp == "" || m.BotID != "" || m.SubType != "" || m.User == "" {
		return nil
	}
	ticket, err := c.deps.State.Get(ctx, threadKey+m.Channel+":"+m.ThreadTimeStamp)
	if err != nil || ticket == nil {
		return err
	}
	agent, err := c.agentFor(ctx, m.User)
	if errors.Is(err, channels.ErrNoAgent) {
		c.log.Info("a thread reply from a Slack user who is no agent", "ticket", string(ticket))
		return nil
	} else if err != nil {
		return err
	}
	act := channels.Act{Ticket: string(ticket), Agent: agent, Key: "slack/msg/" + m.Channel + ":" + m.TimeStamp,
		Via: NotifierName + ":" + m.User}
	c.setCurrent(ctx, m.User, act.Ticket)
	text := strings.TrimSpace(m.Text)
	for _, marker := range c.cfg.NoteMarkers {
		if rest, ok := strings.CutPrefix(text, marker); ok {
			return c.deps.Desk.Note(ctx, act, strings.TrimSpace(rest))
		}
	}
	// An error (the desk refusing, or the store failing) answers Slack
	// 500: its retries are keyed, so they act once if at all.
	return c.deps.Desk.Reply(ctx, act, text)
}
