package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/wait"
)

// metadataType marks our messages: the outbox id in their metadata lets a
// retried delivery see that the first one got through.
const metadataType = "loopdesk_outbound"

// Send posts a reply into the customer's conversation: the direct message,
// or the thread in a customer channel (post).
func (c *Channel) Send(ctx context.Context, out channels.Outbound) error {
	channel, threadTS, _ := strings.Cut(out.Thread, ":")
	if channel == "" {
		return channels.Permanent(fmt.Errorf("slack: no channel in thread %q", out.Thread))
	}
	// Escaped: what a customer or an agent wrote elsewhere is shown as
	// written, and "<!channel>" in it pings nobody.
	_, err := c.post(ctx, channel, threadTS, out.ID, out.Attempt, slack.MsgOptionText(out.Text, true))
	return err
}

// post posts a message with id in its metadata into channel (in the
// thread threadTS, if any) and returns its ts. At most one message a
// second goes to one Slack channel (Slack's posting limit); Retry-After is
// honoured; a retry (attempt > 1) first looks for the message in the
// conversation, so a post whose answer was lost is not made twice.
func (c *Channel) post(ctx context.Context, channel, threadTS, id string, attempt int, opts ...slack.MsgOption) (string, error) {
	if attempt > 1 {
		if ts, err := c.posted(ctx, channel, threadTS, id); err != nil || ts != "" {
			return ts, classify(err)
		}
	}
	if err := c.pace.wait(ctx, channel); err != nil {
		return "", err
	}
	opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{EventType: metadataType, EventPayload: map[string]any{"id": id}}))
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	_, ts, err := c.api.PostMessageContext(ctx, channel, opts...)
	return ts, classify(err)
}

// posted returns the ts of the message with id in the conversation, or
// "" when there is none.
func (c *Channel) posted(ctx context.Context, channel, threadTS, id string) (string, error) {
	var msgs []slack.Message
	var err error
	if threadTS != "" {
		msgs, _, _, err = c.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: threadTS, Limit: 200, IncludeAllMetadata: true})
	} else {
		var h *slack.GetConversationHistoryResponse
		h, err = c.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channel, Limit: 50, IncludeAllMetadata: true})
		if h != nil {
			msgs = h.Messages
		}
	}
	if err != nil {
		return "", err
	}
	for _, m := range msgs {
		if m.Metadata.EventType == metadataType && m.Metadata.EventPayload["id"] == id {
			return m.Timestamp, nil
		}
	}
	return "", nil
}

// permanentErrors are Web API errors a retry will not mend.
var permanentErrors = map[string]bool{"channel_not_found": true, "not_in_channel": true, "is_archived": true,
	"invalid_auth": true, "account_inactive": true, "token_revoked": true, "msg_too_long": true, "no_text": true,
	"restricted_action": true, "cannot_dm_bot": true}

// classify says what the dispatcher does with a Web API error.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return channels.RetryAfter(fmt.Errorf("slack: %w", err), rl.RetryAfter)
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && permanentErrors[se.Err] {
		return channels.Permanent(fmt.Errorf("slack: %w", err))
	}
	return fmt.Errorf("slack: %w", err)
}

// pacer spaces messages to one Slack channel interval apart.
type pacer struct {
	now      func() time.Time
	sleep    func(context.Context, time.Duration) bool
	interval time.Duration
	mu       sync.Mutex
	next     map[string]time.Time
}

// pace is one message a second per channel: Slack's posting limit.
const pace = time.Second

func newPacer(now func() time.Time) *pacer {
	return &pacer{now: now, sleep: wait.Sleep, interval: pace, next: map[string]time.Time{}}
}

// maxWait is the longest a send waits for its turn; beyond it the outbox
// is asked to come back.
const maxWait = 3 * time.Second

// wait takes the channel's next turn, waiting for it when it is near.
func (p *pacer) wait(ctx context.Context, channel string) error {
	p.mu.Lock()
	now := p.now()
	turn := now
	if next := p.next[channel]; next.After(now) {
		turn = next
	}
	d := turn.Sub(now)
	if d > maxWait {
		p.mu.Unlock()
		return channels.RetryAfter(errors.New("slack: one message a second per channel"), d)
	}
	p.next[channel] = turn.Add(p.interval)
	p.mu.Unlock()
	if d > 0 && !p.sleep(ctx, d) {
		return ctx.Err()
	}
	return nil
}
