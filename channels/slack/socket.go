package slack

import (
	"context"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/loopdesk/loopdesk/internal/wait"
)

// pingInterval: Socket Mode sends no pings of its own, and a connection
// that silently died would otherwise be noticed only by its reads.
const pingInterval = 30 * time.Second

// Run holds the Socket Mode connection when Config.AppToken is set (no
// public URL needed), reconnecting with backoff, until ctx is done;
// without an app token it only waits (Slack calls the HTTP URLs).
//
// Envelopes are handled as the HTTP requests are, and acknowledged after:
// an event whose message could not be stored is not acknowledged, so
// Slack sends it again.
func (c *Channel) Run(ctx context.Context) error {
	if c.cfg.AppToken == "" {
		<-ctx.Done()
		return nil
	}
	api := slack.New(c.cfg.BotToken, slack.OptionAppLevelToken(c.cfg.AppToken),
		slack.OptionAPIURL(c.cfg.APIBase+"/api/"), slack.OptionHTTPClient(c.cfg.HTTPClient))
	sm := socketmode.New(api, socketmode.OptionPingInterval(pingInterval))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-sm.Events:
				c.envelope(ctx, sm, evt)
			}
		}
	}()
	for failures := 0; ctx.Err() == nil; failures++ {
		err := sm.RunContext(ctx)
		if ctx.Err() != nil {
			break
		}
		pause := min(time.Second<<min(failures, 6), time.Minute)
		c.log.Error("Socket Mode connection ended; reconnecting", "err", err, "in", pause)
		if !wait.Sleep(ctx, pause) {
			break
		}
	}
	<-done
	return nil
}

// envelope handles one Socket Mode envelope.
func (c *Channel) envelope(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	if evt.Request == nil {
		return // hello, connecting, disconnect …
	}
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			break
		}
		if ev.Type == slackevents.CallbackEvent {
			if err := c.callback(ctx, ev, ""); err != nil {
				c.log.Error("handle a Slack event; Slack will send it again", "err", err)
				return
			}
		}
	case socketmode.EventTypeSlashCommand:
		if cmd, ok := evt.Data.(slack.SlashCommand); ok {
			c.ack(sm, evt, ephemeral(c.answer(ctx, cmd)))
			return
		}
	case socketmode.EventTypeInteractive:
		if cb, ok := evt.Data.(slack.InteractionCallback); ok && cb.Type == slack.InteractionTypeBlockActions && len(cb.ActionCallback.BlockActions) > 0 {
			if answer := c.clicked(ctx, cb); answer != "" {
				c.ack(sm, evt, map[string]any{"response_type": "ephemeral", "text": answer, "replace_original": false})
				return
			}
		}
	}
	c.ack(sm, evt, nil)
}

func (c *Channel) ack(sm *socketmode.Client, evt socketmode.Event, payload any) {
	var err error
	if payload == nil {
		err = sm.Ack(*evt.Request)
	} else {
		err = sm.Ack(*evt.Request, payload)
	}
	if err != nil {
		c.log.Warn("acknowledge a Socket Mode envelope", "err", err)
	}
}
