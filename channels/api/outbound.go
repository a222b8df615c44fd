package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/loopdesk/loopdesk/channels"
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

const (
	// maxRetryAfter bounds the wait a receiver can ask for, so a bogus
	// Retry-After cannot park a message for years.
	maxRetryAfter = 24 * time.Hour
	// maxSnippet is how much of an error answer goes into the error.
	maxSnippet = 256
	// maxDrain is how much of an answer is read so the connection can be reused.
	maxDrain = 64 << 10
)

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
		return fmt.Errorf("post api callback to %s: %w", c.receiver, withoutURL(err))
	}
	defer closeBody(resp.Body)
	return c.classify(resp)
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

// withoutURL drops the callback URL the client puts into its errors: its path
// or query may hold the integrator's credentials.
func withoutURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

// statusError is a receiver's answer other than 2xx.
type statusError struct {
	code    int
	status  string
	snippet string
}

func (e *statusError) Error() string {
	if e.snippet == "" {
		return "receiver answered " + e.status
	}
	return fmt.Sprintf("receiver answered %s: %s", e.status, e.snippet)
}

// classify turns a receiver's answer into what the dispatcher acts on.
func (c *Channel) classify(resp *http.Response) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	status := resp.Status
	if status == "" {
		status = strconv.Itoa(code)
	}
	err := fmt.Errorf("post api callback to %s: %w", c.receiver,
		&statusError{code: code, status: status, snippet: readSnippet(resp.Body)})
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		if d, ok := c.retryAfter(resp.Header.Get("Retry-After")); ok {
			return channels.RetryAfter(err, d)
		}
		return err
	case code == http.StatusRequestTimeout || code == http.StatusTooEarly || code >= 500:
		return err
	default:
		// Other 4xx, and 3xx since redirects are not followed: repeating
		// the same request will fail the same way.
		return channels.Permanent(err)
	}
}

// retryAfter parses a Retry-After value: delay seconds or an HTTP date.
func (c *Channel) retryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil {
		d = maxRetryAfter
		if secs < uint64(maxRetryAfter/time.Second) {
			d = time.Duration(secs) * time.Second
		}
	} else if errors.Is(err, strconv.ErrRange) {
		d = maxRetryAfter
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(c.now()), 0)
	} else {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}

// readSnippet reads the start of an error answer as one printable line.
func readSnippet(body io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(body, maxSnippet))
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// closeBody reads what is left of an answer, within bounds, so the
// connection can be reused, and closes it.
func closeBody(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrain))
	_ = body.Close()
}
