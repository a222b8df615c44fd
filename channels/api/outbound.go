package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/loopdesk/loopdesk/channels"
	"github.com/loopdesk/loopdesk/internal/httpanswer"
)

// Callback is the JSON body loopdesk posts to Config.CallbackURL for each
// outbound message.
type Callback struct {
	// ID is stable across delivery attempts; deduplicate on it.
	ID string `json:"id"`
	// TicketID is the ticket the message belongs to; empty if none.
	TicketID string `json:"ticket_id"`
	// Thread is the conversation, as the inbound message named it.
	Thread string `json:"thread"`
	// Kind says why it is sent: "ack", "reply" or "notification".
	Kind string `json:"kind"`
	// Text is what to show the customer.
	Text string `json:"text"`
	// To is the customer, as the inbound message's from named them.
	To channels.Party `json:"to"`
	// CreatedAt is when loopdesk enqueued the message (RFC 3339, UTC).
	CreatedAt time.Time `json:"created_at"`
	// Attempt counts delivery attempts, starting at 1.
	Attempt int `json:"attempt"`
}

// Send posts out to the callback URL, signed; without a callback URL it does
// nothing and the reply stays readable from the conversation endpoint.
// A nil error means the receiver answered 2xx. 429 and 503 with Retry-After
// answer channels.RetryAfter; 408, 425, 429, 5xx and network errors are
// plain (retryable) errors; any other answer is channels.Permanent.
func (c *Channel) Send(ctx context.Context, out channels.Outbound) error {
	if c.callbackURL == "" {
		return nil
	}
	if out.Channel != "" && out.Channel != channels.API {
		return channels.Permanent(fmt.Errorf("post api callback: outbound %s is for channel %q", out.ID, out.Channel))
	}
	body, err := encodeCallback(out)
	if err != nil {
		return channels.Permanent(fmt.Errorf("post api callback: encode %s: %w", out.ID, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.callbackURL, bytes.NewReader(body))
	if err != nil {
		return channels.Permanent(fmt.Errorf("post api callback: build request: %w", err))
	}
	ts := strconv.FormatInt(c.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "loopdesk")
	req.Header.Set(HeaderDelivery, out.ID)
	req.Header.Set("Idempotency-Key", out.ID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(c.secret, ts, body))
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("post api callback to %s: %w", c.receiver, httpanswer.WithoutURL(err))
	}
	defer httpanswer.Close(resp.Body)
	if err := httpanswer.Classify(resp, c.now(), nil); err != nil {
		return fmt.Errorf("post api callback to %s: %w", c.receiver, err)
	}
	return nil
}

func encodeCallback(out channels.Outbound) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // receivers see the text as written, not \u003c
	err := enc.Encode(Callback{
		ID:        out.ID,
		TicketID:  out.TicketID,
		Thread:    out.Thread,
		Kind:      out.Kind,
		Text:      out.Text,
		To:        out.To,
		CreatedAt: out.CreatedAt.UTC(),
		Attempt:   out.Attempt,
	})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}
